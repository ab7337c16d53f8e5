/* SPDX-License-Identifier: MIT */
/*
 * The destination's layout.  In the standard format every component sits at
 * the offset its CPU's CPUID.(0xD,i).EBX gives, and the vendors differ
 * (opmask at 1088 on Intel, 832 on AMD; PKRU at 2688 and 2432).
 * KVM_SET_XSAVE reads the buffer with the destination's offsets, so an image
 * made on one vendor loads the other vendor's registers from the wrong bytes.
 *
 * The rule: a component the target keeps (in XSTATE_BV and in its XCR0)
 * must be moved when the target reads it at another offset, unless the
 * image is zero at both (the init value either way); filter then writes the
 * image again on the target's layout.  A target without a layout (a bare
 * --xcr0 mask) cannot be judged for an image with data (a non-zero byte) at
 * the Intel or the AMD offset of a kept component that the two place
 * differently: that is reported, never assumed away.  States whose container
 * carries registers by field (QEMU streams: xs_state.by_field) and compacted
 * images are outside the rule: the destination lays those out itself.
 */
#ifndef XSAVE_RELOCATE_H
#define XSAVE_RELOCATE_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/area.h>
#include <xsave/err.h>
#include <xsave/layout.h>
#include <xsave/rules.h>

XS_BEGIN_DECLS

/* What the layout rule finds for one state and one target. */
struct xs_relocation {
	uint64_t move;		/* components the target reads at another offset */
	uint64_t vendor;	/* where the target's offsets are unknown: without a
				   layout, components at different Intel and AMD offsets
				   with data at either (the image is vendor-specific);
				   with one, kept components it has no area for */
	bool layout_unknown;	/* vendor != 0 */
};

/*
 * Judge the components @keep (XSTATE_BV bits the target loads) of @st against
 * @target_layout (NULL: unknown).  Pure: reads the image, writes @r only.
 */
void xs_relocation_plan(const struct xs_state *st, const struct xs_layout *target_layout,
			uint64_t keep, struct xs_relocation *r);

/*
 * Size of @st written on layout @to for a target XCR0 @xcr0: the target's
 * standard size for the image's own components (its XCR0 at byte 464 where
 * recorded, XSTATE_BV) that @xcr0 has, as XSAVE there would write it; at
 * least 4096 (struct kvm_xsave) when the image is a KVM buffer (4096 bytes
 * or more), and more only where that size needs it (KVM_CAP_XSAVE2).
 */
size_t xs_relocated_size(const struct xs_state *st, const struct xs_layout *to, uint64_t xcr0);

/*
 * Write @st on layout @to into @out (@len bytes, xs_relocated_size()): the
 * legacy region (bytes 0..463), bytes 464..511 and the header copied, every
 * extended component of XSTATE_BV copied to @to's offset, every other byte
 * zero (the init value of every extended component).  A kernel's XCR0 at
 * byte 464 loses the components @to does not place (the buffer has no area
 * for them any more).  0, or -XS_EINVAL (compacted image,
 * overlapping target offsets) or -XS_ELAYOUT (a component of XSTATE_BV
 * that @to does not place or @len cannot hold) with @d saying which.
 */
int xs_relocate_image(const struct xs_state *st, const struct xs_layout *to, uint8_t *out,
		      size_t len, struct xs_diag *d);

XS_END_DECLS

#endif
