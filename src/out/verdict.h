/* SPDX-License-Identifier: MIT */
#ifndef XSAVECTL_JUDGE_H
#define XSAVECTL_JUDGE_H

#include <stddef.h>

#include <xsave/rules.h>

#include "out/out.h"

/* Target, strip/lose masks and one finding per component not kept and per problem. */
void show_verdict(struct out *o, const struct xs_check *c);
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
