// SPDX-License-Identifier: MIT
/* Copies with patches applied: see patchcopy.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "exitcodes.h"
#include "fail.h"
#include "sys/patchcopy.h"
#include "sys/progress.h"
#include "util.h"

#define CHUNK (1u << 20)	/* read, patch and write this much at a time */
#define CFR_MAX (64u << 20)	/* the most one copy_file_range call is asked for (progress steps) */

void patches_add(struct patches *ps, uint64_t off, const void *data, size_t len)
{
	size_t i;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 16;
		ps->v = xrealloc(ps->v, ps->cap * sizeof(*ps->v));
	}
	/* Callers add in nearly increasing order: the insertion point is near the end. */
	for (i = ps->n; i && ps->v[i - 1].off > off; i--)
		ps->v[i] = ps->v[i - 1];
	ps->v[i] = (struct patch){ .off = off, .data = data, .len = len };
	ps->n++;
}

void patches_free(struct patches *ps)
{
	free(ps->v);
	*ps = (struct patches){ 0 };
}

void patches_apply(const struct patches *ps, uint64_t pos, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < ps->n; i++) {
		const struct patch *p = &ps->v[i];
		uint64_t lo = p->off > pos ? p->off : pos;
		uint64_t hi = p->off + p->len < pos + len ? p->off + p->len : pos + len;

		if (lo < hi)
			memcpy(buf + (lo - pos), p->data + (lo - p->off), hi - lo);
	}
}

/* copy_file_range refused between these files (another filesystem, a pipe): read and write. */
static bool no_cfr;

static bool cfr_refused(int e)
{
	return e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == EBADF ||
	       e == ETXTBSY || e == EPERM;
}

/* Where a copy goes: @o's position (@at < 0), or offset @at of its file. */
static int put(struct io_out *o, int64_t at, const void *p, size_t n)
{
	if (at < 0)
		return io_out_write(o, p, n);
	return io_write_full(o->fd, p, n, at) ? io_out_error(o) : 0;
}

/* pread, retried when a signal interrupts it: the count, 0 at the end, or -1 (errno). */
static ssize_t read_at(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	ssize_t r;

	do
		r = pread(fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r;
}

/* The kernel copies up to @len bytes: the count, 0 at the input's end, or -1 (errno). */
static ssize_t kernel_copy(int fd, struct io_out *o, uint64_t off, uint64_t len, int64_t at)
{
	ssize_t r;

	do {
		loff_t in = (loff_t)off, out = (loff_t)at;

		r = copy_file_range(fd, &in, o->fd, at < 0 ? NULL : &out,
				    len < CFR_MAX ? (size_t)len : CFR_MAX, 0);
	} while (r < 0 && errno == EINTR);
	return r;
}

/*
 * @len bytes of the input at @off to @o (see put), through @buf with @apply laid
 * over them, or without patches (@apply NULL) by the kernel where it takes it.
 */
static int copy_span(int fd, const char *path, struct io_out *o, uint64_t off, uint64_t len,
		     int64_t at, uint8_t *buf, const struct patches *apply)
{
	while (len) {
		ssize_t r;
		int rc;

		if (!apply && !no_cfr && !o->wr) {
			r = kernel_copy(fd, o, off, len, at);
			if (r < 0 && cfr_refused(errno)) {
				no_cfr = true;
				continue;
			}
			if (r < 0)
				return io_out_error(o);
		} else {
			r = read_at(fd, buf, len < CHUNK ? (size_t)len : CHUNK, off);
			if (r > 0 && apply)
				patches_apply(apply, off, buf, (size_t)r);
			if (r > 0 && (rc = put(o, at, buf, (size_t)r)))
				return rc;
		}
		if (r <= 0) {
			return fail_msg(o->fail, EXIT_NOINPUT, path, "read error at offset 0x%llx: %s",
					(unsigned long long)off, r ? strerror(errno) : "file shrank");
		}
		off += (uint64_t)r;
		len -= (uint64_t)r;
		if (at >= 0)
			at += r;
		progress_update(off);
	}
	return 0;
}

/*
 * The next patched stretch at or after @off, clipped to @to: [*a, *b), the
 * patches that overlap or touch merged (*a = *b = @to when none is left).  *i
 * is the first patch not yet behind @off.
 */
static void next_patched(const struct patches *ps, size_t *i, uint64_t off, uint64_t to,
			 uint64_t *a, uint64_t *b)
{
	while (*i < ps->n && ps->v[*i].off + ps->v[*i].len <= off)
		++*i;
	*a = *b = to;
	if (*i == ps->n || ps->v[*i].off >= to)
		return;
	*a = ps->v[*i].off > off ? ps->v[*i].off : off;
	*b = ps->v[*i].off + ps->v[*i].len;
	for (size_t k = *i + 1; k < ps->n && ps->v[k].off <= *b; k++)
		if (ps->v[k].off + ps->v[k].len > *b)
			*b = ps->v[k].off + ps->v[k].len;
	if (*b > to)
		*b = to;
}

int patchcopy(int fd, const char *path, struct io_out *o, uint64_t from, uint64_t to,
	      const struct patches *ps)
{
	static const struct patches none;
	uint8_t *buf = xmalloc(CHUNK);
	uint64_t off = from, a, b;
	size_t i = 0;
	int rc = 0;

	if (!ps)
		ps = &none;
	while (!rc && off < to) {
		next_patched(ps, &i, off, to, &a, &b);
		if (a > off)
			rc = copy_span(fd, path, o, off, a - off, -1, buf, NULL);
		if (!rc && b > a)
			rc = copy_span(fd, path, o, a, b - a, -1, buf, ps);
		off = b;
	}
	free(buf);
	return rc;
}

int patchcopy_sparse(int fd, const char *path, struct io_out *o, uint64_t size,
		     const struct patches *ps)
{
	uint8_t *buf = xmalloc(CHUNK);
	int rc = 0;

	for (uint64_t off = 0; off < size && !rc;) {
		off_t data = lseek(fd, (off_t)off, SEEK_DATA), hole;

		if (data < 0)
			break;	/* ENXIO: only a hole is left */
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			hole = (off_t)size;
		rc = copy_span(fd, path, o, (uint64_t)data, (uint64_t)(hole - data), data, buf, NULL);
		off = (uint64_t)hole;
	}
	/* Written over the copy, not into its extents: a patch may fall in a hole. */
	for (size_t i = 0; ps && i < ps->n && !rc; i++)
		rc = put(o, (int64_t)ps->v[i].off, ps->v[i].data, ps->v[i].len);
	if (!rc && ftruncate(o->fd, (off_t)size)) {
		rc = fail_msg(o->fail, EXIT_IOERR, o->path, "cannot size it to %llu bytes: %s",
			      (unsigned long long)size, strerror(errno));
	}
	free(buf);
	return rc;
}

int copy_file(const char *src, const char *dest, struct fail *fail)
{
	const struct patches none = { 0 };
	struct io_out o;
	struct stat st;
	int rc, fd = open(src, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		rc = fail_msg(fail, EXIT_NOINPUT, src, "cannot open: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rc = io_out_open(dest, CODEC_NONE, NULL, &o, fail);
	if (!rc) {
		rc = patchcopy(fd, src, &o, 0, (uint64_t)st.st_size, &none);
		if (rc)
			io_out_abort(&o);
		else
			rc = io_out_commit(&o);
	}
	close(fd);
	return rc;
}
