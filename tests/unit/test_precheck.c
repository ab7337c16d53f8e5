// SPDX-License-Identifier: MIT
/*
 * The pre-check of a live migration (lib/precheck.c): CPUID feature bits to
 * components, the guest XCR0, and every outcome against each source and
 * destination kernel class, with exact masks.
 */
#include <stdbool.h>
#include <string.h>

#include <xsave/precheck.h>

#include "check.h"

#define EMR 0x2e7ull		/* the recorded Emerald Rapids host's KVM target mask */
#define BDW 0x7ull		/* Broadwell */
#define AMX_HOST 0x602e7ull	/* a KVM that hands out AMX */

static uint64_t comps_of(uint32_t leaf, uint32_t sub, enum xs_cpuid_reg reg, uint32_t bits,
			 bool *xsave)
{
	uint64_t c = 0;

	*xsave = false;
	xs_cpuid_components(leaf, sub, reg, bits, &c, xsave);
	return c;
}

static void test_features(void)
{
	bool x;

	CHECK_U64(comps_of(1, 0, XS_REG_ECX, 1u << 28, &x), XS_BIT(XS_AVX), "avx (1.ecx[28])");
	CHECK(!x, "avx is not xsave");
	CHECK_U64(comps_of(1, 0, XS_REG_ECX, 1u << 26, &x), 0, "xsave gives no component");
	CHECK(x, "xsave (1.ecx[26]) is xsave");
	CHECK_U64(comps_of(1, 5, XS_REG_ECX, 1u << 28, &x), XS_BIT(XS_AVX),
		  "leaf 1 ignores the sub-leaf a map gives");
	CHECK_U64(comps_of(7, 0, XS_REG_EBX, 1u << 14, &x), 0x18, "mpx (7.ebx[14])");
	CHECK_U64(comps_of(7, 0, XS_REG_EBX, 1u << 16, &x), 0xe0, "avx512f (7.ebx[16])");
	CHECK_U64(comps_of(7, 0, XS_REG_EBX, 1u << 30, &x), 0, "avx512bw enables nothing itself");
	CHECK_U64(comps_of(7, 0, XS_REG_ECX, 1u << 3, &x), 0x200, "pku (7.ecx[3])");
	CHECK_U64(comps_of(7, 0, XS_REG_ECX, 1u << 4, &x), 0, "ospke enables nothing");
	CHECK_U64(comps_of(7, 0, XS_REG_EDX, 1u << 24, &x), 0x60000, "amx-tile (7.edx[24])");
	CHECK_U64(comps_of(7, 0, XS_REG_EDX, 1u << 22, &x), 0, "amx-bf16 enables nothing itself");
	CHECK_U64(comps_of(7, 1, XS_REG_EDX, 1u << 21, &x), 0x80000, "apx_f (7.1.edx[21])");
	CHECK_U64(comps_of(7, 0, XS_REG_EDX, 1u << 21, &x), 0, "7.0.edx[21] is not apx");
	CHECK_U64(comps_of(0xd, 1, XS_REG_EAX, 0x10, &x), 0, "xfd enables nothing");
}

static void test_guest_xcr0(void)
{
	CHECK_U64(xs_guest_xcr0(false, 0x2e4), 0x3, "without xsave: x87 and sse only");
	CHECK_U64(xs_guest_xcr0(true, 0), 0x3, "xsave alone");
	CHECK_U64(xs_guest_xcr0(true, 0x2e4), 0x2e7, "avx, avx-512, pkru");
	CHECK_U64(xs_guest_xcr0(true, 0xe0), 0x3, "avx-512 without avx: XSETBV refuses it");
	CHECK_U64(xs_guest_xcr0(true, XS_BIT(40) | 0x4), 0x7, "bits no CPU defines are dropped");
}

static void pre(uint64_t guest, uint64_t sx, enum xs_dest_kernel sk, uint64_t dx,
		enum xs_dest_kernel dk, unsigned q, struct xs_migration *m)
{
	struct xs_source s = { .xcr0 = sx, .kernel = sk };
	struct xs_target t = { .xcr0 = dx, .kernel = dk, .qemu_version = q };

	xs_precheck(guest, &s, &t, m);
}

static void test_outcomes(void)
{
	struct xs_migration m;

	/* The bug: a Broadwell guest leaked onto by a 5.16 EMR, to a needs-patch EMR. */
	pre(BDW, EMR, XS_DK_LEAKS, EMR, XS_DK_NEEDS_PATCH, 70219, &m);
	CHECK(m.outcome == XS_MIG_REFUSED, "leaks -> needs-patch: refused");
	CHECK_U64(m.sent, EMR, "sent: the guest's and the host's components");
	CHECK_U64(m.leaked, 0x2e0, "leaked: avx-512 and pkru");
	CHECK_U64(m.refused, 0x2e0, "refused: every leaked component");
	CHECK_U64(m.by_kernel, 0x2e0, "... by the kernel rule");
	CHECK_U64(m.lacks, 0, "nothing lacking");
	CHECK(strstr(m.check.refusal, "needs-patch") != NULL, "the refusal names the class");
	/* The same to a fixed kernel: loads. */
	pre(BDW, EMR, XS_DK_LEAKS, EMR, XS_DK_FIXED, 0, &m);
	CHECK(m.outcome == XS_MIG_LOADS, "leaks -> fixed: loads");
	CHECK_U64(m.leaked, 0x2e0, "... the leak included");
	/* pre-5.16 and leaks destinations load it too; unknown and inconclusive refuse. */
	pre(BDW, EMR, XS_DK_LEAKS, EMR, XS_DK_PRE_5_16, 0, &m);
	CHECK(m.outcome == XS_MIG_LOADS, "leaks -> pre-5.16: loads");
	pre(BDW, EMR, XS_DK_LEAKS, EMR, XS_DK_LEAKS, 0, &m);
	CHECK(m.outcome == XS_MIG_LOADS, "leaks -> leaks: loads");
	pre(BDW, EMR, XS_DK_LEAKS, EMR, XS_DK_UNKNOWN, 0, &m);
	CHECK(m.outcome == XS_MIG_REFUSED, "leaks -> unknown: refused");
	pre(BDW, EMR, XS_DK_LEAKS, EMR, XS_DK_INCONCLUSIVE, 0, &m);
	CHECK(m.outcome == XS_MIG_REFUSED, "leaks -> inconclusive: refused");
	/* Outside the destination's XCR0: every kernel refuses, none by its class. */
	pre(BDW, EMR, XS_DK_LEAKS, BDW, XS_DK_FIXED, 0, &m);
	CHECK(m.outcome == XS_MIG_REFUSED, "leaks -> a fixed Broadwell: refused");
	CHECK_U64(m.refused, 0x2e0, "... avx-512 and pkru");
	CHECK_U64(m.by_kernel, 0, "... not by the kernel rule");
	/* Sources that do not leak; an unknown one is judged as leaking. */
	pre(BDW, EMR, XS_DK_FIXED, EMR, XS_DK_NEEDS_PATCH, 0, &m);
	CHECK(m.outcome == XS_MIG_LOADS && !m.leaks && m.sent == BDW, "fixed source: loads");
	pre(BDW, EMR, XS_DK_NEEDS_PATCH, EMR, XS_DK_NEEDS_PATCH, 0, &m);
	CHECK(m.outcome == XS_MIG_LOADS && !m.leaks, "needs-patch source: no leak");
	pre(BDW, EMR, XS_DK_PRE_5_16, EMR, XS_DK_NEEDS_PATCH, 0, &m);
	CHECK(m.outcome == XS_MIG_LOADS && !m.leaks, "pre-5.16 source: no leak");
	pre(BDW, EMR, XS_DK_UNKNOWN, EMR, XS_DK_NEEDS_PATCH, 0, &m);
	CHECK(m.outcome == XS_MIG_REFUSED && m.leaks, "unknown source: judged as leaking");
	pre(BDW, EMR, XS_DK_INCONCLUSIVE, EMR, XS_DK_NEEDS_PATCH, 0, &m);
	CHECK(m.outcome == XS_MIG_REFUSED && m.leaks, "inconclusive source: judged as leaking");
	/* The destination lacks what the guest uses: no strip helps. */
	pre(EMR, EMR, XS_DK_FIXED, BDW, XS_DK_FIXED, 0, &m);
	CHECK(m.outcome == XS_MIG_LACKS, "avx-512/pkru guest to Broadwell: lacks");
	CHECK_U64(m.lacks, 0x2e0, "... avx-512 and pkru");
	pre(0x207, EMR, XS_DK_LEAKS, BDW, XS_DK_FIXED, 0, &m);
	CHECK(m.outcome == XS_MIG_LACKS, "lacks outranks refused");
	CHECK_U64(m.lacks, 0x200, "... pkru lacking");
	CHECK_U64(m.refused, 0xe0, "... avx-512 refused");
	/* A guest CPU the source cannot give. */
	pre(0x21f, EMR, XS_DK_FIXED, EMR, XS_DK_FIXED, 0, &m);
	CHECK(m.outcome == XS_MIG_NOT_ON_SOURCE, "mpx guest on an EMR source: not-on-source");
	CHECK_U64(m.not_on_source, 0x18, "... bndregs bndcsr");
	CHECK_U64(m.guest, 0x207, "... judged without them");
	/* AMX tile data leaks only to a guest with AMX. */
	pre(BDW, AMX_HOST, XS_DK_LEAKS, AMX_HOST, XS_DK_NEEDS_PATCH, 0, &m);
	CHECK_U64(m.leaked, 0x202e0, "tile data is not leaked to a guest without AMX");
	pre(AMX_HOST, AMX_HOST, XS_DK_LEAKS, AMX_HOST, XS_DK_NEEDS_PATCH, 0, &m);
	CHECK(m.outcome == XS_MIG_LOADS && m.leaked == 0, "an AMX guest: nothing leaked");
	CHECK(xs_source_leaks(XS_DK_LEAKS) && xs_source_leaks(XS_DK_UNKNOWN) &&
	      xs_source_leaks(XS_DK_INCONCLUSIVE) && !xs_source_leaks(XS_DK_FIXED) &&
	      !xs_source_leaks(XS_DK_NEEDS_PATCH) && !xs_source_leaks(XS_DK_PRE_5_16),
	      "which source kernels leak");
	CHECK(!strcmp(xs_mig_outcome_name(XS_MIG_LOADS), "loads") &&
	      !strcmp(xs_mig_outcome_name(XS_MIG_REFUSED), "refused") &&
	      !strcmp(xs_mig_outcome_name(XS_MIG_LACKS), "lacks") &&
	      !strcmp(xs_mig_outcome_name(XS_MIG_NOT_ON_SOURCE), "not-on-source"),
	      "outcome names");
}

int main(void)
{
	test_features();
	test_guest_xcr0();
	test_outcomes();
	return t_done("precheck");
}
