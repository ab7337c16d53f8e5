// SPDX-License-Identifier: MIT
/* The protobuf wire format: see pb.h. */
#include <stdio.h>
#include <string.h>

#include "fmt/pb.h"
#include "util.h"

static int bad(struct xs_diag *d, uint64_t off, const char *msg)
{
	d->has_off = true;
	d->off = off;
	snprintf(d->msg, sizeof(d->msg), "%s", msg);
	return -1;
}

int pb_varint(struct xs_rd *rd, uint64_t *v, struct xs_diag *d)
{
	uint64_t at = xs_rd_abs(rd), x = 0;

	for (unsigned i = 0; i < PB_VARINT_MAX; i++) {
		uint8_t b;

		if (!xs_rd_u8(rd, &b))
			return bad(d, at, "varint cut short by the end of its message");
		/* the tenth byte holds bit 63 alone */
		if (i == PB_VARINT_MAX - 1 && b > 1)
			return bad(d, at, "varint overflows 64 bits");
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return bad(d, at, "varint overflows 64 bits");
}

static int fixed(struct xs_rd *rd, unsigned n, uint64_t *v, struct xs_diag *d)
{
	uint64_t at = xs_rd_abs(rd);
	uint8_t b[8];

	if (!xs_rd_copy_at(rd, rd->pos, n, b) || !xs_rd_skip(rd, n))
		return bad(d, at, n == 8 ? "fixed64 field cut short by the end of its message"
					 : "fixed32 field cut short by the end of its message");
	*v = 0;
	for (unsigned i = n; i-- > 0;)
		*v = *v << 8 | b[i];
	return 0;
}

static int len_field(struct xs_rd *rd, struct pb_field *f, struct xs_diag *d)
{
	uint64_t at = xs_rd_abs(rd), n;
	char msg[128];

	if (pb_varint(rd, &n, d))
		return -1;
	if (n > xs_rd_left(rd)) {
		snprintf(msg, sizeof(msg), "field %u: length %llu runs past the end of its message "
			 "(%zu bytes left)", f->num, (unsigned long long)n, xs_rd_left(rd));
		return bad(d, at, msg);
	}
	if (!xs_rd_sub(rd, (size_t)n, &f->sub))
		return bad(d, at, "length-delimited field out of bounds");
	return 0;
}

int pb_next(struct xs_rd *rd, struct pb_field *f, struct xs_diag *d)
{
	uint64_t at = xs_rd_abs(rd), key;
	char msg[96];
	int rc;

	memset(f, 0, sizeof(*f));
	if (!xs_rd_left(rd))
		return 0;
	f->start = rd->pos;
	if (pb_varint(rd, &key, d))
		return -1;
	if (key >> 3 == 0 || key >> 3 > PB_FIELD_MAX) {
		snprintf(msg, sizeof(msg), "field number %llu (a key of 0x%llx) is out of range",
			 (unsigned long long)(key >> 3), (unsigned long long)key);
		return bad(d, at, msg);
	}
	f->num = (uint32_t)(key >> 3);
	f->wire = (enum pb_wire)(key & 7);
	switch (key & 7) {
	case PB_VARINT:
		rc = pb_varint(rd, &f->v, d);
		break;
	case PB_I64:
		rc = fixed(rd, 8, &f->v, d);
		break;
	case PB_LEN:
		rc = len_field(rd, f, d);
		break;
	case PB_I32:
		rc = fixed(rd, 4, &f->v, d);
		break;
	default:
		snprintf(msg, sizeof(msg), "field %u: wire type %u is not one a message of this "
			 "schema uses", f->num, (unsigned)(key & 7));
		return bad(d, at, msg);
	}
	f->end = rd->pos;
	return rc ? -1 : 1;
}

size_t pb_put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

uint8_t *pb_splice(const struct xs_rd *msg, size_t start, size_t end, uint32_t num,
		   const uint8_t *val, size_t n, size_t *out_len)
{
	uint8_t head[2 * PB_VARINT_MAX];
	size_t h = pb_put_varint(head, (uint64_t)num << 3 | PB_LEN), tail;
	uint8_t *out;

	if (start > end || end > msg->len)
		start = end = msg->len;	/* not reached: the spans were read from it */
	tail = msg->len - end;
	h += pb_put_varint(head + h, n);
	*out_len = start + h + n + tail;
	out = xmalloc(*out_len ? *out_len : 1);
	if (!xs_rd_copy_at(msg, 0, start, out) || !xs_rd_copy_at(msg, end, tail, out + start + h + n))
		memset(out, 0, *out_len);
	memcpy(out + start, head, h);
	if (n)
		memcpy(out + start + h, val, n);
	return out;
}
