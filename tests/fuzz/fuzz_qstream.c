// SPDX-License-Identifier: MIT
/*
 * The QEMU stream walk over memory (the library reader), with and without a
 * vmdesc found ahead, and the device-sections read, then every vCPU's image,
 * its decode and filter's edits.
 */
#include <stdlib.h>
#include <string.h>

#include <xsave/qstream.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_qmem m;
	struct xs_qsrc src;
	struct xs_layout intel;
	size_t joff, jlen;
	bool have = xs_qstream_find_vmdesc(data, size, &joff, &jlen);

	xs_qsrc_mem(&src, &m, data, size);
	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	for (int pass = 0; pass < 1 + 2 * have; pass++) {
		struct xs_qstream *qs;
		struct xs_diag d;
		char why[320];

		if (pass == 2) {
			if (xs_qstream_parse_devices(&qs, &src, (const char *)data + joff, jlen,
						     joff - 5, why, sizeof(why)))
				continue;	/* not confirmed: no stream */
		} else if (xs_qstream_parse(&qs, &src, pass ? (const char *)data + joff : NULL,
					    pass ? jlen : 0, &d)) {
			continue;
		}
		for (unsigned i = 0; i < xs_qstream_ncpu(qs); i++) {
			struct xs_qcpu *c = xs_qstream_cpu(qs, i);
			struct xs_parse_opts po = { .force = &intel, .force_why = "fuzz" };
			struct xs_qpatch p[64];
			struct xs_state st;
			uint8_t *img, *orig;
			uint64_t holds;
			uint32_t blen;
			const uint8_t *body = xs_qcpu_body(c, NULL, &blen);
			size_t n;

			if (xs_qcpu_image(c, &intel, &img, &n, &holds))
				continue;
			po.locate_also = holds;
			if (!xs_state_parse(&st, img, n, &po, &d))
				xs_qcpu_state_facts(c, &st);
			free(img);
			orig = malloc(blen);
			memcpy(orig, body, blen);
			xs_qcpu_filter(c, xs_qcpu_xstate_bv(c) & 0x3, ~0x3ull);
			xs_qcpu_patches(c, orig, p, 64);
			free(orig);
		}
		xs_qstream_free(qs);
	}
	return 0;
}
