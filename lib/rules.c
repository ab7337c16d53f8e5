// SPDX-License-Identifier: MIT
/* The check/filter rules: see include/xsave/rules.h. */
#include <stdio.h>
#include <string.h>

#include <xsave/rd.h>
#include <xsave/relocate.h>
#include <xsave/rules.h>
#include <xsave/internal.h>

/* Reasons shared by several bits (verdict lines group bits by reason). */
static const char REASON_NOT_GUEST[] = "not in the guest XCR0: host state the guest never enabled";
static const char REASON_XFD[] =
	"armed by the guest's IA32_XFD: KVM_SET_XSAVE clears it (the kernel's own rule), "
	"older kernels take a #NM on it";

/* Does the destination kernel load XSTATE_BV bits its XCR0 has but the guest's lacks? */
static bool dest_loads_beyond_guest(enum xs_dest_kernel k)
{
	return k == XS_DK_FIXED || k == XS_DK_LEAKS || k == XS_DK_PRE_5_16;
}

/* A user bit the target's XCR0 has: kept, unless the guest never enabled it there. */
static void judge_in_target(const struct xs_state *st, unsigned bit, const struct xs_target *t,
			    struct xs_bit_check *b)
{
	if (st->guest_known && !(st->guest_xcr0 & XS_BIT(bit)) &&
	    !dest_loads_beyond_guest(t->kernel)) {
		b->action = XS_ACT_STRIP;
		b->reason = REASON_NOT_GUEST;
		b->refused = true;
		return;
	}
	b->action = XS_ACT_KEEP;
	b->reason = "the target loads it";
}

static void judge_bit(const struct xs_state *st, unsigned bit, const struct xs_target *t,
		      struct xs_bit_check *b)
{
	bool sup = XS_MASK_SUPERVISOR & XS_BIT(bit);

	b->bit = (uint8_t)bit;
	b->action = XS_ACT_STRIP;
	if (!sup && st->xfd_known && (st->xfd & XS_BIT(bit))) {
		b->reason = REASON_XFD;
		b->xfd = true;
		return;
	}
	if (!sup && (t->xcr0 & XS_BIT(bit))) {
		judge_in_target(st, bit, t, b);
		return;
	}
	if (!(st->located & XS_BIT(bit))) {
		b->reason = "no data area in this format: only the init value can load";
		return;
	}
	if (!sup && st->guest_known && !(st->guest_xcr0 & XS_BIT(bit))) {
		b->reason = REASON_NOT_GUEST;
		return;
	}
	if (st->init & XS_BIT(bit)) {
		b->reason = sup ? "supervisor state at its init value"
				: "data is the init value: nothing to lose";
		return;
	}
	b->action = XS_ACT_LOSE;
	b->reason = sup ? "supervisor state with live data: KVM_SET_XSAVE refuses it"
			: "live state the target cannot load";
}

static bool mxcsr_reserved(const struct xs_state *st, const struct xs_target *t)
{
	uint32_t mask;

	if (!t->have_mxcsr_mask)
		return st->problems & XS_PROB_MXCSR;
	if (!(st->xstate_bv & (XS_MASK_FPSSE | XS_BIT(XS_AVX))))
		return false;
	mask = t->mxcsr_mask ? t->mxcsr_mask : XS_MXCSR_MASK_DEFAULT;
	return st->mxcsr & ~mask;
}

void xs_check_state(const struct xs_state *st, const struct xs_target *t, struct xs_check *c)
{
	uint64_t bv = st->xstate_bv, target = t->xcr0;

	memset(c, 0, sizeof(*c));
	c->target = target;
	/*
	 * TCG streams: XSTATE_BV is 0 while the registers are live, and
	 * KVM_SET_XSAVE would load every component at init.  Judge what it must
	 * say instead: the components holding data.
	 */
	if (st->bv_unmaintained) {
		c->bv_rebuild = true;
		c->bv_data = bv = xs_state_data_mask(st);
	}
	for (unsigned i = 0; i < XS_NCOMP; i++) {
		struct xs_bit_check *b;

		if (!(bv & XS_BIT(i)))
			continue;
		b = &c->bits[c->nbits++];
		judge_bit(st, i, t, b);
		if (b->action == XS_ACT_STRIP)
			c->strip |= XS_BIT(i);
		else if (b->action == XS_ACT_LOSE)
			c->lose |= XS_BIT(i);
		if (b->refused)
			c->refused |= XS_BIT(i);
		if (b->xfd)
			c->xfd_armed |= XS_BIT(i);
	}
	if (c->refused)
		xs_target_refusal(t, c->refusal, sizeof(c->refusal));
	if (st->guest_known)
		c->guest_outside = st->guest_xcr0 & ~target;
	c->fix = st->problems & (XS_PROB_XCOMP_STD | XS_PROB_RESERVED);
	c->bad = mxcsr_reserved(st, t) ? XS_PROB_MXCSR : 0;
	if (c->lose || c->guest_outside || c->bad)
		c->verdict = XS_VERDICT_INCOMPATIBLE;
	else if (c->strip || c->fix || c->bv_rebuild)
		c->verdict = XS_VERDICT_FIXABLE;
	else
		c->verdict = XS_VERDICT_OK;
	/* --- the destination's layout (relocate.c): c->relocate, c->layout_unknown --- */
	xs_check_relocation(st, t, c);
	/* --- end of the layout rule --- */
}

bool xs_xcr0_valid(uint64_t xcr0, char *why, size_t len)
{
	const char *rule = NULL;

	if (!(xcr0 & XS_BIT(XS_X87)))
		rule = "x87 (bit 0) must be set";
	else if ((xcr0 & XS_BIT(XS_AVX)) && !(xcr0 & XS_BIT(XS_SSE)))
		rule = "avx needs sse";
	else if ((xcr0 & XS_MASK_MPX) && (xcr0 & XS_MASK_MPX) != XS_MASK_MPX)
		rule = "bndregs and bndcsr go together";
	else if ((xcr0 & XS_MASK_AVX512) &&
		 ((xcr0 & XS_MASK_AVX512) != XS_MASK_AVX512 || !(xcr0 & XS_BIT(XS_AVX))))
		rule = "opmask, zmm_hi256 and hi16_zmm go together, with avx";
	else if ((xcr0 & XS_MASK_AMX) && (xcr0 & XS_MASK_AMX) != XS_MASK_AMX)
		rule = "tilecfg and tiledata go together";
	if (rule && why)
		snprintf(why, len, "%s", rule);
	return !rule;
}

static const char *const dest_kernel_names[] = {
	[XS_DK_UNKNOWN] = "unknown",	     [XS_DK_FIXED] = "fixed",
	[XS_DK_NEEDS_PATCH] = "needs-patch", [XS_DK_LEAKS] = "leaks",
	[XS_DK_PRE_5_16] = "pre-5.16",	     [XS_DK_INCONCLUSIVE] = "inconclusive",
};
#define N_DEST_KERNEL (sizeof(dest_kernel_names) / sizeof(dest_kernel_names[0]))

const char *xs_dest_kernel_name(enum xs_dest_kernel k)
{
	return (unsigned)k < N_DEST_KERNEL ? dest_kernel_names[k] : "unknown";
}

bool xs_dest_kernel_parse(const char *name, enum xs_dest_kernel *k)
{
	for (unsigned i = 0; i < N_DEST_KERNEL; i++)
		if (!strcmp(name, dest_kernel_names[i])) {
			*k = (enum xs_dest_kernel)i;
			return true;
		}
	return false;
}

/* The kernel half: who refuses, and how sure we are. */
static int refusal_kernel(const struct xs_target *t, char *buf, size_t len)
{
	const char *rel = t->kernel_release;

	switch (t->kernel) {
	case XS_DK_NEEDS_PATCH:
		return rel[0] ? snprintf(buf, len, "a needs-patch kernel (%s) refuses it", rel)
			      : snprintf(buf, len, "a needs-patch kernel refuses it");
	case XS_DK_INCONCLUSIVE:
		return snprintf(buf, len, "the probe of the destination kernel%s%s%s was "
				"inconclusive, and a needs-patch kernel refuses it", rel[0] ? " (" : "",
				rel, rel[0] ? ")" : "");
	default:
		break;
	}
	if (rel[0])
		return snprintf(buf, len, "the destination kernel (%s) was not probed, "
				"and a needs-patch kernel refuses it", rel);
	return snprintf(buf, len, "the destination kernel is unknown, "
			"and a needs-patch kernel refuses it");
}

void xs_target_refusal(const struct xs_target *t, char *buf, size_t len)
{
	unsigned q = t->qemu_version;
	int n;

	if (!len)
		return;
	n = refusal_kernel(t, buf, len);
	if (n < 0 || (size_t)n >= len)
		return;
	if (!q)
		snprintf(buf + n, len - (size_t)n, "; QEMU before 8.2 then resumes the guest with "
			 "its registers reset, 8.2 and later stop the load");
	else if (q < XS_QEMU_STOPS_ON_PUT_FAILURE)
		snprintf(buf + n, len - (size_t)n, "; QEMU %u.%u there resumes the guest with its "
			 "registers reset", q / 10000, q / 100 % 100);
	else
		snprintf(buf + n, len - (size_t)n, "; QEMU %u.%u there stops the load: the guest "
			 "does not run", q / 10000, q / 100 % 100);
}

const char *xs_verdict_name(enum xs_verdict v)
{
	switch (v) {
	case XS_VERDICT_OK:
		return "ok";
	case XS_VERDICT_FIXABLE:
		return "fixable";
	case XS_VERDICT_INCOMPATIBLE:
		break;
	}
	return "incompatible";
}

const char *xs_action_name(enum xs_action a)
{
	switch (a) {
	case XS_ACT_KEEP:
		return "keep";
	case XS_ACT_STRIP:
		return "strip";
	case XS_ACT_LOSE:
		break;
	}
	return "incompatible";
}

int xs_filter_apply(struct xs_state *st, const struct xs_check *c, bool force, uint64_t *cleared)
{
	struct xs_wr wr = xs_wr_init(st->img, st->size);
	uint64_t clear = c->strip | (force ? c->lose : 0);
	bool ok = true;

	for (unsigned i = 2; i < XS_NCOMP; i++)
		if ((clear & XS_BIT(i)) && (st->located & XS_BIT(i)))
			ok &= xs_wr_zero_at(&wr, st->off[i], st->len[i]);
	/* x87/SSE share the legacy area; zero only their registers, keep MXCSR. */
	if (clear & XS_BIT(XS_X87)) {
		ok &= xs_wr_copy_at(&wr, 0, "\x7f\x03", 2) && xs_wr_zero_at(&wr, 2, 22);
		for (unsigned i = 0; i < 8; i++)
			ok &= xs_wr_zero_at(&wr, XS_OFF_ST0 + XS_ST_STRIDE * i, XS_ST_STRIDE);
	}
	if (clear & XS_BIT(XS_SSE))
		ok &= xs_wr_zero_at(&wr, XS_OFF_XMM0, XS_XMM_BYTES);
	if (c->bv_rebuild) {
		st->xstate_bv = c->bv_data;
		st->bv_unmaintained = false;
	}
	st->xstate_bv &= ~clear;
	ok &= xs_wr_u64le_at(&wr, XS_OFF_XSTATE_BV, st->xstate_bv);
	if (c->fix & XS_PROB_XCOMP_STD) {
		st->xcomp_bv = 0;
		ok &= xs_wr_u64le_at(&wr, XS_OFF_XCOMP_BV, 0);
	}
	if (c->fix & XS_PROB_RESERVED)
		ok &= xs_wr_zero_at(&wr, XS_OFF_HDR_RESERVED, XS_HDR_RESERVED_SIZE);
	*cleared = clear;
	/* Every range was checked when the state was parsed: a failure is a bug. */
	return ok ? 0 : -XS_EBUG;
}

bool xs_xcr0_possible(uint64_t xcr0, char *why, size_t len)
{
	uint64_t sup = xcr0 & XS_MASK_SUPERVISOR;
	uint64_t undefined = xcr0 & ~XS_MASK_XCR0_DEFINED & ~XS_MASK_SUPERVISOR;
	char names[XS_NCOMP * 8];

	if (!xs_xcr0_valid(xcr0, why, len))
		return false;
	if (!sup && !undefined)
		return true;
	xs_mask_names(sup ? sup : undefined, names, sizeof(names));
	if (why && sup)
		snprintf(why, len, "%s: supervisor state (IA32_XSS), never in XCR0", names);
	else if (why && undefined == XS_BIT(63))
		snprintf(why, len, "bit63: reserved to extend XCR0, never a component");
	else if (why)
		snprintf(why, len, "%s: no CPU defines %s as an XCR0 component", names,
			 undefined & (undefined - 1) ? "these bits" : "this bit");
	return false;
}

uint64_t xs_mask_xcr0_defined(void)
{
	return XS_MASK_XCR0_DEFINED;
}
