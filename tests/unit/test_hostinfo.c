// SPDX-License-Identifier: MIT
/* Host facts: the CPUID-file text form, the target mask, the core layout note. */
#include <stdlib.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/hostinfo.h>
#include <xsave/rules.h>

#include "check.h"

static void load(const char *name, struct xs_hostinfo *h)
{
	struct xs_diag d = { 0 };
	size_t len;
	unsigned char *txt = t_load(name, &len);

	CHECK(xs_hostinfo_parse((char *)txt, len, h, &d) == 0, "parse %s: %s", name, d.msg);
	free(txt);
}

static void targets(void)
{
	struct xs_hostinfo h;
	struct xs_host_target t;

	load("cpuid-intel-emr.txt", &h);
	xs_host_target(&h, &t);
	CHECK_U64(t.mask, 0x2e7, "EMR: KVM_X86_XCOMP_GUEST_SUPP decides (no AMX from this KVM)");
	CHECK(!t.estimated && h.mxcsr_mask.v == 0xffff && h.xgetbv1.v == 0x2a2 &&
	      h.xcomp_perm.v == 0x202e7 && h.kvm.cap_xsave2.v == 4096, "EMR facts");
	h.kvm.guest_supp.have = false;
	h.kvm.state = XS_KVM_ABSENT;
	xs_host_target(&h, &t);
	CHECK_U64(t.mask, 0x602e7, "EMR without /dev/kvm: XCR0 & KVM's components, AMX kept");
	CHECK_U64(t.needs_perm, XS_BIT(XS_TILEDATA), "AMX tile data needs guest permission");
	CHECK(t.estimated, "estimated without /dev/kvm");

	load("cpuid-amd-zen3.txt", &h);
	xs_host_target(&h, &t);
	CHECK_U64(t.mask, 0x7, "Zen 3");
	load("cpuid-intel-broadwell.txt", &h);
	xs_host_target(&h, &t);
	CHECK(t.mask == 0x7 && strstr(t.basis, "KVM_GET_SUPPORTED_CPUID"), "Broadwell from KVM cpuid");
	load("cpuid-intel-apx.txt", &h);
	xs_host_target(&h, &t);
	CHECK_U64(t.mask, 0x2e7, "APX host: KVM offers no APX, so the target lacks it");
	load("cpuid-no-xsave.txt", &h);
	CHECK(!xs_host_has_xsave(&h) && xs_host_supported_xcr0(&h) == 0, "no XSAVE");
	xs_host_target(&h, &t);
	CHECK_U64(t.mask, 0x3, "no XSAVE: x87 and SSE only");
}

static void text_form(void)
{
	struct xs_hostinfo h, h2;
	struct xs_diag d = { 0 };
	char *s;

	load("host-amd-zen3-live.txt", &h);
	s = xs_hostinfo_format(&h);
	CHECK(s && xs_hostinfo_parse(s, strlen(s), &h2, &d) == 0, "format then parse");
	CHECK(!memcmp(&h.d, &h2.d, sizeof(h.d)) && !memcmp(&h.kvm, &h2.kvm, sizeof(h.kvm)) &&
	      h2.cpuid7_ebx == h.cpuid7_ebx && !strcmp(h2.brand, h.brand) &&
	      h2.xcomp_guest_perm.v == h.xcomp_guest_perm.v, "round trip keeps every fact");
	free(s);

	static const struct {
		const char *text;
		uint64_t off;
	} bad[] = {
		{ "0xd.0 eax=zz ebx=0 ecx=0 edx=0\n", 0 },
		{ "# ok\nxcr0=\n", 5 },
		{ "0xd.0 eax=1 ebx=2 ecx=3\n", 0 },
		{ "leaf0 max=0xd vendor=AuthenticAMD\nkvm=maybe\n", 34 },
		{ "kvm.xcomp_guest_supp=0x1ffffffffffffffff\n", 0 },
		{ "0xd.0 eax=0x100000000 ebx=0 ecx=0 edx=0\n", 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = xs_hostinfo_parse(bad[i].text, strlen(bad[i].text), &h, &d);

		CHECK(rc == -XS_EINVAL && d.has_off && d.off == bad[i].off,
		      "bad text %zu rejected at offset %llu (%s)", i, (unsigned long long)bad[i].off,
		      d.msg);
	}
	const char unknown[] = "future_key=whatever\n0xd.0 eax=0x7 ebx=0x340 ecx=0x340 edx=0\n";
	CHECK(xs_hostinfo_parse(unknown, sizeof(unknown) - 1, &h, &d) == 0 && h.d.eax[0] == 7,
	      "unknown keys are ignored");
}

static void layout_note(void)
{
	/* The NT_X86_XSAVE_LAYOUT of the real Zen 3 core: AVX, 256 bytes at 576. */
	const uint8_t real[16] = { 2, 0, 0, 0, 0, 1, 0, 0, 0x40, 2, 0, 0, 0, 0, 0, 0 };
	struct xs_layout l;
	struct xs_diag d = { 0 };
	uint8_t two[32];

	CHECK(xs_layout_from_xfeat_note(real, 16, &l, &d) == 0 && l.placed == 7 &&
	      l.offset[XS_AVX] == 576 && l.size[XS_AVX] == 256, "real note: avx at 576");
	CHECK(xs_layout_from_xfeat_note(real, 15, &l, &d) == -XS_EFORMAT, "15 bytes rejected");
	memcpy(two, real, 16);
	memcpy(two + 16, real, 16);
	CHECK(xs_layout_from_xfeat_note(two, 32, &l, &d) == -XS_EFORMAT && d.off == 16,
	      "component twice rejected at its entry");
	two[16] = 11;
	CHECK(xs_layout_from_xfeat_note(two, 32, &l, &d) == -XS_EFORMAT, "supervisor rejected");
	two[16] = 9;
	two[24] = 0x10;
	two[25] = 0;
	CHECK(xs_layout_from_xfeat_note(two, 32, &l, &d) == -XS_EFORMAT,
	      "offset inside the legacy area rejected");
}

static void target_mxcsr(void)
{
	uint8_t img[832] = { 0 };
	struct xs_state st;
	struct xs_check c;
	struct xs_diag d = { 0 };
	struct xs_parse_opts po = { 0 };
	uint32_t mx = 0x21f80, mask = 0x2ffff;

	img[0] = 0x7f, img[1] = 0x03;
	memcpy(img + 24, &mx, 4);
	memcpy(img + 28, &mask, 4);
	img[512] = 3;
	CHECK(xs_state_parse(&st, img, sizeof(img), &po, &d) == 0 && !st.problems,
	      "AMD MM bit allowed by the image's own mask");
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 7 }, &c);
	CHECK(c.verdict == XS_VERDICT_OK, "no target mask: judged by the image's mask");
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 7, .have_mxcsr_mask = true, .mxcsr_mask = 0xffff },
		       &c);
	CHECK(c.verdict == XS_VERDICT_INCOMPATIBLE && c.bad == XS_PROB_MXCSR,
	      "Intel target (mask 0xffff) rejects the AMD MM bit");
	xs_check_state(&st, &(struct xs_target){ .xcr0 = 7, .have_mxcsr_mask = true, .mxcsr_mask = 0x2ffff },
		       &c);
	CHECK(c.verdict == XS_VERDICT_OK, "AMD target accepts it");
	mask = 0;
	mx = 0x9fc0;
	memcpy(img + 24, &mx, 4);
	memcpy(img + 28, &mask, 4);
	CHECK(xs_state_parse(&st, img, sizeof(img), &po, &d) == 0 && !st.problems,
	      "MXCSR_MASK 0 (gdb gcore): DAZ is not a reserved bit");
}

int main(void)
{
	targets();
	text_form();
	layout_note();
	target_mxcsr();
	return t_done("test_hostinfo");
}
