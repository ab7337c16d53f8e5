/* SPDX-License-Identifier: MIT */
/*
 * Target profiles: the JSON document `xsavectl host --save-profile F` writes
 * (with "profile_version"), the facts of a destination host that a pre-check
 * judges states against: its target mask, its MXCSR_MASK and the CPUID facts.
 * Parsing only (jansson); the caller reads the file.
 */
#ifndef XSAVE_PROFILE_H
#define XSAVE_PROFILE_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>
#include <xsave/rules.h>

XS_BEGIN_DECLS

/* 2 adds the destination's kernel and QEMU; version 1 profiles read as "unknown". */
#define XS_PROFILE_VERSION 2

struct xs_profile {
	uint64_t target;		/* target.mask: the XSTATE_BV bits the host loads */
	bool have_mxcsr_mask;
	uint32_t mxcsr_mask;
	char hostname[128];
	char *record;			/* the facts in CPUID-file text form (malloc'ed), or NULL */
	/* Since version 2; a version 1 profile leaves them unknown (0, ""). */
	enum xs_dest_kernel kernel;	/* "kernel"."class": its KVM_SET_XSAVE rule */
	char kernel_release[65];	/* "kernel"."release" */
	char kernel_from[160];		/* "kernel"."from": the probe, a record, nothing */
	unsigned qemu_version;		/* "qemu"."version", XS_QEMU_VERSION() */
};

/* Does @buf hold a JSON document (a profile) rather than a CPUID file? */
bool xs_profile_is_json(const uint8_t *buf, size_t len);

/*
 * Parse a profile (versions 1 and 2).  0, or -XS_EFORMAT (not JSON, not a profile; offset in @d
 * where JSON itself is broken; hint XS_HINT_PROFILE when it has no version),
 * -XS_EUNKNOWN (another profile_version) or -XS_ENOMEM.  *p is set on every
 * path: xs_profile_free() it.
 */
int xs_profile_parse(const uint8_t *buf, size_t len, struct xs_profile *p, struct xs_diag *d);
void xs_profile_free(struct xs_profile *p);

/* Parse "7.2", "7.2.19" or "10.0.2" into XS_QEMU_VERSION() form; false when it is none. */
bool xs_qemu_version_parse(const char *s, unsigned *v);

XS_END_DECLS

#endif
