// SPDX-License-Identifier: MIT
/* xsavectl inspect: decode XSTATE_BV per component, and the registers. */
#include <stdlib.h>

#include "cmd.h"
#include "exitcodes.h"
#include "util.h"

struct inspect_args {
	struct xs_common common;
	bool registers;
	char **files;
	int nfiles;
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
		state->child_inputs[0] = &a->common;
		return 0;
	case 'r':
		a->registers = true;
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

static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, { 0 } };

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "FILE...",
	.doc = "Show what an XSAVE state holds: header, components, registers.",
	.children = children,
};

static int run(int argc, char **argv)
{
	struct inspect_args a = { 0 };
	struct input *in;
	struct out *o;
	int rc = 0, i;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = common_prepare(&a.common);
	if (rc)
		return rc;
	in = xcalloc((size_t)a.nfiles, sizeof(*in));
	for (i = 0; i < a.nfiles && !rc; i++)
		rc = input_load(&a.common, a.files[i], &in[i]);
	if (rc) {
		for (int k = 0; k < i - 1; k++)
			input_free(&in[k]);
		free(in);
		return rc;
	}
	o = common_out(&a.common);
	out_arr(o, "inputs");
	for (i = 0; i < a.nfiles; i++) {
		out_obj(o, NULL);
		show_input(o, &in[i]);
		out_arr(o, "states");
		for (unsigned s = 0; s < in[i].nstates; s++) {
			const struct input_state *is = &in[i].s[s];

			out_obj(o, NULL);
			show_label(o, is);
			show_state(o, &is->st, state_kind_name(is->kind));
			show_components(o, &is->st, NULL);
			if (a.registers)
				show_registers(o, &is->st);
			out_end(o);
		}
		out_end(o);
		out_end(o);
		input_free(&in[i]);
	}
	out_end(o);
	free(in);
	return common_finish(o);
}

const struct xs_cmd xs_cmd_inspect = {
	.name = "inspect",
	.summary = "decode an XSAVE state: header, components, registers",
	.argp = &argp,
	.run = run,
};
