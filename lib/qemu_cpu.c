// SPDX-License-Identifier: MIT
/*
 * The x86_64 "cpu" section of a QEMU migration stream (target/i386/machine.c,
 * vmstate_x86_cpu version 11/12): its subsections, the XSAVE image it stands
 * for, and the same-length edits filter makes to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/rd.h>
#include <xsave/rules.h>
#include <xsave/internal.h>

#include "qemu_priv.h"

/*
 * Subsection body sizes on x86_64 (QEMU 7.2 .. 11.1; every name QEMU 11.1's
 * target/i386/machine.c gives a cpu subsection).  @children: the name prefix
 * of nested subsections that follow the body (a struct with subsections of its
 * own; QEMU takes a subsection as a child while its name starts with the
 * parent's).  @nested: only ever a child (QEMU refuses it at the top level).
 */
struct qsub_info {
	const char *name;
	uint32_t size;
	int id;			/* enum xs_qsub, or -1 */
	const char *children;
	bool nested;
};

static const struct qsub_info qsubs[] = {
	{ .name = "cpu/exception_info", .size = 11, .id = -1 },
	{ .name = "cpu/error_code", .size = 4, .id = -1 },
	{ .name = "cpu/async_pf_msr", .size = 8, .id = -1 },
	{ .name = "cpu/async_pf_int_msr", .size = 8, .id = -1 },
	{ .name = "cpu/async_pv_eoi_msr", .size = 8, .id = -1 },
	{ .name = "cpu/steal_time_msr", .size = 8, .id = -1 },
	{ .name = "cpu/poll_control_msr", .size = 8, .id = -1 },
	{ .name = "cpu/fpop_ip_dp", .size = 18, .id = XS_QSUB_FPOP },
	{ .name = "cpu/msr_tsc_adjust", .size = 8, .id = -1 },
	{ .name = "cpu/msr_tscdeadline", .size = 8, .id = -1 },
	{ .name = "cpu/msr_ia32_misc_enable", .size = 8, .id = -1 },
	{ .name = "cpu/msr_ia32_feature_control", .size = 8, .id = -1 },
	{ .name = "cpu/msr_architectural_pmu", .size = 344, .id = -1 },
	{ .name = "cpu/mpx", .size = 88, .id = XS_QSUB_MPX },
	{ .name = "cpu/msr_hyperv_hypercall", .size = 16, .id = -1 },
	{ .name = "cpu/msr_hyperv_vapic", .size = 8, .id = -1 },
	{ .name = "cpu/msr_hyperv_time", .size = 8, .id = -1 },
	{ .name = "cpu/msr_hyperv_crash", .size = 40, .id = -1 },
	{ .name = "cpu/msr_hyperv_runtime", .size = 8, .id = -1 },
	{ .name = "cpu/msr_hyperv_synic", .size = 152, .id = -1 },
	{ .name = "cpu/msr_hyperv_stimer", .size = 64, .id = -1 },
	{ .name = "cpu/msr_hyperv_reenlightenment", .size = 24, .id = -1 },
	{ .name = "cpu/avx512", .size = 1600, .id = XS_QSUB_AVX512 },
	{ .name = "cpu/xss", .size = 8, .id = XS_QSUB_XSS },
	{ .name = "cpu/umwait", .size = 4, .id = -1 },
	{ .name = "cpu/tsc_khz", .size = 8, .id = -1 },
	{ .name = "cpu/msr_smi_count", .size = 8, .id = -1 },
	{ .name = "cpu/pkru", .size = 4, .id = XS_QSUB_PKRU },
	{ .name = "cpu/pkrs", .size = 4, .id = -1 },
	{ .name = "cpu/spec_ctrl", .size = 8, .id = -1 },
	{ .name = "cpu/amd_tsc_scale_msr", .size = 8, .id = -1 },
	{ .name = "cpu/mcg_ext_ctl", .size = 8, .id = -1 },
	{ .name = "cpu/intel_pt", .size = 104, .id = -1 },
	{ .name = "cpu/virt_ssbd", .size = 8, .id = -1 },
	{ .name = "cpu/svn_npt", .size = 12, .id = -1 },
	{ .name = "cpu/svm_guest", .size = 4, .id = -1 },
	{ .name = "cpu/nested_state", .size = 8, .id = -1, .children = "cpu/kvm_nested_state/" },
	{ .name = "cpu/kvm_nested_state/vmx", .size = 18, .id = -1, .children = "cpu/kvm_nested_state/vmx/",
	  .nested = true },
	{ .name = "cpu/kvm_nested_state/vmx/vmcs12", .size = 4096, .id = -1, .nested = true },
	{ .name = "cpu/kvm_nested_state/vmx/shadow_vmcs12", .size = 4096, .id = -1, .nested = true },
	{ .name = "cpu/kvm_nested_state/svm", .size = 4104, .id = -1, .nested = true },
	{ .name = "cpu/xen_vcpu", .size = 97, .id = -1 },
	{ .name = "cpu/msr_tsx_ctrl", .size = 4, .id = -1 },
	{ .name = "cpu/intel_sgx", .size = 32, .id = -1 },
	{ .name = "cpu/pdptrs", .size = 32, .id = -1 },
	{ .name = "cpu/msr_xfd", .size = 16, .id = XS_QSUB_XFD },
	{ .name = "cpu/msr_hwcr", .size = 8, .id = -1 },
	{ .name = "cpu/fred", .size = 72, .id = -1 },
	{ .name = "cpu/intel_amx_xtile", .size = 8256, .id = XS_QSUB_AMX },
	{ .name = "cpu/arch_lbr", .size = 784, .id = -1 },
	{ .name = "cpu/triple_fault", .size = 1, .id = -1 },
	/* QEMU 11.0: IA32_PL0_SSP (CET and FRED); CET: IA32_U_CET, IA32_S_CET, and with
	 * shadow stacks PL1-3_SSP, INTERRUPT_SSP_TABLE_ADDR and the guest's SSP. */
	{ .name = "cpu/msr_pl0_ssp", .size = 8, .id = XS_QSUB_PL0_SSP },
	{ .name = "cpu/cet", .size = 16, .id = XS_QSUB_CET, .children = "cpu/cet" },
	{ .name = "cpu/cet_shstk", .size = 40, .id = XS_QSUB_SHSTK, .nested = true },
	{ .name = "cpu/apx", .size = 128, .id = XS_QSUB_APX },
};

static const struct qsub_info *qsub_find(const char *name)
{
	for (size_t i = 0; i < sizeof(qsubs) / sizeof(qsubs[0]); i++)
		if (!strcmp(qsubs[i].name, name))
			return &qsubs[i];
	return NULL;
}

static bool name_char(uint8_t ch)
{
	return ch > 0x20 && ch < 0x7f;
}

/* Does what starts at @q (@left bytes) look like what may follow a footer? */
static bool after_footer(const uint8_t *q, size_t left)
{
	if (!left)
		return true;
	switch (q[0]) {
	case QS_EOF:
		return left == 1 || q[1] == QS_VMDESC;
	case QS_START:
	case QS_FULL:
		if (left < 7 || !q[5] || left < 6u + q[5])
			return false;
		for (unsigned k = 0; k < q[5]; k++)
			if (!name_char(q[6 + k]))
				return false;
		return true;
	case QS_PART:
	case QS_END:
		return left >= 5;
	case QS_COMMAND:
		return left >= 5 && q[1] == 0 && q[2] >= 1 && q[2] <= 11;
	}
	return false;
}

long xsp_qscan_boundary(const uint8_t *p, size_t avail, uint32_t sid, const char *prefix, long *weak)
{
	size_t plen = prefix ? strlen(prefix) : 0;

	*weak = -1;
	for (size_t i = 0; i + 5 <= avail; i++) {
		const uint8_t *q = p + i;
		size_t left = avail - i;

		if (q[0] == QS_FOOTER && xs_be_get(q + 1, 4) == sid) {
			if (after_footer(q + 5, left - 5))
				return (long)i;
			if (*weak < 0)
				*weak = (long)i;
		}
		if (prefix && q[0] == QS_SUB && q[1] > plen && left >= 2u + q[1] + 4 &&
		    !memcmp(q + 2, prefix, plen)) {
			bool ok = true;

			for (unsigned k = 0; k < q[1]; k++)
				ok &= name_char(q[2 + k]);
			if (ok)
				return (long)i;
		}
	}
	return -1;
}

/* The window it takes to read on past @at + @n: 0 with *need at least that (see xsp_qcpu_parse). */
static int wants(size_t *need, size_t at, size_t n)
{
	*need = at + n;
	return 0;
}

/* An unknown subsection's end not in the window: a larger one (see xsp_qcpu_parse). */
#define UNKNOWN_GROW_MIN 64u

/*
 * Subsections at body[*pos] whose names start with @prefix; advances *pos.  @need: see
 * xsp_qcpu_parse (set, and -XS_ETRUNC returned, where the window ends too soon).
 */
static int subsections(struct xs_qcpu *c, struct xs_rd *rd, const char *prefix,
		       const struct xsp_vdev *dev, int depth, size_t *need, struct xs_diag *d)
{
	size_t plen = strlen(prefix);

	for (;;) {
		uint8_t type, len;
		uint32_t ver;
		char name[256];
		const struct qsub_info *info;
		size_t at = rd->pos;
		int64_t size;

		if (need && !xs_rd_u8_at(rd, at, &type) && !wants(need, at, 1))
			return XS_FAIL_AT(d, XS_ETRUNC, rd->base + at, "window ends before the byte "
					  "after a cpu subsection");
		if (!xs_rd_u8_at(rd, at, &type) || type != QS_SUB)
			return 0;
		if (need && (!xs_rd_u8_at(rd, at + 1, &len) || rd->len - at - 2 < len) &&
		    !wants(need, at, xs_rd_u8_at(rd, at + 1, &len) ? 2u + len : 2u))
			return XS_FAIL_AT(d, XS_ETRUNC, rd->base + at, "window ends inside a cpu "
					  "subsection header");
		if (!xs_rd_u8_at(rd, at + 1, &len) || !xs_rd_copy_at(rd, at + 2, len, name))
			return XS_FAIL_AT(d, XS_ETRUNC, rd->base + at,
					  "stream ends inside a cpu subsection header");
		name[len] = 0;
		if (len <= plen || memcmp(name, prefix, plen))
			return 0;	/* the parent's, or the end of the section */
		for (unsigned k = 0; k < len; k++)
			if (!name_char((uint8_t)name[k]))
				return XS_FAIL_AT(d, XS_EFORMAT, rd->base + at + 2 + k,
						  "cpu subsection name with byte 0x%02x in it",
						  (uint8_t)name[k]);
		if (need && rd->len - at < 6u + len && !wants(need, at, 6u + len))
			return XS_FAIL_AT(d, XS_ETRUNC, rd->base + at, "window ends inside a cpu "
					  "subsection header");
		if (!xs_rd_skip(rd, 2u + len) || !xs_rd_u32be(rd, &ver))
			return XS_FAIL_AT(d, XS_ETRUNC, rd->base + at,
					  "stream ends inside subsection '%s'", name);
		info = qsub_find(name);
		if (info && info->nested && !depth)
			return XS_FAIL_AT(d, XS_EFORMAT, rd->base + at,
					  "cpu subsection '%s' outside the subsection it belongs to "
					  "(QEMU refuses it there)", name);
		size = info ? info->size : dev ? xsp_vdev_sub_size(dev, name) : -1;
		if (size < 0) {
			/* Unknown and no vmdesc: the next subsection or the footer ends it. */
			struct xs_rd rest;
			long next, weak;

			if (!xs_rd_sub_at(rd, rd->pos, rd->len - rd->pos, &rest))
				return XS_FAIL_AT(d, XS_ETRUNC, rd->base + at, "truncated");
			next = xsp_qscan_boundary(rest.p, rest.len, c->section_id, "cpu/", &weak);
			if (next < 0 && need && rd->len < XS_QGET_MAX &&
			    !wants(need, rd->len, rd->len / 8 > UNKNOWN_GROW_MIN ? rd->len / 8 :
						  UNKNOWN_GROW_MIN))
				return XS_FAIL_AT(d, XS_ETRUNC, rd->base + rd->len, "window ends "
						  "before the end of cpu subsection '%s'", name);
			if (next < 0)
				return XS_FAIL_AT(d, XS_EFORMAT, rd->base + at,
						  "unknown cpu subsection '%s' and no end in sight",
						  name);
			size = next;
		}
		if (need && rd->len - rd->pos < (uint64_t)size &&
		    !wants(need, rd->pos, (size_t)size + 1))
			return XS_FAIL_AT(d, XS_ETRUNC, rd->base + rd->pos, "window ends inside "
					  "subsection '%s'", name);
		if (!xs_rd_skip(rd, (size_t)size))
			return XS_FAIL_AT(d, XS_ETRUNC, rd->base + rd->pos,
					  "stream ends inside subsection '%s' (%lld bytes)", name,
					  (long long)size);
		if (ver != 1 && info)
			return XS_FAIL_AT(d, XS_EUNKNOWN, rd->base + at,
					  "subsection '%s' version %u (expected 1)", name, ver);
		c->nsubs++;
		if (info && info->id >= 0)
			c->sub[info->id] = (int32_t)(rd->pos - (size_t)size);
		if (info && info->children) {
			int rc;

			if (depth > 3)
				return XS_FAIL_AT(d, XS_EFORMAT, rd->base + at, "subsections nest too deep");
			rc = subsections(c, rd, info->children, NULL, depth + 1, need, d);
			if (rc)
				return rc;
		}
	}
}

int xsp_qcpu_parse(struct xs_qcpu *c, const uint8_t *p, size_t avail, uint64_t base,
		   const struct xsp_vdev *dev, size_t *need, struct xs_diag *d)
{
	struct xs_rd rd = xs_rd_init(p, avail, base);
	uint32_t fixed;
	uint16_t fmt;
	int rc;

	for (unsigned i = 0; i < XS_QSUB_COUNT; i++)
		c->sub[i] = -1;
	c->nsubs = 0;
	if (c->version == 12)
		fixed = QCPU_V12_LEN;
	else if (c->version == 11)
		fixed = QCPU_V11_LEN;
	else
		return XS_FAIL_AT(d, XS_EUNKNOWN, c->off, "cpu section version %u (expected 11 or "
				  "12, x86_64)", c->version);
	if (need && avail < fixed + 1u && !wants(need, 0, fixed + 1u))
		return XS_FAIL_AT(d, XS_ETRUNC, base + avail, "window ends inside cpu %u's "
				  "section", c->instance);
	if (!xs_rd_skip(&rd, fixed))
		return XS_FAIL_AT(d, XS_ETRUNC, base + avail, "stream ends inside cpu %u's "
				  "section (expected %u bytes of fields)", c->instance, fixed);
	if (!xs_rd_u16be_at(&rd, QCPU_FPFMT, &fmt) || fmt != 0)
		return XS_FAIL_AT(d, XS_EFORMAT, base + QCPU_FPFMT, "cpu %u: x87 register format "
				  "%u (expected 0: 80-bit)", c->instance, fmt);
	rc = subsections(c, &rd, "cpu/", dev, 0, need, d);
	if (rc)
		return rc;
	c->body_len = (uint32_t)rd.pos;
	c->body = malloc(rd.pos);
	if (!c->body)
		return XS_FAIL(d, XS_ENOMEM, "out of memory");
	memcpy(c->body, p, rd.pos);
	snprintf(c->vmdesc_check, sizeof(c->vmdesc_check), "%s", dev ? "agrees" : "absent");
	if (dev && !xsp_vdev_check_cpu(dev, c, c->vmdesc_check, sizeof(c->vmdesc_check)))
		return XS_FAIL_AT(d, XS_EFORMAT, base, "vmdesc disagrees with cpu %u: %s",
				  c->instance, c->vmdesc_check);
	return 0;
}

static uint64_t body_be(const struct xs_qcpu *c, uint32_t off, unsigned n)
{
	struct xs_rd rd = xs_rd_init(c->body, c->body_len, 0);
	uint64_t v = 0;
	uint32_t v32 = 0;
	uint16_t v16 = 0;

	if (n == 8 && xs_rd_u64be_at(&rd, off, &v))
		return v;
	if (n == 4 && xs_rd_u32be_at(&rd, off, &v32))
		return v32;
	if (n == 2 && xs_rd_u16be_at(&rd, off, &v16))
		return v16;
	return 0;
}

uint64_t xs_qcpu_xcr0(const struct xs_qcpu *c)
{
	return c->version >= 12 ? body_be(c, QCPU_XCR0, 8) : 0;
}

uint64_t xs_qcpu_xstate_bv(const struct xs_qcpu *c)
{
	return c->version >= 12 ? body_be(c, QCPU_XSTATE_BV, 8) : 0;
}

/*
 * Copy @n 64-bit lanes stored big-endian at body[@from] into the image at
 * @to as little-endian (how a register sits in memory).
 */
static void lanes(const struct xs_qcpu *c, uint32_t from, uint8_t *img, size_t size,
		  uint32_t to, unsigned n)
{
	struct xs_wr wr = xs_wr_init(img, size);

	for (unsigned i = 0; i < n; i++)
		(void)!xs_wr_u64le_at(&wr, to + 8 * i, body_be(c, from + 8 * i, 8));
}

/* Registers of component @bit that the stream carries, as (body offset, lanes, image offset). */
struct qmap {
	unsigned bit;
	int sub;		/* enum xs_qsub, or -1 for the top level */
	uint32_t from;		/* offset in the top level or the subsection body */
	unsigned lanes;		/* 64-bit lanes per register; 0: raw bytes */
	unsigned count;		/* registers */
	uint32_t to;		/* offset in the component */
	uint32_t stride;	/* component bytes per register */
	uint32_t raw;		/* raw byte count (lanes == 0) */
};

static const struct qmap qmaps[] = {
	/* YMM_Hi128: env.xmm_regs[1] (Q2,Q3 of YMM0-15). */
	{ XS_AVX, -1, QCPU_YMMH, 2, 16, 0, 16, 0 },
	/* BNDREGS: bnd_regs[4] {lb, ub}; BNDCSR: cfgu, sts. */
	{ XS_BNDREGS, XS_QSUB_MPX, 0, 2, 4, 0, 16, 0 },
	{ XS_BNDCSR, XS_QSUB_MPX, 64, 2, 1, 0, 16, 0 },
	/* opmask k0-7; ZMM_Hi256 (Q4..7 of ZMM0-15); Hi16_ZMM (Q0..7 of ZMM16-31). */
	{ XS_OPMASK, XS_QSUB_AVX512, 0, 1, 8, 0, 8, 0 },
	{ XS_ZMM_HI256, XS_QSUB_AVX512, 64, 4, 16, 0, 32, 0 },
	{ XS_HI16_ZMM, XS_QSUB_AVX512, 576, 8, 16, 0, 64, 0 },
	/* AMX tiles: raw bytes in XSAVE layout already. */
	{ XS_TILECFG, XS_QSUB_AMX, 0, 0, 1, 0, 0, 64 },
	{ XS_TILEDATA, XS_QSUB_AMX, 64, 0, 1, 0, 0, 8192 },
	/* APX: R16-R31. */
	{ XS_APX, XS_QSUB_APX, 0, 1, 16, 0, 8, 0 },
};

static bool map_src(const struct xs_qcpu *c, const struct qmap *m, uint32_t *from)
{
	if (m->sub < 0) {
		*from = m->from;
		return c->version >= 12;
	}
	if (c->sub[m->sub] < 0)
		return false;
	*from = (uint32_t)c->sub[m->sub] + m->from;
	return true;
}

/* QEMU's FPU registers: 10 bytes each, the 64-bit mantissa then the 16-bit sign and exponent. */
#define QCPU_FPREG_LEN 10
#define QCPU_FPREG_EXP 8
#define NR_FPREGS 8
/* The fpop subsection: FOP (2 bytes), FIP (8), FDP (8). */
#define FPOP_FIP 2
#define FPOP_FDP 10
#define NR_XMM_LANES 32		/* XMM0-15, two 64-bit lanes each */

/* The components the image holds: what the stream enables, names or carries, within @l. */
static uint64_t image_components(const struct xs_qcpu *c, const struct xs_layout *l)
{
	uint64_t named = xs_qcpu_xcr0(c) | xs_qcpu_xstate_bv(c);
	uint64_t want = XS_MASK_FPSSE | named;
	uint32_t from;

	for (size_t i = 0; i < sizeof(qmaps) / sizeof(qmaps[0]); i++)
		if (map_src(c, &qmaps[i], &from))
			want |= XS_BIT(qmaps[i].bit);
	if (c->sub[XS_QSUB_PKRU] >= 0)
		want |= XS_BIT(XS_PKRU);
	/* APX reuses the MPX area: no CPU has both; keep the one the header names. */
	if ((want & XS_MASK_MPX) && (want & XS_BIT(XS_APX)))
		want &= named & XS_BIT(XS_APX) ? ~XS_MASK_MPX : ~XS_BIT(XS_APX);
	return want & (l->placed | XS_MASK_FPSSE);
}

/* The legacy region (FXSAVE layout) and XSTATE_BV; @wr holds at least XS_KVM_XSAVE_SIZE. */
static void legacy_region(const struct xs_qcpu *c, struct xs_wr *wr)
{
	uint16_t fcw = htole16((uint16_t)body_be(c, QCPU_FPUC, 2));
	uint16_t fsw = htole16((uint16_t)body_be(c, QCPU_FPUS, 2));
	uint8_t ftw = (uint8_t)body_be(c, QCPU_FPTAG, 2);
	bool ok = xs_wr_copy_at(wr, XS_OFF_FCW, &fcw, sizeof(fcw)) &&
		  xs_wr_copy_at(wr, XS_OFF_FSW, &fsw, sizeof(fsw)) &&
		  xs_wr_copy_at(wr, XS_OFF_FTW, &ftw, sizeof(ftw)) &&
		  xs_wr_u32le_at(wr, XS_OFF_MXCSR, (uint32_t)body_be(c, QCPU_MXCSR, 4));

	if (c->sub[XS_QSUB_FPOP] >= 0) {
		uint32_t s = (uint32_t)c->sub[XS_QSUB_FPOP];
		uint16_t fop = htole16((uint16_t)body_be(c, s, 2));

		ok &= xs_wr_copy_at(wr, XS_OFF_FOP, &fop, sizeof(fop)) &&
		      xs_wr_u64le_at(wr, XS_OFF_FIP, body_be(c, s + FPOP_FIP, 8)) &&
		      xs_wr_u64le_at(wr, XS_OFF_FDP, body_be(c, s + FPOP_FDP, 8));
	}
	for (unsigned i = 0; i < NR_FPREGS; i++) {
		uint32_t reg = QCPU_FPREGS + QCPU_FPREG_LEN * i;
		uint16_t exp = htole16((uint16_t)body_be(c, reg + QCPU_FPREG_EXP, 2));
		size_t st = XS_OFF_ST0 + (size_t)XS_ST_STRIDE * i;

		ok &= xs_wr_u64le_at(wr, st, body_be(c, reg, 8)) &&
		      xs_wr_copy_at(wr, st + QCPU_FPREG_EXP, &exp, sizeof(exp));
	}
	ok &= xs_wr_u64le_at(wr, XS_OFF_XSTATE_BV, xs_qcpu_xstate_bv(c));
	(void)ok;	/* all offsets are inside the first XS_KVM_XSAVE_SIZE bytes */
}

int xs_qcpu_image(const struct xs_qcpu *c, const struct xs_layout *l, uint8_t **img,
		  size_t *size, uint64_t *holds)
{
	uint64_t want = image_components(c, l);
	size_t n = xs_layout_std_size(l, want);
	struct xs_wr wr;
	uint32_t from;
	uint8_t *b;

	/* As KVM hands it over: at least 4096 bytes, whole pages. */
	n = n < XS_KVM_XSAVE_SIZE ? XS_KVM_XSAVE_SIZE
				  : (n + XS_KVM_XSAVE_SIZE - 1) & ~(size_t)(XS_KVM_XSAVE_SIZE - 1);
	if (!(b = calloc(1, n)))
		return -XS_ENOMEM;
	wr = xs_wr_init(b, n);
	legacy_region(c, &wr);
	lanes(c, QCPU_XMM, b, n, XS_OFF_XMM0, NR_XMM_LANES);
	for (size_t i = 0; i < sizeof(qmaps) / sizeof(qmaps[0]); i++) {
		const struct qmap *m = &qmaps[i];
		uint32_t to;

		if (!(want & XS_BIT(m->bit)) || !map_src(c, m, &from))
			continue;
		to = l->offset[m->bit];
		if (!m->lanes) {
			(void)!xs_wr_copy_at(&wr, to, c->body + from, m->raw);
			continue;
		}
		for (unsigned r = 0; r < m->count; r++)
			lanes(c, from + r * m->lanes * 8, b, n, to + r * m->stride, m->lanes);
	}
	if (c->sub[XS_QSUB_PKRU] >= 0 && (want & XS_BIT(XS_PKRU)))
		(void)!xs_wr_u32le_at(&wr, l->offset[XS_PKRU],
				      (uint32_t)body_be(c, (uint32_t)c->sub[XS_QSUB_PKRU], 4));
	*img = b;
	*size = n;
	*holds = want;
	return 0;
}

/*
 * The CET state a cpu section carries, outside any XSAVE area (QEMU 11.0+,
 * target/i386/machine.c): one u64 field each, big-endian, in this order.
 * MSR numbers from the SDM (Vol. 4 2.1); the SSP is no MSR (KVM hands it over
 * as a register of its own), index 0.
 */
static const struct {
	int sub;		/* enum xs_qsub */
	uint32_t from;		/* offset in the subsection body */
	const char *name;
	uint32_t index;
} qmsrs[] = {
	{ XS_QSUB_CET, 0, "u_cet", 0x6a0 },		/* env.u_cet */
	{ XS_QSUB_CET, 8, "s_cet", 0x6a2 },		/* env.s_cet */
	{ XS_QSUB_PL0_SSP, 0, "pl0_ssp", 0x6a4 },	/* env.pl0_ssp */
	{ XS_QSUB_SHSTK, 0, "pl1_ssp", 0x6a5 },		/* env.pl1_ssp */
	{ XS_QSUB_SHSTK, 8, "pl2_ssp", 0x6a6 },		/* env.pl2_ssp */
	{ XS_QSUB_SHSTK, 16, "pl3_ssp", 0x6a7 },	/* env.pl3_ssp */
	{ XS_QSUB_SHSTK, 24, "int_ssp_table", 0x6a8 },	/* env.int_ssp_table */
	{ XS_QSUB_SHSTK, 32, "ssp", 0 },		/* env.guest_ssp */
};

unsigned xs_qcpu_msrs(const struct xs_qcpu *c, struct xs_qmsr *out, unsigned max)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(qmsrs) / sizeof(qmsrs[0]); i++) {
		if (c->sub[qmsrs[i].sub] < 0)
			continue;
		if (out && n < max)
			out[n] = (struct xs_qmsr){
				.name = qmsrs[i].name,
				.index = qmsrs[i].index,
				.value = body_be(c, (uint32_t)c->sub[qmsrs[i].sub] + qmsrs[i].from, 8),
			};
		n++;
	}
	return n;
}

void xs_qcpu_state_facts(const struct xs_qcpu *c, struct xs_state *st)
{
	st->by_field = true;	/* QEMU rebuilds the area from its destination's CPUID */
	if (c->version < 12)
		return;
	st->guest_known = true;
	st->guest_xcr0 = xs_qcpu_xcr0(c);
	if (c->sub[XS_QSUB_XFD] >= 0) {
		st->xfd_known = true;
		st->xfd = body_be(c, (uint32_t)c->sub[XS_QSUB_XFD] + QSUB_XFD_MSR, 8);
	}
	/* TCG never updates env.xstate_bv: 0 while enabled registers hold data. */
	if (!st->xstate_bv && (st->located & ~st->init & (st->guest_xcr0 | XS_MASK_FPSSE)))
		st->bv_unmaintained = true;
}

static void zero(struct xs_qcpu *c, uint32_t off, uint32_t n, size_t *changed)
{
	for (uint32_t i = 0; i < n && off + i < c->body_len; i++) {
		*changed += c->body[off + i] != 0;
		c->body[off + i] = 0;
	}
}

size_t xs_qcpu_filter(struct xs_qcpu *c, uint64_t bv, uint64_t zero_mask)
{
	size_t changed = 0;
	uint32_t from;

	if (c->version >= 12) {
		uint8_t v[8];

		xs_be_put(v, bv, 8);
		for (unsigned i = 0; i < 8; i++) {
			changed += c->body[QCPU_XSTATE_BV + i] != v[i];
			c->body[QCPU_XSTATE_BV + i] = v[i];
		}
	}
	if (zero_mask & XS_BIT(XS_X87)) {
		static const uint8_t fcw[2] = { 0x03, 0x7f };

		for (unsigned i = 0; i < 2; i++) {
			changed += c->body[QCPU_FPUC + i] != fcw[i];
			c->body[QCPU_FPUC + i] = fcw[i];
		}
		zero(c, QCPU_FPUS, 4, &changed);
		zero(c, QCPU_FPREGS, 80, &changed);
		if (c->sub[XS_QSUB_FPOP] >= 0)
			zero(c, (uint32_t)c->sub[XS_QSUB_FPOP], 18, &changed);
	}
	if (zero_mask & XS_BIT(XS_SSE))
		zero(c, QCPU_XMM, 256, &changed);
	for (size_t i = 0; i < sizeof(qmaps) / sizeof(qmaps[0]); i++) {
		const struct qmap *m = &qmaps[i];

		if ((zero_mask & XS_BIT(m->bit)) && map_src(c, m, &from))
			zero(c, from, m->lanes ? m->lanes * 8 * m->count : m->raw, &changed);
	}
	if ((zero_mask & XS_BIT(XS_PKRU)) && c->sub[XS_QSUB_PKRU] >= 0)
		zero(c, (uint32_t)c->sub[XS_QSUB_PKRU], 4, &changed);
	return changed;
}

/* Store @v as an @n-byte big-endian field at body[@off]; the old value in *old. */
static void body_put(struct xs_qcpu *c, uint32_t off, unsigned n, uint64_t v, uint64_t *old)
{
	*old = body_be(c, off, n);
	if (off + n <= c->body_len)
		xs_be_put(c->body + off, v, n);
}

static void note_change(struct xs_qcpu_change *ch, unsigned max, unsigned *n, const char *what,
			uint64_t before, uint64_t after)
{
	if (before == after || *n == max)
		return;
	ch[*n] = (struct xs_qcpu_change){ what, before, after };
	(*n)++;
}

int xs_qcpu_drop(struct xs_qcpu *c, uint64_t drop, struct xs_qcpu_change *ch, unsigned max,
		 unsigned *n, struct xs_diag *d)
{
	uint64_t xcr0 = xs_qcpu_xcr0(c), after = xcr0 & ~drop, old;
	char why[96];

	*n = 0;
	if (c->version < 12)
		return XS_FAIL_AT(d, XS_EINVAL, c->body_off,
				  "cpu section version %u carries no XCR0 to lower", c->version);
	if (!xs_xcr0_valid(after, why, sizeof(why)))
		return XS_FAIL_AT(d, XS_EINVAL, c->body_off + QCPU_XCR0,
				  "the guest XCR0 0x%llx without the stripped components is 0x%llx, which no CPU accepts: %s",
				  (unsigned long long)xcr0, (unsigned long long)after, why);
	body_put(c, QCPU_XCR0, 8, after, &old);
	note_change(ch, max, n, "xcr0", old, after);
	if (drop & XS_BIT(XS_PKRU)) {
		uint64_t cr4 = body_be(c, QCPU_CR4, 8);

		body_put(c, QCPU_CR4, 8, cr4 & ~QCPU_CR4_PKE, &old);
		note_change(ch, max, n, "cr4", old, cr4 & ~QCPU_CR4_PKE);
	}
	if ((drop & XS_MASK_MPX) && c->sub[XS_QSUB_MPX] >= 0) {
		body_put(c, (uint32_t)c->sub[XS_QSUB_MPX] + QSUB_MPX_BNDCFGS, 8, 0, &old);
		note_change(ch, max, n, "msr_bndcfgs", old, 0);
	}
	if (c->sub[XS_QSUB_XFD] >= 0) {
		uint32_t at = (uint32_t)c->sub[XS_QSUB_XFD] + QSUB_XFD_MSR;
		uint64_t xfd = body_be(c, at, 8);

		body_put(c, at, 8, xfd & ~drop, &old);
		note_change(ch, max, n, "msr_xfd", old, xfd & ~drop);
	}
	return 0;
}

unsigned xs_qcpu_patches(const struct xs_qcpu *c, const uint8_t *orig, struct xs_qpatch *p,
			 unsigned max)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < c->body_len;) {
		uint32_t j, last;

		if (c->body[i] == orig[i]) {
			i++;
			continue;
		}
		/* Extend over differences closer than 16 bytes to each other. */
		for (j = i, last = i; j < c->body_len && j - last < 16; j++)
			if (c->body[j] != orig[j])
				last = j;
		if (n == max)
			return n;
		p[n].off = c->body_off + i;
		p[n].data = c->body + i;
		p[n].orig = orig + i;
		p[n].len = last - i + 1;
		n++;
		i = last + 1;
	}
	return n;
}

uint32_t xs_qcpu_instance(const struct xs_qcpu *c)
{
	return c->instance;
}

uint64_t xs_qcpu_offset(const struct xs_qcpu *c)
{
	return c->off;
}

const uint8_t *xs_qcpu_body(const struct xs_qcpu *c, uint64_t *off, uint32_t *len)
{
	if (off)
		*off = c->body_off;
	if (len)
		*len = c->body_len;
	return c->body;
}

int xs_qcpu_set_body(struct xs_qcpu *c, const uint8_t *body, uint32_t len)
{
	if (len != c->body_len)
		return -XS_EINVAL;
	memcpy(c->body, body, len);
	return 0;
}

const char *xs_qcpu_vmdesc_check(const struct xs_qcpu *c)
{
	return c->vmdesc_check;
}
