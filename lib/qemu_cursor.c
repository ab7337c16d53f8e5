// SPDX-License-Identifier: MIT
/*
 * The cursor of the QEMU stream readers (see qemu_priv.h): bytes of the
 * source at an offset, big-endian numbers and names read at w->off, and the
 * first failure recorded with its offset.  The walk (qemu_stream.c) and the
 * RAM reader (qemu_ram.c) read through it.
 */
#include <stdlib.h>
#include <string.h>

#include <xsave/rd.h>

#include "qemu_priv.h"

bool xsp_qw_grow(void **arr, unsigned *cap, unsigned n, size_t elem)
{
	unsigned ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? 2 * *cap : 8;
	if (!(p = realloc(*arr, (size_t)ncap * elem)))
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

int xsp_qw_release(struct qw *w, uint64_t off)
{
	int rc;

	if (!w->hooks || !w->hooks->release || w->rc)
		return w->rc;
	rc = w->hooks->release(w->hooks->ctx, off);
	if (rc && !w->rc)
		w->rc = rc;
	return w->rc;
}

/* Up to @n bytes at @off: *got of them (0 at the end); NULL only on a source error. */
const uint8_t *xsp_qw_peek(struct qw *w, uint64_t off, size_t n, size_t *got)
{
	size_t have = 0;
	const uint8_t *p = w->src->get(w->src->ctx, off, n, &have);

	*got = n;
	if (p)
		return p;
	if (have == SIZE_MAX) {
		if (!w->rc)
			w->rc = -XS_EIO;
		return NULL;
	}
	*got = have;
	if (!have)
		return (const uint8_t *)"";
	return w->src->get(w->src->ctx, off, have, &have);
}

/* @n bytes at @off, or NULL after recording "stream ends: expected WHAT". */
const uint8_t *xsp_qw_need(struct qw *w, uint64_t off, size_t n, const char *what)
{
	size_t got;
	const uint8_t *p = xsp_qw_peek(w, off, n, &got);

	if (p && got < n) {
		fail(w, XS_ETRUNC, off + got, "stream ends: expected %s (%llu bytes)", what,
		     (unsigned long long)n);
		return NULL;
	}
	return p;
}

/* Read an n-byte big-endian number at w->off and advance. */
int xsp_qw_rdbe(struct qw *w, unsigned n, uint64_t *v, const char *what)
{
	const uint8_t *p = xsp_qw_need(w, w->off, n, what);

	*v = 0;
	if (!p)
		return w->rc;
	*v = xs_be_get(p, n);
	w->off += n;
	return 0;
}

/* u8 length + that many bytes, NUL-terminated into @out (which holds 256). */
int xsp_qw_rdname(struct qw *w, char *out, const char *what)
{
	uint64_t n = 0;
	const uint8_t *p;

	if (xsp_qw_rdbe(w, 1, &n, what))
		return w->rc;
	if (!(p = xsp_qw_need(w, w->off, n, what)))
		return w->rc;
	if (!n)
		return fail(w, XS_EFORMAT, w->off - 1, "%s that is empty", what);
	/* QEMU's names are printable ASCII; anything else is not a name (and not printed). */
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return fail(w, XS_EFORMAT, w->off + i, "%s with byte 0x%02x in it", what,
				    p[i]);
	memcpy(out, p, n);
	out[n] = 0;
	w->off += n;
	return 0;
}
