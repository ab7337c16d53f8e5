/* SPDX-License-Identifier: MIT */
/*
 * Does this kernel's KVM have the KVM_SET_XSAVE regression?  The probe asks
 * /dev/kvm a fixed list of questions on throwaway vCPUs that never run
 * (src/sys/kvm_probe.c does the ioctls); this module holds the answers (a
 * "record"), reads and writes their text form, and judges them.
 *
 * Kernel classes (../shared/reference/kernel-xsave.md sections 2.3, 2.4, 3):
 *   fixed        v6.6+, 6.1.60+, 6.5.9+: KVM_SET_XSAVE takes any state the
 *                host supports; KVM_GET_XSAVE reports only the guest's features
 *   needs-patch  v5.17 .. v6.6-rc6, 6.1.0-6.1.59, 6.5.0-6.5.8 (ad856280ddea
 *                without 8647c52e9504): KVM_SET_XSAVE refuses features the
 *                guest CPUID lacks once KVM_SET_CPUID2 ran
 *   leaks        v5.16 .. v5.17-rc5: KVM_GET_XSAVE reports host features the
 *                guest lacks (the dumps that need `xsavectl filter`)
 *   pre-5.16     the old fill_xsave/load_xsave code: accepts, hides
 * and "inconclusive" when an answer cannot be trusted (a KVM that rewrites
 * the guest CPUID, answers that contradict each other, nothing to test).
 */
#ifndef XSAVE_KPROBE_H
#define XSAVE_KPROBE_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>
#include <xsave/hostinfo.h>
#include <xsave/rules.h>

XS_BEGIN_DECLS

/* The questions, in the order the probe asks them. */
enum xs_kp_step {
	XS_KP_SUPPORTED,	/* KVM_GET_SUPPORTED_CPUID: v = 0xD.0 XCR0 ("S") */
	XS_KP_CREATE_VM,	/* KVM_CREATE_VM; v = KVM_CAP_XSAVE2 on the VM (buffer size) */
	/* vCPU 0: guest CPUID limits XCR0 to x87|sse */
	XS_KP_LIM_SET_CPUID,	/* KVM_SET_CPUID2 */
	XS_KP_LIM_GET_CPUID,	/* KVM_GET_CPUID2: v = 0xD.0 XCR0 read back */
	XS_KP_LIM_SET_XSAVE,	/* KVM_SET_XSAVE, XSTATE_BV = S */
	XS_KP_LIM_GET_XSAVE,	/* KVM_GET_XSAVE: v = XSTATE_BV */
	XS_KP_LIM_SET_XCRS,	/* KVM_SET_XCRS, XCR0 = S: refused where the CPUID applies */
	/* vCPU 1: state loaded before the CPUID is set */
	XS_KP_LEAK_SET_XSAVE,	/* KVM_SET_XSAVE, XSTATE_BV = S, no CPUID yet */
	XS_KP_LEAK_SET_CPUID,	/* KVM_SET_CPUID2, XCR0 limited to x87|sse */
	XS_KP_LEAK_GET_XSAVE,	/* KVM_GET_XSAVE: v = XSTATE_BV */
	/* vCPU 2: CPUID without XSAVE and without leaf 0xD */
	XS_KP_NOX_SET_CPUID,
	XS_KP_NOX_GET_CPUID,	/* v = 0xD.0 XCR0 read back (0: none) */
	XS_KP_NOX_SET_XSAVE,	/* XSTATE_BV = x87|sse */
	XS_KP_NOX_GET_XSAVE,	/* v = XSTATE_BV */
	/* vCPU 0 again: how strictly the XSAVE header is checked */
	XS_KP_HDR_BASE,		/* XSTATE_BV = x87|sse, clean header (the baseline) */
	XS_KP_HDR_XCOMP,	/* XCOMP_BV = bit 63 | XSTATE_BV */
	XS_KP_HDR_RESERVED,	/* header byte 528 nonzero */
	XS_KP_HDR_MXCSR,	/* XSTATE_BV = 0 with MXCSR bit 31 (reserved) set */
	XS_KP_NSTEPS
};

/* One answer: not asked, or 0 / the errno the ioctl returned, and its value. */
struct xs_kp_answer {
	bool asked;
	int err;
	uint64_t v;
};

/*
 * Everything the probe learned on one host: opaque (since 0.3), as it grows with
 * every question the probe learns to ask.  Made empty by xs_kp_record_new() (NULL
 * when out of memory), filled by the probe through the setters or by
 * xs_kp_parse(), read through the getters; xs_kp_record_free() it.
 */
struct xs_kp_record;

struct xs_kp_record *xs_kp_record_new(void);
/* A copy of @r (NULL when out of memory). */
struct xs_kp_record *xs_kp_record_dup(const struct xs_kp_record *r);
void xs_kp_record_free(struct xs_kp_record *r);
/* The questions this library asks and judges (XS_KP_NSTEPS of the header it was built with). */
unsigned xs_kp_nsteps(void);

/* The record's texts: uname -r, uname -v, the KVM vendor modules loaded ("kvm_intel"). */
enum xs_kp_text { XS_KP_RELEASE, XS_KP_KVERSION, XS_KP_MODULE };
/* The text ("" when unknown); "" for a text this library does not know. */
const char *xs_kp_record_text(const struct xs_kp_record *r, enum xs_kp_text t);
/* Set it from @s; false when @s was cut to fit (uname -r 64 bytes, -v 128, modules 31). */
bool xs_kp_record_set_text(struct xs_kp_record *r, enum xs_kp_text t, const char *s);

/* The KVM facts: KVM_GET_API_VERSION, KVM_CAP_XCRS and KVM_CAP_XSAVE2. */
enum xs_kp_kvm { XS_KP_API, XS_KP_CAP_XCRS, XS_KP_CAP_XSAVE2 };
/* The fact (never NULL: an unknown @f reads as not asked). */
const struct xs_fact *xs_kp_record_kvm(const struct xs_kp_record *r, enum xs_kp_kvm f);
void xs_kp_record_set_kvm(struct xs_kp_record *r, enum xs_kp_kvm f, const struct xs_fact *v);

/* The answer to step @s (never NULL: a step this library does not know reads as not asked). */
const struct xs_kp_answer *xs_kp_record_answer(const struct xs_kp_record *r, enum xs_kp_step s);
/* Record the answer to step @s (a step this library does not know is ignored). */
void xs_kp_record_set_answer(struct xs_kp_record *r, enum xs_kp_step s,
			     const struct xs_kp_answer *a);

enum xs_kp_class {
	XS_KP_FIXED,
	XS_KP_NEEDS_PATCH,
	XS_KP_LEAKS,
	XS_KP_PRE_5_16,
	XS_KP_INCONCLUSIVE,
};

/* What the header checks say about the KVM/FPU code. */
enum xs_kp_style { XS_KP_STYLE_UNKNOWN, XS_KP_STYLE_OLD, XS_KP_STYLE_516 };

struct xs_kp_verdict {
	enum xs_kp_class cls;
	char reason[320];		/* one line: what decided it */
	uint64_t tested;		/* S without dynamic (AMX) features */
	int cpuid_applied;		/* 1 yes, 0 no (rewritten or ignored), -1 unknown */
	enum xs_kp_style style;
	bool fpsse_bug;			/* x87/SSE refused without XSAVE in CPUID */
};

/* Judge a record. */
void xs_kp_judge(const struct xs_kp_record *r, struct xs_kp_verdict *v);

/*
 * What the answer to step @s means, in words ("XCOMP_BV set refused (5.16+)"), into
 * @buf (@len bytes, always NUL-terminated; XS_KP_FINDING_LEN holds every finding):
 * "" when the step was not asked.  Since 0.3 (struct xs_kp_verdict.finding[] before).
 */
#define XS_KP_FINDING_LEN 192
void xs_kp_finding(const struct xs_kp_record *r, enum xs_kp_step s, char *buf, size_t len);

/* "fixed", "needs-patch", "leaks", "pre-5.16", "inconclusive". */
const char *xs_kp_class_name(enum xs_kp_class c);
/* The class as a destination's rule for check (struct xs_target.kernel). */
enum xs_dest_kernel xs_kp_dest_kernel(enum xs_kp_class c);
/* The step's name in records and output ("limited.set_xsave") and its ioctl. */
const char *xs_kp_step_name(enum xs_kp_step s);
const char *xs_kp_step_ioctl(enum xs_kp_step s);
/* An answer's result as records write it: "ok", "EINVAL", "errno200" (not thread-safe). */
#define XS_KP_ERRNAME_LEN 24
/* The errno's name ("EINVAL"), "ok" for 0, else "errnoN" written into @buf. */
const char *xs_kp_err_name(int err, char buf[XS_KP_ERRNAME_LEN]);
/* The same with a buffer that lives to the end of the enclosing block (C). */
#define XS_KP_ERR_NAME(err) xs_kp_err_name((err), (char[XS_KP_ERRNAME_LEN]){ 0 })
/* Does the step's answer carry a value (a mask, a size)? */
bool xs_kp_step_has_value(enum xs_kp_step s);

/*
 * The class a kernel version implies (mainline and the stable lines named
 * above).  From "Debian X.Y.Z" in @version when present, else the numbers
 * at the start of @release.  A hint for mainline and stable kernels only:
 * distribution kernels backport (Ubuntu 22.04's 5.15 carries ad856280ddea;
 * Proxmox VE 7.4's 5.15 leaked host PKRU), so the measured class decides.
 * Returns false when no version can be read; *label gets "6.1.55" or
 * "6.6.0-rc3".
 */
bool xs_kp_class_for_version(const char *release, const char *version,
			     enum xs_kp_class *cls, char label[32]);

/*
 * The record's text form (`xsavectl probe --record`), one fact a line:
 *   kernel.release=R  kernel.version=V  kvm.module=M  kvm.api=12
 *   kvm.cap_xcrs=N  kvm.cap_xsave2=N  STEP ok|ERRNO [0xVALUE]
 * where ERRNO is a name such as EINVAL.  '#' comments and blank lines are
 * ignored; anything else is an error naming the line's offset.
 */
int xs_kp_parse(const char *text, size_t len, struct xs_kp_record *r, struct xs_diag *d);
/* Write @r in that form into a malloc'ed string (NULL on out of memory). */
char *xs_kp_format(const struct xs_kp_record *r);

XS_END_DECLS

#endif
