// SPDX-License-Identifier: MIT
/* xsavectl extract: write one state of an input (a core's thread) as an XSAVE image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/rd.h>

#include "batch.h"
#include "cmd.h"
#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "util.h"

struct extract_args {
	struct xs_common common;
	const char *output;
	const char *file;
};

static const struct argp_option options[] = {
	{ "output", 'o', "OUT", 0, "Write the image to OUT (\"-\": stdout, no report)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct extract_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->common;
		return 0;
	case 'o':
		return once(state, "--output", &a->output, arg);
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(state, "one input file at a time");
		a->file = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "no input file");
		if (!a->output)
			argp_error(state, "-o OUT is required");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "FILE",
	.doc = "Write one state as a standalone XSAVE image: a core thread's NT_X86_XSTATE "
	       "note byte for byte (standard format, XCR0 at byte 464, as PTRACE_GETREGSET "
	       "returns it), or a QEMU stream vCPU's state as KVM_GET_XSAVE2 would hand it to "
	       "QEMU (standard format, at least 4096 bytes, registers at the Intel offsets "
	       "unless --layout).",
	.children = common_children,
};

static void list_ids(const struct input *in, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < in->nstates && n + 24 < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%ld", i ? " " : "", in->s[i].id);
}

/*
 * The image as KVM_GET_XSAVE2 would have handed it over: a kernel buffer cut
 * short grows to its XCR0's whole area (what lies past the cut is init), and
 * an XSTATE_BV that was never maintained (TCG) says what holds data.
 */
static uint8_t *standalone(const struct xs_state *st, size_t *size, uint64_t *bv)
{
	struct xs_wr wr;
	uint8_t *img;

	*size = st->full_size > st->size ? st->full_size : st->size;
	img = xcalloc(1, *size);
	memcpy(img, st->img, st->size);
	*bv = st->bv_unmaintained ? xs_state_data_mask(st) : st->xstate_bv;
	wr = xs_wr_init(img, *size);
	(void)!xs_wr_u64le_at(&wr, XS_HDR_OFF, *bv);	/* *size >= 576 */
	return img;
}

static int run(int argc, char **argv)
{
	struct extract_args a = { 0 };
	struct fail why = { 0 };
	const struct input_state *s;
	struct input in;
	struct out *o;
	char ids[256], name[512];
	uint8_t *img;
	uint64_t bv;
	size_t size;
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = common_prepare(&a.common);
	if (rc)
		return rc;
	rc = input_load(&a.common.fo, a.file, &in, &why);
	if (rc)
		return input_error_doc(&a.common, a.file, rc, &why);
	if (in.nstates != 1) {
		list_ids(&in, ids, sizeof(ids));
		msg_err("'%s' holds %u %s (%s): choose one with %s%s", a.file, in.nstates,
			in.fmt->units, ids, in.fmt->choose ? "" : "--",
			in.fmt->choose ? in.fmt->choose : in.fmt->select);
		input_free(&in);
		return EXIT_USAGE;
	}
	s = &in.s[0];
	if (strcmp(a.output, "-") && io_same_file(a.output, &in.st)) {
		msg_err("'%s': output is the input file", a.output);
		input_free(&in);
		return EXIT_USAGE;
	}
	img = standalone(&s->st, &size, &bv);
	rc = fail_said(&why, io_write_atomic(a.output, img, size, CODEC_NONE, NULL, &why));
	free(img);
	if (rc || !strcmp(a.output, "-")) {
		input_free(&in);
		return rc;
	}
	o = common_out(common_mode(&a.common));
	state_name(name, sizeof(name), a.file, s);
	out_line(o, "%s: wrote %s (%zu bytes, xstate_bv 0x%llx)", name, a.output, size,
		 (unsigned long long)bv);
	show_input(o, &in);
	show_label(o, s);
	out_str(o, "output", a.output);
	out_u64(o, "size", size);
	if (s->st.full_size)
		out_note(o, "(the %zu-byte kernel buffer grown to its XCR0's whole area; %s)",
			 s->st.size, "the components past its end written at init");
	out_mask(o, "xstate_bv", bv);
	if (s->st.bv_unmaintained)
		out_note(o, "(the stream's XSTATE_BV is not maintained (TCG): set to the components "
			 "holding data)");
	input_free(&in);
	return common_finish(o);
}

const struct xs_cmd xs_cmd_extract = {
	.name = "extract",
	.summary = "write one state (a core thread, a stream's vCPU) as a standalone XSAVE image",
	.argp = &argp,
	.run = run,
};
