/* SPDX-License-Identifier: MIT */
/*
 * Can this state be loaded on a target whose XCR0 is T, and what must go?
 *
 * For every XSTATE_BV bit outside T (and every supervisor bit, which
 * KVM_SET_XSAVE never accepts): stripping is lossless when the guest never
 * enabled the component (bit not in the guest XCR0 G, when G is known) or when
 * its data is the init value; otherwise the guest would lose live state.
 * Also incompatible: G has bits outside T; MXCSR has reserved bits.  Fixable
 * without loss: XCOMP_BV or reserved header bytes in a standard image,
 * XSTATE_BV bits with no data area.
 */
#ifndef XSAVE_RULES_H
#define XSAVE_RULES_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stdint.h>

#include <xsave/area.h>

XS_BEGIN_DECLS

enum xs_verdict { XS_VERDICT_OK, XS_VERDICT_FIXABLE, XS_VERDICT_INCOMPATIBLE };
enum xs_action { XS_ACT_KEEP, XS_ACT_STRIP, XS_ACT_LOSE };

struct xs_bit_check {
	uint8_t bit;
	uint8_t action;		/* enum xs_action */
	const char *reason;	/* static text */
	bool refused;		/* stripped because the destination kernel refuses it */
	bool xfd;		/* stripped because the guest's IA32_XFD arms it */
};

struct xs_check {
	enum xs_verdict verdict;
	uint64_t target;
	uint64_t strip;		/* XSTATE_BV bits filter clears losslessly */
	uint64_t refused;	/* of strip: in the target's XCR0, but outside the guest XCR0,
				   which the destination kernel refuses (or may refuse: unknown) */
	uint64_t xfd_armed;	/* of strip: XSTATE_BV bits whose IA32_XFD bit is set */
	uint64_t relocate;	/* components filter moves to the target layout's offsets */
	bool layout_unknown;	/* a vendor-specific image and a target without a layout */
	char refusal[256];	/* with refused: the destination's rule and what a refusal costs there */
	uint64_t lose;		/* XSTATE_BV bits whose live data would be lost */
	uint64_t guest_outside;	/* guest XCR0 bits the target lacks */
	unsigned fix;		/* enum xs_problem bits filter repairs */
	bool bv_rebuild;	/* XSTATE_BV is not maintained (QEMU TCG): filter sets it */
	uint64_t bv_data;	/* with bv_rebuild: the components holding data */
	unsigned bad;		/* enum xs_problem bits filter cannot repair */
	unsigned nbits;
	struct xs_bit_check bits[64];	/* one per XSTATE_BV bit, in bit order */
};

/*
 * What the destination kernel does with XSTATE_BV bits inside its own XCR0
 * but outside the guest's CPUID XCR0 (include/xsave/kprobe.h's classes):
 * fixed, leaks and pre-5.16 kernels load them; needs-patch kernels refuse the
 * whole KVM_SET_XSAVE.  Unknown (and inconclusive) is judged as needs-patch.
 */
enum xs_dest_kernel {
	XS_DK_UNKNOWN = 0,
	XS_DK_FIXED,
	XS_DK_NEEDS_PATCH,
	XS_DK_LEAKS,
	XS_DK_PRE_5_16,
	XS_DK_INCONCLUSIVE,
};

/*
 * What the target host loads.  Zero-initialised fields mean "not known", and
 * an unknown fact is judged the safe way (a kernel that refuses, a layout
 * that differs).
 */
struct xs_target {
	uint64_t xcr0;		/* XSTATE_BV bits KVM_SET_XSAVE accepts there */
	bool have_mxcsr_mask;	/* the target CPU's MXCSR_MASK is known (a profile) */
	uint32_t mxcsr_mask;	/* raw FXSAVE value; 0 means the default 0xffbf */
	/* Since 0.2. */
	enum xs_dest_kernel kernel;	/* its KVM_SET_XSAVE rule (probe class) */
	char kernel_release[65];	/* uname -r there, "" unknown */
	unsigned qemu_version;		/* major*10000 + minor*100 + micro; 0 unknown */
	const struct xs_layout *layout;	/* its standard-format offsets; NULL unknown */
};

/*
 * Judge @st against @t.  The MXCSR rule uses the target's MXCSR_MASK when
 * known (the kernel checks MXCSR against its own mask when XSTATE_BV has x87,
 * SSE or AVX), else the image's own mask.
 */
void xs_check_state(const struct xs_state *st, const struct xs_target *t, struct xs_check *c);

/*
 * Would XSETBV (and KVM_SET_XCRS) accept @xcr0?  Bit 0 set, AVX needs SSE,
 * MPX and AMX in pairs, AVX-512 all three bits and AVX.  When not, @why (may
 * be NULL) receives the broken rule.
 */
bool xs_xcr0_valid(uint64_t xcr0, char *why, size_t len);

/*
 * What the destination does with a state holding bits beyond the guest XCR0,
 * in words: "a needs-patch kernel (6.1.55) refuses it; QEMU 7.2 there resumes
 * the guest with its registers reset".  Always NUL-terminated.
 */
void xs_target_refusal(const struct xs_target *t, char *buf, size_t len);

/* "fixed", "needs-patch", "leaks", "pre-5.16", "inconclusive", "unknown". */
const char *xs_dest_kernel_name(enum xs_dest_kernel k);
/* The name's value; false for a name that is none of them. */
bool xs_dest_kernel_parse(const char *name, enum xs_dest_kernel *k);

/* QEMU's version as xs_target.qemu_version counts it. */
#define XS_QEMU_VERSION(major, minor, micro) ((major) * 10000u + (minor) * 100u + (micro))
/* QEMU 8.2 and later stop the incoming VM when KVM_SET_XSAVE fails; older ones go on. */
#define XS_QEMU_STOPS_ON_PUT_FAILURE XS_QEMU_VERSION(8, 2, 0)

/*
 * XCR0 bits some CPU defines as user state components: the user components
 * the library knows (bits 0-7, 9, 17-19) and AMD's LWP (bit 62).  Never in
 * XCR0: the supervisor components (IA32_XSS: 8, 10-16) and bit 63, reserved
 * to extend the bit vector.  Bits 20-61 no CPU defines yet.  Since 0.3 (the
 * macro XS_MASK_XCR0_DEFINED before).
 */
uint64_t xs_mask_xcr0_defined(void);

/*
 * Could @xcr0 be a real XCR0 (a target's, or a guest's)?  xs_xcr0_valid()'s
 * rules, and every bit in xs_mask_xcr0_defined().  When not, @why (may be NULL)
 * receives the broken rule, naming the bits that break it.  Since 0.2.
 */
bool xs_xcr0_possible(uint64_t xcr0, char *why, size_t len);

const char *xs_verdict_name(enum xs_verdict v);
const char *xs_action_name(enum xs_action a);

/*
 * Apply the lossless fixes of @c to the image behind @st (the caller's copy):
 * set XSTATE_BV to the components holding data where c->bv_rebuild (TCG),
 * clear the stripped XSTATE_BV bits and zero their areas, clear XCOMP_BV in a
 * standard image, zero the reserved header bytes.  With @force, also strip the
 * bits in c->lose (their data is lost).  *cleared receives the bits cleared.
 * The state's derived fields (init, problems) are stale afterwards: parse the
 * image again to judge the result.
 */
int xs_filter_apply(struct xs_state *st, const struct xs_check *c, bool force, uint64_t *cleared);

XS_END_DECLS

#endif
