// SPDX-License-Identifier: MIT
/*
 * The real Zen 3 captures decode to the documented pattern, value by value:
 * vector register i byte j = (i*37 + j*3 + 1) mod 256; MXCSR 0x9fc0; x87
 * "8 loads" (fld1 fldpi fldl2t fldl2e fldlg2 fldln2 fldz fld1) in hw/kvm and
 * "2 loads" (fld1 fldpi) in ptrace.  Then truncation at every structural
 * boundary and single-byte corruption everywhere must fail cleanly.
 */
#include <string.h>

#include <xsave/area.h>
#include <xsave/diff.h>
#include <xsave/regs.h>

#include "check.h"

/* 80-bit constants, little-endian, as the FPU loads them. */
static const uint8_t X_ONE[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };
static const uint8_t X_PI[10] = { 0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40 };
static const uint8_t X_ZERO[10] = { 0 };
static const uint8_t X_LN2[10] = { 0xac, 0x79, 0xcf, 0xd1, 0xf7, 0x17, 0x72, 0xb1, 0xfe, 0x3f };
static const uint8_t X_LG2[10] = { 0x99, 0xf7, 0xcf, 0xfb, 0x84, 0x9a, 0x20, 0x9a, 0xfd, 0x3f };
static const uint8_t X_L2E[10] = { 0xbc, 0xf0, 0x17, 0x5c, 0x29, 0x3b, 0xaa, 0xb8, 0xff, 0x3f };
static const uint8_t X_L2T[10] = { 0xfe, 0x8a, 0x1b, 0xcd, 0x4b, 0x78, 0x9a, 0xd4, 0x00, 0x40 };

static struct xs_parse_opts no_host = { 0 };

static void check_vectors(const struct xs_regset *set, const char *file)
{
	int bad = 0;

	for (unsigned i = 0; i < 16; i++) {
		char name[8];

		snprintf(name, sizeof(name), "ymm%u", i);
		const struct xs_reg *y = xs_regset_find(set, name);
		snprintf(name, sizeof(name), "xmm%u", i);
		const struct xs_reg *x = xs_regset_find(set, name);
		if (!x || !y) {
			bad++;
			continue;
		}
		for (unsigned j = 0; j < 32; j++) {
			uint8_t want = (uint8_t)(i * 37 + j * 3 + 1);

			bad += y->v[j] != want;
			bad += j < 16 && x->v[j] != want;
		}
	}
	CHECK(bad == 0, "%s: XMM0-15 and YMM0-15 hold the pattern (%d bytes wrong)", file, bad);
}

static void check_st(const struct xs_regset *set, const uint8_t *const want[8], const char *file)
{
	for (unsigned i = 0; i < 8; i++) {
		char name[8];

		snprintf(name, sizeof(name), "st%u", i);
		const struct xs_reg *r = xs_regset_find(set, name);
		CHECK(r && !memcmp(r->v, want[i], 10), "%s: %s", file, name);
	}
}

static void real_fixture(const char *file, bool eight_loads, size_t size, int sw)
{
	static const uint8_t *const eight[8] = { X_ONE, X_ZERO, X_LN2, X_LG2,
						 X_L2E, X_L2T, X_PI, X_ONE };
	static const uint8_t *const two[8] = { X_PI, X_ONE, X_ZERO, X_ZERO,
					       X_ZERO, X_ZERO, X_ZERO, X_ZERO };
	size_t len;
	uint8_t *buf = t_load(file, &len);
	struct xs_state st;
	struct xs_regset set;
	struct xs_diag d;

	CHECK(len == size, "%s: %zu bytes", file, size);
	CHECK(xs_state_parse(&st, buf, len, NULL, &d) == 0 && st.xstate_bv == 0x7,
	      "%s: parses with no options (NULL: the defaults)", file);
	CHECK(xs_state_parse(&st, buf, len, &no_host, &d) == 0, "%s: parses", file);
	CHECK_U64(st.xstate_bv, 0x7, "xstate_bv");
	CHECK_U64(st.xcomp_bv, 0, "xcomp_bv");
	CHECK(!st.compacted && st.used_size == 832, "%s: standard, 832 bytes used", file);
	CHECK((int)st.sw == sw, "%s: software bytes kind %d", file, sw);
	CHECK(sw != XS_SW_XCR0 || st.sw_xcr0 == 0x7, "%s: host XCR0 0x7 at byte 464", file);
	CHECK(!strcmp(st.layout.name, "common"), "%s: vendor-neutral layout", file);
	CHECK_U64(st.located, 0x7, "located");
	CHECK_U64(st.init, 0, "nothing at init");
	CHECK_U64(st.problems, 0, "no problems");
	CHECK_U64(st.mxcsr_mask_raw, 0x2ffff, "Zen3 MXCSR_MASK");
	CHECK(xs_regs_decode(&st, &set) == 0, "%s: registers", file);
	check_vectors(&set, file);
	check_st(&set, eight_loads ? eight : two, file);
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "mxcsr")), 0x9fc0, "mxcsr");
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "fcw")), 0x037f, "fcw");
	/* Full tags: 8 loads: all valid but ST1=+0 (zero, tag 01 at physical 1);
	 * 2 loads: TOP=6, physical 6 (pi) and 7 (1.0) valid, others empty. gdb: 0xfff. */
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "fsw")), eight_loads ? 0 : 0x3000, "fsw");
	CHECK_U64(xs_reg_u64(xs_regset_find(&set, "ftw")), eight_loads ? 0x0004 : 0x0fff, "ftw");
	CHECK(!xs_regset_find(&set, "zmm0") && !xs_regset_find(&set, "k0") &&
	      !xs_regset_find(&set, "pkru"), "%s: no AVX-512/PKRU registers", file);
	xs_regset_free(&set);
	free(buf);
}

static void kvm_equals_hw(void)
{
	size_t la, lb;
	uint8_t *a = t_load("hw-xsave.bin", &la), *b = t_load("kvm-get-xsave.bin", &lb);
	struct xs_state sa, sb;
	struct xs_diff d;
	struct xs_diag dg;

	CHECK(!xs_state_parse(&sa, a, la, &no_host, &dg) && !xs_state_parse(&sb, b, lb, &no_host, &dg),
	      "hw and kvm images parse");
	CHECK(xs_diff_states(&sa, &sb, 0, &d) == 0 && d.n == 0 && d.bv_only == 0,
	      "KVM_GET_XSAVE of the hardware image is register-identical to it");
	xs_diff_free(&d);
	CHECK(sb.used_size == 832 && sb.size == 4096, "kvm: 4096-byte buffer, 832 used");
	free(a);
	free(b);
}

/*
 * XSTATE_BV 0 with live registers: as a KVM image every register loads at
 * init; where XSTATE_BV is not maintained (TCG) they load as stored, and the
 * XSTATE_BV difference is nobody's register (no bv_only).
 */
static void diff_unmaintained(void)
{
	size_t la, lb;
	uint8_t *a = t_load("hw-xsave.bin", &la), *b = t_load("hw-xsave.bin", &lb);
	/* A stream reader locates the components its subsections carry. */
	struct xs_parse_opts carried = { .locate_also = 0x7 };
	struct xs_state sa, sb;
	struct xs_diff d;
	struct xs_diag dg;

	memset(a + XS_OFF_XSTATE_BV, 0, 8);
	CHECK(!xs_state_parse(&sa, a, la, &carried, &dg) && !xs_state_parse(&sb, b, lb, &no_host, &dg),
	      "XSTATE_BV 0 and 0x7 images parse");
	CHECK(xs_diff_states(&sa, &sb, 0, &d) == 0 && d.n > 0, "XSTATE_BV 0: registers at init differ");
	xs_diff_free(&d);
	sa.bv_unmaintained = true;
	CHECK(xs_diff_states(&sa, &sb, 0, &d) == 0 && d.n == 0, "TCG: the registers load as stored");
	CHECK_U64(d.bv_only, 0, "TCG: no init vs. zero data difference");
	xs_diff_free(&d);
	free(a);
	free(b);
}

/* Every cut before the end of a structure the image announces must fail with ETRUNC. */
static void truncation(void)
{
	size_t len;
	uint8_t *buf = t_load("hw-xsave.bin", &len);
	struct xs_state st;
	struct xs_diag d;
	int wrong = 0;

	for (size_t cut = 0; cut < 832; cut++)
		wrong += xs_state_parse(&st, buf, cut, &no_host, &d) != -XS_ETRUNC;
	CHECK(wrong == 0, "every truncation of the 832-byte image is -XS_ETRUNC (%d not)", wrong);
	CHECK(xs_state_parse(&st, buf, 575, &no_host, &d) == -XS_ETRUNC && d.has_off &&
	      d.off == 575, "truncated header: offset is the end of the file");
	CHECK(xs_state_parse(&st, buf, 700, &no_host, &d) == -XS_ETRUNC && d.off == 700,
	      "truncated AVX area names offset 700");
	free(buf);
}

/* Any single corrupted byte: parse either succeeds or fails cleanly (run under ASan). */
static void corruption(void)
{
	size_t len;
	uint8_t *orig = t_load("kvm-get-xsave.bin", &len);
	uint8_t *buf = malloc(len);
	int silent_failures = 0;

	for (size_t pos = 0; pos < 1024; pos++)
		for (unsigned bit = 0; bit < 8; bit++) {
			struct xs_state st;
			struct xs_regset set;
			struct xs_diag d;

			memcpy(buf, orig, len);
			buf[pos] ^= (uint8_t)(1u << bit);
			if (xs_state_parse(&st, buf, len, &no_host, &d) == 0) {
				if (xs_regs_decode(&st, &set) == 0)
					xs_regset_free(&set);
			} else {
				silent_failures += !d.msg[0];
			}
		}
	CHECK(silent_failures == 0, "8192 single-bit corruptions: no crash, every failure has a message");
	free(buf);
	free(orig);
}

static void sw_bytes(void)
{
	uint8_t buf[832] = { 0 };
	struct xs_state st;
	struct xs_diag d;

	buf[512] = 3;
	/* Signal frame: magic1, extended_size, xfeatures, xstate_size. */
	memcpy(buf + 464, "\x53\x58\x50\x46", 4);
	buf[472] = 3;
	buf[480] = 0x40, buf[481] = 0x03;	/* 832 */
	CHECK(xs_state_parse(&st, buf, sizeof(buf), &no_host, &d) == 0 &&
	      st.sw == XS_SW_SIGFRAME && st.sw_xstate_size == 832 && st.sw_xcr0 == 3,
	      "signal-frame software bytes");
	buf[481] = 0x04;	/* 1088 > file */
	CHECK(xs_state_parse(&st, buf, sizeof(buf), &no_host, &d) == -XS_ETRUNC,
	      "signal-frame xstate_size beyond the file");
	memset(buf + 464, 0, 48);
	buf[464] = 0x06;	/* no x87 bit: not an XCR0 */
	CHECK(xs_state_parse(&st, buf, sizeof(buf), &no_host, &d) == 0 && st.sw == XS_SW_OTHER,
	      "implausible XCR0 at 464 is 'other'");
}

int main(void)
{
	real_fixture("hw-xsave.bin", true, 832, XS_SW_NONE);
	real_fixture("kvm-get-xsave.bin", true, 4096, XS_SW_XCR0);
	real_fixture("ptrace-xstate.bin", false, 832, XS_SW_XCR0);
	kvm_equals_hw();
	diff_unmaintained();
	truncation();
	corruption();
	sw_bytes();
	return t_done("test_area");
}
