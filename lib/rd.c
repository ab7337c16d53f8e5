// SPDX-License-Identifier: MIT
/* Bounds-checked readers and writers: the only pointer arithmetic on I/O bytes. */
#include <endian.h>
#include <string.h>

#include <xsave/err.h>
#include <xsave/rd.h>
#include <xsave/internal.h>

#include <stdarg.h>
#include <stdio.h>

int xs_fail(struct xs_diag *d, int err, bool has_off, uint64_t off, const char *fmt, ...)
{
	if (d) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
		va_end(ap);
		d->has_off = has_off;
		d->off = off;
		d->hint = XS_HINT_NONE;
	}
	return -err;
}

bool xs_rd_copy_at(const struct xs_rd *rd, size_t off, size_t n, void *dst)
{
	if (!xs_range_ok(rd->len, off, n))
		return false;
	if (n)
		memcpy(dst, rd->p + off, n);
	return true;
}

bool xs_rd_u8_at(const struct xs_rd *rd, size_t off, uint8_t *v)
{
	return xs_rd_copy_at(rd, off, 1, v);
}

bool xs_rd_u16le_at(const struct xs_rd *rd, size_t off, uint16_t *v)
{
	uint16_t x;

	if (!xs_rd_copy_at(rd, off, sizeof(x), &x))
		return false;
	*v = le16toh(x);
	return true;
}

bool xs_rd_u32le_at(const struct xs_rd *rd, size_t off, uint32_t *v)
{
	uint32_t x;

	if (!xs_rd_copy_at(rd, off, sizeof(x), &x))
		return false;
	*v = le32toh(x);
	return true;
}

bool xs_rd_u64le_at(const struct xs_rd *rd, size_t off, uint64_t *v)
{
	uint64_t x;

	if (!xs_rd_copy_at(rd, off, sizeof(x), &x))
		return false;
	*v = le64toh(x);
	return true;
}

#define RD_AT(name, type, conv)						\
	bool name(const struct xs_rd *rd, size_t off, type *v)		\
	{								\
		type x;							\
									\
		if (!xs_rd_copy_at(rd, off, sizeof(x), &x))		\
			return false;					\
		*v = conv(x);						\
		return true;						\
	}
RD_AT(xs_rd_u16be_at, uint16_t, be16toh)
RD_AT(xs_rd_u32be_at, uint32_t, be32toh)
RD_AT(xs_rd_u64be_at, uint64_t, be64toh)

bool xs_rd_sub_at(const struct xs_rd *rd, size_t off, size_t n, struct xs_rd *sub)
{
	if (!xs_range_ok(rd->len, off, n))
		return false;
	*sub = xs_rd_init(rd->p + off, n, rd->base + off);
	return true;
}

bool xs_rd_zero_at(const struct xs_rd *rd, size_t off, size_t n)
{
	if (!xs_range_ok(rd->len, off, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (rd->p[off + i])
			return false;
	return true;
}

bool xs_rd_equal_at(const struct xs_rd *rd, size_t off, const void *ref, size_t n)
{
	return xs_range_ok(rd->len, off, n) && memcmp(rd->p + off, ref, n) == 0;
}

bool xs_rd_u8(struct xs_rd *rd, uint8_t *v)
{
	if (!xs_rd_u8_at(rd, rd->pos, v))
		return false;
	rd->pos += 1;
	return true;
}

bool xs_rd_u16be(struct xs_rd *rd, uint16_t *v)
{
	uint16_t x;

	if (!xs_rd_copy_at(rd, rd->pos, sizeof(x), &x))
		return false;
	*v = be16toh(x);
	rd->pos += sizeof(x);
	return true;
}

bool xs_rd_u32be(struct xs_rd *rd, uint32_t *v)
{
	uint32_t x;

	if (!xs_rd_copy_at(rd, rd->pos, sizeof(x), &x))
		return false;
	*v = be32toh(x);
	rd->pos += sizeof(x);
	return true;
}

bool xs_rd_u64be(struct xs_rd *rd, uint64_t *v)
{
	uint64_t x;

	if (!xs_rd_copy_at(rd, rd->pos, sizeof(x), &x))
		return false;
	*v = be64toh(x);
	rd->pos += sizeof(x);
	return true;
}

bool xs_rd_skip(struct xs_rd *rd, size_t n)
{
	if (!xs_range_ok(rd->len, rd->pos, n))
		return false;
	rd->pos += n;
	return true;
}

bool xs_rd_sub(struct xs_rd *rd, size_t n, struct xs_rd *sub)
{
	if (!xs_rd_sub_at(rd, rd->pos, n, sub))
		return false;
	rd->pos += n;
	return true;
}

uint64_t xs_be_get(const void *p, unsigned n)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (unsigned i = 0; i < n && i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

void xs_be_put(void *p, uint64_t v, unsigned n)
{
	uint8_t *b = p;

	for (unsigned i = 0; i < n && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

bool xs_wr_copy_at(struct xs_wr *wr, size_t off, const void *src, size_t n)
{
	if (!xs_range_ok(wr->len, off, n))
		return false;
	if (n)
		memcpy(wr->p + off, src, n);
	return true;
}

bool xs_wr_u16le_at(struct xs_wr *wr, size_t off, uint16_t v)
{
	uint16_t x = htole16(v);

	return xs_wr_copy_at(wr, off, &x, sizeof(x));
}

bool xs_wr_u32le_at(struct xs_wr *wr, size_t off, uint32_t v)
{
	uint32_t x = htole32(v);

	return xs_wr_copy_at(wr, off, &x, sizeof(x));
}

bool xs_wr_u64le_at(struct xs_wr *wr, size_t off, uint64_t v)
{
	uint64_t x = htole64(v);

	return xs_wr_copy_at(wr, off, &x, sizeof(x));
}

bool xs_wr_u64be_at(struct xs_wr *wr, size_t off, uint64_t v)
{
	v = htobe64(v);
	return xs_wr_copy_at(wr, off, &v, sizeof(v));
}

bool xs_wr_zero_at(struct xs_wr *wr, size_t off, size_t n)
{
	if (!xs_range_ok(wr->len, off, n))
		return false;
	memset(wr->p + off, 0, n);
	return true;
}
