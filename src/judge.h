/* SPDX-License-Identifier: MIT */
#ifndef XSAVECTL_JUDGE_H
#define XSAVECTL_JUDGE_H

#include <xsave/rules.h>

#include "out.h"

/* verdict, target, strip/lose masks and one finding per bit and problem. */
void show_verdict(struct out *o, const struct xs_check *c);
/* check's exit code for a verdict: 0 ok, 2 fixable, 1 incompatible. */
int verdict_exit(enum xs_verdict v);

#endif
