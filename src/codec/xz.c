// SPDX-License-Identifier: MIT
/*
 * xz, through liblzma: one decoder per xz stream (not LZMA_CONCATENATED, so
 * that garbage after one is named as for the other codecs), bounded to
 * XZ_MEMLIMIT; written at preset 0 (the fastest) with a CRC64 check.
 */
#ifdef HAVE_LZMA
#include <lzma.h>
#endif

#include "codec/codec_impl.h"
#include "util.h"

#define XZ_ID1 0xfd
#define XZ_PRESET 0	/* the fastest: a rewrite costs no more than it must */
/*
 * What the decoder may allocate, whatever a header asks for: the dictionary
 * and the decoder state (`xz -9` needs 65 MiB to decompress, the largest
 * dictionary xz(1) writes, 1.5 GiB, about that; the format allows 4 GiB).
 */
#define XZ_MEMLIMIT (256ull << 20)

static const uint8_t xz_magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };

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

struct xz {
	lzma_stream x;
	bool live;
};

static struct xz *xz_new(void)
{
	struct xz *z = xcalloc(1, sizeof(*z));

	z->x = (lzma_stream)LZMA_STREAM_INIT;
	return z;
}

static bool xz_rd_init(struct codec_rd *r)
{
	r->priv = xz_new();	/* the decoder starts with each member */
	return true;
}

static int xz_member(struct codec_rd *r)
{
	struct xz *z = r->priv;
	lzma_ret ret = lzma_stream_decoder(&z->x, XZ_MEMLIMIT, 0);

	z->live = true;
	return ret == LZMA_OK ? STEP_MORE : STEP_NOMEM;
}

static int xz_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	lzma_stream *x = &((struct xz *)r->priv)->x;
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
	return codec_rd_outcome(r, ret == LZMA_STREAM_END,
				ret == LZMA_OK || ret == LZMA_BUF_ERROR,
				TEXT_OF(lzma_texts, ret, UNEXPECTED));
}

static void xz_end(struct xz *z)
{
	if (z && z->live)
		lzma_end(&z->x);
}

static void xz_rd_end(struct codec_rd *r)
{
	xz_end(r->priv);
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
	struct xz *z = xz_new();

	(void)like;
	w->priv = z;
	z->live = lzma_easy_encoder(&z->x, XZ_PRESET, LZMA_CHECK_CRC64) == LZMA_OK;
	return z->live ? 0 : codec_wr_fail(w, "cannot start");
}

static int xz_run(struct codec_wr *w, struct wr_in *in, bool end, size_t *made)
{
	lzma_stream *x = &((struct xz *)w->priv)->x;
	lzma_ret ret;

	x->next_in = in->p;
	x->avail_in = in->n;
	x->next_out = w->out;
	x->avail_out = CODEC_OUT_CHUNK;
	ret = lzma_code(x, end ? LZMA_FINISH : LZMA_RUN);
	if (ret != LZMA_OK && ret != LZMA_STREAM_END)
		return -codec_wr_fail(w, TEXT_OF(lzma_texts, ret, UNEXPECTED));
	codec_wr_took(in, in->n - x->avail_in);
	*made = CODEC_OUT_CHUNK - x->avail_out;
	if (end)
		return ret == LZMA_STREAM_END ? WR_DONE : WR_MORE;
	return !x->avail_in && x->avail_out ? WR_DONE : WR_MORE;
}

static void xz_wr_end(struct codec_wr *w)
{
	xz_end(w->priv);
}

static const struct wr_ops xz_wr = {
	.init = xz_wr_init,
	.run = xz_run,
	.end = xz_wr_end,
};
#endif

const struct codec_def codec_xz = {
	.name = "xz",
	.lib = "liblzma",
	.level = "preset 0 with CRC64 (the fastest; xz -dc reads any preset)",
	.magic = xz_magic,
	.magic_len = sizeof(xz_magic),
#ifdef HAVE_LZMA
	.rd = &xz_rd,
	.wr = &xz_wr,
#endif
};
