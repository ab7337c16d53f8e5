// SPDX-License-Identifier: MIT
/*
 * The QEMU stream format's in-place writer: filter --in-place on an
 * uncompressed stream rewrites only the changed bytes, under a journal that
 * lets the next run roll an interrupted rewrite back (see stream.h and the man
 * page).  The journal's record is libxsave's (include/xsave/journal.h); here
 * are its files: written atomically before the first byte of the stream
 * changes, removed after the stream is synced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsave/journal.h>

#include "exitcodes.h"
#include "fmt/qemu_stream.h"
#include "util.h"

#define JOURNAL_READ_MAX (64u << 20)	/* the largest journal read back */

/* The journal of the @n patches @p of @s (allocated, *len bytes), or NULL (message printed). */
static uint8_t *make_journal(const struct stream *s, const struct xs_qpatch *p, unsigned n,
			     size_t *len)
{
	struct xs_diag d = { 0 };
	size_t need = xs_journal_size(p, n);
	uint8_t *j = need == SIZE_MAX ? NULL : xmalloc(need);

	if (xs_journal_encode(j, j ? need : 0, (uint64_t)s->st.st_size, p, n, &d)) {
		msg_err("'%s': %s", s->path, d.msg);
		free(j);
		return NULL;
	}
	*len = need;
	return j;
}

/* Write @journal (@jlen bytes at @j), then the @n patches over @s's file, sync it, drop it. */
static int rewrite(const struct stream *s, const struct xs_qpatch *p, unsigned n,
		   const char *journal, const uint8_t *j, size_t jlen)
{
	int fd = open(s->path, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		msg_err("'%s': cannot open for writing: %s", s->path, strerror(errno));
		return EXIT_CANTCREAT;
	}
	/* The journal holds the image's bytes: it gets the image's mode, not the umask's. */
	rc = io_write_atomic(journal, j, jlen, CODEC_NONE, &s->st);
	for (unsigned i = 0; i < n && !rc; i++)
		if (io_write_full(fd, p[i].data, p[i].len, (int64_t)p[i].off)) {
			msg_err("'%s': write error at offset 0x%llx: %s (the journal '%s' holds the "
				"original bytes; 'filter --in-place' again rolls them back)", s->path,
				(unsigned long long)p[i].off, strerror(errno), journal);
			rc = EXIT_IOERR;
		}
	if (!rc && fsync(fd)) {
		msg_err("'%s': fsync failed: %s (journal '%s' kept)", s->path, strerror(errno),
			journal);
		rc = EXIT_IOERR;
	}
	if (!rc && (unlink(journal) || io_sync_dir(journal))) {
		msg_err("'%s': written, but removing its journal failed: %s", journal,
			strerror(errno));
		rc = EXIT_IOERR;
	}
	close(fd);
	return rc;
}

int stream_write_in_place(const struct stream *s)
{
	unsigned n;
	struct xs_qpatch *p;
	char *journal;
	uint8_t *j;
	size_t jlen;
	int rc;

	if (s->codec != CODEC_NONE)
		return stream_write(s, s->path);	/* compressed: rewrite whole, atomically */
	p = stream_patches(s, &n);
	if (!n) {
		free(p);
		return 0;
	}
	journal = stream_journal_name(s->path);
	j = make_journal(s, p, n, &jlen);
	rc = j ? rewrite(s, p, n, journal, j, jlen) : EXIT_SOFTWARE;
	free(j);
	free(journal);
	free(p);
	return rc;
}

/*
 * Is the journal this file's?  Each range of @path must hold now either its
 * original bytes (not written yet) or its new ones (written): anything else
 * is another file (a new save of the same size) or one changed since, which
 * a rollback would corrupt.  0, or an exit code (message printed).
 */
static int range_matches(int fd, const char *path, const char *journal, const struct xs_qpatch *r)
{
	uint8_t *now = xmalloc(r->len ? r->len : 1);
	bool ok = io_pread(fd, now, r->len, r->off) == (ssize_t)r->len &&
		  (!memcmp(now, r->orig, r->len) || !memcmp(now, r->data, r->len));

	free(now);
	if (ok)
		return 0;
	msg_err("'%s': offset 0x%llx: holds neither the bytes '%s' saved nor those it wrote there: "
		"the journal is not this file's (or the file changed since); both left as is",
		path, (unsigned long long)r->off, journal);
	return EXIT_DATAERR;
}

/*
 * Write every range's original bytes in @j back into @fd (the file @path),
 * once every range has been read whole and found to belong to the file: a
 * bad range, or one the file does not match, leaves the file as is.
 */
static int put_back(int fd, const char *path, const char *journal, struct xs_journal *j)
{
	struct xs_journal all = *j;
	struct xs_diag d = { 0 };
	struct xs_qpatch r;
	int rc;

	while (all.next < all.count) {
		if (xs_journal_next(&all, &r, &d)) {
			msg_err("'%s': %s; '%s' left as is", journal, d.msg, path);
			return EXIT_DATAERR;
		}
		if ((rc = range_matches(fd, path, journal, &r)))
			return rc;
	}
	while (j->next < j->count) {
		if (xs_journal_next(j, &r, &d))
			return EXIT_SOFTWARE;	/* read whole above */
		if (io_write_full(fd, r.orig, r.len, (int64_t)r.off)) {
			msg_err("'%s': write error at offset 0x%llx: %s", path,
				(unsigned long long)r.off, strerror(errno));
			return EXIT_IOERR;
		}
	}
	return 0;
}

/* Roll @path back from its journal @journal, read into @f. */
static int roll_back(const char *path, const char *journal, const struct io_file *f)
{
	struct xs_diag d = { 0 };
	struct xs_journal j;
	struct stat st;
	int fd, rc;

	if (xs_journal_parse(&j, f->buf, f->len, &d)) {
		msg_err("'%s': %s; '%s' left as is", journal, d.msg, path);
		return EXIT_DATAERR;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || (uint64_t)st.st_size != j.file_size) {
		msg_err("'%s': cannot roll back from '%s': %s", path, journal,
			fd < 0 ? strerror(errno) : "the file's size changed since");
		if (fd < 0)
			return EXIT_NOINPUT;
		close(fd);
		return EXIT_DATAERR;
	}
	rc = put_back(fd, path, journal, &j);
	if (!rc && (fsync(fd) || unlink(journal) || io_sync_dir(journal))) {
		msg_err("'%s': rolled back, but syncing or removing '%s' failed: %s", path, journal,
			strerror(errno));
		rc = EXIT_IOERR;
	}
	if (!rc)
		msg_err("'%s': rolled back an interrupted 'filter --in-place' (%u ranges) from '%s'",
			path, j.count, journal);
	close(fd);
	return rc;
}

int stream_recover(const char *path)
{
	char *journal = stream_journal_name(path);
	struct io_file f;
	int rc = 0;

	if (!access(journal, F_OK)) {
		rc = io_read(journal, JOURNAL_READ_MAX, &f);
		if (!rc) {
			rc = roll_back(path, journal, &f);
			io_free(&f);
		}
	}
	free(journal);
	return rc;
}
