// SPDX-License-Identifier: MIT
/* xsavectl inspect: decode XSTATE_BV per component, and the registers. */
#include <stdio.h>
#include <stdlib.h>

#include "batch.h"
#include "cmd.h"
#include "exitcodes.h"
#include "fail.h"
#include "util.h"

struct inspect_args {
	struct xs_common common;
	struct batch_args batch;
	bool registers;
};

static const struct argp_option options[] = {
	{ "registers", 'r', NULL, 0, "Decode register contents", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct inspect_args *a = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->batch;
		state->child_inputs[1] = &a->common;
		return 0;
	case 'r':
		a->registers = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "FILE...",
	.doc = "Show what an XSAVE state holds: header, components, registers.  An input that "
	       "cannot be read gets an error entry; the exit status is the worst of all.",
	.children = batch_children,
};

static void show_states(struct out *o, const struct inspect_args *a, const struct input *in,
			const char *file)
{
	char name[512];

	out_obj(o, NULL);
	show_input(o, in);
	out_arr(o, "states");
	for (unsigned s = 0; s < in->nstates; s++) {
		const struct input_state *is = &in->s[s];

		state_name(name, sizeof(name), file, is);
		out_obj(o, NULL);
		show_state_line(o, name, &is->st);
		show_label(o, is);
		show_state(o, &is->st, state_source(is));
		show_components(o, &is->st, NULL);
		if (a->registers)
			show_registers(o, &is->st);
		out_end(o);
	}
	out_end(o);
	out_end(o);
}

static int run(int argc, char **argv)
{
	struct inspect_args a = { 0 };
	struct batch b;
	struct out *o;
	int rc, status = EXIT_OK;
	size_t answered = 0;
	struct tally tl = { 0 };

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = common_prepare(&a.common);
	if (rc)
		return rc;
	batch_expand(&a.batch, &b);
	/* with several inputs --guest-xcr0 is for those that record none */
	a.common.fo.guest_default = b.n > 1;
	o = common_out(common_mode(&a.common));
	out_arr(o, "inputs");
	for (size_t i = 0; i < b.n; i++) {
		struct fail why;
		struct input in;

		rc = batch_load(&a.common, &b, i, &in, &why);
		if (rc) {
			status = exit_worst(status, batch_failed(o, &a.common, &a.batch, batch_name(&b, i),
								 rc, &why, &tl));
			continue;
		}
		show_states(o, &a, &in, batch_name(&b, i));
		answered++;
		tl.files++;
		tl.read++;
		input_free(&in);
	}
	out_end(o);
	batch_tally(o, &a.common, &a.batch, &tl, false);
	batch_free(&b);
	/* Text says nothing on stdout for inputs that could not be read. */
	rc = common_end(o, out_mode(o) != OUT_TEXT || answered);
	return exit_worst(status, rc);
}

const struct xs_cmd xs_cmd_inspect = {
	.name = "inspect",
	.summary = "decode an XSAVE state: header, components, registers",
	.argp = &argp,
	.run = run,
};
