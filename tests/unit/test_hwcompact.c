// SPDX-License-Identifier: MIT
/*
 * Real producer for the compacted format: this CPU writes the same live
 * register state with XSAVE (standard) and XSAVEC (compacted, XCOMP_BV =
 * bit 63 | RFBM); both images must decode to identical registers, and the
 * compacted one must hold XCOMP_BV = bit 63 | XCR0.  Skipped (visibly) on CPUs
 * without XSAVEC or AVX, or where the OS has not enabled XSAVE.
 */
#include <cpuid.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/diff.h>

#include "check.h"

static uint8_t std_img[16384] __attribute__((aligned(64)));
static uint8_t cmp_img[16384] __attribute__((aligned(64)));
static uint8_t pat[16][32] __attribute__((aligned(32)));

int main(void)
{
	unsigned a, b, c, d;
	uint32_t lo, hi;

	if (!__get_cpuid_count(1, 0, &a, &b, &c, &d) || !(c & (1u << 27)) || !(c & (1u << 28)) ||
	    !__get_cpuid_count(0xd, 1, &a, &b, &c, &d) || !(a & 2)) {
		printf("ok 1 # SKIP this CPU lacks OSXSAVE, AVX or XSAVEC\n");
		return t_done("test_hwcompact");
	}
	__get_cpuid_count(0xd, 0, &a, &b, &c, &d);
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	uint64_t xcr0 = lo | (uint64_t)hi << 32;
	for (unsigned i = 0; i < 16; i++)
		for (unsigned j = 0; j < 32; j++)
			pat[i][j] = (uint8_t)(i * 37 + j * 3 + 1);
	/* Load the pattern into YMM0-3, then save with both instructions back to back. */
	__asm__ volatile("vmovdqa 0(%2), %%ymm0\n\tvmovdqa 32(%2), %%ymm1\n\t"
			 "vmovdqa 64(%2), %%ymm2\n\tvmovdqa 96(%2), %%ymm3\n\t"
			 "xsave64 (%0)\n\txsavec64 (%1)"
			 :
			 : "r"(std_img), "r"(cmp_img), "r"(pat), "a"(lo), "d"(hi)
			 : "memory", "xmm0", "xmm1", "xmm2", "xmm3");
	struct xs_parse_opts po = { 0 };
	struct xs_state s1, s2;
	struct xs_diag dg = { 0 };
	struct xs_diff df;

	CHECK(b <= sizeof(std_img), "standard size %u fits the buffer", b);
	CHECK(xs_state_parse(&s1, std_img, b, &po, &dg) == 0, "XSAVE image parses: %s",
	      dg.msg);
	CHECK(xs_state_parse(&s2, cmp_img, b, &po, &dg) == 0, "XSAVEC image parses: %s",
	      dg.msg);
	CHECK(!s1.compacted && s2.compacted, "formats: standard and compacted");
	CHECK_U64(s2.xcomp_bv, XS_XCOMP_COMPACTED | xcr0, "XSAVEC's XCOMP_BV is bit 63 | XCR0");
	CHECK(xs_diff_states(&s1, &s2, 0, &df) == 0 && df.n == 0,
	      "XSAVE and XSAVEC of the same state decode to the same registers (%zu differ)",
	      df.n);
	const struct xs_reg *y1 = xs_regset_find(&df.rb, "ymm1");
	CHECK(y1 && y1->v[16] == 0x56 && y1->v[0] == 0x26, "ymm1 holds the pattern");
	xs_diff_free(&df);
	return t_done("test_hwcompact");
}
