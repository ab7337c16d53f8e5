/* SPDX-License-Identifier: MIT */
/* Library-private: a growing string for the text forms the library writes. */
#ifndef XSAVE_SBUF_H
#define XSAVE_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;		/* an allocation failed: the text is incomplete */
};

/* An empty string (oom set when even that fails). */
void sb_init(struct sbuf *b);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The malloc'ed text, or NULL (and nothing to free) after an allocation failure. */
char *sb_take(struct sbuf *b);

#endif
