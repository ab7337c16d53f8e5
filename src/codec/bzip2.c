// SPDX-License-Identifier: MIT
/*
 * bzip2, through libbz2: one decoder per bzip2 stream (bzip2 -dc reads them
 * one after another); written at level 1, the fastest.  The decoder needs
 * 3.6 MiB at most (level 9, not small mode), fixed by the format.
 */
#include <string.h>

#ifdef HAVE_BZIP2
#include <bzlib.h>
#endif

#include "codec/codec_impl.h"
#include "util.h"

#define BZIP2_ID1 'B'
#define BZIP2_LEVEL 1	/* the fastest (100 kB blocks): a rewrite costs no more than it must */

static const uint8_t bzip2_magic[] = { 'B', 'Z', 'h' };

#ifdef HAVE_BZIP2
static const struct code_text bz_texts[] = {
	{ .code = BZ_DATA_ERROR, .text = "data integrity error (BZ_DATA_ERROR)" },
	{ .code = BZ_DATA_ERROR_MAGIC, .text = "not bzip2 data (BZ_DATA_ERROR_MAGIC)" },
	{ .code = BZ_MEM_ERROR, .text = "out of memory (BZ_MEM_ERROR)" },
	{ .code = BZ_PARAM_ERROR, .text = "bad parameter (BZ_PARAM_ERROR)" },
};

struct bz {
	bz_stream s;
	bool live;
};

static bool bzip2_rd_init(struct codec_rd *r)
{
	r->priv = xcalloc(1, sizeof(struct bz));
	return true;
}

/* A new decoder for each stream. */
static int bzip2_member(struct codec_rd *r)
{
	struct bz *b = r->priv;

	if (b->live)
		BZ2_bzDecompressEnd(&b->s);
	memset(&b->s, 0, sizeof(b->s));
	b->live = BZ2_bzDecompressInit(&b->s, 0, 0) == BZ_OK;
	return b->live ? STEP_MORE : STEP_NOMEM;
}

static int bzip2_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	bz_stream *bz = &((struct bz *)r->priv)->s;
	int ret;

	(void)eof;
	bz->next_in = (char *)r->in + r->in_pos;
	bz->avail_in = (unsigned)(r->in_len - r->in_pos);
	bz->next_out = (char *)p;
	bz->avail_out = (unsigned)n;
	ret = BZ2_bzDecompress(bz);
	r->in_pos = r->in_len - bz->avail_in;
	*made = n - bz->avail_out;
	return codec_rd_outcome(r, ret == BZ_STREAM_END, ret == BZ_OK,
				TEXT_OF(bz_texts, ret, UNEXPECTED));
}

static void bzip2_rd_end(struct codec_rd *r)
{
	struct bz *b = r->priv;

	if (b && b->live)
		BZ2_bzDecompressEnd(&b->s);
}

static const struct rd_ops bzip2_rd = {
	.magic = BZIP2_ID1,
	.input = IN_FED,
	.init = bzip2_rd_init,
	.member = bzip2_member,
	.step = bzip2_step,
	.end = bzip2_rd_end,
};

static int bzip2_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	struct bz *b = xcalloc(1, sizeof(*b));

	(void)like;
	w->priv = b;
	b->live = BZ2_bzCompressInit(&b->s, BZIP2_LEVEL, 0, 0) == BZ_OK;
	return b->live ? 0 : codec_wr_fail(w, "cannot start");
}

static int bzip2_run(struct codec_wr *w, struct wr_in *in, bool end, size_t *made)
{
	bz_stream *bz = &((struct bz *)w->priv)->s;
	int ret;

	bz->next_in = (char *)(uintptr_t)in->p;
	bz->avail_in = (unsigned)in->n;
	bz->next_out = (char *)w->out;
	bz->avail_out = CODEC_OUT_CHUNK;
	ret = BZ2_bzCompress(bz, end ? BZ_FINISH : BZ_RUN);
	if (ret != BZ_RUN_OK && ret != BZ_FINISH_OK && ret != BZ_STREAM_END)
		return -codec_wr_fail(w, TEXT_OF(bz_texts, ret, UNEXPECTED));
	codec_wr_took(in, in->n - bz->avail_in);
	*made = CODEC_OUT_CHUNK - bz->avail_out;
	return (end ? ret == BZ_STREAM_END : !bz->avail_in) ? WR_DONE : WR_MORE;
}

static void bzip2_wr_end(struct codec_wr *w)
{
	struct bz *b = w->priv;

	if (b && b->live)
		BZ2_bzCompressEnd(&b->s);
}

static const struct wr_ops bzip2_wr = {
	.init = bzip2_wr_init,
	.run = bzip2_run,
	.end = bzip2_wr_end,
};
#endif

const struct codec_def codec_bzip2 = {
	.name = "bzip2",
	.lib = "libbz2",
	.level = "1 (the fastest; bzip2 -dc reads any level)",
	.magic = bzip2_magic,
	.magic_len = sizeof(bzip2_magic),
#ifdef HAVE_BZIP2
	.rd = &bzip2_rd,
	.wr = &bzip2_wr,
#endif
	.whole = "its blocks start at bit offsets and say nothing of where they fall in the decompressed stream: decompressed whole",
};
