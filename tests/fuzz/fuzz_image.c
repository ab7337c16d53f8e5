// SPDX-License-Identifier: MIT
/*
 * Raw XSAVE images: recognition (its answer names an offset inside the file), the
 * library's decoder with every layout choice, and the registers.
 */
#include <stdlib.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/recognise.h>
#include <xsave/regs.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void recognise(const uint8_t *data, size_t size, const struct xs_layout *host)
{
	const struct xs_layout *more[] = { host, NULL };
	struct xs_diag d;
	struct xs_recog r = xs_image_recognise(data, size, more, 2, &d);

	if (r.rule != XS_RECOG_OK && (!d.has_off || d.off != r.off || r.off > size || !d.msg[0]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_layout intel, amd;
	uint8_t *img = malloc(size ? size : 1);

	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	xs_layout_builtin(XS_VENDOR_AMD, &amd);
	recognise(data, size, &amd);
	const struct xs_parse_opts opts[] = {
		{ 0 }, { .host = &amd }, { .force = &intel, .force_why = "fuzz" },
		{ .force = &amd, .force_why = "fuzz", .locate_also = ~0ull },
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct xs_state st;
		struct xs_regset set;
		struct xs_diag d;

		memcpy(img, data, size);
		if (xs_state_parse(&st, img, size, &opts[i], &d))
			continue;
		st.bv_unmaintained = size & 1;
		if (!xs_regs_decode(&st, &set))
			xs_regset_free(&set);
	}
	free(img);
	return 0;
}
