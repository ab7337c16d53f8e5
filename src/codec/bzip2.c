// SPDX-License-Identifier: MIT
/*
 * bzip2, through libbz2: one decoder per bzip2 stream (bzip2 -dc reads them
 * one after another); written at level 1, the fastest.  The decoder needs
 * 3.6 MiB at most (level 9, not small mode), fixed by the format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_BZIP2
#include <bzlib.h>
#endif

#include <xsave/internal.h>

#include "codec/codec_impl.h"
#include "exitcodes.h"
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

/* ---- the tail read: the last blocks, found by their magic bit by bit ------ */

/*
 * A bzip2 stream is "BZh" and a level digit ('1' to '9': blocks of that many 100 kB), then
 * its blocks, each a 48-bit magic and the CRC32 of its data, at any bit offset, then a
 * 48-bit end-of-stream magic and the stream's combined CRC (each block's CRC folded in
 * after rotating the sum left by one), padded with zero bits to a byte.  Nothing says
 * where a block starts but its magic, nor how many bytes it holds: the blocks are found
 * from the end marker back, each candidate decoded alone (libbz2 checks its CRC), and the
 * offsets of the tail in the decompressed stream stay unknown.
 */
#define BZ_HDR_LEN 4			/* "BZh" and the level digit */
#define BZ_MAGIC_BITS 48
#define BZ_BLOCK_MAGIC UINT64_C(0x314159265359)
#define BZ_EOS_MAGIC UINT64_C(0x177245385090)
#define BZ_EOS_LAST_ONE 44		/* bits of the end marker up to its last 1 bit */
#define BZ_MAGIC_MASK ((UINT64_C(1) << BZ_MAGIC_BITS) - 1)
#define BZ_CRC_BITS 32
#define BZ_TRAILER_BITS (BZ_MAGIC_BITS + BZ_CRC_BITS)	/* the end marker and the CRC */
#define BZ_LEVEL_BYTES 100000u		/* a level's block size, per digit */
/*
 * The most compressed bytes a block of level @d takes, with margin: bzip2's coder gives each
 * symbol 17 bits at most and its Huffman tables at most ~7 kB, but an average far below 9 bits
 * per input byte.  A block further back than this is not looked for: the file is read whole.
 */
#define BZ_BLOCK_SPAN(d) ((uint64_t)(d) * BZ_LEVEL_BYTES * 5 / 4 + 16384)
#define BZ_TRIES 16			/* false magics tried before one block, at most */
#define BZ_ZEROS_MAX (1u << 20)		/* zero padding after a stream looked past, at most */
#define BZ_WANT_MAX (256 * MIB)		/* the longest tail read */
#define BZ_PAD 8			/* zero bytes after a window, for 64-bit loads */

struct bzt {
	const struct codec_in *in;
	uint64_t at;		/* where the first stream begins */
	char level;		/* its level digit, used for every block decoded */
	uint8_t *win;		/* file bytes [wlo, whi), then BZ_PAD zero bytes */
	uint64_t wlo, whi;
	size_t wcap;
	uint8_t *s;		/* a one-block stream made up for libbz2 */
	size_t scap;
};

/* File bytes [lo, hi) into z->win: 0, or -1 when they cannot be read. */
static int bzt_load(struct bzt *z, uint64_t lo, uint64_t hi)
{
	size_t n = (size_t)(hi - lo);

	if (n + BZ_PAD > z->wcap) {
		z->wcap = n + BZ_PAD;
		z->win = xrealloc(z->win, z->wcap);
	}
	z->wlo = lo;
	z->whi = hi;
	memset(z->win + n, 0, BZ_PAD);
	return codec_in_read(z->in, z->win, n, lo) == n ? 0 : -1;
}

/* The 64 bits at file bit @bit (in the window, zeros past its end), first bit highest. */
static uint64_t bzt_bits64(const struct bzt *z, uint64_t bit)
{
	const uint8_t *p = z->win + (bit / 8 - z->wlo);
	uint64_t v = 0;
	unsigned s = bit % 8;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return s ? v << s | p[8] >> (8 - s) : v;
}

/* The @n (at most 48) bits at file bit @bit. */
static uint64_t bzt_bits(const struct bzt *z, uint64_t bit, unsigned n)
{
	return bzt_bits64(z, bit) >> (64 - n);
}

/*
 * Where the end marker of a stream ending before byte @end lies (bzip2 pads after the CRC to a
 * byte; zero bytes may follow, as the full decode allows): its bit offset in *eos, and 0; 1 when
 * there is none.  Reads no byte before @lo.
 */
static int bzt_find_eos(struct bzt *z, uint64_t lo, uint64_t end, uint64_t *eos)
{
	uint64_t zend = end, from, q;

	/* The zero bytes before @end, in steps of the window. */
	while (zend > lo && end - zend <= BZ_ZEROS_MAX) {
		uint64_t k = zend - lo < CODEC_IN_CHUNK ? zend - lo : CODEC_IN_CHUNK;
		size_t i;

		if (bzt_load(z, zend - k, zend))
			return 1;
		for (i = (size_t)k; i && !z->win[i - 1]; i--)
			;
		zend -= k - i;
		if (i)
			break;
	}
	/* The marker and CRC end in the last non-zero byte or after it, in the zeros; the
	 * marker's last 1 bit, its 44th, is in a non-zero byte. */
	if (end - zend > BZ_ZEROS_MAX || (end - lo) * 8 < BZ_TRAILER_BITS ||
	    (zend - lo) * 8 < BZ_EOS_LAST_ONE)
		return 1;
	from = zend - lo > BZ_TRAILER_BITS / 8 + 1 ? zend - BZ_TRAILER_BITS / 8 - 1 : lo;
	if (bzt_load(z, from, end))
		return 1;
	q = end * 8 - BZ_TRAILER_BITS;
	if (q > zend * 8 - BZ_EOS_LAST_ONE)
		q = zend * 8 - BZ_EOS_LAST_ONE;
	for (q++; q-- > from * 8;) {
		if ((q + BZ_TRAILER_BITS + 7) / 8 < zend)
			break;	/* (a non-zero byte would follow its padding) */
		if (bzt_bits(z, q, BZ_MAGIC_BITS) == BZ_EOS_MAGIC) {
			*eos = q;
			return 0;
		}
	}
	return 1;
}

/* The bits [from, to) of the window into @dst from its first bit on (rounded up to a byte). */
static void bzt_copy_bits(const struct bzt *z, uint64_t from, uint64_t to, uint8_t *dst)
{
	for (uint64_t b = from; b < to; b += 8)
		*dst++ = (uint8_t)(bzt_bits64(z, b) >> 56);
}

/* The low @n bits of @v at bit *@at of @dst on, first the highest; *@at advanced. */
static void bzt_put_bits(uint8_t *dst, uint64_t *at, uint64_t v, unsigned n)
{
	for (unsigned i = n; i--; (*at)++) {
		uint8_t m = (uint8_t)(0x80u >> (*at % 8));

		if (v >> i & 1)
			dst[*at / 8] |= m;
		else
			dst[*at / 8] &= (uint8_t)~m;
	}
}

static void bzt_reverse(uint8_t *p, size_t n)
{
	for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
		uint8_t c = p[i];

		p[i] = p[j - 1];
		p[j - 1] = c;
	}
}

/* Rotate @p[0, n) left by @k bytes, in place. */
static void bzt_rotate(uint8_t *p, size_t n, size_t k)
{
	if (!n || !(k %= n))
		return;
	bzt_reverse(p, k);
	bzt_reverse(p + k, n - k);
	bzt_reverse(p, n);
}

/*
 * The block at file bits [from, to), decoded alone: libbz2 is given "BZh" and z->level, the
 * block realigned, an end marker and the block's own CRC as the combined one, and checks the
 * block's CRC against its data.  Its last @cap bytes (or all, when fewer) end at ring[cap];
 * *made: how many it holds.  0, or 1 when it does not decode.
 */
static int bzt_decode(struct bzt *z, uint64_t from, uint64_t to, uint8_t *ring, size_t cap,
		      uint64_t *made)
{
	uint64_t bits = BZ_HDR_LEN * 8 + (to - from) + BZ_TRAILER_BITS, at = BZ_HDR_LEN * 8;
	size_t n = (size_t)((bits + 7) / 8), pos = 0;
	bz_stream b;
	int ret;

	if (n > z->scap) {
		z->scap = n;
		z->s = xrealloc(z->s, n);
	}
	memset(z->s, 0, n);
	memcpy(z->s, bzip2_magic, sizeof(bzip2_magic));
	z->s[3] = (uint8_t)z->level;
	bzt_copy_bits(z, from, to, z->s + BZ_HDR_LEN);
	at += to - from;
	bzt_put_bits(z->s, &at, BZ_EOS_MAGIC, BZ_MAGIC_BITS);
	bzt_put_bits(z->s, &at, bzt_bits(z, from + BZ_MAGIC_BITS, BZ_CRC_BITS), BZ_CRC_BITS);
	memset(&b, 0, sizeof(b));
	if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
		return 1;
	b.next_in = (char *)z->s;
	b.avail_in = (unsigned)n;
	*made = 0;
	do {
		size_t k;

		if (pos == cap)
			pos = 0;
		k = cap - pos < CODEC_CALL_MAX ? cap - pos : CODEC_CALL_MAX;
		b.next_out = (char *)ring + pos;
		b.avail_out = (unsigned)k;
		ret = BZ2_bzDecompress(&b);
		pos += k - b.avail_out;
		*made += k - b.avail_out;
		if (ret == BZ_OK && b.avail_out && !b.avail_in)
			ret = BZ_UNEXPECTED_EOF;	/* (it wants more than the block) */
	} while (ret == BZ_OK);
	BZ2_bzDecompressEnd(&b);
	if (ret != BZ_STREAM_END)
		return 1;
	if (*made >= cap)
		bzt_rotate(ring, cap, pos);
	else
		memmove(ring + cap - *made, ring, (size_t)*made);
	return 0;
}

/*
 * The block that ends at file bit @to: the nearest block magic before it that decodes alone
 * into what ends at ring[cap] (bzt_decode), *from its bit offset.  0, or 1 when none within a
 * block's reach does.
 */
static int bzt_block(struct bzt *z, uint64_t to, uint8_t *ring, size_t cap, uint64_t *from,
		     uint64_t *made)
{
	uint64_t lo = (z->at + BZ_HDR_LEN) * 8, span = BZ_BLOCK_SPAN(z->level - '0') * 8;
	unsigned tries = 0;

	if (to - lo > span)
		lo = to - span;
	if (to - lo < BZ_TRAILER_BITS || bzt_load(z, lo / 8, (to + 7) / 8))
		return 1;
	/* Byte by byte back, each of its eight bit offsets from the last. */
	for (uint64_t i = (to - BZ_TRAILER_BITS) / 8 + 1; i-- > lo / 8;) {
		uint64_t v = bzt_bits64(z, i * 8);

		for (unsigned s = 8; s--;) {
			uint64_t c = i * 8 + s;

			if (c > to - BZ_TRAILER_BITS || c < lo ||
			    (v >> (16 - s) & BZ_MAGIC_MASK) != BZ_BLOCK_MAGIC)
				continue;
			if (!bzt_decode(z, c, to, ring, cap, made)) {
				*from = c;
				return 0;
			}
			if (++tries == BZ_TRIES)
				return 1;
		}
	}
	return 1;
}

/* Is there a stream header right before bit @b?  Its byte offset and level digit. */
static bool bzt_header(struct bzt *z, uint64_t b, uint64_t *h, char *level)
{
	if (b % 8 || b / 8 < z->at + BZ_HDR_LEN)
		return false;
	*h = b / 8 - BZ_HDR_LEN;
	if (bzt_load(z, *h, b / 8) || memcmp(z->win, bzip2_magic, sizeof(bzip2_magic)) ||
	    z->win[3] < '1' || z->win[3] > '9')
		return false;
	*level = (char)z->win[3];
	return true;
}

/* rotl1(sum) ^ crc undone: the combined CRC of the blocks before the one of CRC @crc. */
static uint32_t bzt_unfold(uint32_t sum, uint32_t crc)
{
	sum ^= crc;
	return sum >> 1 | sum << 31;
}

/*
 * The last @want decompressed bytes (or all, fewer), block by block from the last stream's end
 * marker back; across earlier streams (concatenations, pbzip2's one-block streams) where a
 * stream header with the end of the stream before it comes first.  A stream whose header is
 * reached has its combined CRC checked against its blocks'; the stream the tail starts in
 * cannot be (its earlier blocks are not read).  Every block is decoded at the level of the
 * file's first stream (which bounds its size): a stream header reached of a lower level
 * falls back; the header of the stream the tail starts in is not read, and that stream taken
 * to be at the first's level, as bzip2's single stream and pbzip2's and lbzip2's are.
 */
static int bzip2_tail(const struct codec_in *in, uint64_t at, uint64_t end, uint64_t want,
		      struct codec_tail *t)
{
	struct bzt z = { .in = in, .at = at };
	uint8_t hdr[BZ_HDR_LEN];
	uint64_t b, have = 0, first = 0;
	uint32_t sum;
	unsigned streams = 1;
	bool trimmed = false, reached = false;
	size_t cap;
	int rc = 0;

	if (end - at < BZ_HDR_LEN || codec_in_read(in, hdr, sizeof(hdr), at) != sizeof(hdr) ||
	    memcmp(hdr, bzip2_magic, sizeof(bzip2_magic)) || hdr[3] < '1' || hdr[3] > '9')
		return codec_tail_none(t, "bzip2: no stream header to read");
	z.level = (char)hdr[3];
	if (want > BZ_WANT_MAX)
		return codec_tail_none(t, "bzip2: a tail of more than %u MiB asked: decompressed "
				       "whole", (unsigned)(BZ_WANT_MAX / MIB));
	want = want ? want : 1;
	if (bzt_find_eos(&z, at + BZ_HDR_LEN, end, &b)) {
		rc = codec_tail_none(t, "bzip2: the file does not end in an end-of-stream marker "
				     "(or zero bytes after one): decompressed whole");
		goto out;
	}
	sum = (uint32_t)bzt_bits(&z, b + BZ_MAGIC_BITS, BZ_CRC_BITS);
	cap = (size_t)want;
	t->buf = xmalloc(cap);
	for (;;) {
		uint64_t from, made, h, eos;
		char level;

		/* A stream header right before @b: the start of the file, or of a stream
		 * whose predecessor's end marker comes before it. */
		if (bzt_header(&z, b, &h, &level) &&
		    (h == at || !bzt_find_eos(&z, at + BZ_HDR_LEN, h, &eos))) {
			if (sum) {
				rc = codec_tail_none(t, "bzip2: the combined CRC of the stream at "
						     "0x%llx is not its blocks': decompressed whole",
						     (unsigned long long)h);
				goto out;
			}
			if (level < z.level) {
				rc = codec_tail_none(t, "bzip2: a stream at 0x%llx of a level below "
						     "the first's: decompressed whole",
						     (unsigned long long)h);
				goto out;
			}
			if (h == at) {
				reached = true;
				break;
			}
			if (have >= want)
				break;
			b = eos;
			sum = (uint32_t)bzt_bits(&z, b + BZ_MAGIC_BITS, BZ_CRC_BITS);
			streams++;
			continue;
		}
		if (have >= want)
			break;
		if (bzt_block(&z, b, t->buf, cap - (size_t)have, &from, &made)) {
			rc = codec_tail_none(t, "bzip2: no block that decodes ends at byte 0x%llx "
					     "bit %u: decompressed whole", (unsigned long long)(b / 8),
					     (unsigned)(b % 8));
			goto out;
		}
		trimmed |= made > cap - have;
		have += trimmed ? cap - have : made;
		sum = bzt_unfold(sum, (uint32_t)bzt_bits(&z, from + BZ_MAGIC_BITS, BZ_CRC_BITS));
		t->used++;
		first = from;
		b = from;
	}
	memmove(t->buf, t->buf + (cap - have), (size_t)have);
	t->len = (size_t)have;
	t->offsets_unknown = !reached || trimmed;
	t->base = t->offsets_unknown ? CODEC_TAIL_STANDIN : 0;
	t->total = t->base + t->len;
	if (!t->offsets_unknown)
		snprintf(t->how, sizeof(t->how), "bzip2: the whole file (%llu blocks, %u streams) "
			 "decompressed from its end back, every block's and stream's CRC checked",
			 (unsigned long long)t->used, streams);
	else if (streams == 1)
		snprintf(t->how, sizeof(t->how), "bzip2: last %llu blocks decompressed (from 0x%llx "
			 "bit %u in the file), their CRCs checked; not the combined CRC (blocks "
			 "before unread)", (unsigned long long)t->used,
			 (unsigned long long)(first / 8), (unsigned)(first % 8));
	else
		snprintf(t->how, sizeof(t->how), "bzip2: last %llu blocks, in %u streams (from 0x%llx "
			 "bit %u in the file), their CRCs and each later stream's combined CRC "
			 "checked; not the first's", (unsigned long long)t->used, streams,
			 (unsigned long long)(first / 8), (unsigned)(first % 8));
out:
	free(z.win);
	free(z.s);
	return rc;
}

/* ---- the in-place rewrite from the tail: the blocks from the first changed -- */

/*
 * The blocks from the one holding the first change to the end of the last stream, found and
 * decoded from its end marker back as the tail read finds them (each block's CRC checked by
 * libbz2).  Where the tail read places nothing absolutely, neither does the splice: its
 * offsets count back from the stream's end, which it puts at CODEC_TAIL_STANDIN (the caller
 * gives @from in that frame); sp->base + sp->len == CODEC_TAIL_STANDIN.  A block changed is
 * encoded again by libbz2 into one block (or more, where its run-length coding grew past
 * what the stream's level takes), its bits taken from between the stream header and the end
 * marker libbz2 wrote, shifted to where the old block began; an unchanged block after it is
 * copied, bit-shifted, from the file.  The combined CRC of the blocks before the first
 * rewritten is the old end marker's with the rewritten blocks' CRCs unfolded; the new
 * blocks' are folded in again, and a new end marker follows, then the zero bytes the file
 * had after the old one.  Only the last stream is spliced: changes reaching an earlier one
 * are rewritten whole.  (The blocks before are not read, so a combined CRC that was wrong
 * stays wrong, by as much: bzip2 -t fails on the file before and after, and --verify says so.)
 */
#define BZ_RUN_MAX 255			/* the longest run libbz2's first run-length coding takes */
#define BZ_RUN_MIN 4			/* a run this long is 4 bytes and a count byte */
#define BZ_NBLOCK_SLACK 24		/* below a level's block, as libbz2's encoder keeps 19 */
#define BZ_SAFE_NBLOCK (BZ_LEVEL_BYTES - BZ_NBLOCK_SLACK)	/* fits every level */
#define BZ_ENCODE_LEVEL 9		/* the splice's encoder: the longest blocks, one per piece */
/*
 * The most symbols a piece may take for libbz2 to make it one block: its encoder ends a block
 * once what it holds reaches 19 short of its level's size, the run it is in the middle of
 * moved to the next; a piece this long reaches that only with its last run.  A full block of a
 * level-9 stream can hold a few more (its last run pushed it past): a piece as long as it would
 * come out as two blocks, and bz_encode fail (the CRCs not the pieces').
 */
#define BZ_LIB_SLACK 19
#define BZ_ENCODE_NBLOCK (BZ_ENCODE_LEVEL * BZ_LEVEL_BYTES - BZ_LIB_SLACK)
#define BZ_CRC_POLY 0x04c11db7u

struct bz_blk {
	uint64_t from, to;	/* file bits: its magic, the next block's (or the end marker) */
	uint32_t crc;
	size_t dlen;		/* decompressed bytes */
};

struct bz_splice {
	struct bzt z;
	struct bz_blk *blks;	/* the blocks rewritten, in file order */
	size_t n;
	uint64_t eos, tail_end;	/* the end marker's bit; the file's bytes after it from tail_end */
	uint32_t before;	/* the combined CRC of the stream's blocks before blks[0] */
	uint8_t *orig;		/* the decompressed blocks as read, to tell those changed */
};

/* bzip2's CRC32 (MSB first, as BZ_UPDATE_CRC) of @n bytes. */
static uint32_t bz_crc(const uint8_t *p, size_t n)
{
	static uint32_t tab[256];
	uint32_t c = 0xffffffffu;

	if (!tab[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i << 24;

			for (int k = 0; k < 8; k++)
				v = v & 0x80000000u ? v << 1 ^ BZ_CRC_POLY : v << 1;
			tab[i] = v;
		}
	for (size_t i = 0; i < n; i++)
		c = c << 8 ^ tab[(c >> 24) ^ p[i]];
	return ~c;
}

static uint32_t bz_fold(uint32_t sum, uint32_t crc)
{
	return (sum << 1 | sum >> 31) ^ crc;
}

/*
 * How many bytes of @p (@n) libbz2's first run-length coding makes into at most @max symbols
 * (a block's length as its decoder counts it): runs of 4 to 255 equal bytes take 5.
 */
static size_t bz_rle_fit(const uint8_t *p, size_t n, size_t max)
{
	size_t i = 0, used = 0;

	while (i < n) {
		size_t r = 1, cost;

		while (i + r < n && r < BZ_RUN_MAX && p[i + r] == p[i])
			r++;
		cost = r >= BZ_RUN_MIN ? BZ_RUN_MIN + 1 : r;
		if (used + cost > max)
			break;
		used += cost;
		i += r;
	}
	return i;
}

/* The symbols libbz2's first run-length coding makes of @p (@n). */
static size_t bz_rle_len(const uint8_t *p, size_t n)
{
	size_t i = 0, used = 0;

	while (i < n) {
		size_t r = 1;

		while (i + r < n && r < BZ_RUN_MAX && p[i + r] == p[i])
			r++;
		used += r >= BZ_RUN_MIN ? BZ_RUN_MIN + 1 : r;
		i += r;
	}
	return used;
}

/* A bit writer: whole bytes in p, the rest in acc. */
struct bw {
	uint8_t *p;
	size_t len, cap;
	uint64_t acc;
	unsigned nacc;
};

/* The low @n (at most 32) bits of @v. */
static void bw_put(struct bw *w, uint64_t v, unsigned n)
{
	w->acc = w->acc << n | (v & ((UINT64_C(1) << n) - 1));
	w->nacc += n;
	while (w->nacc >= 8) {
		if (w->len == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 65536;
			w->p = xrealloc(w->p, w->cap);
		}
		w->nacc -= 8;
		w->p[w->len++] = (uint8_t)(w->acc >> w->nacc);
	}
}

/* The bits [from, to) of @z's window. */
static void bw_copy(struct bw *w, const struct bzt *z, uint64_t from, uint64_t to)
{
	for (; to - from >= 32; from += 32)
		bw_put(w, bzt_bits(z, from, 32), 32);
	if (to > from)
		bw_put(w, bzt_bits(z, from, (unsigned)(to - from)), (unsigned)(to - from));
}

static int bzip2_splice_open(struct codec_splice *sp, uint64_t from)
{
	struct bz_splice *bs = xcalloc(1, sizeof(*bs));
	struct bzt *z = &bs->z;
	uint8_t hdr[BZ_HDR_LEN], *buf = NULL;
	uint64_t want, b, have = 0, eosend;
	size_t cap = CODEC_SPLICE_MAX, nalloc = 0;
	uint32_t sum;

	sp->priv = bs;
	z->in = &sp->in;
	z->at = sp->at;
#define NONE(...) (snprintf(sp->how, sizeof(sp->how), __VA_ARGS__), free(buf), 1)
	if (sp->end - sp->at < BZ_HDR_LEN ||
	    codec_in_read(&sp->in, hdr, sizeof(hdr), sp->at) != sizeof(hdr) ||
	    memcmp(hdr, bzip2_magic, sizeof(bzip2_magic)) || hdr[3] < '1' || hdr[3] > '9')
		return NONE("bzip2: no stream header to read");
	z->level = (char)hdr[3];
	if (from >= CODEC_TAIL_STANDIN)
		return NONE("bzip2: no change before the end");
	want = CODEC_TAIL_STANDIN - from;
	if (want > CODEC_SPLICE_MAX)
		return NONE("bzip2: the change lies 0x%llx bytes before the end, too far to journal",
			    (unsigned long long)want);
	if (bzt_find_eos(z, sp->at + BZ_HDR_LEN, sp->end, &b))
		return NONE("bzip2: the file does not end in an end-of-stream marker");
	bs->eos = b;
	eosend = (b + BZ_TRAILER_BITS + 7) / 8;
	bs->tail_end = eosend;
	sum = (uint32_t)bzt_bits(z, b + BZ_MAGIC_BITS, BZ_CRC_BITS);
	buf = xmalloc(cap);
	while (have < want) {
		uint64_t bfrom, made, h, eos;
		char level;

		if (bzt_header(z, b, &h, &level) &&
		    (h == sp->at || !bzt_find_eos(z, sp->at + BZ_HDR_LEN, h, &eos)))
			return NONE("bzip2: the change lies before the last stream (at 0x%llx)",
				    (unsigned long long)h);
		if (bzt_block(z, b, buf, cap - (size_t)have, &bfrom, &made))
			return NONE("bzip2: no block that decodes ends at byte 0x%llx bit %u",
				    (unsigned long long)(b / 8), (unsigned)(b % 8));
		if (made > cap - have)
			return NONE("bzip2: the blocks from the change on hold more than 0x%x bytes, "
				    "too many to journal", CODEC_SPLICE_MAX);
		if (bs->n == nalloc) {
			nalloc = nalloc ? nalloc * 2 : 8;
			bs->blks = xrealloc(bs->blks, nalloc * sizeof(*bs->blks));
		}
		bs->blks[bs->n++] = (struct bz_blk){
			.from = bfrom, .to = b, .dlen = (size_t)made,
			.crc = (uint32_t)bzt_bits(z, bfrom + BZ_MAGIC_BITS, BZ_CRC_BITS) };
		sum = bzt_unfold(sum, bs->blks[bs->n - 1].crc);
		have += made;
		b = bfrom;
	}
	/* In file order. */
	for (size_t i = 0, j = bs->n; i + 1 < j; i++, j--) {
		struct bz_blk k = bs->blks[i];

		bs->blks[i] = bs->blks[j - 1];
		bs->blks[j - 1] = k;
	}
	bs->before = sum;
	memmove(buf, buf + (cap - have), (size_t)have);
	sp->buf = xrealloc(buf, have ? (size_t)have : 1);
	sp->len = (size_t)have;
	sp->base = CODEC_TAIL_STANDIN - have;
	sp->file_off = bs->blks[0].from / 8;
	sp->first = 0;
	sp->blocks = bs->n;	/* (the blocks before are not counted: none is read) */
	bs->orig = xmalloc(sp->len ? sp->len : 1);
	memcpy(bs->orig, sp->buf, sp->len);
#undef NONE
	return 0;
}

/*
 * Read back what bz_encode made (@out, @len bytes: a whole stream of level 9) as a stream
 * of the file's level @level: does it decode, every block's CRC and the combined one
 * right and each block within that level's size, into exactly @p (@n bytes)?
 */
static bool bz_reads_back(uint8_t *out, size_t len, char level, const uint8_t *p, size_t n)
{
	uint8_t *back = xmalloc(n + 1);
	unsigned got = (unsigned)n + 1;
	bool ok;

	out[BZ_HDR_LEN - 1] = (uint8_t)level;
	ok = BZ2_bzBuffToBuffDecompress((char *)back, &got, (char *)out, (unsigned)len, 0, 0) ==
		     BZ_OK && got == n && !memcmp(back, p, n);
	out[BZ_HDR_LEN - 1] = '0' + BZ_ENCODE_LEVEL;
	free(back);
	return ok;
}

/*
 * @p (@n bytes) as libbz2 blocks, their bits appended to @w and their CRCs folded into *@sum;
 * each at most @max symbols long, and never more than BZ_ENCODE_NBLOCK (a piece a block of its
 * own: BZ_FLUSH ends one); read back as the file's @level reads them (bz_reads_back).  0, or
 * -1 when libbz2 fails or its output is not what it must be.
 */
static int bz_encode(struct bw *w, const uint8_t *p, size_t n, size_t max, char level,
		     uint32_t *sum, uint64_t *blocks)
{
	struct bzt e = { 0 };
	bz_stream s;
	size_t cap = n + n / 8 + 4096, len = 0, off = 0;
	uint32_t combined = 0, first_crc = 0;
	uint64_t pieces = 0, q, bits;
	int ret = BZ_OK, rc = -1;
	uint8_t *out = xmalloc(cap + BZ_PAD);

	if (max > BZ_ENCODE_NBLOCK)
		max = BZ_ENCODE_NBLOCK;
	memset(&s, 0, sizeof(s));
	if (BZ2_bzCompressInit(&s, BZ_ENCODE_LEVEL, 0, 0) != BZ_OK) {
		free(out);
		return -1;
	}
	while (off < n || ret != BZ_STREAM_END) {
		size_t k = off < n ? bz_rle_fit(p + off, n - off, max) : 0;
		int action = off + k < n ? BZ_FLUSH : BZ_FINISH;
		uint32_t c;

		if (off < n && !k)
			goto out;
		c = bz_crc(p + off, k);
		first_crc = pieces ? first_crc : c;
		combined = bz_fold(combined, c);
		pieces++;
		s.next_in = (char *)(uintptr_t)(p + off);
		s.avail_in = (unsigned)k;
		off += k;
		do {
			if (cap - len < 65536) {
				cap *= 2;
				out = xrealloc(out, cap + BZ_PAD);
			}
			s.next_out = (char *)out + len;
			s.avail_out = (unsigned)(cap - len);
			ret = BZ2_bzCompress(&s, action);
			len = cap - s.avail_out;
		} while (ret == BZ_FLUSH_OK || ret == BZ_FINISH_OK);
		if (ret != (action == BZ_FLUSH ? BZ_RUN_OK : BZ_STREAM_END))
			goto out;
	}
	/* "BZh9", the blocks, the end marker and its CRC, zero bits to a byte. */
	memset(out + len, 0, BZ_PAD);
	e.win = out;
	e.wlo = 0;
	e.whi = len;
	bits = (uint64_t)len * 8;
	if (bits < BZ_HDR_LEN * 8 + 2 * BZ_TRAILER_BITS)
		goto out;
	for (q = bits - BZ_TRAILER_BITS;; q--) {
		if (bzt_bits(&e, q, BZ_MAGIC_BITS) == BZ_EOS_MAGIC &&
		    bzt_bits(&e, q + BZ_MAGIC_BITS, BZ_CRC_BITS) == combined)
			break;
		if (q == bits - BZ_TRAILER_BITS - 7)
			goto out;
	}
	if (bzt_bits(&e, BZ_HDR_LEN * 8, BZ_MAGIC_BITS) != BZ_BLOCK_MAGIC ||
	    bzt_bits(&e, BZ_HDR_LEN * 8 + BZ_MAGIC_BITS, BZ_CRC_BITS) != first_crc ||
	    !bz_reads_back(out, (size_t)((q + BZ_TRAILER_BITS + 7) / 8), level, p, n))
		goto out;
	bw_copy(w, &e, BZ_HDR_LEN * 8, q);
	for (uint64_t i = 0; i < pieces; i++)
		*sum = *sum << 1 | *sum >> 31;
	*sum ^= combined;
	*blocks += pieces;
	rc = 0;
out:
	BZ2_bzCompressEnd(&s);
	free(out);
	return rc;
}

static int bzip2_splice_encode(struct codec_splice *sp, uint8_t **out, size_t *outlen,
			       struct xs_diag *d)
{
	struct bz_splice *bs = sp->priv;
	struct bzt *z = &bs->z;
	struct bw w = { 0 };
	uint64_t first = bs->blks[0].from, written = 0;
	uint32_t sum = bs->before;
	size_t o = 0;

	if (bzt_load(z, first / 8, bs->tail_end)) {
		xs_fail(d, 0, false, 0, "the bzip2 blocks from 0x%llx cannot be read again",
			(unsigned long long)(first / 8));
		return EXIT_IOERR;
	}
	/* The bits of the first block's byte before it stay. */
	bw_copy(&w, z, first / 8 * 8, first);
	for (size_t i = 0; i < bs->n; o += bs->blks[i].dlen, i++) {
		const struct bz_blk *k = &bs->blks[i];
		size_t max;

		if (!memcmp(sp->buf + o, bs->orig + o, k->dlen)) {
			bw_copy(&w, z, k->from, k->to);
			sum = bz_fold(sum, k->crc);
			continue;
		}
		/* As long as the old block, or any level's block: the stream's level takes it. */
		max = bz_rle_len(bs->orig + o, k->dlen);
		max = max > BZ_SAFE_NBLOCK ? max : BZ_SAFE_NBLOCK;
		if (bz_encode(&w, sp->buf + o, k->dlen, max, z->level, &sum, &written)) {
			free(w.p);
			xs_fail(d, 0, false, 0, "bzip2 compression failed: BZ2_bzCompress, or its "
				"blocks do not read back as the data");
			return EXIT_SOFTWARE;
		}
		sp->encoded++;
	}
	bw_put(&w, BZ_EOS_MAGIC >> 32, BZ_MAGIC_BITS - 32);
	bw_put(&w, BZ_EOS_MAGIC, 32);
	bw_put(&w, sum, BZ_CRC_BITS);
	if (w.nacc)
		bw_put(&w, 0, 8 - w.nacc);
	/* The zero bytes the file had after its end marker. */
	for (uint64_t i = bs->tail_end; i < sp->end; i++)
		bw_put(&w, 0, 8);
	*out = w.p;
	*outlen = w.len;
	return 0;
}

static void bzip2_splice_free(struct codec_splice *sp)
{
	struct bz_splice *bs = sp->priv;

	if (bs) {
		free(bs->z.win);
		free(bs->z.s);
		free(bs->blks);
		free(bs->orig);
		free(bs);
	}
}

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
	.tail = bzip2_tail,
	.splice_open = bzip2_splice_open,
	.splice_encode = bzip2_splice_encode,
	.splice_free = bzip2_splice_free,
#endif
	.whole = "not built in",
};
