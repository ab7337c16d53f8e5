// SPDX-License-Identifier: MIT
/* In-place rewrites under a journal: see journal.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsave/journal.h>

#include "exitcodes.h"
#include "fail.h"
#include "sys/io.h"
#include "sys/journal.h"
#include "util.h"

#define JOURNAL_READ_MAX (64u << 20)	/* the largest journal read back */

char *journal_name(const char *path)
{
	return xasprintf("%s%s", path, XS_JOURNAL_SUFFIX);
}

/* The journal of the @n patches @p of @path (@st): allocated, *len bytes; NULL (why). */
static uint8_t *make_journal(const char *path, const struct stat *st, const struct xs_qpatch *p,
			     unsigned n, size_t *len, struct fail *why)
{
	const struct xs_journal f = { .file_size = (uint64_t)st->st_size, .bound = true,
				      .dev = (uint64_t)st->st_dev, .ino = (uint64_t)st->st_ino };
	struct xs_diag d = { 0 };
	size_t need = xs_journal_size(p, n);
	uint8_t *j = need == SIZE_MAX ? NULL : xmalloc(need);

	if (xs_journal_encode(j, j ? need : 0, &f, p, n, &d)) {
		fail_msg(why, EXIT_SOFTWARE, path, "%s", d.msg);
		free(j);
		return NULL;
	}
	*len = need;
	return j;
}

/* Write @journal (@jlen bytes at @j), then the @n patches over @path, sync it, drop it. */
static int rewrite(const char *path, const struct stat *st, const struct xs_qpatch *p,
		   unsigned n, const char *journal, const uint8_t *j, size_t jlen,
		   struct fail *why)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return fail_msg(why, EXIT_CANTCREAT, path, "cannot open for writing: %s",
				strerror(errno));
	/* The journal holds the image's bytes: it gets the image's mode, not the umask's. */
	rc = io_write_atomic(journal, j, jlen, CODEC_NONE, st, why);
	for (unsigned i = 0; i < n && !rc; i++)
		if (io_write_full(fd, p[i].data, p[i].len, (int64_t)p[i].off))
			rc = fail_msg(why, EXIT_IOERR, path, "write error at offset 0x%llx: %s (the "
				      "journal '%s' holds the original bytes; 'filter --in-place' "
				      "again rolls them back)", (unsigned long long)p[i].off,
				      strerror(errno), journal);
	if (!rc && fsync(fd))
		rc = fail_msg(why, EXIT_IOERR, path, "fsync failed: %s (journal '%s' kept)",
			      strerror(errno), journal);
	if (!rc && (unlink(journal) || io_sync_dir(journal)))
		rc = fail_msg(why, EXIT_IOERR, journal, "written, but removing its journal failed: "
			      "%s", strerror(errno));
	close(fd);
	return rc;
}

int journal_write(const char *path, const struct stat *st, const struct xs_qpatch *p,
		  unsigned n, struct fail *why)
{
	char *journal = journal_name(path);
	size_t jlen;
	uint8_t *j = make_journal(path, st, p, n, &jlen, why);
	int rc = j ? rewrite(path, st, p, n, journal, j, jlen, why) : EXIT_SOFTWARE;

	free(j);
	free(journal);
	return rc;
}

/*
 * Is the journal this file's?  Each range of @path must hold now either its
 * original bytes (not written yet) or its new ones (written): anything else
 * is another file (a new save of the same size) or one changed since, which
 * a rollback would corrupt.  0, or an exit code (why).
 */
static int range_matches(int fd, const char *path, const char *journal, const struct xs_qpatch *r,
			 struct fail *why)
{
	uint8_t *now = xmalloc(r->len ? r->len : 1);
	bool ok = io_pread(fd, now, r->len, r->off) == (ssize_t)r->len &&
		  (!memcmp(now, r->orig, r->len) || !memcmp(now, r->data, r->len));

	free(now);
	if (ok)
		return 0;
	return fail_at(why, EXIT_DATAERR, path, r->off, "holds neither the bytes '%s' saved nor "
		       "those it wrote there: the journal is not this file's (or the file changed "
		       "since); both left as is", journal);
}

/*
 * Write every range's original bytes in @j back into @fd (the file @path),
 * once every range has been read whole and found to belong to the file: a
 * bad range, or one the file does not match, leaves the file as is.
 */
static int put_back(int fd, const char *path, const char *journal, struct xs_journal *j,
		    struct fail *why)
{
	struct xs_journal all = *j;
	struct xs_diag d = { 0 };
	struct xs_qpatch r;
	int rc;

	while (all.next < all.count) {
		if (xs_journal_next(&all, &r, &d))
			return fail_msg(why, EXIT_DATAERR, journal, "%s; '%s' left as is", d.msg,
					path);
		if ((rc = range_matches(fd, path, journal, &r, why)))
			return rc;
	}
	while (j->next < j->count) {
		if (xs_journal_next(j, &r, &d))
			return EXIT_SOFTWARE;	/* read whole above */
		if (io_write_full(fd, r.orig, r.len, (int64_t)r.off))
			return fail_msg(why, EXIT_IOERR, path, "write error at offset 0x%llx: %s",
					(unsigned long long)r.off, strerror(errno));
	}
	return 0;
}

/* Roll @path back from its journal @journal, read into @f. */
static int roll_back(const char *path, const char *journal, const struct io_file *f,
		     struct fail *why)
{
	struct xs_diag d = { 0 };
	struct xs_journal j;
	struct stat st;
	int fd, rc;

	if (xs_journal_parse(&j, f->buf, f->len, &d))
		return fail_msg(why, EXIT_DATAERR, journal, "%s; '%s' left as is", d.msg, path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || (uint64_t)st.st_size != j.file_size) {
		fail_msg(why, fd < 0 ? EXIT_NOINPUT : EXIT_DATAERR, path, "cannot roll back from "
			 "'%s': %s", journal, fd < 0 ? strerror(errno) : "the file's size changed "
			 "since");
		if (fd < 0)
			return EXIT_NOINPUT;
		close(fd);
		return EXIT_DATAERR;
	}
	if (j.bound && (j.dev != (uint64_t)st.st_dev || j.ino != (uint64_t)st.st_ino)) {
		close(fd);
		return fail_msg(why, EXIT_DATAERR, path, "'%s' was written for another file (device "
				"0x%llx, inode %llu; this is device 0x%llx, inode %llu): not rolled "
				"back, both left as is", journal, (unsigned long long)j.dev,
				(unsigned long long)j.ino, (unsigned long long)st.st_dev,
				(unsigned long long)st.st_ino);
	}
	rc = put_back(fd, path, journal, &j, why);
	if (!rc && (fsync(fd) || unlink(journal) || io_sync_dir(journal)))
		rc = fail_msg(why, EXIT_IOERR, path, "rolled back, but syncing or removing '%s' "
			      "failed: %s", journal, strerror(errno));
	if (!rc)
		fail_note(why, "'%s': rolled back an interrupted 'filter --in-place' (%u ranges) "
			  "from '%s'", path, j.count, journal);
	close(fd);
	return rc;
}

int journal_recover(const char *path, struct fail *why)
{
	char *journal = journal_name(path);
	struct io_file f;
	int rc = 0;

	if (!access(journal, F_OK)) {
		rc = io_read(journal, JOURNAL_READ_MAX, &f, why);
		if (!rc) {
			rc = roll_back(path, journal, &f, why);
			io_free(&f);
		}
	}
	free(journal);
	return rc;
}
