/* SPDX-License-Identifier: MIT */
/*
 * The compressors of libvirt's save images (and of `exec:gzip` streams), each
 * through its own library: zlib (gzip), libbz2 (bzip2), liblzma (xz), liblzo2
 * inside lzop's file format (lzop), libzstd (zstd).  A reader decompresses
 * straight from a file (pread from an offset), members (gzip members, bzip2
 * and xz streams, zstd frames, lzop files) one after another as `PROG -dc`
 * reads them, zero padding after the last tolerated, anything else refused; a writer
 * compresses into an output file descriptor.  Every call that can fail
 * returns an exit code (65 for bad data) with why in the struct fail (fail.h)
 * given when it was opened: the file, the offset in the decompressed stream
 * and the codec's own message.
 */
#ifndef XSAVECTL_CODEC_H
#define XSAVECTL_CODEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum codec {
	CODEC_NONE,
	CODEC_GZIP,
	CODEC_BZIP2,
	CODEC_XZ,
	CODEC_LZOP,
	CODEC_ZSTD,
};

/* "gzip", "bzip2", ...; "none" for CODEC_NONE. */
const char *codec_name(enum codec c);
/* The library a codec needs ("libzstd"), for messages and the man page. */
const char *codec_library(enum codec c);
/* Was this xsavectl built with the codec's library? */
bool codec_available(enum codec c);
/* The level the writer uses, in words ("6", "LZO1X-1"). */
const char *codec_level(enum codec c);

struct codec_rd;

/* Decompress @fd's bytes from offset @at on.  0 or an exit code (why in @why). */
struct fail;
int codec_rd_open(enum codec c, int fd, uint64_t at, const char *path, struct fail *why,
		  struct codec_rd **out);
/* Up to @n decompressed bytes: the count, 0 at the end, or minus an exit code. */
ssize_t codec_read(struct codec_rd *r, uint8_t *p, size_t n);
/* Decompressed bytes delivered so far. */
uint64_t codec_rd_pos(const struct codec_rd *r);
/* Compressed bytes read from the file so far (its offset), for progress. */
uint64_t codec_rd_in_pos(const struct codec_rd *r);
void codec_rd_close(struct codec_rd *r);

struct codec_wr;

/*
 * Compress into @fd (written at its position).  @like: the reader of the
 * input, whose container settings (lzop's header, flags and block size) the
 * output keeps; may be NULL.  @path names the output in messages.
 */
int codec_wr_open(enum codec c, int fd, const char *path, const struct codec_rd *like,
		  struct fail *why, struct codec_wr **out);
int codec_write(struct codec_wr *w, const uint8_t *p, size_t n);
/* Flush the end of the compressed stream and free @w (also on failure).  0 or an exit code. */
int codec_wr_finish(struct codec_wr *w);
/* Free @w without finishing (the output is being thrown away). */
void codec_wr_free(struct codec_wr *w);

#endif
