/* SPDX-License-Identifier: MIT */
/*
 * Compare two states register by register (as the CPU would hold them after
 * loading each) and component by component (XSTATE_BV).  Formats, sizes and
 * layouts may differ.  Registers one state lacks (its layout has no such
 * component) compare as the narrower register it has, zero-extended (YMMn of
 * a state without AVX is its XMMn), or as zero.
 */
#ifndef XSAVE_DIFF_H
#define XSAVE_DIFF_H

#include <xsave/export.h>

#include <stddef.h>
#include <stdint.h>

#include <xsave/regs.h>

XS_BEGIN_DECLS

struct xs_diff_reg {
	const char *name;
	const struct xs_reg *a;	/* NULL: A has no such register */
	const struct xs_reg *b;
	struct xs_reg *owned;	/* a side synthesized from a narrower register */
};

struct xs_diff {
	struct xs_regset ra, rb;
	uint64_t ignored;	/* components compared as not guest-visible */
	uint64_t bv_only;	/* components one side loads from its data and the other at
				   init while the registers agree (init vs. zero data); a
				   state whose XSTATE_BV is not maintained (TCG) loads its data */
	size_t n;		/* registers that differ */
	struct xs_diff_reg *regs;
};

/*
 * Fill @out.  Registers of components in @ignore are not compared (components
 * neither guest enabled).  0 or -XS_ENOMEM; free with xs_diff_free().
 */
int xs_diff_states(const struct xs_state *a, const struct xs_state *b, uint64_t ignore,
		   struct xs_diff *out);
void xs_diff_free(struct xs_diff *d);

XS_END_DECLS

#endif
