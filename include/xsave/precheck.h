/* SPDX-License-Identifier: MIT */
/*
 * The pre-check of a live migration, from facts: before a migration there is
 * no state to judge, but what decides its fate is known.  The guest's CPU
 * says which components the guest may enable (its XCR0); the source kernel's
 * class says what KVM_GET_XSAVE there reports besides them (a 5.16-5.17-rc5
 * "leaks" kernel reports the host's components too); the destination's
 * target, kernel class and QEMU say what KVM_SET_XSAVE there does with it.
 *
 * xs_precheck() models the worst state the source can send (XSTATE_BV = the
 * guest XCR0, plus on a leaking source every component the source's KVM
 * hands out, each with live data) and judges it with xs_check_state(), the
 * rule check and filter use.  Since 0.3.
 */
#ifndef XSAVE_PRECHECK_H
#define XSAVE_PRECHECK_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stdint.h>

#include <xsave/rules.h>

XS_BEGIN_DECLS

/* A CPUID output register, as a feature bit names it. */
enum xs_cpuid_reg { XS_REG_EAX, XS_REG_EBX, XS_REG_ECX, XS_REG_EDX };

/*
 * What the CPUID feature bits @bits of leaf @leaf, sub-leaf @subleaf, register
 * @reg give a guest's XCR0 (QEMU enables a component when the guest has its
 * feature): *comps receives the components (avx: AVX; mpx: BNDREGS|BNDCSR;
 * avx512f: the three AVX-512 components; pku: PKRU; amx-tile: TILECFG|TILEDATA;
 * apx_f: APX), *xsave whether the bits hold XSAVE itself (CPUID.1:ECX[26],
 * without which the guest has no XCR0 beyond x87 and SSE).  Both are ORed in.
 */
void xs_cpuid_components(uint32_t leaf, uint32_t subleaf, enum xs_cpuid_reg reg, uint32_t bits,
			 uint64_t *comps, bool *xsave);

/*
 * The XCR0 a guest with these features may enable: x87 and SSE always, the
 * rest with XSAVE; AVX-512 only with AVX, as XSETBV allows.
 */
uint64_t xs_guest_xcr0(bool xsave, uint64_t comps);

/*
 * Does KVM_GET_XSAVE on a source kernel of class @k report host components
 * beside the guest's?  Leaks kernels do; fixed, needs-patch and pre-5.16 ones
 * do not; an unknown or inconclusive one is judged as if it did.
 */
bool xs_source_leaks(enum xs_dest_kernel k);

/* The source host: what its KVM hands a guest, and its kernel's class. */
struct xs_source {
	uint64_t xcr0;			/* its target mask (KVM_GET_SUPPORTED_CPUID leaf 0xd) */
	enum xs_dest_kernel kernel;	/* its probe class; unknown is judged as leaks */
};

enum xs_mig_outcome {
	XS_MIG_LOADS,		/* the destination loads the state as sent */
	XS_MIG_REFUSED,		/* it refuses it; stripping what the guest never enabled fixes it */
	XS_MIG_LACKS,		/* it lacks components the guest may enable: no strip fixes it */
	XS_MIG_NOT_ON_SOURCE,	/* the source cannot give the guest its CPU */
};

struct xs_migration {
	enum xs_mig_outcome outcome;
	uint64_t guest;		/* the guest XCR0 judged (what the source gives of it) */
	uint64_t not_on_source;	/* guest components the source's KVM lacks */
	bool leaks;		/* the source kernel leaks host components (or may: unknown) */
	uint64_t sent;		/* the worst XSTATE_BV the source sends */
	uint64_t leaked;	/* of sent: host components outside the guest XCR0 */
	uint64_t refused;	/* of sent: what the destination's KVM_SET_XSAVE refuses */
	uint64_t by_kernel;	/* of refused: in its XCR0, refused by its kernel's rule */
	uint64_t lacks;		/* guest components the destination lacks */
	struct xs_check check;	/* the modelled state judged against the destination */
};

/*
 * Judge a migration of a guest whose CPU gives it XCR0 @guest from @src to
 * @dst.  A guest component @src lacks is XS_MIG_NOT_ON_SOURCE (the rest is
 * judged as if the guest ran without it).  An unknown or inconclusive source
 * kernel is judged as leaking, an unknown destination kernel as needs-patch.
 */
void xs_precheck(uint64_t guest, const struct xs_source *src, const struct xs_target *dst,
		 struct xs_migration *m);

/* "loads", "refused", "lacks", "not-on-source". */
const char *xs_mig_outcome_name(enum xs_mig_outcome o);

XS_END_DECLS

#endif
