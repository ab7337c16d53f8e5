/* SPDX-License-Identifier: MIT */
/*
 * Rewriting a few byte ranges of a file in place under a journal (filter
 * --in-place on an uncompressed QEMU stream), or its tail, from an offset to
 * the end (an lzop or xz stream's last blocks): the journal holds each range's
 * original and new bytes (libxsave's record, include/xsave/journal.h) and is
 * written atomically before the first byte of the file changes, removed after
 * the file is synced.  Killed in between, the next run finds the journal and
 * rolls the file back first.  A leaf beside patchcopy: it takes a file and
 * its patches, and knows nothing of the format they come from.
 */
#ifndef XSAVECTL_JOURNAL_H
#define XSAVECTL_JOURNAL_H

#include <sys/stat.h>

struct fail;
struct xs_qpatch;

/* The journal's name for @path (allocated): a reader refuses a file that has one. */
char *journal_name(const char *path);
/*
 * Write the @n patches @p over @path (whose stat @st was taken when it was
 * read: the journal gets its mode), under its journal.  0 or an exit code (@why).
 */
int journal_write(const char *path, const struct stat *st, const struct xs_qpatch *p,
		  unsigned n, struct fail *why);
/*
 * The most bytes (old and new together) a tail rewrite journals: a larger tail is
 * rewritten whole, atomically, instead.
 */
#define JOURNAL_TAIL_MAX (48u << 20)
/*
 * Replace @path's bytes from @off to its end (its size in @st, taken when it was read) by
 * the @len bytes @p, which may change its size, under a version 3 journal: the journal (the
 * old tail and the new), the file extended when it grows, the new bytes, the file
 * truncated when it shrinks, fsync, the journal removed.  0 or an exit code (@why).
 */
int journal_write_tail(const char *path, const struct stat *st, uint64_t off, const uint8_t *p,
		       size_t len, struct fail *why);
/*
 * If an interrupted run left @path's journal, put the original bytes back and
 * remove it (why->note says so).  0 or an exit code (@why).
 */
int journal_recover(const char *path, struct fail *why);

#endif
