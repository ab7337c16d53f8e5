// SPDX-License-Identifier: MIT
/*
 * xsavectl check: can these states load on a target?  Every input gets its
 * answer (an error entry where it cannot be read); with several targets, every
 * state is judged against every one (a matrix).  The exit status is the worst.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/rules.h>

#include "batch.h"
#include "cmd.h"
#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "out/verdict.h"
#include "util.h"

struct check_args {
	struct xs_common common;
	struct xs_targets targets;
	struct batch_args batch;
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct check_args *a = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		a->targets.many = true;
		state->child_inputs[0] = &a->batch;
		state->child_inputs[1] = &a->targets;
		state->child_inputs[2] = &a->common;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.parser = parse,
	.args_doc = "FILE...",
	.doc = "Judge whether each state loads on the target as is (exit 0), loads after "
	       "`xsavectl filter` with nothing lost (exit 2), or would lose guest state (exit 1). "
	       "Several --xcr0/--target options judge every state against every target (a "
	       "matrix).  An input that cannot be read gets an error entry; the exit status is "
	       "the worst of all (see EXIT STATUS in the man page)."
	       "\vA component the target loads but the guest XCR0 lacks (a leaky 5.16 source's "
	       "host PKRU or AVX-512) is stripped unless the target's kernel is known to load "
	       "it: fixed (6.6+, 6.1.60+, 6.5.9+), leaks (5.16) and pre-5.16 kernels do; "
	       "needs-patch kernels (5.17-6.6-rc6, 6.1.0-6.1.59, 6.5.0-6.5.8) refuse the whole "
	       "state, and an unknown one (--xcr0 MASK, a version 1 profile) is judged as "
	       "needs-patch.  A profile records the kernel's probe class and its QEMU (host "
	       "--save-profile, --probe-from); --xcr0 host probes this kernel.  Components "
	       "armed by the guest's IA32_XFD are stripped, as KVM_SET_XSAVE does.",
	.children = batch_target_children,
};

/* One state (named @name) against one target, in full (a single target), and its line. */
static void show_one(struct out *o, const char *name, const struct input_state *is,
		     const struct xs_check *c, const struct xs_target *t)
{
	char line[640];

	out_obj(o, NULL);
	verdict_line(line, sizeof(line), c);
	out_line(o, "%s: %s", name, line);
	out_str(o, "verdict", xs_verdict_name(c->verdict));
	show_label(o, is);
	show_verdict(o, c, &is->st, t);
	if (is->fmt->judge)
		is->fmt->judge(o, is, t);
	show_state(o, &is->st, state_source(is));
	show_components(o, &is->st, NULL);
	out_end(o);
}

/* The state a verdict is about, as single-target output names it: file, vCPU or thread. */
static void state_ref(struct out *o, const char *file, const struct input_state *is)
{
	out_obj(o, "state");
	out_str(o, "file", file);
	if (is->fmt && is->fmt->select && is->id >= 0)
		out_u64(o, is->fmt->select, (uint64_t)is->id);
	out_end(o);
}

/*
 * State @is (named @name) against @target, one of several: a verdict (JSON),
 * a cell of the matrix (text: its row the state's name, its column the
 * target, the cell the verdict in a few words) and a line (--brief).
 */
static void show_cell(struct out *o, const char *target, const char *name, const char *file,
		      const struct input_state *is, const struct xs_check *c)
{
	char cell[256], line[640];

	out_obj(o, NULL);
	state_ref(o, file, is);
	out_show(o, "%s", name);
	out_str(o, "target", target);
	out_str(o, "verdict", xs_verdict_name(c->verdict));
	verdict_cell(cell, sizeof(cell), c);
	out_show(o, "%s", cell);
	out_mask(o, "strip", c->strip);
	out_mask(o, "lose", c->lose);
	out_mask(o, "guest_outside", c->guest_outside);
	out_mask(o, "relocate", c->relocate);
	out_bool(o, "layout_unknown", c->layout_unknown);
	verdict_line(line, sizeof(line), c);
	out_line(o, "%s on %s: %s", name, target, line);
	out_end(o);
}

/* Judge every state of @in; the worst verdict's exit code. */
static int judge_input(struct out *o, const struct check_args *a, const struct input *in,
		       const char *file, struct xs_check *c)
{
	bool matrix = a->targets.n > 1;
	int worst = EXIT_OK;
	char name[512];

	for (unsigned s = 0; s < in->nstates; s++) {
		const struct input_state *is = &in->s[s];

		for (unsigned t = 0; t < a->targets.n; t++) {
			xs_check_state(&is->st, &a->targets.v[t].t, &c[t]);
			worst = exit_worst(worst, verdict_exit(c[t].verdict));
		}
		state_name(name, sizeof(name), file, is);
		if (!matrix)
			show_one(o, name, is, c, &a->targets.v[0].t);
		for (unsigned t = 0; matrix && t < a->targets.n; t++)
			show_cell(o, a->targets.v[t].name, name, file, is, &c[t]);
	}
	return worst;
}

/* An input that could not be read, kept for the matrix's "errors" (JSON keeps them apart). */
struct failed {
	const char *file;
	int rc;
	struct fail why;
};

/* Count @worst (the exit code of an input's worst verdict) in @t. */
static void tally_verdict(struct tally *t, int worst)
{
	t->files++;
	if (worst == EXIT_OK)
		t->ok++;
	else if (worst == EXIT_FIXABLE)
		t->fixable++;
	else
		t->incompatible++;
}

static int check(struct check_args *a)
{
	struct xs_check *c;
	struct batch b;
	struct out *o;
	int rc, status = EXIT_OK;
	size_t answered = 0, nfailed = 0;
	bool matrix = a->targets.n > 1;
	bool apart = matrix && a->common.json;	/* error entries after the verdicts */
	struct failed *failed = NULL;
	struct tally tl = { 0 };

	rc = targets_prepare(&a->targets);
	if (!rc)
		rc = common_prepare(&a->common);
	if (rc)
		return rc;
	batch_expand(&a->batch, &b);
	/* with several inputs --guest-xcr0 is for those that record none */
	a->common.fo.guest_default = b.n > 1;
	c = xcalloc(a->targets.n, sizeof(*c));
	o = common_out(common_mode(&a->common));
	if (matrix) {
		out_arr(o, "targets");
		out_text_table(o);
		for (unsigned t = 0; t < a->targets.n; t++)
			show_target(o, NULL, &a->targets.v[t]);
		out_end(o);
	} else {
		show_target(o, "target", a->targets.v);
	}
	out_arr(o, matrix ? "verdicts" : "inputs");
	if (matrix)
		out_text_matrix(o, "matrix", "state", "target", "verdict");
	for (size_t i = 0; i < b.n; i++) {
		struct fail why;
		struct input in;

		rc = batch_load(&a->common, &b, i, &in, &why);
		if (rc && apart) {
			failed = xrealloc(failed, (nfailed + 1) * sizeof(*failed));
			failed[nfailed++] = (struct failed){ batch_name(&b, i), rc, why };
			continue;
		}
		if (rc) {
			status = exit_worst(status, batch_failed(o, &a->common, &a->batch, batch_name(&b, i),
								 rc, &why, &tl));
			continue;
		}
		if (!matrix) {
			out_obj(o, NULL);
			show_input(o, &in);
			out_arr(o, "states");
		}
		rc = judge_input(o, a, &in, batch_name(&b, i), c);
		tally_verdict(&tl, rc);
		status = exit_worst(status, rc);
		answered++;
		if (!matrix) {
			out_end(o);
			out_end(o);
		}
		input_free(&in);
	}
	out_end(o);
	if (apart) {
		out_arr(o, "errors");
		for (size_t i = 0; i < nfailed; i++)
			status = exit_worst(status, batch_failed(o, &a->common, &a->batch,
								 failed[i].file, failed[i].rc,
								 &failed[i].why, &tl));
		out_end(o);
	}
	free(failed);
	batch_tally(o, &a->common, &a->batch, &tl, true);
	free(c);
	batch_free(&b);
	/* Text says nothing on stdout for inputs that could not be read. */
	rc = common_end(o, out_mode(o) != OUT_TEXT || answered);
	return exit_worst(status, rc);
}

static int run(int argc, char **argv)
{
	struct check_args a = { 0 };
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = check(&a);
	targets_free(&a.targets);
	return rc;
}

const struct xs_cmd xs_cmd_check = {
	.name = "check",
	.summary = "judge whether states load on targets (exit 0 ok, 2 fixable, 1 incompatible)",
	.argp = &argp,
	.run = run,
};
