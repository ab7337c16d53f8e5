// SPDX-License-Identifier: MIT
/*
 * RAM sections of a QEMU stream (migration/ram.c, section "ram" version 4):
 * the block list, and page records skipped by their headers alone.  Page
 * data is never read: a PAGE record costs its 8-byte header (and the block
 * name when it changes).
 */
#include <string.h>

#include <xsave/rd.h>

#include "qemu_priv.h"

/* RAM record flags (migration/ram.h). */
enum {
	RAM_FULL = 0x01, RAM_ZERO = 0x02, RAM_MEM_SIZE = 0x04, RAM_PAGE = 0x08, RAM_EOS = 0x10,
	RAM_CONTINUE = 0x20, RAM_XBZRLE = 0x40, RAM_HOOK = 0x80, RAM_COMPRESS = 0x100,
	RAM_MULTIFD_FLUSH = 0x200,
};
#define PAGE_SIZE 4096u
#define PAGE_MASK (PAGE_SIZE - 1)
#define COMPRESS_BOUND 4110u		/* zlib compressBound(4096) */

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int ram_block_list(struct qw *w, uint64_t total)
{
	struct xs_qstream *qs = w->qs;
	uint64_t sum = 0;

	qs->ram_total = total;
	while (sum < total) {
		struct ramblk b;
		uint64_t v, at = w->off;
		const uint8_t *p;

		if (xsp_qw_rdname(w, b.name, "a RAM block name") ||
		    xsp_qw_rdbe(w, 8, &b.len, "a RAM block length"))
			return w->rc;
		/* Hugepage blocks carry their page size after postcopy was advised. */
		if (qs->postcopy_advised && (p = xsp_qw_need(w, w->off, 8, "a RAM block entry"))) {
			v = xs_be_get(p, 8);
			if (p[0] == 0 && pow2(v) && v != PAGE_SIZE && (v & qs->pagesize_summary))
				w->off += 8;
		}
		if (w->rc)
			return w->rc;
		if ((qs->caps & XS_QCAP_IGNORE_SHARED) && xsp_qw_rdbe(w, 8, &v, "a RAM block address"))
			return w->rc;
		if (qs->caps & XS_QCAP_MAPPED_RAM) {
			uint64_t ver, psz, bmap, pages;

			if (xsp_qw_rdbe(w, 4, &ver, "a mapped-ram header") ||
			    xsp_qw_rdbe(w, 8, &psz, "a mapped-ram header") ||
			    xsp_qw_rdbe(w, 8, &bmap, "a mapped-ram header") ||
			    xsp_qw_rdbe(w, 8, &pages, "a mapped-ram header"))
				return w->rc;
			if (ver != 1 || psz != PAGE_SIZE || bmap < w->off || pages < bmap ||
			    pages > UINT64_MAX - b.len)
				return fail(w, XS_EFORMAT, w->off - 28,
					    "bad mapped-ram header for block '%s' (version %llu)",
					    b.name, (unsigned long long)ver);
			/* The pages sit at pages_offset; the stream goes on after them. */
			w->off = pages + b.len;
			qs->mapped_pages_bytes += b.len;
		}
		if (w->nblk == MAX_BLOCKS)
			return fail(w, XS_ELIMIT, at, "more RAM blocks than %llu",
				    (unsigned long long)MAX_BLOCKS);
		if (b.len > total - sum)
			return fail(w, XS_EFORMAT, at,
				    "RAM block '%s' makes the blocks larger than the total %llu",
				    b.name, (unsigned long long)total);
		sum += b.len;
		if (!xsp_qw_grow((void **)&w->blk, &w->capblk, w->nblk, sizeof(*w->blk)))
			return fail(w, XS_ENOMEM, at, "out of memory");
		w->blk[w->nblk++] = b;
		qs->ram_blocks++;
	}
	return 0;
}

static int ram_page_block(struct qw *w, uint64_t flags, uint64_t addr, uint64_t at)
{
	char name[256];

	if (!(flags & RAM_CONTINUE)) {
		if (xsp_qw_rdname(w, name, "a RAM block name"))
			return w->rc;
		w->last_blk = -1;
		for (unsigned i = 0; i < w->nblk; i++)
			if (!strcmp(w->blk[i].name, name))
				w->last_blk = (int)i;
		if (w->last_blk < 0)
			return fail(w, XS_EFORMAT, at, "page for unknown RAM block '%s'", name);
	} else if (w->last_blk < 0)
		return fail(w, XS_EFORMAT, at, "CONTINUE page with no block before it");
	if (addr >= w->blk[w->last_blk].len)
		return fail(w, XS_EFORMAT, at, "page beyond the end of RAM block '%s' (0x%llx)",
			    w->blk[w->last_blk].name, (unsigned long long)addr);
	return 0;
}

/* One more page record: refused past MAX_PAGE_PASSES times the pages the block list declares. */
static int ram_page_count(struct qw *w, uint64_t at)
{
	uint64_t pages = w->qs->ram_total / PAGE_SIZE + (w->qs->ram_total % PAGE_SIZE != 0);
	uint64_t max = pages > UINT64_MAX / MAX_PAGE_PASSES ? UINT64_MAX : pages * MAX_PAGE_PASSES;

	if (++w->page_records <= max)
		return 0;
	return fail(w, XS_ELIMIT, at, "more than %llu page records: %u times the %llu pages of "
		    "RAM the stream declares", (unsigned long long)max, MAX_PAGE_PASSES,
		    (unsigned long long)pages);
}

/* One ram START/PART/END body: records up to EOS. */
int xsp_qram_body(struct qw *w)
{
	struct xs_qstream *qs = w->qs;
	bool mapped = qs->caps & XS_QCAP_MAPPED_RAM;

	for (;;) {
		uint64_t hdr, flags, addr, v, at = w->off;

		if (xsp_qw_release(w, at) || xsp_qw_rdbe(w, 8, &hdr, "a RAM record"))
			return w->rc;
		flags = hdr & PAGE_MASK;
		addr = hdr & ~(uint64_t)PAGE_MASK;
		if ((flags & (RAM_ZERO | RAM_PAGE | RAM_XBZRLE | RAM_COMPRESS)) &&
		    (ram_page_block(w, flags, addr, at) || ram_page_count(w, at)))
			return w->rc;
		flags &= ~(uint64_t)RAM_CONTINUE;
		if (mapped && (flags & (RAM_ZERO | RAM_PAGE | RAM_XBZRLE | RAM_COMPRESS)))
			return fail(w, XS_EFORMAT, at, "page record in a mapped-ram stream");
		switch (flags) {
		case RAM_MEM_SIZE:
			if (ram_block_list(w, addr))
				return w->rc;
			break;
		case RAM_ZERO:
			if (xsp_qw_rdbe(w, 1, &v, "a zero page's fill byte"))
				return w->rc;
			qs->zero_pages++;
			break;
		case RAM_PAGE:
			w->off += PAGE_SIZE;
			qs->pages++;
			break;
		case RAM_COMPRESS:
			if (xsp_qw_rdbe(w, 4, &v, "a compressed page length"))
				return w->rc;
			if (v > COMPRESS_BOUND)
				return fail(w, XS_EFORMAT, at, "compressed page of %llu bytes",
					    (unsigned long long)v);
			w->off += v;
			qs->compressed_pages++;
			break;
		case RAM_XBZRLE:
			if (xsp_qw_rdbe(w, 1, &v, "an XBZRLE encoding byte"))
				return w->rc;
			if (v != 1)
				return fail(w, XS_EFORMAT, at, "XBZRLE page with encoding %llu",
					    (unsigned long long)v);
			if (xsp_qw_rdbe(w, 2, &v, "an XBZRLE length"))
				return w->rc;
			if (v > PAGE_SIZE)
				return fail(w, XS_EFORMAT, at, "XBZRLE page of %llu bytes",
					    (unsigned long long)v);
			w->off += v;
			qs->xbzrle_pages++;
			break;
		case RAM_MULTIFD_FLUSH:
			qs->flushes++;
			break;
		case RAM_EOS:
			return 0;
		case RAM_HOOK:
			return fail(w, XS_EUNKNOWN, at, "RDMA RAM hook record: not in a file");
		default:
			return fail(w, XS_EFORMAT, at, "unknown RAM record flags 0x%llx",
				    (unsigned long long)flags);
		}
		if (w->src->end != UINT64_MAX && w->off > w->src->end)
			return fail(w, XS_ETRUNC, w->src->end,
				    "stream ends inside a RAM record (offset 0x%llx)",
					    (unsigned long long)at);
	}
}

