// SPDX-License-Identifier: MIT
/* Every check/filter rule, on small images built here from the SDM layout. */
#include <stdbool.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/rules.h>

#include "check.h"

#define SIZE 2696	/* Intel standard size with AVX-512 and PKRU */
static uint8_t img[SIZE];
static const struct xs_parse_opts no_host = { 0 };

static void put(size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

/* x87/SSE/AVX with data, PKRU (Intel 2688) = pkru, XCR0 at 464 = 0x2e7. */
static void build(uint64_t bv, uint32_t pkru)
{
	memset(img, 0, sizeof(img));
	put(0, 0x037f, 2);
	put(24, 0x1f80, 4);
	put(28, 0xffff, 4);
	img[160] = 1;	/* xmm0 */
	img[576] = 2;	/* ymm0 high */
	put(464, 0x2e7, 8);
	put(512, bv, 8);
	put(2688, pkru, 4);
}

static void judge(struct xs_state *st, struct xs_check *c, uint64_t target, bool guest,
		  uint64_t g)
{
	struct xs_diag d;

	if (xs_state_parse(st, img, SIZE, &no_host, &d))
		printf("# parse failed: %s\n", d.msg);
	st->guest_known = guest;
	st->guest_xcr0 = g;
	xs_check_state(st, &(struct xs_target){ .xcr0 = target }, c);
}

static const struct xs_bit_check *bit(const struct xs_check *c, unsigned b)
{
	for (unsigned i = 0; i < c->nbits; i++)
		if (c->bits[i].bit == b)
			return &c->bits[i];
	return NULL;
}

static void rules(void)
{
	struct xs_state st;
	struct xs_check c;

	build(0x207, 0x55555554);
	judge(&st, &c, 0x7, false, 0);
	CHECK(c.verdict == XS_VERDICT_INCOMPATIBLE && c.lose == 0x200 && c.strip == 0,
	      "live PKRU, guest XCR0 unknown: incompatible");
	CHECK(bit(&c, 9) && bit(&c, 9)->action == XS_ACT_LOSE, "pkru action lose");
	CHECK(bit(&c, 0)->action == XS_ACT_KEEP && bit(&c, 2)->action == XS_ACT_KEEP, "keep x87/avx");

	judge(&st, &c, 0x7, true, 0x7);
	CHECK(c.verdict == XS_VERDICT_FIXABLE && c.strip == 0x200 && c.lose == 0,
	      "PKRU not in guest XCR0: strip, fixable");
	CHECK(strstr(bit(&c, 9)->reason, "guest never enabled") != NULL, "reason names the guest");

	build(0x207, 0);
	judge(&st, &c, 0x7, false, 0);
	CHECK(c.verdict == XS_VERDICT_FIXABLE && c.strip == 0x200, "PKRU at init value: strip");
	CHECK(strstr(bit(&c, 9)->reason, "init value") != NULL, "reason names the init value");

	build(0x7, 0);
	judge(&st, &c, 0x7, true, 0x207);
	CHECK(c.verdict == XS_VERDICT_INCOMPATIBLE && c.guest_outside == 0x200,
	      "guest XCR0 has PKRU, target lacks it: incompatible");

	judge(&st, &c, 0x207, false, 0);
	CHECK(c.verdict == XS_VERDICT_OK && c.strip == 0 && c.fix == 0, "subset of target: ok");

	build(0x7, 0);
	put(24, 0x11f80, 4);
	judge(&st, &c, 0x7, false, 0);
	CHECK(c.verdict == XS_VERDICT_INCOMPATIBLE && c.bad == XS_PROB_MXCSR,
	      "MXCSR bit 16 outside MXCSR_MASK 0xffff: incompatible");
	put(28, 0x2ffff, 4);
	put(24, 0x21f80, 4);
	judge(&st, &c, 0x7, false, 0);
	CHECK(c.verdict == XS_VERDICT_OK, "MXCSR bit 17 allowed by an AMD MXCSR_MASK 0x2ffff");
	put(28, 0, 4);
	put(24, 0x1fc0, 4);
	judge(&st, &c, 0x7, false, 0);
	CHECK(c.verdict == XS_VERDICT_OK,
	      "image MXCSR_MASK 0 is unrecorded (gdb gcore writes 0): DAZ is not judged reserved");
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 7, .have_mxcsr_mask = true }, &c);
	CHECK(c.verdict == XS_VERDICT_INCOMPATIBLE && c.bad == XS_PROB_MXCSR,
	      "a target whose FXSAVE reports MXCSR_MASK 0 means 0xffbf: DAZ is reserved there");

	build(0x7, 0);
	put(520, 0x7, 8);
	judge(&st, &c, 0x7, false, 0);
	CHECK(c.verdict == XS_VERDICT_FIXABLE && c.fix == XS_PROB_XCOMP_STD,
	      "XCOMP_BV in a standard image: fixable");
	build(0x7, 0);
	img[560] = 1;
	judge(&st, &c, 0x7, false, 0);
	CHECK(c.verdict == XS_VERDICT_FIXABLE && c.fix == XS_PROB_RESERVED,
	      "reserved header byte: fixable");
}

static void filters(void)
{
	struct xs_state st;
	struct xs_check c;
	uint64_t cleared = 0;
	uint8_t before[SIZE];

	build(0x207, 0x55555554);
	judge(&st, &c, 0x7, true, 0x7);
	CHECK(xs_filter_apply(&st, &c, false, &cleared) == 0 && cleared == 0x200, "strip PKRU");
	CHECK(img[512] == 0x07 && img[513] == 0 && img[2688] == 0 && img[2691] == 0,
	      "XSTATE_BV cleared and PKRU area zeroed");
	judge(&st, &c, 0x7, true, 0x7);
	CHECK(c.verdict == XS_VERDICT_OK, "filtered image loads as is");

	build(0x207, 0x55555554);
	memcpy(before, img, SIZE);
	judge(&st, &c, 0x207, false, 0);
	CHECK(xs_filter_apply(&st, &c, false, &cleared) == 0 && cleared == 0 &&
	      !memcmp(before, img, SIZE), "target = XSTATE_BV: byte-identical");

	build(0x207, 0x55555554);
	judge(&st, &c, 0x7, false, 0);
	CHECK(xs_filter_apply(&st, &c, true, &cleared) == 0 && cleared == 0x200 && img[2688] == 0,
	      "--force strips live state");

	build(0x7, 0);
	put(520, 0x7, 8);
	img[560] = 9;
	judge(&st, &c, 0x7, false, 0);
	CHECK(xs_filter_apply(&st, &c, false, &cleared) == 0 && img[520] == 0 && img[560] == 0,
	      "header fixed: XCOMP_BV and reserved bytes zeroed");
}

static void compacted_supervisor(void)
{
	struct xs_state st;
	struct xs_check c;
	struct xs_diag d;

	/* XCOMP_BV = bit63 | CET_U | AVX | FP | SSE: CET_U at 576+256 = 832, 16 bytes. */
	memset(img, 0, sizeof(img));
	put(0, 0x037f, 2);
	put(24, 0x1f80, 4);
	put(512, 0x807, 8);
	put(520, 0x8000000000000807ULL, 8);
	CHECK(xs_state_parse(&st, img, 848, &no_host, &d) == 0 && st.compacted &&
	      st.off[XS_CET_U] == 832 && st.len[XS_CET_U] == 16, "compacted CET_U at 832");
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x7 }, &c);
	CHECK(c.verdict == XS_VERDICT_FIXABLE && c.strip == 0x800, "supervisor at init: strip");
	img[840] = 1;
	CHECK(xs_state_parse(&st, img, 848, &no_host, &d) == 0, "reparse");
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x7 | 0x800 }, &c);
	CHECK(c.verdict == XS_VERDICT_INCOMPATIBLE && c.lose == 0x800,
	      "live supervisor state: incompatible even if the mask names it");
	CHECK(xs_state_parse(&st, img, 847, &no_host, &d) == -XS_ETRUNC, "compacted truncated");
}

static void unmaintained(void)
{
	struct xs_state st;
	struct xs_check c;

	build(0x0, 0x55555554);		/* TCG: XSTATE_BV 0, registers hold data */
	judge(&st, &c, 0x7, true, 0x207);
	st.bv_unmaintained = true;
	st.by_field = true;		/* as xs_qcpu_state_facts says of every stream state */
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x7 }, &c);
	CHECK(c.verdict == XS_VERDICT_INCOMPATIBLE && c.lose == 0x200,
	      "unmaintained XSTATE_BV: judged by the guest XCR0, live PKRU would be lost");

	/* A target that loads everything: still fixable, XSTATE_BV must be set. */
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x207 }, &c);
	CHECK(c.verdict == XS_VERDICT_FIXABLE && c.bv_rebuild && c.bv_data == 0x206 && !c.strip,
	      "TCG state on a target that has everything: fixable, XSTATE_BV from data 0x%llx",
	      (unsigned long long)c.bv_data);
	uint64_t cleared = 1;
	CHECK(xs_filter_apply(&st, &c, false, &cleared) == 0 && st.xstate_bv == 0x206 &&
	      !st.bv_unmaintained && cleared == 0 && img[512] == 0x06 && img[513] == 0x02,
	      "filter writes XSTATE_BV 0x206 (x87 at init: FCW 0x37f only) into the image");

	/* Components at init stay out; MXCSR alone keeps SSE in. */
	build(0x0, 0);
	img[160] = 0;
	put(24, 0x9fc0, 4);
	judge(&st, &c, 0x207, true, 0x207);
	st.bv_unmaintained = true;
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x207 }, &c);
	CHECK_U64(c.bv_data, 0x6, "x87 (FCW only) and PKRU 0 at init; SSE by MXCSR 0x9fc0, AVX data");
	CHECK_U64(xs_state_data_mask(&st), 0x6, "xs_state_data_mask");
	st.guest_xcr0 = 0x3;
	CHECK_U64(xs_state_data_mask(&st), 0x2, "data outside the guest XCR0 does not count");
}

static void xcr0_rules(void)
{
	static const struct {
		uint64_t xcr0;
		bool ok;
	} cases[] = {
		{ 0x1, true }, { 0x3, true }, { 0x7, true }, { 0x1f, true }, { 0x2e7, true },
		{ 0x602e7, true }, { 0x802e7, true }, { 0x6, false }, { 0x5, false },
		{ 0xf, false }, { 0x17, false }, { 0x27, false }, { 0x67, false }, { 0xe3, false },
		{ 0x20007, false }, { 0x40007, false },
	};
	int wrong = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[96] = "";
		bool ok = xs_xcr0_valid(cases[i].xcr0, why, sizeof(why));

		if (ok != cases[i].ok || (!ok && !why[0])) {
			printf("# XCR0 0x%llx: %s\n", (unsigned long long)cases[i].xcr0,
			       ok ? "accepted" : why);
			wrong++;
		}
	}
	CHECK(wrong == 0, "XSETBV rules on 16 XCR0 values (%d wrong)", wrong);
}

int main(void)
{
	rules();
	filters();
	compacted_supervisor();
	unmaintained();
	xcr0_rules();
	return t_done("test_rules");
}
