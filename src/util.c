// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "fail.h"
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

void msg_err(const char *fmt, ...)
{
	va_list ap;

	prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
	prefix();
	if (file)
		fprintf(stderr, "'%s': ", file);
	if (d->has_off)
		fprintf(stderr, "offset 0x%llx: ", (unsigned long long)d->off);
	fprintf(stderr, "%s%s\n", d->msg, hint_text(d->hint));
}

void fail_print(const struct fail *f)
{
	if (f->note[0])
		msg_err("%s", f->note);
	if (!f->code || !f->msg[0])
		return;
	prefix();
	if (f->file[0])
		fprintf(stderr, "'%s': ", f->file);
	if (f->has_off)
		fprintf(stderr, "offset 0x%llx%s: ", (unsigned long long)f->off, f->off_what);
	fprintf(stderr, "%s%s\n", f->msg, hint_text(f->hint));
}

int fail_said(const struct fail *f, int rc)
{
	if (rc)
		fail_print(f);
	return rc;
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
