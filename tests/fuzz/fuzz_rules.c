// SPDX-License-Identifier: MIT
/*
 * check/filter rules: the first 16 bytes choose the target (XCR0, MXCSR_MASK)
 * and the guest XCR0, the rest is an image.  Whatever filter leaves must parse
 * again with the same layout and, without --force, judge as loadable.
 */
#include <stdlib.h>
#include <string.h>

#include <xsave/rules.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_target t = { 0 };
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
			if (!force && c2.verdict != XS_VERDICT_OK && !c.bad)
				__builtin_trap();	/* a lossless filter must leave it loadable */
		}
	}
	free(img);
	return 0;
}
