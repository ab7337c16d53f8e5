// SPDX-License-Identifier: MIT
/*
 * xsavectl filter: make a state loadable on a target XCR0 with nothing lost.
 * Only lossless fixes are applied (rules.h); anything else is refused unless
 * --force.  The output is written atomically; the input is never modified
 * unless --in-place, which replaces it atomically too.
 */
#include <stdlib.h>
#include <string.h>

#include <xsave/rules.h>

#include "cmd.h"
#include "exitcodes.h"
#include "judge.h"
#include "util.h"

enum { OPT_XCR0 = 0x1200, OPT_FORCE, OPT_INPLACE };

struct filter_args {
	struct xs_common common;
	const char *xcr0_arg;
	const char *output;
	bool force, in_place;
	const char *file;
};

static const struct argp_option options[] = {
	{ "xcr0", OPT_XCR0, "MASK", 0,
	  "Target XCR0: a number, names (x87,sse,avx,mpx,avx512,pkru,amx,apx) or \"host\"", 0 },
	{ "output", 'o', "OUT", 0, "Write the filtered state to OUT (\"-\": stdout, no report)", 0 },
	{ "in-place", OPT_INPLACE, NULL, 0, "Replace the input file (atomically)", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Also strip live guest state the target cannot load", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct filter_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->common;
		return 0;
	case OPT_XCR0:
		a->xcr0_arg = arg;
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	case OPT_FORCE:
		a->force = true;
		return 0;
	case OPT_INPLACE:
		a->in_place = true;
		return 0;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(state, "one input file at a time");
		a->file = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "no input file");
		if (!a->xcr0_arg)
			argp_error(state, "--xcr0 MASK is required");
		if (!a->output == !a->in_place)
			argp_error(state, "give exactly one of -o OUT and --in-place");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, { 0 } };

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "FILE",
	.doc = "Strip what the target cannot load, losing nothing the guest can see, and write "
	       "the same format to OUT.  Refuses (exit 1) when guest state would be lost.",
	.children = children,
};

/* Parse the filtered image again and make sure it now loads as is. */
static int verify(const struct xs_state *orig, uint8_t *img, const struct filter_args *a,
		  uint64_t target)
{
	struct xs_parse_opts po = { .force = &orig->layout, .force_why = "same layout" };
	struct xs_diag d = { 0 };
	struct xs_state st;
	struct xs_check c;

	if (xs_state_parse(&st, img, orig->size, &po, &d)) {
		msg_err("internal error: filtered image does not parse: %s", d.msg);
		return EXIT_SOFTWARE;
	}
	st.guest_known = orig->guest_known;
	st.guest_xcr0 = orig->guest_xcr0;
	xs_check_state(&st, target, &c);
	if (c.verdict != XS_VERDICT_OK && !a->force) {
		msg_err("internal error: filtered image is still '%s'", xs_verdict_name(c.verdict));
		return EXIT_SOFTWARE;
	}
	return 0;
}

static void show_change(struct out *o, const struct xs_state *st, uint64_t bv_before,
			uint64_t cleared, const struct xs_check *c, bool force)
{
	out_obj(o, "changes");
	out_mask(o, "xstate_bv_before", bv_before);
	out_mask(o, "xstate_bv_after", st->xstate_bv);
	out_mask(o, "cleared", cleared);
	out_mask(o, "lost", force ? c->lose & cleared : 0);
	out_bool(o, "xcomp_bv_cleared", c->fix & XS_PROB_XCOMP_STD);
	out_bool(o, "reserved_bytes_zeroed", c->fix & XS_PROB_RESERVED);
	out_end(o);
}

static int refuse(struct out *o, const struct filter_args *a, const struct xs_check *c)
{
	char names[160];

	if (c->lose | c->guest_outside) {
		xs_mask_names(c->lose | c->guest_outside, names, sizeof(names));
		msg_err("'%s': refusing to filter: the guest would lose %s; --force strips it",
			a->file, names);
	}
	if (c->bad)
		msg_err("'%s': refusing to filter: %s, which no filter can repair", a->file,
			xs_problem_desc(c->bad));
	return common_finish(o) ? EXIT_IOERR : EXIT_NO;
}

static int run(int argc, char **argv)
{
	struct filter_args a = { 0 };
	uint64_t target, bv_before, cleared = 0;
	const char *dest;
	struct input in;
	struct xs_check c;
	struct out *o;
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = resolve_mask("--xcr0", a.xcr0_arg, &target);
	if (!rc)
		rc = common_prepare(&a.common);
	if (!rc)
		rc = input_load(&a.common, a.file, &in);
	if (rc)
		return rc;
	dest = a.in_place ? a.file : a.output;
	if (!a.in_place && strcmp(dest, "-") && io_same_file(dest, &in.file)) {
		msg_err("'%s': output is the input file; use --in-place to replace it", dest);
		input_free(&in);
		return EXIT_USAGE;
	}
	xs_check_state(&in.st[0], target, &c);
	o = common_out(&a.common);
	out_arr(o, "inputs");
	out_obj(o, NULL);
	out_str(o, "file", a.file);
	out_str(o, "format", in.container);
	out_str(o, "output", dest);
	out_arr(o, "states");
	out_obj(o, NULL);
	show_verdict(o, &in.st[0], &c);
	if (c.verdict == XS_VERDICT_INCOMPATIBLE && !a.force) {
		out_end(o), out_end(o), out_end(o), out_end(o);
		rc = refuse(o, &a, &c);
		input_free(&in);
		return rc;
	}
	bv_before = in.st[0].xstate_bv;
	rc = xs_filter_apply(&in.st[0], &c, a.force, &cleared);
	if (rc)
		rc = EXIT_SOFTWARE;
	if (!rc)
		rc = verify(&in.st[0], in.file.buf, &a, target);
	if (!rc)
		rc = io_write_atomic(dest, in.file.buf, in.file.len, in.file.gzip, &in.file.st);
	input_free(&in);
	if (rc) {
		out_free(o);
		return rc;
	}
	show_change(o, &in.st[0], bv_before, cleared, &c, a.force);
	out_end(o), out_end(o), out_end(o), out_end(o);
	if (!strcmp(dest, "-")) {
		out_free(o);
		return EXIT_OK;
	}
	return common_finish(o);
}

const struct xs_cmd xs_cmd_filter = {
	.name = "filter",
	.summary = "strip what a target XCR0 cannot load, losing nothing, into a new file",
	.argp = &argp,
	.run = run,
};
