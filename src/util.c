// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "util.h"

const char *xs_cmd_name;

static void nomem(void)
{
	fputs("xsavectl: out of memory\n", stderr);
	exit(EXIT_SOFTWARE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		nomem();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		nomem();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		nomem();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		nomem();
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		nomem();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

static void prefix(void)
{
	fputs("xsavectl: ", stderr);
	if (xs_cmd_name)
		fprintf(stderr, "%s: ", xs_cmd_name);
}

/* The CLI's words for what libxsave says the caller could do. */
static const char *hint_text(enum xs_hint h)
{
	switch (h) {
	case XS_HINT_LAYOUT:
		return " (--layout intel|amd|FILE)";
	case XS_HINT_PROFILE:
		return " (write one with `xsavectl host --save-profile`)";
	case XS_HINT_NONE:
		break;
	}
	return "";
}

static struct msg_last last;

const struct msg_last *msg_last(void)
{
	return &last;
}

void msg_last_clear(void)
{
	memset(&last, 0, sizeof(last));
}

void msg_err(const char *fmt, ...)
{
	va_list ap;

	prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	va_start(ap, fmt);
	vsnprintf(last.text, sizeof(last.text), fmt, ap);
	va_end(ap);
	last.set = true;
	last.has_off = false;
}

void msg_note(const char *fmt, ...)
{
	va_list ap;

	prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void msg_diag(const char *file, const struct xs_diag *d)
{
	last.set = true;
	last.has_off = d->has_off;
	last.off = d->off;
	snprintf(last.text, sizeof(last.text), "%s", d->msg);
	prefix();
	if (file)
		fprintf(stderr, "'%s': ", file);
	if (d->has_off)
		fprintf(stderr, "offset 0x%llx: ", (unsigned long long)d->off);
	fprintf(stderr, "%s%s\n", d->msg, hint_text(d->hint));
}

int exit_worst(int a, int b)
{
	int ra = -1, rb = -1;

	for (int i = 0; i < (int)n_exit_codes; i++) {
		if (exit_rank[i] == a)
			ra = i;
		if (exit_rank[i] == b)
			rb = i;
	}
	return ra >= rb ? a : b;
}

int exit_for_err(int err)
{
	switch (-err) {
	case XS_ETRUNC:
	case XS_EFORMAT:
	case XS_ELAYOUT:
	case XS_ELIMIT:
		return EXIT_DATAERR;
	case XS_EINVAL:
		return EXIT_USAGE;
	case XS_EUNKNOWN:
		return EXIT_DATAERR;
	case XS_EUNSUP:
		return EXIT_UNAVAILABLE;
	default:
		return EXIT_SOFTWARE;
	}
}
