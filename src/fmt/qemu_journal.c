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
#include "fmt/qemu_stream.h"
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

int stream_write_in_place(const struct stream *s)
{
	unsigned n;
	struct xs_qpatch *p = stream_patches(s, &n);
	char *journal = stream_journal_name(s->path);
	size_t jlen = sizeof(JOURNAL_MAGIC) - 1 + 12 + 4;
	uint8_t *j, *q;
	int fd, rc = 0;

	if (s->codec != CODEC_NONE) {
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
		put_be(&q, p[i].off, 8);
		put_be(&q, p[i].len, 4);
		memcpy(q, p[i].orig, p[i].len);
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
		if (io_write_full(fd, p[i].data, p[i].len, (int64_t)p[i].off)) {
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
	if (!rc && n && (unlink(journal) || io_sync_dir(journal))) {
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
	struct xs_rd rd;
	uint64_t size;
	uint32_t count = 0;
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
	/* Everything but the trailing CRC, read with the bounds-checked cursor. */
	rd = xs_rd_init(f.buf, f.len >= 4 ? f.len - 4 : 0, 0);
	if (f.len < sizeof(JOURNAL_MAGIC) - 1 + 16 ||
	    !xs_rd_equal_at(&rd, 0, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1) ||
	    xs_be_get(f.buf + f.len - 4, 4) != crc32(0, f.buf, (uInt)(f.len - 4)) ||
	    !xs_rd_skip(&rd, sizeof(JOURNAL_MAGIC) - 1) || !xs_rd_u64be(&rd, &size) ||
	    !xs_rd_u32be(&rd, &count)) {
		msg_err("'%s': not a valid xsavectl journal (bad magic or CRC); '%s' left as is",
			journal, path);
		rc = EXIT_DATAERR;
		goto out;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || (uint64_t)st.st_size != size) {
		msg_err("'%s': cannot roll back from '%s': %s", path, journal,
			fd < 0 ? strerror(errno) : "the file's size changed since");
		rc = fd < 0 ? EXIT_NOINPUT : EXIT_DATAERR;
		goto out;
	}
	for (uint32_t i = 0; i < count && !rc; i++) {
		uint64_t off;
		uint32_t len;
		struct xs_rd old;

		/* Each entry: be64 offset, be32 length, the old bytes (written back), the new. */
		if (!xs_rd_u64be(&rd, &off) || !xs_rd_u32be(&rd, &len) ||
		    !xs_rd_sub(&rd, len, &old) || !xs_rd_skip(&rd, len)) {
			msg_err("'%s': journal entry %u is truncated", journal, i);
			rc = EXIT_DATAERR;
			break;
		}
		if (io_write_full(fd, old.p, old.len, (int64_t)off)) {
			msg_err("'%s': write error at offset 0x%llx: %s", path,
				(unsigned long long)off, strerror(errno));
			rc = EXIT_IOERR;
		}
	}
	if (!rc && (fsync(fd) || unlink(journal) || io_sync_dir(journal))) {
		msg_err("'%s': rolled back, but syncing or removing '%s' failed: %s", path, journal,
			strerror(errno));
		rc = EXIT_IOERR;
	}
	if (!rc)
		msg_err("'%s': rolled back an interrupted 'filter --in-place' (%u ranges) from '%s'",
			path, count, journal);
out:
	if (fd >= 0)
		close(fd);
	io_free(&f);
	free(journal);
	return rc;
}
