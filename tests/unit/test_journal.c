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
#define FILE_DEV 0x803u
#define FILE_INO 0x1234u
/* 19 magic + 8 size + 8 device + 8 inode + 4 count + (12 + 2*3) + (12 + 2*2) + 4 CRC */
#define JOURNAL_LEN 85u
#define COUNT_AT 46u		/* the low byte of the u32 count */
#define JOURNAL_V1_LEN 69u	/* version 1: no device and inode */

static const uint8_t old0[] = { 0x01, 0x02, 0x03 }, new0[] = { 0xaa, 0xbb, 0xcc };
static const uint8_t old1[] = { 0x00, 0x00 }, new1[] = { 0x7f, 0x80 };

static const struct xs_qpatch ranges[] = {
	{ .off = 0x10, .orig = old0, .data = new0, .len = sizeof(old0) },
	{ .off = 0x1000, .orig = old1, .data = new1, .len = sizeof(old1) },
};

static const struct xs_journal file = { .file_size = FILE_SIZE, .bound = true,
					.dev = FILE_DEV, .ino = FILE_INO };

static const uint8_t want[JOURNAL_LEN] = {
	'X', 'S', 'A', 'V', 'E', 'C', 'T', 'L', '-', 'J', 'O', 'U', 'R', 'N', 'A', 'L', ' ', '2',
	'\n',
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,		/* file size */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x03,		/* device */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34,		/* inode */
	0x00, 0x00, 0x00, 0x02,					/* count */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x03,
	0x01, 0x02, 0x03, 0xaa, 0xbb, 0xcc,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x7f, 0x80,
	0xb5, 0x79, 0x3f, 0xe4,						/* CRC-32 */
};

/* The same ranges in a version 1 journal (xsavectl 0.2): read, bound to no file. */
static const uint8_t want_v1[JOURNAL_V1_LEN] = {
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
	CHECK_U64(xs_journal_size(NULL, 0), 51, "size of none");
	CHECK(xs_journal_encode(buf, sizeof(buf), &file, ranges, 2, &d) == 0, "encode");
	CHECK(!memcmp(buf, want, sizeof(want)), "the bytes, CRC 0xb5793fe4 included");
	CHECK(xs_journal_parse(&j, buf, sizeof(buf), &d) == 0, "parse");
	CHECK_U64(j.file_size, FILE_SIZE, "file size");
	CHECK(j.bound && j.dev == FILE_DEV && j.ino == FILE_INO, "bound to device 0x803, inode 0x1234");
	CHECK_U64(j.count, 2, "count");
	CHECK(xs_journal_next(&j, &r, &d) == 0 && r.off == 0x10 && r.len == 3 &&
	      !memcmp(r.orig, old0, 3) && !memcmp(r.data, new0, 3), "range 0: 0x10, 3 bytes");
	CHECK(xs_journal_next(&j, &r, &d) == 0 && r.off == 0x1000 && r.len == 2 &&
	      !memcmp(r.orig, old1, 2) && !memcmp(r.data, new1, 2), "range 1: 0x1000, 2 bytes");
	CHECK(xs_journal_next(&j, &r, &d) == -XS_EINVAL && j.next == 2, "no range 2");
	CHECK(xs_journal_parse(&j, want_v1, sizeof(want_v1), &d) == 0 && !j.bound && !j.dev &&
	      !j.ino && j.file_size == FILE_SIZE && j.count == 2, "version 1: read, bound to nothing");
	CHECK(xs_journal_next(&j, &r, &d) == 0 && r.off == 0x10 && r.len == 3 &&
	      !memcmp(r.orig, old0, 3) && !memcmp(r.data, new0, 3), "version 1: range 0");
}

static void empty_and_small(void)
{
	static const uint8_t crc_none[] = { 0x65, 0xed, 0xb1, 0x20 };
	uint8_t buf[JOURNAL_LEN];
	struct xs_diag d = { 0 };
	struct xs_journal j;

	CHECK(xs_journal_encode(buf, sizeof(buf), &file, NULL, 0, &d) == 0 &&
	      !memcmp(buf, want, COUNT_AT) && buf[COUNT_AT] == 0 && !memcmp(buf + 47, crc_none, 4),
	      "no ranges: header, count 0, CRC 0x65edb120");
	CHECK(xs_journal_parse(&j, buf, 51, &d) == 0 && j.count == 0, "no ranges read back");
	memset(buf, 0xee, sizeof(buf));
	CHECK(xs_journal_encode(buf, JOURNAL_LEN - 1, &file, ranges, 2, &d) == -XS_EINVAL &&
	      buf[0] == 0xee, "a buffer one byte short: refused, untouched");
}

static void corrupt(void)
{
	uint8_t buf[JOURNAL_LEN];
	struct xs_diag d = { 0 };
	struct xs_journal j;

	memcpy(buf, want, sizeof(buf));
	buf[62] ^= 0x01;	/* a new byte of range 0 */
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
	static const uint8_t crc_count3[] = { 0x7a, 0xe7, 0x28, 0x2c };
	uint8_t buf[JOURNAL_LEN];
	struct xs_diag d = { 0 };
	struct xs_journal j;
	struct xs_qpatch r;

	CHECK(xs_journal_parse(&j, want, JOURNAL_LEN - 1, &d) == -XS_EFORMAT &&
	      !strcmp(d.msg, bad), "one byte short: refused");
	CHECK(xs_journal_parse(&j, want, 50, &d) == -XS_EFORMAT, "shorter than a header and CRC");
	CHECK(xs_journal_parse(&j, want_v1, 34, &d) == -XS_EFORMAT,
	      "version 1 shorter than its header and CRC");
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
