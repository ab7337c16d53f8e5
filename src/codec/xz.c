// SPDX-License-Identifier: MIT
/*
 * xz, through liblzma: one decoder per xz stream (not LZMA_CONCATENATED, so
 * that garbage after one is named as for the other codecs), bounded to
 * XZ_MEMLIMIT; written at preset 0 (the fastest) with a CRC64 check, in blocks (of
 * liblzma's size for the preset, 1 MiB) with an index, as the threaded encoder writes.
 */
#ifdef HAVE_LZMA
#include <lzma.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/internal.h>

#include "codec/codec_impl.h"
#include "exitcodes.h"
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

/* ---- the tail read: the index says where each block is ------------------- */

#define XZ_INDEX_MAX (64u << 20)	/* an index larger than this is not read */

/* The stream's index, from its footer at @end, checked against its header at @at: 0, or 1. */
static int xz_index(const struct codec_in *in, uint64_t at, uint64_t end, lzma_index **idx,
		    lzma_stream_flags *hf, struct codec_tail *t)
{
	uint8_t h[LZMA_STREAM_HEADER_SIZE], f[LZMA_STREAM_HEADER_SIZE], *ib;
	lzma_stream_flags ff;
	uint64_t memlimit = XZ_MEMLIMIT;
	size_t pos = 0;
	lzma_ret ret;

	if (end - at < 2 * LZMA_STREAM_HEADER_SIZE ||
	    codec_in_read(in, h, sizeof(h), at) != sizeof(h) ||
	    codec_in_read(in, f, sizeof(f), end - sizeof(f)) != sizeof(f) ||
	    lzma_stream_header_decode(hf, h) != LZMA_OK)
		return codec_tail_none(t, "xz: no stream header and footer to read");
	if (lzma_stream_footer_decode(&ff, f) != LZMA_OK)
		return codec_tail_none(t, "xz: the file does not end in a stream footer (padding "
				       "or another stream after it): decompressed whole");
	if (lzma_stream_flags_compare(hf, &ff) != LZMA_OK)
		return codec_tail_none(t, "xz: the stream footer's flags differ from its header's");
	if (ff.backward_size > XZ_INDEX_MAX ||
	    ff.backward_size > end - at - 2 * LZMA_STREAM_HEADER_SIZE)
		return codec_tail_none(t, "xz: the footer's index size (%llu bytes) does not fit",
				       (unsigned long long)ff.backward_size);
	ib = xmalloc((size_t)ff.backward_size);
	*idx = NULL;
	if (codec_in_read(in, ib, (size_t)ff.backward_size,
			  end - sizeof(f) - ff.backward_size) != ff.backward_size)
		ret = LZMA_BUF_ERROR;
	else
		ret = lzma_index_buffer_decode(idx, &memlimit, NULL, ib, &pos,
					       (size_t)ff.backward_size);
	free(ib);
	if (ret != LZMA_OK || pos != ff.backward_size) {
		if (ret == LZMA_OK)
			lzma_index_end(*idx, NULL);
		return codec_tail_none(t, "xz: the index does not decode (%s)",
				       TEXT_OF(lzma_texts, ret, "its size is not the footer's"));
	}
	if (lzma_index_stream_flags(*idx, &ff) != LZMA_OK ||
	    lzma_index_file_size(*idx) != end - at) {
		lzma_index_end(*idx, NULL);
		return codec_tail_none(t, "xz: the index's blocks do not fill the file to its footer");
	}
	return 0;
}

/*
 * The block @it points at, decompressed; the bytes from decompressed offset t->base on
 * copied into t->buf.  Its header, sizes and check are verified by liblzma.  0, or 1.
 */
static int xz_tail_block(const struct codec_in *in, uint64_t at, const lzma_index_iter *it,
			 lzma_check check, uint8_t *cin, uint8_t *cout, struct codec_tail *t)
{
	lzma_filter filters[LZMA_FILTERS_MAX + 1];
	lzma_block b = { .version = 1, .check = check, .filters = filters };
	lzma_stream x = LZMA_STREAM_INIT;
	uint64_t off = at + it->block.compressed_file_offset, left = it->block.total_size;
	uint64_t made = it->block.uncompressed_file_offset;
	uint8_t hdr[LZMA_BLOCK_HEADER_SIZE_MAX];
	lzma_ret ret = LZMA_OK;

	if (codec_in_read(in, hdr, 1, off) != 1 || !hdr[0])
		return codec_tail_none(t, "xz: no block header at 0x%llx", (unsigned long long)off);
	b.header_size = lzma_block_header_size_decode(hdr[0]);
	if (b.header_size > left ||
	    codec_in_read(in, hdr + 1, b.header_size - 1, off + 1) != b.header_size - 1 ||
	    lzma_block_header_decode(&b, NULL, hdr) != LZMA_OK)
		return codec_tail_none(t, "xz: the block header at 0x%llx does not decode",
				       (unsigned long long)off);
	if (lzma_block_compressed_size(&b, it->block.unpadded_size) != LZMA_OK ||
	    lzma_raw_decoder_memusage(filters) > XZ_MEMLIMIT ||
	    lzma_block_decoder(&x, &b) != LZMA_OK)
		ret = LZMA_DATA_ERROR;
	for (size_t i = 0; filters[i].id != LZMA_VLI_UNKNOWN; i++)
		free(filters[i].options);
	off += b.header_size;
	left -= b.header_size;
	while (ret == LZMA_OK) {
		size_t k = left < CODEC_IN_CHUNK ? (size_t)left : CODEC_IN_CHUNK;

		if (!x.avail_in && k) {
			if (codec_in_read(in, cin, k, off) != k)
				break;
			x.next_in = cin;
			x.avail_in = k;
			off += k;
			left -= k;
		}
		x.next_out = cout;
		x.avail_out = CODEC_OUT_CHUNK;
		ret = lzma_code(&x, left || x.avail_in ? LZMA_RUN : LZMA_FINISH);
		for (size_t i = 0, n = CODEC_OUT_CHUNK - x.avail_out; i < n; i++, made++)
			if (made >= t->base && made < t->total)
				t->buf[made - t->base] = cout[i];
	}
	lzma_end(&x);
	if (ret != LZMA_STREAM_END ||
	    made != it->block.uncompressed_file_offset + it->block.uncompressed_size)
		return codec_tail_none(t, "xz: the block at 0x%llx does not decompress (%s)",
				       (unsigned long long)(at + it->block.compressed_file_offset),
				       TEXT_OF(lzma_texts, ret, "its size is not the index's"));
	return 0;
}

/* The blocks that hold the last @want bytes, found in the index. */
static int xz_tail(const struct codec_in *in, uint64_t at, uint64_t end, uint64_t want,
		   struct codec_tail *t)
{
	lzma_stream_flags hf;
	lzma_index *idx;
	lzma_index_iter it;
	uint8_t *cin, *cout;
	uint64_t from;
	int rc = xz_index(in, at, end, &idx, &hf, t);

	if (rc)
		return rc;
	t->blocks = lzma_index_block_count(idx);
	t->total = lzma_index_uncompressed_size(idx);
	if (t->blocks < 2) {
		lzma_index_end(idx, NULL);
		return codec_tail_none(t, "xz: a single block (written by a single-threaded "
				       "encoder): decompressed whole");
	}
	t->base = t->total > want ? t->total - want : 0;
	t->len = (size_t)(t->total - t->base);
	t->buf = xmalloc(t->len ? t->len : 1);
	cin = xmalloc(CODEC_IN_CHUNK);
	cout = xmalloc(CODEC_OUT_CHUNK);
	lzma_index_iter_init(&it, idx);
	if (lzma_index_iter_locate(&it, t->base))
		rc = codec_tail_none(t, "xz: the index has no block at 0x%llx",
				     (unsigned long long)t->base);
	from = at + it.block.compressed_file_offset;
	for (bool more = !rc; more && !rc; more = !lzma_index_iter_next(&it, LZMA_INDEX_ITER_BLOCK)) {
		rc = xz_tail_block(in, at, &it, hf.check, cin, cout, t);
		t->used++;
	}
	if (!rc)
		snprintf(t->how, sizeof(t->how), "xz: %llu of %llu blocks decompressed (from 0x%llx "
			 "in the file)", (unsigned long long)t->used, (unsigned long long)t->blocks,
			 (unsigned long long)from);
	free(cin);
	free(cout);
	lzma_index_end(idx, NULL);
	return rc;
}

/* ---- the in-place rewrite from the tail: blocks, a new index and footer ------- */

/* A block from the first rewritten on, as the index gives it. */
struct xz_blk {
	uint64_t off, total, unpadded, dlen;	/* in the file (with padding), then unpadded */
};

struct xz_splice {
	lzma_index *idx;
	lzma_stream_flags hf;
	struct xz_blk *blks;	/* from the first rewritten to the last */
	size_t n;
	uint8_t *orig;		/* the decompressed tail as read, to tell the blocks changed */
};

/* The index, then the blocks from the one holding decompressed offset @from, decompressed. */
static int xz_splice_open(struct codec_splice *sp, uint64_t from)
{
	struct xz_splice *z = xcalloc(1, sizeof(*z));
	struct codec_tail t = { 0 };
	lzma_index_iter it;
	uint8_t *cin, *cout;
	int rc = xz_index(&sp->in, sp->at, sp->end, &z->idx, &z->hf, &t);

	sp->priv = z;
	if (rc) {
		z->idx = NULL;
		snprintf(sp->how, sizeof(sp->how), "%s", t.how);
		return 1;
	}
	t.blocks = lzma_index_block_count(z->idx);
	t.total = lzma_index_uncompressed_size(z->idx);
	lzma_index_iter_init(&it, z->idx);
	if (t.blocks < 2)
		rc = codec_tail_none(&t, "xz: a single block (written by a single-threaded "
				     "encoder): no block the rest does not depend on");
	else if (from >= t.total || lzma_index_iter_locate(&it, from))
		rc = codec_tail_none(&t, "xz: the index has no block at 0x%llx",
				     (unsigned long long)from);
	else if (t.total - it.block.uncompressed_file_offset > CODEC_SPLICE_MAX)
		rc = codec_tail_none(&t, "xz: the blocks from 0x%llx hold 0x%llx bytes, too many to "
				     "journal", (unsigned long long)(sp->at +
								     it.block.compressed_file_offset),
				     (unsigned long long)(t.total - it.block.uncompressed_file_offset));
	if (rc) {
		snprintf(sp->how, sizeof(sp->how), "%s", t.how);
		return 1;
	}
	sp->blocks = t.blocks;
	sp->first = it.block.number_in_file - 1;
	sp->file_off = sp->at + it.block.compressed_file_offset;
	sp->base = t.base = it.block.uncompressed_file_offset;
	sp->len = t.len = (size_t)(t.total - t.base);
	sp->buf = t.buf = xmalloc(sp->len ? sp->len : 1);
	z->blks = xcalloc(t.blocks - sp->first, sizeof(*z->blks));
	cin = xmalloc(CODEC_IN_CHUNK);
	cout = xmalloc(CODEC_OUT_CHUNK);
	for (bool more = true; more && !rc; more = !lzma_index_iter_next(&it, LZMA_INDEX_ITER_BLOCK)) {
		z->blks[z->n++] = (struct xz_blk){ .off = sp->at + it.block.compressed_file_offset,
						   .total = it.block.total_size,
						   .unpadded = it.block.unpadded_size,
						   .dlen = it.block.uncompressed_size };
		rc = xz_tail_block(&sp->in, sp->at, &it, z->hf.check, cin, cout, &t);
	}
	free(cin);
	free(cout);
	if (rc) {
		sp->buf = NULL;	/* freed with t */
		snprintf(sp->how, sizeof(sp->how), "%s", t.how);
		return 1;
	}
	z->orig = xmalloc(sp->len ? sp->len : 1);
	memcpy(z->orig, sp->buf, sp->len);
	return 0;
}

/* Block @data (@n bytes) encoded at XZ_PRESET with @check, appended at out + *pos. */
static lzma_ret xz_block_encode(lzma_check check, const uint8_t *data, size_t n, uint8_t *out,
				size_t *pos, size_t cap, lzma_vli *unpadded)
{
	lzma_options_lzma opt;
	lzma_filter filters[] = { { .id = LZMA_FILTER_LZMA2, .options = &opt },
				  { .id = LZMA_VLI_UNKNOWN } };
	lzma_block b = { .version = 1, .check = check, .filters = filters };
	lzma_ret ret;

	if (lzma_lzma_preset(&opt, XZ_PRESET))
		return LZMA_OPTIONS_ERROR;
	ret = lzma_block_buffer_encode(&b, NULL, data, n, out, pos, cap);
	*unpadded = lzma_block_unpadded_size(&b);
	return ret;
}

static int xz_splice_encode(struct codec_splice *sp, uint8_t **out, size_t *outlen,
			    struct xs_diag *d)
{
	struct xz_splice *z = sp->priv;
	lzma_index *idx = lzma_index_init(NULL);
	lzma_index_iter it;
	lzma_stream_flags ff = { .version = 0, .check = z->hf.check };
	size_t cap = LZMA_STREAM_HEADER_SIZE, pos = 0, o = 0;
	lzma_ret ret = idx ? LZMA_OK : LZMA_MEM_ERROR;
	uint64_t kept = 0;

	for (size_t i = 0; i < z->n; i++)
		cap += lzma_block_buffer_bound((size_t)z->blks[i].dlen) + (size_t)z->blks[i].total;
	/* The blocks before the first rewritten, into the new index as they are. */
	lzma_index_iter_init(&it, z->idx);
	while (ret == LZMA_OK && kept < sp->first && !lzma_index_iter_next(&it, LZMA_INDEX_ITER_BLOCK)) {
		ret = lzma_index_append(idx, NULL, it.block.unpadded_size,
					it.block.uncompressed_size);
		kept++;
	}
	*out = xmalloc(cap);
	for (size_t i = 0; ret == LZMA_OK && i < z->n; o += (size_t)z->blks[i].dlen, i++) {
		const struct xz_blk *k = &z->blks[i];
		lzma_vli unpadded = k->unpadded;

		if (!memcmp(sp->buf + o, z->orig + o, (size_t)k->dlen)) {
			/* Unchanged: its bytes (header, data, padding, check) as they are. */
			if (codec_in_read(&sp->in, *out + pos, (size_t)k->total, k->off) != k->total) {
				lzma_index_end(idx, NULL);
				free(*out);
				*out = NULL;
				xs_fail(d, 0, false, 0, "the xz block at 0x%llx cannot be read again",
					(unsigned long long)k->off);
				return EXIT_IOERR;
			}
			pos += (size_t)k->total;
		} else {
			ret = xz_block_encode(z->hf.check, sp->buf + o, (size_t)k->dlen, *out, &pos,
					      cap, &unpadded);
			sp->encoded++;
		}
		if (ret == LZMA_OK)
			ret = lzma_index_append(idx, NULL, unpadded, k->dlen);
	}
	if (ret == LZMA_OK) {
		ff.backward_size = lzma_index_size(idx);
		cap = pos + (size_t)ff.backward_size + LZMA_STREAM_HEADER_SIZE;
		*out = xrealloc(*out, cap);
		ret = lzma_index_buffer_encode(idx, *out, &pos, cap);
	}
	if (ret == LZMA_OK)
		ret = lzma_stream_footer_encode(&ff, *out + pos);
	if (idx)
		lzma_index_end(idx, NULL);
	if (ret != LZMA_OK) {
		free(*out);
		*out = NULL;
		xs_fail(d, 0, false, 0, "xz compression failed: %s",
			TEXT_OF(lzma_texts, ret, UNEXPECTED));
		return EXIT_SOFTWARE;
	}
	*outlen = pos + LZMA_STREAM_HEADER_SIZE;
	return 0;
}

static void xz_splice_free(struct codec_splice *sp)
{
	struct xz_splice *z = sp->priv;

	if (z) {
		if (z->idx)
			lzma_index_end(z->idx, NULL);
		free(z->blks);
		free(z->orig);
		free(z);
	}
}

static int xz_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	struct xz *z = xz_new();

	(void)like;
	w->priv = z;
	/* In blocks with an index (the threaded encoder, on one thread): the tail read's. */
	z->live = lzma_stream_encoder_mt(&z->x, &(lzma_mt){ .threads = 1, .preset = XZ_PRESET,
							  .check = LZMA_CHECK_CRC64 }) == LZMA_OK;
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
	.tail = xz_tail,
	.splice_open = xz_splice_open,
	.splice_encode = xz_splice_encode,
	.splice_free = xz_splice_free,
#endif
	.whole = "not built in",
};
