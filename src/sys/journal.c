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
#define CHECK_CHUNK (1u << 20)		/* a v3 rollback compares the file in such steps */

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

/* Read @path's old tail (from @off to its size in @st) into *old; 0 or an exit code. */
static int read_old_tail(int fd, const char *path, const struct stat *st, uint64_t off,
			 uint8_t **old, struct fail *why)
{
	uint64_t n = (uint64_t)st->st_size - off;
	struct stat now;

	if (fstat(fd, &now) || now.st_size != st->st_size || now.st_ino != st->st_ino ||
	    now.st_dev != st->st_dev)
		return fail_msg(why, EXIT_DATAERR, path, "changed since it was read: not rewritten");
	*old = xmalloc(n ? (size_t)n : 1);
	if (io_pread(fd, *old, (size_t)n, off) != (ssize_t)n)
		return fail_msg(why, EXIT_IOERR, path, "cannot read back its last 0x%llx bytes: %s",
				(unsigned long long)n, strerror(errno));
	return 0;
}

/* The new tail over the old: extended first when it grows, truncated last when it shrinks. */
static int write_tail(int fd, const char *path, const char *journal, uint64_t off,
		      const uint8_t *p, size_t len, uint64_t old_size, struct fail *why)
{
	uint64_t new_size = off + len;
	const char *step = NULL;

	if (new_size > old_size && ftruncate(fd, (off_t)new_size))
		step = "extending it";
	else if (io_write_full(fd, p, len, (int64_t)off))
		step = "writing its new tail";
	else if (new_size < old_size && ftruncate(fd, (off_t)new_size))
		step = "truncating it";
	if (!step)
		return 0;
	return fail_msg(why, EXIT_IOERR, path, "%s (to 0x%llx bytes) failed: %s (the journal '%s' "
			"holds the original bytes; 'filter --in-place' again rolls them back)", step,
			(unsigned long long)new_size, strerror(errno), journal);
}

int journal_write_tail(const char *path, const struct stat *st, uint64_t off, const uint8_t *p,
		       size_t len, struct fail *why)
{
	char *journal = journal_name(path);
	const struct xs_journal f = { .file_size = (uint64_t)st->st_size, .bound = true,
				      .new_size = off + len, .dev = (uint64_t)st->st_dev,
				      .ino = (uint64_t)st->st_ino };
	struct xs_journal_tail t = { .off = off, .data = p, .data_len = len };
	struct xs_diag d = { 0 };
	uint8_t *old = NULL, *j = NULL;
	size_t jlen = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC), rc = 0;

	if (fd < 0)
		rc = fail_msg(why, EXIT_CANTCREAT, path, "cannot open for writing: %s",
			      strerror(errno));
	else if (off > (uint64_t)st->st_size)
		rc = fail_msg(why, EXIT_SOFTWARE, path, "internal error: a tail from 0x%llx, past "
			      "the end", (unsigned long long)off);
	if (!rc)
		rc = read_old_tail(fd, path, st, off, &old, why);
	if (!rc) {
		t.orig = old;
		t.orig_len = (size_t)((uint64_t)st->st_size - off);
		jlen = xs_journal_tail_size(t.orig_len, len);
		j = jlen == SIZE_MAX ? NULL : xmalloc(jlen);
		if (xs_journal_encode_tail(j, j ? jlen : 0, &f, &t, &d))
			rc = fail_msg(why, EXIT_SOFTWARE, path, "%s", d.msg);
	}
	/* The journal holds the image's bytes: it gets the image's mode, not the umask's. */
	if (!rc)
		rc = io_write_atomic(journal, j, jlen, CODEC_NONE, st, why);
	if (!rc)
		rc = write_tail(fd, path, journal, off, p, len, f.file_size, why);
	if (!rc && fsync(fd))
		rc = fail_msg(why, EXIT_IOERR, path, "fsync failed: %s (journal '%s' kept)",
			      strerror(errno), journal);
	if (!rc && (unlink(journal) || io_sync_dir(journal)))
		rc = fail_msg(why, EXIT_IOERR, journal, "written, but removing its journal failed: "
			      "%s", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(old);
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

/*
 * Is the version 3 journal @j this file's?  Each byte of @fd from the tail's offset to its
 * size now must be the old one there, the new one, or (where the file grew) the zero of
 * the extension not written yet.  0, or an exit code (why).
 */
static int tail_matches(int fd, const char *path, const char *journal, const struct xs_journal *j,
			uint64_t size, struct fail *why)
{
	const struct xs_journal_tail *t = &j->tail;
	uint8_t *now = xmalloc(CHECK_CHUNK);
	uint64_t at = t->off;
	int rc = 0;

	while (!rc && at < size) {
		size_t n = size - at < CHECK_CHUNK ? (size_t)(size - at) : CHECK_CHUNK;

		if (io_pread(fd, now, n, at) != (ssize_t)n) {
			rc = fail_msg(why, EXIT_IOERR, path, "read error at offset 0x%llx: %s",
				      (unsigned long long)at, strerror(errno));
			break;
		}
		for (size_t k = 0; k < n; k++, at++) {
			uint64_t i = at - t->off;
			bool old = i < t->orig_len && now[k] == t->orig[i];
			bool new = i < t->data_len && now[k] == t->data[i];

			if (old || new || (i >= t->orig_len && !now[k]))
				continue;
			rc = fail_at(why, EXIT_DATAERR, path, at, "holds neither the bytes '%s' "
				     "saved nor those it wrote there: the journal is not this file's "
				     "(or the file changed since); both left as is", journal);
			break;
		}
	}
	free(now);
	return rc;
}

/* A version 3 journal: the old tail written back, the file cut (or extended) to its old size. */
static int put_back_tail(int fd, const char *path, const char *journal, const struct xs_journal *j,
			 uint64_t size, struct fail *why)
{
	int rc = tail_matches(fd, path, journal, j, size, why);

	if (!rc && io_write_full(fd, j->tail.orig, j->tail.orig_len, (int64_t)j->tail.off))
		rc = fail_msg(why, EXIT_IOERR, path, "write error at offset 0x%llx: %s",
			      (unsigned long long)j->tail.off, strerror(errno));
	if (!rc && ftruncate(fd, (off_t)j->file_size))
		rc = fail_msg(why, EXIT_IOERR, path, "cannot truncate it back to 0x%llx bytes: %s",
			      (unsigned long long)j->file_size, strerror(errno));
	return rc;
}

/*
 * Is @size one the journal @j knows?  Versions 1 and 2: the file's size when it was written;
 * version 3 also the new size, which the file has once extended or truncated.  *state: the
 * state found, in words.
 */
static bool size_known(const struct xs_journal *j, uint64_t size, const char **state)
{
	if (j->version != 3)
		return size == j->file_size;
	if (j->file_size == j->new_size && size == j->file_size)
		*state = "at its size (the rewrite keeps it)";
	else if (size == j->file_size)
		*state = "at its old size (the new tail not written, or in part)";
	else if (size == j->new_size)
		*state = "at its new size (the new tail written, or in part)";
	else
		return false;
	return true;
}

/* Roll @path back from its journal @journal, read into @f. */
static int roll_back(const char *path, const char *journal, const struct io_file *f,
		     struct fail *why)
{
	struct xs_diag d = { 0 };
	struct xs_journal j;
	struct stat st;
	const char *state = "";
	int fd, rc;

	if (xs_journal_parse(&j, f->buf, f->len, &d))
		return fail_msg(why, EXIT_DATAERR, journal, "%s; '%s' left as is", d.msg, path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !size_known(&j, (uint64_t)st.st_size, &state)) {
		fail_msg(why, fd < 0 ? EXIT_NOINPUT : EXIT_DATAERR, path, "cannot roll back from "
			 "'%s': %s%s", journal, fd < 0 ? strerror(errno) : "the file's size changed "
			 "since", fd >= 0 && j.version == 3 ? " (neither the journal's old size nor "
			 "its new one)" : "");
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
	if (j.version == 3)
		rc = put_back_tail(fd, path, journal, &j, (uint64_t)st.st_size, why);
	else
		rc = put_back(fd, path, journal, &j, why);
	if (!rc && (fsync(fd) || unlink(journal) || io_sync_dir(journal)))
		rc = fail_msg(why, EXIT_IOERR, path, "rolled back, but syncing or removing '%s' "
			      "failed: %s", journal, strerror(errno));
	if (!rc && j.version == 3)
		fail_note(why, "'%s': rolled back an interrupted 'filter --in-place' (its last "
			  "0x%llx bytes, from 0x%llx; found %s) from '%s'", path,
			  (unsigned long long)j.tail.orig_len, (unsigned long long)j.tail.off,
			  state, journal);
	else if (!rc)
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
