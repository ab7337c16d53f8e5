/* SPDX-License-Identifier: MIT */
/* This machine's XSAVE facts: CPUID leaf 0xD (through libcpuid) and XGETBV. */
#ifndef XSAVE_HOST_H
#define XSAVE_HOST_H

#include <xsave/err.h>
#include <xsave/layout.h>

/*
 * Read CPUID leaf 0xD sub-leaves 0..63, the vendor, and XGETBV(0) when the OS
 * enabled XSAVE (CPUID.1:ECX.OSXSAVE).  -XS_EUNSUP when the CPU has no CPUID
 * leaf 0xD or no XSAVE.
 */
int xs_host_cpuid_d(struct xs_cpuid_d *c, struct xs_diag *d);

#endif
