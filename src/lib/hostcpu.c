// SPDX-License-Identifier: MIT
/* CPUID leaf 0xD through libcpuid (cpu_exec_cpuid_ext for the sub-leaves) and XGETBV. */
#include <string.h>

#include <libcpuid.h>

#include <xsave/host.h>

#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	r[0] = leaf;
	r[1] = 0;
	r[2] = sub;
	r[3] = 0;
	cpu_exec_cpuid_ext(r);
}

static uint64_t xgetbv(uint32_t index)
{
#if defined(__x86_64__) || defined(__i386__)
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return lo | (uint64_t)hi << 32;
#else
	(void)index;
	return 0;
#endif
}

int xs_host_cpuid_d(struct xs_cpuid_d *c, struct xs_diag *d)
{
	uint32_t r[4];

	memset(c, 0, sizeof(*c));
	if (!cpuid_present())
		return XS_FAIL(d, XS_EUNSUP, "this CPU has no CPUID instruction");
	cpuid(0, 0, r);
	memcpy(c->vendor, &r[1], 4);
	memcpy(c->vendor + 4, &r[3], 4);
	memcpy(c->vendor + 8, &r[2], 4);
	if (r[0] < 0xd)
		return XS_FAIL(d, XS_EUNSUP, "this CPU has no CPUID leaf 0xd (no XSAVE)");
	cpuid(1, 0, r);
	if (!(r[2] & CPUID1_ECX_XSAVE))
		return XS_FAIL(d, XS_EUNSUP, "this CPU has no XSAVE (CPUID.1:ECX[26] clear)");
	bool osxsave = r[2] & CPUID1_ECX_OSXSAVE;

	for (uint32_t i = 0; i < XS_NCOMP; i++) {
		cpuid(0xd, i, r);
		c->eax[i] = r[0];
		c->ebx[i] = r[1];
		c->ecx[i] = r[2];
		c->edx[i] = r[3];
		if (i < 2 || r[0] || r[1] || r[2] || r[3])
			c->valid |= XS_BIT(i);
	}
	if (osxsave) {
		c->xcr0 = xgetbv(0);
		c->have_xcr0 = true;
	}
	return 0;
}
