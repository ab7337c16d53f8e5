// SPDX-License-Identifier: MIT
/* Failures as values: see fail.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "fail.h"

__attribute__((format(printf, 6, 0)))
static int record(struct fail *f, int code, const char *file, bool has_off, uint64_t off,
		  const char *fmt, va_list ap)
{
	if (!f || f->code)
		return code;
	f->code = code;
	snprintf(f->file, sizeof(f->file), "%s", file ? file : "");
	f->has_off = has_off;
	f->off = off;
	f->hint = XS_HINT_NONE;
	f->off_what[0] = 0;
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	return code;
}

int fail_msg(struct fail *f, int code, const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(f, code, file, false, 0, fmt, ap);
	va_end(ap);
	return code;
}

int fail_at(struct fail *f, int code, const char *file, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(f, code, file, true, off, fmt, ap);
	va_end(ap);
	return code;
}

int fail_at_in(struct fail *f, int code, const char *file, uint64_t off, const char *what,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (f && !f->code) {
		record(f, code, file, true, off, fmt, ap);
		snprintf(f->off_what, sizeof(f->off_what), "%s", what);
	}
	va_end(ap);
	return code;
}

int fail_diag(struct fail *f, int code, const char *file, const struct xs_diag *d)
{
	if (f && !f->code) {
		fail_msg(f, code, file, "%s", d->msg);
		f->has_off = d->has_off;
		f->off = d->off;
		f->hint = d->hint;
	}
	return code;
}

void fail_note(struct fail *f, const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	vsnprintf(f->note, sizeof(f->note), fmt, ap);
	va_end(ap);
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
