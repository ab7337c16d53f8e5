/* SPDX-License-Identifier: MIT */
/*
 * The codec layer: compression as a byte transformation, under every input
 * and output (io.c's plain files, `exec:gzip` streams, libvirt's save images,
 * gzip'ed images and cores).  One file per codec, each through its own
 * library: gzip.c (zlib, and ISA-L where built with it), bzip2.c (libbz2),
 * xz.c (liblzma), lzop.c (liblzo2 inside lzop's file format), zstd.c
 * (libzstd); codec.c is the shared driver.
 *
 * A reader decompresses from a byte source (struct codec_in: a file read with
 * pread from an offset on, or a pipe read forward), members (gzip members,
 * bzip2 and xz streams, zstd frames, lzop files) one after another as
 * `PROG -dc` reads them, zero padding after the last tolerated, anything else
 * refused.  A writer compresses into a sink (struct codec_out).
 *
 * Nothing here prints: a call that fails returns an exit code (65 for bad
 * data) and fills the caller's struct xs_diag with one line (no file name:
 * io.c records it in its caller's struct fail, io_codec_fail(), which the
 * command prints once).  A reader remembers its failure and gives it again on
 * every later call.
 */
#ifndef XSAVECTL_CODEC_H
#define XSAVECTL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xsave/err.h>

enum codec {
	CODEC_NONE,
	CODEC_GZIP,
	CODEC_BZIP2,
	CODEC_XZ,
	CODEC_LZOP,
	CODEC_ZSTD,
	CODEC_COUNT
};

/* "gzip", "bzip2", ...; "none" for CODEC_NONE. */
const char *codec_name(enum codec c);
/* The library a codec needs ("libzstd"), for messages and the man page. */
const char *codec_library(enum codec c);
/* Was this xsavectl built with the codec's library? */
bool codec_available(enum codec c);
/* The level the writer uses, in words ("6", "LZO1X-1"). */
const char *codec_level(enum codec c);
/*
 * The codec whose file magic @p (@n bytes, the start of a file) begins with, among
 * @accept (a mask of 1u << enum codec); CODEC_NONE when none does.
 */
enum codec codec_sniff(const uint8_t *p, size_t n, unsigned accept);
#define CODEC_MASK(c) (1u << (c))

/* Where a reader's compressed bytes come from. */
struct codec_in {
	int fd;
	/* pread(2), or a wrapper that reads a pipe forward: bytes read, 0 at the end, -1 errno. */
	ssize_t (*pread)(int fd, void *buf, size_t n, uint64_t off);
	bool forward_only;	/* a pipe: bytes behind cannot be read again */
};

struct codec_rd;

/*
 * A tail read: the last bytes of a compressed input, reached without decompressing the
 * rest where the codec's container allows it (lzop's block headers, xz's index).  Only
 * the blocks that hold the tail are decompressed, and their own checksums checked; the
 * rest of the file is not read.
 */
struct codec_tail {
	uint64_t total;		/* decompressed bytes of the whole input */
	uint64_t base;		/* decompressed offset of buf[0]; base + len == total */
	uint8_t *buf;
	size_t len;
	uint64_t blocks, used;	/* blocks in the file, blocks decompressed */
	/*
	 * The container says where the tail falls only relative to its end (bzip2: nothing;
	 * gzip: its size modulo 4 GiB): total and base are then a stand-in, base at or past
	 * CODEC_TAIL_STANDIN so that the head's offsets stay below it, and the caller must
	 * not show an offset in the decompressed stream as known.
	 */
	bool offsets_unknown;
	char how[160];		/* what was read ("lzop: 2 of 310 blocks decompressed"), or
				 * why no tail read was possible */
};

/*
 * The last @want (or more, to a block boundary) decompressed bytes of the member at @at,
 * which must end the input at @end (its size); gzip: at most @want, fewer where only the
 * last ones are free of the window before the block it inflated from.  0 with *t (free it with codec_tail_free()); 1 when this codec
 * or this file allows none, t->how saying why: a file whose headers, index or blocks do not
 * confirm is read whole instead, which reports what is wrong in it.  Never a failure.
 */
int codec_tail(enum codec c, const struct codec_in *in, uint64_t at, uint64_t end,
	       uint64_t want, struct codec_tail *t);
void codec_tail_free(struct codec_tail *t);
#define CODEC_TAIL_STANDIN (UINT64_C(1) << 56)

/*
 * A rewrite of a compressed input from its tail (filter --in-place): the blocks from the
 * one that holds a given decompressed offset to the end, decompressed (their checksums
 * checked), to be changed by the caller (the length stays) and encoded again; the blocks
 * before stay as they are, byte for byte.  lzop, xz written in several blocks, and bzip2
 * (its blocks found from the end: offsets counted back from the stream's end, as its tail
 * read places them).
 */
struct codec_splice {
	enum codec c;
	struct codec_in in;
	uint64_t at, end;	/* the member (from its header) and the file's size */
	uint64_t file_off;	/* where the first block rewritten starts in the file */
	uint64_t base;		/* its decompressed offset; base + len == the stream's size */
	uint8_t *buf;		/* the decompressed bytes from base on, changed by the caller */
	size_t len;
	uint64_t blocks, first;	/* blocks in the file; the index of the first rewritten */
	uint64_t encoded;	/* blocks encoded again by codec_splice_encode (the others
				 * after the first changed are copied) */
	char how[160];		/* why no splice is possible */
	void *priv;		/* the codec's own */
};

/* The most decompressed bytes a splice holds: a longer tail is rewritten whole. */
#define CODEC_SPLICE_MAX (32u << 20)

/*
 * Open a splice of the member at @at of the file (@end bytes) from the block holding the
 * decompressed offset @from.  0 with *sp (free it with codec_splice_free()); 1 when the codec
 * or the file allows none (sp->how says why; the caller rewrites the file whole).
 */
int codec_splice_open(enum codec c, const struct codec_in *in, uint64_t at, uint64_t end,
		      uint64_t from, struct codec_splice *sp);
/*
 * The file's new bytes from sp->file_off to its new end: each block whose bytes in sp->buf
 * changed encoded again (lzop: its checksums as the header flags them; xz: its check type),
 * the others copied, then lzop's end marker or xz's index and stream footer.  *out
 * allocated (*outlen bytes).  0, or an exit code and @d.
 */
int codec_splice_encode(struct codec_splice *sp, uint8_t **out, size_t *outlen,
			struct xs_diag *d);
void codec_splice_free(struct codec_splice *sp);

/*
 * A reader's failure in the data reads CODEC_AT_FMT (the offset in the decompressed
 * stream, then in the file) and the words: a caller that keeps the offset as a number
 * takes the first and says the second as CODEC_AT_WHAT does.
 */
#define CODEC_AT_FMT "offset 0x%llx in the decompressed stream (0x%llx in the file): "
#define CODEC_AT_WHAT " in the decompressed stream (0x%llx in the file)"

/* Decompress @in's bytes from offset @at on.  0, or an exit code and @d. */
int codec_rd_open(enum codec c, const struct codec_in *in, uint64_t at, struct codec_rd **out,
		  struct xs_diag *d);
/* Up to @n decompressed bytes: the count, 0 at the end, or minus an exit code and @d. */
ssize_t codec_read(struct codec_rd *r, uint8_t *p, size_t n, struct xs_diag *d);
/*
 * The first bytes, for sniffing: up to @n (at most CODEC_PEEK_MAX) into @p, which the
 * next codec_read() gives again; the count (0 when the data fails so early: the failure is
 * kept for the reader that continues).
 */
#define CODEC_PEEK_MAX 64u
size_t codec_peek(struct codec_rd *r, uint8_t *p, size_t n);
/* Decompressed bytes delivered so far. */
uint64_t codec_rd_pos(const struct codec_rd *r);
/* Compressed bytes read from the source so far (its offset), for progress. */
uint64_t codec_rd_in_pos(const struct codec_rd *r);
void codec_rd_close(struct codec_rd *r);

/* Where a writer's compressed bytes go: 0, or -1 with errno set. */
struct codec_out {
	int (*put)(void *ctx, const uint8_t *p, size_t n);
	void *ctx;
};

struct codec_wr;

/*
 * Compress into @out.  @like: the reader of the input, whose container
 * settings (lzop's header, flags and block size) the output keeps; may be
 * NULL.  0, or an exit code and @d.
 */
int codec_wr_open(enum codec c, const struct codec_out *out, const struct codec_rd *like,
		  struct codec_wr **w, struct xs_diag *d);
int codec_write(struct codec_wr *w, const uint8_t *p, size_t n, struct xs_diag *d);
/* Flush the end of the compressed stream and free @w (also on failure).  0, or an exit code and @d. */
int codec_wr_finish(struct codec_wr *w, struct xs_diag *d);
/* Free @w without finishing (the output is being thrown away). */
void codec_wr_free(struct codec_wr *w);

#endif
