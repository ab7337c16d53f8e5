// SPDX-License-Identifier: MIT
/*
 * Register composition, described as data: one row of reg_classes[] per
 * class of registers, in output order.  A row names the registers, says
 * which located components the class needs, and lists the slices each
 * register is made of, least significant first: a run of bytes inside one
 * component, one slot per register, so YMM is an XMM slice plus a YMM_Hi128
 * slice.  Offsets count from the start of the component (SDM Vol. 1 13.5);
 * x87 starts at byte 0 of the legacy FXSAVE image (10.5.1), so its offsets
 * are the FXSAVE ones.  The two registers whose value is not a copy (FTW,
 * rebuilt from the abridged tag; MXCSR, shared by SSE and AVX) name a fill
 * hook instead.  Adding a class is adding a row.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/rd.h>
#include <xsave/regs.h>

/* x87 (SDM Vol. 1 10.5.1 Table 10-2; its field offsets and the ST stride are in layout.h). */
#define X87_WORD 2		/* FCW, FSW, FTW (full), FOP */
#define X87_PTR 8		/* FIP, FDP */
#define FCW_INIT 0x037f		/* x87 init state (SDM Vol. 1 13.6) */
#define FTW_ALL_EMPTY 0xffff	/* full tag word of the init state: every tag 11b */
#define FOP_BITS 11		/* the last opcode is 11 bits (SDM Vol. 1 8.1.9) */
#define NR_ST 8
#define ST_BYTES 10		/* 80-bit extended precision in a 16-byte slot */
/* SSE: the component starts at XMM0 (legacy byte XS_OFF_XMM0), MXCSR lives at XS_OFF_MXCSR. */
#define SSE_OFF_XMM0 0
#define NR_XMM 16
#define XMM_BYTES 16
#define MXCSR_BYTES 4
/* AVX: YMM_Hi128, bits 255:128 of YMM0-15. */
#define AVX_OFF_YMMH0 0
#define YMMH_BYTES 16
#define YMM_BYTES 32
/* AVX-512: opmask k0-7, ZMM_Hi256 (bits 511:256 of ZMM0-15), Hi16_ZMM (ZMM16-31). */
#define OPMASK_OFF_K0 0
#define NR_K 8
#define K_BYTES 8
#define ZMMH_OFF_ZMMH0 0
#define ZMMH_BYTES 32
#define NR_ZMM_LO 16		/* ZMM0-15: composed from XMM, YMM_Hi128 and ZMM_Hi256 */
#define HI16_OFF_ZMM16 0
#define NR_ZMM_HI 16
#define ZMM_BYTES 64
/* MPX: BND0-3 (lower, upper bound), then BNDCFGU and BNDSTATUS. */
#define BNDREGS_OFF_BND0 0
#define NR_BND 4
#define BND_BYTES 16
#define BNDCSR_OFF_BNDCFGU 0
#define BNDCSR_OFF_BNDSTATUS 8
#define BNDCSR_REG_BYTES 8
/* PKRU: one 32-bit register. */
#define PKRU_OFF_PKRU 0
#define PKRU_BYTES 4
/* AMX: TILECFG, then TILEDATA tmm0-7 of 16 rows x 64 bytes. */
#define TILECFG_OFF 0
#define TILECFG_BYTES 64
#define TILEDATA_OFF_TMM0 0
#define NR_TMM 8
#define TMM_ROWS 16
#define TMM_ROW_BYTES 64
#define TMM_BYTES (TMM_ROWS * TMM_ROW_BYTES)
/* APX (Intel APX spec, XSAVE component 19): R16-R31. */
#define APX_OFF_R16 0
#define APX_FIRST_GPR 16
#define NR_APX_GPR 16
#define GPR_BYTES 8

#define MAX_SLICES 3		/* ZMM0-15: XMM + YMM_Hi128 + ZMM_Hi256 */
#define NO_STRIDE 0		/* a class of one register */
#define SET_FIRST_CAP 64	/* registers room is made for first (a full set has 119) */

struct builder {
	const struct xs_state *st;
	struct xs_rd rd;
	struct xs_regset *set;
	size_t cap;
};

/* One slice of every register of a class: @bytes at @off + i * @stride in @comp. */
struct reg_slice {
	uint8_t comp;
	uint16_t off;
	uint16_t stride;
	uint16_t bytes;		/* 0: no more slices */
};

struct reg_class {
	const char *name;	/* the register's name, or the prefix of numbered ones */
	unsigned first;		/* number of the first register */
	unsigned count;		/* registers name<first>...; 0: one register called name */
	uint64_t needs;		/* components that must all be located; 0: always present */
	uint8_t comp;		/* what xs_reg.comp reports */
	enum xs_reg_kind kind;
	uint16_t width;		/* bytes per register: the slices fill it */
	uint8_t bits;		/* bits the register has when fewer than 8 * width */
	uint64_t init;		/* value when no slice is stored (registers up to 8 bytes) */
	struct reg_slice slice[MAX_SLICES];
	/* Decoding that is not a copy of slices: replaces slice[], bits and init. */
	void (*fill)(const struct builder *b, struct xs_reg *r);
};

static struct xs_reg *add(struct builder *b, const struct reg_class *c, unsigned i)
{
	struct xs_reg *r;

	if (b->set->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : SET_FIRST_CAP;
		struct xs_reg *n = realloc(b->set->r, cap * sizeof(*n));

		if (!n)
			return NULL;
		b->set->r = n;
		b->cap = cap;
	}
	r = &b->set->r[b->set->n++];
	memset(r, 0, sizeof(*r));
	if (c->count)
		snprintf(r->name, sizeof(r->name), "%s%u", c->name, c->first + i);
	else
		snprintf(r->name, sizeof(r->name), "%s", c->name);
	r->comp = c->comp;
	r->width = c->width;
	r->kind = (uint8_t)c->kind;
	return r;
}

/* Copy n bytes of component comp at rel into r->v[at..]; leaves zeros if not live. */
static void take(const struct builder *b, struct xs_reg *r, unsigned comp, size_t rel, size_t n,
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

/* Register @i of class @c from its slices; the class's init value if none is stored. */
static void fill_slices(const struct builder *b, const struct reg_class *c, unsigned i,
		       struct xs_reg *r)
{
	size_t at = 0;

	for (const struct reg_slice *p = c->slice; p < c->slice + MAX_SLICES && p->bytes; p++) {
		take(b, r, p->comp, p->off + (size_t)p->stride * i, p->bytes, at);
		at += p->bytes;
	}
	if (!r->stored)
		put_u64(r, c->init);
	if (c->bits)
		put_u64(r, xs_reg_u64(r) & ((1ULL << c->bits) - 1));
}

/* FTW: the full tag word, rebuilt from the abridged one, TOP and ST0-7 (SDM 10.5.1.1). */
static void x87_tag_word(const struct builder *b, struct xs_reg *r)
{
	size_t base = b->st->off[XS_X87];
	uint8_t regs[NR_ST][ST_BYTES];
	uint16_t fsw = 0;
	uint8_t ftw = 0;
	bool live = xs_state_live(b->st, XS_X87) &&
		    xs_rd_u8_at(&b->rd, base + XS_OFF_FTW, &ftw) &&
		    xs_rd_u16le_at(&b->rd, base + XS_OFF_FSW, &fsw);

	for (unsigned i = 0; live && i < NR_ST; i++)
		live = xs_rd_copy_at(&b->rd, base + XS_OFF_ST0 + XS_ST_STRIDE * i, ST_BYTES, regs[i]);
	put_u64(r, live ? xs_x87_full_tag(ftw, fsw, regs) : FTW_ALL_EMPTY);
	r->stored = live;
}

/* MXCSR: as gdb, the init value only when both SSE and AVX are at init. */
static void mxcsr_value(const struct builder *b, struct xs_reg *r)
{
	bool live = xs_state_live(b->st, XS_SSE) || xs_state_live(b->st, XS_AVX);

	put_u64(r, live ? b->st->mxcsr : XS_MXCSR_INIT);
	r->stored = live;
}

/* A slice: @bytes of every register, the first at @off in @comp, the next @stride on. */
#define SLICE(comp_, off_, stride_, bytes_) \
	{ .comp = (comp_), .off = (off_), .stride = (stride_), .bytes = (bytes_) }
#define X87_FIELD(off_, bytes_) SLICE(XS_X87, off_, NO_STRIDE, bytes_)
#define XMM_SLICE SLICE(XS_SSE, SSE_OFF_XMM0, XMM_BYTES, XMM_BYTES)
#define YMMH_SLICE SLICE(XS_AVX, AVX_OFF_YMMH0, YMMH_BYTES, YMMH_BYTES)

/* A class is skipped unless every component in its .needs is located. */
static const struct reg_class reg_classes[] = {
	{ .name = "fcw", .comp = XS_X87, .kind = XS_REG_INT, .width = X87_WORD,
	  .init = FCW_INIT, .slice = { X87_FIELD(XS_OFF_FCW, X87_WORD) } },
	{ .name = "fsw", .comp = XS_X87, .kind = XS_REG_INT, .width = X87_WORD,
	  .slice = { X87_FIELD(XS_OFF_FSW, X87_WORD) } },
	{ .name = "ftw", .comp = XS_X87, .kind = XS_REG_INT, .width = X87_WORD,
	  .fill = x87_tag_word },
	{ .name = "fop", .comp = XS_X87, .kind = XS_REG_INT, .width = X87_WORD,
	  .bits = FOP_BITS, .slice = { X87_FIELD(XS_OFF_FOP, X87_WORD) } },
	{ .name = "fip", .comp = XS_X87, .kind = XS_REG_INT, .width = X87_PTR,
	  .slice = { X87_FIELD(XS_OFF_FIP, X87_PTR) } },
	{ .name = "fdp", .comp = XS_X87, .kind = XS_REG_INT, .width = X87_PTR,
	  .slice = { X87_FIELD(XS_OFF_FDP, X87_PTR) } },
	{ .name = "st", .count = NR_ST, .comp = XS_X87, .kind = XS_REG_X87, .width = ST_BYTES,
	  .slice = { SLICE(XS_X87, XS_OFF_ST0, XS_ST_STRIDE, ST_BYTES) } },
	{ .name = "mxcsr", .comp = XS_SSE, .kind = XS_REG_INT, .width = MXCSR_BYTES,
	  .fill = mxcsr_value },
	{ .name = "xmm", .count = NR_XMM, .comp = XS_SSE, .kind = XS_REG_VEC,
	  .width = XMM_BYTES, .slice = { XMM_SLICE } },
	{ .name = "ymm", .count = NR_XMM, .needs = XS_BIT(XS_AVX), .comp = XS_AVX,
	  .kind = XS_REG_VEC, .width = YMM_BYTES, .slice = { XMM_SLICE, YMMH_SLICE } },
	{ .name = "zmm", .count = NR_ZMM_LO, .needs = XS_MASK_AVX512, .comp = XS_ZMM_HI256,
	  .kind = XS_REG_VEC, .width = ZMM_BYTES,
	  .slice = { XMM_SLICE, YMMH_SLICE,
		    SLICE(XS_ZMM_HI256, ZMMH_OFF_ZMMH0, ZMMH_BYTES, ZMMH_BYTES) } },
	{ .name = "zmm", .first = NR_ZMM_LO, .count = NR_ZMM_HI, .needs = XS_MASK_AVX512,
	  .comp = XS_HI16_ZMM, .kind = XS_REG_VEC, .width = ZMM_BYTES,
	  .slice = { SLICE(XS_HI16_ZMM, HI16_OFF_ZMM16, ZMM_BYTES, ZMM_BYTES) } },
	{ .name = "k", .count = NR_K, .needs = XS_BIT(XS_OPMASK), .comp = XS_OPMASK,
	  .kind = XS_REG_VEC, .width = K_BYTES,
	  .slice = { SLICE(XS_OPMASK, OPMASK_OFF_K0, K_BYTES, K_BYTES) } },
	{ .name = "bnd", .count = NR_BND, .needs = XS_BIT(XS_BNDREGS), .comp = XS_BNDREGS,
	  .kind = XS_REG_VEC, .width = BND_BYTES,
	  .slice = { SLICE(XS_BNDREGS, BNDREGS_OFF_BND0, BND_BYTES, BND_BYTES) } },
	{ .name = "bndcfgu", .needs = XS_BIT(XS_BNDCSR), .comp = XS_BNDCSR, .kind = XS_REG_INT,
	  .width = BNDCSR_REG_BYTES,
	  .slice = { SLICE(XS_BNDCSR, BNDCSR_OFF_BNDCFGU, NO_STRIDE, BNDCSR_REG_BYTES) } },
	{ .name = "bndstatus", .needs = XS_BIT(XS_BNDCSR), .comp = XS_BNDCSR, .kind = XS_REG_INT,
	  .width = BNDCSR_REG_BYTES,
	  .slice = { SLICE(XS_BNDCSR, BNDCSR_OFF_BNDSTATUS, NO_STRIDE, BNDCSR_REG_BYTES) } },
	{ .name = "pkru", .needs = XS_BIT(XS_PKRU), .comp = XS_PKRU, .kind = XS_REG_INT,
	  .width = PKRU_BYTES,
	  .slice = { SLICE(XS_PKRU, PKRU_OFF_PKRU, NO_STRIDE, PKRU_BYTES) } },
	{ .name = "tilecfg", .needs = XS_BIT(XS_TILECFG), .comp = XS_TILECFG,
	  .kind = XS_REG_TILECFG, .width = TILECFG_BYTES,
	  .slice = { SLICE(XS_TILECFG, TILECFG_OFF, NO_STRIDE, TILECFG_BYTES) } },
	{ .name = "tmm", .count = NR_TMM, .needs = XS_BIT(XS_TILEDATA), .comp = XS_TILEDATA,
	  .kind = XS_REG_TILE, .width = TMM_BYTES,
	  .slice = { SLICE(XS_TILEDATA, TILEDATA_OFF_TMM0, TMM_BYTES, TMM_BYTES) } },
	{ .name = "r", .first = APX_FIRST_GPR, .count = NR_APX_GPR, .needs = XS_BIT(XS_APX),
	  .comp = XS_APX, .kind = XS_REG_INT, .width = GPR_BYTES,
	  .slice = { SLICE(XS_APX, APX_OFF_R16, GPR_BYTES, GPR_BYTES) } },
};

static int decode_class(struct builder *b, const struct reg_class *c)
{
	unsigned n = c->count ? c->count : 1;

	if ((b->st->located & c->needs) != c->needs)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		struct xs_reg *r = add(b, c, i);

		if (!r)
			return -XS_ENOMEM;
		if (c->fill)
			c->fill(b, r);
		else
			fill_slices(b, c, i, r);
	}
	return 0;
}

int xs_regs_decode(const struct xs_state *st, struct xs_regset *set)
{
	struct builder b = { .st = st, .rd = xs_rd_init(st->img, st->size, 0), .set = set };
	int rc = 0;

	set->n = 0;
	set->r = NULL;
	for (size_t i = 0; !rc && i < sizeof(reg_classes) / sizeof(reg_classes[0]); i++)
		rc = decode_class(&b, &reg_classes[i]);
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
