/* SPDX-License-Identifier: MIT */
/*
 * libxsave: decode, check and filter x86 XSAVE state (KVM_GET_XSAVE buffers,
 * XSAVE images, QEMU migration streams' vCPU state).  No I/O, no printing:
 * every function works on memory the caller gives it.  `pkg-config libxsave`.
 *
 *	struct xs_parse_opts po = { 0 };
 *	struct xs_state st;
 *	struct xs_check c;
 *	struct xs_diag d;
 *	if (xs_state_parse(&st, buf, len, &po, &d) == 0) {
 *		xs_check_state(&st, &(struct xs_target){ .xcr0 = 0x7 }, &c);
 *		... c.verdict: XS_VERDICT_OK, _FIXABLE or _INCOMPATIBLE ...
 *	}
 */
#ifndef XSAVE_H
#define XSAVE_H

#include <xsave/version.h>
#include <xsave/err.h>
#include <xsave/layout.h>
#include <xsave/area.h>
#include <xsave/recognise.h>
#include <xsave/regs.h>
#include <xsave/rules.h>
#include <xsave/relocate.h>
#include <xsave/diff.h>
#include <xsave/hostinfo.h>
#include <xsave/profile.h>
#include <xsave/precheck.h>
#include <xsave/kprobe.h>
#include <xsave/qstream.h>

#endif
