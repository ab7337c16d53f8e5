// SPDX-License-Identifier: MIT
/* Reading and writing the library's line-based text forms; see text.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include <xsave/internal.h>

int xs_text_lines(const char *text, size_t len, const char *(*line)(void *ctx, const char *line),
		  void *ctx, struct xs_diag *d)
{
	char buf[256];
	size_t pos = 0;
	unsigned lineno = 0;

	while (pos < len) {
		size_t n = 0;
		const char *p = buf, *want;

		while (pos + n < len && text[pos + n] != '\n')
			n++;
		lineno++;
		if (n >= sizeof(buf))
			return XS_FAIL_AT(d, XS_EINVAL, pos, "line %u: longer than %zu bytes", lineno,
					  sizeof(buf) - 1);
		memcpy(buf, text + pos, n);
		buf[n] = 0;
		if (memchr(buf, 0, n))
			return XS_FAIL_AT(d, XS_EINVAL, pos, "line %u: NUL byte in a text file",
					  lineno);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '#' && *p != '\r' && (want = line(ctx, p)))
			return XS_FAIL_AT(d, XS_EINVAL, pos, "line %u: expected %s", lineno, want);
		pos += n + 1;
	}
	return 0;
}

bool xs_text_u64(const char *s, uint64_t *v, const char **end)
{
	char *e;
	unsigned long long x;

	if (!*s || *s == '-' || *s == ' ')
		return false;
	errno = 0;
	x = strtoull(s, &e, 0);
	if (errno || e == s)
		return false;
	*v = x;
	*end = e;
	return true;
}

bool xs_text_str(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);

	while (n && (v[n - 1] == '\r' || v[n - 1] == ' '))
		n--;
	if (n >= cap)
		return false;
	memcpy(dst, v, n);
	dst[n] = 0;
	return true;
}

void xsp_sb_init(struct sbuf *b)
{
	b->len = 0;
	b->cap = 1024;
	b->p = malloc(b->cap);
	b->oom = !b->p;
	if (b->p)
		b->p[0] = 0;
}

void xsp_sb_printf(struct sbuf *b, const char *fmt, ...)
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

char *xsp_sb_take(struct sbuf *b)
{
	if (b->oom) {
		free(b->p);
		b->p = NULL;
	}
	return b->p;
}
