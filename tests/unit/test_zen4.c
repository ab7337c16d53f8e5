// SPDX-License-Identifier: MIT
/*
 * Real AVX-512 captures of an AMD EPYC Zen 4 host (tests/data/amd-zen4, see
 * tests/data/README.md): XSAVE64 (2432 bytes, no software bytes), ptrace
 * NT_X86_XSTATE (2432, XCR0 0xe7 at 464) and KVM_GET_XSAVE (4096).  Register i
 * byte j holds (i*37 + j*3 + 1) mod 256 in ZMM0-31 and k1, k2, k7 = 0x1111,
 * 0x2222, 0x7777 (XSAVE64, KVM); the ptrace child loads YMM0-15 only, which
 * leaves ZMM_Hi256 at init.  The 4096-byte KVM buffer fits the Intel and the AMD sizes:
 * its own bytes must pick AMD whatever host reads it.
 */
#include <stdbool.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/diff.h>
#include <xsave/hostinfo.h>
#include <xsave/regs.h>

#include "check.h"

/*
 * Bytes of ZMM0..@nregs-1 that differ from the pattern; with @ymm_only the
 * pattern fills bits 0-255 and bits 256-511 are zero (VMOVDQA of YMM).
 */
static int zmm_wrong(const struct xs_regset *set, unsigned nregs, bool ymm_only)
{
	int bad = 0;

	for (unsigned i = 0; i < nregs; i++) {
		char name[16];	/* "zmm" and any unsigned */
		const struct xs_reg *z;

		snprintf(name, sizeof(name), "zmm%u", i);
		z = xs_regset_find(set, name);
		if (!z) {
			bad += 64;
			continue;
		}
		for (unsigned j = 0; j < 64; j++)
			bad += z->v[j] != (ymm_only && j >= 32 ? 0 : (uint8_t)(i * 37 + j * 3 + 1));
	}
	return bad;
}

static void check_ymm(const struct xs_state *st, const char *file)
{
	struct xs_regset set;
	int bad;

	CHECK(xs_regs_decode(st, &set) == 0, "%s: registers decode", file);
	bad = zmm_wrong(&set, 16, true);
	CHECK(bad == 0, "%s: ZMM0-15 hold the YMM pattern, bits 256-511 zero (%d bytes wrong)",
	      file, bad);
	CHECK(!(st->xstate_bv & XS_BIT(XS_ZMM_HI256)), "%s: ZMM_Hi256 at init in XSTATE_BV", file);
	xs_regset_free(&set);
}

static void check_zmm(const struct xs_state *st, const char *file)
{
	struct xs_regset set;
	int bad;

	CHECK(xs_regs_decode(st, &set) == 0, "%s: registers decode", file);
	bad = zmm_wrong(&set, 32, false);
	CHECK(bad == 0, "%s: ZMM0-31 hold the pattern (%d bytes wrong)", file, bad);
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "k1")), 0x1111, "k1");
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "k2")), 0x2222, "k2");
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "k7")), 0x7777, "k7");
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "mxcsr")), 0x9fc0, "mxcsr");
	xs_regset_free(&set);
}

static void capture(const char *file, size_t size, const struct xs_parse_opts *po,
		    const char *host, bool zmm)
{
	size_t len;
	uint8_t *buf = t_load(file, &len);
	struct xs_state st;
	struct xs_diag d = { 0 };

	CHECK(len == size, "%s: %zu bytes", file, size);
	if (xs_state_parse(&st, buf, len, po, &d)) {
		CHECK(0, "%s (host %s): parses: %s", file, host, d.msg);
		free(buf);
		return;
	}
	CHECK(!strcmp(st.layout.name, "amd"), "%s (host %s): AMD layout (%s: %s)", file, host,
	      st.layout.name, st.layout_reason);
	CHECK_U64(st.off[XS_OPMASK], 832, "opmask offset");
	CHECK_U64(st.off[XS_HI16_ZMM], 1408, "hi16_zmm offset");
	CHECK(st.full_size == 0, "%s: a whole area, not a cut-short buffer", file);
	if (zmm)
		check_zmm(&st, file);
	else
		check_ymm(&st, file);
	free(buf);
}

int main(void)
{
	struct xs_parse_opts none = { 0 }, intel_host = { 0 };
	struct xs_layout intel;

	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	intel_host.host = &intel;
	capture("amd-zen4/hw-xsave.bin", 2432, &none, "none", true);
	capture("amd-zen4/ptrace-xstate.bin", 2432, &none, "none", false);
	capture("amd-zen4/kvm-get-xsave.bin", 4096, &none, "none", true);
	/* Read on an Intel host, the KVM dump was once decoded with Intel offsets. */
	capture("amd-zen4/kvm-get-xsave.bin", 4096, &intel_host, "intel", true);
	return t_done("test_zen4");
}
