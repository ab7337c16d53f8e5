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

#include <zlib.h>

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

/* ---- gzip's tail read ---------------------------------------------------- */

#define TAIL_LEN (4u << 20)
#define TAIL_WANT (1u << 20)
#define PAGE 4096u

/*
 * zlib's gzip at level 6 (as `gzip -c`; the same bytes with or without ISA-L) of @n bytes,
 * then @zeros zero bytes.
 */
static size_t t_gzip_then(const uint8_t *p, size_t n, uint64_t zeros, uint8_t *out, size_t cap)
{
	static const uint8_t zero[1 << 16];
	z_stream z = { 0 };
	size_t got;
	int ret;

	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		printf("Bail out! deflateInit2\n");
		exit(2);
	}
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	do {
		if (!z.avail_in && zeros) {
			z.next_in = (Bytef *)(uintptr_t)zero;
			z.avail_in = zeros < sizeof(zero) ? (uInt)zeros : sizeof(zero);
			zeros -= z.avail_in;
		}
		ret = deflate(&z, zeros || z.avail_in > 0 ? Z_NO_FLUSH : Z_FINISH);
	} while (ret == Z_OK && z.avail_out);
	if (ret != Z_STREAM_END) {
		printf("Bail out! deflate\n");
		exit(2);
	}
	got = cap - z.avail_out;
	deflateEnd(&z);
	return got;
}

static size_t t_gzip(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	return t_gzip_then(p, n, 0, out, cap);
}

static uint8_t t_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint8_t)(*x >> 32);
}

/* Random bytes below 16 (about 2:1), or (@alike) every other page the same random page,
 * which deflate copies from the one before all the way through. */
static void t_nibbles(uint8_t *p, size_t n, bool alike)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, y = 0x2545f4914f6cdd1dull;
	uint8_t same[PAGE];

	for (size_t i = 0; i < PAGE; i++)
		same[i] = t_rand(&y);
	for (size_t i = 0; i < n; i++)
		p[i] = alike && !(i / PAGE & 1) ? same[i % PAGE] : t_rand(&x) & 0x0f;
}

/* codec_tail on @n bytes of gzip at @gz, whose content is @data (@len bytes). */
static int t_tail(const uint8_t *gz, size_t n, uint64_t want, struct codec_tail *t)
{
	const struct codec_in in = { .fd = t_file(gz, n), .pread = t_pread };
	int rc = codec_tail(CODEC_GZIP, &in, 0, n, want, t);

	close(in.fd);
	return rc;
}

static void gzip_tail(void)
{
	uint8_t *data = malloc(2 * TAIL_LEN), *gz = malloc(4 * TAIL_LEN + 64);
	struct codec_tail t;
	size_t n, m;

	t_nibbles(data, TAIL_LEN, false);
	n = t_gzip(data, TAIL_LEN, gz, 2 * TAIL_LEN);
	CHECK(t_tail(gz, n, TAIL_WANT, &t) == 0 && !t.offsets_unknown && t.total == TAIL_LEN &&
	      t.len && t.len <= TAIL_WANT && t.base + t.len == t.total &&
	      !memcmp(t.buf, data + t.base, t.len),
	      "gzip tail of 4 MiB of nibbles (%zu compressed): placed by ISIZE, the last 0x%zx "
	      "bytes the data's (%s)", n, t.len, t.how);
	codec_tail_free(&t);
	CHECK(t_tail(gz, n, 1, &t) == 0 && t.len == 1 && t.total == TAIL_LEN &&
	      t.buf[0] == data[TAIL_LEN - 1], "gzip tail of one byte: the last");
	codec_tail_free(&t);
	/* Two members: the tail is the last one's, placed nowhere. */
	m = t_gzip(data + TAIL_LEN / 2, TAIL_LEN / 2, gz + n, TAIL_LEN + 64);
	CHECK(t_tail(gz, n + m, TAIL_WANT, &t) == 0 && t.offsets_unknown &&
	      t.base >= CODEC_TAIL_STANDIN && t.base + t.len == t.total && t.len &&
	      !memcmp(t.buf, data + TAIL_LEN - t.len, t.len),
	      "gzip tail of two members: the last bytes, offsets unknown (%s)", t.how);
	codec_tail_free(&t);
	memcpy(gz + n, "xyz", 3);
	CHECK(t_tail(gz, n + 3, TAIL_WANT, &t) == 1 && strstr(t.how, "decompressed whole"),
	      "gzip: garbage after the trailer: no tail read (%s)", t.how);
	memset(gz + n, 0, 512);
	CHECK(t_tail(gz, n + 512, TAIL_WANT, &t) == 0 && t.total == TAIL_LEN,
	      "gzip: zero padding after the trailer: a tail read");
	codec_tail_free(&t);
	memset(gz + n - 4, 0, 4);
	CHECK(t_tail(gz, n, TAIL_WANT, &t) == 1 && strstr(t.how, "trailer's size"),
	      "gzip: ISIZE 0, less than inflated: no tail read (%s)", t.how);
	CHECK(t_tail(gz, n - 3, TAIL_WANT, &t) == 1, "gzip: the trailer cut short: no tail read (%s)",
	      t.how);
	CHECK(t_tail(gz, 2 * TAIL_WANT - 1, TAIL_WANT, &t) == 1 && strstr(t.how, "fewer than twice"),
	      "gzip: a file under twice the span: no tail read (%s)", t.how);
	/* 96 MiB of zeros at the end (96 KiB compressed): over 64 times the span, not inflated. */
	n = t_gzip_then(data, TAIL_LEN, (uint64_t)96 << 20, gz, 2 * TAIL_LEN);
	CHECK(t_tail(gz, n, TAIL_WANT, &t) == 1 && strstr(t.how, "inflates to over 64 times"),
	      "gzip: a tail that inflates 97 MiB from 1 MiB: none (%s)", t.how);
	/* Pages copied from pages before the boundary: bytes not free of the window not given. */
	t_nibbles(data, 2 * TAIL_LEN, true);
	n = t_gzip(data, 2 * TAIL_LEN, gz, 4 * TAIL_LEN);
	m = (size_t)t_tail(gz, n, TAIL_WANT, &t);
	CHECK((m == 0 && t.len && t.len <= PAGE && !memcmp(t.buf, data + t.base, t.len) &&
	       t.total == 2 * TAIL_LEN) || (m == 1 && strstr(t.how, "free of the window")),
	      "gzip tail behind pages copied from before the boundary: none of them given, only "
	      "the last 0x%zx bytes (%s)", t.len, t.how);
	codec_tail_free(&t);
	free(data);
	free(gz);
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
	if (codec_available(CODEC_GZIP))
		gzip_tail();
	sniff_and_writes();
	free(data);
	free(buf);
	return t_done("test_codec");
}
