// SPDX-License-Identifier: MIT
/*
 * Kernel buffers shorter than their XCR0's standard area.  KVM_GET_XSAVE
 * fills the 4096-byte struct kvm_xsave from the first 4096 bytes of the
 * host's standard-format area; on an AMX host (XCR0 0x602e7, area 11008
 * bytes) TILEDATA (2816 + 8192) does not fit.  Synthetic images, built from
 * facts recorded on real hosts: the Emerald Rapids fresh-vCPU GET of
 * shared/reference/kernel-xsave.md section 8, and every real capture in
 * tests/data cut (or grown) to 4096 bytes with that host XCR0 at byte 464.
 */
#include <string.h>

#include <xsave/area.h>
#include <xsave/diff.h>
#include <xsave/regs.h>

#include "check.h"

#define EMR_XCR0 0x602e7ull
#define EMR_AREA 11008u

static struct xs_parse_opts no_host = { 0 };

static void put64(uint8_t *b, size_t off, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/* The EMR host's KVM_GET_XSAVE of a fresh vCPU: FCW 0x37f, MXCSR 0x1f80, XSTATE_BV 0. */
static void emr_fresh_vcpu(void)
{
	uint8_t b[4096] = { 0 };
	struct xs_state st;
	struct xs_diag d = { 0 };

	b[0] = 0x7f, b[1] = 0x03;
	b[24] = 0x80, b[25] = 0x1f;
	b[28] = 0xff, b[29] = 0xff;
	put64(b, 464, EMR_XCR0);
	CHECK(xs_state_parse(&st, b, sizeof(b), &no_host, &d) == 0, "EMR fresh vCPU: parses: %s",
	      d.msg);
	CHECK(!strcmp(st.layout.name, "intel"), "EMR: Intel layout");
	CHECK_U64(st.full_size, EMR_AREA, "EMR: the host's area");
	CHECK_U64(st.beyond, XS_BIT(XS_TILEDATA), "EMR: tiledata beyond the buffer");
	CHECK_U64(st.located, EMR_XCR0 & ~XS_BIT(XS_TILEDATA), "EMR: everything else located");
	CHECK_U64(st.off[XS_TILECFG], 2752, "EMR: tilecfg inside the buffer");
	CHECK_U64(st.problems, 0, "EMR: no problems");

	/* XSTATE_BV claims TILEDATA, whose data the buffer cannot hold. */
	put64(b, 512, XS_BIT(XS_TILEDATA) | XS_MASK_AMX);
	CHECK(xs_state_parse(&st, b, sizeof(b), &no_host, &d) == -XS_ETRUNC && d.off == 4096 &&
	      strstr(d.msg, "tiledata") && !strstr(d.msg, "tilecfg"),
	      "XSTATE_BV with tiledata: -XS_ETRUNC at 4096 naming it: %s", d.msg);
	/* Cut inside TILECFG: both AMX components beyond; naming the one XSTATE_BV has. */
	put64(b, 512, XS_BIT(XS_TILECFG));
	CHECK(xs_state_parse(&st, b, 2800, &no_host, &d) == -XS_ETRUNC && strstr(d.msg, "tilecfg"),
	      "a 2800-byte buffer with tilecfg in XSTATE_BV: refused naming it");
	put64(b, 512, 0x7);
	CHECK(xs_state_parse(&st, b, 2800, &no_host, &d) == 0 && st.beyond == XS_MASK_AMX &&
	      st.full_size == EMR_AREA, "a 2800-byte buffer without AMX data: both AMX beyond");
	/* Without an XCR0 at 464 a short image is not a kernel buffer: still truncated. */
	memset(b + 464, 0, 8);
	put64(b, 512, XS_MASK_MPX | 7);
	CHECK(xs_state_parse(&st, b, 1000, &no_host, &d) == -XS_ETRUNC,
	      "no XCR0 at 464: a short image is -XS_ETRUNC");
}

/* A real capture cut (or zero-grown) to 4096 bytes with the EMR XCR0 at 464. */
static void cut_real(const char *file)
{
	size_t len;
	uint8_t *orig = t_load(file, &len);
	uint8_t b[4096] = { 0 };
	struct xs_state so, sc;
	struct xs_diag d = { 0 };
	struct xs_diff df;

	memcpy(b, orig, len < sizeof(b) ? len : sizeof(b));
	put64(b, 464, EMR_XCR0);
	memset(b + 472, 0, 40);
	CHECK(xs_state_parse(&so, orig, len, &no_host, &d) == 0, "%s: the capture parses", file);
	if (xs_state_parse(&sc, b, sizeof(b), &no_host, &d)) {
		CHECK(0, "%s as an AMX host's struct kvm_xsave: parses: %s", file, d.msg);
		free(orig);
		return;
	}
	CHECK(sc.full_size == EMR_AREA && sc.beyond == XS_BIT(XS_TILEDATA),
	      "%s cut to 4096: area %u, tiledata beyond", file, sc.full_size);
	/* x87, SSE and AVX sit at the same offsets on every vendor: they must agree. */
	CHECK(xs_diff_states(&so, &sc, ~(XS_MASK_FPSSE | XS_BIT(XS_AVX)), &df) == 0 && df.n == 0,
	      "%s cut to 4096: x87/SSE/AVX registers equal the capture's", file);
	xs_diff_free(&df);
	free(orig);
}

/* AVX-512 hosts without AMX: the 4096-byte buffer holds the whole area. */
static void avx512_hosts(void)
{
	static const uint64_t xcr0[] = { 0x2e7, 0x2ff, 0xe7 };
	size_t len;
	uint8_t *orig = t_load("kvm-get-xsave.bin", &len);

	for (size_t i = 0; i < sizeof(xcr0) / sizeof(xcr0[0]); i++) {
		struct xs_state st;
		struct xs_diag d = { 0 };

		put64(orig, 464, xcr0[i]);
		CHECK(xs_state_parse(&st, orig, len, &no_host, &d) == 0 && st.full_size == 0 &&
		      st.beyond == 0, "host XCR0 0x%llx: a whole 4096-byte area: %s",
		      (unsigned long long)xcr0[i], d.msg);
	}
	free(orig);
}

int main(void)
{
	static const char *const real[] = {
		"hw-xsave.bin", "kvm-get-xsave.bin", "ptrace-xstate.bin", "example-leaky-kvm.bin",
		"amd-zen4/hw-xsave.bin", "amd-zen4/kvm-get-xsave.bin", "amd-zen4/ptrace-xstate.bin",
	};

	emr_fresh_vcpu();
	for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++)
		cut_real(real[i]);
	avx512_hosts();
	return t_done("test_cutshort");
}
