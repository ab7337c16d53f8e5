// SPDX-License-Identifier: MIT
/*
 * The codec layer (src/codec/) on its own: every codec built in writes and reads back the
 * same bytes; the sniff's first bytes come again from the decoder that goes on; failures
 * come back as an exit code and one line, the same on every later call, never printed.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "codec/codec.h"
#include "exitcodes.h"

#define LEN (1u << 20)

static ssize_t t_pread(int fd, void *buf, size_t n, uint64_t off)
{
	return pread(fd, buf, n, (off_t)off);
}

static int t_put(void *ctx, const uint8_t *p, size_t n)
{
	return write(*(int *)ctx, p, n) == (ssize_t)n ? 0 : -1;
}

static int t_full(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx, (void)p, (void)n;
	errno = ENOSPC;
	return -1;
}

/* A file holding @n bytes at @p. */
static int t_file(const void *p, size_t n)
{
	int fd = memfd_create("codec", MFD_CLOEXEC);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n) {
		printf("Bail out! memfd\n");
		exit(2);
	}
	return fd;
}

/* @c's compression of @n bytes at @p, into a file. */
static int t_pack(enum codec c, const uint8_t *p, size_t n)
{
	int fd = t_file("", 0);
	const struct codec_out out = { .put = t_put, .ctx = &fd };
	struct codec_wr *w;
	struct xs_diag d;

	if (codec_wr_open(c, &out, NULL, &w, &d) || codec_write(w, p, n, &d) ||
	    codec_wr_finish(w, &d)) {
		printf("Bail out! %s: %s\n", codec_name(c), d.msg);
		exit(2);
	}
	return fd;
}

/* Open @fd's decoder and read it whole into @buf (@cap): the count, or minus the exit code. */
static ssize_t t_unpack(enum codec c, int fd, uint8_t *buf, size_t cap, struct xs_diag *d,
			struct codec_rd **rp)
{
	const struct codec_in in = { .fd = fd, .pread = t_pread };
	size_t got = 0;
	ssize_t k;
	int rc = codec_rd_open(c, &in, 0, rp, d);

	if (rc)
		return -rc;
	while ((k = codec_read(*rp, buf + got, cap - got, d)) > 0)
		got += (size_t)k;
	return k < 0 ? k : (ssize_t)got;
}

static void round_trip(enum codec c, const uint8_t *data, uint8_t *buf)
{
	const struct codec_in in = { .fd = t_pack(c, data, LEN), .pread = t_pread };
	struct codec_rd *r;
	struct xs_diag d;
	uint8_t first[16];
	size_t got = 0, peeked;
	ssize_t k;

	CHECK(!codec_rd_open(c, &in, 0, &r, &d), "%s: reader opens", codec_name(c));
	peeked = codec_peek(r, first, sizeof(first));
	CHECK(peeked == sizeof(first) && !memcmp(first, data, sizeof(first)),
	      "%s: the peek gives the first 16 bytes", codec_name(c));
	CHECK_U64(codec_rd_pos(r), 0, "position after the peek: nothing delivered yet");
	while ((k = codec_read(r, buf + got, LEN + 1 - got, &d)) > 0)
		got += (size_t)k;
	CHECK(k == 0 && got == LEN && !memcmp(buf, data, LEN),
	      "%s: written and read back, the peeked bytes given again (%zu bytes)",
	      codec_name(c), got);
	CHECK_U64(codec_rd_pos(r), LEN, "position at the end");
	codec_rd_close(r);
	close(in.fd);
}

/* A gzip failure: its exit code and words, the same again on the next call. */
static void gzip_fails(const char *what, const void *file, size_t n, const char *want)
{
	static uint8_t buf[64];
	int fd = t_file(file, n);
	struct codec_rd *r = NULL;
	struct xs_diag d = { 0 }, again = { 0 };
	ssize_t k = t_unpack(CODEC_GZIP, fd, buf, sizeof(buf), &d, &r);

	CHECK(k == -EXIT_DATAERR && !d.has_off && !strcmp(d.msg, want), "%s: 65, '%s' (got %zd, '%s')",
	      what, want, k, d.msg);
	k = r ? codec_read(r, buf, sizeof(buf), &again) : 0;
	CHECK(k == -EXIT_DATAERR && !strcmp(again.msg, want), "%s: the same failure again", what);
	codec_rd_close(r);
	close(fd);
}

static void gzip_words(void)
{
	static const uint8_t header[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	static const uint8_t empty_member[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0,
						0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t file[64], buf[64];
	struct codec_rd *r = NULL;
	struct xs_diag d;
	char want[160];
	int fd;

	gzip_fails("empty file", "", 0,
		   "offset 0x0 in the decompressed stream (0x0 in the file): gzip data is missing: "
		   "the file ends before it");
	gzip_fails("a header alone", header, sizeof(header),
		   "offset 0x0 in the decompressed stream (0xa in the file): gzip data ends early: "
		   "the file is truncated");
	memcpy(file, empty_member, sizeof(empty_member));
	file[sizeof(empty_member)] = 'x';
	gzip_fails("data after the member", file, sizeof(empty_member) + 1,
		   "offset 0x0 in the decompressed stream (0x14 in the file): gzip data ends, and "
		   "data after the end of the gzip stream follows (byte 0x78)");
	memset(file + sizeof(empty_member), 0, 40);
	fd = t_file(file, sizeof(empty_member) + 40);
	CHECK(t_unpack(CODEC_GZIP, fd, buf, sizeof(buf), &d, &r) == 0,
	      "an empty member and 40 zero bytes: read, nothing in it");
	codec_rd_close(r);
	close(fd);
	memcpy(file, empty_member, sizeof(empty_member));
	file[sizeof(empty_member) - 8] = 1;	/* the CRC32 of nothing is 0 */
	/* zlib's inflate says so after the CRC, before the length: ISA-L's replayed through it. */
	snprintf(want, sizeof(want), "offset 0x0 in the decompressed stream (0x%zx in the file): "
		 "gzip data is corrupt: incorrect data check", sizeof(empty_member) - 4);
	gzip_fails("a bad CRC", file, sizeof(empty_member), want);
}

static void sniff_and_writes(void)
{
	static const uint8_t gz[] = { 0x1f, 0x8b, 8 }, bz[] = { 'B', 'Z', 'h', '9' };
	const struct codec_out full = { .put = t_full };
	struct codec_wr *w;
	struct xs_diag d = { 0 };
	int rc;

	CHECK(codec_sniff(gz, sizeof(gz), CODEC_MASK(CODEC_GZIP)) == CODEC_GZIP, "gzip sniffed");
	CHECK(codec_sniff(gz, 1, CODEC_MASK(CODEC_GZIP)) == CODEC_NONE, "one byte: no codec");
	CHECK(codec_sniff(bz, sizeof(bz), CODEC_MASK(CODEC_GZIP)) == CODEC_NONE,
	      "bzip2's magic, outside the mask: no codec");
	CHECK(codec_sniff(bz, sizeof(bz), ~0u) == CODEC_BZIP2, "bzip2's magic in the mask");
	rc = codec_wr_open(CODEC_GZIP, &full, NULL, &w, &d);
	if (!rc)
		rc = codec_write(w, bz, sizeof(bz), &d);
	if (!rc)
		rc = codec_wr_finish(w, &d);
	else
		codec_wr_free(w);
	CHECK(rc == EXIT_IOERR && !strcmp(d.msg, "write error: No space left on device"),
	      "a sink that fails: 74, '%s'", d.msg);
}

int main(void)
{
	uint8_t *data = malloc(LEN), *buf = malloc(LEN + 1);

	for (size_t i = 0; i < LEN; i++)	/* compressible, not constant */
		data[i] = (uint8_t)((i * 7) ^ (i >> 9));
	for (int c = CODEC_GZIP; c < CODEC_COUNT; c++) {
		struct codec_rd *r;
		struct xs_diag d;
		const struct codec_in in = { .fd = -1, .pread = t_pread };

		if (codec_available(c)) {
			round_trip(c, data, buf);
			continue;
		}
		CHECK(codec_rd_open(c, &in, 0, &r, &d) == EXIT_DATAERR && !r &&
		      strstr(d.msg, "this xsavectl was built without"),
		      "%s not built in: 65, '%s'", codec_name(c), d.msg);
	}
	gzip_words();
	sniff_and_writes();
	free(data);
	free(buf);
	return t_done("test_codec");
}
