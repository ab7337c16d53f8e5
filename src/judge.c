// SPDX-License-Identifier: MIT
/* The verdict of one state against a target, as check and filter print it. */
#include <inttypes.h>

#include <xsave/rules.h>

#include "judge.h"

static void finding(struct out *o, const char *what, const char *action, const char *reason)
{
	out_obj(o, NULL);
	out_str(o, "what", what);
	out_str(o, "action", action);
	out_str(o, "reason", reason);
	out_end(o);
}

void show_verdict(struct out *o, const struct xs_check *c)
{
	char names[160], reason[320];

	out_str(o, "verdict", xs_verdict_name(c->verdict));
	out_mask(o, "target_xcr0", c->target);
	out_mask(o, "strip", c->strip);
	out_mask(o, "lose", c->lose);
	out_arr(o, "findings");
	for (unsigned k = 0; k < c->nbits; k++) {
		const struct xs_bit_check *b = &c->bits[k];

		finding(o, xs_comp_info(b->bit)->name, xs_action_name(b->action), b->reason);
	}
	if (c->guest_outside) {
		xs_mask_names(c->guest_outside, names, sizeof(names));
		snprintf(reason, sizeof(reason),
			 "the guest enabled %s, which the target cannot load", names);
		finding(o, "guest_xcr0", "incompatible", reason);
	}
	for (unsigned p = 1; p < 1u << XS_PROB_COUNT; p <<= 1) {
		if (c->fix & p)
			finding(o, xs_problem_name(p), "fix", xs_problem_desc(p));
		else if (c->bad & p)
			finding(o, xs_problem_name(p), "incompatible", xs_problem_desc(p));
	}
	if (c->bv_rebuild) {
		xs_mask_names(c->bv_data, names, sizeof(names));
		snprintf(reason, sizeof(reason),
			 "not maintained (TCG): KVM_SET_XSAVE would load every register at init; "
			 "filter sets it to the components holding data (%s)", names);
		finding(o, "xstate_bv", "fix", reason);
	}
	out_end(o);
}

int verdict_exit(enum xs_verdict v)
{
	switch (v) {
	case XS_VERDICT_OK:
		return 0;
	case XS_VERDICT_FIXABLE:
		return 2;
	case XS_VERDICT_INCOMPATIBLE:
		break;
	}
	return 1;
}
