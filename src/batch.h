/* SPDX-License-Identifier: MIT */
/*
 * Commands that read many inputs (inspect, check) answer every one: the FILE
 * arguments (directories expanded with --recursive), an error entry for each
 * input that cannot be read, and one-line answers for --brief.
 */
#ifndef XSAVECTL_BATCH_H
#define XSAVECTL_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd.h"

struct batch {
	const char *label;	/* the name "-" is shown by (--label), or NULL */
	char **files;
	size_t n;
	char **owned;		/* paths found under directories */
	size_t nowned;
	bool *empty;		/* per file: a directory with no regular file under it */
};

/* FILE... and -R, --recursive (argp child batch_argp; its input a struct batch_args). */
struct batch_args {
	char **files;
	int nfiles;
	bool recursive;
	bool ignore_unrecognised;	/* --ignore-unrecognised */
	const char *label;		/* --label: standard input's name in the output */
};

/* What a sweep answered, for its closing tally. */
struct tally {
	size_t files;		/* inputs answered or failed */
	size_t ok, fixable, incompatible;	/* check: each file's worst verdict */
	size_t read;		/* inspect: files read */
	size_t unread;		/* could not be read: counted in the exit status */
	size_t unrecognised;	/* no form of XSAVE state, --ignore-unrecognised: not counted */
};

extern const struct argp batch_argp;

/* The inputs named by @a; with --recursive, every regular file under a directory, sorted. */
/*
 * The inputs: FILE... as given, with -R every regular file under a directory
 * argument (a symbolic link named on the command line is followed; inside the
 * tree links and other non-regular files are skipped, each said on stderr).
 */
void batch_expand(const struct batch_args *a, struct batch *b);
void batch_free(struct batch *b);

/* Input @i's name in the output: its path, or --label for standard input. */
const char *batch_name(const struct batch *b, size_t i);

/*
 * Load input @i of @b (input_load()), or refuse a directory that held no
 * regular file: a sweep that judged nothing says so (exit 66).
 */
struct fail;
struct input;
struct xs_common;
int batch_load(const struct xs_common *c, const struct batch *b, size_t i, struct input *in,
	       struct fail *why);

/*
 * @file could not be read (exit code @rc, why in @why): its line on stderr
 * (not with --brief), and its entry in the open array: JSON's {"file",
 * "error": {"code", "offset", "message"}} ("offset" a number where the failure
 * has one), --brief's line "FILE: error: MESSAGE"; text hides it.
 */
void batch_error(struct out *o, const struct xs_common *c, const char *file, int rc,
		 const struct fail *why);

/*
 * Input @file of a sweep failed with @rc: its entry (as batch_error, and
 * "ignored": true in JSON when --ignore-unrecognised leaves it out of the exit
 * status), counted in @t.  Returns what it adds to the exit status: @rc, or 0.
 */
int batch_failed(struct out *o, const struct xs_common *c, const struct batch_args *a,
		 const char *file, int rc, const struct fail *why, struct tally *t);

/*
 * The closing tally of a sweep of several inputs (or -R): "summary" in JSON,
 * one line on stderr for text and --brief (stdout stays the answers), e.g.
 * "73 files: 9 ok, 4 fixable, 57 incompatible, 3 not read".  @verdicts: check's
 * counts (else inspect's: read).
 */
void batch_tally(struct out *o, const struct xs_common *c, const struct batch_args *a,
		 const struct tally *t, bool verdicts);

/*
 * A single-input command (filter, diff, extract) whose @file cannot be read:
 * its line on stderr, and with --json the one document still comes, its
 * "inputs" holding the error entry.  Returns @rc, or a write error.
 */
int input_error_doc(const struct xs_common *c, const char *file, int rc, const struct fail *why);

/* "FILE", "FILE vcpu1", "FILE thread 4242": a state's name in one-line answers. */
void state_name(char *buf, size_t len, const char *file, const struct input_state *s);

#endif
