// SPDX-License-Identifier: MIT
/* Cursor edges: empty windows, exact fits, off-by-one, SIZE_MAX offsets. */
#include <stdint.h>
#include <string.h>

#include <xsave/rd.h>

#include "check.h"

int main(void)
{
	const uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct xs_rd rd = xs_rd_init(buf, sizeof(buf), 100), sub;
	uint64_t v64 = 0xdead;
	uint32_t v32 = 0;
	uint16_t v16 = 0;
	uint8_t out[8];

	CHECK(xs_rd_u64le_at(&rd, 0, &v64) && v64 == 0x0807060504030201ULL, "u64le exact fit");
	v64 = 0xdead;
	CHECK(!xs_rd_u64le_at(&rd, 1, &v64) && v64 == 0xdead, "u64le one past end fails, untouched");
	CHECK(!xs_rd_u32le_at(&rd, SIZE_MAX, &v32), "SIZE_MAX offset fails");
	CHECK(!xs_rd_u16le_at(&rd, SIZE_MAX - 1, &v16), "SIZE_MAX-1 offset does not wrap");
	CHECK(xs_rd_u16le_at(&rd, 6, &v16) && v16 == 0x0807, "u16le at len-2");
	CHECK(!xs_rd_u16le_at(&rd, 7, &v16), "u16le at len-1 fails");
	CHECK(xs_rd_copy_at(&rd, 8, 0, out), "zero-length copy at len is fine");
	CHECK(!xs_rd_copy_at(&rd, 9, 0, out), "zero-length copy past len fails");
	CHECK(xs_rd_sub_at(&rd, 2, 4, &sub) && sub.len == 4 && sub.base == 102, "sub window base");
	CHECK(!xs_rd_sub_at(&rd, 5, 4, &sub), "sub window past end fails");
	CHECK(xs_rd_u32be(&rd, &v32) && v32 == 0x01020304 && rd.pos == 4, "u32be advances");
	CHECK(xs_rd_abs(&rd) == 104, "absolute offset");
	CHECK(!xs_rd_u64be(&rd, &v64) && rd.pos == 4, "failed u64be does not move");
	CHECK(xs_rd_skip(&rd, 4) && xs_rd_left(&rd) == 0, "skip to end");
	CHECK(!xs_rd_skip(&rd, 1), "skip past end fails");
	CHECK(!xs_rd_zero_at(&rd, 0, 1) && xs_rd_zero_at(&rd, 8, 0), "zero_at");

	struct xs_rd empty = xs_rd_init(NULL, 0, 0);
	uint8_t b;
	CHECK(!xs_rd_u8(&empty, &b) && !xs_rd_u8_at(&empty, 0, &b), "empty window reads nothing");

	uint8_t w[8] = { 0 };
	struct xs_wr wr = xs_wr_init(w, sizeof(w));
	CHECK(xs_wr_u64le_at(&wr, 0, 0x1122334455667788ULL) && w[0] == 0x88 && w[7] == 0x11,
	      "u64le write");
	CHECK(!xs_wr_u32le_at(&wr, 5, 1) && w[5] == 0x33, "u32le write past end fails, untouched");
	CHECK(!xs_wr_zero_at(&wr, SIZE_MAX, 2), "zero write at SIZE_MAX fails");
	return t_done("test_rd");
}
