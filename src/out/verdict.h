/* SPDX-License-Identifier: MIT */
#ifndef XSAVECTL_JUDGE_H
#define XSAVECTL_JUDGE_H

#include <stddef.h>

#include <xsave/rules.h>

#include "out/out.h"

/*
 * Target, strip/lose masks and one finding per component not kept, per
 * problem and per component relocated to @t's layout (with "from"/"to"
 * offsets), or for a layout @t lacks; @st and @t are what @c judged.
 */
void show_verdict(struct out *o, const struct xs_check *c, const struct xs_state *st,
		  const struct xs_target *t);
/*
 * The verdict in one line, for --brief and matrices: "ok", "fixable: strip
 * pkru (not in the guest XCR0), lose nothing", "incompatible: lose pkru (live
 * data the target cannot load)".
 */
void verdict_line(char *buf, size_t len, const struct xs_check *c);
/* A matrix cell: "ok", "fixable", "incompatible (lose pkru; guest xcr0 bndregs bndcsr)". */
void verdict_cell(char *buf, size_t len, const struct xs_check *c);

/* check's exit code for a verdict: 0 ok, 2 fixable, 1 incompatible. */
int verdict_exit(enum xs_verdict v);

#endif
