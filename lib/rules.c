// SPDX-License-Identifier: MIT
/* The check/filter rules: see include/xsave/rules.h. */
#include <stdio.h>
#include <string.h>

#include <xsave/rd.h>
#include <xsave/relocate.h>
#include <xsave/rules.h>

static void judge_bit(const struct xs_state *st, unsigned bit, uint64_t target,
		      struct xs_bit_check *b)
{
	bool sup = XS_MASK_SUPERVISOR & XS_BIT(bit);

	b->bit = (uint8_t)bit;
	if (!sup && (target & XS_BIT(bit))) {
		b->action = XS_ACT_KEEP;
		b->reason = "the target loads it";
		return;
	}
	b->action = XS_ACT_STRIP;
	if (!(st->located & XS_BIT(bit))) {
		b->reason = "no data area in this format: only the init value can load";
		return;
	}
	if (!sup && st->guest_known && !(st->guest_xcr0 & XS_BIT(bit))) {
		b->reason = "not in the guest XCR0: host state the guest never enabled";
		return;
	}
	if (st->init & XS_BIT(bit)) {
		b->reason = sup ? "supervisor state at its init value"
				: "data is the init value: nothing to lose";
		return;
	}
	b->action = XS_ACT_LOSE;
	b->reason = sup ? "supervisor state with live data: KVM_SET_XSAVE refuses it"
			: "live guest state the target cannot load";
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
		judge_bit(st, i, target, b);
		if (b->action == XS_ACT_STRIP)
			c->strip |= XS_BIT(i);
		else if (b->action == XS_ACT_LOSE)
			c->lose |= XS_BIT(i);
	}
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
