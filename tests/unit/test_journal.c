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

/*
 * Version 3: the tail of a file of 0x2000 bytes from 0x1ffd (3 bytes) rewritten into 5, the
 * file growing to 0x2002.  19 magic + 5 * 8 (size, device, inode, new size, offset) + 3 + 5
 * + 4 CRC.
 */
#define JOURNAL_V3_LEN 71u
#define V3_OFF 0x1ffdu
#define V3_NEW_SIZE 0x2002u
#define V3_OFF_AT 51u		/* the u64 offset */
#define V3_SIZE_AT 19u		/* the u64 old size */

static const uint8_t tail_old[] = { 0x01, 0x02, 0x03 };
static const uint8_t tail_new[] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

static const uint8_t want_v3[JOURNAL_V3_LEN] = {
	'X', 'S', 'A', 'V', 'E', 'C', 'T', 'L', '-', 'J', 'O', 'U', 'R', 'N', 'A', 'L', ' ', '3',
	'\n',
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,		/* file size */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x03,		/* device */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34,		/* inode */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x02,		/* new size */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f, 0xfd,		/* the tail's offset */
	0x01, 0x02, 0x03,					/* the old tail */
	0xaa, 0xbb, 0xcc, 0xdd, 0xee,				/* the new tail */
	0x2a, 0xdf, 0x7d, 0x3a,					/* CRC-32 */
};

static void version3(void)
{
	static const uint8_t crc_past[] = { 0xe5, 0x16, 0x24, 0x5e };
	static const uint8_t crc_size[] = { 0xc2, 0xc8, 0xed, 0x9b };
	const struct xs_journal f = { .file_size = FILE_SIZE, .new_size = V3_NEW_SIZE,
				      .bound = true, .dev = FILE_DEV, .ino = FILE_INO };
	const struct xs_journal_tail t = { .off = V3_OFF, .orig = tail_old, .data = tail_new,
					   .orig_len = sizeof(tail_old),
					   .data_len = sizeof(tail_new) };
	struct xs_journal_tail wrong = t;
	uint8_t buf[JOURNAL_V3_LEN];
	struct xs_diag d = { 0 };
	struct xs_journal j;
	struct xs_qpatch r;

	CHECK_U64(xs_journal_tail_size(3, 5), JOURNAL_V3_LEN, "v3: size of a 3-byte tail made 5");
	CHECK_U64(xs_journal_tail_size(UINT64_MAX - 10, 5), SIZE_MAX, "v3: a size that overflows");
	CHECK(xs_journal_encode_tail(buf, sizeof(buf), &f, &t, &d) == 0, "v3: encode");
	CHECK(!memcmp(buf, want_v3, sizeof(want_v3)), "v3: the bytes, CRC 0x2adf7d3a included");
	CHECK(xs_journal_parse(&j, buf, sizeof(buf), &d) == 0 && j.version == 3, "v3: parse");
	CHECK(j.bound && j.dev == FILE_DEV && j.ino == FILE_INO && j.file_size == FILE_SIZE &&
	      j.new_size == V3_NEW_SIZE && j.count == 0, "v3: header read back");
	CHECK(j.tail.off == V3_OFF && j.tail.orig_len == 3 && j.tail.data_len == 5 &&
	      !memcmp(j.tail.orig, tail_old, 3) && !memcmp(j.tail.data, tail_new, 5),
	      "v3: the old and new tails read back");
	CHECK(xs_journal_next(&j, &r, &d) == -XS_EINVAL, "v3: no ranges");
	CHECK(xs_journal_parse(&j, want, sizeof(want), &d) == 0 && j.version == 2 &&
	      j.new_size == FILE_SIZE, "version 2: its new size is its size");
	/* Refused: a buffer too small, a tail that does not agree with the sizes. */
	memset(buf, 0xee, sizeof(buf));
	CHECK(xs_journal_encode_tail(buf, JOURNAL_V3_LEN - 1, &f, &t, &d) == -XS_EINVAL &&
	      buf[0] == 0xee, "v3: a buffer one byte short: refused, untouched");
	wrong.orig_len = 2;
	CHECK(xs_journal_encode_tail(buf, sizeof(buf), &f, &wrong, &d) == -XS_EINVAL &&
	      buf[0] == 0xee, "v3: a tail that is not the file's end: refused");
	/* Lies, each with a CRC that matches. */
	memcpy(buf, want_v3, sizeof(buf));
	buf[JOURNAL_V3_LEN - 5] ^= 0x01;
	CHECK(xs_journal_parse(&j, buf, sizeof(buf), &d) == -XS_EFORMAT && !strcmp(d.msg, bad),
	      "v3: a flipped byte of the new tail: bad CRC");
	CHECK(xs_journal_parse(&j, want_v3, JOURNAL_V3_LEN - 1, &d) == -XS_EFORMAT,
	      "v3: one byte short: refused");
	CHECK(xs_journal_parse(&j, want_v3, 62, &d) == -XS_EFORMAT,
	      "v3: shorter than its header and CRC");
	memcpy(buf, want_v3, V3_OFF_AT);
	memcpy(buf + V3_OFF_AT, "\0\0\0\0\0\0\x20\x03", 8);
	memcpy(buf + V3_OFF_AT + 8, crc_past, 4);
	CHECK(xs_journal_parse(&j, buf, V3_OFF_AT + 12, &d) == -XS_EFORMAT &&
	      !strcmp(d.msg, "the journal's tail starts at 0x2003, past the end of the file "
		      "(0x2000 bytes, 0x2002 rewritten)"), "v3: an offset past the end");
	memcpy(buf, want_v3, sizeof(buf));
	buf[V3_SIZE_AT + 7] = 0x01;
	memcpy(buf + JOURNAL_V3_LEN - 4, crc_size, 4);
	CHECK(xs_journal_parse(&j, buf, sizeof(buf), &d) == -XS_EFORMAT &&
	      !strcmp(d.msg, "the journal's tail (0x4 bytes from 0x1ffd, then 0x5) is not its "
		      "length (0x47 bytes)"), "v3: an old size one more than its bytes");
}

int main(void)
{
	version3();
	round_trip();
	empty_and_small();
	corrupt();
	truncated();
	return t_done("test_journal");
}
