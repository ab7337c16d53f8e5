/* SPDX-License-Identifier: MIT */
/* This host's XSAVE facts for the commands (host_facts.c). */
#ifndef XSAVECTL_HOST_FACTS_H
#define XSAVECTL_HOST_FACTS_H

#include <stdbool.h>

/*
 * This host's facts: from @file (a CPUID file or a profile), else from
 * XSAVECTL_HOST_CPUID=FILE, else the live machine (/dev/kvm only with @kvm).
 * *source is "live" or "cpuid-file".  0 or an exit code (why in @why, fail.h).
 */
struct fail;
struct xs_hostinfo;
int host_facts(const char *file, bool kvm, struct xs_hostinfo *h, const char **source,
	       struct fail *why);

#endif
