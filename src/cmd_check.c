// SPDX-License-Identifier: MIT
/* xsavectl check: can these states load on a target with this XCR0? */
#include <stdlib.h>

#include <xsave/rules.h>

#include "cmd.h"
#include "exitcodes.h"
#include "judge.h"
#include "util.h"

enum { OPT_XCR0 = 0x1100 };

struct check_args {
	struct xs_common common;
	const char *xcr0_arg;
	char **files;
	int nfiles;
};

static const struct argp_option options[] = {
	{ "xcr0", OPT_XCR0, "MASK", 0,
	  "Target XCR0: a number, names (x87,sse,avx,mpx,avx512,pkru,amx,apx) or \"host\"", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct check_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->common;
		return 0;
	case OPT_XCR0:
		a->xcr0_arg = arg;
		return 0;
	case ARGP_KEY_ARGS:
		a->files = state->argv + state->next;
		a->nfiles = state->argc - state->next;
		return 0;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no input file");
		return 0;
	case ARGP_KEY_END:
		if (!a->xcr0_arg)
			argp_error(state, "--xcr0 MASK is required");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, { 0 } };

static const struct argp argp = {
	.options = options,
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
	uint64_t target;
	int rc, verdict = 0;
	struct out *o;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = resolve_mask("--xcr0", a.xcr0_arg, &target);
	if (!rc)
		rc = common_prepare(&a.common);
	if (rc)
		return rc;
	o = common_out(&a.common);
	out_arr(o, "inputs");
	for (int i = 0; i < a.nfiles; i++) {
		struct input in;

		rc = input_load(&a.common, a.files[i], &in);
		if (rc) {
			out_free(o);
			return rc;
		}
		out_obj(o, NULL);
		out_str(o, "file", a.files[i]);
		out_str(o, "format", in.container);
		out_arr(o, "states");
		for (unsigned s = 0; s < in.nstates; s++) {
			struct xs_check c;

			xs_check_state(&in.st[s], target, &c);
			out_obj(o, NULL);
			show_verdict(o, &in.st[s], &c);
			show_state(o, &in.st[s], "image");
			show_components(o, &in.st[s], &c);
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
