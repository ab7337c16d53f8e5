// SPDX-License-Identifier: MIT
/* xsavectl diff: compare two states register by register; exit 1 when they differ. */
#include <string.h>

#include <xsave/diff.h>

#include "batch.h"
#include "cmd.h"
#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "util.h"

enum { OPT_ALL = 0x1300 };

struct diff_args {
	struct xs_common common;
	bool all;
	const char *file[2];
	int n;
};

static const struct argp_option options[] = {
	{ "all", OPT_ALL, NULL, 0,
	  "Compare components outside the guest XCR0 too (by default they are skipped when "
	  "the guest XCR0 is known)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct diff_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->common;
		return 0;
	case OPT_ALL:
		a->all = true;
		return 0;
	case ARGP_KEY_ARG:
		if (a->n == 2)
			argp_error(state, "exactly two input files");
		a->file[a->n++] = arg;
		return 0;
	case ARGP_KEY_END:
		if (a->n != 2)
			argp_error(state, "exactly two input files");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "A B",
	.doc = "Compare two states as the CPU would hold them after loading each; exit 1 "
	       "when a register differs.  Formats, sizes and layouts may differ.",
	.children = common_children,
};

static void show_side(struct out *o, const char *key, const struct xs_reg *r)
{
	if (r)
		out_hexle(o, key, r->v, r->width);
	else
		out_null(o, key);
}

/* A side's XSTATE_BV; where it is not maintained (TCG), the registers load as stored. */
static void show_bv(struct out *o, const char *key, const struct xs_state *st)
{
	out_mask(o, key, st->xstate_bv);
	if (st->bv_unmaintained)
		out_note(o, "(not maintained (TCG): every register loads as stored)");
}

/* XSTATE_BV bits that differ while both sides load the same data or init (TCG). */
static uint64_t header_only(const struct xs_state *sa, const struct xs_state *sb,
			    const struct xs_diff *d)
{
	uint64_t differ = d->bv_only | d->ignored;

	for (size_t i = 0; i < d->n; i++)
		differ |= XS_BIT((d->regs[i].a ? d->regs[i].a : d->regs[i].b)->comp);
	return (sa->xstate_bv ^ sb->xstate_bv) & ~differ;
}

static void show_pair(struct out *o, const struct input_state *ia, const struct input_state *ib,
		      const struct xs_diff *d)
{
	const struct xs_state *sa = &ia->st, *sb = &ib->st;

	char key[32];

	/* "thread_a", "vcpu_b": the option that picks the state, where its format has several */
	if (ia->fmt->select) {
		snprintf(key, sizeof(key), "%s_a", ia->fmt->select);
		out_u64(o, key, (uint64_t)ia->id);
	}
	if (ib->fmt->select) {
		snprintf(key, sizeof(key), "%s_b", ib->fmt->select);
		out_u64(o, key, (uint64_t)ib->id);
	}
	out_bool(o, "equal", d->n == 0);
	show_bv(o, "xstate_bv_a", sa);
	show_bv(o, "xstate_bv_b", sb);
	if (sa->bv_unmaintained || sb->bv_unmaintained) {
		out_bool(o, "xstate_bv_maintained_a", !sa->bv_unmaintained);
		out_bool(o, "xstate_bv_maintained_b", !sb->bv_unmaintained);
		out_mask(o, "xstate_bv_header", header_only(sa, sb, d));
		out_note(o, "(XSTATE_BV bits that differ in the header only: both load the same "
			    "registers)");
	}
	out_mask(o, "ignored", d->ignored);
	if (d->ignored)
		out_note(o, "(outside the guest XCR0: not guest-visible)");
	out_mask(o, "xstate_bv_only", d->bv_only);
	if (d->bv_only)
		out_note(o, "(XSTATE_BV differs, registers equal: init vs. zero data)");
	out_arr(o, "registers");
	for (size_t i = 0; i < d->n; i++) {
		out_obj(o, NULL);
		out_str(o, "name", d->regs[i].name);
		show_side(o, "a", d->regs[i].a);
		show_side(o, "b", d->regs[i].b);
		out_end(o);
	}
	out_end(o);
}

/* The open record's line (--brief): "A vcpu0 B vcpu0: differ: ymm1 zmm3 (2 registers)". */
static void pair_line(struct out *o, const struct diff_args *a, const struct input_state *ia,
		      const struct input_state *ib, const struct xs_diff *d)
{
	char na[512], nb[512], regs[8 * 40 + 64] = "";
	size_t n = 0;

	state_name(na, sizeof(na), a->file[0], ia);
	state_name(nb, sizeof(nb), a->file[1], ib);
	for (size_t k = 0; k < d->n && k < 8 && n < sizeof(regs); k++)
		n += (size_t)snprintf(regs + n, sizeof(regs) - n, " %s", d->regs[k].name);
	if (d->n > 8 && n < sizeof(regs))
		n += (size_t)snprintf(regs + n, sizeof(regs) - n, " +%zu more", d->n - 8);
	if (d->n && n < sizeof(regs))
		snprintf(regs + n, sizeof(regs) - n, " (%zu register%s)", d->n, d->n > 1 ? "s" : "");
	out_line(o, "%s %s: %s%s", na, nb, d->n ? "differ:" : "equal", regs);
}

/* Compare state @i of both inputs into @o; *equal is cleared on a difference. */
static int diff_pair(struct out *o, const struct diff_args *a, const struct input in[2],
		     unsigned i, bool *equal)
{
	const struct input_state *ia = &in[0].s[i], *ib = &in[1].s[i];
	uint64_t ignore = 0;
	struct xs_diff d;

	if (!a->all && ia->st.guest_known && ib->st.guest_known)
		ignore = ~(ia->st.guest_xcr0 | ib->st.guest_xcr0 | XS_MASK_FPSSE) &
			 (xs_state_components(&ia->st) | xs_state_components(&ib->st)) &
			 ~XS_BIT(63);
	if (xs_diff_states(&ia->st, &ib->st, ignore, &d)) {
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	out_obj(o, NULL);
	pair_line(o, a, ia, ib, &d);
	show_pair(o, ia, ib, &d);
	out_end(o);
	*equal &= d.n == 0;
	xs_diff_free(&d);
	return 0;
}

static int run(int argc, char **argv)
{
	struct diff_args a = { 0 };
	struct fail why = { 0 };
	struct input in[2];
	bool equal = true;
	struct out *o;
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = common_prepare(&a.common);
	if (rc)
		return rc;
	rc = input_load(&a.common.fo, a.file[0], &in[0], &why);
	if (rc)
		return input_error_doc(&a.common, a.file[0], rc, &why);
	memset(&why, 0, sizeof(why));
	rc = input_load(&a.common.fo, a.file[1], &in[1], &why);
	if (rc) {
		input_free(&in[0]);
		return input_error_doc(&a.common, a.file[1], rc, &why);
	}
	if (in[0].nstates != in[1].nstates) {
		msg_err("'%s' holds %u states and '%s' %u: extract the ones to compare with `xsavectl extract`",
			a.file[0], in[0].nstates, a.file[1], in[1].nstates);
		input_free(&in[0]);
		input_free(&in[1]);
		return EXIT_USAGE;
	}
	o = common_out(common_mode(&a.common));
	out_str(o, "a", a.file[0]);
	out_str(o, "b", a.file[1]);
	out_arr(o, "states");
	for (unsigned i = 0; i < in[0].nstates && !rc; i++)
		rc = diff_pair(o, &a, in, i, &equal);
	out_end(o);
	out_bool(o, "equal", equal);
	input_free(&in[0]);
	input_free(&in[1]);
	if (rc) {
		out_free(o);
		return rc;
	}
	rc = common_finish(o);
	return rc ? rc : equal ? EXIT_OK : EXIT_NO;
}

const struct xs_cmd xs_cmd_diff = {
	.name = "diff",
	.summary = "compare two states register by register (exit 1 when they differ)",
	.argp = &argp,
	.run = run,
};
