// SPDX-License-Identifier: MIT
/*
 * The in-place rewrite's journal record: the exact bytes of a small journal
 * (CRCs worked out apart, with zlib's crc32), read back, and refused when a
 * byte is flipped, when it is cut short, when a range runs past its end.
 */
#include <stdint.h>
#include <string.h>

#include <xsave/journal.h>

#include "check.h"

#define FILE_SIZE 0x2000u
#define JOURNAL_LEN 69u		/* 19 magic + 8 size + 4 count + (12 + 2*3) + (12 + 2*2) + 4 CRC */
#define COUNT_AT 30u		/* the low byte of the u32 count */

static const uint8_t old0[] = { 0x01, 0x02, 0x03 }, new0[] = { 0xaa, 0xbb, 0xcc };
static const uint8_t old1[] = { 0x00, 0x00 }, new1[] = { 0x7f, 0x80 };

static const struct xs_qpatch ranges[] = {
	{ .off = 0x10, .orig = old0, .data = new0, .len = sizeof(old0) },
	{ .off = 0x1000, .orig = old1, .data = new1, .len = sizeof(old1) },
};

static const uint8_t want[JOURNAL_LEN] = {
	'X', 'S', 'A', 'V', 'E', 'C', 'T', 'L', '-', 'J', 'O', 'U', 'R', 'N', 'A', 'L', ' ', '1',
	'\n',
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,		/* file size */
	0x00, 0x00, 0x00, 0x02,					/* count */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x03,
	0x01, 0x02, 0x03, 0xaa, 0xbb, 0xcc,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x7f, 0x80,
	0x8b, 0x5c, 0x00, 0xc0,					/* CRC-32 */
};

static const char *const bad = "not a valid xsavectl journal (bad magic or CRC)";

static void round_trip(void)
{
	uint8_t buf[JOURNAL_LEN];
	struct xs_diag d = { 0 };
	struct xs_journal j;
	struct xs_qpatch r;

	CHECK_U64(xs_journal_size(ranges, 2), JOURNAL_LEN, "size of two ranges");
	CHECK_U64(xs_journal_size(NULL, 0), 35, "size of none");
	CHECK(xs_journal_encode(buf, sizeof(buf), FILE_SIZE, ranges, 2, &d) == 0, "encode");
	CHECK(!memcmp(buf, want, sizeof(want)), "the bytes, CRC 0x8b5c00c0 included");
	CHECK(xs_journal_parse(&j, buf, sizeof(buf), &d) == 0, "parse");
	CHECK_U64(j.file_size, FILE_SIZE, "file size");
	CHECK_U64(j.count, 2, "count");
	CHECK(xs_journal_next(&j, &r, &d) == 0 && r.off == 0x10 && r.len == 3 &&
	      !memcmp(r.orig, old0, 3) && !memcmp(r.data, new0, 3), "range 0: 0x10, 3 bytes");
	CHECK(xs_journal_next(&j, &r, &d) == 0 && r.off == 0x1000 && r.len == 2 &&
	      !memcmp(r.orig, old1, 2) && !memcmp(r.data, new1, 2), "range 1: 0x1000, 2 bytes");
	CHECK(xs_journal_next(&j, &r, &d) == -XS_EINVAL && j.next == 2, "no range 2");
}

static void empty_and_small(void)
{
	static const uint8_t crc_none[] = { 0x70, 0x26, 0x21, 0xd8 };
	uint8_t buf[JOURNAL_LEN];
	struct xs_diag d = { 0 };
	struct xs_journal j;

	CHECK(xs_journal_encode(buf, sizeof(buf), FILE_SIZE, NULL, 0, &d) == 0 &&
	      !memcmp(buf, want, 27) && buf[COUNT_AT] == 0 && !memcmp(buf + 31, crc_none, 4),
	      "no ranges: header, count 0, CRC 0x702621d8");
	CHECK(xs_journal_parse(&j, buf, 35, &d) == 0 && j.count == 0, "no ranges read back");
	memset(buf, 0xee, sizeof(buf));
	CHECK(xs_journal_encode(buf, JOURNAL_LEN - 1, FILE_SIZE, ranges, 2, &d) == -XS_EINVAL &&
	      buf[0] == 0xee, "a buffer one byte short: refused, untouched");
}

static void corrupt(void)
{
	uint8_t buf[JOURNAL_LEN];
	struct xs_diag d = { 0 };
	struct xs_journal j;

	memcpy(buf, want, sizeof(buf));
	buf[46] ^= 0x01;	/* a new byte of range 0 */
	CHECK(xs_journal_parse(&j, buf, sizeof(buf), &d) == -XS_EFORMAT && !strcmp(d.msg, bad),
	      "a flipped data byte: bad CRC");
	memcpy(buf, want, sizeof(buf));
	buf[JOURNAL_LEN - 1] ^= 0x80;
	CHECK(xs_journal_parse(&j, buf, sizeof(buf), &d) == -XS_EFORMAT, "a flipped CRC byte");
	memcpy(buf, want, sizeof(buf));
	buf[0] = 'x';
	CHECK(xs_journal_parse(&j, buf, sizeof(buf), &d) == -XS_EFORMAT, "another magic");
}

static void truncated(void)
{
	static const uint8_t crc_count3[] = { 0x44, 0xc2, 0x17, 0x08 };
	uint8_t buf[JOURNAL_LEN];
	struct xs_diag d = { 0 };
	struct xs_journal j;
	struct xs_qpatch r;

	CHECK(xs_journal_parse(&j, want, JOURNAL_LEN - 1, &d) == -XS_EFORMAT &&
	      !strcmp(d.msg, bad), "one byte short: refused");
	CHECK(xs_journal_parse(&j, want, 34, &d) == -XS_EFORMAT, "shorter than a header and CRC");
	CHECK(xs_journal_parse(&j, want, 0, &d) == -XS_EFORMAT, "empty");
	/* A CRC that matches over a count of 3 with 2 ranges: the third runs past the end. */
	memcpy(buf, want, sizeof(buf));
	buf[COUNT_AT] = 3;
	memcpy(buf + JOURNAL_LEN - 4, crc_count3, 4);
	CHECK(xs_journal_parse(&j, buf, sizeof(buf), &d) == 0 && j.count == 3, "count 3 parses");
	CHECK(xs_journal_next(&j, &r, &d) == 0 && xs_journal_next(&j, &r, &d) == 0, "two ranges");
	CHECK(xs_journal_next(&j, &r, &d) == -XS_ETRUNC && j.next == 2 &&
	      !strcmp(d.msg, "journal entry 2 is truncated") && d.has_off, "range 2 truncated");
	CHECK_U64(d.off, JOURNAL_LEN - 4, "at the CRC, where range 2 would start");
}

int main(void)
{
	round_trip();
	empty_and_small();
	corrupt();
	truncated();
	return t_done("test_journal");
}
