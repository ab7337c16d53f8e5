/* SPDX-License-Identifier: MIT */
/*
 * A failure of the CLI's lower rooms (src/fmt, src/sys) as a value, as lib/
 * returns a struct xs_diag: the exit code, the file it is about, the offset
 * in it where there is one, and the message.  Nothing below the commands
 * prints: the command prints it once (fail_print(), util.c: "xsavectl: CMD:
 * 'FILE': offset 0xN: MESSAGE") or puts it in its JSON error entry (batch.c).
 */
#ifndef XSAVECTL_FAIL_H
#define XSAVECTL_FAIL_H

#include <stdbool.h>
#include <stdint.h>

#include <xsave/err.h>

#define FAIL_FILE_MAX 4096
#define FAIL_MSG_MAX 1024

struct fail {
	int code;			/* the exit code; 0 while nothing failed */
	char file[FAIL_FILE_MAX];	/* what it is about; "": the message says */
	bool has_off;			/* off: where in the file */
	uint64_t off;
	char off_what[64];		/* what the offset counts, after it: " (compressed)" */
	enum xs_hint hint;		/* what the user could do (the command phrases it) */
	char msg[FAIL_MSG_MAX];
	/* The input is no form of XSAVE state (a stray file, an unfinished save): nothing to judge. */
	bool unrecognised;
	/* Something done on the way that is no failure, to tell (a rolled-back write). */
	char note[FAIL_MSG_MAX];
};

/*
 * Record a failure with exit code @code about @file (NULL: none) in @f, which
 * may be NULL (nobody asks why: sniffing), and return @code.  The first
 * failure recorded stays: what follows from it does not replace it.
 */
int fail_msg(struct fail *f, int code, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same at offset @off of @file. */
int fail_at(struct fail *f, int code, const char *file, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same where the offset counts something else than the file's bytes (@what: " (decompressed)"). */
int fail_at_in(struct fail *f, int code, const char *file, uint64_t off, const char *what,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* libxsave's diagnostic @d about @file, as exit code @code. */
int fail_diag(struct fail *f, int code, const char *file, const struct xs_diag *d);
/* Record a note in @f (may be NULL). */
void fail_note(struct fail *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit code for a libxsave error (-XS_E*). */
int exit_for_err(int err);

#endif
