// SPDX-License-Identifier: MIT
/*
 * The register list of xs_regs_decode(): which registers exist for which
 * located components, in which order, with which component, width and kind,
 * and where each takes its bytes from.  The images are synthetic: every byte
 * outside the header holds a pattern of its offset, so a register that reads
 * the wrong slot shows.  The digests pin the whole list (names, kinds,
 * components, widths, stored flags, values) to what the hand-written decoder
 * produced before the register classes became a table.
 */
#include <stdbool.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/regs.h>
#include <xsave/internal.h>

#include "check.h"

#define IMG_SIZE 16384
#define OFF_FSW 2
#define OFF_FTW 4
#define OFF_FOP 6
#define OFF_FIP 8
#define OFF_FDP 16
#define MXCSR_SET 0x9fc0u

static uint8_t img[IMG_SIZE];
static const struct xs_parse_opts no_host = { 0 };

/* Pattern everywhere, then a valid header, MXCSR and no software bytes. */
static void build(uint64_t xcomp_bv, uint64_t xstate_bv)
{
	for (size_t i = 0; i < IMG_SIZE; i++)
		img[i] = (uint8_t)(i * 7 + i / 251 + 3);
	memset(img + XS_OFF_SW, 0, XS_SW_SIZE);
	memset(img + XS_HDR_OFF, 0, XS_HDR_SIZE);
	t_put_le(img, XS_OFF_XSTATE_BV, xstate_bv, 8);
	t_put_le(img, XS_OFF_XCOMP_BV, xcomp_bv, 8);
	t_put_le(img, XS_OFF_MXCSR, MXCSR_SET, 4);
	t_put_le(img, XS_OFF_MXCSR_MASK, 0xffff, 4);
}

static bool decode(uint64_t xcomp_bv, uint64_t xstate_bv, struct xs_state *st,
		   struct xs_regset *set, const char *what)
{
	struct xs_diag d = { 0 };
	bool ok;

	build(xcomp_bv, xstate_bv);
	ok = xs_state_parse(st, img, IMG_SIZE, &no_host, &d) == 0 && xs_regs_decode(st, set) == 0;
	CHECK(ok, "%s: parses and decodes (%s)", what, d.msg);
	return ok;
}

static uint64_t digest(const struct xs_regset *set)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < set->n; i++) {
		const struct xs_reg *r = &set->r[i];
		uint8_t meta[5] = { r->kind, r->comp, (uint8_t)r->width, (uint8_t)(r->width >> 8),
				    r->stored };

		for (size_t j = 0; j <= strlen(r->name); j++)
			h = (h ^ (uint8_t)r->name[j]) * 0x100000001b3ull;
		for (size_t j = 0; j < sizeof(meta); j++)
			h = (h ^ meta[j]) * 0x100000001b3ull;
		for (size_t j = 0; j < r->width; j++)
			h = (h ^ r->v[j]) * 0x100000001b3ull;
	}
	return h;
}

static void names(const struct xs_regset *set, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < set->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "", set->r[i].name);
}

/* Register @name: width @width, component @comp, kind @kind, stored as @stored. */
static const struct xs_reg *reg(const struct xs_regset *set, const char *name, unsigned width,
				unsigned comp, enum xs_reg_kind kind, bool stored)
{
	const struct xs_reg *r = xs_regset_find(set, name);

	CHECK(r && r->width == width && r->comp == comp && r->kind == kind &&
	      r->stored == stored, "%s: width %u, component %u, kind %d, stored %d", name, width,
	      comp, kind, stored);
	return r;
}

/* Bytes @at..@at+@n of @r equal the image at @off. */
static void from(const struct xs_reg *r, unsigned at, size_t off, unsigned n)
{
	CHECK(r && !memcmp(r->v + at, img + off, n), "%s bytes %u..%u come from image offset %zu",
	      r ? r->name : "?", at, at + n - 1, off);
}

static uint64_t le(size_t off, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)img[off + i] << (8 * i);
	return v;
}

static void x87_live(const struct xs_regset *set)
{
	uint8_t st[8][10];

	for (unsigned i = 0; i < 8; i++)
		memcpy(st[i], img + XS_OFF_ST0 + XS_ST_STRIDE * i, 10);
	CHECK_U64(xs_reg_u64(reg(set, "fcw", 2, XS_X87, XS_REG_INT, true)), le(XS_OFF_FCW, 2), "fcw");
	CHECK_U64(xs_reg_u64(reg(set, "fsw", 2, XS_X87, XS_REG_INT, true)), le(OFF_FSW, 2), "fsw");
	CHECK_U64(xs_reg_u64(reg(set, "ftw", 2, XS_X87, XS_REG_INT, true)),
		  xs_x87_full_tag(img[OFF_FTW], (uint16_t)le(OFF_FSW, 2), st), "ftw: full tag");
	CHECK_U64(xs_reg_u64(reg(set, "fop", 2, XS_X87, XS_REG_INT, true)), le(OFF_FOP, 2) & 0x7ff,
		  "fop: 11 bits");
	CHECK_U64(xs_reg_u64(reg(set, "fip", 8, XS_X87, XS_REG_INT, true)), le(OFF_FIP, 8), "fip");
	CHECK_U64(xs_reg_u64(reg(set, "fdp", 8, XS_X87, XS_REG_INT, true)), le(OFF_FDP, 8), "fdp");
	from(reg(set, "st0", 10, XS_X87, XS_REG_X87, true), 0, XS_OFF_ST0, 10);
	from(reg(set, "st7", 10, XS_X87, XS_REG_X87, true), 0, XS_OFF_ST0 + 7 * XS_ST_STRIDE, 10);
	CHECK_U64(xs_reg_u64(reg(set, "mxcsr", 4, XS_SSE, XS_REG_INT, true)), MXCSR_SET, "mxcsr");
}

static void vectors_live(const struct xs_state *s, const struct xs_regset *set)
{
	const struct xs_reg *r;

	from(reg(set, "xmm0", 16, XS_SSE, XS_REG_VEC, true), 0, s->off[XS_SSE], 16);
	from(reg(set, "xmm15", 16, XS_SSE, XS_REG_VEC, true), 0, s->off[XS_SSE] + 240, 16);
	r = reg(set, "ymm9", 32, XS_AVX, XS_REG_VEC, true);
	from(r, 0, s->off[XS_SSE] + 9 * 16, 16);
	from(r, 16, s->off[XS_AVX] + 9 * 16, 16);
	r = reg(set, "zmm15", 64, XS_ZMM_HI256, XS_REG_VEC, true);
	from(r, 0, s->off[XS_SSE] + 15 * 16, 16);
	from(r, 16, s->off[XS_AVX] + 15 * 16, 16);
	from(r, 32, s->off[XS_ZMM_HI256] + 15 * 32, 32);
	from(reg(set, "zmm16", 64, XS_HI16_ZMM, XS_REG_VEC, true), 0, s->off[XS_HI16_ZMM], 64);
	from(reg(set, "zmm31", 64, XS_HI16_ZMM, XS_REG_VEC, true), 0,
	     s->off[XS_HI16_ZMM] + 15 * 64, 64);
	from(reg(set, "k0", 8, XS_OPMASK, XS_REG_VEC, true), 0, s->off[XS_OPMASK], 8);
	from(reg(set, "k7", 8, XS_OPMASK, XS_REG_VEC, true), 0, s->off[XS_OPMASK] + 56, 8);
}

static void others_live(const struct xs_state *s, const struct xs_regset *set)
{
	from(reg(set, "bnd0", 16, XS_BNDREGS, XS_REG_VEC, true), 0, s->off[XS_BNDREGS], 16);
	from(reg(set, "bnd3", 16, XS_BNDREGS, XS_REG_VEC, true), 0, s->off[XS_BNDREGS] + 48, 16);
	from(reg(set, "bndcfgu", 8, XS_BNDCSR, XS_REG_INT, true), 0, s->off[XS_BNDCSR], 8);
	from(reg(set, "bndstatus", 8, XS_BNDCSR, XS_REG_INT, true), 0, s->off[XS_BNDCSR] + 8, 8);
	from(reg(set, "pkru", 4, XS_PKRU, XS_REG_INT, true), 0, s->off[XS_PKRU], 4);
	from(reg(set, "tilecfg", 64, XS_TILECFG, XS_REG_TILECFG, true), 0, s->off[XS_TILECFG], 64);
	from(reg(set, "tmm0", 1024, XS_TILEDATA, XS_REG_TILE, true), 0, s->off[XS_TILEDATA], 1024);
	from(reg(set, "tmm7", 1024, XS_TILEDATA, XS_REG_TILE, true), 0,
	     s->off[XS_TILEDATA] + 7 * 1024, 1024);
	from(reg(set, "r16", 8, XS_APX, XS_REG_INT, true), 0, s->off[XS_APX], 8);
	from(reg(set, "r31", 8, XS_APX, XS_REG_INT, true), 0, s->off[XS_APX] + 15 * 8, 8);
}

#define ALL_USER XS_MASK_USER_KNOWN
#define COMPACT_ALL (XS_XCOMP_COMPACTED | ALL_USER)

/* Every user component, compacted, all live. */
static void all_live(void)
{
	static const char want[] =
		"fcw fsw ftw fop fip fdp st0 st1 st2 st3 st4 st5 st6 st7 mxcsr "
		"xmm0 xmm1 xmm2 xmm3 xmm4 xmm5 xmm6 xmm7 xmm8 xmm9 xmm10 xmm11 xmm12 xmm13 xmm14 "
		"xmm15 ymm0 ymm1 ymm2 ymm3 ymm4 ymm5 ymm6 ymm7 ymm8 ymm9 ymm10 ymm11 ymm12 ymm13 "
		"ymm14 ymm15 zmm0 zmm1 zmm2 zmm3 zmm4 zmm5 zmm6 zmm7 zmm8 zmm9 zmm10 zmm11 zmm12 "
		"zmm13 zmm14 zmm15 zmm16 zmm17 zmm18 zmm19 zmm20 zmm21 zmm22 zmm23 zmm24 zmm25 "
		"zmm26 zmm27 zmm28 zmm29 zmm30 zmm31 k0 k1 k2 k3 k4 k5 k6 k7 bnd0 bnd1 bnd2 bnd3 "
		"bndcfgu bndstatus pkru tilecfg tmm0 tmm1 tmm2 tmm3 tmm4 tmm5 tmm6 tmm7 r16 r17 "
		"r18 r19 r20 r21 r22 r23 r24 r25 r26 r27 r28 r29 r30 r31";
	struct xs_state s;
	struct xs_regset set;
	char got[2048];
	bool ok;

	if (!decode(COMPACT_ALL, ALL_USER, &s, &set, "all live"))
		return;
	names(&set, got, sizeof(got));
	ok = !strcmp(got, want);
	CHECK(ok, "all live: register names in order%s%s", ok ? "" : "; got: ", ok ? "" : got);
	x87_live(&set);
	vectors_live(&s, &set);
	others_live(&s, &set);
	CHECK_U64(digest(&set), 0x858daff14fbbdb0dull, "all live: digest of the register list");
	xs_regset_free(&set);
}

/* XSTATE_BV 0: every register at its init value, none stored. */
static void all_init(void)
{
	struct xs_state s;
	struct xs_regset set;
	size_t stored = 0;

	if (!decode(COMPACT_ALL, 0, &s, &set, "all init"))
		return;
	for (size_t i = 0; i < set.n; i++)
		stored += set.r[i].stored;
	CHECK(stored == 0, "all init: no register stored (%zu are)", stored);
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "fcw")), 0x037f, "init fcw");
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "ftw")), 0xffff, "init ftw: all empty");
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "mxcsr")), XS_MXCSR_INIT, "init mxcsr");
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "fip")), 0, "init fip");
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "k3")), 0, "init k3");
	CHECK_U64(digest(&set), 0x9b548cbcc8ac19f6ull, "all init: digest of the register list");
	xs_regset_free(&set);
}

/* Only AVX live: MXCSR follows AVX, YMM is stored from its upper half alone. */
static void avx_only(void)
{
	static const uint8_t zero[16];
	struct xs_state s;
	struct xs_regset set;
	const struct xs_reg *y;

	if (!decode(COMPACT_ALL, XS_BIT(XS_AVX), &s, &set, "AVX only"))
		return;
	CHECK_U64(xs_reg_u64(reg(&set, "mxcsr", 4, XS_SSE, XS_REG_INT, true)), MXCSR_SET,
		  "mxcsr live with AVX alone");
	reg(&set, "xmm2", 16, XS_SSE, XS_REG_VEC, false);
	y = reg(&set, "ymm2", 32, XS_AVX, XS_REG_VEC, true);
	CHECK(y && !memcmp(y->v, zero, 16), "ymm2: low half at init");
	from(y, 16, s.off[XS_AVX] + 2 * 16, 16);
	y = reg(&set, "zmm2", 64, XS_ZMM_HI256, XS_REG_VEC, true);
	from(y, 16, s.off[XS_AVX] + 2 * 16, 16);
	reg(&set, "zmm17", 64, XS_HI16_ZMM, XS_REG_VEC, false);
	CHECK_U64(digest(&set), 0xcac8d5a0c7e1bc63ull, "AVX only: digest of the register list");
	xs_regset_free(&set);
}

/* Classes appear only with their components: x87+SSE alone, opmask or ZMM without the rest. */
static void gating(void)
{
	struct xs_state s;
	struct xs_regset set;
	char got[2048];

	if (decode(XS_XCOMP_COMPACTED | XS_MASK_FPSSE, XS_MASK_FPSSE, &s, &set, "x87+SSE")) {
		names(&set, got, sizeof(got));
		CHECK(set.n == 31 && !strncmp(got, "fcw fsw ftw fop fip fdp st0", 27) &&
		      !strcmp(got + strlen(got) - 5, "xmm15"),
		      "x87+SSE: x87, mxcsr and xmm only (%zu: %s)", set.n, got);
		xs_regset_free(&set);
	}
	if (decode(XS_XCOMP_COMPACTED | XS_MASK_FPSSE | XS_BIT(XS_AVX) | XS_BIT(XS_OPMASK),
		   XS_MASK_FPSSE, &s, &set, "opmask without ZMM")) {
		CHECK(set.n == 31 + 16 + 8 && xs_regset_find(&set, "ymm15") &&
		      xs_regset_find(&set, "k7") && !xs_regset_find(&set, "zmm0"),
		      "opmask without ZMM: ymm and k, no zmm (%zu registers)", set.n);
		xs_regset_free(&set);
	}
	/* ZMM needs all three AVX-512 components, even where its own ones are located. */
	if (decode(XS_XCOMP_COMPACTED | XS_MASK_FPSSE | XS_BIT(XS_AVX) | XS_BIT(XS_ZMM_HI256) |
		   XS_BIT(XS_HI16_ZMM), XS_MASK_FPSSE, &s, &set, "ZMM without opmask")) {
		CHECK(set.n == 31 + 16 && !xs_regset_find(&set, "zmm0") &&
		      !xs_regset_find(&set, "zmm16"),
		      "ZMM without opmask: no zmm (%zu registers)", set.n);
		xs_regset_free(&set);
	}
}

int main(void)
{
	all_live();
	all_init();
	avx_only();
	gating();
	return t_done("test_regs");
}
