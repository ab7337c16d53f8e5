/* SPDX-License-Identifier: MIT */
/*
 * The journal of an in-place rewrite (xsavectl's `filter --in-place` on an
 * uncompressed QEMU stream): the original bytes of every range about to change,
 * written (atomically, by the caller) before the first byte of the file
 * changes and removed once the file is synced.  If the rewrite is
 * interrupted, the journal is what puts the file back.  Only the record is
 * here: building it from the patches and parsing it back; the caller does
 * the I/O.  Its name is the file's with XS_JOURNAL_SUFFIX appended.
 *
 * The record, every number big-endian:
 *
 *	XS_JOURNAL_MAGIC ("XSAVECTL-JOURNAL 2\n", 19 bytes)
 *	u64 the file's size	u64 its device	u64 its inode	u32 the number of ranges
 *	per range: u64 file offset, u32 length, the old bytes, the new bytes
 *	u32 CRC-32 (IEEE 802.3, as zlib's crc32) of everything before it
 *
 * The device and inode bind the journal to the file it was written for: a
 * file of the same name and size that is another (a new save, a copy) is not
 * rolled back.  Version 1 ("XSAVECTL-JOURNAL 1\n", written by xsavectl 0.2)
 * has no device and inode: it is still read, and bound to nothing.
 *
 * Version 3 is the journal of a rewrite that changes the file's size (an lzop
 * or xz stream whose last blocks are re-encoded): one tail, from an offset to
 * the end of the file, before and after.
 *
 *	XS_JOURNAL_MAGIC_V3 ("XSAVECTL-JOURNAL 3\n", 19 bytes)
 *	u64 the file's size	u64 its device	u64 its inode	u64 its new size
 *	u64 the tail's offset
 *	the old bytes (from the offset to the old size), the new bytes (to the new size)
 *	u32 CRC-32 of everything before it
 *
 * A rollback writes the old bytes back at the offset and truncates (or
 * extends) the file to its old size.
 *
 * Internal to libxsave and xsavectl (lib/internal/): not installed, not exported.
 */
#ifndef XSAVE_JOURNAL_H
#define XSAVE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>
#include <xsave/qstream.h>
#include <xsave/rd.h>

#define XS_JOURNAL_MAGIC "XSAVECTL-JOURNAL 2\n"
#define XS_JOURNAL_MAGIC_V1 "XSAVECTL-JOURNAL 1\n"
#define XS_JOURNAL_MAGIC_V3 "XSAVECTL-JOURNAL 3\n"
#define XS_JOURNAL_SUFFIX ".xsavectl-journal"

/* A version 3 journal's tail: the file's bytes from @off on, before and after. */
struct xs_journal_tail {
	uint64_t off;
	const uint8_t *orig;	/* file_size - off bytes */
	const uint8_t *data;	/* new_size - off bytes */
	size_t orig_len, data_len;
};

/* A journal being read back: its header, and the ranges not read yet. */
struct xs_journal {
	unsigned version;	/* 1, 2 or 3 (set by xs_journal_parse) */
	uint64_t file_size;	/* the file's size when the journal was written */
	uint64_t new_size;	/* its size once rewritten (version 3; else file_size) */
	struct xs_journal_tail tail;	/* version 3: the tail (its count is 0) */
	bool bound;		/* it names the file's device and inode (version 2) */
	uint64_t dev, ino;	/* those (0 when not bound) */
	uint32_t count;		/* the ranges it holds */
	uint32_t next;		/* the index of the range xs_journal_next() reads */
	struct xs_rd rd;	/* the bytes of the ranges not read yet */
};

/*
 * The bytes the journal of the @n ranges @p takes (SIZE_MAX when that does not
 * fit in a size_t).
 */
size_t xs_journal_size(const struct xs_qpatch *p, unsigned n);

/*
 * Write the journal of the @n ranges @p (file offsets; orig the bytes there
 * now, data those that replace them) of the file @f (its file_size, dev and
 * ino) into @buf, which holds @cap bytes: xs_journal_size(p, n) of them are
 * written.  0, or -XS_EINVAL when @cap is too small (nothing written).
 */
int xs_journal_encode(uint8_t *buf, size_t cap, const struct xs_journal *f,
		      const struct xs_qpatch *p, unsigned n, struct xs_diag *d);

/*
 * The bytes the version 3 journal of a tail of @orig_len bytes rewritten into
 * @data_len takes (SIZE_MAX when that does not fit in a size_t).
 */
size_t xs_journal_tail_size(uint64_t orig_len, uint64_t data_len);

/*
 * Write the version 3 journal of the tail @t of the file @f (its file_size,
 * new_size, dev and ino; t->orig_len must be file_size - t->off, t->data_len
 * new_size - t->off) into @buf, which holds @cap bytes.  0, or -XS_EINVAL
 * when @cap is too small or the sizes do not agree (nothing written).
 */
int xs_journal_encode_tail(uint8_t *buf, size_t cap, const struct xs_journal *f,
			   const struct xs_journal_tail *t, struct xs_diag *d);

/*
 * Check the @len bytes at @buf (the whole journal file, version 3, 2 or 1) and
 * read its header into @j.  0, or -XS_EFORMAT: too short, another magic, the
 * CRC does not match, or (version 3) the tail's offset lies past either size or
 * its bytes are not the journal's length.  The ranges are checked only as xs_journal_next() reads them; @j
 * points into @buf, which must outlive it.
 */
XS_MUST_CHECK int xs_journal_parse(struct xs_journal *j, const uint8_t *buf, size_t len,
				   struct xs_diag *d);

/*
 * The next of @j's ranges in @p: off and len, orig the bytes the file held
 * there (what a rollback writes back), data those written over them; the
 * pointers are into the journal's buffer.  0; -XS_ETRUNC when the range runs
 * past the end of the journal (@d at the range); -XS_EINVAL when all
 * j->count ranges were read.  Nothing moves on failure.
 */
XS_MUST_CHECK int xs_journal_next(struct xs_journal *j, struct xs_qpatch *p, struct xs_diag *d);

#endif
