// SPDX-License-Identifier: MIT
/*
 * filter --in-place on an uncompressed QEMU stream: only the changed bytes
 * are rewritten, under a journal that lets the next run roll an interrupted
 * rewrite back (see stream.h and the man page).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include <xsave/rd.h>

#include "exitcodes.h"
#include "stream.h"
#include "util.h"

char *stream_journal_name(const char *path)
{
	return xasprintf("%s.xsavectl-journal", path);
}

/*
 * The journal: "XSAVECTL-JOURNAL 1\n", be64 file size, be32 count, then per
 * range be64 offset, be32 length, the old bytes, the new bytes; last a be32
 * CRC-32 of everything before it.  It is written (atomically) before the
 * first byte of the stream changes and removed after the stream is synced.
 */
#define JOURNAL_MAGIC "XSAVECTL-JOURNAL 1\n"

/* Append an @n-byte big-endian number at *q. */
static void put_be(uint8_t **q, uint64_t v, unsigned n)
{
	xs_be_put(*q, v, n);
	*q += n;
}

static int sync_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd, rc;

	if (slash)
		slash[slash == dir ? 1 : 0] = 0;
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	rc = fsync(fd) && errno != EINVAL ? -1 : 0;
	close(fd);
	return rc;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int stream_write_in_place(const struct stream *s)
{
	unsigned n;
	struct xs_qpatch *p = stream_patches(s, &n);
	char *journal = stream_journal_name(s->path);
	size_t jlen = sizeof(JOURNAL_MAGIC) - 1 + 12 + 4;
	uint8_t *j, *q;
	int fd, rc = 0;

	if (s->gzip) {
		free(p);
		free(journal);
		return stream_write(s, s->path);	/* compressed: rewrite whole, atomically */
	}
	for (unsigned i = 0; i < n; i++)
		jlen += 12 + 2 * (size_t)p[i].len;
	q = j = xmalloc(jlen);
	memcpy(q, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1);
	q += sizeof(JOURNAL_MAGIC) - 1;
	put_be(&q, (uint64_t)s->st.st_size, 8);
	put_be(&q, n, 4);
	for (unsigned i = 0; i < n; i++) {
		unsigned c;

		for (c = 0; c < s->qs.ncpu; c++)
			if (p[i].data >= s->qs.cpu[c].body &&
			    p[i].data < s->qs.cpu[c].body + s->qs.cpu[c].body_len)
				break;
		put_be(&q, p[i].off, 8);
		put_be(&q, p[i].len, 4);
		memcpy(q, s->orig[c] + (p[i].data - s->qs.cpu[c].body), p[i].len);
		memcpy(q + p[i].len, p[i].data, p[i].len);
		q += 2 * (size_t)p[i].len;
	}
	put_be(&q, crc32(0, j, (uInt)(q - j)), 4);
	fd = n ? open(s->path, O_WRONLY | O_CLOEXEC) : -1;
	if (n && fd < 0) {
		msg_err("'%s': cannot open for writing: %s", s->path, strerror(errno));
		rc = EXIT_CANTCREAT;
	}
	if (!rc && n)
		rc = io_write_atomic(journal, j, jlen, false, NULL);
	for (unsigned i = 0; i < n && !rc; i++)
		if (pwrite_all(fd, p[i].data, p[i].len, p[i].off)) {
			msg_err("'%s': write error at offset 0x%llx: %s (the journal '%s' holds the "
				"original bytes; 'filter --in-place' again rolls them back)", s->path,
				(unsigned long long)p[i].off, strerror(errno), journal);
			rc = EXIT_IOERR;
		}
	if (!rc && n && fsync(fd)) {
		msg_err("'%s': fsync failed: %s (journal '%s' kept)", s->path, strerror(errno),
			journal);
		rc = EXIT_IOERR;
	}
	if (!rc && n && (unlink(journal) || sync_parent(journal))) {
		msg_err("'%s': written, but removing its journal failed: %s", journal,
			strerror(errno));
		rc = EXIT_IOERR;
	}
	if (fd >= 0)
		close(fd);
	free(j);
	free(p);
	free(journal);
	return rc;
}

int stream_recover(const char *path)
{
	char *journal = stream_journal_name(path);
	struct io_file f;
	struct stat st;
	uint64_t size, count;
	const uint8_t *q, *end;
	int fd = -1, rc;

	if (access(journal, F_OK)) {
		free(journal);
		return 0;
	}
	rc = io_read(journal, 64u << 20, &f);
	if (rc) {
		free(journal);
		return rc;
	}
	q = f.buf;
	end = f.buf + f.len;
	if (f.len < sizeof(JOURNAL_MAGIC) - 1 + 16 ||
	    memcmp(q, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1) ||
	    xs_be_get(end - 4, 4) != crc32(0, f.buf, (uInt)(f.len - 4))) {
		msg_err("'%s': not a valid xsavectl journal (bad magic or CRC); '%s' left as is",
			journal, path);
		rc = EXIT_DATAERR;
		goto out;
	}
	q += sizeof(JOURNAL_MAGIC) - 1;
	size = xs_be_get(q, 8);
	count = xs_be_get(q + 8, 4);
	q += 12;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || (uint64_t)st.st_size != size) {
		msg_err("'%s': cannot roll back from '%s': %s", path, journal,
			fd < 0 ? strerror(errno) : "the file's size changed since");
		rc = fd < 0 ? EXIT_NOINPUT : EXIT_DATAERR;
		goto out;
	}
	for (uint64_t i = 0; i < count && !rc; i++) {
		uint64_t off, len;

		if (end - 4 - q < 12 || (off = xs_be_get(q, 8), len = xs_be_get(q + 8, 4),
					 (uint64_t)(end - 4 - q - 12) < 2 * len)) {
			msg_err("'%s': journal entry %llu is truncated", journal,
				(unsigned long long)i);
			rc = EXIT_DATAERR;
			break;
		}
		if (pwrite_all(fd, q + 12, (size_t)len, off)) {
			msg_err("'%s': write error at offset 0x%llx: %s", path,
				(unsigned long long)off, strerror(errno));
			rc = EXIT_IOERR;
		}
		q += 12 + 2 * len;
	}
	if (!rc && (fsync(fd) || unlink(journal) || sync_parent(journal))) {
		msg_err("'%s': rolled back, but syncing or removing '%s' failed: %s", path, journal,
			strerror(errno));
		rc = EXIT_IOERR;
	}
	if (!rc)
		msg_err("'%s': rolled back an interrupted 'filter --in-place' (%llu ranges) from "
			"'%s'", path, (unsigned long long)count, journal);
out:
	if (fd >= 0)
		close(fd);
	io_free(&f);
	free(journal);
	return rc;
}
