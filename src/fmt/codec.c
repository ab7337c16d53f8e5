// SPDX-License-Identifier: MIT
/*
 * The compressors of libvirt save images: see codec.h.  The member loop, the
 * compressor loop and their messages are written once (rd_members, wr_run);
 * each codec brings only its own operations (struct rd_ops, struct wr_ops):
 * starting, one call of its library, ending, and its library's words.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#ifdef HAVE_BZIP2
#include <bzlib.h>
#endif
#ifdef HAVE_LZMA
#include <lzma.h>
#endif
#ifdef HAVE_LZO
#include <lzo/lzo1x.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#include <zstd_errors.h>
#endif

#include "fmt/codec.h"
#include "exitcodes.h"
#include "fail.h"
#include "sys/io.h"
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif
#include "util.h"

#define IN_CHUNK (256u * 1024)
#define OUT_CHUNK (256u * 1024)
/* The most output one decoder call is given, and the most input one compressor call. */
#define CALL_MAX (1u << 30)
/* What ISA-L's failed member is decompressed again into, through zlib (isal_replay). */
#define REPLAY_CHUNK (64u << 10)

/* The first byte of a member, which tells a member from zero padding after the last. */
#define GZIP_ID1 0x1f
#define BZIP2_ID1 'B'
#define XZ_ID1 0xfd
#define ZSTD_ID1 0x28
#define LZOP_ID1 0x89

/* zlib's window bits with a gzip wrapper; the writers' levels (each tool's default). */
#define GZIP_WBITS (16 + MAX_WBITS)
#define GZIP_LEVEL 6
#define GZIP_MEMLEVEL 8
#define BZIP2_LEVEL 9
#define XZ_PRESET 6
#define ZSTD_LEVEL 3
/*
 * What a decoder may allocate, whatever a header asks for.  xz: the dictionary
 * and the decoder state (`xz -9` needs 65 MiB to decompress, the largest
 * dictionary xz(1) writes, 1.5 GiB, about that; the format allows 4 GiB).  zstd:
 * the window (its default limit; levels 1-22 and --long use 128 MiB at most).
 * bzip2 needs 3.6 MiB at most (level 9, not small mode) and lzop one block of
 * LZOP_MAX_BLOCK: both fixed by their formats.
 */
#define XZ_MEMLIMIT (256ull << 20)
#define ZSTD_WINDOWLOG_MAX 27
#define MIB (1ull << 20)

/* lzop's file format (lzop 1.04, doc/magic and its README). */
#define LZOP_MAGIC "\x89LZO\0\r\n\x1a\n"
#define LZOP_MAGIC_LEN 9u
#define LZOP_F_ADLER32_D 0x1u
#define LZOP_F_ADLER32_C 0x2u
#define LZOP_F_H_EXTRA 0x40u
#define LZOP_F_CRC32_D 0x100u
#define LZOP_F_CRC32_C 0x200u
#define LZOP_F_MULTIPART 0x400u
#define LZOP_F_H_FILTER 0x800u
#define LZOP_F_H_CRC32 0x1000u
#define LZOP_MAX_BLOCK (64u << 20)
#define LZOP_BLOCK (256u << 10)	/* lzop's default block size */
#define LZOP_HDR_MAX (64u + 255u + 12u)

#define TRUNCATED "ends early: the file is truncated"
#define UNEXPECTED "unexpected error"

__attribute__((unused)) static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

__attribute__((unused)) static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A library's return code in words. */
struct code_text {
	int code;
	const char *text;
};

/* The words for @code in @t (@n entries), or @other. */
__attribute__((unused))
static const char *code_text(const struct code_text *t, size_t n, int code,
			     const char *other)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].text;
	return other;
}

#define TEXT_OF(table, code, other) \
	code_text((table), sizeof(table) / sizeof((table)[0]), (int)(code), (other))

/* ---- reading --------------------------------------------------------------- */

/* Where a decoder's input comes from. */
enum rd_input {
	IN_FED,		/* r->in, refilled by the loop; it ends in a member: truncated */
	IN_FED_DRAIN,	/* the same, but at the end the decoder may still give (zstd) */
	IN_OWN,		/* the decoder reads for itself (lzop's blocks, rd_take) */
};

/* What a decoder call says; below 0, an exit code whose message is printed. */
enum step {
	STEP_MORE,	/* going on */
	STEP_END,	/* the member ended */
	STEP_CORRUPT,	/* bad data, in r->why's words */
	STEP_TRUNCATED,	/* the file ends inside the member */
	STEP_NOMEM,	/* the decoder cannot start */
	STEP_LIMIT,	/* the data needs more memory than we allow (r->need bytes, 0 unknown) */
};

struct codec_rd;

/* A codec's decoder; NULL members are nothing to do. */
struct rd_ops {
	uint8_t magic;					/* first byte of a member */
	enum rd_input input;
	bool (*init)(struct codec_rd *r);		/* at open; false: cannot start */
	int (*member)(struct codec_rd *r);		/* a member begins (or fails) */
	/* One call: up to @n bytes into @p, *made of them; @eof: no input is left. */
	int (*step)(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made);
	ssize_t (*corrupt)(struct codec_rd *r);	/* reports STEP_CORRUPT (else rd_bad) */
	void (*end)(struct codec_rd *r);		/* at close */
};

struct codec_rd {
	enum codec c;
	const struct rd_ops *ops;	/* NULL: CODEC_NONE, the bytes as they are */
	int fd;
	const char *path;
	uint64_t in_off;	/* file offset of the byte after in[] */
	uint8_t *in;
	size_t in_len, in_pos;
	uint64_t out_pos;
	bool started;		/* the first member has begun */
	bool member;		/* inside a member */
	bool done;
	int failed;		/* the exit code of an earlier failure */
	struct fail *fail;	/* why */
	const char *why;	/* the library's words for STEP_CORRUPT */
	uint64_t need, limit;	/* STEP_LIMIT: the memory asked for and the limit */
	z_stream z;
#ifdef HAVE_ISAL
	struct inflate_state *isal;	/* gzip inflate through ISA-L */
	uint64_t mem_in, mem_out;	/* where the current member starts (file, output) */
#endif
#ifdef HAVE_BZIP2
	bz_stream bz;
	bool bz_init;
#endif
#ifdef HAVE_LZMA
	lzma_stream x;
#endif
#ifdef HAVE_ZSTD
	ZSTD_DStream *zd;
#endif
	/* lzop */
	uint8_t lzo_hdr[LZOP_HDR_MAX];
	size_t lzo_hdr_len;
	uint32_t lzo_flags, lzo_block;
	uint8_t *blk, *cblk;
	size_t blk_len, blk_pos, blk_cap, cblk_cap;
};

/* Offset in the file of the next unread input byte. */
static uint64_t rd_file_pos(const struct codec_rd *r)
{
	return r->in_off - (r->in_len - r->in_pos);
}

__attribute__((format(printf, 3, 4)))
static ssize_t rd_bad(struct codec_rd *r, int code, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	char in_file[64];

	snprintf(in_file, sizeof(in_file), " in the decompressed stream (0x%llx in the file)",
		 (unsigned long long)rd_file_pos(r));
	fail_at_in(r->fail, code, r->path, r->out_pos, in_file, "%s data %s", codec_name(r->c),
		   what);
	free(what);
	r->failed = code;
	return -code;
}

/* Refill the input buffer when it is empty: 1 bytes there, 0 the end of the file, <0 error. */
static int rd_fill(struct codec_rd *r)
{
	ssize_t n;

	if (r->in_pos < r->in_len)
		return 1;
	do
		n = io_pread(r->fd, r->in, IN_CHUNK, r->in_off);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		fail_msg(r->fail, EXIT_NOINPUT, r->path, "read error at offset 0x%llx: %s",
			 (unsigned long long)r->in_off, strerror(errno));
		r->failed = EXIT_NOINPUT;
		return -EXIT_NOINPUT;
	}
	r->in_pos = 0;
	r->in_len = (size_t)n;
	r->in_off += (uint64_t)n;
	return n > 0;
}

/*
 * Before a member: the first must start right here; after the last, only
 * zero bytes may follow.  1: a member starts; 0: the end; <0 an exit code.
 */
static int rd_next_member(struct codec_rd *r)
{
	for (;;) {
		int f = rd_fill(r);

		if (f < 0)
			return f;
		if (f == 0) {
			if (!r->started)
				return (int)rd_bad(r, EXIT_DATAERR, "is missing: the file ends before it");
			return 0;
		}
		if (!r->started || r->in[r->in_pos] == r->ops->magic) {
			r->started = true;
			return 1;
		}
		if (r->in[r->in_pos])
			return (int)rd_bad(r, EXIT_DATAERR, "ends, and data after the end of the %s "
					   "stream follows (byte 0x%02x)", codec_name(r->c),
					   r->in[r->in_pos]);
		r->in_pos++;
	}
}

/* The message of a step that failed (STEP_CORRUPT and after); minus the exit code. */
static ssize_t rd_failure(struct codec_rd *r, int st)
{
	switch (st) {
	case STEP_CORRUPT:
		if (r->ops->corrupt)
			return r->ops->corrupt(r);
		return rd_bad(r, EXIT_DATAERR, "is corrupt: %s", r->why);
	case STEP_TRUNCATED:
		return rd_bad(r, EXIT_DATAERR, TRUNCATED);
	case STEP_NOMEM:
		return rd_bad(r, EXIT_SOFTWARE, "cannot be decompressed: out of memory");
	case STEP_LIMIT:
		if (r->need)
			return rd_bad(r, EXIT_DATAERR, "needs %llu MiB of memory to decompress, "
				      "over the limit of %llu MiB", (unsigned long long)
				      ((r->need + MIB - 1) / MIB), (unsigned long long)(r->limit / MIB));
		return rd_bad(r, EXIT_DATAERR, "needs a window over the limit of %llu MiB",
			      (unsigned long long)(r->limit / MIB));
	default:
		return st;	/* an exit code, already reported */
	}
}

/* A decoder call's outcome: the member ended, it goes on, or the data is bad (@why). */
static int rd_outcome(struct codec_rd *r, bool end, bool ok, const char *why)
{
	if (end)
		return STEP_END;
	if (ok)
		return STEP_MORE;
	r->why = why;
	return STEP_CORRUPT;
}

/* Start the member that comes next: 1 one started, 0 the end, <0 an exit code. */
static int rd_start_member(struct codec_rd *r)
{
	int f = rd_next_member(r);

	if (f <= 0) {
		r->done = f == 0;
		return f;
	}
	if (r->ops->member && (f = r->ops->member(r)))
		return (int)rd_failure(r, f);
	r->member = true;
	return 1;
}

/*
 * Members one after another, as `PROG -dc` reads them: up to @n bytes into
 * @p, the count, or minus an exit code (the message printed).
 */
static ssize_t rd_members(struct codec_rd *r, uint8_t *p, size_t n)
{
	const struct rd_ops *ops = r->ops;
	size_t got = 0;

	while (got < n && !r->done) {
		size_t made = 0, want;
		bool eof = false;
		int st;

		if (!r->member && (st = rd_start_member(r)) <= 0) {
			if (st < 0)
				return st;
			break;
		}
		if (ops->input != IN_OWN) {
			if ((st = rd_fill(r)) < 0)
				return st;
			eof = st == 0;
			if (eof && ops->input == IN_FED)
				return rd_failure(r, STEP_TRUNCATED);
		}
		want = n - got < CALL_MAX ? n - got : CALL_MAX;
		st = ops->step(r, p + got, want, eof, &made);
		got += made;
		r->out_pos += made;
		if (st == STEP_END)
			r->member = false;
		else if (st != STEP_MORE)
			return rd_failure(r, st);
	}
	return (ssize_t)got;
}

/* CODEC_NONE: the bytes as they are (a plain stream from a pipe). */
static ssize_t rd_plain(struct codec_rd *r, uint8_t *p, size_t n)
{
	int f = rd_fill(r);
	size_t k;

	if (f <= 0) {
		r->done = f == 0;
		return f < 0 ? f : 0;
	}
	k = r->in_len - r->in_pos < n ? r->in_len - r->in_pos : n;
	memcpy(p, r->in + r->in_pos, k);
	r->in_pos += k;
	r->out_pos += k;
	return (ssize_t)k;
}

/* ---- writing --------------------------------------------------------------- */

/* The input of a compressor call, advanced by what it takes. */
struct wr_in {
	const uint8_t *p;
	size_t n;
};

/* What a compressor call says; below 0, an exit code whose message is printed. */
enum wr_step {
	WR_MORE,	/* call again */
	WR_DONE,	/* the input is taken (or, at the end, the stream is finished) */
};

struct codec_wr;

/* A codec's compressor: a stream one (run) or a block container (write, finish). */
struct wr_ops {
	/* 0 or an exit code (message printed); @like as for codec_wr_open. */
	int (*init)(struct codec_wr *w, const struct codec_rd *like);
	/* One call from @in into w->out (OUT_CHUNK bytes), *made there; @end: finish. */
	int (*run)(struct codec_wr *w, struct wr_in *in, bool end, size_t *made);
	int (*write)(struct codec_wr *w, const uint8_t *p, size_t n);
	int (*finish)(struct codec_wr *w);
	void (*end)(struct codec_wr *w);
};

struct codec_wr {
	enum codec c;
	const struct wr_ops *ops;
	int fd;
	const char *path;
	struct fail *fail;	/* why */
	uint8_t *out;
	bool live;		/* the library's stream is initialised */
	z_stream z;
#ifdef HAVE_BZIP2
	bz_stream bz;
#endif
#ifdef HAVE_LZMA
	lzma_stream x;
#endif
#ifdef HAVE_ZSTD
	ZSTD_CCtx *zc;
#endif
	/* lzop */
	uint32_t lzo_flags, lzo_block;
	uint8_t *blk, *cblk, *wrk;
	size_t blk_len;
};

static int wr_put(struct codec_wr *w, const uint8_t *p, size_t n)
{
	if (n && io_write_full(w->fd, p, n, -1))
		return fail_msg(w->fail, EXIT_IOERR, w->path, "write error: %s", strerror(errno));
	return 0;
}

static int wr_fail(struct codec_wr *w, const char *what)
{
	return fail_msg(w->fail, EXIT_SOFTWARE, w->path, "%s compression failed: %s",
			codec_name(w->c), what);
}

/* A compressor took @k bytes of its input. */
static void wr_took(struct wr_in *in, size_t k)
{
	if (k) {
		in->p += k;
		in->n -= k;
	}
}

/* Run the compressor over @p (NULL, 0 with @end: finish the stream). */
static int wr_run(struct codec_wr *w, const uint8_t *p, size_t n, bool end)
{
	struct wr_in in = { p, n };

	for (;;) {
		size_t made = 0;
		int st = w->ops->run(w, &in, end, &made), rc;

		if (st < 0)
			return -st;
		if ((rc = wr_put(w, w->out, made)))
			return rc;
		if (st == WR_DONE)
			return 0;
	}
}

/* ---- gzip, through zlib ---------------------------------------------------- */

static bool zlib_rd_init(struct codec_rd *r)
{
	return inflateInit2(&r->z, GZIP_WBITS) == Z_OK;
}

static int zlib_member(struct codec_rd *r)
{
	inflateReset(&r->z);
	return STEP_MORE;
}

static int zlib_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	z_stream *z = &r->z;
	int ret;

	(void)eof;
	z->next_in = r->in + r->in_pos;
	z->avail_in = (uInt)(r->in_len - r->in_pos);
	z->next_out = p;
	z->avail_out = (uInt)n;
	ret = inflate(z, Z_NO_FLUSH);
	r->in_pos = r->in_len - z->avail_in;
	*made = n - z->avail_out;
	return rd_outcome(r, ret == Z_STREAM_END, ret == Z_OK || ret == Z_BUF_ERROR,
			  z->msg ? z->msg : "bad data");
}

static void zlib_rd_end(struct codec_rd *r)
{
	inflateEnd(&r->z);
}

static const struct rd_ops zlib_rd = {
	.magic = GZIP_ID1,
	.input = IN_FED,
	.init = zlib_rd_init,
	.member = zlib_member,
	.step = zlib_step,
	.end = zlib_rd_end,
};

static int zlib_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	(void)like;
	w->live = deflateInit2(&w->z, GZIP_LEVEL, Z_DEFLATED, GZIP_WBITS, GZIP_MEMLEVEL,
			       Z_DEFAULT_STRATEGY) == Z_OK;
	return w->live ? 0 : wr_fail(w, "cannot start");
}

static int zlib_run(struct codec_wr *w, struct wr_in *in, bool end, size_t *made)
{
	z_stream *z = &w->z;
	int ret;

	z->next_in = (Bytef *)(uintptr_t)in->p;
	z->avail_in = (uInt)in->n;
	z->next_out = w->out;
	z->avail_out = OUT_CHUNK;
	ret = deflate(z, end ? Z_FINISH : Z_NO_FLUSH);
	if (ret == Z_STREAM_ERROR)
		return -wr_fail(w, "deflate");
	wr_took(in, in->n - z->avail_in);
	*made = OUT_CHUNK - z->avail_out;
	if (end)
		return ret == Z_STREAM_END ? WR_DONE : WR_MORE;
	return !z->avail_in && z->avail_out ? WR_DONE : WR_MORE;
}

static void zlib_wr_end(struct codec_wr *w)
{
	if (w->live)
		deflateEnd(&w->z);
}

static const struct wr_ops zlib_wr = {
	.init = zlib_wr_init,
	.run = zlib_run,
	.end = zlib_wr_end,
};

/* ---- gzip, through ISA-L's igzip inflate ------------------------------------ */

#ifdef HAVE_ISAL
/* ISA-L's inflate errors, in zlib's words (the messages stay the same either way). */
static const struct code_text isal_texts[] = {
	{ .code = ISAL_INVALID_WRAPPER, .text = "incorrect header check" },
	{ .code = ISAL_UNSUPPORTED_METHOD, .text = "unknown compression method" },
	{ .code = ISAL_INCORRECT_CHECKSUM, .text = "incorrect data check" },
	{ .code = ISAL_INVALID_LOOKBACK, .text = "invalid distance too far back" },
	{ .code = ISAL_INVALID_SYMBOL, .text = "invalid literal/length code" },
};

/* zlib's inflate too: a corrupt member is decompressed again through it (isal_replay). */
static bool isal_rd_init(struct codec_rd *r)
{
	if (!zlib_rd_init(r))
		return false;
	r->isal = xmalloc(sizeof(*r->isal));
	return true;
}

static int isal_member(struct codec_rd *r)
{
	isal_inflate_init(r->isal);
	r->isal->crc_flag = ISAL_GZIP;
	r->mem_in = rd_file_pos(r);
	r->mem_out = r->out_pos;
	return STEP_MORE;
}

static int isal_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	struct inflate_state *st = r->isal;
	int ret;

	(void)eof;
	st->next_in = r->in + r->in_pos;
	st->avail_in = (uint32_t)(r->in_len - r->in_pos);
	st->next_out = p;
	st->avail_out = (uint32_t)n;
	ret = isal_inflate(st);
	r->in_pos = r->in_len - st->avail_in;
	*made = n - st->avail_out;
	return rd_outcome(r, ret >= 0 && st->block_state == ISAL_BLOCK_FINISH, ret >= 0,
			  TEXT_OF(isal_texts, ret, "invalid block type"));
}

/*
 * ISA-L found corrupt data: zlib decompresses the member again from its start (output
 * dropped) to the point ISA-L reached, so that the message and both offsets are zlib's.
 * A pipe cannot be read again: ISA-L's own error, in zlib's words, where it stopped.
 */
static ssize_t isal_replay(struct codec_rd *r)
{
	const char *why = r->why;
	uint64_t stop = r->out_pos;
	uint8_t *scratch;

	if (io_is_pipe(r->fd))
		return rd_bad(r, EXIT_DATAERR, "is corrupt: %s", why);
	free(r->isal);
	r->isal = NULL;
	r->ops = &zlib_rd;	/* zlib from here on */
	scratch = xmalloc(REPLAY_CHUNK);
	r->in_off = r->mem_in;
	r->in_len = r->in_pos = 0;
	r->out_pos = r->mem_out;
	r->member = true;
	inflateReset(&r->z);
	while (r->out_pos <= stop && !r->done) {
		ssize_t k = rd_members(r, scratch, REPLAY_CHUNK);

		if (k < 0) {
			free(scratch);
			return k;
		}
		if (k == 0)
			break;
	}
	free(scratch);
	return rd_bad(r, EXIT_DATAERR, "is corrupt: %s", why);
}

static void isal_rd_end(struct codec_rd *r)
{
	zlib_rd_end(r);
	free(r->isal);
}

static const struct rd_ops isal_rd = {
	.magic = GZIP_ID1,
	.input = IN_FED,
	.init = isal_rd_init,
	.member = isal_member,
	.step = isal_step,
	.corrupt = isal_replay,
	.end = isal_rd_end,
};
#endif

/* ---- bzip2 ----------------------------------------------------------------- */

#ifdef HAVE_BZIP2
static const struct code_text bz_texts[] = {
	{ .code = BZ_DATA_ERROR, .text = "data integrity error (BZ_DATA_ERROR)" },
	{ .code = BZ_DATA_ERROR_MAGIC, .text = "not bzip2 data (BZ_DATA_ERROR_MAGIC)" },
	{ .code = BZ_MEM_ERROR, .text = "out of memory (BZ_MEM_ERROR)" },
	{ .code = BZ_PARAM_ERROR, .text = "bad parameter (BZ_PARAM_ERROR)" },
};

/* A new decoder for each stream (bzip2 -dc reads them one after another). */
static int bzip2_member(struct codec_rd *r)
{
	if (r->bz_init)
		BZ2_bzDecompressEnd(&r->bz);
	memset(&r->bz, 0, sizeof(r->bz));
	r->bz_init = BZ2_bzDecompressInit(&r->bz, 0, 0) == BZ_OK;
	return r->bz_init ? STEP_MORE : STEP_NOMEM;
}

static int bzip2_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	bz_stream *bz = &r->bz;
	int ret;

	(void)eof;
	bz->next_in = (char *)r->in + r->in_pos;
	bz->avail_in = (unsigned)(r->in_len - r->in_pos);
	bz->next_out = (char *)p;
	bz->avail_out = (unsigned)n;
	ret = BZ2_bzDecompress(bz);
	r->in_pos = r->in_len - bz->avail_in;
	*made = n - bz->avail_out;
	return rd_outcome(r, ret == BZ_STREAM_END, ret == BZ_OK,
			  TEXT_OF(bz_texts, ret, UNEXPECTED));
}

static void bzip2_rd_end(struct codec_rd *r)
{
	if (r->bz_init)
		BZ2_bzDecompressEnd(&r->bz);
}

static const struct rd_ops bzip2_rd = {
	.magic = BZIP2_ID1,
	.input = IN_FED,
	.member = bzip2_member,
	.step = bzip2_step,
	.end = bzip2_rd_end,
};

static int bzip2_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	(void)like;
	w->live = BZ2_bzCompressInit(&w->bz, BZIP2_LEVEL, 0, 0) == BZ_OK;
	return w->live ? 0 : wr_fail(w, "cannot start");
}

static int bzip2_run(struct codec_wr *w, struct wr_in *in, bool end, size_t *made)
{
	bz_stream *bz = &w->bz;
	int ret;

	bz->next_in = (char *)(uintptr_t)in->p;
	bz->avail_in = (unsigned)in->n;
	bz->next_out = (char *)w->out;
	bz->avail_out = OUT_CHUNK;
	ret = BZ2_bzCompress(bz, end ? BZ_FINISH : BZ_RUN);
	if (ret != BZ_RUN_OK && ret != BZ_FINISH_OK && ret != BZ_STREAM_END)
		return -wr_fail(w, TEXT_OF(bz_texts, ret, UNEXPECTED));
	wr_took(in, in->n - bz->avail_in);
	*made = OUT_CHUNK - bz->avail_out;
	return (end ? ret == BZ_STREAM_END : !bz->avail_in) ? WR_DONE : WR_MORE;
}

static void bzip2_wr_end(struct codec_wr *w)
{
	if (w->live)
		BZ2_bzCompressEnd(&w->bz);
}

static const struct wr_ops bzip2_wr = {
	.init = bzip2_wr_init,
	.run = bzip2_run,
	.end = bzip2_wr_end,
};
#endif

/* ---- xz -------------------------------------------------------------------- */

#ifdef HAVE_LZMA
static const struct code_text lzma_texts[] = {
	{ .code = LZMA_FORMAT_ERROR,
	  .text = "file format not recognized (LZMA_FORMAT_ERROR)" },
	{ .code = LZMA_DATA_ERROR,
	  .text = "compressed data is corrupt (LZMA_DATA_ERROR)" },
	{ .code = LZMA_OPTIONS_ERROR,
	  .text = "unsupported options (LZMA_OPTIONS_ERROR)" },
	{ .code = LZMA_MEM_ERROR, .text = "out of memory (LZMA_MEM_ERROR)" },
	{ .code = LZMA_MEMLIMIT_ERROR,
	  .text = "memory usage limit reached (LZMA_MEMLIMIT_ERROR)" },
	{ .code = LZMA_BUF_ERROR, .text = "unexpected end of input (LZMA_BUF_ERROR)" },
	{ .code = LZMA_UNSUPPORTED_CHECK,
	  .text = "unsupported integrity check (LZMA_UNSUPPORTED_CHECK)" },
};

static bool xz_rd_init(struct codec_rd *r)
{
	r->x = (lzma_stream)LZMA_STREAM_INIT;	/* the decoder starts with each member */
	return true;
}

/* One xz stream per member, as for the others (not LZMA_CONCATENATED: garbage after it is named). */
static int xz_member(struct codec_rd *r)
{
	lzma_ret ret = lzma_stream_decoder(&r->x, XZ_MEMLIMIT, 0);

	return ret == LZMA_OK ? STEP_MORE : STEP_NOMEM;
}

static int xz_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	lzma_stream *x = &r->x;
	lzma_ret ret;

	(void)eof;
	x->next_in = r->in + r->in_pos;
	x->avail_in = r->in_len - r->in_pos;
	x->next_out = p;
	x->avail_out = n;
	ret = lzma_code(x, LZMA_RUN);
	r->in_pos = r->in_len - x->avail_in;
	*made = n - x->avail_out;
	if (ret == LZMA_MEMLIMIT_ERROR) {
		r->need = lzma_memusage(x);
		r->limit = XZ_MEMLIMIT;
		return STEP_LIMIT;
	}
	return rd_outcome(r, ret == LZMA_STREAM_END,
			  ret == LZMA_OK || ret == LZMA_BUF_ERROR,
			  TEXT_OF(lzma_texts, ret, UNEXPECTED));
}

static void xz_rd_end(struct codec_rd *r)
{
	lzma_end(&r->x);
}

static const struct rd_ops xz_rd = {
	.magic = XZ_ID1,
	.input = IN_FED,
	.init = xz_rd_init,
	.member = xz_member,
	.step = xz_step,
	.end = xz_rd_end,
};

static int xz_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	(void)like;
	w->x = (lzma_stream)LZMA_STREAM_INIT;
	w->live = lzma_easy_encoder(&w->x, XZ_PRESET, LZMA_CHECK_CRC64) == LZMA_OK;
	return w->live ? 0 : wr_fail(w, "cannot start");
}

static int xz_run(struct codec_wr *w, struct wr_in *in, bool end, size_t *made)
{
	lzma_stream *x = &w->x;
	lzma_ret ret;

	x->next_in = in->p;
	x->avail_in = in->n;
	x->next_out = w->out;
	x->avail_out = OUT_CHUNK;
	ret = lzma_code(x, end ? LZMA_FINISH : LZMA_RUN);
	if (ret != LZMA_OK && ret != LZMA_STREAM_END)
		return -wr_fail(w, TEXT_OF(lzma_texts, ret, UNEXPECTED));
	wr_took(in, in->n - x->avail_in);
	*made = OUT_CHUNK - x->avail_out;
	if (end)
		return ret == LZMA_STREAM_END ? WR_DONE : WR_MORE;
	return !x->avail_in && x->avail_out ? WR_DONE : WR_MORE;
}

static void xz_wr_end(struct codec_wr *w)
{
	if (w->live)
		lzma_end(&w->x);
}

static const struct wr_ops xz_wr = {
	.init = xz_wr_init,
	.run = xz_run,
	.end = xz_wr_end,
};
#endif

/* ---- zstd ------------------------------------------------------------------ */

#ifdef HAVE_ZSTD
static bool zstd_rd_init(struct codec_rd *r)
{
	r->zd = ZSTD_createDStream();
	return r->zd && !ZSTD_isError(ZSTD_DCtx_setParameter(r->zd, ZSTD_d_windowLogMax,
							     ZSTD_WINDOWLOG_MAX));
}

/* One decoder for all frames: it starts the next frame after one ends. */
static int zstd_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	ZSTD_outBuffer out = { p, n, 0 };
	ZSTD_inBuffer in = { r->in, r->in_len, r->in_pos };
	size_t ret = ZSTD_decompressStream(r->zd, &out, &in);

	r->in_pos = in.pos;
	*made = out.pos;
	if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
		r->limit = 1ull << ZSTD_WINDOWLOG_MAX;
		return STEP_LIMIT;
	}
	if (ZSTD_isError(ret)) {
		r->why = ZSTD_getErrorName(ret);
		return STEP_CORRUPT;
	}
	if (ret == 0)
		return STEP_END;
	return eof && out.pos == 0 ? STEP_TRUNCATED : STEP_MORE;
}

static void zstd_rd_end(struct codec_rd *r)
{
	ZSTD_freeDStream(r->zd);
}

static const struct rd_ops zstd_rd = {
	.magic = ZSTD_ID1,
	.input = IN_FED_DRAIN,
	.init = zstd_rd_init,
	.step = zstd_step,
	.end = zstd_rd_end,
};

static int zstd_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	(void)like;
	w->zc = ZSTD_createCCtx();
	if (!w->zc || ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel,
							  ZSTD_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1)))
		return wr_fail(w, "cannot start");
	return 0;
}

static int zstd_run(struct codec_wr *w, struct wr_in *in, bool end, size_t *made)
{
	ZSTD_inBuffer zin = { in->p, in->n, 0 };
	ZSTD_outBuffer out = { w->out, OUT_CHUNK, 0 };
	ZSTD_EndDirective how = end ? ZSTD_e_end : ZSTD_e_continue;
	size_t ret = ZSTD_compressStream2(w->zc, &out, &zin, how);

	if (ZSTD_isError(ret))
		return -wr_fail(w, ZSTD_getErrorName(ret));
	wr_took(in, zin.pos);
	*made = out.pos;
	return (end ? ret == 0 : !in->n) ? WR_DONE : WR_MORE;
}

static void zstd_wr_end(struct codec_wr *w)
{
	ZSTD_freeCCtx(w->zc);
}

static const struct wr_ops zstd_wr = {
	.init = zstd_wr_init,
	.run = zstd_run,
	.end = zstd_wr_end,
};
#endif

/* ---- lzop ------------------------------------------------------------------ */

#ifdef HAVE_LZO
/* Exactly @k input bytes into @dst: 0, or <0 an exit code (truncated: @what names them). */
static int rd_take(struct codec_rd *r, uint8_t *dst, size_t k, const char *what)
{
	while (k) {
		int f = rd_fill(r);
		size_t m;

		if (f < 0)
			return f;
		if (f == 0)
			return (int)rd_bad(r, EXIT_DATAERR, "ends early, in %s: the file is truncated",
					   what);
		m = r->in_len - r->in_pos < k ? r->in_len - r->in_pos : k;
		memcpy(dst, r->in + r->in_pos, m);
		r->in_pos += m;
		dst += m;
		k -= m;
	}
	return 0;
}

static uint32_t lzop_sum(bool crc, const uint8_t *p, size_t n)
{
	return crc ? (uint32_t)crc32(0, p, (uInt)n) : (uint32_t)adler32(1, p, (uInt)n);
}

/* lzop's header (its magic to its checksum, and an extra field if flagged). */
static int lzop_header(struct codec_rd *r)
{
	uint8_t h[LZOP_HDR_MAX], *q = h;
	unsigned version, method;
	uint32_t flags, sum;
	int rc;

#define TAKE(k, what)                                      \
	do {                                               \
		if ((rc = rd_take(r, q, (k), (what))))     \
			return rc;                         \
		q += (k);                                  \
	} while (0)
	TAKE(LZOP_MAGIC_LEN + 4, "its header");
	if (memcmp(h, LZOP_MAGIC, LZOP_MAGIC_LEN))
		return (int)rd_bad(r, EXIT_DATAERR, "is not lzop data (bad magic)");
	version = (unsigned)h[9] << 8 | h[10];
	if (version < 0x0900)
		return (int)rd_bad(r, EXIT_DATAERR, "is in lzop format version 0x%04x, older than "
				   "0x0900", version);
	if (version >= 0x0940) {
		TAKE(2, "its header");
		if (((unsigned)q[-2] << 8 | q[-1]) > 0x1040)
			return (int)rd_bad(r, EXIT_DATAERR, "needs lzop version 0x%04x to extract",
					   (unsigned)q[-2] << 8 | q[-1]);
	}
	TAKE(version >= 0x0940 ? 2 : 1, "its header");
	method = q[version >= 0x0940 ? -2 : -1];
	if (method < 1 || method > 3)
		return (int)rd_bad(r, EXIT_DATAERR, "uses lzop method %u (not LZO1X)", method);
	TAKE(4, "its header");
	flags = get_be32(q - 4);
	if (flags & LZOP_F_H_FILTER)
		return (int)rd_bad(r, EXIT_DATAERR, "uses an lzop filter (not supported)");
	if (flags & LZOP_F_MULTIPART)
		return (int)rd_bad(r, EXIT_DATAERR, "is a multi-part lzop file (not supported)");
	TAKE(version >= 0x0940 ? 12 : 8, "its header");	/* mode, mtime */
	TAKE(1, "its header");
	TAKE(q[-1], "its header's file name");
	sum = lzop_sum(flags & LZOP_F_H_CRC32, h + LZOP_MAGIC_LEN, (size_t)(q - h) - LZOP_MAGIC_LEN);
	TAKE(4, "its header");
	if (get_be32(q - 4) != sum)
		return (int)rd_bad(r, EXIT_DATAERR, "has a bad lzop header checksum (0x%08x, "
				   "computed 0x%08x)", get_be32(q - 4), sum);
	r->lzo_hdr_len = (size_t)(q - h);
	if (flags & LZOP_F_H_EXTRA) {
		uint8_t e[4];
		uint32_t len;

		if ((rc = rd_take(r, e, 4, "its header's extra field")))
			return rc;
		len = get_be32(e);
		/* Skipped, and left out when written back. */
		for (uint32_t i = 0; i < len + 4; i++)
			if ((rc = rd_take(r, e, 1, "its header's extra field")))
				return rc;
		flags &= ~LZOP_F_H_EXTRA;
		/* The kept header no longer says so: its checksum is recomputed. */
		put_be32(h + (version >= 0x0940 ? 17 : 14), flags);
		sum = lzop_sum(flags & LZOP_F_H_CRC32, h + LZOP_MAGIC_LEN,
			       r->lzo_hdr_len - 4 - LZOP_MAGIC_LEN);
		put_be32(h + r->lzo_hdr_len - 4, sum);
	}
#undef TAKE
	if (!r->lzo_flags && r->out_pos == 0) {
		memcpy(r->lzo_hdr, h, r->lzo_hdr_len);
		r->lzo_flags = flags | 0x80000000u;	/* top bit: seen */
	}
	r->lzo_flags = (r->lzo_flags & 0x80000000u) | flags;
	return 0;
}

/* The next block into r->blk: 1 a block, 0 the member's end marker, <0 an exit code. */
static int lzop_block(struct codec_rd *r)
{
	uint8_t w[4];
	uint32_t dlen, clen, dsum = 0, csum = 0;
	uint32_t flags = r->lzo_flags;
	lzo_uint got;
	int rc;

	if ((rc = rd_take(r, w, 4, "a block header")))
		return rc;
	dlen = get_be32(w);
	if (dlen == 0)
		return 0;
	if (dlen > LZOP_MAX_BLOCK)
		return (int)rd_bad(r, EXIT_DATAERR, "has an lzop block of %u bytes (the limit is "
				   "%u)", dlen, LZOP_MAX_BLOCK);
	if ((rc = rd_take(r, w, 4, "a block header")))
		return rc;
	clen = get_be32(w);
	if (clen == 0 || clen > dlen)
		return (int)rd_bad(r, EXIT_DATAERR, "has an lzop block of %u bytes compressed to %u",
				   dlen, clen);
	if (flags & (LZOP_F_ADLER32_D | LZOP_F_CRC32_D)) {
		if ((rc = rd_take(r, w, 4, "a block header")))
			return rc;
		dsum = get_be32(w);
	}
	if (clen < dlen && (flags & (LZOP_F_ADLER32_C | LZOP_F_CRC32_C))) {
		if ((rc = rd_take(r, w, 4, "a block header")))
			return rc;
		csum = get_be32(w);
	}
	if (!r->lzo_block)
		r->lzo_block = dlen;
	if (r->blk_cap < dlen) {
		r->blk = xrealloc(r->blk, dlen);
		r->blk_cap = dlen;
	}
	if (clen == dlen) {
		if ((rc = rd_take(r, r->blk, clen, "a block")))
			return rc;
	} else {
		if (r->cblk_cap < clen) {
			r->cblk = xrealloc(r->cblk, clen);
			r->cblk_cap = clen;
		}
		if ((rc = rd_take(r, r->cblk, clen, "a block")))
			return rc;
		if ((flags & (LZOP_F_ADLER32_C | LZOP_F_CRC32_C)) &&
		    lzop_sum(!(flags & LZOP_F_ADLER32_C), r->cblk, clen) != csum)
			return (int)rd_bad(r, EXIT_DATAERR, "is corrupt: a block's compressed "
					   "checksum is 0x%08x, computed 0x%08x", csum,
					   lzop_sum(!(flags & LZOP_F_ADLER32_C), r->cblk, clen));
		got = dlen;
		rc = lzo1x_decompress_safe(r->cblk, clen, r->blk, &got, NULL);
		if (rc != LZO_E_OK || got != dlen)
			return (int)rd_bad(r, EXIT_DATAERR, "is corrupt: LZO1X decompression failed "
					   "(error %d, %lu of %u bytes)", rc, (unsigned long)got,
					   dlen);
	}
	if ((flags & (LZOP_F_ADLER32_D | LZOP_F_CRC32_D)) &&
	    lzop_sum(!(flags & LZOP_F_ADLER32_D), r->blk, dlen) != dsum)
		return (int)rd_bad(r, EXIT_DATAERR, "is corrupt: a block's checksum is 0x%08x, "
				   "computed 0x%08x", dsum,
				   lzop_sum(!(flags & LZOP_F_ADLER32_D), r->blk, dlen));
	r->blk_len = dlen;
	r->blk_pos = 0;
	return 1;
}


static bool lzop_rd_init(struct codec_rd *r)
{
	(void)r;
	return lzo_init() == LZO_E_OK;
}

/* The rest of the block read last, else the next block (read through rd_take). */
static int lzop_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	int f;

	(void)eof;
	if (r->blk_pos < r->blk_len) {
		size_t m = r->blk_len - r->blk_pos < n ? r->blk_len - r->blk_pos : n;

		memcpy(p, r->blk + r->blk_pos, m);
		r->blk_pos += m;
		*made = m;
		return STEP_MORE;
	}
	f = lzop_block(r);
	if (f < 0)
		return f;
	return f ? STEP_MORE : STEP_END;
}

static void lzop_rd_end(struct codec_rd *r)
{
	free(r->blk);
	free(r->cblk);
}

static const struct rd_ops lzop_rd = {
	.magic = LZOP_ID1,
	.input = IN_OWN,
	.init = lzop_rd_init,
	.member = lzop_header,
	.step = lzop_step,
	.end = lzop_rd_end,
};

static int lzop_flush_block(struct codec_wr *w)
{
	uint8_t h[16];
	size_t hl = 8;
	lzo_uint clen = 0;
	uint32_t f = w->lzo_flags;
	int rc;

	if (!w->blk_len)
		return 0;
	if (lzo1x_1_compress(w->blk, w->blk_len, w->cblk, &clen, w->wrk) != LZO_E_OK)
		return wr_fail(w, "lzo1x_1_compress");
	put_be32(h, (uint32_t)w->blk_len);
	if (clen >= w->blk_len)
		clen = w->blk_len;	/* stored */
	put_be32(h + 4, (uint32_t)clen);
	if (f & (LZOP_F_ADLER32_D | LZOP_F_CRC32_D)) {
		put_be32(h + hl, lzop_sum(!(f & LZOP_F_ADLER32_D), w->blk, w->blk_len));
		hl += 4;
	}
	if (clen < w->blk_len && (f & (LZOP_F_ADLER32_C | LZOP_F_CRC32_C))) {
		put_be32(h + hl, lzop_sum(!(f & LZOP_F_ADLER32_C), w->cblk, clen));
		hl += 4;
	}
	rc = wr_put(w, h, hl);
	if (!rc)
		rc = wr_put(w, clen < w->blk_len ? w->cblk : w->blk, clen);
	w->blk_len = 0;
	return rc;
}

/* A header as `lzop -c` writes one for its standard input (version 1.04, method LZO1X-1, level 3). */
static size_t lzop_default_header(uint8_t *h)
{
	uint8_t *q = h;

	memcpy(q, LZOP_MAGIC, LZOP_MAGIC_LEN);
	q += LZOP_MAGIC_LEN;
	*q++ = 0x10, *q++ = 0x40;		/* version */
	*q++ = (uint8_t)(lzo_version() >> 8), *q++ = (uint8_t)lzo_version();
	*q++ = 0x09, *q++ = 0x40;		/* version needed to extract */
	*q++ = 1, *q++ = 3;			/* method, level */
	put_be32(q, 0x03000000u | LZOP_F_ADLER32_D);	/* Unix, adler32 of the data */
	q += 4;
	memset(q, 0, 13);			/* mode, mtime, empty name */
	q += 13;
	put_be32(q, lzop_sum(false, h + LZOP_MAGIC_LEN, (size_t)(q - h) - LZOP_MAGIC_LEN));
	return (size_t)(q - h) + 4;
}

/* The output keeps @like's header, flags and block size when it is lzop too. */
static int lzop_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	uint8_t h[LZOP_HDR_MAX];
	size_t hl;

	if (lzo_init() != LZO_E_OK)
		return wr_fail(w, "lzo_init");
	if (like && like->c == CODEC_LZOP && like->lzo_hdr_len) {
		hl = like->lzo_hdr_len;
		memcpy(h, like->lzo_hdr, hl);
		w->lzo_flags = like->lzo_flags & ~0x80000000u;
		w->lzo_block = like->lzo_block;
	} else {
		hl = lzop_default_header(h);
		w->lzo_flags = LZOP_F_ADLER32_D;
	}
	if (!w->lzo_block || w->lzo_block > LZOP_MAX_BLOCK)
		w->lzo_block = LZOP_BLOCK;
	w->blk = xmalloc(w->lzo_block);
	w->cblk = xmalloc(w->lzo_block + w->lzo_block / 16 + 64 + 3);
	w->wrk = xmalloc(LZO1X_1_MEM_COMPRESS);
	return wr_put(w, h, hl);
}

static int lzop_write(struct codec_wr *w, const uint8_t *p, size_t n)
{
	while (n) {
		size_t m = w->lzo_block - w->blk_len < n ? w->lzo_block - w->blk_len : n;
		int rc;

		memcpy(w->blk + w->blk_len, p, m);
		w->blk_len += m;
		p += m;
		n -= m;
		if (w->blk_len == w->lzo_block && (rc = lzop_flush_block(w)))
			return rc;
	}
	return 0;
}

/* The last block, then the end marker (a block of length 0). */
static int lzop_finish(struct codec_wr *w)
{
	static const uint8_t end[4];
	int rc = lzop_flush_block(w);

	return rc ? rc : wr_put(w, end, sizeof(end));
}

static void lzop_wr_end(struct codec_wr *w)
{
	free(w->blk);
	free(w->cblk);
	free(w->wrk);
}

static const struct wr_ops lzop_wr = {
	.init = lzop_wr_init,
	.write = lzop_write,
	.finish = lzop_finish,
	.end = lzop_wr_end,
};
#endif

/* ---- the codecs ------------------------------------------------------------ */

/* Each codec's words and operations; no operations: not built in (or CODEC_NONE). */
static const struct {
	const char *name, *lib, *level;
	const struct rd_ops *rd;
	const struct wr_ops *wr;
} codecs[] = {
	[CODEC_NONE] = { .name = "none", .lib = "", .level = "" },
	[CODEC_GZIP] = { .name = "gzip", .lib = "zlib", .level = "6 (gzip's default)",
			 .rd = &zlib_rd, .wr = &zlib_wr },
	[CODEC_BZIP2] = { .name = "bzip2", .lib = "libbz2",
			  .level = "9 (bzip2's default)",
#ifdef HAVE_BZIP2
			  .rd = &bzip2_rd, .wr = &bzip2_wr,
#endif
	},
	[CODEC_XZ] = { .name = "xz", .lib = "liblzma",
		       .level = "6 with CRC64 (xz's default)",
#ifdef HAVE_LZMA
		       .rd = &xz_rd, .wr = &xz_wr,
#endif
	},
	[CODEC_LZOP] = { .name = "lzop", .lib = "liblzo2",
			 .level = "LZO1X-1 (lzop's default)",
#ifdef HAVE_LZO
			 .rd = &lzop_rd, .wr = &lzop_wr,
#endif
	},
	[CODEC_ZSTD] = { .name = "zstd", .lib = "libzstd",
			 .level = "3 with a checksum (zstd's default)",
#ifdef HAVE_ZSTD
			 .rd = &zstd_rd, .wr = &zstd_wr,
#endif
	},
};

const char *codec_name(enum codec c)
{
	return codecs[c].name;
}

const char *codec_library(enum codec c)
{
	return codecs[c].lib;
}

bool codec_available(enum codec c)
{
	return c == CODEC_NONE || codecs[c].rd;
}

const char *codec_level(enum codec c)
{
	return codecs[c].level;
}

/* gzip through ISA-L where built in, unless XSAVECTL_ZLIB_INFLATE=1 asks for zlib. */
static const struct rd_ops *rd_ops_of(enum codec c)
{
#ifdef HAVE_ISAL
	const char *zlib = getenv("XSAVECTL_ZLIB_INFLATE");

	if (c == CODEC_GZIP && (!zlib || strcmp(zlib, "1")))
		return &isal_rd;
#endif
	return codecs[c].rd;
}

int codec_rd_open(enum codec c, int fd, uint64_t at, const char *path, struct fail *why,
		  struct codec_rd **out)
{
	struct codec_rd *r = xcalloc(1, sizeof(*r));

	r->fail = why;
	r->c = c;
	r->ops = rd_ops_of(c);
	r->fd = fd;
	r->path = path;
	r->in_off = at;
	r->in = xmalloc(IN_CHUNK);
	*out = NULL;
	if (!codec_available(c)) {
		codec_rd_close(r);
		return fail_msg(why, EXIT_DATAERR, path, "%s data: this xsavectl was built without %s",
				codec_name(c), codec_library(c));
	}
	if (r->ops && r->ops->init && !r->ops->init(r)) {
		codec_rd_close(r);
		return fail_msg(why, EXIT_SOFTWARE, path, "cannot start %s decompression",
				codec_name(c));
	}
	*out = r;
	return 0;
}

ssize_t codec_read(struct codec_rd *r, uint8_t *p, size_t n)
{
	if (r->failed)
		return -r->failed;
	if (r->done || !n)
		return 0;
	return r->ops ? rd_members(r, p, n) : rd_plain(r, p, n);
}

uint64_t codec_rd_pos(const struct codec_rd *r)
{
	return r->out_pos;
}

uint64_t codec_rd_in_pos(const struct codec_rd *r)
{
	return r->in_off;
}

void codec_rd_close(struct codec_rd *r)
{
	if (!r)
		return;
	if (r->ops && r->ops->end)
		r->ops->end(r);
	free(r->in);
	free(r);
}

int codec_wr_open(enum codec c, int fd, const char *path, const struct codec_rd *like,
		  struct fail *why, struct codec_wr **out)
{
	struct codec_wr *w = xcalloc(1, sizeof(*w));
	int rc;

	w->fail = why;
	w->c = c;
	w->ops = codecs[c].wr;
	w->fd = fd;
	w->path = path;
	w->out = xmalloc(OUT_CHUNK);
	*out = NULL;
	if (!w->ops) {
		rc = fail_msg(why, EXIT_DATAERR, path, "cannot write %s data: this xsavectl was "
			      "built without %s", codec_name(c), codec_library(c));
	} else {
		rc = w->ops->init(w, like);
	}
	if (rc) {
		codec_wr_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int codec_write(struct codec_wr *w, const uint8_t *p, size_t n)
{
	if (w->ops->write)
		return w->ops->write(w, p, n);
	while (n) {
		size_t m = n > CALL_MAX ? CALL_MAX : n;
		int rc = wr_run(w, p, m, false);

		if (rc)
			return rc;
		p += m;
		n -= m;
	}
	return 0;
}

int codec_wr_finish(struct codec_wr *w)
{
	int rc = w->ops->finish ? w->ops->finish(w) : wr_run(w, NULL, 0, true);

	codec_wr_free(w);
	return rc;
}

void codec_wr_free(struct codec_wr *w)
{
	if (!w)
		return;
	if (w->ops && w->ops->end)
		w->ops->end(w);
	free(w->out);
	free(w);
}
