// SPDX-License-Identifier: MIT
/* Every check/filter rule, on small images built here from the SDM layout. */
#include <stdbool.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/profile.h>
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

/* The destination kernel's rule: bits the target has but the guest XCR0 lacks. */
static void kernel_rule(void)
{
	static const struct {
		enum xs_dest_kernel k;
		enum xs_verdict v;
	} cases[] = {
		{ XS_DK_UNKNOWN, XS_VERDICT_FIXABLE },	 { XS_DK_NEEDS_PATCH, XS_VERDICT_FIXABLE },
		{ XS_DK_INCONCLUSIVE, XS_VERDICT_FIXABLE }, { XS_DK_FIXED, XS_VERDICT_OK },
		{ XS_DK_LEAKS, XS_VERDICT_OK },		 { XS_DK_PRE_5_16, XS_VERDICT_OK },
	};
	struct xs_state st;
	struct xs_check c;
	struct xs_diag d;

	struct xs_layout intel;

	xs_layout_builtin(XS_VENDOR_INTEL, &intel);	/* the image's own: nothing moves */
	build(0x207, 0x55555554);
	if (xs_state_parse(&st, img, SIZE, &no_host, &d))
		printf("# parse failed: %s\n", d.msg);
	st.guest_known = true;
	st.guest_xcr0 = 0x7;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xs_target t = { .xcr0 = 0x2e7, .kernel = cases[i].k, .layout = &intel };

		xs_check_state(&st, &t, &c);
		CHECK(c.verdict == cases[i].v, "kernel %s: PKRU beyond the guest XCR0 is %s",
		      xs_dest_kernel_name(cases[i].k), xs_verdict_name(c.verdict));
		CHECK_U64(c.refused, cases[i].v == XS_VERDICT_OK ? 0 : 0x200, "refused bits");
		CHECK_U64(c.strip, cases[i].v == XS_VERDICT_OK ? 0 : 0x200, "stripped bits");
	}
	/* Without a guest XCR0 the leak cannot be told: the target loads it. */
	st.guest_known = false;
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x2e7, .layout = &intel }, &c);
	CHECK(c.verdict == XS_VERDICT_OK && !c.refused, "guest XCR0 unknown: ok");
	/* Supervisor and target-less bits keep their old rule. */
	st.guest_known = true;
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x7, .kernel = XS_DK_FIXED }, &c);
	CHECK(c.verdict == XS_VERDICT_FIXABLE && c.strip == 0x200 && !c.refused,
	      "beyond the target: stripped whatever the kernel, not counted as refused");
}

static void refusal_text(void)
{
	char buf[256];
	struct xs_target t = { .xcr0 = 0x2e7, .kernel = XS_DK_NEEDS_PATCH,
			       .kernel_release = "6.1.55",
			       .qemu_version = XS_QEMU_VERSION(7, 2, 19) };

	xs_target_refusal(&t, buf, sizeof(buf));
	CHECK(!strcmp(buf, "a needs-patch kernel (6.1.55) refuses it; QEMU 7.2 there resumes the "
			   "guest with its registers reset"), "refusal: %s", buf);
	t.qemu_version = XS_QEMU_VERSION(8, 2, 0);
	xs_target_refusal(&t, buf, sizeof(buf));
	CHECK(strstr(buf, "QEMU 8.2 there stops the load") != NULL, "QEMU 8.2 stops: %s", buf);
	t.qemu_version = XS_QEMU_VERSION(8, 1, 5);
	xs_target_refusal(&t, buf, sizeof(buf));
	CHECK(strstr(buf, "QEMU 8.1 there resumes") != NULL, "QEMU 8.1.5 resumes: %s", buf);
	xs_target_refusal(&(struct xs_target){ .xcr0 = 7 }, buf, sizeof(buf));
	CHECK(!strcmp(buf, "the destination kernel is unknown, and a needs-patch kernel refuses "
			   "it; QEMU before 8.2 then resumes the guest with its registers reset, "
			   "8.2 and later stop the load"), "unknown: %s", buf);
	xs_target_refusal(&t, buf, 12);
	CHECK(strlen(buf) == 11, "cut to the buffer: \"%s\"", buf);
}

static void qemu_versions(void)
{
	static const struct {
		const char *s;
		unsigned v;
	} cases[] = {
		{ "7.2", 70200 }, { "7.2.19", 70219 }, { "10.0.2", 100002 }, { "11.1", 110100 },
		{ "7", 0 },	  { "7.", 0 },	       { "7.2.1.4", 0 },       { "v7.2", 0 },
		{ "7.x", 0 },	  { "100.1", 0 },      { "", 0 },	       { "0.0", 0 },
	};
	int wrong = 0;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned v = 0;
		bool ok = xs_qemu_version_parse(cases[i].s, &v);

		if (ok != (cases[i].v != 0) || (ok && v != cases[i].v)) {
			printf("# \"%s\": %s %u\n", cases[i].s, ok ? "read" : "refused", v);
			wrong++;
		}
	}
	CHECK(wrong == 0, "QEMU versions on 12 strings (%d wrong)", wrong);
}

/* IA32_XFD-armed bits are stripped, even where the target loads them. */
static void xfd(void)
{
	struct xs_state st;
	struct xs_check c;
	struct xs_layout intel;

	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	judge(&st, &c, 0x2e7, true, 0x2e7);
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x2e7, .layout = &intel }, &c);
	CHECK(c.verdict == XS_VERDICT_OK, "PKRU in the guest XCR0, XFD unknown: ok");
	st.xfd_known = true;
	st.xfd = 0x200;
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x2e7, .kernel = XS_DK_FIXED,
						 .layout = &intel }, &c);
	CHECK(c.verdict == XS_VERDICT_FIXABLE && c.strip == 0x200 && c.xfd_armed == 0x200 &&
	      !c.lose, "XFD arms PKRU's bit: stripped losslessly");
}

/* Masks no CPU accepts as XCR0: the XSETBV rules, then bits that are no user component. */
static void xcr0_possible(void)
{
	static const struct {
		uint64_t xcr0;
		const char *why;	/* NULL: possible */
	} cases[] = {
		{ 0x7, NULL },
		{ 0xe02ff, NULL },
		{ 0x4000000000000007ull, NULL },	/* AMD's LWP */
		{ 0x4, "x87 (bit 0) must be set" },
		{ 0x27, "opmask, zmm_hi256 and hi16_zmm go together, with avx" },
		{ 0x8000000000000007ull, "bit63: reserved to extend XCR0, never a component" },
		{ 0x107, "pt: supervisor state (IA32_XSS), never in XCR0" },
		{ 0x1c07, "pasid cet_u cet_s: supervisor state (IA32_XSS), never in XCR0" },
		{ 0x100007, "bit20: no CPU defines this bit as an XCR0 component" },
		{ 0x8000000000300007ull, "bit20 bit21 bit63: no CPU defines these bits as an XCR0 component" },
	};
	int wrong = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[160] = "";
		bool ok = xs_xcr0_possible(cases[i].xcr0, why, sizeof(why));

		if (ok != !cases[i].why || (!ok && strcmp(why, cases[i].why))) {
			printf("# XCR0 0x%llx: %s\n", (unsigned long long)cases[i].xcr0,
			       ok ? "accepted" : why);
			wrong++;
		}
	}
	CHECK(wrong == 0, "XCR0 masks some CPU could hold, and the rule each other breaks (%d wrong)",
	      wrong);
	CHECK(!xs_xcr0_possible(0x8000000000000007ull, NULL, 0), "why may be NULL");
}

int main(void)
{
	rules();
	filters();
	compacted_supervisor();
	unmaintained();
	xcr0_rules();
	kernel_rule();
	refusal_text();
	qemu_versions();
	xfd();
	xcr0_possible();
	return t_done("test_rules");
}
