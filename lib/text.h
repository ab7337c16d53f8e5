/* SPDX-License-Identifier: MIT */
/*
 * Library-private: the line-based text forms (CPUID files, probe records),
 * read line by line and written into a growing string.
 */
#ifndef XSAVE_TEXT_H
#define XSAVE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>

/*
 * Call @line for every line of @text that is not blank or a '#' comment,
 * leading blanks skipped.  @line returns NULL, or what it expected instead.
 * 0, or -XS_EINVAL with @d at the line: "line N: expected ...", a line over
 * 255 bytes, a NUL byte.
 */
int xs_text_lines(const char *text, size_t len, const char *(*line)(void *ctx, const char *line),
		  void *ctx, struct xs_diag *d);
/* A number as strtoull (base 0) reads it, with no sign or leading blank; *end: after it. */
bool xs_text_u64(const char *s, uint64_t *v, const char **end);
/* Copy @v without its trailing blanks and CR into @dst (@cap bytes); false when too long. */
bool xs_text_str(char *dst, size_t cap, const char *v);

/* A growing string. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;		/* an allocation failed: the text is incomplete */
};

/* An empty string (oom set when even that fails). */
void xsp_sb_init(struct sbuf *b);
void xsp_sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The malloc'ed text, or NULL (and nothing to free) after an allocation failure. */
char *xsp_sb_take(struct sbuf *b);

#endif
