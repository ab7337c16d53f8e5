// SPDX-License-Identifier: MIT
/*
 * check/filter rules: the first 16 bytes choose the target (XCR0, MXCSR_MASK,
 * its layout: none, Intel or AMD) and the guest XCR0, the rest is an image.
 * Whatever filter leaves must parse again with the same layout and, without
 * --force, judge as loadable; a relocation must parse on the target's layout,
 * need none again and hold the same registers.
 */
#include <stdlib.h>
#include <string.h>

#include <xsave/diff.h>
#include <xsave/relocate.h>
#include <xsave/rules.h>

/* Relocate @st (filtered) to @t's layout: it parses there, moves nothing more, same registers. */
static void relocated(const struct xs_state *st, const struct xs_target *t)
{
	size_t n = xs_relocated_size(st, t->layout, t->xcr0);
	struct xs_parse_opts po = { .force = t->layout, .force_why = "target" };
	uint8_t *out = malloc(n);
	struct xs_state rel;
	struct xs_check c;
	struct xs_diag d;
	struct xs_diff df;

	if (xs_relocate_image(st, t->layout, out, n, &d) || xs_state_parse(&rel, out, n, &po, &d))
		__builtin_trap();	/* a planned relocation must be writable */
	rel.guest_known = st->guest_known;
	rel.guest_xcr0 = st->guest_xcr0;
	xs_check_state(&rel, t, &c);
	if (c.relocate || c.layout_unknown)
		__builtin_trap();	/* relocated once is relocated */
	/*
	 * The registers must not change.  Only those both sides decode count: a
	 * buffer cut short before Hi16_ZMM decodes no ZMM register at all, while
	 * its relocation (the target's whole size) decodes them all.
	 */
	if (!xs_diff_states(st, &rel, 0, &df)) {
		for (size_t i = 0; i < df.n; i++)
			if (df.regs[i].a && df.regs[i].b && !df.regs[i].owned)
				__builtin_trap();
		xs_diff_free(&df);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_target t = { 0 };
	struct xs_layout target_layout;
	struct xs_parse_opts po = { 0 };
	struct xs_state st, again;
	struct xs_check c, c2;
	struct xs_diag d;
	uint64_t guest, cleared;
	uint8_t *img;

	if (size < 16)
		return 0;
	memcpy(&t.xcr0, data, 8);
	memcpy(&guest, data + 8, 8);
	t.have_mxcsr_mask = guest & 1;
	t.mxcsr_mask = (uint32_t)(guest >> 32);
	xs_layout_builtin(guest & 8 ? XS_VENDOR_AMD : XS_VENDOR_INTEL, &target_layout);
	t.layout = guest & 4 ? &target_layout : NULL;
	data += 16;
	size -= 16;
	img = malloc(size ? size : 1);
	memcpy(img, data, size);
	if (!xs_state_parse(&st, img, size, &po, &d)) {
		bool force = t.xcr0 & 1;

		st.guest_known = guest & 2;
		st.guest_xcr0 = guest;
		xs_check_state(&st, &t, &c);
		if ((c.verdict != XS_VERDICT_INCOMPATIBLE || force) &&
		    !xs_filter_apply(&st, &c, force, &cleared)) {
			struct xs_parse_opts same = { .force = &st.layout, .force_why = "same" };

			if (xs_state_parse(&again, img, size, &same, &d))
				__builtin_trap();	/* filter broke a parsable image */
			again.guest_known = st.guest_known;
			again.guest_xcr0 = st.guest_xcr0;
			xs_check_state(&again, &t, &c2);
			if (!force && c2.verdict != XS_VERDICT_OK && !c.bad && !c.relocate)
				__builtin_trap();	/* a lossless filter must leave it loadable */
			if (c.relocate && !c.layout_unknown)	/* filter refuses an unknown layout */
				relocated(&st, &t);
		}
	}
	free(img);
	return 0;
}
