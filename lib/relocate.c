// SPDX-License-Identifier: MIT
/*
 * The destination's layout: which components a target reads from other bytes
 * than the image holds them in, and the image written again on the target's
 * offsets.  See include/xsave/relocate.h.
 */
#include <stdio.h>
#include <string.h>

#include <xsave/rd.h>
#include <xsave/relocate.h>
#include <xsave/internal.h>

/* Components the layout rule looks at: extended user components with an area here. */
#define RELOC_CANDIDATES (~(XS_MASK_FPSSE | XS_MASK_SUPERVISOR))

/*
 * Does a target that reads the component's @n bytes at @at get what the
 * image holds at @from?  Surely when the offsets agree, or when both areas
 * are zero (the init value either way); otherwise it is not taken to (bytes
 * that merely happen to agree are moved too).  Only zero bytes count, never
 * equal ones, so a filter that zeroes stripped areas can make a component
 * need no move, never the other way round.  An area outside the image is
 * not zero: the target would read bytes the image does not have.
 */
static bool reads_same(const struct xs_state *st, uint32_t from, uint32_t at, uint32_t n)
{
	struct xs_rd rd = xs_rd_init(st->img, st->size, 0);

	return from == at || (xs_rd_zero_at(&rd, from, n) && xs_rd_zero_at(&rd, at, n));
}

/* Components @l places with the size they have in @st. */
static uint64_t placed_as_held(const struct xs_state *st, const struct xs_layout *l)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < XS_NCOMP; i++)
		if ((l->placed & XS_BIT(i)) && l->size[i] == st->len[i])
			m |= XS_BIT(i);
	return m;
}

/* Components of @keep that @l reads from other bytes than @st holds them in. */
static uint64_t moved_on(const struct xs_state *st, const struct xs_layout *l, uint64_t keep)
{
	uint64_t move = 0;

	for (unsigned i = 0; i < XS_NCOMP; i++) {
		if (!(keep & XS_BIT(i)))
			continue;
		if (!reads_same(st, st->off[i], l->offset[i], st->len[i]))
			move |= XS_BIT(i);
	}
	return move;
}

/*
 * Without the target's layout: the components of @keep that the built-in
 * Intel and AMD layouts place at different offsets, with data (a non-zero
 * byte) at either.
 */
static uint64_t vendor_specific(const struct xs_state *st, uint64_t keep)
{
	struct xs_layout intel, amd;
	uint64_t both, v = 0;

	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	xs_layout_builtin(XS_VENDOR_AMD, &amd);
	both = keep & intel.placed & amd.placed;
	for (unsigned i = 0; i < XS_NCOMP; i++)
		if ((both & XS_BIT(i)) &&
		    !reads_same(st, intel.offset[i], amd.offset[i], intel.size[i]))
			v |= XS_BIT(i);
	return v;
}

void xs_relocation_plan(const struct xs_state *st, const struct xs_layout *target_layout,
			uint64_t keep, struct xs_relocation *r)
{
	memset(r, 0, sizeof(*r));
	/* The destination builds these areas itself (streams), or reads XCOMP_BV (compacted). */
	if (st->by_field || st->compacted)
		return;
	keep &= st->located & RELOC_CANDIDATES;
	if (target_layout) {
		/* A layout without an area of the right size for a kept component: unknown for it. */
		r->vendor = keep & ~placed_as_held(st, target_layout);
		r->move = moved_on(st, target_layout, keep & ~r->vendor);
	} else {
		r->vendor = vendor_specific(st, keep);
	}
	r->layout_unknown = r->vendor != 0;
}

void xs_check_relocation(const struct xs_state *st, const struct xs_target *t,
			 struct xs_check *c)
{
	uint64_t bv = c->bv_rebuild ? c->bv_data : st->xstate_bv;
	struct xs_relocation r;

	xs_relocation_plan(st, t->layout, bv & ~(c->strip | c->lose), &r);
	c->relocate = r.move;
	c->layout_unknown = r.layout_unknown;
	if (c->layout_unknown)
		c->verdict = XS_VERDICT_INCOMPATIBLE;
	else if (c->relocate && c->verdict == XS_VERDICT_OK)
		c->verdict = XS_VERDICT_FIXABLE;
}

size_t xs_relocated_size(const struct xs_state *st, const struct xs_layout *to, uint64_t xcr0)
{
	size_t std = xs_layout_std_size(to, xs_state_components(st) & xcr0 & ~XS_MASK_SUPERVISOR);

	if (st->size >= XS_KVM_XSAVE_SIZE && std < XS_KVM_XSAVE_SIZE)
		return XS_KVM_XSAVE_SIZE;
	return std;
}

/* Does @bit's target range overlap one already written (@done)? */
static bool overlaps(const struct xs_layout *to, const struct xs_state *st, uint64_t done,
		     unsigned bit)
{
	uint32_t a = to->offset[bit], an = st->len[bit];

	for (unsigned j = 0; j < XS_NCOMP; j++) {
		uint32_t b = to->offset[j], bn = st->len[j];

		if ((done & XS_BIT(j)) && a < b + bn && b < a + an)
			return true;
	}
	return false;
}

/* Copy component @bit of @st to @to's offset in @wr; 0 or an error in @d. */
static int place(const struct xs_state *st, const struct xs_layout *to, struct xs_wr *wr,
		 uint64_t done, unsigned bit, struct xs_diag *d)
{
	const char *name = xs_comp_info(bit)->name;
	struct xs_rd rd = xs_rd_init(st->img, st->size, 0), held;

	if (!(to->placed & XS_BIT(bit)) || to->size[bit] != st->len[bit])
		return XS_FAIL(d, XS_ELAYOUT, "%s is in XSTATE_BV but the target's layout has no "
			       "%u-byte area for it", name, st->len[bit]);
	if (!xs_range_ok(wr->len, to->offset[bit], st->len[bit]))
		return XS_FAIL(d, XS_ELAYOUT, "%s at the target's offset %u does not fit in %zu "
			       "bytes", name, to->offset[bit], wr->len);
	if (overlaps(to, st, done, bit))
		return XS_FAIL(d, XS_EINVAL, "%s at the target's offset %u overlaps another "
			       "component of XSTATE_BV", name, to->offset[bit]);
	if (!xs_rd_sub_at(&rd, st->off[bit], st->len[bit], &held) ||
	    !xs_wr_copy_at(wr, to->offset[bit], held.p, held.len))
		return XS_FAIL(d, XS_EBUG, "%s: area outside the image", name);
	return 0;
}

int xs_relocate_image(const struct xs_state *st, const struct xs_layout *to, uint8_t *out,
		      size_t len, struct xs_diag *d)
{
	struct xs_rd rd = xs_rd_init(st->img, st->size, 0), head;
	struct xs_wr wr = xs_wr_init(out, len);
	uint64_t copy = st->xstate_bv & st->located & RELOC_CANDIDATES, done = 0;

	if (st->compacted)
		return XS_FAIL(d, XS_EINVAL, "a compacted image has no standard offsets to move");
	if (len < XS_EXT_OFF || !xs_rd_sub_at(&rd, 0, XS_EXT_OFF, &head))
		return XS_FAIL(d, XS_EINVAL, "%zu bytes cannot hold the legacy area and header",
			       len < XS_EXT_OFF ? len : st->size);
	/* Legacy region, bytes 464..511 and the header as they are; the rest zero. */
	if (!xs_wr_zero_at(&wr, 0, len) || !xs_wr_copy_at(&wr, 0, head.p, XS_EXT_OFF))
		return XS_FAIL(d, XS_EBUG, "header copy");
	/* The XCR0 a kernel wrote at 464 says which areas the buffer has: only the placed ones now. */
	if (st->sw == XS_SW_XCR0 && (st->sw_xcr0 & ~(to->placed | XS_MASK_SUPERVISOR)) &&
	    !xs_wr_u64le_at(&wr, XS_OFF_SW, st->sw_xcr0 & to->placed))
		return XS_FAIL(d, XS_EBUG, "XCR0 at 464");
	for (unsigned i = 0; i < XS_NCOMP; i++) {
		int rc;

		if (!(copy & XS_BIT(i)))
			continue;
		rc = place(st, to, &wr, done, i, d);
		if (rc)
			return rc;
		done |= XS_BIT(i);
	}
	return 0;
}
