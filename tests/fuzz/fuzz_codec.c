// SPDX-License-Identifier: MIT
/*
 * One compressor's reader (src/codec/) on raw fuzz bytes, built once per
 * codec (fuzz_gzipc, fuzz_bzip2, fuzz_xz, fuzz_lzop, fuzz_zstd:
 * -DFUZZ_CODEC=CODEC_...): decompress to the end (members, padding, garbage,
 * checksums, lzop's container); when that succeeds, compress the result with
 * the same codec (keeping lzop's header) and decompress it again, which must
 * give the same bytes.
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
		fd2 = memfd_create("again", MFD_CLOEXEC);
		if (fd2 >= 0 && !codec_wr_open(FUZZ_CODEC, &sink, rd, &w, NULL)) {
			if (codec_write(w, a, alen, NULL))
				codec_wr_free(w);
			else if (!codec_wr_finish(w, NULL)) {
				if (unpack(fd2, &rd2, &b, &blen) != 0 || blen != alen ||
				    memcmp(a, b, alen))
					abort();	/* what was written does not read back */
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
