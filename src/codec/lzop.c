// SPDX-License-Identifier: MIT
/*
 * lzop: LZO1X blocks (liblzo2) inside lzop's file format (lzop 1.04,
 * doc/magic and its README): a header, blocks each with its sizes and
 * checksums, an end marker.  A block is at most LZOP_MAX_BLOCK bytes, fixed by
 * the format.  The writer keeps the input's header, flags and block size when
 * the input is lzop too, else writes as `lzop -c` does (LZO1X-1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#ifdef HAVE_LZO
#include <lzo/lzo1x.h>
#endif

#include <xsave/internal.h>

#include "codec/codec_impl.h"
#include "exitcodes.h"
#include "util.h"

#define LZOP_ID1 0x89
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
#define LZOP_F_SEEN 0x80000000u	/* ours, in lzop_rd.flags: a header was kept */
#define LZOP_MAX_BLOCK (64u << 20)
#define LZOP_BLOCK (256u << 10)	/* lzop's default block size */
#define LZOP_HDR_MAX (64u + 255u + 12u)

static const uint8_t lzop_magic[] = LZOP_MAGIC;

#ifdef HAVE_LZO
struct lzop_rd {
	uint8_t hdr[LZOP_HDR_MAX];	/* the first member's header, for the writer */
	size_t hdr_len;
	uint32_t flags, block;
	uint8_t *blk, *cblk;
	size_t blk_len, blk_pos, blk_cap, cblk_cap;
};

static uint32_t lzop_sum(bool crc, const uint8_t *p, size_t n)
{
	return crc ? (uint32_t)crc32(0, p, (uInt)n) : (uint32_t)adler32(1, p, (uInt)n);
}

/* The header's fixed fields after the magic: version, method, flags, mode, mtime, name. */
static int lzop_header_fields(struct codec_rd *r, uint8_t *h, uint8_t **qp, uint32_t *flagsp)
{
	uint8_t *q = *qp;
	unsigned version, method;
	int rc;

#define TAKE(k, what)                                              \
	do {                                                       \
		if ((rc = codec_rd_take(r, q, (k), (what))))       \
			return rc;                                 \
		q += (k);                                          \
	} while (0)
	version = (unsigned)h[9] << 8 | h[10];
	if (version < 0x0900)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "is in lzop format version 0x%04x, older "
					 "than 0x0900", version);
	if (version >= 0x0940) {
		TAKE(2, "its header");
		if (((unsigned)q[-2] << 8 | q[-1]) > 0x1040)
			return (int)codec_rd_bad(r, EXIT_DATAERR, "needs lzop version 0x%04x to "
						 "extract", (unsigned)q[-2] << 8 | q[-1]);
	}
	TAKE(version >= 0x0940 ? 2 : 1, "its header");
	method = q[version >= 0x0940 ? -2 : -1];
	if (method < 1 || method > 3)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "uses lzop method %u (not LZO1X)", method);
	TAKE(4, "its header");
	*flagsp = codec_be32(q - 4);
	if (*flagsp & LZOP_F_H_FILTER)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "uses an lzop filter (not supported)");
	if (*flagsp & LZOP_F_MULTIPART)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "is a multi-part lzop file (not "
					 "supported)");
	TAKE(version >= 0x0940 ? 12 : 8, "its header");	/* mode, mtime */
	TAKE(1, "its header");
	TAKE(q[-1], "its header's file name");
#undef TAKE
	*qp = q;
	return 0;
}

/* An extra field (flagged): skipped, and left out of the kept header, whose checksum is redone. */
static int lzop_extra(struct codec_rd *r, uint8_t *h, size_t hl, uint32_t *flags)
{
	unsigned version = (unsigned)h[9] << 8 | h[10];
	uint8_t e[4];
	uint32_t len;
	int rc;

	if ((rc = codec_rd_take(r, e, 4, "its header's extra field")))
		return rc;
	len = codec_be32(e);
	for (uint32_t i = 0; i < len + 4; i++)
		if ((rc = codec_rd_take(r, e, 1, "its header's extra field")))
			return rc;
	*flags &= ~LZOP_F_H_EXTRA;
	codec_put_be32(h + (version >= 0x0940 ? 17 : 14), *flags);
	codec_put_be32(h + hl - 4, lzop_sum(*flags & LZOP_F_H_CRC32, h + LZOP_MAGIC_LEN,
					     hl - 4 - LZOP_MAGIC_LEN));
	return 0;
}

/* lzop's header (its magic to its checksum, and an extra field if flagged). */
static int lzop_header(struct codec_rd *r)
{
	struct lzop_rd *z = r->priv;
	uint8_t h[LZOP_HDR_MAX], *q = h;
	uint32_t flags = 0, sum;
	size_t hl;
	int rc;

	if ((rc = codec_rd_take(r, q, LZOP_MAGIC_LEN + 4, "its header")))
		return rc;
	q += LZOP_MAGIC_LEN + 4;
	if (memcmp(h, LZOP_MAGIC, LZOP_MAGIC_LEN))
		return (int)codec_rd_bad(r, EXIT_DATAERR, "is not lzop data (bad magic)");
	if ((rc = lzop_header_fields(r, h, &q, &flags)))
		return rc;
	sum = lzop_sum(flags & LZOP_F_H_CRC32, h + LZOP_MAGIC_LEN, (size_t)(q - h) - LZOP_MAGIC_LEN);
	if ((rc = codec_rd_take(r, q, 4, "its header")))
		return rc;
	q += 4;
	if (codec_be32(q - 4) != sum)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "has a bad lzop header checksum (0x%08x, "
					 "computed 0x%08x)", codec_be32(q - 4), sum);
	hl = (size_t)(q - h);
	if ((flags & LZOP_F_H_EXTRA) && (rc = lzop_extra(r, h, hl, &flags)))
		return rc;
	if (!z->flags && r->out_pos == 0) {
		memcpy(z->hdr, h, hl);
		z->hdr_len = hl;
		z->flags = flags | LZOP_F_SEEN;
	}
	z->flags = (z->flags & LZOP_F_SEEN) | flags;
	return 0;
}

static void lzop_grow(uint8_t **p, size_t *cap, size_t n)
{
	if (*cap < n) {
		*p = xrealloc(*p, n);
		*cap = n;
	}
}

/* A compressed block of @clen bytes into z->blk (@dlen bytes), its checksum @csum checked. */
static int lzop_unpack(struct codec_rd *r, uint32_t dlen, uint32_t clen, uint32_t csum)
{
	struct lzop_rd *z = r->priv;
	uint32_t flags = z->flags;
	lzo_uint got = dlen;
	int rc;

	lzop_grow(&z->cblk, &z->cblk_cap, clen);
	if ((rc = codec_rd_take(r, z->cblk, clen, "a block")))
		return rc;
	if ((flags & (LZOP_F_ADLER32_C | LZOP_F_CRC32_C)) &&
	    lzop_sum(!(flags & LZOP_F_ADLER32_C), z->cblk, clen) != csum)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "is corrupt: a block's compressed "
					 "checksum is 0x%08x, computed 0x%08x", csum,
					 lzop_sum(!(flags & LZOP_F_ADLER32_C), z->cblk, clen));
	rc = lzo1x_decompress_safe(z->cblk, clen, z->blk, &got, NULL);
	if (rc != LZO_E_OK || got != dlen)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "is corrupt: LZO1X decompression failed "
					 "(error %d, %lu of %u bytes)", rc, (unsigned long)got, dlen);
	return 0;
}

/* The next block into z->blk: 1 a block, 0 the member's end marker, <0 an exit code. */
static int lzop_block(struct codec_rd *r)
{
	struct lzop_rd *z = r->priv;
	uint8_t w[4];
	uint32_t dlen, clen, dsum = 0, csum = 0;
	uint32_t flags = z->flags;
	int rc;

	if ((rc = codec_rd_take(r, w, 4, "a block header")))
		return rc;
	dlen = codec_be32(w);
	if (dlen == 0)
		return 0;
	if (dlen > LZOP_MAX_BLOCK)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "has an lzop block of %u bytes (the limit "
					 "is %u)", dlen, LZOP_MAX_BLOCK);
	if ((rc = codec_rd_take(r, w, 4, "a block header")))
		return rc;
	clen = codec_be32(w);
	if (clen == 0 || clen > dlen)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "has an lzop block of %u bytes compressed "
					 "to %u", dlen, clen);
	if (flags & (LZOP_F_ADLER32_D | LZOP_F_CRC32_D)) {
		if ((rc = codec_rd_take(r, w, 4, "a block header")))
			return rc;
		dsum = codec_be32(w);
	}
	if (clen < dlen && (flags & (LZOP_F_ADLER32_C | LZOP_F_CRC32_C))) {
		if ((rc = codec_rd_take(r, w, 4, "a block header")))
			return rc;
		csum = codec_be32(w);
	}
	if (!z->block)
		z->block = dlen;
	lzop_grow(&z->blk, &z->blk_cap, dlen);
	if (clen == dlen)
		rc = codec_rd_take(r, z->blk, clen, "a block");
	else
		rc = lzop_unpack(r, dlen, clen, csum);
	if (rc)
		return rc;
	if ((flags & (LZOP_F_ADLER32_D | LZOP_F_CRC32_D)) &&
	    lzop_sum(!(flags & LZOP_F_ADLER32_D), z->blk, dlen) != dsum)
		return (int)codec_rd_bad(r, EXIT_DATAERR, "is corrupt: a block's checksum is 0x%08x, "
					 "computed 0x%08x", dsum,
					 lzop_sum(!(flags & LZOP_F_ADLER32_D), z->blk, dlen));
	z->blk_len = dlen;
	z->blk_pos = 0;
	return 1;
}

static bool lzop_rd_init(struct codec_rd *r)
{
	r->priv = xcalloc(1, sizeof(struct lzop_rd));
	return lzo_init() == LZO_E_OK;
}

/* The rest of the block read last, else the next block (read through codec_rd_take). */
static int lzop_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	struct lzop_rd *z = r->priv;
	int f;

	(void)eof;
	if (z->blk_pos < z->blk_len) {
		size_t m = z->blk_len - z->blk_pos < n ? z->blk_len - z->blk_pos : n;

		memcpy(p, z->blk + z->blk_pos, m);
		z->blk_pos += m;
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
	struct lzop_rd *z = r->priv;

	if (z) {
		free(z->blk);
		free(z->cblk);
	}
}

static const struct rd_ops lzop_rd = {
	.magic = LZOP_ID1,
	.input = IN_OWN,
	.init = lzop_rd_init,
	.member = lzop_header,
	.step = lzop_step,
	.end = lzop_rd_end,
};

/* ---- the tail read: block headers walked by seeking ---------------------- */

/* A block as its header says: where its data is, its sizes and checksums. */
struct lzop_blk {
	uint64_t hdr, off;	/* where its header and its data start in the file */
	uint32_t dlen, clen, dsum, csum;
};

/* The most a block header takes: its two sizes and two checksums. */
#define LZOP_BLK_HDR_MAX 16u

/*
 * Walk the block headers from @pos on, each read where the one before says its block ends,
 * into *blks (*n of them), up to the end marker, which must end the file.  0, or 1 with
 * t->how.
 */
static int lzop_walk(const struct codec_in *in, uint64_t pos, uint64_t end, uint32_t flags,
		     struct lzop_blk **blks, size_t *n, struct codec_tail *t)
{
	size_t cap = 0;
	uint8_t h[LZOP_BLK_HDR_MAX];

	*n = 0;
	for (;;) {
		size_t got = codec_in_read(in, h, sizeof(h), pos), hl = 8;
		struct lzop_blk k = { 0 };

		if (got < 4)
			return codec_tail_none(t, "lzop: the block header at 0x%llx is cut short",
					       (unsigned long long)pos);
		k.dlen = codec_be32(h);
		if (!k.dlen)
			break;
		if (got >= 8)
			k.clen = codec_be32(h + 4);
		if (flags & (LZOP_F_ADLER32_D | LZOP_F_CRC32_D))
			k.dsum = codec_be32(h + hl), hl += 4;
		if (k.clen < k.dlen && (flags & (LZOP_F_ADLER32_C | LZOP_F_CRC32_C)))
			k.csum = codec_be32(h + hl), hl += 4;
		if (got < hl || k.dlen > LZOP_MAX_BLOCK || !k.clen || k.clen > k.dlen)
			return codec_tail_none(t, "lzop: the block header at 0x%llx does not hold "
					       "(%u bytes compressed to %u)", (unsigned long long)pos,
					       k.dlen, k.clen);
		k.hdr = pos;
		k.off = pos + hl;
		pos = k.off + k.clen;
		if (pos > end)
			return codec_tail_none(t, "lzop: the block at 0x%llx runs past the end of the "
					       "file", (unsigned long long)k.off);
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			*blks = xrealloc(*blks, cap * sizeof(**blks));
		}
		(*blks)[(*n)++] = k;
		t->total += k.dlen;
	}
	if (pos + 4 != end)
		return codec_tail_none(t, "lzop: more follows its end marker (0x%llx): "
				       "decompressed whole", (unsigned long long)pos);
	return 0;
}

/* Block @k into @dst (k->dlen bytes), its checksums checked: 0, or 1 with t->how. */
static int lzop_tail_block(const struct codec_in *in, const struct lzop_blk *k, uint32_t flags,
			   uint8_t *dst, uint8_t *cbuf, struct codec_tail *t)
{
	bool stored = k->clen == k->dlen;
	lzo_uint got = k->dlen;

	if (codec_in_read(in, stored ? dst : cbuf, k->clen, k->off) != k->clen)
		return codec_tail_none(t, "lzop: the block at 0x%llx is cut short",
				       (unsigned long long)k->off);
	if (!stored) {
		if ((flags & (LZOP_F_ADLER32_C | LZOP_F_CRC32_C)) &&
		    lzop_sum(!(flags & LZOP_F_ADLER32_C), cbuf, k->clen) != k->csum)
			return codec_tail_none(t, "lzop: the block at 0x%llx has a bad compressed "
					       "checksum", (unsigned long long)k->off);
		if (lzo1x_decompress_safe(cbuf, k->clen, dst, &got, NULL) != LZO_E_OK ||
		    got != k->dlen)
			return codec_tail_none(t, "lzop: the block at 0x%llx does not decompress",
					       (unsigned long long)k->off);
	}
	if ((flags & (LZOP_F_ADLER32_D | LZOP_F_CRC32_D)) &&
	    lzop_sum(!(flags & LZOP_F_ADLER32_D), dst, k->dlen) != k->dsum)
		return codec_tail_none(t, "lzop: the block at 0x%llx has a bad checksum",
				       (unsigned long long)k->off);
	return 0;
}

/* The header read as the decoder reads it, then the blocks that hold the last @want bytes. */
static int lzop_tail(const struct codec_in *in, uint64_t at, uint64_t end, uint64_t want,
		     struct codec_tail *t)
{
	struct codec_rd *r;
	struct xs_diag d;
	struct lzop_blk *blks = NULL;
	uint8_t *cbuf = NULL;
	uint32_t flags;
	uint64_t pos;
	size_t n = 0, first;
	int rc;

	if (codec_rd_open(CODEC_LZOP, in, at, &r, &d))
		return codec_tail_none(t, "lzop: cannot start");
	rc = lzop_header(r);
	flags = ((struct lzop_rd *)r->priv)->flags;
	pos = codec_rd_file_pos(r);
	codec_rd_close(r);
	if (rc)
		return codec_tail_none(t, "lzop: its header does not read");
	rc = lzop_walk(in, pos, end, flags, &blks, &n, t);
	if (!rc) {
		uint64_t have = 0;
		uint32_t cmax = 1;

		for (first = n; first > 0 && have < want; first--) {
			have += blks[first - 1].dlen;
			if (blks[first - 1].clen > cmax)
				cmax = blks[first - 1].clen;
		}
		t->base = t->total - have;
		t->len = (size_t)have;
		t->buf = xmalloc(t->len ? t->len : 1);
		cbuf = xmalloc(cmax);
		t->blocks = n;
		t->used = n - first;
		for (size_t i = first, o = 0; !rc && i < n; o += blks[i].dlen, i++)
			rc = lzop_tail_block(in, &blks[i], flags, t->buf + o, cbuf, t);
	}
	if (!rc)
		snprintf(t->how, sizeof(t->how), "lzop: %llu of %llu blocks decompressed (from 0x%llx "
			 "in the file)", (unsigned long long)t->used, (unsigned long long)t->blocks,
			 (unsigned long long)(t->used ? blks[first].off : pos));
	free(cbuf);
	free(blks);
	return rc;
}

/* The room LZO1X-1 may need to compress @n bytes. */
#define LZOP_CBOUND(n) ((n) + (n) / 16 + 64 + 3)

/*
 * Block @blk (@n bytes) compressed with LZO1X-1 into @cblk (LZOP_CBOUND(n) bytes), its header
 * (sizes and the checksums @f flags) into @h (*hl bytes); *clen its data's length (@n: stored,
 * the data is @blk itself).  0, or -1 when the compressor fails.
 */
static int lzop_pack(uint32_t f, const uint8_t *blk, size_t n, uint8_t *cblk, void *wrk,
		     uint8_t h[LZOP_BLK_HDR_MAX], size_t *hl, size_t *clen)
{
	lzo_uint c = 0;

	if (lzo1x_1_compress(blk, n, cblk, &c, wrk) != LZO_E_OK)
		return -1;
	*hl = 8;
	codec_put_be32(h, (uint32_t)n);
	if (c >= n)
		c = n;	/* stored */
	codec_put_be32(h + 4, (uint32_t)c);
	if (f & (LZOP_F_ADLER32_D | LZOP_F_CRC32_D)) {
		codec_put_be32(h + *hl, lzop_sum(!(f & LZOP_F_ADLER32_D), blk, n));
		*hl += 4;
	}
	if (c < n && (f & (LZOP_F_ADLER32_C | LZOP_F_CRC32_C))) {
		codec_put_be32(h + *hl, lzop_sum(!(f & LZOP_F_ADLER32_C), cblk, c));
		*hl += 4;
	}
	*clen = c;
	return 0;
}

/* ---- the in-place rewrite from the tail: the blocks from the first changed -- */

struct lzop_splice {
	struct lzop_blk *blks;
	size_t n, first;
	uint32_t flags;
	uint8_t *orig;		/* the decompressed tail as read, to tell the blocks changed */
};

/* The header, then the blocks from the one holding decompressed offset @from, decompressed. */
static int lzop_splice_open(struct codec_splice *sp, uint64_t from)
{
	struct lzop_splice *z = xcalloc(1, sizeof(*z));
	struct codec_tail t = { 0 };
	struct codec_rd *r;
	struct xs_diag d;
	uint8_t *cbuf = NULL;
	uint64_t pos, at = 0;
	uint32_t cmax = 1;
	int rc;

	sp->priv = z;
	if (codec_rd_open(CODEC_LZOP, &sp->in, sp->at, &r, &d)) {
		snprintf(sp->how, sizeof(sp->how), "lzop: cannot start");
		return 1;
	}
	rc = lzop_header(r);
	z->flags = ((struct lzop_rd *)r->priv)->flags;
	pos = codec_rd_file_pos(r);
	codec_rd_close(r);
	if (rc)
		rc = codec_tail_none(&t, "lzop: its header does not read");
	else if ((z->flags & LZOP_F_ADLER32_D && z->flags & LZOP_F_CRC32_D) ||
		 (z->flags & LZOP_F_ADLER32_C && z->flags & LZOP_F_CRC32_C))
		rc = codec_tail_none(&t, "lzop: blocks with two checksums each");
	else
		rc = lzop_walk(&sp->in, pos, sp->end, z->flags, &z->blks, &z->n, &t);
	for (z->first = 0; !rc && z->first < z->n && at + z->blks[z->first].dlen <= from;
	     z->first++)
		at += z->blks[z->first].dlen;
	if (!rc && z->first == z->n)
		rc = codec_tail_none(&t, "lzop: no block holds 0x%llx", (unsigned long long)from);
	if (!rc && t.total - at > CODEC_SPLICE_MAX)
		rc = codec_tail_none(&t, "lzop: the blocks from 0x%llx hold 0x%llx bytes, too many "
				     "to journal", (unsigned long long)z->blks[z->first].hdr,
				     (unsigned long long)(t.total - at));
	if (!rc) {
		sp->blocks = z->n;
		sp->first = z->first;
		sp->file_off = z->blks[z->first].hdr;
		sp->base = at;
		sp->len = (size_t)(t.total - at);
		sp->buf = xmalloc(sp->len ? sp->len : 1);
		for (size_t i = z->first; i < z->n; i++)
			cmax = z->blks[i].clen > cmax ? z->blks[i].clen : cmax;
		cbuf = xmalloc(cmax);
		t.base = at;
		for (size_t i = z->first, o = 0; !rc && i < z->n; o += z->blks[i].dlen, i++)
			rc = lzop_tail_block(&sp->in, &z->blks[i], z->flags, sp->buf + o, cbuf, &t);
	}
	free(cbuf);
	if (rc) {
		snprintf(sp->how, sizeof(sp->how), "%s", t.how);
		return 1;
	}
	z->orig = xmalloc(sp->len ? sp->len : 1);
	memcpy(z->orig, sp->buf, sp->len);
	return 0;
}

/* Append @n bytes at @p to *out (*len of *cap bytes). */
static void put_bytes(uint8_t **out, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*cap - *len < n) {
		*cap = (*len + n) * 2;
		*out = xrealloc(*out, *cap);
	}
	memcpy(*out + *len, p, n);
	*len += n;
}

static int lzop_splice_encode(struct codec_splice *sp, uint8_t **out, size_t *outlen,
			      struct xs_diag *d)
{
	static const uint8_t end_marker[4];
	struct lzop_splice *z = sp->priv;
	uint8_t h[LZOP_BLK_HDR_MAX], *cblk = NULL, *copy = NULL;
	void *wrk = xmalloc(LZO1X_1_MEM_COMPRESS);
	size_t cap = 0, hl, clen, o = 0;
	int rc = 0;

	for (size_t i = z->first; !rc && i < z->n; o += z->blks[i].dlen, i++) {
		const struct lzop_blk *k = &z->blks[i];
		size_t whole = (size_t)(k->off + k->clen - k->hdr);

		if (!memcmp(sp->buf + o, z->orig + o, k->dlen)) {
			/* Unchanged: its bytes as they are in the file. */
			copy = xrealloc(copy, whole);
			if (codec_in_read(&sp->in, copy, whole, k->hdr) != whole) {
				xs_fail(d, 0, false, 0, "the lzop block at 0x%llx cannot be read "
					"again", (unsigned long long)k->hdr);
				rc = EXIT_IOERR;
			} else
				put_bytes(out, outlen, &cap, copy, whole);
			continue;
		}
		cblk = xrealloc(cblk, LZOP_CBOUND(k->dlen));
		if (lzop_pack(z->flags, sp->buf + o, k->dlen, cblk, wrk, h, &hl, &clen)) {
			xs_fail(d, 0, false, 0, "lzop compression failed: lzo1x_1_compress");
			rc = EXIT_SOFTWARE;
			break;
		}
		put_bytes(out, outlen, &cap, h, hl);
		put_bytes(out, outlen, &cap, clen < k->dlen ? cblk : sp->buf + o, clen);
		sp->encoded++;
	}
	if (!rc)
		put_bytes(out, outlen, &cap, end_marker, sizeof(end_marker));
	free(wrk);
	free(cblk);
	free(copy);
	if (rc) {
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	return rc;
}

static void lzop_splice_free(struct codec_splice *sp)
{
	struct lzop_splice *z = sp->priv;

	if (z) {
		free(z->blks);
		free(z->orig);
		free(z);
	}
}

struct lzop_wr {
	uint32_t flags, block;
	uint8_t *blk, *cblk, *wrk;
	size_t blk_len;
};

static int lzop_flush_block(struct codec_wr *w)
{
	struct lzop_wr *z = w->priv;
	uint8_t h[LZOP_BLK_HDR_MAX];
	size_t hl, clen;
	int rc;

	if (!z->blk_len)
		return 0;
	if (lzop_pack(z->flags, z->blk, z->blk_len, z->cblk, z->wrk, h, &hl, &clen))
		return codec_wr_fail(w, "lzo1x_1_compress");
	rc = codec_wr_put(w, h, hl);
	if (!rc)
		rc = codec_wr_put(w, clen < z->blk_len ? z->cblk : z->blk, clen);
	z->blk_len = 0;
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
	codec_put_be32(q, 0x03000000u | LZOP_F_ADLER32_D);	/* Unix, adler32 of the data */
	q += 4;
	memset(q, 0, 13);			/* mode, mtime, empty name */
	q += 13;
	codec_put_be32(q, lzop_sum(false, h + LZOP_MAGIC_LEN, (size_t)(q - h) - LZOP_MAGIC_LEN));
	return (size_t)(q - h) + 4;
}

/* The output keeps @like's header, flags and block size when it is lzop too. */
static int lzop_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	struct lzop_wr *z = xcalloc(1, sizeof(*z));
	const struct lzop_rd *in = like && like->c == CODEC_LZOP ? like->priv : NULL;
	uint8_t h[LZOP_HDR_MAX];
	size_t hl;

	w->priv = z;
	if (lzo_init() != LZO_E_OK)
		return codec_wr_fail(w, "lzo_init");
	if (in && in->hdr_len) {
		hl = in->hdr_len;
		memcpy(h, in->hdr, hl);
		z->flags = in->flags & ~LZOP_F_SEEN;
		z->block = in->block;
	} else {
		hl = lzop_default_header(h);
		z->flags = LZOP_F_ADLER32_D;
	}
	if (!z->block || z->block > LZOP_MAX_BLOCK)
		z->block = LZOP_BLOCK;
	z->blk = xmalloc(z->block);
	z->cblk = xmalloc(LZOP_CBOUND(z->block));
	z->wrk = xmalloc(LZO1X_1_MEM_COMPRESS);
	return codec_wr_put(w, h, hl);
}

static int lzop_write(struct codec_wr *w, const uint8_t *p, size_t n)
{
	struct lzop_wr *z = w->priv;

	while (n) {
		size_t m = z->block - z->blk_len < n ? z->block - z->blk_len : n;
		int rc;

		memcpy(z->blk + z->blk_len, p, m);
		z->blk_len += m;
		p += m;
		n -= m;
		if (z->blk_len == z->block && (rc = lzop_flush_block(w)))
			return rc;
	}
	return 0;
}

/* The last block, then the end marker (a block of length 0). */
static int lzop_finish(struct codec_wr *w)
{
	static const uint8_t end[4];
	int rc = lzop_flush_block(w);

	return rc ? rc : codec_wr_put(w, end, sizeof(end));
}

static void lzop_wr_end(struct codec_wr *w)
{
	struct lzop_wr *z = w->priv;

	if (z) {
		free(z->blk);
		free(z->cblk);
		free(z->wrk);
	}
}

static const struct wr_ops lzop_wr = {
	.init = lzop_wr_init,
	.write = lzop_write,
	.finish = lzop_finish,
	.end = lzop_wr_end,
};
#endif

const struct codec_def codec_lzop = {
	.name = "lzop",
	.lib = "liblzo2",
	.level = "LZO1X-1 (lzop's default)",
	.magic = lzop_magic,
	.magic_len = LZOP_MAGIC_LEN,
#ifdef HAVE_LZO
	.rd = &lzop_rd,
	.wr = &lzop_wr,
	.tail = lzop_tail,
	.splice_open = lzop_splice_open,
	.splice_encode = lzop_splice_encode,
	.splice_free = lzop_splice_free,
#endif
};
