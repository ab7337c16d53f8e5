/* SPDX-License-Identifier: MIT */
/*
 * libxsave error convention: functions return 0 on success or a negative
 * enum xs_err value.  Where the failure has a place in the input, the caller's
 * optional struct xs_diag receives the absolute byte offset and a one-line
 * message (lowercase, no trailing period, no file name: the CLI adds that).
 */
#ifndef XSAVE_ERR_H
#define XSAVE_ERR_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stdint.h>

XS_BEGIN_DECLS

enum xs_err {
	XS_OK = 0,
	XS_ETRUNC = 1,	/* input ends before a structure it announces */
	XS_EFORMAT,	/* input violates its format */
	XS_ELAYOUT,	/* no layout fits the input, or the input does not fit the layout */
	XS_ELIMIT,	/* a size or count in the input is over libxsave's bound */
	XS_ENOMEM,
	XS_EINVAL,	/* bad argument (mask expression, layout description, request) */
	XS_EUNSUP,	/* host lacks a facility (no XSAVE, no OSXSAVE) */
	XS_EUNKNOWN,	/* input holds what this version cannot read (a newer version, an unsized section) */
	XS_EIO,		/* the caller's byte source failed (it reports why; no message here) */
	XS_EBUG,	/* libxsave's own consistency check failed: a bug to report */
};

/* What the caller could do about a failure, for front ends to phrase (a CLI option). */
enum xs_hint {
	XS_HINT_NONE,
	XS_HINT_LAYOUT,		/* give the layout (Intel, AMD or a host's CPUID) */
};

struct xs_diag {
	bool has_off;
	uint64_t off;
	enum xs_hint hint;
	char msg[256];
};

/* Record a failure in @d (may be NULL) and return -@err. */
int xs_fail(struct xs_diag *d, int err, bool has_off, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define XS_FAIL_AT(d, err, off, ...) xs_fail((d), (err), true, (off), __VA_ARGS__)
#define XS_FAIL(d, err, ...) xs_fail((d), (err), false, 0, __VA_ARGS__)

XS_END_DECLS

#endif
