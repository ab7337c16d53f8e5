/* SPDX-License-Identifier: MIT */
/* Reading inputs (plain or compressed, bounded) and writing outputs atomically. */
#ifndef XSAVECTL_IO_H
#define XSAVECTL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>

#include "codec/codec.h"

/*
 * Every call that can fail returns 0 or an exit code, with why in its struct
 * fail (fail.h; NULL: nobody asks), which an opened source or output keeps
 * for the calls on it.
 */
struct fail;

struct io_file {
	const char *path;
	struct fail *fail;	/* why a read failed */
	enum codec codec;	/* what the file was compressed with */
	uint8_t *buf;		/* decompressed contents */
	size_t len;
	struct stat st;
};

/*
 * An input opened and sniffed: its compression (a codec the whole file is in, by its magic:
 * IO_CODECS), its first (decompressed) bytes, and for a compressed one the decoder that
 * gave them, which the reader continues (the file is decompressed once).
 */
struct io_src {
	const char *path;
	struct fail *fail;	/* why a read of it failed (io_open's) */
	int fd;
	enum codec codec;
	struct codec_rd *rd;	/* NULL: a plain file */
	struct stat st;
	uint8_t magic[16];
	size_t nmagic;
};

/*
 * The compressions a whole input may be in (a mask of CODEC_MASK()): every codec, as
 * `migrate "exec:PROG -c > F"` writes a stream with any of them.
 */
#define IO_CODECS (CODEC_MASK(CODEC_GZIP) | CODEC_MASK(CODEC_BZIP2) | CODEC_MASK(CODEC_XZ) | \
		   CODEC_MASK(CODEC_LZOP) | CODEC_MASK(CODEC_ZSTD))

/*
 * Open @path (regular files only; "-" standard input: a file redirected in reads as that
 * file, a pipe forward only, once) and sniff it.  0 or an exit code (why in @fail, which
 * the source keeps for the reads of it). */
int io_open(const char *path, struct io_src *src, struct fail *fail);
/*
 * As io_open, but a directory opens too (its fd O_DIRECTORY, src->st saying so, no
 * bytes sniffed): an input that may be a directory (a CRIU checkpoint).
 */
int io_open_input(const char *path, struct io_src *src, struct fail *fail);
/* Is @fd standard input read forward only (a pipe)? */
bool io_is_pipe(int fd);
/* close(@fd), forgetting the pipe state where it is the stdin pipe. */
void io_close(int fd);
/* pread, which on the stdin pipe reads forward (its first MiB again); ESPIPE behind that. */
ssize_t io_pread(int fd, void *buf, size_t n, uint64_t off);
/*
 * A decoder of @fd's bytes from @at on, read through io_pread.  0, or an exit code with why
 * about @path in @fail.
 */
int io_codec_open(enum codec c, int fd, uint64_t at, const char *path, struct codec_rd **r,
		  struct fail *fail);
/*
 * Record the codec layer's failure @d (exit code @code) about @path in @fail and return
 * @code: a failure in the data at the decompressed-stream offset, the file's offset said
 * after it (" in the decompressed stream (0x28 in the file)").
 */
int io_codec_fail(struct fail *fail, int code, const char *path, const struct xs_diag *d);
/* Read an opened input whole (at most @max bytes decompressed); closes it. */
int io_read_src(struct io_src *src, size_t max, struct io_file *f);
/*
 * The bound of an input being decompressed: called after each piece with the
 * temporary file @fd and the @have bytes written to it so far; 0 goes on, an
 * exit code (why in its struct fail) stops.
 */
typedef int (*io_bound_fn)(void *ctx, int fd, uint64_t have);
/*
 * Decompress a compressed input (src->rd) into an unlinked temporary file under $TMPDIR
 * (or /tmp) and make src->fd that file, for readers that need to seek; @bound (with @ctx)
 * says when to stop.
 */
int io_decompress_to_tmp(struct io_src *src, io_bound_fn bound, void *ctx);
void io_src_close(struct io_src *src);

/* Read @path whole (at most @max bytes after decompression).  0 or an exit code (@fail). */
int io_read(const char *path, size_t max, struct io_file *f, struct fail *fail);
void io_free(struct io_file *f);

/* Write all @n bytes to @fd (at offset @at with pwrite, or at its position when @at < 0). */
int io_write_full(int fd, const void *buf, size_t n, int64_t at);
/* fsync the directory holding @path (its new or removed entry).  0 or -1. */
int io_sync_dir(const char *path);

/* Is @path the same file as the input @in (same device and inode)? */
bool io_same_file(const char *path, const struct stat *in);

/*
 * An output written atomically: an unnamed file (O_TMPFILE) in @path's
 * directory, or where the filesystem cannot, a temporary file beside @path
 * (stdout for "-"), compressed when asked (@codec); commit fsyncs it, names it,
 * renames it over @path and fsyncs the directory; abort removes it.  Killed
 * before commit, an unnamed file leaves nothing behind.  Every call returns 0 or an
 * exit code with why in o->fail (io_out_open's @fail).
 */
struct io_out {
	const char *path;
	struct fail *fail;
	char *tmp;		/* the temporary name, once it has one */
	bool anon;		/* written unnamed (O_TMPFILE) until commit */
	int fd;
	struct codec_wr *wr;	/* compressing what is written */
	int werr;		/* errno of the compressor's failed write */
	bool keep;		/* keep_st: the input whose mode (and, replacing it, owner and
				   extended attributes) the output takes */
	struct stat keep_st;
};

int io_out_open(const char *path, enum codec codec, const struct stat *mode_from,
		struct io_out *o, struct fail *fail);
/*
 * From now on compress what is written with @codec (after a raw prefix such as a libvirt
 * header); @like: the input's reader, whose container settings the output keeps (lzop).
 */
int io_out_compress(struct io_out *o, enum codec codec, const struct codec_rd *like);
int io_out_write(struct io_out *o, const void *p, size_t n);
/*
 * Report a failed write to @o (errno says why) as io_out_write does: its exit code, or 0
 * for standard output whose reader closed the pipe (it wanted no more).
 */
int io_out_error(struct io_out *o);
int io_out_commit(struct io_out *o);
void io_out_abort(struct io_out *o);

/*
 * Replace @path with @len bytes at @buf (compressed with @codec): write a
 * temporary file in the same directory, fsync it, rename it over @path, fsync
 * the directory.  On any failure the temporary file is removed and @path is
 * untouched.  "-" writes to stdout.  Returns 0 or an exit code (why in @fail).
 */
int io_write_atomic(const char *path, const uint8_t *buf, size_t len, enum codec codec,
		    const struct stat *mode_from, struct fail *fail);

#endif
