/* SPDX-License-Identifier: MIT */
/*
 * Target profiles: the JSON document `xsavectl host --save-profile F` writes
 * (the `host --json` document, with "profile_version"), read back by
 * check/filter --target F and --xcr0 @F, and by host --cpuid-file F.
 */
#ifndef XSAVECTL_PROFILE_H
#define XSAVECTL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/profile.h>

#define PROFILE_VERSION XS_PROFILE_VERSION

struct profile {
	const char *path;
	uint64_t target;		/* target.mask */
	bool have_mxcsr_mask;
	uint32_t mxcsr_mask;
	char hostname[128];
	char *record;			/* the facts in CPUID-file text form (malloc'ed) */
	enum xs_dest_kernel kernel;	/* version 2: the kernel's class, release, source */
	char kernel_release[65];
	char kernel_from[160];
	unsigned qemu_version;		/* XS_QEMU_VERSION(); 0 unknown */
};

/* Is this text a JSON document (a profile) rather than a CPUID file? */
bool profile_is_json(const uint8_t *buf, size_t len);

/* Parse a profile from @buf; 0 or an exit code (why in @why, fail.h). */
struct fail;
int profile_parse(const char *path, const uint8_t *buf, size_t len, struct profile *p,
		  struct fail *why);
/* Read and parse @path. */
int profile_load(const char *path, struct profile *p, struct fail *why);
void profile_free(struct profile *p);

#endif
