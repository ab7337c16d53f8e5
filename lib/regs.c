// SPDX-License-Identifier: MIT
/*
 * Register composition.  Offsets inside components (SDM Vol. 1 13.5):
 * legacy FXSAVE image 10.5.1 (FCW @0, FSW @2, abridged FTW @4, FOP @6,
 * FIP @8, FDP @16, MXCSR @24, ST/MM @32 stride 16, XMM @160 stride 16);
 * AVX: YMM_Hi128 stride 16; opmask: k0-7 stride 8; ZMM_Hi256: stride 32;
 * Hi16_ZMM: stride 64; BNDREGS: BND0-3 stride 16 (lower, upper);
 * BNDCSR: BNDCFGU @0, BNDSTATUS @8; PKRU @0 (u32); TILECFG: 64 bytes;
 * TILEDATA: tmm0-7 stride 1024; APX: R16-R31 stride 8.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/rd.h>
#include <xsave/regs.h>

struct builder {
	const struct xs_state *st;
	struct xs_rd rd;
	struct xs_regset *set;
	size_t cap;
};

static struct xs_reg *add(struct builder *b, const char *name, unsigned idx, unsigned comp,
			  unsigned width, enum xs_reg_kind kind)
{
	struct xs_reg *r;

	if (b->set->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct xs_reg *n = realloc(b->set->r, cap * sizeof(*n));

		if (!n)
			return NULL;
		b->set->r = n;
		b->cap = cap;
	}
	r = &b->set->r[b->set->n++];
	memset(r, 0, sizeof(*r));
	if (idx == ~0u)
		snprintf(r->name, sizeof(r->name), "%s", name);
	else
		snprintf(r->name, sizeof(r->name), "%s%u", name, idx);
	r->comp = (uint8_t)comp;
	r->width = (uint16_t)width;
	r->kind = (uint8_t)kind;
	return r;
}

/* Copy n bytes of component comp at rel into r->v[at..]; leaves zeros if not live. */
static void take(struct builder *b, struct xs_reg *r, unsigned comp, size_t rel, size_t n,
		 size_t at)
{
	const struct xs_state *st = b->st;

	if (!xs_state_live(st, comp))
		return;
	if (xs_rd_copy_at(&b->rd, st->off[comp] + rel, n, r->v + at))
		r->stored = true;
}

static void put_u64(struct xs_reg *r, uint64_t v)
{
	for (unsigned i = 0; i < 8 && i < r->width; i++)
		r->v[i] = (uint8_t)(v >> (8 * i));
}

static int x87_regs(struct builder *b)
{
	static const char *const ctl[] = { "fcw", "fsw", "ftw", "fop", "fip", "fdp" };
	bool live = xs_state_live(b->st, XS_X87);
	uint8_t st[8][10] = { { 0 } };
	uint16_t fcw = 0x037f, fsw = 0, fop = 0;
	uint8_t ftw = 0;
	uint64_t fip = 0, fdp = 0;

	if (live && (!xs_rd_u16le_at(&b->rd, 0, &fcw) || !xs_rd_u16le_at(&b->rd, 2, &fsw) ||
		     !xs_rd_u8_at(&b->rd, 4, &ftw) || !xs_rd_u16le_at(&b->rd, 6, &fop) ||
		     !xs_rd_u64le_at(&b->rd, 8, &fip) || !xs_rd_u64le_at(&b->rd, 16, &fdp)))
		live = false;
	for (unsigned i = 0; live && i < 8; i++)
		if (!xs_rd_copy_at(&b->rd, 32 + 16 * i, 10, st[i]))
			live = false;
	uint64_t vals[] = { fcw, fsw, live ? xs_x87_full_tag(ftw, fsw, st) : 0xffff,
			    fop & 0x7ffu, fip, fdp };
	unsigned widths[] = { 2, 2, 2, 2, 8, 8 };

	for (unsigned i = 0; i < 6; i++) {
		struct xs_reg *r = add(b, ctl[i], ~0u, XS_X87, widths[i], XS_REG_INT);

		if (!r)
			return -XS_ENOMEM;
		put_u64(r, vals[i]);
		r->stored = live;
	}
	for (unsigned i = 0; i < 8; i++) {
		struct xs_reg *r = add(b, "st", i, XS_X87, 10, XS_REG_X87);

		if (!r)
			return -XS_ENOMEM;
		memcpy(r->v, st[i], 10);
		r->stored = live;
	}
	return 0;
}

static int mxcsr_reg(struct builder *b)
{
	const struct xs_state *st = b->st;
	struct xs_reg *r = add(b, "mxcsr", ~0u, XS_SSE, 4, XS_REG_INT);
	/* gdb: MXCSR takes its init value only when both SSE and AVX are init. */
	bool live = xs_state_live(st, XS_SSE) || xs_state_live(st, XS_AVX);

	if (!r)
		return -XS_ENOMEM;
	put_u64(r, live ? st->mxcsr : XS_MXCSR_INIT);
	r->stored = live;
	return 0;
}

static int vector_regs(struct builder *b)
{
	uint64_t loc = b->st->located;
	bool avx = loc & XS_BIT(XS_AVX);
	bool avx512 = (loc & XS_MASK_AVX512) == XS_MASK_AVX512;

	for (unsigned i = 0; i < 16; i++) {
		struct xs_reg *r = add(b, "xmm", i, XS_SSE, 16, XS_REG_VEC);

		if (!r)
			return -XS_ENOMEM;
		take(b, r, XS_SSE, 16 * i, 16, 0);
	}
	for (unsigned i = 0; avx && i < 16; i++) {
		struct xs_reg *r = add(b, "ymm", i, XS_AVX, 32, XS_REG_VEC);

		if (!r)
			return -XS_ENOMEM;
		take(b, r, XS_SSE, 16 * i, 16, 0);
		take(b, r, XS_AVX, 16 * i, 16, 16);
	}
	for (unsigned i = 0; avx512 && i < 32; i++) {
		struct xs_reg *r = add(b, "zmm", i, i < 16 ? XS_ZMM_HI256 : XS_HI16_ZMM, 64,
				       XS_REG_VEC);

		if (!r)
			return -XS_ENOMEM;
		if (i < 16) {
			take(b, r, XS_SSE, 16 * i, 16, 0);
			take(b, r, XS_AVX, 16 * i, 16, 16);
			take(b, r, XS_ZMM_HI256, 32 * i, 32, 32);
		} else {
			take(b, r, XS_HI16_ZMM, 64 * (i - 16), 64, 0);
		}
	}
	for (unsigned i = 0; (loc & XS_BIT(XS_OPMASK)) && i < 8; i++) {
		struct xs_reg *r = add(b, "k", i, XS_OPMASK, 8, XS_REG_VEC);

		if (!r)
			return -XS_ENOMEM;
		take(b, r, XS_OPMASK, 8 * i, 8, 0);
	}
	return 0;
}

struct simple_reg {
	const char *name;
	unsigned idx;		/* ~0u: no index suffix */
	unsigned comp, rel, width;
	enum xs_reg_kind kind;
};

static const struct simple_reg simple[] = {
	{ "bnd", 0, XS_BNDREGS, 0, 16, XS_REG_VEC },
	{ "bnd", 1, XS_BNDREGS, 16, 16, XS_REG_VEC },
	{ "bnd", 2, XS_BNDREGS, 32, 16, XS_REG_VEC },
	{ "bnd", 3, XS_BNDREGS, 48, 16, XS_REG_VEC },
	{ "bndcfgu", ~0u, XS_BNDCSR, 0, 8, XS_REG_INT },
	{ "bndstatus", ~0u, XS_BNDCSR, 8, 8, XS_REG_INT },
	{ "pkru", ~0u, XS_PKRU, 0, 4, XS_REG_INT },
	{ "tilecfg", ~0u, XS_TILECFG, 0, 64, XS_REG_TILECFG },
};

static int other_regs(struct builder *b)
{
	uint64_t loc = b->st->located;

	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		const struct simple_reg *s = &simple[i];
		struct xs_reg *r;

		if (!(loc & XS_BIT(s->comp)))
			continue;
		r = add(b, s->name, s->idx, s->comp, s->width, s->kind);
		if (!r)
			return -XS_ENOMEM;
		take(b, r, s->comp, s->rel, s->width, 0);
	}
	for (unsigned i = 0; (loc & XS_BIT(XS_TILEDATA)) && i < 8; i++) {
		struct xs_reg *r = add(b, "tmm", i, XS_TILEDATA, 1024, XS_REG_TILE);

		if (!r)
			return -XS_ENOMEM;
		take(b, r, XS_TILEDATA, 1024 * i, 1024, 0);
	}
	for (unsigned i = 16; (loc & XS_BIT(XS_APX)) && i < 32; i++) {
		struct xs_reg *r = add(b, "r", i, XS_APX, 8, XS_REG_INT);

		if (!r)
			return -XS_ENOMEM;
		take(b, r, XS_APX, 8 * (i - 16), 8, 0);
	}
	return 0;
}

int xs_regs_decode(const struct xs_state *st, struct xs_regset *set)
{
	struct builder b = { .st = st, .rd = xs_rd_init(st->img, st->size, 0), .set = set };
	int rc;

	set->n = 0;
	set->r = NULL;
	rc = x87_regs(&b);
	if (!rc)
		rc = mxcsr_reg(&b);
	if (!rc)
		rc = vector_regs(&b);
	if (!rc)
		rc = other_regs(&b);
	if (rc)
		xs_regset_free(set);
	return rc;
}

void xs_regset_free(struct xs_regset *set)
{
	free(set->r);
	set->r = NULL;
	set->n = 0;
}

const struct xs_reg *xs_regset_find(const struct xs_regset *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->r[i].name, name))
			return &set->r[i];
	return NULL;
}

uint64_t xs_reg_u64(const struct xs_reg *r)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8 && i < r->width; i++)
		v |= (uint64_t)r->v[i] << (8 * i);
	return v;
}

void xs_hex_msb(const uint8_t *le, size_t width, char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	if (len < 2 * width + 3) {
		if (len)
			buf[0] = 0;
		return;
	}
	buf[o++] = '0';
	buf[o++] = 'x';
	for (size_t i = width; i-- > 0;) {
		buf[o++] = digits[le[i] >> 4];
		buf[o++] = digits[le[i] & 15];
	}
	buf[o] = 0;
}

void xs_x87_decimal(const uint8_t v[10], char *buf, size_t len)
{
#if defined(__x86_64__) || defined(__i386__)
	long double x;

	_Static_assert(LDBL_MANT_DIG == 64, "x87 long double expected");
	memset(&x, 0, sizeof(x));
	memcpy(&x, v, 10);
	snprintf(buf, len, "%.18Lg", x);
#else
	uint64_t mant = 0;
	unsigned exp = (v[8] | (unsigned)v[9] << 8) & 0x7fff;

	for (unsigned i = 0; i < 8; i++)
		mant |= (uint64_t)v[i] << (8 * i);
	snprintf(buf, len, "%s%.17g", (v[9] & 0x80) ? "-" : "",
		 exp == 0x7fff ? (mant << 1 ? __builtin_nan("") : __builtin_inf())
			       : __builtin_ldexp((double)mant, (int)exp - 16383 - 63));
#endif
}

/* Tag of one physical register from its contents (SDM Vol. 1 8.1.7). */
static unsigned x87_tag(const uint8_t v[10])
{
	unsigned exp = (v[8] | (unsigned)v[9] << 8) & 0x7fff;
	uint64_t mant = 0;

	for (unsigned i = 0; i < 8; i++)
		mant |= (uint64_t)v[i] << (8 * i);
	if (exp == 0x7fff)
		return 2;			/* special: NaN, infinity */
	if (exp == 0)
		return mant ? 2 : 1;		/* denormal: special; zero */
	return (mant >> 63) ? 0 : 2;		/* valid, or unnormal: special */
}

uint16_t xs_x87_full_tag(uint8_t ftw_abridged, uint16_t fsw, const uint8_t st[8][10])
{
	unsigned top = (fsw >> 11) & 7;
	uint16_t tag = 0;

	for (unsigned phys = 0; phys < 8; phys++) {
		unsigned t = 3;			/* empty */

		if (ftw_abridged & (1u << phys))
			t = x87_tag(st[(phys - top) & 7]);
		tag |= (uint16_t)(t << (2 * phys));
	}
	return tag;
}

void xs_mxcsr_describe(uint32_t m, char *buf, size_t len)
{
	static const char *const bits[] = { "IE", "DE", "ZE", "OE", "UE", "PE", "DAZ", "IM",
					    "DM", "ZM", "OM", "UM", "PM", NULL, NULL, "FZ",
					    NULL, "MM" };
	static const char *const rc[] = { "nearest", "down", "up", "zero" };
	size_t o = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < 18 && o < len; i++) {
		if (!bits[i] || !(m & (1u << i)))
			continue;
		int n = snprintf(buf + o, len - o, "%s ", bits[i]);
		if (n < 0)
			return;
		o += (size_t)n;
	}
	if (o < len)
		snprintf(buf + o, len - o, "RC=%s", rc[(m >> 13) & 3]);
}
