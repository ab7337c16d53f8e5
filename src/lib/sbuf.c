// SPDX-License-Identifier: MIT
/* A growing string; see sbuf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sbuf.h"

void sb_init(struct sbuf *b)
{
	b->len = 0;
	b->cap = 1024;
	b->p = malloc(b->cap);
	b->oom = !b->p;
	if (b->p)
		b->p[0] = 0;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = 2 * b->cap + (size_t)n + 64;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

char *sb_take(struct sbuf *b)
{
	if (b->oom) {
		free(b->p);
		b->p = NULL;
	}
	return b->p;
}
