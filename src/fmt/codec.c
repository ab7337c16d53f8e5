// SPDX-License-Identifier: MIT
/* The compressors of libvirt save images: see codec.h. */
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
#endif

#include "fmt/codec.h"
#include "exitcodes.h"
#include "sys/io.h"
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif
#include "util.h"

#define IN_CHUNK (256u * 1024)
#define OUT_CHUNK (256u * 1024)

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

static const struct {
	const char *name, *lib, *level;
	bool have;
	uint8_t magic;		/* first byte of a member */
} codecs[] = {
	[CODEC_NONE] = { "none", "", "", true, 0 },
	[CODEC_GZIP] = { "gzip", "zlib", "6 (gzip's default)", true, 0x1f },
#ifdef HAVE_BZIP2
	[CODEC_BZIP2] = { "bzip2", "libbz2", "9 (bzip2's default)", true, 'B' },
#else
	[CODEC_BZIP2] = { "bzip2", "libbz2", "9 (bzip2's default)", false, 'B' },
#endif
#ifdef HAVE_LZMA
	[CODEC_XZ] = { "xz", "liblzma", "6 with CRC64 (xz's default)", true, 0xfd },
#else
	[CODEC_XZ] = { "xz", "liblzma", "6 with CRC64 (xz's default)", false, 0xfd },
#endif
#ifdef HAVE_LZO
	[CODEC_LZOP] = { "lzop", "liblzo2", "LZO1X-1 (lzop's default)", true, 0x89 },
#else
	[CODEC_LZOP] = { "lzop", "liblzo2", "LZO1X-1 (lzop's default)", false, 0x89 },
#endif
#ifdef HAVE_ZSTD
	[CODEC_ZSTD] = { "zstd", "libzstd", "3 with a checksum (zstd's default)", true, 0x28 },
#else
	[CODEC_ZSTD] = { "zstd", "libzstd", "3 with a checksum (zstd's default)", false, 0x28 },
#endif
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
	return codecs[c].have;
}

const char *codec_level(enum codec c)
{
	return codecs[c].level;
}

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

/* ---- reading --------------------------------------------------------------- */

struct codec_rd {
	enum codec c;
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
	msg_err("'%s': offset 0x%llx in the decompressed stream (0x%llx in the file): %s data %s",
		r->path, (unsigned long long)r->out_pos, (unsigned long long)rd_file_pos(r),
		codec_name(r->c), what);
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
		msg_err("'%s': read error at offset 0x%llx: %s", r->path,
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
		if (!r->started || r->in[r->in_pos] == codecs[r->c].magic) {
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

#define TRUNCATED "ends early: the file is truncated"

static ssize_t zlib_step(struct codec_rd *r, uint8_t *p, size_t n)
{
	z_stream *z = &r->z;

	z->next_out = p;
	z->avail_out = (uInt)n;
	while (z->avail_out && !r->done) {
		int ret, f;
		uInt before;

		if (!r->member) {
			f = rd_next_member(r);
			if (f <= 0) {
				r->done = f == 0;
				if (f < 0)
					return f;
				break;
			}
			inflateReset(z);
			r->member = true;
		}
		f = rd_fill(r);
		if (f < 0)
			return f;
		if (f == 0)
			return rd_bad(r, EXIT_DATAERR, TRUNCATED);
		z->next_in = r->in + r->in_pos;
		z->avail_in = (uInt)(r->in_len - r->in_pos);
		before = z->avail_out;
		ret = inflate(z, Z_NO_FLUSH);
		r->in_pos = r->in_len - z->avail_in;
		r->out_pos += before - z->avail_out;
		if (ret == Z_STREAM_END)
			r->member = false;
		else if (ret != Z_OK && ret != Z_BUF_ERROR)
			return rd_bad(r, EXIT_DATAERR, "is corrupt: %s", z->msg ? z->msg : "bad data");
	}
	return (ssize_t)(n - z->avail_out);
}

#ifdef HAVE_ISAL
/* ISA-L's inflate errors, in zlib's words (the messages stay the same either way). */
static const char *isal_why(int ret)
{
	switch (ret) {
	case ISAL_INVALID_WRAPPER:
		return "incorrect header check";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INVALID_SYMBOL:
		return "invalid literal/length code";
	default:
		return "invalid block type";
	}
}

/*
 * ISA-L found corrupt data: zlib decompresses the member again from its start (output
 * dropped) to the point ISA-L reached, so that the message and both offsets are zlib's.
 * A pipe cannot be read again: ISA-L's own error, in zlib's words, where it stopped.
 */
static ssize_t isal_replay(struct codec_rd *r, int ret)
{
	uint64_t stop = r->out_pos;
	uint8_t *scratch;

	if (io_is_pipe(r->fd))
		return rd_bad(r, EXIT_DATAERR, "is corrupt: %s", isal_why(ret));
	free(r->isal);
	r->isal = NULL;		/* zlib from here on */
	scratch = xmalloc(64u << 10);
	r->in_off = r->mem_in;
	r->in_len = r->in_pos = 0;
	r->out_pos = r->mem_out;
	r->member = true;
	inflateReset(&r->z);
	while (r->out_pos <= stop && !r->done) {
		ssize_t k = zlib_step(r, scratch, 64u << 10);

		if (k < 0) {
			free(scratch);
			return k;
		}
		if (k == 0)
			break;
	}
	free(scratch);
	return rd_bad(r, EXIT_DATAERR, "is corrupt: %s", isal_why(ret));
}

/* The same members, padding and errors as zlib_step, through ISA-L's igzip inflate. */
static ssize_t isal_step(struct codec_rd *r, uint8_t *p, size_t n)
{
	struct inflate_state *st = r->isal;
	size_t done = 0;

	if (n > UINT32_MAX)
		n = UINT32_MAX;
	while (done < n && !r->done) {
		uint32_t before;
		int ret, f;

		if (!r->member) {
			f = rd_next_member(r);
			if (f <= 0) {
				r->done = f == 0;
				if (f < 0)
					return f;
				break;
			}
			isal_inflate_init(st);
			st->crc_flag = ISAL_GZIP;
			r->member = true;
			r->mem_in = rd_file_pos(r);
			r->mem_out = r->out_pos;
		}
		f = rd_fill(r);
		if (f < 0)
			return f;
		if (f == 0)
			return rd_bad(r, EXIT_DATAERR, TRUNCATED);
		st->next_in = r->in + r->in_pos;
		st->avail_in = (uint32_t)(r->in_len - r->in_pos);
		st->next_out = p + done;
		st->avail_out = (uint32_t)(n - done);
		before = st->avail_out;
		ret = isal_inflate(st);
		r->in_pos = r->in_len - st->avail_in;
		r->out_pos += before - st->avail_out;
		done += before - st->avail_out;
		if (ret < 0)
			return isal_replay(r, ret);
		if (st->block_state == ISAL_BLOCK_FINISH)
			r->member = false;
	}
	return (ssize_t)done;
}
#endif

static ssize_t gzip_step(struct codec_rd *r, uint8_t *p, size_t n)
{
#ifdef HAVE_ISAL
	if (r->isal)
		return isal_step(r, p, n);
#endif
	return zlib_step(r, p, n);
}

#ifdef HAVE_BZIP2
static const char *bz_text(int ret)
{
	switch (ret) {
	case BZ_DATA_ERROR:
		return "data integrity error (BZ_DATA_ERROR)";
	case BZ_DATA_ERROR_MAGIC:
		return "not bzip2 data (BZ_DATA_ERROR_MAGIC)";
	case BZ_MEM_ERROR:
		return "out of memory (BZ_MEM_ERROR)";
	case BZ_PARAM_ERROR:
		return "bad parameter (BZ_PARAM_ERROR)";
	default:
		return "unexpected error";
	}
}

static ssize_t bzip2_step(struct codec_rd *r, uint8_t *p, size_t n)
{
	bz_stream *bz = &r->bz;
	size_t got = 0;

	while (got < n && !r->done) {
		int ret, f;
		unsigned avail;

		if (!r->member) {
			f = rd_next_member(r);
			if (f <= 0) {
				r->done = f == 0;
				if (f < 0)
					return f;
				break;
			}
			if (r->bz_init)
				BZ2_bzDecompressEnd(bz);
			memset(bz, 0, sizeof(*bz));
			r->bz_init = BZ2_bzDecompressInit(bz, 0, 0) == BZ_OK;
			if (!r->bz_init)
				return rd_bad(r, EXIT_SOFTWARE, "cannot be decompressed: out of memory");
			r->member = true;
		}
		f = rd_fill(r);
		if (f < 0)
			return f;
		if (f == 0)
			return rd_bad(r, EXIT_DATAERR, TRUNCATED);
		bz->next_in = (char *)r->in + r->in_pos;
		bz->avail_in = (unsigned)(r->in_len - r->in_pos);
		avail = n - got > (1u << 30) ? 1u << 30 : (unsigned)(n - got);
		bz->next_out = (char *)p + got;
		bz->avail_out = avail;
		ret = BZ2_bzDecompress(bz);
		r->in_pos = r->in_len - bz->avail_in;
		got += avail - bz->avail_out;
		r->out_pos += avail - bz->avail_out;
		if (ret == BZ_STREAM_END)
			r->member = false;
		else if (ret != BZ_OK)
			return rd_bad(r, EXIT_DATAERR, "is corrupt: %s", bz_text(ret));
	}
	return (ssize_t)got;
}
#endif

#ifdef HAVE_LZMA
static const char *lzma_text(lzma_ret ret)
{
	switch (ret) {
	case LZMA_FORMAT_ERROR:
		return "file format not recognized (LZMA_FORMAT_ERROR)";
	case LZMA_DATA_ERROR:
		return "compressed data is corrupt (LZMA_DATA_ERROR)";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options (LZMA_OPTIONS_ERROR)";
	case LZMA_MEM_ERROR:
		return "out of memory (LZMA_MEM_ERROR)";
	case LZMA_MEMLIMIT_ERROR:
		return "memory usage limit reached (LZMA_MEMLIMIT_ERROR)";
	case LZMA_BUF_ERROR:
		return "unexpected end of input (LZMA_BUF_ERROR)";
	case LZMA_UNSUPPORTED_CHECK:
		return "unsupported integrity check (LZMA_UNSUPPORTED_CHECK)";
	default:
		return "unexpected error";
	}
}

/* One xz stream per member, as for the others (not LZMA_CONCATENATED: garbage after it is named). */
static ssize_t xz_step(struct codec_rd *r, uint8_t *p, size_t n)
{
	lzma_stream *x = &r->x;

	x->next_out = p;
	x->avail_out = n;
	while (x->avail_out && !r->done) {
		lzma_ret ret;
		size_t before = x->avail_out;
		int f;

		if (!r->member) {
			f = rd_next_member(r);
			if (f <= 0) {
				r->done = f == 0;
				if (f < 0)
					return f;
				break;
			}
			if (lzma_stream_decoder(x, UINT64_MAX, 0) != LZMA_OK)
				return rd_bad(r, EXIT_SOFTWARE, "cannot be decompressed: out of memory");
			r->member = true;
		}
		f = rd_fill(r);
		if (f < 0)
			return f;
		if (f == 0)
			return rd_bad(r, EXIT_DATAERR, TRUNCATED);
		x->next_in = r->in + r->in_pos;
		x->avail_in = r->in_len - r->in_pos;
		ret = lzma_code(x, LZMA_RUN);
		r->in_pos = r->in_len - x->avail_in;
		r->out_pos += before - x->avail_out;
		if (ret == LZMA_STREAM_END)
			r->member = false;
		else if (ret != LZMA_OK && ret != LZMA_BUF_ERROR)
			return rd_bad(r, EXIT_DATAERR, "is corrupt: %s", lzma_text(ret));
	}
	return (ssize_t)(n - x->avail_out);
}
#endif

#ifdef HAVE_ZSTD
static ssize_t zstd_step(struct codec_rd *r, uint8_t *p, size_t n)
{
	ZSTD_outBuffer out = { p, n, 0 };

	while (out.pos < n && !r->done) {
		ZSTD_inBuffer in;
		size_t ret, before = out.pos;
		int f;

		if (!r->member) {
			f = rd_next_member(r);
			if (f <= 0) {
				r->done = f == 0;
				if (f < 0)
					return f;
				break;
			}
			r->member = true;
		}
		f = rd_fill(r);
		if (f < 0)
			return f;
		in.src = r->in;
		in.size = r->in_len;
		in.pos = r->in_pos;
		ret = ZSTD_decompressStream(r->zd, &out, &in);
		r->in_pos = in.pos;
		r->out_pos += out.pos - before;
		if (ZSTD_isError(ret))
			return rd_bad(r, EXIT_DATAERR, "is corrupt: %s", ZSTD_getErrorName(ret));
		if (ret == 0)
			r->member = false;
		else if (f == 0 && out.pos == before)
			return rd_bad(r, EXIT_DATAERR, TRUNCATED);
	}
	return (ssize_t)out.pos;
}
#endif

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

static ssize_t lzop_step(struct codec_rd *r, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n && !r->done) {
		int f;

		if (r->blk_pos < r->blk_len) {
			size_t m = r->blk_len - r->blk_pos < n - got ? r->blk_len - r->blk_pos : n - got;

			memcpy(p + got, r->blk + r->blk_pos, m);
			r->blk_pos += m;
			got += m;
			r->out_pos += m;
			continue;
		}
		if (!r->member) {
			f = rd_next_member(r);
			if (f <= 0) {
				r->done = f == 0;
				if (f < 0)
					return f;
				break;
			}
			if ((f = lzop_header(r)))
				return f;
			r->member = true;
		}
		f = lzop_block(r);
		if (f < 0)
			return f;
		if (f == 0)
			r->member = false;
	}
	return (ssize_t)got;
}
#endif

int codec_rd_open(enum codec c, int fd, uint64_t at, const char *path, struct codec_rd **out)
{
	struct codec_rd *r = xcalloc(1, sizeof(*r));

	r->c = c;
	r->fd = fd;
	r->path = path;
	r->in_off = at;
	r->in = xmalloc(IN_CHUNK);
	*out = NULL;
	switch (c) {
	case CODEC_GZIP:
		if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK)
			goto nomem;
#ifdef HAVE_ISAL
		/* XSAVECTL_ZLIB_INFLATE=1: zlib's inflate even where ISA-L is built in (tests). */
		if (!getenv("XSAVECTL_ZLIB_INFLATE") || strcmp(getenv("XSAVECTL_ZLIB_INFLATE"), "1"))
			r->isal = xmalloc(sizeof(*r->isal));
#endif
		break;
#ifdef HAVE_LZMA
	case CODEC_XZ:
		r->x = (lzma_stream)LZMA_STREAM_INIT;	/* the decoder starts with each member */
		break;
#endif
#ifdef HAVE_ZSTD
	case CODEC_ZSTD:
		r->zd = ZSTD_createDStream();
		if (!r->zd)
			goto nomem;
		break;
#endif
#ifdef HAVE_LZO
	case CODEC_LZOP:
		if (lzo_init() != LZO_E_OK)
			goto nomem;
		break;
#endif
	default:
		if (!codec_available(c)) {
			msg_err("'%s': %s data: this xsavectl was built without %s", path,
				codec_name(c), codec_library(c));
			codec_rd_close(r);
			return EXIT_DATAERR;
		}
	}
	*out = r;
	return 0;
nomem:
	msg_err("'%s': cannot start %s decompression", path, codec_name(c));
	codec_rd_close(r);
	return EXIT_SOFTWARE;
}

ssize_t codec_read(struct codec_rd *r, uint8_t *p, size_t n)
{
	if (r->failed)
		return -r->failed;
	if (r->done || !n)
		return 0;
	switch (r->c) {
	case CODEC_GZIP:
		return gzip_step(r, p, n > (1u << 30) ? 1u << 30 : n);
#ifdef HAVE_BZIP2
	case CODEC_BZIP2:
		return bzip2_step(r, p, n);
#endif
#ifdef HAVE_LZMA
	case CODEC_XZ:
		return xz_step(r, p, n);
#endif
#ifdef HAVE_ZSTD
	case CODEC_ZSTD:
		return zstd_step(r, p, n);
#endif
#ifdef HAVE_LZO
	case CODEC_LZOP:
		return lzop_step(r, p, n);
#endif
	case CODEC_NONE: {
		/* The bytes as they are (a plain stream from a pipe). */
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
	default:
		return 0;
	}
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
	if (r->c == CODEC_GZIP)
		inflateEnd(&r->z);
#ifdef HAVE_ISAL
	free(r->isal);
#endif
#ifdef HAVE_BZIP2
	if (r->bz_init)
		BZ2_bzDecompressEnd(&r->bz);
#endif
#ifdef HAVE_LZMA
	if (r->c == CODEC_XZ)
		lzma_end(&r->x);
#endif
#ifdef HAVE_ZSTD
	ZSTD_freeDStream(r->zd);
#endif
	free(r->blk);
	free(r->cblk);
	free(r->in);
	free(r);
}

/* ---- writing --------------------------------------------------------------- */

struct codec_wr {
	enum codec c;
	int fd;
	const char *path;
	uint8_t *out;
	z_stream z;
	bool z_init;
#ifdef HAVE_BZIP2
	bz_stream bz;
	bool bz_init;
#endif
#ifdef HAVE_LZMA
	lzma_stream x;
	bool x_init;
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
	if (n && io_write_full(w->fd, p, n, -1)) {
		msg_err("'%s': write error: %s", w->path, strerror(errno));
		return EXIT_IOERR;
	}
	return 0;
}

static int wr_fail(struct codec_wr *w, const char *what)
{
	msg_err("'%s': %s compression failed: %s", w->path, codec_name(w->c), what);
	return EXIT_SOFTWARE;
}

/* Run the compressor over @p (NULL, 0 with @end: finish the stream). */
static int wr_run(struct codec_wr *w, const uint8_t *p, size_t n, bool end)
{
	int rc = 0;

	switch (w->c) {
	case CODEC_GZIP:
		w->z.next_in = (Bytef *)(uintptr_t)p;
		w->z.avail_in = (uInt)n;
		for (;;) {
			int ret;

			w->z.next_out = w->out;
			w->z.avail_out = OUT_CHUNK;
			ret = deflate(&w->z, end ? Z_FINISH : Z_NO_FLUSH);
			if (ret == Z_STREAM_ERROR)
				return wr_fail(w, "deflate");
			if ((rc = wr_put(w, w->out, OUT_CHUNK - w->z.avail_out)))
				return rc;
			if (end ? ret == Z_STREAM_END : (!w->z.avail_in && w->z.avail_out))
				return 0;
		}
#ifdef HAVE_BZIP2
	case CODEC_BZIP2:
		w->bz.next_in = (char *)(uintptr_t)p;
		w->bz.avail_in = (unsigned)n;
		for (;;) {
			int ret;

			w->bz.next_out = (char *)w->out;
			w->bz.avail_out = OUT_CHUNK;
			ret = BZ2_bzCompress(&w->bz, end ? BZ_FINISH : BZ_RUN);
			if (ret != BZ_RUN_OK && ret != BZ_FINISH_OK && ret != BZ_STREAM_END)
				return wr_fail(w, bz_text(ret));
			if ((rc = wr_put(w, w->out, OUT_CHUNK - w->bz.avail_out)))
				return rc;
			if (end ? ret == BZ_STREAM_END : !w->bz.avail_in)
				return 0;
		}
#endif
#ifdef HAVE_LZMA
	case CODEC_XZ:
		w->x.next_in = p;
		w->x.avail_in = n;
		for (;;) {
			lzma_ret ret;

			w->x.next_out = w->out;
			w->x.avail_out = OUT_CHUNK;
			ret = lzma_code(&w->x, end ? LZMA_FINISH : LZMA_RUN);
			if (ret != LZMA_OK && ret != LZMA_STREAM_END)
				return wr_fail(w, lzma_text(ret));
			if ((rc = wr_put(w, w->out, OUT_CHUNK - w->x.avail_out)))
				return rc;
			if (end ? ret == LZMA_STREAM_END : (!w->x.avail_in && w->x.avail_out))
				return 0;
		}
#endif
#ifdef HAVE_ZSTD
	case CODEC_ZSTD: {
		ZSTD_inBuffer in = { p, n, 0 };

		for (;;) {
			ZSTD_outBuffer out = { w->out, OUT_CHUNK, 0 };
			size_t ret = ZSTD_compressStream2(w->zc, &out, &in,
							  end ? ZSTD_e_end : ZSTD_e_continue);

			if (ZSTD_isError(ret))
				return wr_fail(w, ZSTD_getErrorName(ret));
			if ((rc = wr_put(w, w->out, out.pos)))
				return rc;
			if (end ? ret == 0 : in.pos == in.size)
				return 0;
		}
	}
#endif
	default:
		return wr_fail(w, "not built in");
	}
}

#ifdef HAVE_LZO
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
#endif

int codec_wr_open(enum codec c, int fd, const char *path, const struct codec_rd *like,
		  struct codec_wr **out)
{
	struct codec_wr *w = xcalloc(1, sizeof(*w));
	int rc = 0;

	(void)like;	/* (lzop's settings only) */
	w->c = c;
	w->fd = fd;
	w->path = path;
	w->out = xmalloc(OUT_CHUNK);
	*out = NULL;
	switch (c) {
	case CODEC_GZIP:
		w->z_init = deflateInit2(&w->z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
					 Z_DEFAULT_STRATEGY) == Z_OK;
		if (!w->z_init)
			rc = wr_fail(w, "cannot start");
		break;
#ifdef HAVE_BZIP2
	case CODEC_BZIP2:
		w->bz_init = BZ2_bzCompressInit(&w->bz, 9, 0, 0) == BZ_OK;
		if (!w->bz_init)
			rc = wr_fail(w, "cannot start");
		break;
#endif
#ifdef HAVE_LZMA
	case CODEC_XZ:
		w->x = (lzma_stream)LZMA_STREAM_INIT;
		w->x_init = lzma_easy_encoder(&w->x, 6, LZMA_CHECK_CRC64) == LZMA_OK;
		if (!w->x_init)
			rc = wr_fail(w, "cannot start");
		break;
#endif
#ifdef HAVE_ZSTD
	case CODEC_ZSTD:
		w->zc = ZSTD_createCCtx();
		if (!w->zc || ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, 3)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1)))
			rc = wr_fail(w, "cannot start");
		break;
#endif
#ifdef HAVE_LZO
	case CODEC_LZOP: {
		uint8_t h[LZOP_HDR_MAX];
		size_t hl;

		if (lzo_init() != LZO_E_OK) {
			rc = wr_fail(w, "lzo_init");
			break;
		}
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
		rc = wr_put(w, h, hl);
		break;
	}
#endif
	default:
		msg_err("'%s': cannot write %s data: this xsavectl was built without %s", path,
			codec_name(c), codec_library(c));
		rc = EXIT_DATAERR;
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
#ifdef HAVE_LZO
	if (w->c == CODEC_LZOP) {
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
#endif
	while (n) {
		size_t m = n > (1u << 30) ? 1u << 30 : n;
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
	int rc;

#ifdef HAVE_LZO
	if (w->c == CODEC_LZOP) {
		static const uint8_t end[4];

		rc = lzop_flush_block(w);
		if (!rc)
			rc = wr_put(w, end, 4);
		codec_wr_free(w);
		return rc;
	}
#endif
	rc = wr_run(w, NULL, 0, true);
	codec_wr_free(w);
	return rc;
}

void codec_wr_free(struct codec_wr *w)
{
	if (!w)
		return;
	if (w->z_init)
		deflateEnd(&w->z);
#ifdef HAVE_BZIP2
	if (w->bz_init)
		BZ2_bzCompressEnd(&w->bz);
#endif
#ifdef HAVE_LZMA
	if (w->x_init)
		lzma_end(&w->x);
#endif
#ifdef HAVE_ZSTD
	ZSTD_freeCCtx(w->zc);
#endif
	free(w->blk);
	free(w->cblk);
	free(w->wrk);
	free(w->out);
	free(w);
}
