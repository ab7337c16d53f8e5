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
	.whole = "one deflate stream without an index or block boundaries to start at: decompressed whole",
};
