// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "exitcodes.h"
#include "io.h"
#include "util.h"

/*
 * One step of a reader: up to n bytes into p.  Returns the bytes read, 0 at
 * the end, or minus an exit code after printing the message.
 */
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
		msg_err("'%s': offset 0x%zx%s: input is larger than the %zu-byte limit", f->path,
			max, where, max);
		return EXIT_DATAERR;
	}
	return 0;
}

static ssize_t plain_step(void *ctx, const struct io_file *f, uint8_t *p, size_t n)
{
	int fd = *(int *)ctx;
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		msg_err("'%s': read error at offset 0x%zx: %s", f->path, f->len, strerror(errno));
		return -EXIT_NOINPUT;
	}
	return r;
}

/* zlib prefixes its messages with the path it was given ("<fd:3>: "): drop it. */
static const char *gz_msg(gzFile gz, int *zerr)
{
	const char *m = gzerror(gz, zerr);
	const char *p = strncmp(m, "<fd:", 4) ? NULL : strstr(m, ": ");

	return p ? p + 2 : m;
}

static ssize_t gzip_step(void *ctx, const struct io_file *f, uint8_t *p, size_t n)
{
	gzFile gz = ctx;
	int r = gzread(gz, p, (unsigned)n);
	int zerr;
	const char *m;

	if (r > 0)
		return r;
	m = gz_msg(gz, &zerr);
	if (r < 0) {
		msg_err("'%s': offset 0x%llx (compressed): gzip data is corrupt: %s", f->path,
			(long long)gzoffset(gz), m);
		return -EXIT_DATAERR;
	}
	/* zlib reports a stream that stops early as Z_BUF_ERROR at EOF. */
	if (zerr != Z_OK && zerr != Z_STREAM_END) {
		msg_err("'%s': offset 0x%llx (compressed): gzip data ends early: %s", f->path,
			(long long)gzoffset(gz), m);
		return -EXIT_DATAERR;
	}
	return 0;
}

int io_read(const char *path, size_t max, struct io_file *f)
{
	unsigned char magic[2];
	ssize_t n;
	int fd, rc;

	memset(f, 0, sizeof(*f));
	f->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		msg_err("'%s': cannot open: %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	if (fstat(fd, &f->st) || !S_ISREG(f->st.st_mode)) {
		msg_err("'%s': not a regular file", path);
		close(fd);
		return EXIT_NOINPUT;
	}
	(void)fcntl(fd, F_SETFL, 0);
	n = pread(fd, magic, 2, 0);
	f->gzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	if (f->gzip) {
		gzFile gz = gzdopen(fd, "rb");

		if (!gz) {
			close(fd);
			msg_err("out of memory");
			return EXIT_SOFTWARE;
		}
		rc = read_all(f, max, gzip_step, gz, " (decompressed)");
		gzclose_r(gz);	/* closes fd */
	} else {
		rc = read_all(f, max, plain_step, &fd, "");
		close(fd);
	}
	if (rc)
		io_free(f);	/* never hand back a partial input */
	return rc;
}

void io_free(struct io_file *f)
{
	free(f->buf);
	f->buf = NULL;
}

bool io_same_file(const char *path, const struct io_file *in)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == in->st.st_dev && st.st_ino == in->st.st_ino;
}

/* gzip-compress into a new buffer (deflate with a gzip wrapper, RFC 1952). */
static int gzip_buf(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream z;
	size_t cap;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&z, len) + 64;
	*out = xmalloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(*out);
		return -1;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int sync_dir(const char *path)
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

int io_write_atomic(const char *path, const uint8_t *buf, size_t len, bool gzip,
		    const struct stat *mode_from)
{
	uint8_t *z = NULL;
	size_t zlen;
	char *tmp;
	int fd, rc = 0;

	if (gzip) {
		if (gzip_buf(buf, len, &z, &zlen))
			return msg_err("'%s': gzip compression failed", path), EXIT_SOFTWARE;
		buf = z;
		len = zlen;
	}
	if (!strcmp(path, "-")) {
		rc = write_all(STDOUT_FILENO, buf, len) ? EXIT_IOERR : 0;
		if (rc)
			msg_err("write error on standard output: %s", strerror(errno));
		free(z);
		return rc;
	}
	tmp = xasprintf("%s.xsavectl-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		msg_err("'%s': cannot create a temporary file beside it: %s", path, strerror(errno));
		free(tmp);
		free(z);
		return EXIT_CANTCREAT;
	}
	if (mode_from) {
		(void)fchmod(fd, mode_from->st_mode & 0666);
	} else {
		mode_t um = umask(0);

		umask(um);
		(void)fchmod(fd, 0666 & ~um);
	}
	if (write_all(fd, buf, len) || fsync(fd)) {
		msg_err("'%s': write error: %s", tmp, strerror(errno));
		rc = EXIT_IOERR;
	}
	if (close(fd) && !rc) {
		msg_err("'%s': write error: %s", tmp, strerror(errno));
		rc = EXIT_IOERR;
	}
	if (!rc && rename(tmp, path)) {
		msg_err("'%s': cannot rename '%s' over it: %s", path, tmp, strerror(errno));
		rc = EXIT_CANTCREAT;
	}
	if (rc)
		unlink(tmp);
	else if (sync_dir(path)) {
		msg_err("'%s': written, but syncing its directory failed: %s", path,
			strerror(errno));
		rc = EXIT_IOERR;
	}
	free(tmp);
	free(z);
	return rc;
}
