// SPDX-License-Identifier: MIT
/* Batches of inputs: see batch.h. */
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "util.h"

static void add(struct batch *b, char *s, bool empty)
{
	b->files = xrealloc(b->files, (b->n + 1) * sizeof(*b->files));
	b->empty = xrealloc(b->empty, (b->n + 1) * sizeof(*b->empty));
	b->files[b->n] = s;
	b->empty[b->n++] = empty;
}

static void own(struct batch *b, char *s)
{
	b->owned = xrealloc(b->owned, (b->nowned + 1) * sizeof(*b->owned));
	b->owned[b->nowned++] = s;
	add(b, s, false);
}

static int by_name(const FTSENT **a, const FTSENT **b)
{
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

/* Why a tree entry is not read, or NULL when it is (a file, or one input_load() explains). */
static const char *skipped(const FTSENT *e)
{
	switch (e->fts_info) {
	case FTS_SL:
	case FTS_SLNONE:
		return "a symbolic link (links inside a directory are not followed)";
	case FTS_DEFAULT:
		return "not a regular file (a FIFO, socket or device)";
	default:
		return NULL;
	}
}

/*
 * Every regular file under @dir (a link to a directory named on the command
 * line is followed); false when it is no directory (or cannot be walked).
 */
static bool walk(char *dir, struct batch *b)
{
	char *roots[] = { dir, NULL };
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_NOCHDIR, by_name);
	size_t before = b->n;
	FTSENT *e;
	bool isdir = false;

	if (!fts)
		return false;
	while ((e = fts_read(fts))) {
		if (e->fts_level == 0 && e->fts_info != FTS_D)
			break;
		isdir = true;
		/* a directory that is one input (a CRIU checkpoint): read whole, not walked */
		if (e->fts_info == FTS_D && input_dir_is_input(e->fts_path)) {
			own(b, xstrdup(e->fts_path));
			fts_set(fts, e, FTS_SKIP);
			continue;
		}
		/* input_load() says why an unreadable one cannot be read */
		if (e->fts_info == FTS_F || e->fts_info == FTS_DNR || e->fts_info == FTS_ERR)
			own(b, xstrdup(e->fts_path));
		else if (skipped(e))
			msg_note("'%s': skipped: %s", e->fts_path, skipped(e));
	}
	fts_close(fts);
	if (isdir && b->n == before)
		add(b, dir, true);
	return isdir;
}

#define OPT_IGNORE_UNRECOGNISED 0x100
#define OPT_LABEL 0x101

static const struct argp_option batch_options[] = {
	{ "recursive", 'R', NULL, 0, "Read the files under directory arguments", 0 },
	{ "ignore-unrecognised", OPT_IGNORE_UNRECOGNISED, NULL, 0,
	  "List inputs that are no form of XSAVE state (a stray file, an unfinished libvirt "
	  "save) without letting them decide the exit status", 0 },
	{ "label", OPT_LABEL, "NAME", 0,
	  "Name standard input (-) NAME in the output (a state piped from ssh or zcat)", 0 },
	{ 0 }
};

static error_t batch_parse(int key, char *arg, struct argp_state *state)
{
	struct batch_args *a = state->input;

	(void)arg;
	switch (key) {
	case 'R':
		a->recursive = true;
		return 0;
	case OPT_IGNORE_UNRECOGNISED:
		a->ignore_unrecognised = true;
		return 0;
	case OPT_LABEL:
		if (!arg[0])
			argp_error(state, "--label: an empty name");
		a->label = arg;
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

const struct argp batch_argp = { .options = batch_options, .parser = batch_parse };

void batch_expand(const struct batch_args *a, struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->label = a->label;
	for (int i = 0; i < a->nfiles; i++)
		if (!a->recursive || !walk(a->files[i], b))
			add(b, a->files[i], false);
}

int batch_load(const struct xs_common *c, const struct batch *b, size_t i, struct input *in,
	       struct fail *why)
{
	const char *name = batch_name(b, i);
	int rc;

	memset(why, 0, sizeof(*why));
	if (b->empty[i])
		return fail_msg(why, EXIT_NOINPUT, b->files[i], "no regular file under this "
				"directory: nothing judged");
	rc = input_load(&c->fo, b->files[i], in, why);
	if (name != b->files[i]) {	/* standard input, under its --label */
		if (rc && !strcmp(why->file, "-"))
			snprintf(why->file, sizeof(why->file), "%s", name);
		if (!rc)
			in->path = name;
	}
	return rc;
}

const char *batch_name(const struct batch *b, size_t i)
{
	return b->label && !strcmp(b->files[i], "-") ? b->label : b->files[i];
}

void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->nowned; i++)
		free(b->owned[i]);
	free(b->owned);
	free(b->files);
	free(b->empty);
	memset(b, 0, sizeof(*b));
}

/*
 * The failure's message for @file's error line or entry: the file it names
 * where that is another ("'JOURNAL': ..."), then its offset with @with_off
 * (--brief's line; JSON has it as a field) or where it counts something else
 * than the file's bytes ("offset 0xN (compressed): ..."), then the message.
 */
static void entry_message(const struct fail *why, const char *file, bool with_off, char *buf,
			  size_t len)
{
	const char *msg = why->msg[0] ? why->msg : "cannot be read";
	int n = 0;

	if (why->file[0] && strcmp(why->file, file))
		n = snprintf(buf, len, "'%s': ", why->file);
	if (why->has_off && (with_off || why->off_what[0]) && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "offset 0x%llx%s: ",
			      (unsigned long long)why->off, why->off_what);
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%s", msg);
}

/* The entry of an input that failed; @ignored: it does not count in the exit status. */
static void error_entry(struct out *o, const struct xs_common *c, const char *file, int rc,
			const struct fail *why, bool ignored)
{
	char msg[FAIL_MSG_MAX + FAIL_FILE_MAX + 16];

	/* --brief's stdout line says it all: no second line on stderr */
	if (!c->brief)
		fail_print(why);
	entry_message(why, file, false, msg, sizeof(msg));
	out_obj(o, NULL);
	out_str(o, "file", file);
	out_obj(o, "error");
	out_u64(o, "code", (uint64_t)rc);
	if (why->has_off)
		out_u64(o, "offset", why->off);
	else
		out_null(o, "offset");
	out_str(o, "message", msg);
	if (why->unrecognised)
		out_bool(o, "unrecognised", true);
	out_end(o);
	if (ignored)
		out_bool(o, "ignored", true);
	entry_message(why, file, true, msg, sizeof(msg));
	out_line(o, "%s: %s: %s", file, ignored ? "not recognised" : "error", msg);
	out_end(o);
	out_text_hide(o);	/* text said it on stderr */
}

void batch_error(struct out *o, const struct xs_common *c, const char *file, int rc,
		 const struct fail *why)
{
	error_entry(o, c, file, rc, why, false);
}

int batch_failed(struct out *o, const struct xs_common *c, const struct batch_args *a,
		 const char *file, int rc, const struct fail *why, struct tally *t)
{
	bool ignored = a->ignore_unrecognised && why->unrecognised;

	error_entry(o, c, file, rc, why, ignored);
	t->files++;
	if (ignored) {
		t->unrecognised++;
		return EXIT_OK;
	}
	t->unread++;
	return rc;
}

/* ", N WHAT" for a count that is not 0 (the first of the list without its comma). */
static int tally_part(char *buf, size_t len, int n, size_t count, const char *what)
{
	if (!count || n < 0 || (size_t)n >= len)
		return n;
	return n + snprintf(buf + n, len - (size_t)n, "%s%zu %s", n ? ", " : "", count, what);
}

void batch_tally(struct out *o, const struct xs_common *c, const struct batch_args *a,
		 const struct tally *t, bool verdicts)
{
	char line[256];
	int n = 0;

	if (t->files < 2 && !a->recursive)
		return;
	if (c->json) {
		out_obj(o, "summary");
		out_u64(o, "files", t->files);
		if (verdicts) {
			out_u64(o, "ok", t->ok);
			out_u64(o, "fixable", t->fixable);
			out_u64(o, "incompatible", t->incompatible);
		} else {
			out_u64(o, "read", t->read);
		}
		out_u64(o, "not_read", t->unread);
		out_u64(o, "not_recognised", t->unrecognised);
		out_end(o);
		return;
	}
	if (verdicts) {
		n = tally_part(line, sizeof(line), n, t->ok, "ok");
		n = tally_part(line, sizeof(line), n, t->fixable, "fixable");
		n = tally_part(line, sizeof(line), n, t->incompatible, "incompatible");
	} else {
		n = tally_part(line, sizeof(line), n, t->read, "read");
	}
	n = tally_part(line, sizeof(line), n, t->unread, "not read");
	n = tally_part(line, sizeof(line), n, t->unrecognised, "not recognised (ignored)");
	if (n > 0)
		msg_note("%zu file%s: %s", t->files, t->files == 1 ? "" : "s", line);
	else
		msg_note("no file");
}

int input_error_doc(const struct xs_common *c, const char *file, int rc, const struct fail *why)
{
	struct out *o;
	int w;

	if (!c->json)
		return fail_said(why, rc);
	o = common_out(OUT_JSON);
	out_arr(o, "inputs");
	batch_error(o, c, file, rc, why);
	out_end(o);
	w = common_finish(o);
	return w ? w : rc;
}

void state_name(char *buf, size_t len, const char *file, const struct input_state *s)
{
	int n = snprintf(buf, len, "%s", file);

	if (s->fmt->name_state && n >= 0 && (size_t)n < len)
		s->fmt->name_state(buf + n, len - (size_t)n, s);
}
