// SPDX-License-Identifier: MIT
/*
 * gzip (RFC 1952): inflated through ISA-L's igzip where xsavectl is built with
 * it (XSAVECTL_ZLIB_INFLATE=1 asks for zlib's), else zlib's; an error ISA-L
 * finds is decompressed again through zlib from the member's start, so that
 * the message and both offsets are the same either way.  Written through
 * ISA-L's deflate (level 1) where built with it (XSAVECTL_ZLIB_DEFLATE=1 asks
 * for zlib's), else zlib's at level 6, as `gzip -c` writes: both a gzip file
 * that gzip, libvirt and QEMU read back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "codec/codec_impl.h"
#include "exitcodes.h"
#include "util.h"

/* The first byte of a member, which tells a member from zero padding after the last. */
#define GZIP_ID1 0x1f
/* zlib's window bits with a gzip wrapper; the writer's level and memory (gzip's default). */
#define GZIP_WBITS (16 + MAX_WBITS)
#define GZIP_LEVEL 6
#define GZIP_MEMLEVEL 8
/* What ISA-L's failed member is decompressed again into, through zlib (isal_replay). */
#define REPLAY_CHUNK (64u << 10)
/* ISA-L's deflate level (its fastest with a history, ISA-L's default) and its buffer. */
#define ISAL_LEVEL 1

static const uint8_t gzip_magic[] = { 0x1f, 0x8b };

/* An environment switch to zlib (tests compare both): XSAVECTL_ZLIB_INFLATE=1 and the like. */
__attribute__((unused)) static bool want_zlib(const char *var)
{
	const char *v = getenv(var);

	return v && !strcmp(v, "1");
}

/* ---- reading ------------------------------------------------------------- */

struct gz_rd {
	z_stream z;
#ifdef HAVE_ISAL
	struct inflate_state *isal;	/* NULL once zlib took over */
	uint64_t mem_in, mem_out;	/* where the current member starts (file, output) */
#endif
};

static bool zlib_rd_init(struct codec_rd *r)
{
	struct gz_rd *g = xcalloc(1, sizeof(*g));

	r->priv = g;
	return inflateInit2(&g->z, GZIP_WBITS) == Z_OK;
}

static int zlib_member(struct codec_rd *r)
{
	inflateReset(&((struct gz_rd *)r->priv)->z);
	return STEP_MORE;
}

static int zlib_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	z_stream *z = &((struct gz_rd *)r->priv)->z;
	int ret;

	(void)eof;
	z->next_in = r->in + r->in_pos;
	z->avail_in = (uInt)(r->in_len - r->in_pos);
	z->next_out = p;
	z->avail_out = (uInt)n;
	ret = inflate(z, Z_NO_FLUSH);
	r->in_pos = r->in_len - z->avail_in;
	*made = n - z->avail_out;
	return codec_rd_outcome(r, ret == Z_STREAM_END, ret == Z_OK || ret == Z_BUF_ERROR,
				z->msg ? z->msg : "bad data");
}

static void zlib_rd_end(struct codec_rd *r)
{
	struct gz_rd *g = r->priv;

	if (g)
		inflateEnd(&g->z);
}

static const struct rd_ops zlib_rd = {
	.magic = GZIP_ID1,
	.input = IN_FED,
	.init = zlib_rd_init,
	.member = zlib_member,
	.step = zlib_step,
	.end = zlib_rd_end,
};

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
	struct gz_rd *g;

	if (!zlib_rd_init(r))
		return false;
	g = r->priv;
	g->isal = xmalloc(sizeof(*g->isal));
	return true;
}

static int isal_member(struct codec_rd *r)
{
	struct gz_rd *g = r->priv;

	isal_inflate_init(g->isal);
	g->isal->crc_flag = ISAL_GZIP;
	g->mem_in = codec_rd_file_pos(r);
	g->mem_out = r->out_pos;
	return STEP_MORE;
}

static int isal_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	struct inflate_state *st = ((struct gz_rd *)r->priv)->isal;
	int ret;

	(void)eof;
	st->next_in = r->in + r->in_pos;
	st->avail_in = (uint32_t)(r->in_len - r->in_pos);
	st->next_out = p;
	st->avail_out = (uint32_t)n;
	ret = isal_inflate(st);
	r->in_pos = r->in_len - st->avail_in;
	*made = n - st->avail_out;
	return codec_rd_outcome(r, ret >= 0 && st->block_state == ISAL_BLOCK_FINISH, ret >= 0,
				TEXT_OF(isal_texts, ret, "invalid block type"));
}

/*
 * ISA-L found corrupt data, or the end of the input inside a member (where it may have
 * decoded a few bytes less than zlib, which takes the last bits one by one): zlib
 * decompresses the member again from its start (output dropped) to the point ISA-L reached,
 * or to the end, so that the message and both offsets are zlib's.  A pipe cannot be read
 * again: ISA-L's own finding, in zlib's words, where it stopped.
 */
static ssize_t isal_replay(struct codec_rd *r, int st)
{
	struct gz_rd *g = r->priv;
	uint64_t stop = st == STEP_TRUNCATED ? UINT64_MAX : r->out_pos;
	uint8_t *scratch;

	if (r->src.forward_only)
		return codec_rd_corrupt(r, st);
	free(g->isal);
	g->isal = NULL;
	r->ops = &zlib_rd;	/* zlib from here on */
	scratch = xmalloc(REPLAY_CHUNK);
	r->in_off = g->mem_in;
	r->in_len = r->in_pos = 0;
	r->out_pos = g->mem_out;
	r->member = true;
	inflateReset(&g->z);
	while (r->out_pos <= stop && !r->done) {
		ssize_t k = codec_rd_members(r, scratch, REPLAY_CHUNK);

		if (k < 0) {
			free(scratch);
			return k;
		}
		if (k == 0)
			break;
	}
	free(scratch);
	return codec_rd_corrupt(r, st);
}

static void isal_rd_end(struct codec_rd *r)
{
	struct gz_rd *g = r->priv;

	zlib_rd_end(r);
	if (g)
		free(g->isal);
}

static const struct rd_ops isal_rd = {
	.magic = GZIP_ID1,
	.input = IN_FED,
	.init = isal_rd_init,
	.member = isal_member,
	.step = isal_step,
	.failed = isal_replay,
	.end = isal_rd_end,
};
#endif

const struct rd_ops *codec_gzip_rd_ops(void)
{
#ifdef HAVE_ISAL
	if (!want_zlib("XSAVECTL_ZLIB_INFLATE"))
		return &isal_rd;
#endif
	return &zlib_rd;
}

/* ---- writing ------------------------------------------------------------- */

struct gz_wr {
	bool live;		/* zlib's stream is initialised */
	z_stream z;
#ifdef HAVE_ISAL
	bool isal;		/* ISA-L's deflate, not zlib's */
	struct isal_zstream s;
	uint8_t *level_buf;
#endif
};

static int zlib_wr_start(struct codec_wr *w, struct gz_wr *g)
{
	g->live = deflateInit2(&g->z, GZIP_LEVEL, Z_DEFLATED, GZIP_WBITS, GZIP_MEMLEVEL,
			       Z_DEFAULT_STRATEGY) == Z_OK;
	return g->live ? 0 : codec_wr_fail(w, "cannot start");
}

static int zlib_run(struct codec_wr *w, struct gz_wr *g, struct wr_in *in, bool end,
		    size_t *made)
{
	z_stream *z = &g->z;
	int ret;

	z->next_in = (Bytef *)(uintptr_t)in->p;
	z->avail_in = (uInt)in->n;
	z->next_out = w->out;
	z->avail_out = CODEC_OUT_CHUNK;
	ret = deflate(z, end ? Z_FINISH : Z_NO_FLUSH);
	if (ret == Z_STREAM_ERROR)
		return -codec_wr_fail(w, "deflate");
	codec_wr_took(in, in->n - z->avail_in);
	*made = CODEC_OUT_CHUNK - z->avail_out;
	if (end)
		return ret == Z_STREAM_END ? WR_DONE : WR_MORE;
	return !z->avail_in && z->avail_out ? WR_DONE : WR_MORE;
}

#ifdef HAVE_ISAL
static int isal_wr_start(struct gz_wr *g)
{
	isal_deflate_init(&g->s);
	g->level_buf = xmalloc(ISAL_DEF_LVL1_DEFAULT);
	g->s.level = ISAL_LEVEL;
	g->s.level_buf = g->level_buf;
	g->s.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	g->s.gzip_flag = IGZIP_GZIP;	/* its gzip header and trailer around the deflate data */
	g->s.flush = NO_FLUSH;
	g->isal = true;
	return 0;
}

static int isal_run(struct codec_wr *w, struct gz_wr *g, struct wr_in *in, bool end,
		    size_t *made)
{
	struct isal_zstream *s = &g->s;
	int ret;

	s->next_in = (uint8_t *)(uintptr_t)in->p;
	s->avail_in = (uint32_t)in->n;
	s->next_out = w->out;
	s->avail_out = CODEC_OUT_CHUNK;
	s->end_of_stream = end;
	ret = isal_deflate(s);
	if (ret != COMP_OK)
		return -codec_wr_fail(w, "isal_deflate");
	codec_wr_took(in, in->n - s->avail_in);
	*made = CODEC_OUT_CHUNK - s->avail_out;
	if (end)
		return s->internal_state.state == ZSTATE_END ? WR_DONE : WR_MORE;
	return !s->avail_in && s->avail_out ? WR_DONE : WR_MORE;
}
#endif

static int gzip_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	struct gz_wr *g = xcalloc(1, sizeof(*g));

	(void)like;
	w->priv = g;
#ifdef HAVE_ISAL
	if (!want_zlib("XSAVECTL_ZLIB_DEFLATE"))
		return isal_wr_start(g);
#endif
	return zlib_wr_start(w, g);
}

static int gzip_run(struct codec_wr *w, struct wr_in *in, bool end, size_t *made)
{
	struct gz_wr *g = w->priv;

#ifdef HAVE_ISAL
	if (g->isal)
		return isal_run(w, g, in, end, made);
#endif
	return zlib_run(w, g, in, end, made);
}

static void gzip_wr_end(struct codec_wr *w)
{
	struct gz_wr *g = w->priv;

	if (g && g->live)
		deflateEnd(&g->z);
#ifdef HAVE_ISAL
	if (g)
		free(g->level_buf);
#endif
}

static const struct wr_ops gzip_wr = {
	.init = gzip_wr_init,
	.run = gzip_run,
	.end = gzip_wr_end,
};

/* ---- the tail read: inflated from a block boundary near the end ---------- */

/*
 * gzip has no index: the deflate stream is one run of blocks, each starting at any bit,
 * each free to copy from the 32 KiB before it.  The tail is reached by finding a block
 * boundary some way before the end and inflating from there with the window before it
 * unknown (zlib's raw inflate: inflatePrime for the bits of the boundary's byte,
 * inflateSetDictionary for a guessed window), twice, with windows of all 0x00 and all 0xff.
 * A boundary is a candidate only when its header decodes (checked here, on our own bit
 * reader, before zlib sees it): a dynamic Huffman block whose HLIT and HDIST are in range,
 * whose code-length code is complete and whose literal/length and distance codes are
 * complete or the single-code case zlib accepts, with an end-of-block code; or a stored
 * block, whose LEN is NLEN's complement.  (A fixed Huffman block's header is 3 bits, which
 * noise matches one time in eight: not a candidate.  zlib writes them only for a few bytes.)
 *
 * Why two windows suffice: where the Huffman codes, the lengths and the distances are is
 * decided by the compressed bits alone, so both runs parse the same symbols; each output
 * byte is then a literal, or a copy of an earlier output byte, or a copy of one byte of
 * the window.  A byte of the last kind is 0x00 in the first run and 0xff in the second;
 * every other byte is the same in both, and is the byte the full decode makes whatever the
 * window was.  So a byte equal in both runs does not depend on the window, and only such
 * bytes are handed back: the last @want of them, all window-free, or no tail read.
 *
 * The run must end the deflate stream (its final block) with the 8-byte trailer after it,
 * then nothing but the zero padding the full decode allows, at the end of the file.  The
 * trailer's CRC-32 is of the whole member: not checked (--verify does).  Its size ISIZE is
 * the member's modulo 4 GiB: where the part before the boundary cannot reach 4 GiB (deflate
 * makes at most 1032 bytes of one compressed byte: a 258-byte match in two 1-bit codes) and
 * no other member can start before the boundary, it places the tail exactly, and must fit;
 * else where the tail falls stays unknown (codec_tail's offsets_unknown), and ISIZE says
 * nothing.  Whatever does not hold moves the start back 16 times further, until it would
 * pass the middle of the file, where decompressing it whole costs no more.
 */
#define GZ_WINDOW 32768u		/* deflate's window: the farthest a copy reaches back */
#define GZ_TRAILER 8u			/* CRC-32 and ISIZE, little-endian */
#define GZ_EXPANSION 1032u		/* the most bytes one compressed byte inflates to */
#define GZ_SIZE_MOD (UINT64_C(1) << 32)	/* ISIZE is the size modulo this */
#define GZ_BACKOFF 16u			/* the start moves back this much per try */
#define GZ_TRIES 32u			/* candidate boundaries tried per start */
#define GZ_FAR (256u << 10)		/* a run that fails past this much input started at a
					 * real boundary: the fault is the file's */
#define GZ_SCAN (256u << 10)		/* compressed bytes searched per read */
#define GZ_RATIO_MAX 64u		/* a tail inflating to more than this many times the bytes
					 * it starts back from the end is decompressed whole */
#define GZ_HDR_MAX 320u			/* bytes a dynamic block header can take (2290 bits) */
#define GZ_FLG_RESERVED 0xe0u		/* gzip header flags a member may not set */
#define GZ_CM_DEFLATE 8u
#define DF_HLIT_MAX 29u			/* 257 + 29 literal/length codes */
#define DF_HDIST_MAX 29u		/* 1 + 29 distance codes */
#define DF_CL_CODES 19u
#define DF_CL_BITS 7u
#define DF_CODE_BITS 15u
#define DF_LITS 257u
#define DF_EOB 256u
#define DF_NCODES (DF_LITS + DF_HLIT_MAX + 1 + DF_HDIST_MAX)
#define DF_BTYPE_DYNAMIC 2u

/* The order the code-length code's lengths come in (RFC 1951, 3.2.7). */
static const uint8_t cl_order[DF_CL_CODES] = {
	16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15
};

/* A bounds-checked little-endian bit reader over p[0..n). */
struct bitrd {
	const uint8_t *p;
	uint64_t nbits, pos;
};

static bool bit_get(struct bitrd *b, unsigned k, unsigned *v)
{
	unsigned x = 0;

	if (k > b->nbits - b->pos)
		return false;
	for (unsigned i = 0; i < k; i++, b->pos++)
		x |= (unsigned)(b->p[b->pos >> 3] >> (b->pos & 7) & 1u) << i;
	*v = x;
	return true;
}

/* A prefix code's shape (Kraft's sum over @n lengths of at most @maxbits). */
enum code_shape { SHAPE_EMPTY, SHAPE_COMPLETE, SHAPE_SINGLE, SHAPE_INCOMPLETE, SHAPE_OVER };

static enum code_shape code_shape(const uint8_t *len, unsigned n, unsigned maxbits,
				  unsigned count[DF_CODE_BITS + 1])
{
	unsigned codes = 0;
	long left = 1;

	memset(count, 0, (DF_CODE_BITS + 1) * sizeof(*count));
	for (unsigned i = 0; i < n; i++)
		count[len[i]]++;
	for (unsigned l = 1; l <= maxbits; l++) {
		left = 2 * left - (long)count[l];
		codes += count[l];
		if (left < 0)
			return SHAPE_OVER;
	}
	if (!codes)
		return SHAPE_EMPTY;
	if (!left)
		return SHAPE_COMPLETE;
	return codes == 1 && count[1] == 1 ? SHAPE_SINGLE : SHAPE_INCOMPLETE;
}

/* One symbol of the canonical code-length code (@count per length, @sym by code): -1 none. */
static int cl_decode(struct bitrd *b, const unsigned count[DF_CODE_BITS + 1], const uint8_t *sym)
{
	unsigned code = 0, first = 0, seen = 0, bit;

	for (unsigned l = 1; l <= DF_CL_BITS; l++) {
		if (!bit_get(b, 1, &bit))
			return -1;
		code |= bit;
		if (code - first < count[l])
			return sym[seen + code - first];
		seen += count[l];
		first = (first + count[l]) << 1;
		code <<= 1;
	}
	return -1;
}

/* Does a dynamic Huffman block header start at bit @at of p[0..n) and decode as zlib wants? */
static bool dynamic_header_ok(const uint8_t *p, size_t n, uint64_t at)
{
	struct bitrd b = { .p = p, .nbits = (uint64_t)n * 8, .pos = at };
	unsigned v, hlit, hdist, hclen, count[DF_CODE_BITS + 1], nlen, got = 0;
	uint8_t cl[DF_CL_CODES] = { 0 }, sym[DF_CL_CODES], len[DF_NCODES];

	if (!bit_get(&b, 3, &v) || v >> 1 != DF_BTYPE_DYNAMIC || !bit_get(&b, 5, &hlit) ||
	    hlit > DF_HLIT_MAX || !bit_get(&b, 5, &hdist) || hdist > DF_HDIST_MAX ||
	    !bit_get(&b, 4, &hclen))
		return false;
	for (unsigned i = 0; i < hclen + 4; i++) {
		if (!bit_get(&b, 3, &v))
			return false;
		cl[cl_order[i]] = (uint8_t)v;
	}
	if (code_shape(cl, DF_CL_CODES, DF_CL_BITS, count) != SHAPE_COMPLETE)
		return false;
	{
		unsigned at_len[DF_CL_BITS + 2] = { 0 };

		for (unsigned l = 1; l <= DF_CL_BITS; l++)
			at_len[l + 1] = at_len[l] + count[l];
		for (unsigned s = 0; s < DF_CL_CODES; s++)
			if (cl[s])
				sym[at_len[cl[s]]++] = (uint8_t)s;
	}
	nlen = DF_LITS + hlit + 1 + hdist;
	while (got < nlen) {
		int s = cl_decode(&b, count, sym);
		unsigned rep, fill = 0;

		if (s < 0)
			return false;
		if (s < 16) {
			len[got++] = (uint8_t)s;
			continue;
		}
		if (s == 16) {
			if (!got || !bit_get(&b, 2, &rep))
				return false;
			fill = len[got - 1];
			rep += 3;
		} else if (s == 17) {
			if (!bit_get(&b, 3, &rep))
				return false;
			rep += 3;
		} else {
			if (!bit_get(&b, 7, &rep))
				return false;
			rep += 11;
		}
		if (rep > nlen - got)
			return false;
		memset(len + got, (int)fill, rep);
		got += rep;
	}
	if (!len[DF_EOB])
		return false;
	v = code_shape(len, DF_LITS + hlit, DF_CODE_BITS, count);
	if (v != SHAPE_COMPLETE && v != SHAPE_SINGLE)
		return false;
	v = code_shape(len + DF_LITS + hlit, hdist + 1, DF_CODE_BITS, count);
	return v == SHAPE_COMPLETE || v == SHAPE_SINGLE || v == SHAPE_EMPTY;
}

/*
 * Does a stored block's LEN start at byte @i of p[0..n)?  NLEN is LEN's complement, and the
 * byte before ends in the zero bits of a non-final stored header and its padding (its top
 * three at least).  (Inflate finds a block that does not fit.)
 */
static bool stored_header_ok(const uint8_t *p, size_t n, size_t i)
{
	unsigned len;

	if (i < 1 || n - i < 4 || p[i - 1] & 0xe0)
		return false;
	len = p[i] | (unsigned)p[i + 1] << 8;
	return (len ^ (p[i + 2] | (unsigned)p[i + 3] << 8)) == 0xffff;
}

/* A candidate block boundary: the bit where its header starts, or a stored block's LEN. */
struct gz_cand {
	uint64_t bit;		/* in the file */
	bool stored;		/* bit is that of the byte holding LEN */
};

/*
 * The first candidate at or after bit @from of p[0..n) (the file from @off), starting
 * before byte @scan_end: true and *c, or false.
 */
static bool gz_find(const uint8_t *p, size_t n, size_t scan_end, uint64_t off, uint64_t from,
		    struct gz_cand *c)
{
	for (size_t i = (size_t)(from >> 3); i < scan_end && i < n; i++) {
		unsigned k0 = i == (size_t)(from >> 3) ? (unsigned)(from & 7) : 0;
		uint32_t w = 0;

		if (!k0 && stored_header_ok(p, n, i)) {
			*c = (struct gz_cand){ .bit = (off + i) * 8, .stored = true };
			return true;
		}
		for (unsigned j = 0; j < 4 && i + j < n; j++)
			w |= (uint32_t)p[i + j] << (8 * j);
		for (unsigned k = k0; k < 8; k++) {
			uint32_t x = w >> k;

			/* BTYPE 2, HLIT and HDIST in range: the cheap part first. */
			if ((x >> 1 & 3) != DF_BTYPE_DYNAMIC || (x >> 3 & 31) > DF_HLIT_MAX ||
			    (x >> 8 & 31) > DF_HDIST_MAX || !dynamic_header_ok(p, n, i * 8 + k))
				continue;
			*c = (struct gz_cand){ .bit = (off + i) * 8 + k };
			return true;
		}
	}
	return false;
}

/* One inflate run from a candidate, with one window guess. */
struct gz_run {
	const struct codec_in *in;
	uint64_t end;		/* the file's size */
	uint8_t *cin, *cout;	/* CODEC_IN_CHUNK, CODEC_OUT_CHUNK */
	const uint8_t *dict;	/* GZ_WINDOW bytes of the guess */
	uint8_t *ring;		/* the last cap bytes made: the first run's, kept */
	size_t cap;
	bool compare;		/* the second run: compared with ring, not kept */
	uint64_t limit;		/* the second run: the first run's length */
	uint64_t keep_from;	/* the second run: compare from this output offset */
	uint64_t diff_end;	/* one past the last output byte that differed (0 none) */
	uint64_t out;		/* bytes made */
	uint64_t max_out;	/* more is RUN_LARGE */
	uint64_t stop;		/* file offset of the byte after the deflate stream */
	uint64_t used;		/* compressed bytes read */
	const char *msg;	/* zlib's words for a failure */
};

enum run_end { RUN_END, RUN_BAD, RUN_SHORT, RUN_NOMEM, RUN_LARGE };

/* The second run's bytes @p (@n, at output offset @o) against the first run's. */
static void gz_compare(struct gz_run *r, const uint8_t *p, size_t n, uint64_t o)
{
	uint64_t q = o > r->keep_from ? o : r->keep_from, stop = o + n;

	if (stop > r->limit) {
		r->diff_end = UINT64_MAX;	/* longer than the first: never the same */
		return;
	}
	while (q < stop) {
		size_t at = (size_t)(q % r->cap), k = r->cap - at;
		const uint8_t *a = r->ring + at, *b = p + (q - o);

		if (k > stop - q)
			k = (size_t)(stop - q);
		if (memcmp(a, b, k))
			for (size_t i = k; i-- > 0;)
				if (a[i] != b[i]) {
					r->diff_end = q + i + 1;
					break;
				}
		q += k;
	}
}

/* The first run's bytes @p (@n, at output offset @o) into the ring, keeping the last cap. */
static void gz_keep(struct gz_run *r, const uint8_t *p, size_t n, uint64_t o)
{
	if (n > r->cap) {
		p += n - r->cap;
		o += n - r->cap;
		n = r->cap;
	}
	while (n) {
		size_t at = (size_t)(o % r->cap), k = r->cap - at < n ? r->cap - at : n;

		memcpy(r->ring + at, p, k);
		p += k;
		o += k;
		n -= k;
	}
}

static enum run_end gz_inflate(struct gz_run *r, const struct gz_cand *c)
{
	z_stream z = { 0 };
	uint64_t off = c->bit >> 3, from;
	enum run_end e = RUN_SHORT;
	int ret;

	r->out = r->used = r->stop = 0;
	r->msg = NULL;
	if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
		return RUN_NOMEM;
	ret = inflateSetDictionary(&z, r->dict, GZ_WINDOW);
	if (ret == Z_OK && c->stored)
		ret = inflatePrime(&z, 3, 0);	/* BFINAL 0, BTYPE 00: LEN next, byte-aligned */
	else if (ret == Z_OK && c->bit & 7) {
		uint8_t b;

		if (codec_in_read(r->in, &b, 1, off) != 1) {
			inflateEnd(&z);
			return RUN_SHORT;
		}
		ret = inflatePrime(&z, 8 - (int)(c->bit & 7), b >> (c->bit & 7));
		off++;
	}
	if (ret != Z_OK) {
		inflateEnd(&z);
		return RUN_NOMEM;
	}
	from = off;
	for (;;) {
		size_t made;

		if (!z.avail_in) {
			size_t k = r->end - off < CODEC_IN_CHUNK ? (size_t)(r->end - off)
								 : CODEC_IN_CHUNK;

			if (!k || codec_in_read(r->in, r->cin, k, off) != k)
				break;	/* RUN_SHORT: the file ends inside the deflate stream */
			z.next_in = r->cin;
			z.avail_in = (uInt)k;
			off += k;
		}
		z.next_out = r->cout;
		z.avail_out = CODEC_OUT_CHUNK;
		ret = inflate(&z, Z_NO_FLUSH);
		made = CODEC_OUT_CHUNK - z.avail_out;
		if (r->compare)
			gz_compare(r, r->cout, made, r->out);
		else
			gz_keep(r, r->cout, made, r->out);
		r->out += made;
		if (r->out > r->max_out) {
			e = RUN_LARGE;
			break;
		}
		if (ret == Z_STREAM_END) {
			/* Past the last byte inflate took, less whole bytes it holds unused. */
			r->stop = off - z.avail_in - (uint64_t)((z.data_type & 63) >> 3);
			e = RUN_END;
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			r->msg = z.msg ? z.msg : "bad data";
			e = ret == Z_MEM_ERROR ? RUN_NOMEM : RUN_BAD;
			break;
		}
	}
	r->used = off - z.avail_in - from;
	inflateEnd(&z);
	return e;
}

/* Is only zero padding in the file from @off to @end? */
static bool gz_zeros(const struct codec_in *in, uint8_t *buf, uint64_t off, uint64_t end)
{
	while (off < end) {
		size_t k = end - off < CODEC_IN_CHUNK ? (size_t)(end - off) : CODEC_IN_CHUNK;

		if (codec_in_read(in, buf, k, off) != k)
			return false;
		for (size_t i = 0; i < k; i++)
			if (buf[i])
				return false;
		off += k;
	}
	return true;
}

/* Could a gzip member start anywhere in (@at, @to]?  (Its ID1 ID2 CM, FLG's reserved bits 0.) */
static bool gz_other_member(const struct codec_in *in, uint8_t *buf, uint64_t at, uint64_t to)
{
	for (uint64_t off = at + 1; off <= to;) {
		size_t k = to + 4 - off < CODEC_IN_CHUNK ? (size_t)(to + 4 - off) : CODEC_IN_CHUNK;

		if (codec_in_read(in, buf, k, off) != k)
			return true;	/* unread: it could */
		for (size_t i = 0; i + 4 <= k && off + i <= to; i++)
			if (buf[i] == gzip_magic[0] && buf[i + 1] == gzip_magic[1] &&
			    buf[i + 2] == GZ_CM_DEFLATE && !(buf[i + 3] & GZ_FLG_RESERVED))
				return true;
		off += k - 3;
	}
	return false;
}

/* The outcome of one start: the tail, a try further back, or no tail read at all. */
enum gz_try { TRY_OK, TRY_BACK, TRY_NONE };

struct gz_tail {
	const struct codec_in *in;
	uint64_t at, end, want;
	uint8_t *cin, *cout, *scan, *zeros, *ones;
	struct gz_run r;
	char why[128];		/* what the last try found */
};

static enum gz_try gz_fail(struct gz_tail *g, enum gz_try e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum gz_try gz_fail(struct gz_tail *g, enum gz_try e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->why, sizeof(g->why), fmt, ap);
	va_end(ap);
	return e;
}

/*
 * Run 1 from candidate @c: the deflate stream ends in the trailer and zero padding at the
 * end.  TRY_OK; TRY_BACK for a candidate that was noise (the next is tried); TRY_NONE for
 * a run that went far (a real boundary) and found the file at fault.
 */
static enum gz_try gz_first(struct gz_tail *g, const struct gz_cand *c, uint8_t trailer[8])
{
	struct gz_run *r = &g->r;
	enum run_end e;

	r->compare = false;
	r->dict = g->zeros;
	r->diff_end = 0;
	e = gz_inflate(r, c);
	if (e == RUN_NOMEM)
		return gz_fail(g, TRY_NONE, "zlib cannot start");
	if (e == RUN_LARGE)
		return gz_fail(g, TRY_NONE, "it inflates to over %u times the 0x%llx bytes it starts "
			       "back from the end", GZ_RATIO_MAX, (unsigned long long)(g->end -
										  (c->bit >> 3)));
	if (e == RUN_END && r->stop + GZ_TRAILER <= g->end &&
	    codec_in_read(g->in, trailer, GZ_TRAILER, r->stop) == GZ_TRAILER &&
	    gz_zeros(g->in, g->cout, r->stop + GZ_TRAILER, g->end))
		return TRY_OK;
	if (r->used < GZ_FAR && r->stop + GZ_TRAILER < g->end)
		return gz_fail(g, TRY_BACK, "no block boundary found that inflates to the end");
	if (e == RUN_BAD)
		return gz_fail(g, TRY_NONE, "the deflate data does not inflate (%s)", r->msg);
	if (e == RUN_SHORT)
		return gz_fail(g, TRY_NONE, "the file ends inside the deflate stream");
	return gz_fail(g, TRY_NONE, "the deflate stream ends at 0x%llx, not in its trailer and "
		       "zero padding to the end", (unsigned long long)r->stop);
}

/* One start at @from (a file offset): the tail into t, or why not. */
static enum gz_try gz_try_from(struct gz_tail *g, uint64_t from, struct codec_tail *t)
{
	struct gz_run *r = &g->r;
	uint64_t pos = from * 8, n1, stop, keep, free_from, bound, before = 0;
	uint8_t trailer[GZ_TRAILER];
	struct gz_cand c;
	bool proven;
	unsigned tries = 0;

	for (;;) {
		/* Search a window of the file for the next candidate at or after pos. */
		uint64_t woff = pos >> 3;
		size_t n = g->end - woff < GZ_SCAN + GZ_HDR_MAX ? (size_t)(g->end - woff)
							       : GZ_SCAN + GZ_HDR_MAX;
		enum gz_try e;

		if (woff + GZ_TRAILER >= g->end || tries == GZ_TRIES)
			return gz_fail(g, TRY_BACK, "no block boundary found that inflates to "
				       "the end");
		n = codec_in_read(g->in, g->scan, n, woff);
		if (!n)
			return gz_fail(g, TRY_NONE, "the file cannot be read at 0x%llx",
				       (unsigned long long)woff);
		if (!gz_find(g->scan, n, n > GZ_HDR_MAX ? n - GZ_HDR_MAX : n, woff, pos & 7, &c)) {
			pos = (woff + (n > GZ_HDR_MAX ? n - GZ_HDR_MAX : n)) * 8;
			continue;
		}
		tries++;
		e = gz_first(g, &c, trailer);
		if (e == TRY_OK)
			break;
		if (e == TRY_NONE)
			return e;
		pos = c.bit + 1;
	}
	n1 = r->out;
	stop = r->stop;
	keep = n1 < g->want ? n1 : g->want;
	r->compare = true;
	r->dict = g->ones;
	r->limit = n1;
	r->keep_from = n1 - keep;
	r->diff_end = 0;
	if (gz_inflate(r, &c) != RUN_END || r->out != n1 || r->stop != stop)
		return gz_fail(g, TRY_NONE, "the two inflate runs from 0x%llx differ in length",
			       (unsigned long long)(c.bit >> 3));
	free_from = r->diff_end > n1 - keep ? r->diff_end : n1 - keep;
	if (free_from >= n1)
		return gz_fail(g, TRY_BACK, "no byte inflated from 0x%llx is free of the window "
			       "before it", (unsigned long long)(c.bit >> 3));
	/* ISIZE places the tail where the bytes before the boundary cannot reach 4 GiB, in one member. */
	bound = ((c.bit >> 3) - g->at + 1) * GZ_EXPANSION;
	proven = bound < GZ_SIZE_MOD && !gz_other_member(g->in, g->cin, g->at, c.bit >> 3);
	if (proven) {
		uint32_t isize = (uint32_t)trailer[4] | (uint32_t)trailer[5] << 8 |
				 (uint32_t)trailer[6] << 16 | (uint32_t)trailer[7] << 24;

		before = (uint32_t)(isize - (uint32_t)n1);
		if (before > bound)
			return gz_fail(g, TRY_NONE, "the trailer's size (0x%lx) is not that of the "
				       "data", (unsigned long)isize);
	}
	/* The window-free bytes, from the ring (output offset q at q % want). */
	t->len = (size_t)(n1 - free_from);
	t->buf = xmalloc(t->len);
	for (size_t k = 0; k < t->len;) {
		size_t at = (size_t)((free_from + k) % g->want), m = g->want - at;

		if (m > t->len - k)
			m = t->len - k;
		memcpy(t->buf + k, r->ring + at, m);
		k += m;
	}
	t->offsets_unknown = !proven;
	t->total = proven ? before + n1 : CODEC_TAIL_STANDIN + t->len;
	t->base = t->total - t->len;
	snprintf(t->how, sizeof(t->how), "gzip: inflated twice from a block at 0x%llx, the last "
		 "0x%llx bytes free of the window before it; %s, CRC-32 not checked",
		 (unsigned long long)(c.bit >> 3), (unsigned long long)t->len,
		 proven ? "ISIZE places them" : "ISIZE (mod 4 GiB) places nothing");
	return TRY_OK;
}

static int gzip_tail(const struct codec_in *in, uint64_t at, uint64_t end, uint64_t want,
		     struct codec_tail *t)
{
	struct gz_tail g = { .in = in, .at = at, .end = end, .want = want };
	uint64_t size = end > at ? end - at : 0, span = want;
	enum gz_try e = TRY_BACK;

	if (!want || want > SIZE_MAX / 2)
		return codec_tail_none(t, "gzip: no tail of %llu bytes", (unsigned long long)want);
	if (span > size / 2)
		return codec_tail_none(t, "gzip: 0x%llx bytes, fewer than twice the 0x%llx a tail "
				       "read starts back from the end: decompressed whole",
				       (unsigned long long)size, (unsigned long long)want);
	g.cin = xmalloc(CODEC_IN_CHUNK);
	g.cout = xmalloc(CODEC_OUT_CHUNK);
	g.scan = xmalloc(GZ_SCAN + GZ_HDR_MAX);
	g.zeros = xcalloc(1, GZ_WINDOW);
	g.ones = xmalloc(GZ_WINDOW);
	memset(g.ones, 0xff, GZ_WINDOW);
	g.r = (struct gz_run){ .in = in, .end = end, .cin = g.cin, .cout = g.cout,
			       .ring = xmalloc((size_t)want), .cap = (size_t)want };
	for (; e == TRY_BACK && span <= size / 2; span *= GZ_BACKOFF) {
		g.r.max_out = span * GZ_RATIO_MAX;
		e = gz_try_from(&g, end - span, t);
	}
	free(g.r.ring);
	free(g.cin);
	free(g.cout);
	free(g.scan);
	free(g.zeros);
	free(g.ones);
	if (e == TRY_OK)
		return 0;
	return codec_tail_none(t, "gzip: %s: decompressed whole", g.why);
}

const struct codec_def codec_gzip = {
	.name = "gzip",
	.lib = "zlib",
#ifdef HAVE_ISAL
	.level = "ISA-L level 1 (zlib's level 6 with XSAVECTL_ZLIB_DEFLATE=1)",
#else
	.level = "6 (gzip's default)",
#endif
	.magic = gzip_magic,
	.magic_len = sizeof(gzip_magic),
	.rd = &zlib_rd,
	.wr = &gzip_wr,
	.tail = gzip_tail,
};
