/* SPDX-License-Identifier: MIT */
/*
 * Internal to libxsave and xsavectl: never installed, never exported (the
 * library is built with -fvisibility=hidden and these are declared outside
 * XS_BEGIN_DECLS; lib/libxsave.sym lists what is exported).  The CLI and the
 * unit tests link the static library and may use them; an outside program
 * cannot.
 */
#ifndef XSAVE_INTERNAL_H
#define XSAVE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <xsave/err.h>
#include <xsave/layout.h>
#include <xsave/rules.h>

/*
 * The components this version knows, as constants for tables.  Outside the
 * library they are functions (xs_mask_known(), xs_mask_user_known(),
 * xs_mask_xcr0_defined()): a caller compiled against an older header then
 * still gets the running library's answer.
 */
/* Every component some CPU defines: bits 0..19, and AMD's LWP (bit 62). */
#define XS_MASK_KNOWN (((1ULL << 20) - 1) | XS_BIT(62))
/* User components this version knows (XCR0-managed). */
#define XS_MASK_USER_KNOWN (XS_MASK_FPSSE | XS_BIT(XS_AVX) | XS_MASK_MPX | XS_MASK_AVX512 | \
			    XS_BIT(XS_PKRU) | XS_MASK_AMX | XS_BIT(XS_APX))
/* XCR0 bits some CPU defines as user state components (rules.h, xs_xcr0_possible()). */
#define XS_MASK_XCR0_DEFINED (XS_MASK_USER_KNOWN | XS_BIT(62))
/* User components KVM can hand to a guest (Linux KVM_SUPPORTED_XCR0, 6.x). */
#define XS_KVM_SUPPORTED_XCR0 (XS_MASK_FPSSE | XS_BIT(XS_AVX) | XS_MASK_MPX | XS_MASK_AVX512 | \
			       XS_BIT(XS_PKRU) | XS_MASK_AMX)

/* Record a failure in @d (may be NULL) and return -@err. */
int xs_fail(struct xs_diag *d, int err, bool has_off, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define XS_FAIL_AT(d, err, off, ...) xs_fail((d), (err), true, (off), __VA_ARGS__)
#define XS_FAIL(d, err, ...) xs_fail((d), (err), false, 0, __VA_ARGS__)

/* The layout rule as a part of xs_check_state() (lib/relocate.c): sets c->relocate and
 * c->layout_unknown from the components @c keeps, and the verdict. */
void xs_check_relocation(const struct xs_state *st, const struct xs_target *t,
			 struct xs_check *c);

#endif
