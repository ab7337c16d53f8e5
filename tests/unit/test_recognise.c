// SPDX-License-Identifier: MIT
/*
 * xs_image_recognise(): every real capture in tests/data is recognised, and
 * each rule is pinned on each of them by breaking exactly what the rule looks
 * at (rule and offset); the images producers write that no capture here has
 * (signal frames, compacted, AMX sizes, QEMU's page-rounded buffer) are built
 * from the documented format and labelled synthetic; non-XSAVE files (zero
 * fill, a qcow2 header, firmware, text, an ELF header, random bytes) are not
 * recognised, each by the rule and offset pinned here.
 */
#include <stdbool.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/recognise.h>

#include "check.h"

#define BUF (1 << 20)

static uint8_t work[BUF];

static void expect(const uint8_t *img, size_t size, enum xs_recog_rule rule, uint64_t off,
		   const char *what)
{
	struct xs_diag d;
	struct xs_recog r = xs_image_recognise(img, size, NULL, 0, &d);

	CHECK(r.rule == rule && (rule == XS_RECOG_OK || r.off == off),
	      "%s: %s at %" PRIu64 " (got %s at %" PRIu64 "%s%s)", what,
	      xs_recog_rule_name(rule), off, xs_recog_rule_name(r.rule), r.off,
	      r.rule ? ": " : "", r.rule ? d.msg : "");
	if (rule != XS_RECOG_OK)
		CHECK(d.has_off && d.off == off && d.msg[0] && strlen(d.msg) < sizeof(d.msg) - 1,
		      "%s: the diag carries offset %" PRIu64 " and a whole message", what, off);
}

/* A copy of the capture in work[], then one change. */
static uint8_t *copy(const uint8_t *img, size_t size)
{
	memset(work, 0, BUF);
	memcpy(work, img, size);
	return work;
}

/* Break each rule on a real capture of @size bytes; @sw: its bytes 464..511 hold an XCR0. */
static void break_each_rule(const char *file, const uint8_t *img, size_t size)
{
	char what[160];
	uint8_t *w;

#define LABEL(s) (snprintf(what, sizeof(what), "%s, %s", file, s), what)
	w = copy(img, size);
	memset(w, 0, 2), memset(w + XS_OFF_MXCSR, 0, 8);
	expect(w, size, XS_RECOG_CONTROL, 0, LABEL("FCW, MXCSR and MXCSR_MASK zeroed"));
	w = copy(img, size), t_put_le(w, XS_OFF_MXCSR_MASK, 0x40, 4);
	expect(w, size, XS_RECOG_MXCSR_MASK, 28, LABEL("MXCSR_MASK 0x40"));
	w = copy(img, size), t_put_le(w, XS_OFF_MXCSR_MASK, 0x1ffff, 4);
	expect(w, size, XS_RECOG_MXCSR_MASK, 28, LABEL("MXCSR_MASK bit 16"));
	w = copy(img, size), w[430] = 1;
	expect(w, size, XS_RECOG_LEGACY_RESERVED, 430, LABEL("byte 430 set"));
	w = copy(img, size), t_put_le(w, XS_OFF_SW, 0x6, 8);
	expect(w, size, XS_RECOG_SW_BYTES, 464, LABEL("464: a mask without x87"));
	w = copy(img, size), t_put_le(w, XS_OFF_SW, 0x40000007, 8);
	expect(w, size, XS_RECOG_SW_XCR0, 464, LABEL("464: XCR0 with bit 30"));
	w = copy(img, size), t_put_le(w, XS_OFF_SW, 0x7, 8), w[500] = 9;
	expect(w, size, XS_RECOG_SW_BYTES, 500, LABEL("XCR0 then byte 500 set"));
	w = copy(img, size), t_put_le(w, XS_OFF_SW, XS_SIGFRAME_MAGIC1, 4);
	expect(w, size, XS_RECOG_SIGFRAME, 480, LABEL("MAGIC1 alone (xstate_size 0)"));
	w = copy(img, size), w[XS_OFF_XSTATE_BV + 5] = 1;
	expect(w, size, XS_RECOG_XSTATE_BV, 512, LABEL("XSTATE_BV bit 40"));
	w = copy(img, size), w[XS_OFF_XCOMP_BV + 5] = 1;
	expect(w, size, XS_RECOG_XCOMP_BV, 520, LABEL("XCOMP_BV bit 40"));
	w = copy(img, size);
	expect(w, size + 1, XS_RECOG_SIZE, size + 1, LABEL("one byte more"));
	expect(w, size + 100, XS_RECOG_SIZE, size + 100, LABEL("100 bytes more"));
	expect(w, 575, XS_RECOG_SHORT, 575, LABEL("cut to 575 bytes"));
	/* Findings check reports, never reasons to refuse the file. */
	w = copy(img, size), w[540] = 1;
	expect(w, size, XS_RECOG_OK, 0, LABEL("reserved header byte 540 (a check finding)"));
	w = copy(img, size), t_put_le(w, XS_OFF_XCOMP_BV, 0x7, 8);
	expect(w, size, XS_RECOG_OK, 0, LABEL("XCOMP_BV 0x7 in a standard image (a finding)"));
	w = copy(img, size), t_put_le(w, XS_OFF_MXCSR, 0xffffffff, 4);
	expect(w, size, XS_RECOG_OK, 0, LABEL("MXCSR reserved bits (a finding)"));
	/* CET is supervisor state: only XSAVES (compacted) saves it; KVM and QEMU carry MSRs. */
	w = copy(img, size), w[XS_OFF_XSTATE_BV + 1] |= 0x08;
	expect(w, size, XS_RECOG_XSTATE_BV, XS_OFF_XSTATE_BV,
	       LABEL("XSTATE_BV with CET_U in the standard format: malformed"));
	w = copy(img, size), w[XS_OFF_XSTATE_BV + 1] |= 0x10;
	expect(w, size, XS_RECOG_XSTATE_BV, XS_OFF_XSTATE_BV,
	       LABEL("XSTATE_BV with CET_S in the standard format: malformed"));
	w = copy(img, size), t_put_le(w, XS_OFF_MXCSR_MASK, 0, 4);
	expect(w, size, XS_RECOG_OK, 0, LABEL("MXCSR_MASK 0 (gdb gcore)"));
#undef LABEL
}

static void capture(const char *file, size_t want_size)
{
	size_t len;
	uint8_t *img = t_load(file, &len);

	CHECK(len == want_size, "%s: %zu bytes", file, want_size);
	expect(img, len, XS_RECOG_OK, 0, file);
	break_each_rule(file, img, len);
	free(img);
}

/* Cut short: a whole capture cut below what its header needs is left to the parser. */
static void truncated(void)
{
	size_t len;
	uint8_t *img = t_load("amd-zen4/ptrace-xstate.bin", &len);

	expect(img, 2000, XS_RECOG_OK, 0,
	       "amd-zen4 ptrace cut to 2000 (< 2432: parse says truncated)");
	free(img);
	img = t_load("kvm-get-xsave.bin", &len);
	expect(img, 4000, XS_RECOG_SIZE, 4000, "zen3 KVM dump cut to 4000 (needs only 832)");
	expect(img, 832, XS_RECOG_OK, 0, "zen3 KVM dump cut to 832 (the XCR0 0x7 area)");
	free(img);
}

/* Synthetic, from the format: a legacy area as a fresh vCPU has it. */
static void fresh(uint8_t *w, uint64_t sw_xcr0, uint64_t bv, uint64_t xcomp)
{
	memset(w, 0, BUF);
	t_put_le(w, XS_OFF_FCW, 0x37f, 2);
	t_put_le(w, XS_OFF_MXCSR, XS_MXCSR_INIT, 4);
	t_put_le(w, XS_OFF_MXCSR_MASK, 0xffff, 4);
	t_put_le(w, XS_OFF_SW, sw_xcr0, 8);
	t_put_le(w, XS_OFF_XSTATE_BV, bv, 8);
	t_put_le(w, XS_OFF_XCOMP_BV, xcomp, 8);
}

static void sigframe(uint32_t xsize)
{
	fresh(work, 0, 0x7, 0);
	t_put_le(work, XS_OFF_SW, XS_SIGFRAME_MAGIC1, 4);
	t_put_le(work, XS_OFF_SW_EXT_SIZE, xsize + 4, 4);
	t_put_le(work, XS_OFF_SW_XFEATURES, 0x7, 8);
	t_put_le(work, XS_OFF_SW_XSTATE_SIZE, xsize, 4);
	t_put_le(work, xsize, XS_SIGFRAME_MAGIC2, 4);
}

static void synthetic_producers(void)
{
	sigframe(832);
	expect(work, 832, XS_RECOG_OK, 0, "synthetic signal frame, xstate_size 832");
	expect(work, 836, XS_RECOG_OK, 0, "synthetic signal frame with FP_XSTATE_MAGIC2");
	expect(work, 900, XS_RECOG_SIZE, 900, "synthetic signal frame in 900 bytes");
	work[832] = 0;
	expect(work, 836, XS_RECOG_MAGIC2, 832, "synthetic signal frame, MAGIC2 missing");
	sigframe(832), t_put_le(work, XS_OFF_SW_EXT_SIZE, 900, 4);
	expect(work, 832, XS_RECOG_SIGFRAME, 468, "synthetic signal frame, extended_size 900");
	sigframe(832), work[490] = 1;
	expect(work, 832, XS_RECOG_SIGFRAME, 490, "synthetic signal frame, padding byte 490");
	sigframe(832), t_put_le(work, XS_OFF_SW_XFEATURES, 1ULL << 40, 8);
	expect(work, 832, XS_RECOG_SW_XCR0, 472, "synthetic signal frame, xfeatures bit 40");
	fresh(work, 0x602e7, 0x3, 0);
	expect(work, 4096, XS_RECOG_OK, 0, "synthetic EMR KVM_GET_XSAVE (cut short, 4096)");
	expect(work, 11008, XS_RECOG_OK, 0, "synthetic EMR KVM_GET_XSAVE2 / ptrace (11008)");
	expect(work, 12288, XS_RECOG_OK, 0, "synthetic EMR QEMU xsave_buf (11008 in 3 pages)");
	expect(work, 10752, XS_RECOG_OK, 0,
	       "synthetic EMR ptrace cut to 10752 (< 11008: the parser's)");
	expect(work, 11009, XS_RECOG_SIZE, 11009, "synthetic EMR ptrace plus one byte");
	fresh(work, 0, 0x602e7, XS_XCOMP_COMPACTED | 0x602e7);
	expect(work, 10752, XS_RECOG_OK, 0, "synthetic EMR XSAVEC (compacted 10752)");
	expect(work, 10816, XS_RECOG_SIZE, 10816, "synthetic EMR XSAVEC plus 64 bytes");
	fresh(work, 0x2e7, 0x2e7, 0);
	expect(work, 2696, XS_RECOG_OK, 0, "synthetic Intel AVX-512+PKRU ptrace (2696)");
	expect(work, 2440, XS_RECOG_OK, 0, "synthetic AMD PKRU ptrace (2440)");
	expect(work, 2700, XS_RECOG_SIZE, 2700, "synthetic 2700 bytes");
	fresh(work, 0x1f, 0x1f, 0);
	expect(work, 1088, XS_RECOG_OK, 0, "synthetic MPX ptrace (1088)");
	fresh(work, 0x3, 0x3, 0);
	expect(work, 576, XS_RECOG_OK, 0, "synthetic x87+SSE XSAVE (576)");
}

/* Non-XSAVE files: each refused by the rule and offset pinned here. */
static void not_xsave(void)
{
	static const char qcow2[] = "QFI\xfb\0\0\0\3";
	static const char text[] = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ";
	uint32_t x = 12345;

	memset(work, 0, BUF);
	expect(work, 4096, XS_RECOG_CONTROL, 0, "4096 zero bytes");
	expect(work, 600, XS_RECOG_CONTROL, 0, "600 zero bytes");
	expect(work, 832, XS_RECOG_CONTROL, 0, "832 zero bytes");
	expect(work, 100, XS_RECOG_SHORT, 100, "100 zero bytes");
	expect(work, 0, XS_RECOG_SHORT, 0, "an empty file");
	/* qemu-img create -f qcow2 1G: magic, version 3, cluster_bits 16 at 20, size at 24 (BE). */
	memcpy(work, qcow2, 8);
	work[23] = 16, work[28] = 0x40;
	expect(work, 196624, XS_RECOG_MXCSR_MASK, 28, "a qcow2 header (synthetic, 1 GiB)");
	/* Firmware (SeaBIOS bios.bin style): zeros up front, code and a reset vector at the end. */
	memset(work, 0, BUF);
	memset(work + 65536, 0x90, 65536);
	expect(work, 131072, XS_RECOG_CONTROL, 0, "a firmware image (synthetic, 128 KiB)");
	memset(work, 0xff, 4096);
	expect(work, 4096, XS_RECOG_MXCSR_MASK, 28, "4096 bytes of 0xff (erased flash)");
	for (size_t i = 0; i < 4096; i++)
		work[i] = (uint8_t)text[i % (sizeof(text) - 1)];
	expect(work, 4096, XS_RECOG_MXCSR_MASK, 28, "a text file of 4096 bytes");
	/* ELF64 executable header, program headers from 64: p_vaddr 0x6000 of the 7th at 416. */
	memset(work, 0, BUF);
	memcpy(work, "\177ELF\2\1\1", 7);
	t_put_le(work, 16, 3, 2), t_put_le(work, 18, 62, 2), t_put_le(work, 24, 0x4020, 8);
	t_put_le(work, 32, 64, 8);
	for (unsigned i = 0; i < 8; i++)
		t_put_le(work, 64 + 56 * i, 1, 4), t_put_le(work, 64 + 56 * i + 16, 0x1000 * i, 8);
	expect(work, 4096, XS_RECOG_LEGACY_RESERVED, 417, "an ELF executable header (synthetic)");
	for (size_t i = 0; i < 4096; i++)
		work[i] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
	expect(work, 4096, XS_RECOG_MXCSR_MASK, 28, "4096 random bytes (LCG)");
}

int main(void)
{
	capture("hw-xsave.bin", 832);
	capture("kvm-get-xsave.bin", 4096);
	capture("ptrace-xstate.bin", 832);
	capture("example-leaky-kvm.bin", 4096);
	capture("amd-zen4/hw-xsave.bin", 2432);
	capture("amd-zen4/kvm-get-xsave.bin", 4096);
	capture("amd-zen4/ptrace-xstate.bin", 2432);
	truncated();
	synthetic_producers();
	not_xsave();
	CHECK(!strcmp(xs_recog_rule_name(XS_RECOG_SIZE), "size") &&
	      !strcmp(xs_recog_rule_name((enum xs_recog_rule)99), "unknown"), "rule names");
	return t_done("recognise");
}
