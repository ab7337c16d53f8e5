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

void msg_err(const char *fmt, ...)
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
	fprintf(stderr, "%s\n", d->msg);
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
	case XS_EUNSUP:
		return EXIT_UNAVAILABLE;
	default:
		return EXIT_SOFTWARE;
	}
}
