// SPDX-License-Identifier: MIT
/*
 * Component facts and standard-format layouts.
 *
 * Sizes and flags: Intel SDM Vol. 1 13.2-13.5 and CPUID.(0xD,i) as read on an
 * Intel Emerald Rapids part (see tests/data/cpuid-intel-emr.txt).  Intel
 * offsets: the same CPUID and gdb's i387_guess_xsave_layout; AMD offsets:
 * CPUID on Zen 3/Zen 4 and gdb's "AMD CPUs supporting PKRU" table.  APX
 * (bit 19) sits in the MPX hole at 960 (Intel APX spec; Linux XFEATURE_APX).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/layout.h>
#include <xsave/rd.h>
#include <xsave/internal.h>

static const struct xs_comp_info comp_table[] = {
	[XS_X87] = { .name = "x87", .desc = "x87 FPU", .size = 160 },
	[XS_SSE] = { .name = "sse", .desc = "SSE (XMM0-15, MXCSR)", .size = 256 },
	[XS_AVX] = { .name = "avx", .desc = "AVX (YMM upper halves)", .size = 256 },
	[XS_BNDREGS] = { .name = "bndregs", .desc = "MPX bound registers", .size = 64 },
	[XS_BNDCSR] = { .name = "bndcsr", .desc = "MPX BNDCFGU/BNDSTATUS", .size = 64 },
	[XS_OPMASK] = { .name = "opmask", .desc = "AVX-512 opmask k0-7", .size = 64 },
	[XS_ZMM_HI256] = { .name = "zmm_hi256", .desc = "AVX-512 ZMM0-15 upper halves",
			   .size = 512 },
	[XS_HI16_ZMM] = { .name = "hi16_zmm", .desc = "AVX-512 ZMM16-31", .size = 1024 },
	[XS_PT] = { .name = "pt", .desc = "Processor Trace (supervisor)", .size = 128,
		    .supervisor = true },
	[XS_PKRU] = { .name = "pkru", .desc = "Protection keys (PKRU)", .size = 8 },
	[XS_PASID] = { .name = "pasid", .desc = "PASID (supervisor)", .size = 8,
		       .supervisor = true },
	[XS_CET_U] = { .name = "cet_u", .desc = "CET user state (supervisor)", .size = 16,
		       .supervisor = true },
	[XS_CET_S] = { .name = "cet_s", .desc = "CET kernel SSPs (supervisor)", .size = 24,
		       .supervisor = true },
	[XS_HDC] = { .name = "hdc", .desc = "HDC (supervisor)", .size = 8, .supervisor = true },
	[XS_UINTR] = { .name = "uintr", .desc = "User interrupts (supervisor)", .size = 48,
		       .supervisor = true },
	[XS_LBR] = { .name = "lbr", .desc = "Architectural LBR (supervisor)", .size = 808,
		     .supervisor = true },
	[XS_HWP] = { .name = "hwp", .desc = "HWP (supervisor)", .size = 8, .supervisor = true },
	[XS_TILECFG] = { .name = "tilecfg", .desc = "AMX TILECFG", .size = 64, .align64 = true },
	[XS_TILEDATA] = { .name = "tiledata", .desc = "AMX TILEDATA (tmm0-7)", .size = 8192,
			  .align64 = true },
	[XS_APX] = { .name = "apx", .desc = "APX R16-R31", .size = 128 },
};

/* Components no CPU defines yet: named bitN, read-only like the rest. */
#define U(n) { .name = "bit" #n, .desc = "unknown component" }
static const struct xs_comp_info unknown_table[XS_NCOMP] = {
	U(0), U(1), U(2), U(3), U(4), U(5), U(6), U(7), U(8), U(9), U(10), U(11), U(12), U(13),
	U(14), U(15), U(16), U(17), U(18), U(19), U(20), U(21), U(22), U(23), U(24), U(25), U(26),
	U(27), U(28), U(29), U(30), U(31), U(32), U(33), U(34), U(35), U(36), U(37), U(38), U(39),
	U(40), U(41), U(42), U(43), U(44), U(45), U(46), U(47), U(48), U(49), U(50), U(51), U(52),
	U(53), U(54), U(55), U(56), U(57), U(58), U(59), U(60), U(61), U(62), U(63),
};
#undef U

const struct xs_comp_info *xs_comp_info(unsigned bit)
{
	if (bit < sizeof(comp_table) / sizeof(comp_table[0]) && comp_table[bit].name)
		return &comp_table[bit];
	return &unknown_table[bit & (XS_NCOMP - 1)];
}

int xs_comp_by_name(const char *name, size_t len)
{
	for (unsigned i = 0; i < sizeof(comp_table) / sizeof(comp_table[0]); i++)
		if (comp_table[i].name && strlen(comp_table[i].name) == len &&
		    !strncmp(comp_table[i].name, name, len))
			return (int)i;
	return -1;
}

struct std_place {
	unsigned bit;
	uint32_t off;
};

/* Standard offsets (decimal, SDM/CPUID.(0xD,i).EBX). */
static const struct std_place intel_std[] = {
	{ XS_AVX, 576 },	 { XS_BNDREGS, 960 },	 { XS_BNDCSR, 1024 },
	{ XS_OPMASK, 1088 },	 { XS_ZMM_HI256, 1152 }, { XS_HI16_ZMM, 1664 },
	{ XS_PKRU, 2688 },	 { XS_TILECFG, 2752 },	 { XS_TILEDATA, 2816 },
	{ XS_APX, 960 },
};

static const struct std_place amd_std[] = {
	{ XS_AVX, 576 },	{ XS_OPMASK, 832 }, { XS_ZMM_HI256, 896 },
	{ XS_HI16_ZMM, 1408 },	{ XS_PKRU, 2432 },
};

static void layout_sizes(struct xs_layout *l)
{
	memset(l, 0, sizeof(*l));
	for (unsigned i = 0; i < XS_NCOMP; i++) {
		const struct xs_comp_info *ci = xs_comp_info(i);

		if (!ci->size)
			continue;
		l->sized |= XS_BIT(i);
		l->size[i] = ci->size;
		if (ci->align64)
			l->align64 |= XS_BIT(i);
		if (ci->supervisor)
			l->supervisor |= XS_BIT(i);
	}
	/* The legacy region: x87 owns 0..159, SSE 160..415 (Linux xstate_offsets). */
	l->placed = XS_MASK_FPSSE;
	l->offset[XS_X87] = 0;
	l->offset[XS_SSE] = 160;
}

void xs_layout_builtin(enum xs_vendor v, struct xs_layout *l)
{
	const struct std_place *t = v == XS_VENDOR_AMD ? amd_std : intel_std;
	size_t n = v == XS_VENDOR_AMD ? sizeof(amd_std) / sizeof(amd_std[0])
				      : sizeof(intel_std) / sizeof(intel_std[0]);

	layout_sizes(l);
	snprintf(l->name, sizeof(l->name), "%s", v == XS_VENDOR_AMD ? "amd" : "intel");
	for (size_t i = 0; i < n; i++) {
		l->placed |= XS_BIT(t[i].bit);
		l->offset[t[i].bit] = t[i].off;
	}
}

int xs_layout_from_cpuid(const struct xs_cpuid_d *c, const char *name, struct xs_layout *l,
			 struct xs_diag *d)
{
	uint64_t supported = c->eax[0] | (uint64_t)c->edx[0] << 32;
	uint64_t xss = (c->valid & 2) ? (c->ecx[1] | (uint64_t)c->edx[1] << 32) : 0;

	layout_sizes(l);
	snprintf(l->name, sizeof(l->name), "%s", name);
	/* Sizes come from the leaf; the table only fills what it does not describe. */
	for (unsigned i = 2; i < XS_NCOMP; i++) {
		if (!((supported | xss) & XS_BIT(i)))
			continue;
		if (!(c->valid & XS_BIT(i)) || !c->eax[i])
			return XS_FAIL(d, XS_EINVAL,
				       "CPUID 0xd.0/0xd.1 enumerate component %u but sub-leaf %u is missing",
				       i, i);
		l->sized |= XS_BIT(i);
		l->size[i] = c->eax[i];
		l->align64 = (l->align64 & ~XS_BIT(i)) | ((c->ecx[i] & 2) ? XS_BIT(i) : 0);
		if (c->ecx[i] & 1) {
			l->supervisor |= XS_BIT(i);
			continue;
		}
		l->supervisor &= ~XS_BIT(i);
		l->placed |= XS_BIT(i);
		l->offset[i] = c->ebx[i];
		if (c->ebx[i] < XS_EXT_OFF)
			return XS_FAIL(d, XS_EINVAL,
				       "CPUID 0xd.%u: offset %u is inside the legacy area or header",
				       i, c->ebx[i]);
	}
	return 0;
}

int xs_layout_from_xfeat_note(const uint8_t *desc, size_t len, struct xs_layout *l,
			       struct xs_diag *d)
{
	struct xs_rd rd = xs_rd_init(desc, len, 0);

	if (len % 16 || !len)
		return XS_FAIL(d, XS_EFORMAT,
			       "NT_X86_XSAVE_LAYOUT is %zu bytes, not a multiple of 16", len);
	layout_sizes(l);
	snprintf(l->name, sizeof(l->name), "core-note");
	for (size_t at = 0; at < len; at += 16) {
		uint32_t type, size, offset;

		if (!xs_rd_u32le_at(&rd, at, &type) || !xs_rd_u32le_at(&rd, at + 4, &size) ||
		    !xs_rd_u32le_at(&rd, at + 8, &offset))
			return XS_FAIL_AT(d, XS_ETRUNC, at, "NT_X86_XSAVE_LAYOUT entry is truncated");
		if (type < 2 || type >= XS_NCOMP || (XS_MASK_SUPERVISOR & XS_BIT(type)))
			return XS_FAIL_AT(d, XS_EFORMAT, at,
					  "NT_X86_XSAVE_LAYOUT entry for component %u: not an extended user component",
					  type);
		if (!size || offset < XS_EXT_OFF || (uint64_t)offset + size > XS_IMAGE_LIMIT)
			return XS_FAIL_AT(d, XS_EFORMAT, at,
					  "NT_X86_XSAVE_LAYOUT: component %u at offset %u size %u lies outside an XSAVE area",
					  type, offset, size);
		if (l->placed & XS_BIT(type) & ~XS_MASK_FPSSE)
			return XS_FAIL_AT(d, XS_EFORMAT, at,
					  "NT_X86_XSAVE_LAYOUT lists component %u twice", type);
		l->sized |= XS_BIT(type);
		l->placed |= XS_BIT(type);
		l->size[type] = size;
		l->offset[type] = offset;
	}
	return 0;
}

uint32_t xs_layout_std_size(const struct xs_layout *l, uint64_t mask)
{
	uint32_t end = XS_EXT_OFF;

	mask &= l->placed & ~XS_MASK_FPSSE;
	for (unsigned i = 2; i < XS_NCOMP; i++)
		if ((mask & XS_BIT(i)) && l->offset[i] + l->size[i] > end)
			end = l->offset[i] + l->size[i];
	return end;
}

int xs_layout_compacted(const struct xs_layout *l, uint64_t xcomp, uint32_t off[XS_NCOMP],
			uint32_t *total, struct xs_diag *d)
{
	uint64_t pos = XS_EXT_OFF;

	off[XS_X87] = 0;
	off[XS_SSE] = 160;
	for (unsigned i = 2; i < 63; i++) {
		if (!(xcomp & XS_BIT(i)))
			continue;
		if (!(l->sized & XS_BIT(i)))
			return XS_FAIL_AT(d, XS_ELAYOUT, 520,
					  "XCOMP_BV includes component %u, whose size is unknown", i);
		if (l->align64 & XS_BIT(i))
			pos = (pos + 63) & ~(uint64_t)63;
		off[i] = (uint32_t)pos;
		pos += l->size[i];
	}
	*total = (uint32_t)pos;
	return 0;
}

void xs_mask_names(uint64_t mask, char *buf, size_t len)
{
	size_t used = 0;
	unsigned left = (unsigned)__builtin_popcountll(mask);

	if (!len)
		return;
	buf[0] = 0;
	for (unsigned i = 0; i < XS_NCOMP; i++) {
		const char *name;
		size_t need;

		if (!(mask & XS_BIT(i)))
			continue;
		name = xs_comp_info(i)->name;
		/* Room for this name, and for " +N more" should another not fit. */
		need = (used ? 1 : 0) + strlen(name) + (left > 1 ? 10 : 0);
		if (used + need >= len) {
			snprintf(buf + used, len - used, "%s+%u more", used ? " " : "", left);
			return;
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", name);
		left--;
	}
}

struct mask_group {
	const char *name;
	uint64_t mask;
};

static const struct mask_group groups[] = {
	{ "fp", XS_BIT(XS_X87) },
	{ "ymm", XS_BIT(XS_AVX) },
	{ "mpx", XS_MASK_MPX },
	{ "avx512", XS_MASK_AVX512 },
	{ "amx", XS_MASK_AMX },
	{ "cet", XS_BIT(XS_CET_U) | XS_BIT(XS_CET_S) },
	{ "all", XS_MASK_USER_KNOWN },
};

const char *xs_mask_word(unsigned i)
{
	for (unsigned bit = 0; bit < XS_NCOMP; bit++) {
		const char *name = xs_comp_info(bit)->name;

		if (strncmp(name, "bit", 3) && i-- == 0)
			return name;
	}
	return i < sizeof(groups) / sizeof(groups[0]) ? groups[i].name : NULL;
}

static int mask_word(const char *w, size_t n, uint64_t *mask)
{
	int bit = xs_comp_by_name(w, n);

	if (bit >= 0) {
		*mask |= XS_BIT(bit);
		return 0;
	}
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		if (strlen(groups[g].name) == n && !strncmp(groups[g].name, w, n)) {
			*mask |= groups[g].mask;
			return 0;
		}
	if (n > 3 && n < 6 && !strncmp(w, "bit", 3)) {
		unsigned v = 0;

		for (size_t i = 3; i < n; i++) {
			if (!isdigit((unsigned char)w[i]))
				return -1;
			v = v * 10 + (unsigned)(w[i] - '0');
		}
		if (v < 63) {
			*mask |= XS_BIT(v);
			return 0;
		}
	}
	return -1;
}

int xs_mask_parse(const char *s, uint64_t *mask, struct xs_diag *d)
{
	uint64_t m = 0;

	if (isdigit((unsigned char)s[0])) {
		char *end;

		errno = 0;
		unsigned long long v = strtoull(s, &end, 0);
		if (*end || end == s || errno == ERANGE)
			return XS_FAIL(d, XS_EINVAL, "'%s': not a number", s);
		*mask = v;
		return 0;
	}
	for (const char *p = s;;) {
		size_t n = strcspn(p, ",+ ");

		if (!n || mask_word(p, n, &m))
			return XS_FAIL(d, XS_EINVAL,
				       "'%.*s': not a component name (try x87,sse,avx,mpx,avx512,pkru,amx,apx or bitN)",
				       (int)n, p);
		p += n;
		if (!*p)
			break;
		p++;
	}
	*mask = m;
	return 0;
}

uint64_t xs_mask_known(void)
{
	return XS_MASK_KNOWN;
}

uint64_t xs_mask_user_known(void)
{
	return XS_MASK_USER_KNOWN;
}
