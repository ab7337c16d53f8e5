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
#define XS_JOURNAL_SUFFIX ".xsavectl-journal"

/* A journal being read back: its header, and the ranges not read yet. */
struct xs_journal {
	uint64_t file_size;	/* the file's size when the journal was written */
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
 * Check the @len bytes at @buf (the whole journal file, version 2 or 1) and
 * read its header into @j.  0, or -XS_EFORMAT: too short, another magic, or
 * the CRC does not match.  The ranges are checked only as xs_journal_next() reads them; @j
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
