// SPDX-License-Identifier: MIT
/* Built-in layouts, layouts from recorded CPUID, compacted offsets, mask expressions. */
#include <string.h>

#include <xsave/layout.h>
#include <xsave/rules.h>

#include "check.h"

static void builtin_sizes(void)
{
	struct xs_layout in, amd;

	xs_layout_builtin(XS_VENDOR_INTEL, &in);
	xs_layout_builtin(XS_VENDOR_AMD, &amd);
	/* Sizes from kernel-xsave.md 1.4 ("Typical std sizes"). */
	CHECK_U64(xs_layout_std_size(&in, 0x7), 832, "intel avx");
	CHECK_U64(xs_layout_std_size(&in, 0x1f), 1088, "intel +mpx");
	CHECK_U64(xs_layout_std_size(&in, 0xe7), 2688, "intel avx-512");
	CHECK_U64(xs_layout_std_size(&in, 0x2e7), 2696, "intel avx-512+pkru");
	CHECK_U64(xs_layout_std_size(&in, 0x602e7), 11008, "intel amx");
	CHECK_U64(xs_layout_std_size(&in, 0x80007), 1088, "intel apx in the mpx hole");
	CHECK_U64(xs_layout_std_size(&amd, 0x207), 2440, "amd pkru");
	CHECK_U64(xs_layout_std_size(&amd, 0x2e7), 2440, "amd avx-512+pkru");
	CHECK_U64(amd.offset[XS_OPMASK], 832, "amd opmask offset");
	CHECK(!(amd.placed & XS_MASK_MPX), "amd has no mpx");
}

static void from_cpuid(void)
{
	size_t len;
	unsigned char *txt = t_load("cpuid-intel-emr.txt", &len);
	struct xs_cpuid_d cd;
	struct xs_layout l, in;
	struct xs_diag d;
	uint32_t off[XS_NCOMP], total = 0;

	CHECK(xs_cpuid_d_parse((char *)txt, len, &cd, &d) == 0, "parse EMR cpuid");
	CHECK(!strcmp(cd.vendor, "GenuineIntel") && cd.have_xcr0 && cd.xcr0 == 0x602e7,
	      "vendor and xcr0");
	CHECK(xs_layout_from_cpuid(&cd, "host", &l, &d) == 0, "layout from EMR cpuid");
	xs_layout_builtin(XS_VENDOR_INTEL, &in);
	for (unsigned i = 2; i < 19; i++)
		if (0x602e7 & XS_BIT(i))
			CHECK(l.offset[i] == in.offset[i] && l.size[i] == in.size[i],
			      "EMR CPUID agrees with the built-in Intel table for component %u", i);
	CHECK_U64(l.supervisor & 0x1800, 0x1800, "CET components are supervisor");
	CHECK(!(l.placed & 0x1800), "supervisor components have no standard offset");
	/* kernel-xsave.md 1.6: EMR compacted XCOMP_BV=0x602e7. */
	CHECK(xs_layout_compacted(&l, 0x602e7, off, &total, &d) == 0, "compacted 0x602e7");
	CHECK(off[2] == 576 && off[5] == 832 && off[6] == 896 && off[7] == 1408 &&
	      off[9] == 2432 && off[17] == 2496 && off[18] == 2560, "EMR compacted offsets");
	CHECK_U64(total, 10752, "EMR compacted size (CPUID.(0xd,1).EBX 0x2a00)");
	CHECK(xs_layout_compacted(&l, 0x61ae7, off, &total, &d) == 0 && off[11] == 2440 &&
	      off[12] == 2456, "kernel XSAVES buffer places CET_U at 2440, CET_S at 2456");
	CHECK(xs_layout_compacted(&l, XS_BIT(40) | 7, off, &total, &d) == -XS_ELAYOUT,
	      "unknown component size is an error");
	free(txt);

	txt = t_load("cpuid-amd-zen3.txt", &len);
	CHECK(xs_cpuid_d_parse((char *)txt, len, &cd, &d) == 0 &&
	      !strcmp(cd.vendor, "AuthenticAMD") && cd.eax[0] == 7 && cd.ebx[0] == 0x340,
	      "parse Zen3 cpuid");
	CHECK(xs_layout_from_cpuid(&cd, "host", &l, &d) == 0 && l.placed == 7, "Zen3 layout");
	free(txt);

	const char bad[] = "0xd.0 eax=zz\n";
	CHECK(xs_cpuid_d_parse(bad, sizeof(bad) - 1, &cd, &d) == -XS_EINVAL, "bad line rejected");
	const char none[] = "hello\n";
	CHECK(xs_cpuid_d_parse(none, sizeof(none) - 1, &cd, &d) == -XS_EFORMAT,
	      "no CPUID fact at all: not a CPUID file");
	const char no_d[] = "leaf0 max=0xd vendor=GenuineIntel\n";
	CHECK(xs_cpuid_d_parse(no_d, sizeof(no_d) - 1, &cd, &d) == -XS_EINVAL, "no 0xd.0 rejected");
	const char missing[] = "0xd.0 eax=0x207 ebx=0 ecx=0 edx=0\n";
	CHECK(xs_cpuid_d_parse(missing, sizeof(missing) - 1, &cd, &d) == 0 &&
	      xs_layout_from_cpuid(&cd, "x", &l, &d) == -XS_EINVAL,
	      "enumerated component without its sub-leaf rejected");
}

static void masks(void)
{
	static const struct {
		const char *s;
		uint64_t want;
	} good[] = {
		{ "x87,sse,avx", 0x7 },	{ "avx512", 0xe0 },  { "amx", 0x60000 },
		{ "0x2e7", 0x2e7 },	{ "519", 0x207 },    { "mpx,pkru", 0x218 },
		{ "bit40", 1ULL << 40 }, { "fp+sse+ymm", 7 }, { "apx", 1ULL << 19 },
	};
	static const char *const bad[] = { "foo", "", "x87,", "99999999999999999999999", "0x",
					   "bit63", "12abc" };
	struct xs_diag d;
	uint64_t m;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(xs_mask_parse(good[i].s, &m, &d) == 0 && m == good[i].want, "mask '%s'",
		      good[i].s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(xs_mask_parse(bad[i], &m, &d) == -XS_EINVAL, "mask '%s' rejected", bad[i]);
	char names[64];
	xs_mask_names(0x602e7, names, sizeof(names));
	CHECK(!strcmp(names, "x87 sse avx opmask zmm_hi256 hi16_zmm pkru tilecfg tiledata"),
	      "mask names: %s", names);
}

/* The known-component masks are functions (their values grow with the library). */
static void known(void)
{
	CHECK_U64(xs_mask_known(), 0x40000000000fffffull, "known: bits 0..19 and LWP (62)");
	CHECK_U64(xs_mask_user_known(), 0xe02ffull, "user known: 0-7, 9, 17-19");
	CHECK_U64(xs_mask_xcr0_defined(), 0x40000000000e02ffull, "XCR0-defined: user known and LWP");
	CHECK_U64(xs_mask_user_known() & ~xs_mask_known(), 0, "user known within known");
}

int main(void)
{
	builtin_sizes();
	from_cpuid();
	masks();
	known();
	return t_done("test_layout");
}
