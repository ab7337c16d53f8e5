// SPDX-License-Identifier: MIT
/* The in-place rewrite's journal record: see include/xsave/journal.h. */
#include <stdbool.h>
#include <string.h>

#include <xsave/err.h>
#include <xsave/journal.h>
#include <xsave/rd.h>
#include <xsave/internal.h>

#define MAGIC_LEN (sizeof(XS_JOURNAL_MAGIC) - 1)
#define HEADER_LEN (MAGIC_LEN + 3 * 8 + 4)	/* magic, u64 size, dev, inode, u32 count */
#define HEADER_LEN_V1 (MAGIC_LEN + 8 + 4)	/* magic, u64 file size, u32 count */
#define HEADER_LEN_V3 (MAGIC_LEN + 5 * 8)	/* magic, u64 size, dev, inode, new size, offset */
#define RANGE_HEADER_LEN (8 + 4)	/* u64 offset, u32 length */
#define CRC_LEN 4u
#define CRC32_POLY 0xedb88320u		/* CRC-32 (IEEE 802.3), bit-reversed as zlib computes it */

/* zlib's crc32(0, p, n), bit by bit: journals are small, and libxsave links no zlib. */
static uint32_t journal_crc(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (unsigned k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32_POLY & (0u - (c & 1u)));
	}
	return ~c;
}

size_t xs_journal_size(const struct xs_qpatch *p, unsigned n)
{
	size_t len = HEADER_LEN + CRC_LEN;

	for (unsigned i = 0; i < n; i++) {
		uint64_t one = RANGE_HEADER_LEN + 2 * (uint64_t)p[i].len;

		if (one >= SIZE_MAX - len)
			return SIZE_MAX;
		len += (size_t)one;
	}
	return len;
}

/* Appending to a buffer already known to be large enough, through the checked writer. */
struct jw {
	struct xs_wr wr;
	size_t pos;
	bool ok;
};

static void jw_bytes(struct jw *w, const void *p, size_t n)
{
	w->ok = w->ok && xs_wr_copy_at(&w->wr, w->pos, p, n);
	w->pos += n;
}

static void jw_be(struct jw *w, uint64_t v, unsigned n)
{
	uint8_t b[8];

	xs_be_put(b, v, n);
	jw_bytes(w, b, n);
}

int xs_journal_encode(uint8_t *buf, size_t cap, const struct xs_journal *f,
		      const struct xs_qpatch *p, unsigned n, struct xs_diag *d)
{
	size_t need = xs_journal_size(p, n);
	struct jw w = { .wr = xs_wr_init(buf, cap), .ok = true };

	if (need == SIZE_MAX || cap < need)
		return XS_FAIL(d, XS_EINVAL, "the journal of %u ranges does not fit in %zu bytes", n,
			       cap);
	jw_bytes(&w, XS_JOURNAL_MAGIC, MAGIC_LEN);
	jw_be(&w, f->file_size, 8);
	jw_be(&w, f->dev, 8);
	jw_be(&w, f->ino, 8);
	jw_be(&w, n, 4);
	for (unsigned i = 0; i < n; i++) {
		jw_be(&w, p[i].off, 8);
		jw_be(&w, p[i].len, 4);
		jw_bytes(&w, p[i].orig, p[i].len);
		jw_bytes(&w, p[i].data, p[i].len);
	}
	if (w.ok)
		jw_be(&w, journal_crc(buf, w.pos), CRC_LEN);
	if (!w.ok || w.pos != need)
		return XS_FAIL(d, XS_EBUG, "the journal came out %zu bytes, not %zu", w.pos, need);
	return 0;
}

size_t xs_journal_tail_size(uint64_t orig_len, uint64_t data_len)
{
	const uint64_t fixed = HEADER_LEN_V3 + CRC_LEN;

	if (orig_len >= SIZE_MAX - fixed || data_len >= SIZE_MAX - fixed - orig_len)
		return SIZE_MAX;
	return (size_t)(fixed + orig_len + data_len);
}

int xs_journal_encode_tail(uint8_t *buf, size_t cap, const struct xs_journal *f,
			   const struct xs_journal_tail *t, struct xs_diag *d)
{
	size_t need = xs_journal_tail_size(t->orig_len, t->data_len);
	struct jw w = { .wr = xs_wr_init(buf, cap), .ok = true };

	if (t->off > f->file_size || t->off > f->new_size ||
	    f->file_size - t->off != t->orig_len || f->new_size - t->off != t->data_len)
		return XS_FAIL(d, XS_EINVAL, "the journal's tail (from 0x%llx, 0x%zx bytes, then "
			       "0x%zx) does not agree with the sizes 0x%llx and 0x%llx",
			       (unsigned long long)t->off, t->orig_len, t->data_len,
			       (unsigned long long)f->file_size, (unsigned long long)f->new_size);
	if (need == SIZE_MAX || cap < need)
		return XS_FAIL(d, XS_EINVAL, "the journal of a tail of 0x%zx bytes does not fit in "
			       "%zu bytes", t->orig_len, cap);
	jw_bytes(&w, XS_JOURNAL_MAGIC_V3, MAGIC_LEN);
	jw_be(&w, f->file_size, 8);
	jw_be(&w, f->dev, 8);
	jw_be(&w, f->ino, 8);
	jw_be(&w, f->new_size, 8);
	jw_be(&w, t->off, 8);
	jw_bytes(&w, t->orig, t->orig_len);
	jw_bytes(&w, t->data, t->data_len);
	if (w.ok)
		jw_be(&w, journal_crc(buf, w.pos), CRC_LEN);
	if (!w.ok || w.pos != need)
		return XS_FAIL(d, XS_EBUG, "the journal came out %zu bytes, not %zu", w.pos, need);
	return 0;
}

/* A version 3 journal's header and tail, its CRC checked already by the caller. */
static int parse_v3(struct xs_journal *j, size_t len, struct xs_diag *d)
{
	struct xs_journal_tail *t = &j->tail;
	struct xs_rd old, now;

	if (!xs_rd_skip(&j->rd, MAGIC_LEN) || !xs_rd_u64be(&j->rd, &j->file_size) ||
	    !xs_rd_u64be(&j->rd, &j->dev) || !xs_rd_u64be(&j->rd, &j->ino) ||
	    !xs_rd_u64be(&j->rd, &j->new_size) || !xs_rd_u64be(&j->rd, &t->off))
		return XS_FAIL(d, XS_EFORMAT, "not a valid xsavectl journal (bad magic or CRC)");
	if (t->off > j->file_size || t->off > j->new_size)
		return XS_FAIL(d, XS_EFORMAT, "the journal's tail starts at 0x%llx, past the end of "
			       "the file (0x%llx bytes, 0x%llx rewritten)", (unsigned long long)t->off,
			       (unsigned long long)j->file_size, (unsigned long long)j->new_size);
	if (xs_journal_tail_size(j->file_size - t->off, j->new_size - t->off) != len ||
	    !xs_rd_sub(&j->rd, (size_t)(j->file_size - t->off), &old) ||
	    !xs_rd_sub(&j->rd, (size_t)(j->new_size - t->off), &now))
		return XS_FAIL(d, XS_EFORMAT, "the journal's tail (0x%llx bytes from 0x%llx, then "
			       "0x%llx) is not its length (0x%zx bytes)",
			       (unsigned long long)(j->file_size - t->off), (unsigned long long)t->off,
			       (unsigned long long)(j->new_size - t->off), len);
	t->orig = old.p;
	t->orig_len = old.len;
	t->data = now.p;
	t->data_len = now.len;
	j->version = 3;
	j->bound = true;
	return 0;
}

int xs_journal_parse(struct xs_journal *j, const uint8_t *buf, size_t len, struct xs_diag *d)
{
	struct xs_rd all = xs_rd_init(buf, len, 0);
	uint32_t crc = 0;

	memset(j, 0, sizeof(*j));
	/* Everything but the trailing CRC, read with the bounds-checked cursor. */
	j->rd = xs_rd_init(buf, len >= CRC_LEN ? len - CRC_LEN : 0, 0);
	if (xs_rd_equal_at(&j->rd, 0, XS_JOURNAL_MAGIC_V3, MAGIC_LEN)) {
		if (len < HEADER_LEN_V3 + CRC_LEN || !xs_rd_u32be_at(&all, len - CRC_LEN, &crc) ||
		    crc != journal_crc(buf, len - CRC_LEN))
			return XS_FAIL(d, XS_EFORMAT, "not a valid xsavectl journal (bad magic or "
				       "CRC)");
		return parse_v3(j, len, d);
	}
	j->bound = xs_rd_equal_at(&j->rd, 0, XS_JOURNAL_MAGIC, MAGIC_LEN);
	if (len < (j->bound ? HEADER_LEN : HEADER_LEN_V1) + CRC_LEN ||
	    (!j->bound && !xs_rd_equal_at(&j->rd, 0, XS_JOURNAL_MAGIC_V1, MAGIC_LEN)) ||
	    !xs_rd_u32be_at(&all, len - CRC_LEN, &crc) ||
	    crc != journal_crc(buf, len - CRC_LEN) ||
	    !xs_rd_skip(&j->rd, MAGIC_LEN) || !xs_rd_u64be(&j->rd, &j->file_size) ||
	    (j->bound && (!xs_rd_u64be(&j->rd, &j->dev) || !xs_rd_u64be(&j->rd, &j->ino))) ||
	    !xs_rd_u32be(&j->rd, &j->count))
		return XS_FAIL(d, XS_EFORMAT, "not a valid xsavectl journal (bad magic or CRC)");
	j->version = j->bound ? 2 : 1;
	j->new_size = j->file_size;
	return 0;
}

int xs_journal_next(struct xs_journal *j, struct xs_qpatch *p, struct xs_diag *d)
{
	struct xs_rd rd = j->rd, old, now;
	uint64_t off;
	uint32_t len;

	if (j->next >= j->count)
		return XS_FAIL(d, XS_EINVAL, "all %u journal entries were read", j->count);
	if (!xs_rd_u64be(&rd, &off) || !xs_rd_u32be(&rd, &len) || !xs_rd_sub(&rd, len, &old) ||
	    !xs_rd_sub(&rd, len, &now))
		return XS_FAIL_AT(d, XS_ETRUNC, xs_rd_abs(&j->rd), "journal entry %u is truncated",
				  j->next);
	*p = (struct xs_qpatch){ .off = off, .data = now.p, .orig = old.p, .len = len };
	j->rd = rd;
	j->next++;
	return 0;
}
