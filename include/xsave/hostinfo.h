/* SPDX-License-Identifier: MIT */
/*
 * What a host can load: the facts `xsavectl host` gathers (CPUID, XGETBV,
 * arch_prctl, /dev/kvm), their text form (the CPUID file that --cpuid-file,
 * --layout FILE and XSAVECTL_HOST_CPUID read), and the target mask derived
 * from them: the XSTATE_BV bits KVM_SET_XSAVE on that host accepts.
 *
 * Gathering the facts live is I/O and lives in the CLI (src/sys/host_live.c);
 * this module only holds, parses and judges them.
 */
#ifndef XSAVE_HOSTINFO_H
#define XSAVE_HOSTINFO_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>
#include <xsave/layout.h>

XS_BEGIN_DECLS

/* CPUID bits the host report uses (SDM Vol. 2 CPUID). */
#define XS_CPUID1_ECX_XSAVE (1u << 26)
#define XS_CPUID1_ECX_OSXSAVE (1u << 27)
#define XS_CPUID1_ECX_AVX (1u << 28)
#define XS_CPUID7_EBX_AVX512F (1u << 16)
#define XS_CPUID7_EBX_MPX (1u << 14)
#define XS_CPUID7_ECX_PKU (1u << 3)
#define XS_CPUID7_ECX_OSPKE (1u << 4)
#define XS_CPUID7_EDX_AMX_TILE (1u << 24)
#define XS_CPUID7_1_EDX_APX_F (1u << 21)
/* CPUID.(0xD,1).EAX */
#define XS_XSAVEOPT (1u << 0)
#define XS_XSAVEC (1u << 1)
#define XS_XGETBV1 (1u << 2)
#define XS_XSAVES (1u << 3)
#define XS_XFD (1u << 4)

/* A value that was asked for: known, or the errno that answered instead. */
struct xs_fact {
	bool have;
	int err;		/* errno when !have and the question was asked; 0: not asked */
	uint64_t v;
};

enum xs_kvm_state {
	XS_KVM_UNKNOWN,		/* not recorded (CPUID files without kvm= lines) */
	XS_KVM_ABSENT,		/* no /dev/kvm */
	XS_KVM_DENIED,		/* /dev/kvm exists, cannot be opened (err) */
	XS_KVM_OPEN,
};

struct xs_hostinfo {
	char hostname[64];	/* the vendor string is d.vendor */
	char brand[64];
	char codename[64];
	bool have_fms;
	int32_t family, model, stepping;

	uint32_t leaf0_max;
	bool have_leaf1, have_leaf7, have_leaf7_1;
	uint32_t cpuid1_ecx;
	uint32_t cpuid7_ebx, cpuid7_ecx, cpuid7_edx, cpuid7_1_edx;
	struct xs_cpuid_d d;		/* leaf 0xD; d.xcr0 = XGETBV(0) */

	struct xs_fact xgetbv1;
	struct xs_fact mxcsr_mask;	/* FXSAVE byte 28 (0 means 0xffbf) */
	struct xs_fact xcomp_supp, xcomp_perm, xcomp_guest_perm;	/* arch_prctl */

	struct {
		enum xs_kvm_state state;
		int err;
		struct xs_fact api, cap_xsave, cap_xcrs, cap_xsave2;
		struct xs_fact guest_supp;	/* KVM_X86_XCOMP_GUEST_SUPP */
		bool have_cpuid_d;		/* KVM_GET_SUPPORTED_CPUID leaf 0xD */
		struct xs_cpuid_d d;
	} kvm;
};

/* CPUID says the CPU has XSAVE with leaf 0xD, and the OS enabled it. */
bool xs_host_has_xsave(const struct xs_hostinfo *h);
bool xs_host_os_xsave(const struct xs_hostinfo *h);
/* Supported XCR0 (0xD.0 EAX|EDX) and IA32_XSS (0xD.1 ECX|EDX); 0 without XSAVE. */
uint64_t xs_host_supported_xcr0(const struct xs_hostinfo *h);
uint64_t xs_host_supported_xss(const struct xs_hostinfo *h);

/* The target mask of a host and where it came from. */
struct xs_host_target {
	uint64_t mask;		/* XSTATE_BV bits KVM_SET_XSAVE accepts */
	uint64_t needs_perm;	/* of those, bits that need ARCH_REQ_XCOMP_GUEST_PERM (AMX) */
	const char *basis;	/* one line: which fact decided it */
	bool estimated;		/* no /dev/kvm facts: derived from XCR0 */
};

void xs_host_target(const struct xs_hostinfo *h, struct xs_host_target *t);

/*
 * Parse the text form (see man/xsavectl.1, CPUID FILES): one fact a line,
 *   leaf0 max=0x20 vendor=GenuineIntel     0x7.0 eax=.. ebx=.. ecx=.. edx=..
 *   0xd.N eax=.. ebx=.. ecx=.. edx=..      xcr0=0x..  xgetbv1=0x..  mxcsr_mask=0x..
 *   ARCH_GET_XCOMP_SUPP=0x..  ARCH_GET_XCOMP_PERM=..  ARCH_GET_XCOMP_GUEST_PERM=..
 *   kvm=absent|denied|present  kvm.api=12  kvm.cap_xsave2=4096  kvm.xcomp_guest_supp=0x..
 *   kvm.0xd.N eax=.. ebx=.. ecx=.. edx=..  hostname=...  brand=...  codename=...
 *   family=N  model=N  stepping=N
 * Blank lines, '#' comments and unknown keys are ignored; a known key with a
 * bad value is an error (-XS_EINVAL, offset of the line).  A file without any
 * leaf 0xD describes a CPU without XSAVE.
 */
int xs_hostinfo_parse(const char *text, size_t len, struct xs_hostinfo *h, struct xs_diag *d);

/*
 * Write @h in that text form into a malloc'ed string (NULL on out of memory).
 * xs_hostinfo_parse() of the result gives @h back.
 */
char *xs_hostinfo_format(const struct xs_hostinfo *h);

XS_END_DECLS

#endif
