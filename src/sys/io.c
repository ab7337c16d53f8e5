// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "fail.h"
#include "sys/attrs.h"
#include "sys/io.h"
#include "util.h"

/*
 * One step of a reader: up to n bytes into p.  Returns the bytes read, 0 at
 * the end, or minus an exit code with why in f->fail.
 */
static int write_all(int fd, const uint8_t *p, size_t n);

/*
 * Standard input ("-") when it is a pipe: read forward only, its first PIPE_HEAD bytes kept
 * so that the sniffers and the container readers may read the start again.
 */
#define PIPE_HEAD (1u << 20)
static struct {
	int fd;
	uint8_t *head;
	uint64_t pos;		/* bytes taken from the pipe */
} pipe_in = { .fd = -1 };
static bool stdin_taken;

bool io_is_pipe(int fd)
{
	return fd >= 0 && fd == pipe_in.fd;
}

void io_close(int fd)
{
	if (io_is_pipe(fd)) {
		pipe_in.fd = -1;
		free(pipe_in.head);
		pipe_in.head = NULL;
	}
	if (fd >= 0)
		close(fd);
}

/* Take up to @n bytes from the pipe into @p (NULL: drop them), keeping the head. */
static ssize_t pipe_take(uint8_t *p, size_t n)
{
	static uint8_t scratch[64 * 1024];
	size_t done = 0;

	while (done < n) {
		size_t want = n - done;
		uint8_t *to = p ? p + done : scratch;
		ssize_t r;

		if (!p && want > sizeof(scratch))
			want = sizeof(scratch);
		r = read(pipe_in.fd, to, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return done ? (ssize_t)done : -1;
		if (r == 0)
			break;
		if (pipe_in.pos < PIPE_HEAD) {
			size_t k = PIPE_HEAD - pipe_in.pos < (size_t)r ? PIPE_HEAD - (size_t)pipe_in.pos
								      : (size_t)r;

			memcpy(pipe_in.head + pipe_in.pos, to, k);
		}
		pipe_in.pos += (uint64_t)r;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

ssize_t io_pread(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;
	size_t done = 0;
	ssize_t r;

	if (!io_is_pipe(fd))
		return pread(fd, buf, n, (off_t)off);
	if (off < pipe_in.pos && off < PIPE_HEAD) {
		uint64_t have = pipe_in.pos < PIPE_HEAD ? pipe_in.pos : PIPE_HEAD;

		done = have - off < n ? (size_t)(have - off) : n;
		memcpy(p, pipe_in.head + off, done);
		off += done;
		if (done == n)
			return (ssize_t)n;
	}
	if (off < pipe_in.pos) {
		errno = ESPIPE;	/* behind what the pipe still holds */
		return -1;
	}
	if (off > pipe_in.pos) {
		r = pipe_take(NULL, (size_t)(off - pipe_in.pos));
		if (r < 0)
			return -1;
		if (pipe_in.pos < off)
			return (ssize_t)done;	/* the end came first */
	}
	r = pipe_take(p + done, n - done);
	if (r < 0)
		return done ? (ssize_t)done : -1;
	return (ssize_t)(done + (size_t)r);
}

typedef ssize_t (*read_step)(void *ctx, const struct io_file *f, uint8_t *p, size_t n);

/* Read everything @step yields into f->buf, at most @max bytes. */
static int read_all(struct io_file *f, size_t max, read_step step, void *ctx, const char *where)
{
	size_t cap = 4096;

	f->buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (f->len == cap) {
			if (cap > max)
				break;
			cap *= 2;
			f->buf = xrealloc(f->buf, cap);
		}
		n = step(ctx, f, f->buf + f->len, cap - f->len);
		if (n < 0)
			return (int)-n;
		if (n == 0)
			break;
		f->len += (size_t)n;
	}
	if (f->len > max) {
		return fail_at_in(f->fail, EXIT_DATAERR, f->path, max, where,
				  "input is larger than the %zu-byte limit", max);
	}
	return 0;
}

static ssize_t plain_step(void *ctx, const struct io_file *f, uint8_t *p, size_t n)
{
	int fd = *(int *)ctx;
	ssize_t r;

	if (io_is_pipe(fd))
		r = io_pread(fd, p, n, f->len);
	else
		do
			r = read(fd, p, n);
		while (r < 0 && errno == EINTR);
	if (r < 0) {
		return -fail_msg(f->fail, EXIT_NOINPUT, f->path, "read error at offset 0x%zx: %s",
				 f->len, strerror(errno));
	}
	return r;
}

/* The next piece of a compressed input, its failure recorded in f->fail. */
static ssize_t codec_step(void *ctx, const struct io_file *f, uint8_t *p, size_t n)
{
	struct xs_diag d;
	ssize_t k = codec_read(ctx, p, n, &d);

	if (k < 0)
		io_codec_fail(f->fail, (int)-k, f->path, &d);
	return k;
}

int io_codec_fail(struct fail *fail, int code, const char *path, const struct xs_diag *d)
{
	unsigned long long out, in;
	char what[64];
	int n = -1;

	/* A failure in the data: its decompressed-stream offset is the number, the file's said. */
	if (sscanf(d->msg, CODEC_AT_FMT "%n", &out, &in, &n) == 2 && n > 0) {
		snprintf(what, sizeof(what), CODEC_AT_WHAT, in);
		return fail_at_in(fail, code, path, out, what, "%s", d->msg + n);
	}
	return fail_diag(fail, code, path, d);
}

int io_codec_open(enum codec c, int fd, uint64_t at, const char *path, struct codec_rd **r,
		  struct fail *fail)
{
	const struct codec_in in = { .fd = fd, .pread = io_pread, .forward_only = io_is_pipe(fd) };
	struct xs_diag d;
	int rc = codec_rd_open(c, &in, at, r, &d);

	return rc ? io_codec_fail(fail, rc, path, &d) : 0;
}

/*
 * A compressed input: its decoder, which gives the first bytes for the sniffers and then
 * goes on for the reader.  0 or an exit code (why in src->fail).
 */
static int sniff_codec(struct io_src *src)
{
	int rc;

	src->codec = codec_sniff(src->magic, src->nmagic, IO_CODECS);
	if (src->codec == CODEC_NONE)
		return 0;
	rc = io_codec_open(src->codec, src->fd, 0, src->path, &src->rd, src->fail);
	if (rc)
		return rc;
	/* The first bytes only: a failure there is kept for the reader to report. */
	src->nmagic = codec_peek(src->rd, src->magic, sizeof(src->magic));
	return 0;
}

/* What a non-regular file is, for the message that refuses it. */
static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory (inspect and check read the files under it with --recursive)";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

int io_open(const char *path, struct io_src *src, struct fail *fail)
{
	ssize_t n;
	int rc;

	memset(src, 0, sizeof(*src));
	src->path = path;
	src->fail = fail;
	if (!strcmp(path, "-")) {
		if (stdin_taken)
			return fail_msg(fail, EXIT_USAGE, "-", "standard input is read once; it "
					"cannot be given twice");
		stdin_taken = true;
		src->fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
		if (src->fd < 0 || fstat(src->fd, &src->st)) {
			fail_msg(fail, EXIT_NOINPUT, "-", "cannot read standard input: %s",
				 strerror(errno));
			if (src->fd >= 0)
				io_close(src->fd);
			return EXIT_NOINPUT;
		}
		if (S_ISDIR(src->st.st_mode)) {
			io_close(src->fd);
			return fail_msg(fail, EXIT_NOINPUT, "-", "standard input is a directory, not "
					"a file to read");
		}
		/* A file (< F) reads as that file; a pipe, a socket or a tty forward only. */
		if (!S_ISREG(src->st.st_mode)) {
			pipe_in.fd = src->fd;
			pipe_in.pos = 0;
			pipe_in.head = xmalloc(PIPE_HEAD);
		}
	} else
		src->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (src->fd < 0)
		return fail_msg(fail, EXIT_NOINPUT, path, "cannot open: %s", strerror(errno));
	if (io_is_pipe(src->fd)) {
		/* sniffed below, from the head */
	} else if (fstat(src->fd, &src->st) || !S_ISREG(src->st.st_mode)) {
		io_close(src->fd);
		return fail_msg(fail, EXIT_NOINPUT, path, "%s, not a file to read",
				file_kind(src->st.st_mode));
	}
	(void)fcntl(src->fd, F_SETFL, 0);
	n = io_pread(src->fd, src->magic, sizeof(src->magic), 0);
	src->nmagic = n > 0 ? (size_t)n : 0;
	rc = sniff_codec(src);
	if (rc)
		io_close(src->fd);
	return rc;
}

int io_open_input(const char *path, struct io_src *src, struct fail *fail)
{
	struct stat st;

	if (!strcmp(path, "-") || stat(path, &st) || !S_ISDIR(st.st_mode))
		return io_open(path, src, fail);
	memset(src, 0, sizeof(*src));
	src->path = path;
	src->fail = fail;
	src->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src->fd < 0 || fstat(src->fd, &src->st)) {
		if (src->fd >= 0)
			close(src->fd);
		return fail_msg(fail, EXIT_NOINPUT, path, "cannot open: %s", strerror(errno));
	}
	return 0;
}

int io_read_src(struct io_src *src, size_t max, struct io_file *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->path = src->path;
	f->fail = src->fail;
	f->codec = src->codec;
	f->st = src->st;
	if (src->rd) {
		rc = read_all(f, max, codec_step, src->rd, " (decompressed)");
	} else if (!io_is_pipe(src->fd) && lseek(src->fd, 0, SEEK_SET)) {
		rc = fail_msg(src->fail, EXIT_NOINPUT, src->path, "cannot seek: %s",
			      strerror(errno));
	} else {
		rc = read_all(f, max, plain_step, &src->fd, "");
	}
	io_src_close(src);
	if (rc)
		io_free(f);	/* never hand back a partial input */
	return rc;
}

int io_read(const char *path, size_t max, struct io_file *f, struct fail *fail)
{
	struct io_src src;
	int rc = io_open(path, &src, fail);

	return rc ? rc : io_read_src(&src, max, f);
}

int io_decompress_to_tmp(struct io_src *src, io_bound_fn bound, void *ctx)
{
	const char *dir = getenv("TMPDIR");
	struct xs_diag d;
	uint8_t *buf;
	int out, rc = 0;

	if (!dir || !*dir)
		dir = "/tmp";
	out = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (out < 0) {
		char *tmp = xasprintf("%s/xsavectl-XXXXXX", dir);

		out = mkstemp(tmp);
		if (out >= 0)
			unlink(tmp);
		free(tmp);
	}
	if (out < 0) {
		return fail_msg(src->fail, EXIT_CANTCREAT, src->path, "cannot create a temporary "
				"file in %s to decompress into: %s", dir, strerror(errno));
	}
	buf = xmalloc(1 << 20);
	for (uint64_t have = 0;; ) {
		ssize_t n = codec_read(src->rd, buf, 1 << 20, &d);

		if (n < 0) {
			rc = io_codec_fail(src->fail, (int)-n, src->path, &d);
			break;
		}
		if (n == 0)
			break;
		if (write_all(out, buf, (size_t)n)) {
			rc = fail_msg(src->fail, EXIT_IOERR, src->path, "cannot decompress into a "
				      "temporary file in %s: %s", dir, strerror(errno));
			break;
		}
		have += (uint64_t)n;
		if ((rc = bound(ctx, out, have)))
			break;
	}
	free(buf);
	io_src_close(src);
	src->fd = out;
	if (rc) {
		close(out);
		src->fd = -1;
	}
	return rc;
}

void io_src_close(struct io_src *src)
{
	codec_rd_close(src->rd);
	src->rd = NULL;
	if (src->fd >= 0)
		io_close(src->fd);
	src->fd = -1;
}

void io_free(struct io_file *f)
{
	free(f->buf);
	f->buf = NULL;
}

bool io_same_file(const char *path, const struct stat *in)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == in->st_dev && st.st_ino == in->st_ino;
}

int io_write_full(int fd, const void *buf, size_t n, int64_t at)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = at < 0 ? write(fd, p, n) : pwrite(fd, p, n, (off_t)at);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		if (at >= 0)
			at += w;
	}
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	return io_write_full(fd, p, n, -1);
}

int io_sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	free(copy);
	if (fd < 0)
		return -1;
	if (fsync(fd) && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

/* Where an unnamed file is named from (linkat through it): absent when /proc is not mounted. */
#define PROC_FD_DIR "/proc/self/fd"

/*
 * The output's file: unnamed (O_TMPFILE) in the destination directory when
 * the filesystem can and /proc is there to name it through, so that a process
 * killed before commit leaves nothing behind; else a named temporary file
 * beside the destination (O_EXCL, its mode set before anything is written).
 */
static int out_create(struct io_out *o, mode_t mode)
{
	char *copy = xstrdup(o->path);
	const char *dir = dirname(copy);

	o->fd = access(PROC_FD_DIR, X_OK) ? -1 : open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	free(copy);
	if (o->fd >= 0) {
		o->anon = true;
		return 0;
	}
	o->tmp = xasprintf("%s.xsavectl-XXXXXX", o->path);
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	(void)fchmod(o->fd, mode);
	return 0;
}

/* Can @path name a new file?  Says why not (a directory, a missing directory). */
static int out_path_ok(const char *path, struct fail *fail)
{
	struct stat st;
	size_t n = strlen(path);
	char *dir;
	int rc = 0;

	if ((n && path[n - 1] == '/') || (!stat(path, &st) && S_ISDIR(st.st_mode))) {
		return fail_msg(fail, EXIT_CANTCREAT, path, "a directory: the output must name a "
				"file");
	}
	dir = xstrdup(path);
	if (strrchr(dir, '/')) {
		*strrchr(dir, '/') = 0;
		if (dir[0] && (stat(dir, &st) || !S_ISDIR(st.st_mode))) {
			rc = fail_msg(fail, EXIT_CANTCREAT, path, "'%s' %s", dir,
				      errno == ENOENT ? "does not exist" : "is not a directory");
		}
	}
	free(dir);
	return rc;
}

int io_out_open(const char *path, enum codec codec, const struct stat *mode_from,
		struct io_out *o, struct fail *fail)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->fail = fail;
	if (mode_from) {
		o->keep = true;
		o->keep_st = *mode_from;
	}
	if (strcmp(path, "-") && out_path_ok(path, fail))
		return EXIT_CANTCREAT;
	if (!strcmp(path, "-")) {
		o->fd = STDOUT_FILENO;
	} else {
		mode_t um = umask(0);

		umask(um);
		if (out_create(o, mode_from ? mode_from->st_mode & 0666 : 0666 & ~um)) {
			return fail_msg(fail, EXIT_CANTCREAT, path, "cannot create a temporary file "
					"beside it: %s", strerror(errno));
		}
	}
	return codec != CODEC_NONE ? io_out_compress(o, codec, NULL) : 0;
}

/* The compressor's sink: the output file, its errno kept for io_out_error. */
static int out_put(void *ctx, const uint8_t *p, size_t n)
{
	struct io_out *o = ctx;

	if (write_all(o->fd, p, n)) {
		o->werr = errno;
		return -1;
	}
	return 0;
}

/* A compressor's failure @rc (@d): a write error as io_out_error says it, else @d. */
static int out_codec_error(struct io_out *o, int rc, const struct xs_diag *d)
{
	if (o->werr) {
		errno = o->werr;
		return io_out_error(o);
	}
	return fail_diag(o->fail, rc, o->path, d);
}

int io_out_compress(struct io_out *o, enum codec codec, const struct codec_rd *like)
{
	const struct codec_out sink = { .put = out_put, .ctx = o };
	struct xs_diag d;
	int rc = codec_wr_open(codec, &sink, like, &o->wr, &d);

	if (rc) {
		rc = out_codec_error(o, rc, &d);
		io_out_abort(o);
	}
	return rc;
}

int io_out_error(struct io_out *o)
{
	if (o->tmp || o->anon)
		return fail_msg(o->fail, EXIT_IOERR, o->path, "write error: %s", strerror(errno));
	/* The reader closed the pipe early: it wanted no more (see src/out/document.c). */
	if (errno == EPIPE)
		return EXIT_OK;
	return fail_msg(o->fail, EXIT_IOERR, NULL, "write error on standard output: %s",
			strerror(errno));
}

/* Give the unnamed file a temporary name beside the destination (linkat fails on EEXIST). */
static int out_name(struct io_out *o)
{
	char proc[64];

	snprintf(proc, sizeof(proc), PROC_FD_DIR "/%d", o->fd);
	for (unsigned i = 0; i < 100; i++) {
		o->tmp = xasprintf("%s.xsavectl-%ld-%u", o->path, (long)getpid(), i);
		if (!linkat(AT_FDCWD, proc, AT_FDCWD, o->tmp, AT_SYMLINK_FOLLOW))
			return 0;
		free(o->tmp);
		o->tmp = NULL;
		if (errno != EEXIST)
			break;
	}
	return -1;
}

int io_out_write(struct io_out *o, const void *p, size_t n)
{
	if (o->wr) {
		struct xs_diag d;
		int rc = codec_write(o->wr, p, n, &d);

		return rc ? out_codec_error(o, rc, &d) : 0;
	}
	return write_all(o->fd, p, n) ? io_out_error(o) : 0;
}

/*
 * The output takes its input's mode (an unnamed file was created under the
 * umask); one that replaces its input (--in-place by rename) its owner, group
 * and extended attributes too.  0 or an exit code.
 */
static int keep_attrs(struct io_out *o)
{
	struct stat now;

	if (!stat(o->path, &now) && now.st_dev == o->keep_st.st_dev &&
	    now.st_ino == o->keep_st.st_ino)
		return attrs_keep(o->path, &o->keep_st, o->fd, o->fail);
	if (fchmod(o->fd, o->keep_st.st_mode & 0666))
		return fail_msg(o->fail, EXIT_CANTCREAT, o->path, "cannot set its mode %04o: %s",
				(unsigned)(o->keep_st.st_mode & 0666), strerror(errno));
	return 0;
}

int io_out_commit(struct io_out *o)
{
	int rc = 0;

	if (o->wr) {
		struct xs_diag d;

		rc = codec_wr_finish(o->wr, &d);
		o->wr = NULL;
		if (rc)
			rc = out_codec_error(o, rc, &d);
	}
	if (!o->tmp && !o->anon)
		return rc;
	if (!rc && o->keep)
		rc = keep_attrs(o);
	if (!rc && fsync(o->fd))
		rc = io_out_error(o);
	if (!rc && o->anon && out_name(o)) {
		rc = fail_msg(o->fail, EXIT_CANTCREAT, o->path, "cannot link the written file into "
			      "its directory: %s", strerror(errno));
	}
	if (close(o->fd) && !rc)
		rc = io_out_error(o);
	o->fd = -1;
	if (!rc && rename(o->tmp, o->path)) {
		rc = fail_msg(o->fail, EXIT_CANTCREAT, o->path, "cannot rename '%s' over it: %s",
			      o->tmp, strerror(errno));
	}
	if (rc) {
		if (o->tmp)
			unlink(o->tmp);
	} else if (io_sync_dir(o->path)) {
		rc = fail_msg(o->fail, EXIT_IOERR, o->path, "written, but syncing its directory "
			      "failed: %s", strerror(errno));
	}
	free(o->tmp);
	o->tmp = NULL;
	return rc;
}

void io_out_abort(struct io_out *o)
{
	codec_wr_free(o->wr);
	o->wr = NULL;
	if (!o->tmp && !o->anon)
		return;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
}

int io_write_atomic(const char *path, const uint8_t *buf, size_t len, enum codec codec,
		    const struct stat *mode_from, struct fail *fail)
{
	struct io_out o;
	int rc = io_out_open(path, codec, mode_from, &o, fail);

	if (rc)
		return rc;
	rc = io_out_write(&o, buf, len);
	if (rc) {
		io_out_abort(&o);
		return rc;
	}
	return io_out_commit(&o);
}
