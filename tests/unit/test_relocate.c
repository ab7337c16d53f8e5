// SPDX-License-Identifier: MIT
/*
 * The layout rule (include/xsave/relocate.h): which components a target
 * reads from other bytes, the image written again on its offsets byte for
 * byte, and the registers decoded from it equal to the input's.  Offsets are
 * the SDM's (Intel: opmask 1088, ZMM_Hi256 1152, Hi16_ZMM 1664, PKRU 2688)
 * and the APM's (AMD: 832, 896, 1408, 2432), written here as numbers, not
 * taken from lib/layout.c.
 */
#include <stdbool.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/diff.h>
#include <xsave/hostinfo.h>
#include <xsave/regs.h>
#include <xsave/relocate.h>
#include <xsave/rules.h>

#include "check.h"

#define AVX512_PKRU (XS_MASK_AVX512 | XS_BIT(XS_PKRU))
#define BV_INTEL 0x2e7u

struct place { unsigned bit; uint32_t intel, amd, size; };

static const struct place places[] = {
	{ XS_AVX, 576, 576, 256 },	   { XS_OPMASK, 1088, 832, 64 },
	{ XS_ZMM_HI256, 1152, 896, 512 }, { XS_HI16_ZMM, 1664, 1408, 1024 },
	{ XS_PKRU, 2688, 2432, 8 },
};
#define NPLACES (sizeof(places) / sizeof(places[0]))

/* Byte @j of component @bit's pattern: never zero, different per component. */
static uint8_t pat(unsigned bit, uint32_t j)
{
	return (uint8_t)(bit * 29 + j * 7 + 1) | 1;
}

/* An Intel-layout KVM_GET_XSAVE buffer (@size bytes) with every component of 0x2e7 live. */
static void intel_image(uint8_t *b, size_t size)
{
	memset(b, 0, size);
	t_put_le(b, XS_OFF_FCW, 0x37f, 2);
	t_put_le(b, XS_OFF_FTW, 0x81, 1);
	t_put_le(b, XS_OFF_MXCSR, 0x1fa0, 4);
	t_put_le(b, XS_OFF_MXCSR_MASK, 0xffff, 4);
	for (unsigned i = 0; i < 80; i++)
		b[XS_OFF_ST0 + (i / 10) * XS_ST_STRIDE + i % 10] = (uint8_t)(0x40 + i);
	for (unsigned i = 0; i < XS_XMM_BYTES; i++)
		b[XS_OFF_XMM0 + i] = (uint8_t)(i * 5 + 3);
	t_put_le(b, XS_OFF_SW, BV_INTEL, 8);
	t_put_le(b, XS_OFF_XSTATE_BV, BV_INTEL, 8);
	for (size_t k = 0; k < NPLACES; k++)
		for (uint32_t j = 0; j < places[k].size; j++)
			b[places[k].intel + j] = pat(places[k].bit, j);
}

static int parse(struct xs_state *st, uint8_t *b, size_t n, const struct xs_layout *l)
{
	struct xs_parse_opts po = { .force = l, .force_why = "test" };
	struct xs_diag d = { 0 };

	return xs_state_parse(st, b, n, &po, &d);
}

/* Do @a and @b decode to the same registers (xs_diff_states: none differ, same XSTATE_BV)? */
static bool same_registers(const struct xs_state *a, const struct xs_state *b)
{
	struct xs_diff df;
	bool same;

	if (xs_diff_states(a, b, 0, &df))
		return false;
	same = df.n == 0 && df.bv_only == 0 && df.ra.n == df.rb.n && df.ra.n > 40;
	xs_diff_free(&df);
	return same;
}

static void test_plan(const struct xs_state *st, const struct xs_layout *intel,
		      const struct xs_layout *amd)
{
	struct xs_relocation r;
	struct xs_check c;

	xs_relocation_plan(st, amd, BV_INTEL, &r);
	CHECK_U64(r.move, AVX512_PKRU,
		  "Intel image on the AMD layout: opmask zmm_hi256 hi16_zmm pkru move");
	CHECK(!r.layout_unknown && !r.vendor, "a layout given: nothing unknown");
	xs_relocation_plan(st, intel, BV_INTEL, &r);
	CHECK_U64(r.move, 0, "Intel image on the Intel layout: nothing moves");
	xs_relocation_plan(st, NULL, BV_INTEL, &r);
	CHECK_U64(r.vendor, AVX512_PKRU, "no layout: the AVX-512 and PKRU bytes are vendor-specific");
	CHECK(r.layout_unknown, "no layout: unknown");
	xs_relocation_plan(st, amd, BV_INTEL & ~XS_BIT(XS_PKRU), &r);
	CHECK_U64(r.move, XS_MASK_AVX512, "PKRU not kept: it does not move");

	xs_check_state(st, &(struct xs_target){ .xcr0 = BV_INTEL, .layout = amd }, &c);
	CHECK(c.verdict == XS_VERDICT_FIXABLE, "check on AMD: fixable (verdict %d)", c.verdict);
	CHECK_U64(c.relocate, AVX512_PKRU, "check on AMD: relocate");
	xs_check_state(st, &(struct xs_target){ .xcr0 = BV_INTEL, .layout = intel }, &c);
	CHECK(c.verdict == XS_VERDICT_OK && !c.relocate, "check on Intel: ok, nothing moves");
	xs_check_state(st, &(struct xs_target){ .xcr0 = BV_INTEL }, &c);
	CHECK(c.verdict == XS_VERDICT_INCOMPATIBLE && c.layout_unknown,
	      "check on a bare mask: incompatible, layout unknown");
	xs_check_state(st, &(struct xs_target){ .xcr0 = 0x7 }, &c);
	CHECK(!c.layout_unknown && !c.relocate,
	      "AVX-512 and PKRU not in the target: lost, not relocated or unknown");
}

/* The relocated image, byte for byte: legacy and header copied, each area at AMD's offset. */
static void test_bytes(const struct xs_state *st, const uint8_t *in, const struct xs_layout *amd)
{
	uint8_t out[XS_KVM_XSAVE_SIZE], want[XS_KVM_XSAVE_SIZE];
	struct xs_diag d = { 0 };
	size_t n = xs_relocated_size(st, amd, BV_INTEL);
	int rc;

	CHECK(n == XS_KVM_XSAVE_SIZE, "a 4096-byte buffer stays 4096 (got %zu)", n);
	memset(want, 0, sizeof(want));
	memcpy(want, in, XS_EXT_OFF);
	for (size_t k = 0; k < NPLACES; k++)
		memcpy(want + places[k].amd, in + places[k].intel, places[k].size);
	memset(out, 0xee, sizeof(out));
	rc = xs_relocate_image(st, amd, out, sizeof(out), &d);
	CHECK(rc == 0, "relocate: %s", rc ? d.msg : "ok");
	CHECK(!memcmp(out, want, sizeof(want)), "relocated image byte-exact");
	CHECK(out[2440] == 0 && out[2687] == 0 && out[2695] == 0,
	      "the Intel PKRU bytes are not left behind");
}

static void test_decode(const struct xs_state *st, const struct xs_layout *amd)
{
	static uint8_t out[XS_KVM_XSAVE_SIZE];
	struct xs_diag d = { 0 };
	struct xs_state rel;
	struct xs_relocation r;

	CHECK(xs_relocate_image(st, amd, out, sizeof(out), &d) == 0, "relocate again");
	CHECK(parse(&rel, out, sizeof(out), amd) == 0, "relocated image parses on AMD");
	CHECK(rel.off[XS_OPMASK] == 832 && rel.off[XS_PKRU] == 2432, "at AMD offsets");
	CHECK(same_registers(st, &rel), "registers on AMD equal the input's on Intel");
	xs_relocation_plan(&rel, amd, BV_INTEL, &r);
	CHECK_U64(r.move, 0, "the relocated image needs no further move");
}

/* A hardware-sized image becomes the target's standard size; errors. */
static void test_sizes_and_errors(const struct xs_layout *intel, const struct xs_layout *amd)
{
	static uint8_t hw[2696], out[4096];
	struct xs_diag d = { 0 };
	struct xs_relocation r;
	struct xs_state st;

	intel_image(hw, sizeof(hw));
	CHECK(parse(&st, hw, sizeof(hw), intel) == 0, "2696-byte Intel image parses");
	CHECK(xs_relocated_size(&st, amd, BV_INTEL) == 2440, "hardware size 2696 -> AMD 2440 (got %zu)",
	      xs_relocated_size(&st, amd, BV_INTEL));
	CHECK(xs_relocated_size(&st, amd, 0xe7) == 2432 && xs_relocated_size(&st, intel, 0x602e7) == 2696,
	      "the target's size for the image's XCR0 that the target has");
	CHECK(xs_relocate_image(&st, amd, out, 2432, &d) == -XS_ELAYOUT,
	      "PKRU past the end of a short buffer: -XS_ELAYOUT (%s)", d.msg);
	CHECK(xs_relocate_image(&st, amd, out, 2440, &d) == 0, "2440 bytes hold it");
	{
		struct xs_layout nopkru = *amd;
		uint64_t sw = 0;

		nopkru.placed &= ~XS_BIT(XS_PKRU);
		st.xstate_bv &= ~XS_BIT(XS_PKRU);	/* stripped by filter first */
		CHECK(xs_relocate_image(&st, &nopkru, out, 2432, &d) == 0, "no PKRU there: 2432 bytes");
		for (unsigned i = 0; i < 8; i++)
			sw |= (uint64_t)out[XS_OFF_SW + i] << (8 * i);
		CHECK_U64(sw, 0xe7, "the XCR0 at 464 loses the component the target has no area for");
		st.xstate_bv |= XS_BIT(XS_PKRU);
	}
	st.compacted = true;
	CHECK(xs_relocate_image(&st, amd, out, 2440, &d) == -XS_EINVAL, "compacted: -XS_EINVAL");
	xs_relocation_plan(&st, amd, BV_INTEL, &r);
	CHECK_U64(r.move, 0, "compacted: outside the rule");
	st.compacted = false;
	st.by_field = true;
	xs_relocation_plan(&st, NULL, BV_INTEL, &r);
	CHECK(!r.move && !r.layout_unknown, "by field (streams): outside the rule");
}

/*
 * Bytes that merely agree still move (only zero at both places counts as
 * the same), and a layout with no area for a kept component is unknown for it.
 */
static void test_equal_and_unplaced(const struct xs_layout *intel, const struct xs_layout *amd)
{
	static uint8_t b[XS_KVM_XSAVE_SIZE];
	struct xs_layout nopkru = *amd;
	struct xs_relocation r;
	struct xs_state st;

	intel_image(b, sizeof(b));
	memcpy(b + 2432, b + 2688, 8);		/* Hi16_ZMM bytes equal to PKRU's there */
	CHECK(parse(&st, b, sizeof(b), intel) == 0, "image parses");
	xs_relocation_plan(&st, amd, XS_BIT(XS_PKRU), &r);
	CHECK_U64(r.move, XS_BIT(XS_PKRU), "equal non-zero bytes at the AMD offset: PKRU still moves");
	nopkru.placed &= ~XS_BIT(XS_PKRU);
	xs_relocation_plan(&st, &nopkru, BV_INTEL, &r);
	CHECK(r.layout_unknown && r.vendor == XS_BIT(XS_PKRU) && r.move == XS_MASK_AVX512,
	      "no PKRU area in the target's layout: unknown for PKRU, AVX-512 moves");
}

/* AVX-512 and PKRU zero everywhere: both layouts read the same, nothing is vendor-specific. */
static void test_zero_areas(const struct xs_layout *intel)
{
	static uint8_t b[XS_KVM_XSAVE_SIZE];
	struct xs_state st;
	struct xs_relocation r;

	intel_image(b, sizeof(b));
	memset(b + XS_EXT_OFF + 256, 0, sizeof(b) - XS_EXT_OFF - 256);
	CHECK(parse(&st, b, sizeof(b), intel) == 0, "zeroed image parses");
	xs_relocation_plan(&st, NULL, BV_INTEL, &r);
	CHECK(!r.layout_unknown && !r.vendor, "zero areas: not vendor-specific");
}

/* The real Zen 4 KVM_GET_XSAVE on the Emerald Rapids layout (CPUID recorded there). */
static void test_zen4_on_emr(void)
{
	size_t n, cn;
	unsigned char *img = t_load("amd-zen4/kvm-get-xsave.bin", &n);
	unsigned char *txt = t_load("cpuid-intel-emr.txt", &cn);
	static struct xs_hostinfo h;
	struct xs_layout emr;
	struct xs_parse_opts po = { 0 };
	struct xs_diag d = { 0 };
	struct xs_state st, rel;
	struct xs_relocation r;
	uint8_t *out;
	size_t on;

	CHECK(xs_hostinfo_parse((char *)txt, cn, &h, &d) == 0 &&
	      xs_layout_from_cpuid(&h.d, "emr", &emr, &d) == 0, "EMR layout from its CPUID");
	CHECK(xs_state_parse(&st, img, n, &po, &d) == 0, "Zen 4 dump parses (%s)", st.layout.name);
	xs_relocation_plan(&st, &emr, st.xstate_bv, &r);
	CHECK_U64(r.move, XS_MASK_AVX512, "Zen 4 on EMR: the AVX-512 components move");
	on = xs_relocated_size(&st, &emr, 0x602e7);
	CHECK(on == XS_KVM_XSAVE_SIZE, "stays 4096: EMR's size for 0xe7 is 2688 (got %zu)", on);
	out = calloc(1, on);
	CHECK(xs_relocate_image(&st, &emr, out, on, &d) == 0, "relocated to EMR");
	CHECK(out[1088] == st.img[832] && out[1152] == st.img[896] && out[1664] == st.img[1408],
	      "opmask, ZMM_Hi256, Hi16_ZMM at 1088, 1152, 1664");
	CHECK(parse(&rel, out, on, &emr) == 0, "relocated image parses on EMR");
	CHECK(same_registers(&st, &rel), "registers on EMR equal the dump's on AMD");
	free(out);
	free(img);
	free(txt);
}

int main(void)
{
	static uint8_t in[XS_KVM_XSAVE_SIZE];
	struct xs_layout intel, amd;
	struct xs_state st;

	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	xs_layout_builtin(XS_VENDOR_AMD, &amd);
	intel_image(in, sizeof(in));
	CHECK(parse(&st, in, sizeof(in), &intel) == 0, "synthetic Intel 4096 image parses");
	CHECK(st.off[XS_OPMASK] == 1088 && st.off[XS_PKRU] == 2688, "at Intel offsets");
	test_plan(&st, &intel, &amd);
	test_bytes(&st, in, &amd);
	test_decode(&st, &amd);
	test_sizes_and_errors(&intel, &amd);
	test_zero_areas(&intel);
	test_equal_and_unplaced(&intel, &amd);
	test_zen4_on_emr();
	return t_done("relocate");
}
