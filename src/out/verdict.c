// SPDX-License-Identifier: MIT
/* The verdict of one state against a target, as check and filter print it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xsave/relocate.h>
#include <xsave/rules.h>

#include "out/verdict.h"

static void finding(struct out *o, const char *what, const char *action, const char *reason)
{
	out_obj(o, NULL);
	out_str(o, "what", what);
	out_str(o, "action", action);
	out_str(o, "reason", reason);
	out_end(o);
}

/* The layout rule's findings (relocate.h): one per component moved, or the unknown layout. */
static void layout_findings(struct out *o, const struct xs_check *c, const struct xs_state *st,
			    const struct xs_target *t)
{
	char names[160], reason[320];
	struct xs_relocation r;

	if (c->layout_unknown) {
		xs_relocation_plan(st, t->layout, st->xstate_bv & ~(c->strip | c->lose), &r);
		xs_mask_names(r.vendor, names, sizeof(names));
		if (t->layout)
			snprintf(reason, sizeof(reason),
				 "the target's layout has no area for %s: where it loads is unknown",
				 names);
		else
			snprintf(reason, sizeof(reason),
				 "the target's layout is unknown, and %s sit at other offsets on Intel "
				 "and AMD: give the target as --target PROFILE (or a CPUID file)", names);
		finding(o, "layout", "incompatible", reason);
	}
	for (unsigned i = 0; t->layout && i < XS_NCOMP; i++) {
		if (!(c->relocate & XS_BIT(i)))
			continue;
		snprintf(reason, sizeof(reason),
			 "the target reads it at %u, this image holds it at %u: filter moves it",
			 t->layout->offset[i], st->off[i]);
		out_obj(o, NULL);
		out_str(o, "what", xs_comp_info(i)->name);
		out_str(o, "action", "relocate");
		out_str(o, "reason", reason);
		out_u64(o, "from", st->off[i]);
		out_u64(o, "to", t->layout->offset[i]);
		out_end(o);
	}
}

void show_verdict(struct out *o, const struct xs_check *c, const struct xs_state *st,
		  const struct xs_target *t)
{
	char names[160], reason[320];

	out_mask(o, "target_xcr0", c->target);
	out_mask(o, "strip", c->strip);
	out_mask(o, "lose", c->lose);
	out_arr(o, "findings");
	for (unsigned k = 0; k < c->nbits; k++) {
		const struct xs_bit_check *b = &c->bits[k];

		if (b->action == XS_ACT_KEEP)
			continue;
		if (b->refused) {
			snprintf(reason, sizeof(reason), "not in the guest XCR0: %s", c->refusal);
			finding(o, xs_comp_info(b->bit)->name, xs_action_name(b->action), reason);
			continue;
		}
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
	layout_findings(o, c, st, t);
	out_end(o);
}

/* Append ", " (unless nothing follows @start yet) and the formatted text to @buf. */
static void part(char *buf, size_t len, size_t *n, size_t start, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void part(char *buf, size_t len, size_t *n, size_t start, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= len)
		return;
	if (*n > start) {
		w = snprintf(buf + *n, len - *n, ", ");
		*n += w > 0 ? (size_t)w : 0;
		if (*n >= len)
			return;
	}
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	*n += w > 0 ? (size_t)w : 0;
}

/* The components @c strips for the same reason as bit @k, and that reason up to its ':'. */
static uint64_t same_reason(const struct xs_check *c, unsigned k, int *reason_len)
{
	const char *r = c->bits[k].reason, *colon = strchr(r, ':');
	uint64_t m = 0;

	for (unsigned j = 0; j < c->nbits; j++)
		if (c->bits[j].action == XS_ACT_STRIP && c->bits[j].reason == r)
			m |= XS_BIT(c->bits[j].bit);
	*reason_len = colon ? (int)(colon - r) : (int)strlen(r);
	return m;
}

void verdict_line(char *buf, size_t len, const struct xs_check *c)
{
	char names[160];
	uint64_t done = 0;
	size_t n = 0;
	int w;

	size_t start;

	w = snprintf(buf, len, "%s", xs_verdict_name(c->verdict));
	n = w > 0 ? (size_t)w : 0;
	if (c->verdict == XS_VERDICT_OK)
		return;
	w = snprintf(buf + n, len > n ? len - n : 0, ": ");
	start = n += w > 0 ? (size_t)w : 0;
	if (c->lose) {
		xs_mask_names(c->lose, names, sizeof(names));
		part(buf, len, &n, start, "lose %s (live data the target cannot load)", names);
	}
	if (c->guest_outside & ~c->lose) {
		xs_mask_names(c->guest_outside & ~c->lose, names, sizeof(names));
		part(buf, len, &n, start, "the guest XCR0 enables %s", names);
	}
	if (c->bad)
		part(buf, len, &n, start, "%s", xs_problem_desc(c->bad));
	if (c->layout_unknown)
		part(buf, len, &n, start, "the target's layout is unknown (give --target PROFILE)");
	if (c->verdict == XS_VERDICT_INCOMPATIBLE)
		return;
	for (unsigned k = 0; k < c->nbits; k++) {
		int rl;
		uint64_t m;

		if (c->bits[k].action != XS_ACT_STRIP || (done & XS_BIT(c->bits[k].bit)))
			continue;
		m = same_reason(c, k, &rl);
		done |= m;
		xs_mask_names(m, names, sizeof(names));
		part(buf, len, &n, start, "strip %s (%.*s)", names, rl, c->bits[k].reason);
	}
	if (c->bv_rebuild) {
		xs_mask_names(c->bv_data, names, sizeof(names));
		part(buf, len, &n, start, "set XSTATE_BV to %s (not maintained: TCG)", names[0] ? names : "0");
	}
	for (unsigned p = 1; p < 1u << XS_PROB_COUNT; p <<= 1)
		if (c->fix & p)
			part(buf, len, &n, start, "fix %s", xs_problem_name(p));
	if (c->relocate) {
		xs_mask_names(c->relocate, names, sizeof(names));
		part(buf, len, &n, start, "relocate %s (the target's layout)", names);
	}
	part(buf, len, &n, start, "lose nothing");
}

/* Append "; " (unless @buf is empty), @what and @names (may be NULL) to @buf. */
static void cell_part(char *buf, size_t len, const char *what, const char *names)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s%s%s%s", n ? "; " : "", what, names ? " " : "",
			 names ? names : "");
}

/*
 * "incompatible (lose pkru; guest xcr0 bndregs bndcsr; mxcsr_reserved)": what
 * verdict_line() says, from the same fields, in as few words.
 */
void verdict_cell(char *buf, size_t len, const struct xs_check *c)
{
	char names[160], parts[400] = "";

	if (c->lose) {
		xs_mask_names(c->lose, names, sizeof(names));
		cell_part(parts, sizeof(parts), "lose", names);
	}
	if (c->guest_outside & ~c->lose) {
		xs_mask_names(c->guest_outside & ~c->lose, names, sizeof(names));
		cell_part(parts, sizeof(parts), "guest xcr0", names);
	}
	for (unsigned p = 1; p < 1u << XS_PROB_COUNT; p <<= 1)
		if (c->bad & p)
			cell_part(parts, sizeof(parts), xs_problem_name(p), NULL);
	if (c->layout_unknown)
		cell_part(parts, sizeof(parts), "layout unknown", NULL);
	if (c->verdict == XS_VERDICT_INCOMPATIBLE && parts[0])
		snprintf(buf, len, "%s (%s)", xs_verdict_name(c->verdict), parts);
	else
		snprintf(buf, len, "%s", xs_verdict_name(c->verdict));
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
