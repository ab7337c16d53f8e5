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
	XS_HINT_PROFILE,	/* write a profile with the tool that makes them */
};

struct xs_diag {
	bool has_off;
	uint64_t off;
	enum xs_hint hint;
	char msg[256];
};

XS_END_DECLS

#endif
