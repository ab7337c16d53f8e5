/* SPDX-License-Identifier: MIT */
/*
 * The protocol buffers wire format (protobuf.dev/programming-guides/encoding),
 * read field by field with bounds checks, and the few pieces a writer needs to
 * splice a changed field into a message.  No schema here: the reader of a
 * format (criu.c) knows its field numbers.  Offsets are the file's: a message
 * is read from an xs_rd whose base is where its bytes lie in the file.
 */
#ifndef XSAVECTL_PB_H
#define XSAVECTL_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>

#include <xsave/rd.h>

enum pb_wire { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

/* A varint is at most 10 bytes (64 bits, 7 a byte). */
#define PB_VARINT_MAX 10
/* Field numbers are 29 bits. */
#define PB_FIELD_MAX ((1u << 29) - 1)

struct pb_field {
	uint32_t num;
	enum pb_wire wire;
	uint64_t v;		/* PB_VARINT, PB_I64, PB_I32: the value */
	struct xs_rd sub;	/* PB_LEN: the bytes (base: their file offset) */
	size_t start, end;	/* the field, key included, in the message's bytes */
};

/*
 * The next field of the message @rd: 1 (read into @f), 0 at its end, or -1
 * malformed (@d: the message and the file offset).  Groups (wire types 3, 4)
 * and the unused types 6, 7 are malformed.
 */
int pb_next(struct xs_rd *rd, struct pb_field *f, struct xs_diag *d);
/* A varint at @rd's position.  0, or -1 (@d: cut short, or longer than 64 bits). */
int pb_varint(struct xs_rd *rd, uint64_t *v, struct xs_diag *d);

/* The bytes of varint @v (at most PB_VARINT_MAX) into @p; their number. */
size_t pb_put_varint(uint8_t *p, uint64_t v);
/*
 * The message @msg with its field at [@start, @end) (offsets in it) replaced by field
 * @num of wire type PB_LEN holding @val (@n bytes): a new buffer, its length in
 * *@out_len.  A range outside @msg gives an empty message.
 */
uint8_t *pb_splice(const struct xs_rd *msg, size_t start, size_t end, uint32_t num,
		   const uint8_t *val, size_t n, size_t *out_len);

#endif
