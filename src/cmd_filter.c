// SPDX-License-Identifier: MIT
/*
 * xsavectl filter: make a state loadable on a target XCR0 with nothing lost.
 * Only lossless fixes are applied (rules.h); anything else is refused unless
 * --force.  The output is written atomically; the input is never modified
 * unless --in-place, which replaces it atomically too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <xsave/relocate.h>
#include <xsave/rules.h>

#include "batch.h"
#include "cmd.h"
#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/stream_pipe.h"
#include "out/verdict.h"
#include "sys/patchcopy.h"
#include "util.h"

enum { OPT_FORCE = 0x1200, OPT_INPLACE, OPT_KEEPINODE };

struct filter_args {
	struct xs_common common;
	struct xs_targets targets;
	struct xs_targetopt *target;
	const char *output;
	bool force, in_place, keep_inode;
	const char *file;
	char *resolved;		/* --in-place through a symbolic link: the file it names */
	int lock;		/* --in-place: the file, locked for the whole rewrite; -1 */
	struct spipe *pipe;	/* standard input: the streaming filter, or NULL */
};

static const struct argp_option options[] = {
	{ "output", 'o', "OUT", 0, "Write the filtered input to OUT (\"-\": stdout, no report)", 0 },
	{ "in-place", OPT_INPLACE, NULL, 0, "Replace the input file (atomically)", 0 },
	{ "keep-inode", OPT_KEEPINODE, NULL, 0,
	  "With --in-place: rewrite the file's own bytes, so that a process holding it open "
	  "reads the result; refuse (exit 73, nothing written) where only a new file can hold "
	  "it (gzip, zstd, one-block xz, a raw image, a core, a CRIU checkpoint)", 0 },
	{ "force", OPT_FORCE, NULL, 0,
	  "Also strip live state the target cannot load, and (streams) take it out of the "
	  "guest XCR0, CR4 and MSRs: the data is lost and the guest may crash (#UD at its next "
	  "use of them)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct filter_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->targets;
		state->child_inputs[1] = &a->common;
		return 0;
	case 'o':
		return once(state, "--output", &a->output, arg);
	case OPT_FORCE:
		a->force = true;
		return 0;
	case OPT_INPLACE:
		a->in_place = true;
		return 0;
	case OPT_KEEPINODE:
		a->keep_inode = true;
		return 0;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(state, "one input file at a time");
		a->file = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "no input file");
		if (!a->output == !a->in_place)
			argp_error(state, "give exactly one of -o OUT and --in-place");
		if (a->keep_inode && !a->in_place)
			argp_error(state, "--keep-inode is for --in-place");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "FILE",
	.doc = "Strip what the target cannot load, losing nothing the guest can see, and write "
	       "the same format to OUT (an image, or a copy of an ELF core with its notes "
	       "rewritten).  Refuses (exit 1) when guest state would be lost.",
	.children = target_children,
};

/* Parse the filtered image again and make sure it now loads as is. */
static int verify(const struct xs_state *orig, const struct filter_args *a)
{
	struct xs_parse_opts po = { .force = &orig->layout, .force_why = "same layout" };
	struct xs_diag d = { 0 };
	struct xs_state st;
	struct xs_check c;

	if (xs_state_parse(&st, orig->img, orig->size, &po, &d)) {
		msg_err("internal error: filtered image does not parse: %s", d.msg);
		return EXIT_SOFTWARE;
	}
	st.guest_known = orig->guest_known;
	st.guest_xcr0 = orig->guest_xcr0;
	st.by_field = orig->by_field;
	xs_check_state(&st, &a->target->t, &c);
	if (c.verdict != XS_VERDICT_OK) {	/* --force included: every result must load */
		msg_err("internal error: filtered image is still '%s'", xs_verdict_name(c.verdict));
		return EXIT_SOFTWARE;
	}
	return 0;
}

static void show_change(struct out *o, const struct input_state *s, uint64_t bv_before,
			const struct xs_check *c, bool force)
{
	const struct xs_state *st = &s->st;

	out_obj(o, "changes");
	out_mask(o, "xstate_bv_before", bv_before);
	out_mask(o, "xstate_bv_after", st->xstate_bv);
	out_bool(o, "xstate_bv_from_data", c->bv_rebuild);
	if (c->bv_rebuild)
		out_note(o, "(XSTATE_BV was not maintained (TCG): set to the components holding data)");
	out_mask(o, "cleared", s->cleared);
	out_mask(o, "lost", force ? c->lose & s->cleared : 0);
	out_bool(o, "xcomp_bv_cleared", c->fix & XS_PROB_XCOMP_STD);
	out_bool(o, "reserved_bytes_zeroed", c->fix & XS_PROB_RESERVED);
	if (c->relocate) {	/* only where the layout rule moved something */
		out_mask(o, "relocated", c->relocate);
		out_u64(o, "size_after", st->size);
	}
	out_arr(o, "guest_changes");
	if (s->fmt->show_changes)
		s->fmt->show_changes(o, s);
	out_end(o);
	out_end(o);
}

/* Is the state refused for the layout rule (relocate.h), whatever --force says? */
static bool layout_refused(const struct input *in, const struct xs_check *c)
{
	return c->layout_unknown || (c->relocate && !in->fmt->relocates);
}

static void layout_refusal(const struct filter_args *a, const struct input *in, const char *who,
			   const struct xs_check *c)
{
	char names[160];

	if (c->layout_unknown && a->target->t.layout) {
		msg_err("'%s'%s: refusing to filter: the target's layout has no area for a "
			"component it loads", a->file, who);
		return;
	}
	if (c->layout_unknown) {
		msg_err("'%s'%s: refusing to filter: the target's layout is unknown (--xcr0 gives "
			"none) and the image's components sit at other offsets on Intel and AMD; "
			"give the target as --target PROFILE", a->file, who);
		return;
	}
	if (!layout_refused(in, c))
		return;
	xs_mask_names(c->relocate, names, sizeof(names));
	msg_err("'%s'%s: refusing to filter: %s would move to the target's offsets, and %s "
		"keeps its own host's layout; extract the state (extract%s%s%s -o F) and filter "
		"that", a->file, who, names, in->fmt->what, in->fmt->select ? " --" : "",
		in->fmt->select ? in->fmt->select : "", in->fmt->select ? " N" : "");
}

/* What not even --force fixes: a guest XCR0 the file does not hold, MXCSR. */
static void forced_refusal(const struct filter_args *a, const struct input *in, const char *who,
			   const struct xs_check *c)
{
	char names[160];

	if (c->guest_outside && !in->fmt->force_drop) {
		xs_mask_names(c->guest_outside, names, sizeof(names));
		msg_err("'%s'%s: refusing to filter, even with --force: the guest XCR0 enables %s, "
			"which the target cannot load, and %s does not hold the guest XCR0 to take "
			"%s out of", a->file, who, names, in->fmt->what,
			c->guest_outside & (c->guest_outside - 1) ? "them" : "it");
	}
	if (c->bad)
		msg_err("'%s'%s: refusing to filter, even with --force: %s, which no filter can "
			"repair", a->file, who, xs_problem_desc(c->bad));
}

static void refusal(const struct filter_args *a, const struct input *in,
		    const struct input_state *s, const struct xs_check *c)
{
	char names[160], who[48] = "";
	uint64_t enabled = c->guest_outside & ~c->lose;

	if (s->id >= 0 && in->fmt->unit)
		snprintf(who, sizeof(who), " %s %ld", in->fmt->unit, s->id);
	if (c->lose) {
		xs_mask_names(c->lose, names, sizeof(names));
		msg_err("'%s'%s: refusing to filter: %s hold%s live data the target cannot load; "
			"--force strips it (the data is lost, and the %s may crash)", a->file, who, names,
			c->lose & (c->lose - 1) ? "" : "s", in->fmt->owner ? in->fmt->owner
									: "guest or process");
	}
	if (a->force) {
		forced_refusal(a, in, who, c);
		layout_refusal(a, in, who, c);
		return;
	}
	if (enabled) {
		xs_mask_names(enabled, names, sizeof(names));
		msg_err("'%s'%s: refusing to filter: the guest XCR0 enables %s, which the target "
			"cannot load; --force takes %s out of the guest's state (its next use raises "
			"#UD: the guest may crash)", a->file, who, names,
			enabled & (enabled - 1) ? "them" : "it");
	}
	if (c->bad)
		msg_err("'%s'%s: refusing to filter: %s, which no filter can repair", a->file, who,
			xs_problem_desc(c->bad));
	layout_refusal(a, in, who, c);
}

/*
 * Can --force make an incompatible state load?  It strips live state and
 * takes components out of a guest XCR0 the file holds (a stream's); it
 * cannot repair MXCSR, nor change a guest XCR0 the file does not hold.
 */
static bool forceable(const struct input *in, const struct xs_check *c, bool force)
{
	return force && !c->bad && (!c->guest_outside || in->fmt->force_drop);
}

/* Judge every state; false when one is refused (each refusal said on stderr). */
static bool judge_states(const struct filter_args *a, struct input *in, struct xs_check *c)
{
	bool ok = true;

	for (unsigned i = 0; i < in->nstates; i++) {
		xs_check_state(&in->s[i].st, &a->target->t, &c[i]);
		if ((c[i].verdict == XS_VERDICT_INCOMPATIBLE && !forceable(in, &c[i], a->force)) ||
		    layout_refused(in, &c[i])) {
			refusal(a, in, &in->s[i], &c[i]);
			ok = false;
		}
	}
	return ok;
}

/*
 * --force on a stream: what the guest enabled for the stripped components
 * goes too (XCR0, CR4.PKE, their MSRs), or the state still cannot load.
 */
static int drop_enabled(const struct filter_args *a, struct input *in, struct input_state *is,
			const struct xs_check *c)
{
	struct xs_diag d = { 0 };

	if (!in->fmt->force_drop || !c->guest_outside)
		return 0;
	if (in->fmt->force_drop(in, is, c->guest_outside, &d)) {
		msg_err("'%s' %s %ld: --force cannot make the state loadable: %s", a->file,
			in->fmt->unit, is->id, d.msg);
		return EXIT_NO;
	}
	is->st.guest_xcr0 &= ~c->guest_outside;
	return 0;
}

/*
 * Write the filtered state again on the target's layout (relocate.h), into
 * a buffer the state owns from then on, and decode it on that layout.
 */
static int relocate_state(const struct filter_args *a, struct input_state *is,
			  const struct xs_check *c)
{
	const struct xs_target *t = &a->target->t;
	struct xs_parse_opts po = { .force = t->layout,
				    .force_why = "relocated to the target's layout" };
	struct xs_state was = is->st;
	struct xs_diag d = { 0 };
	size_t n;
	uint8_t *buf;

	if (!c->relocate)
		return 0;
	n = xs_relocated_size(&was, t->layout, t->xcr0);
	buf = xcalloc(1, n);
	if (xs_relocate_image(&was, t->layout, buf, n, &d) ||
	    xs_state_parse(&is->st, buf, n, &po, &d)) {
		msg_err("'%s': internal error: relocating the state: %s", a->file, d.msg);
		free(buf);
		is->st = was;
		return EXIT_SOFTWARE;
	}
	free(is->own);
	is->own = buf;
	is->st.guest_known = was.guest_known;
	is->st.guest_xcr0 = was.guest_xcr0;
	is->st.xfd_known = was.xfd_known;
	is->st.xfd = was.xfd;
	return 0;
}

/* The open state record's line (--brief): "FILE vcpu0: fixable: strip pkru (...), lose nothing". */
static void state_line(struct out *o, const char *file, const struct input_state *is,
		       const struct xs_check *c)
{
	char name[512], line[640];

	state_name(name, sizeof(name), file, is);
	verdict_line(line, sizeof(line), c);
	out_line(o, "%s: %s", name, line);
}

/* Fix every state (none refused); the report goes into @o. */
static int filter_states(struct out *o, const struct filter_args *a, struct input *in,
			 const struct xs_check *c)
{
	int rc = 0;

	for (unsigned i = 0; i < in->nstates && !rc; i++) {
		struct input_state *is = &in->s[i];
		uint64_t before = is->st.xstate_bv;

		out_obj(o, NULL);
		state_line(o, a->file, is, &c[i]);
		out_str(o, "verdict", xs_verdict_name(c[i].verdict));
		show_label(o, is);
		show_verdict(o, &c[i], &is->st, &a->target->t);
		rc = xs_filter_apply(&is->st, &c[i], a->force, &is->cleared) ? EXIT_SOFTWARE : 0;
		if (!rc && a->force)
			rc = drop_enabled(a, in, is, &c[i]);
		if (!rc)
			rc = relocate_state(a, is, &c[i]);
		if (!rc)
			rc = verify(&is->st, a);
		show_change(o, is, before, &c[i], a->force);
		out_end(o);
	}
	return rc;
}

/* A refused filter reports every verdict, and writes nothing. */
static void refused_states(struct out *o, const struct filter_args *a, struct input *in,
			   const struct xs_check *c)
{
	const struct xs_target *t = &a->target->t;

	for (unsigned i = 0; i < in->nstates; i++) {
		out_obj(o, NULL);
		state_line(o, a->file, &in->s[i], &c[i]);
		out_str(o, "verdict", xs_verdict_name(c[i].verdict));
		show_label(o, &in->s[i]);
		show_verdict(o, &c[i], &in->s[i].st, t);
		out_end(o);
	}
}

/*
 * The streaming filter's judge of one vCPU, as it is read (stream_pipe.h):
 * refused as judge_states() would, or fixed as filter_states() does.
 */
static int judge_one(void *ctx, struct input *in, struct input_state *is)
{
	const struct filter_args *a = ctx;
	struct xs_check c;
	int rc;

	xs_check_state(&is->st, &a->target->t, &c);
	if ((c.verdict == XS_VERDICT_INCOMPATIBLE && !forceable(in, &c, a->force)) ||
	    layout_refused(in, &c)) {
		refusal(a, in, is, &c);
		if (!strcmp(a->output, "-"))
			msg_err("'%s': stream stopped before vCPU %ld's cpu section (offset 0x%llx): "
				"standard output holds an incomplete stream", a->file, is->id,
				(unsigned long long)is->offset);
		return EXIT_NO;
	}
	rc = xs_filter_apply(&is->st, &c, a->force, &is->cleared) ? EXIT_SOFTWARE : 0;
	if (!rc && a->force)
		rc = drop_enabled(a, in, is, &c);
	if (!rc)
		rc = relocate_state(a, is, &c);
	return rc ? rc : verify(&is->st, a);
}

/* Does filtering change nothing?  Every state loads as it is, where it is. */
static bool unchanged(const struct input *in, const struct xs_check *c)
{
	for (unsigned i = 0; i < in->nstates; i++)
		if (c[i].verdict != XS_VERDICT_OK || c[i].relocate)
			return false;
	return true;
}

/*
 * Write @in to @dest (or over itself).  0 or an exit code, why in @why, which the caller
 * prints (or puts in its JSON error entry); on success @why may hold a note to print.
 */
static int write_output(struct input *in, const char *dest, bool in_place, bool same,
			struct fail *why)
{
	int rc;

	/* Nothing to change: --in-place writes nothing, -o an exact copy (compression too);
	 * standard input (an image read whole) cannot be read again: written as read. */
	if (same && strcmp(in->path, "-") && (in_place || !S_ISDIR(in->st.st_mode)))
		return in_place ? 0 : copy_file(in->path, dest, why);
	if (in_place && in->keep_inode && !in->fmt->write_in_place)
		return fail_msg(why, EXIT_CANTCREAT, in->path, "%s is replaced by a new file, and "
				"--keep-inode keeps the file: nothing written", in->fmt->what);
	if (!in_place || !in->fmt->write_in_place)
		return in->fmt->write(in, dest, why);
	rc = in->fmt->write_in_place(in, why);
	if (rc)
		why->note[0] = 0;	/* a failure is one line */
	return rc;	/* (else its note: where a compressed file was rewritten) */
}

/*
 * --in-place rewrites the file a symbolic link names (never the link), refuses
 * a read-only file and one with several hard links (a rename would split them,
 * a journal bound to one name would miss the others), and holds an exclusive
 * lock on the file until the rewrite is done, so that two rewrites never meet.
 */
static int in_place_guard(struct filter_args *a)
{
	struct stat st;

	if (!lstat(a->file, &st) && S_ISLNK(st.st_mode)) {
		a->resolved = realpath(a->file, NULL);
		if (!a->resolved) {
			msg_err("'%s': cannot open: %s", a->file, strerror(errno));
			return EXIT_NOINPUT;
		}
		a->file = a->resolved;	/* the file it names, from now on */
	}
	a->lock = open(a->file, O_RDONLY | O_CLOEXEC);
	if (a->lock < 0 || fstat(a->lock, &st)) {
		msg_err("'%s': cannot open: %s", a->file, strerror(errno));
		return EXIT_NOINPUT;
	}
	if (S_ISREG(st.st_mode) && !(st.st_mode & 0222)) {
		msg_err("'%s': read-only (mode %04o): not rewritten in place", a->file,
			(unsigned)(st.st_mode & 07777));
		return EXIT_CANTCREAT;
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		msg_err("'%s': has %lu hard links, which an in-place rewrite would split: not "
			"rewritten (filter -o NEW, then replace each link)", a->file,
			(unsigned long)st.st_nlink);
		return EXIT_CANTCREAT;
	}
	if (flock(a->lock, LOCK_EX | LOCK_NB)) {
		msg_err("'%s': %s", a->file, errno == EWOULDBLOCK ?
			"another xsavectl is rewriting it in place (it holds the lock): try again "
			"when it has finished" : strerror(errno));
		return EXIT_CANTCREAT;
	}
	return 0;
}

/*
 * Everything before judging: the targets and options, the input read (after
 * rolling back an interrupted --in-place), and an output that may be written.
 * 0 (@in loaded, *@dest set) or an exit code.
 */
static int filter_open(struct filter_args *a, struct input *in, const char **dest)
{
	struct fail why = { 0 };
	int rc = targets_prepare(&a->targets);

	a->target = a->targets.v;
	if (!rc)
		rc = common_prepare(&a->common);
	if (!rc && !strcmp(a->file, "-") && a->in_place) {
		msg_err("'-': filter reads its input again to write it in place: give a file, not "
			"standard input");
		rc = EXIT_USAGE;
	} else if (!rc && !strcmp(a->file, "-") && a->common.fo.vcpu >= 0) {
		/* Said before a stream is read and written on (filter_open says it after). */
		msg_err("'-': filter rewrites every vCPU of a stream; --vcpu is for reading");
		rc = EXIT_USAGE;
	} else if (!rc && !strcmp(a->file, "-")) {
		a->pipe = stream_pipe_begin(&a->common.fo, a->output, judge_one, a);	/* a stream: as it comes */
	}
	if (!rc && a->in_place)
		rc = in_place_guard(a);
	/* A journal left by an interrupted --in-place run is rolled back first. */
	if (!rc && a->in_place) {
		rc = format_recover(a->file, &why);
		fail_print(&why);	/* what it rolled back, or why it could not */
	}
	if (rc)
		return rc;
	memset(&why, 0, sizeof(why));
	rc = input_load(&a->common.fo, a->file, in, &why);
	if (rc)
		return input_error_doc(&a->common, a->file, rc, &why);
	*dest = a->in_place ? a->file : a->output;
	if (!a->in_place && strcmp(*dest, "-") && io_same_file(*dest, &in->st)) {
		msg_err("'%s': output is the input file; use --in-place to replace it", *dest);
		rc = EXIT_USAGE;
	} else if (in->fmt->select && (a->common.fo.thread >= 0 || a->common.fo.vcpu >= 0)) {
		msg_err("'%s': filter rewrites every %s; --%s is for reading", a->file,
			in->fmt->every, in->fmt->select);
		rc = EXIT_USAGE;
	}
	if (rc)
		input_free(in);
	return rc;
}

/* The report of @in into @o, filtering its states unless @refused.  0 or an exit code. */
static int filter_report(struct out *o, const struct filter_args *a, struct input *in,
			 const struct xs_check *c, bool refused, bool same, const char *dest)
{
	int rc = 0;

	show_target(o, "target", a->target);
	out_arr(o, "inputs");
	out_obj(o, NULL);
	show_input(o, in);
	if (refused) {
		out_null(o, "output");
		out_note(o, "(nothing written: refused)");
	} else {
		out_str(o, "output", dest);
	}
	if (same || out_mode(o) == OUT_JSON)	/* text says it only when so */
		out_bool(o, "unchanged", same);
	if (same)
		out_note(o, a->in_place ? "(unchanged: every state loads as it is; nothing written)"
					: "(unchanged: every state loads as it is; an exact copy written)");
	out_arr(o, "states");
	if (refused)
		refused_states(o, a, in, c);
	else
		rc = filter_states(o, a, in, c);
	out_end(o);
	if (refused)
		out_line(o, "%s: nothing written (refused)", a->file);
	out_end(o), out_end(o);
	return rc;
}

static int filter(struct filter_args *ap)
{
	struct filter_args a = *ap;
	const char *dest = NULL;
	struct input in;
	struct xs_check *c;
	struct out *o;
	struct fail wwhy = { 0 };	/* why the output could not be written */
	bool refused, same;
	int wrc = 0, rc = filter_open(&a, &in, &dest);

	ap->resolved = a.resolved;	/* run() releases them */
	ap->lock = a.lock;
	if (rc) {
		bool closed = stream_pipe_closed(a.pipe);	/* the reader went away: no error */

		stream_pipe_end(a.pipe, false, NULL);
		return closed ? EXIT_OK : rc;
	}
	in.keep_inode = a.keep_inode;
	c = xcalloc(in.nstates, sizeof(*c));
	refused = !judge_states(&a, &in, c);
	same = !refused && unchanged(&in, c);
	o = common_out(common_mode(&a.common));
	rc = filter_report(o, &a, &in, c, refused, same, dest);
	free(c);
	if (stream_pipe_used(a.pipe)) {	/* written as read: pass on the end held back, or not */
		struct fail why = { 0 };

		if (rc)
			stream_pipe_end(a.pipe, false, NULL);
		else
			rc = fail_said(&why, stream_pipe_end(a.pipe, !refused, &why));
	} else {
		stream_pipe_end(a.pipe, false, NULL);	/* armed, and no stream came */
		if (!rc && !refused) {
			wrc = write_output(&in, dest, a.in_place, same, &wwhy);
			if (!wrc)
				fail_print(&wwhy);	/* its note, if any */
		}
	}
	input_free(&in);
	if (wrc) {	/* the report is not printed: the error instead, as a JSON entry too */
		out_free(o);
		return input_error_doc(&a.common, a.file, wrc, &wwhy);
	}
	if (rc || !strcmp(dest, "-")) {
		out_free(o);
		return rc ? rc : refused ? EXIT_NO : EXIT_OK;
	}
	if (same && a.in_place)
		out_line(o, "%s: unchanged: nothing written", a.file);
	else if (same)
		out_line(o, "%s: unchanged: copied to %s", a.file, dest);
	else if (!refused)
		out_line(o, "%s: written to %s", a.file, dest);
	rc = common_finish(o);
	return rc ? rc : refused ? EXIT_NO : EXIT_OK;
}

static int run(int argc, char **argv)
{
	struct filter_args a = { .lock = -1 };
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = filter(&a);
	targets_free(&a.targets);
	if (a.lock >= 0)
		close(a.lock);	/* the lock goes with it */
	free(a.resolved);
	return rc;
}

const struct xs_cmd xs_cmd_filter = {
	.name = "filter",
	.summary = "strip what a target XCR0 cannot load, losing nothing, into a new file",
	.argp = &argp,
	.run = run,
};
