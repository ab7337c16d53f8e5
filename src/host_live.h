/* SPDX-License-Identifier: MIT */
/* This machine's XSAVE facts, gathered live (CPUID, XGETBV, arch_prctl, /dev/kvm). */
#ifndef XSAVECTL_HOST_LIVE_H
#define XSAVECTL_HOST_LIVE_H

#include <stdbool.h>

#include <xsave/hostinfo.h>

/*
 * Fill @h from the running CPU and kernel; with @kvm, also ask /dev/kvm (its
 * absence is recorded, not an error).  -1 when the CPU has no CPUID.
 */
int host_live_gather(struct xs_hostinfo *h, bool kvm);

#endif
