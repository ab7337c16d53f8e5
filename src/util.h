/* SPDX-License-Identifier: MIT */
/* Allocation that cannot fail (the CLI exits 70 on out-of-memory), and messages. */
#ifndef XSAVECTL_UTIL_H
#define XSAVECTL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <xsave/err.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Name of the running command, for messages ("inspect"). */
extern const char *xs_cmd_name;

/* "xsavectl: CMD: MESSAGE" on stderr. */
void msg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for a note that is no error (a file a sweep skips). */
void msg_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "xsavectl: CMD: 'FILE': offset 0xN: MESSAGE" from a library diagnostic. */
void msg_diag(const char *file, const struct xs_diag *d);
/*
 * A lower room's failure (fail.h), printed once: its note if it has one, then
 * "xsavectl: CMD: 'FILE': offset 0xN: MESSAGE" when something failed.
 */
struct fail;
void fail_print(const struct fail *f);
/* fail_print(@f) when @rc is an exit code; returns @rc. */
int fail_said(const struct fail *f, int rc);

/*
 * The worse of two exit statuses of a batch (man xsavectl, EXIT STATUS), ranked by
 * exit_rank[] (exitcodes.c).
 */
int exit_worst(int a, int b);

#endif
