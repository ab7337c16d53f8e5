/* SPDX-License-Identifier: MIT */
/*
 * Bounds-checked access to input and output bytes.  Every getter checks the
 * range with the overflow-safe form (off > len || len - off < n) and leaves its
 * output untouched on failure.  The byte order is part of each name: XSAVE
 * areas and x86 ELF notes are little-endian, QEMU streams big-endian.
 * Only lib/rd.c does pointer arithmetic on these buffers.
 *
 * Internal to libxsave and xsavectl (lib/internal/): not installed, not exported.
 */
#ifndef XSAVE_RD_H
#define XSAVE_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XS_MUST_CHECK __attribute__((warn_unused_result))

/* A read-only window: @base is the absolute file offset of p[0] (diagnostics). */
struct xs_rd {
	const uint8_t *p;
	size_t len;
	size_t pos;
	uint64_t base;
};

/* A writable window over a buffer the caller owns. */
struct xs_wr {
	uint8_t *p;
	size_t len;
};

static inline struct xs_rd xs_rd_init(const void *p, size_t len, uint64_t base)
{
	struct xs_rd rd = { .p = (const uint8_t *)p, .len = len, .pos = 0, .base = base };
	return rd;
}

static inline struct xs_wr xs_wr_init(void *p, size_t len)
{
	struct xs_wr wr = { .p = (uint8_t *)p, .len = len };
	return wr;
}

static inline bool xs_range_ok(size_t len, size_t off, size_t n)
{
	return !(off > len || len - off < n);
}

/* Absolute-offset getters: do not move the cursor. */
XS_MUST_CHECK bool xs_rd_u8_at(const struct xs_rd *rd, size_t off, uint8_t *v);
XS_MUST_CHECK bool xs_rd_u16le_at(const struct xs_rd *rd, size_t off, uint16_t *v);
XS_MUST_CHECK bool xs_rd_u32le_at(const struct xs_rd *rd, size_t off, uint32_t *v);
XS_MUST_CHECK bool xs_rd_u64le_at(const struct xs_rd *rd, size_t off, uint64_t *v);
XS_MUST_CHECK bool xs_rd_u16be_at(const struct xs_rd *rd, size_t off, uint16_t *v);
XS_MUST_CHECK bool xs_rd_u32be_at(const struct xs_rd *rd, size_t off, uint32_t *v);
XS_MUST_CHECK bool xs_rd_u64be_at(const struct xs_rd *rd, size_t off, uint64_t *v);
/* Copy n bytes at off into dst. */
XS_MUST_CHECK bool xs_rd_copy_at(const struct xs_rd *rd, size_t off, size_t n, void *dst);
/* A bounded sub-window of n bytes at off (its base follows the parent's). */
XS_MUST_CHECK bool xs_rd_sub_at(const struct xs_rd *rd, size_t off, size_t n, struct xs_rd *sub);
/* True when all n bytes at off are zero; false when not, or out of range. */
XS_MUST_CHECK bool xs_rd_zero_at(const struct xs_rd *rd, size_t off, size_t n);
/* Bytes at off equal to ref (n bytes); false when out of range. */
XS_MUST_CHECK bool xs_rd_equal_at(const struct xs_rd *rd, size_t off, const void *ref, size_t n);

/* Cursor getters: advance pos on success only. */
XS_MUST_CHECK bool xs_rd_u8(struct xs_rd *rd, uint8_t *v);
XS_MUST_CHECK bool xs_rd_u16be(struct xs_rd *rd, uint16_t *v);
XS_MUST_CHECK bool xs_rd_u32be(struct xs_rd *rd, uint32_t *v);
XS_MUST_CHECK bool xs_rd_u64be(struct xs_rd *rd, uint64_t *v);
XS_MUST_CHECK bool xs_rd_skip(struct xs_rd *rd, size_t n);
XS_MUST_CHECK bool xs_rd_sub(struct xs_rd *rd, size_t n, struct xs_rd *sub);
static inline uint64_t xs_rd_abs(const struct xs_rd *rd) { return rd->base + rd->pos; }
static inline size_t xs_rd_left(const struct xs_rd *rd) { return rd->len - rd->pos; }

/*
 * An @n-byte (1..8) big-endian number at @p, for callers that already hold a
 * checked range (a stream window, a journal entry), and its writer.
 */
uint64_t xs_be_get(const void *p, unsigned n);
void xs_be_put(void *p, uint64_t v, unsigned n);

/* Writers. */
XS_MUST_CHECK bool xs_wr_u16le_at(struct xs_wr *wr, size_t off, uint16_t v);
XS_MUST_CHECK bool xs_wr_u32le_at(struct xs_wr *wr, size_t off, uint32_t v);
XS_MUST_CHECK bool xs_wr_u64le_at(struct xs_wr *wr, size_t off, uint64_t v);
XS_MUST_CHECK bool xs_wr_u64be_at(struct xs_wr *wr, size_t off, uint64_t v);
XS_MUST_CHECK bool xs_wr_zero_at(struct xs_wr *wr, size_t off, size_t n);
XS_MUST_CHECK bool xs_wr_copy_at(struct xs_wr *wr, size_t off, const void *src, size_t n);

#endif
