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

XS_BEGIN_DECLS

#define XS_PROFILE_VERSION 1

struct xs_profile {
	uint64_t target;		/* target.mask: the XSTATE_BV bits the host loads */
	bool have_mxcsr_mask;
	uint32_t mxcsr_mask;
	char hostname[128];
	char *record;			/* the facts in CPUID-file text form (malloc'ed), or NULL */
};

/* Does @buf hold a JSON document (a profile) rather than a CPUID file? */
bool xs_profile_is_json(const uint8_t *buf, size_t len);

/*
 * Parse a profile.  0, or -XS_EFORMAT (not JSON, not a profile; offset in @d
 * where JSON itself is broken; hint XS_HINT_PROFILE when it has no version),
 * -XS_EUNKNOWN (another profile_version) or -XS_ENOMEM.  *p is set on every
 * path: xs_profile_free() it.
 */
int xs_profile_parse(const uint8_t *buf, size_t len, struct xs_profile *p, struct xs_diag *d);
void xs_profile_free(struct xs_profile *p);

XS_END_DECLS

#endif
