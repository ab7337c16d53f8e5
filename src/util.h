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
/* The same for a note that is no error (a file a sweep skips): not kept as msg_last(). */
void msg_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "xsavectl: CMD: 'FILE': offset 0xN: MESSAGE" from a library diagnostic. */
void msg_diag(const char *file, const struct xs_diag *d);
/* Exit code for a library error. */
int exit_for_err(int err);

/*
 * The last message msg_err()/msg_diag() printed, for batch answers that
 * report an unreadable input in JSON: its text (without the "xsavectl: CMD: "
 * prefix, the file name or the offset, where msg_diag() had them apart) and
 * offset.  msg_last_clear() forgets it.
 */
struct msg_last {
	bool set, has_off;
	unsigned long long off;
	char text[512];
};
const struct msg_last *msg_last(void);
void msg_last_clear(void);

/*
 * The worse of two exit statuses of a batch (man xsavectl, EXIT STATUS), ranked by
 * exit_rank[] (exitcodes.c).
 */
int exit_worst(int a, int b);

#endif
