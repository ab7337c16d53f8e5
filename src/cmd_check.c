// SPDX-License-Identifier: MIT
/* xsavectl check: can these states load on a target with this XCR0? */
#include <stdlib.h>

#include <xsave/rules.h>

#include "cmd.h"
#include "exitcodes.h"
#include "judge.h"
#include "util.h"

struct check_args {
	struct xs_common common;
	struct xs_targetopt target;
	char **files;
	int nfiles;
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct check_args *a = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->target;
		state->child_inputs[1] = &a->common;
		return 0;
	case ARGP_KEY_ARGS:
		a->files = state->argv + state->next;
		a->nfiles = state->argc - state->next;
		return 0;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no input file");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = {
	{ &target_argp, 0, NULL, 0 }, { &common_argp, 0, NULL, 0 }, { 0 }
};

static const struct argp argp = {
	.parser = parse,
	.args_doc = "FILE...",
	.doc = "Judge whether each state loads on the target as is (exit 0), loads after "
	       "`xsavectl filter` with nothing lost (exit 2), or would lose guest state (exit 1).",
	.children = children,
};

static int worse(int a, int b)
{
	/* 1 (incompatible) outranks 2 (fixable) outranks 0. */
	if (a == 1 || b == 1)
		return 1;
	return a > b ? a : b;
}

static int run(int argc, char **argv)
{
	struct check_args a = { 0 };
	int rc, verdict = 0;
	struct out *o;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = target_prepare(&a.target);
	if (!rc)
		rc = common_prepare(&a.common);
	if (rc)
		return rc;
	o = common_out(&a.common);
	show_target(o, &a.target);
	out_arr(o, "inputs");
	for (int i = 0; i < a.nfiles; i++) {
		struct input in;

		rc = input_load(&a.common, a.files[i], &in);
		if (rc) {
			out_free(o);
			return rc;
		}
		out_obj(o, NULL);
		show_input(o, &in);
		out_arr(o, "states");
		for (unsigned s = 0; s < in.nstates; s++) {
			const struct input_state *is = &in.s[s];
			struct xs_check c;

			xs_check_state(&is->st, &a.target.t, &c);
			out_obj(o, NULL);
			show_label(o, is);
			show_verdict(o, &c);
			show_state(o, &is->st, state_kind_name(is->kind));
			show_components(o, &is->st, &c);
			out_end(o);
			verdict = worse(verdict, verdict_exit(c.verdict));
		}
		out_end(o);
		out_end(o);
		input_free(&in);
	}
	out_end(o);
	rc = common_finish(o);
	return rc ? rc : verdict;
}

const struct xs_cmd xs_cmd_check = {
	.name = "check",
	.summary = "judge whether states load on a target XCR0 (exit 0 ok, 2 fixable, 1 incompatible)",
	.argp = &argp,
	.run = run,
};
