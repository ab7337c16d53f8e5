// SPDX-License-Identifier: MIT
/*
 * One compressor's reader (src/codec/) on raw fuzz bytes, built once per
 * codec (fuzz_gzipc, fuzz_bzip2, fuzz_xz, fuzz_lzop, fuzz_zstd:
 * -DFUZZ_CODEC=CODEC_...): decompress to the end (members, padding, garbage,
 * checksums, lzop's container); when that succeeds, compress the result with
 * the same codec (keeping lzop's header) and decompress it again, which must
 * give the same bytes.  The tail read (codec_tail: lzop's block headers, xz's index,
 * gzip's block boundaries inflated with two window guesses, bzip2's blocks found by their
 * magic, bit by bit) is run on both files at two lengths: where it answers and the full
 * decode succeeded, its bytes must be the full decode's last ones (and where it places
 * them, their place).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/codec/codec.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_OUT (16u << 20)	/* decompressed bytes kept (a bomb stops here) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static ssize_t fuzz_pread(int fd, void *buf, size_t n, uint64_t off)
{
	return pread(fd, buf, n, (off_t)off);
}

static int fuzz_put(void *ctx, const uint8_t *p, size_t n)
{
	int fd = *(int *)ctx;

	return write(fd, p, n) == (ssize_t)n ? 0 : -1;
}

/* Decompress @fd whole into *out (at most MAX_OUT).  0, 1 over the limit, or -1 bad data. */
static int unpack(int fd, struct codec_rd **rd, uint8_t **out, size_t *len)
{
	size_t cap = 1 << 16;

	*len = 0;
	*out = malloc(cap);
	const struct codec_in in = { .fd = fd, .pread = fuzz_pread };

	if (codec_rd_open(FUZZ_CODEC, &in, 0, rd, NULL))
		return -1;
	for (;;) {
		ssize_t n;

		if (*len == cap) {
			if (cap >= MAX_OUT)
				return 1;
			cap *= 2;
			*out = realloc(*out, cap);
		}
		n = codec_read(*rd, *out + *len, cap - *len, NULL);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*len += (size_t)n;
	}
}

/* codec_tail on @fd (@size bytes) must agree with its full decode @a (@alen bytes). */
static void tail_agrees(int fd, uint64_t size, const uint8_t *a, size_t alen)
{
	const struct codec_in in = { .fd = fd, .pread = fuzz_pread };
	static const uint64_t wants[] = { 1, 1u << 20 };

	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		struct codec_tail t;

		if (codec_tail(FUZZ_CODEC, &in, 0, size, wants[i], &t))
			continue;
		/* gzip gives fewer where only the last bytes are free of the unknown window; gzip and
		 * bzip2 place them relative to the end only, above a stand-in, where they cannot. */
		if (t.offsets_unknown && (t.base < CODEC_TAIL_STANDIN || t.len > alen ||
					  t.base + t.len != t.total ||
					  (t.len < wants[i] && FUZZ_CODEC != CODEC_GZIP) ||
					  memcmp(a + alen - t.len, t.buf, t.len)))
			abort();	/* the tail read differs from the full decode */
		if (!t.offsets_unknown &&
		    (t.total != alen || t.base + t.len != t.total ||
		     (t.len < wants[i] && t.base && FUZZ_CODEC != CODEC_GZIP) ||
		     memcmp(a + t.base, t.buf, t.len)))
			abort();	/* the tail read differs from the full decode */
		codec_tail_free(&t);
	}
}

static uint64_t fd_size(int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);

	return end > 0 ? (uint64_t)end : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path)), fd2 = -1;
	const struct codec_out sink = { .put = fuzz_put, .ctx = &fd2 };
	struct codec_rd *rd = NULL, *rd2 = NULL;
	struct codec_wr *w;
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;

	if (fd < 0)
		return 0;
	if (unpack(fd, &rd, &a, &alen) == 0) {
		tail_agrees(fd, size, a, alen);
		fd2 = memfd_create("again", MFD_CLOEXEC);
		if (fd2 >= 0 && !codec_wr_open(FUZZ_CODEC, &sink, rd, &w, NULL)) {
			if (codec_write(w, a, alen, NULL))
				codec_wr_free(w);
			else if (!codec_wr_finish(w, NULL)) {
				if (unpack(fd2, &rd2, &b, &blen) != 0 || blen != alen ||
				    memcmp(a, b, alen))
					abort();	/* what was written does not read back */
				tail_agrees(fd2, fd_size(fd2), b, blen);
			}
		}
		if (fd2 >= 0)
			close(fd2);
	}
	codec_rd_close(rd);
	codec_rd_close(rd2);
	free(a);
	free(b);
	close(fd);
	return 0;
}
