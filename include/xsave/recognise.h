/* SPDX-License-Identifier: MIT */
/*
 * Is a file of bytes XSAVE state at all?  A raw image has no magic number, so
 * it is recognised by what its producers write (SDM Vol. 1 ch. 13, Linux
 * ptrace/core/signal/KVM uabi buffers): one of their sizes, bytes 464..511 as
 * each of them leaves them, and a legacy area and header a CPU or kernel could
 * have written.  Findings a state can have and still be read (reserved header
 * bytes, XCOMP_BV in a standard image, MXCSR bits beyond MXCSR_MASK, XSTATE_BV
 * beyond the XCR0 at byte 464) are left to xs_state_parse() and the rules.
 */
#ifndef XSAVE_RECOGNISE_H
#define XSAVE_RECOGNISE_H

#include <xsave/export.h>

#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>
#include <xsave/layout.h>

XS_BEGIN_DECLS

/* The rules, in the order they are tried (by offset; the size last). */
enum xs_recog_rule {
	XS_RECOG_OK = 0,		/* recognised */
	XS_RECOG_SHORT,			/* shorter than the legacy area and header (576) */
	XS_RECOG_CONTROL,		/* FCW, MXCSR and MXCSR_MASK all zero */
	XS_RECOG_MXCSR_MASK,		/* MXCSR_MASK no CPU writes */
	XS_RECOG_LEGACY_RESERVED,	/* bytes 416..463 not zero */
	XS_RECOG_SW_BYTES,		/* 464..511: not zero, an XCR0 or a signal frame's */
	XS_RECOG_SW_XCR0,		/* the XCR0 at 464 sets bits no CPU defines */
	XS_RECOG_SIGFRAME,		/* _fpx_sw_bytes inconsistent */
	XS_RECOG_XSTATE_BV,		/* XSTATE_BV sets bits no CPU defines */
	XS_RECOG_XCOMP_BV,		/* XCOMP_BV sets bits no CPU defines */
	XS_RECOG_SIZE,			/* no size a producer writes */
	XS_RECOG_MAGIC2,		/* signal frame + 4 bytes without FP_XSTATE_MAGIC2 */
};
#define XS_RECOG_NRULES 12

/* Linux FP_XSTATE_MAGIC2: right after a signal frame's XSAVE area. */
#define XS_SIGFRAME_MAGIC2 0x46505845u
/* struct _fpx_sw_bytes fields after magic1 (bytes 464..511). */
#define XS_OFF_SW_EXT_SIZE 468
#define XS_OFF_SW_XFEATURES 472
#define XS_OFF_SW_XSTATE_SIZE 480
#define XS_OFF_SW_PADDING 484

struct xs_recog {
	enum xs_recog_rule rule;	/* XS_RECOG_OK, or the first rule that failed */
	uint64_t off;			/* where that rule looked (the size for XS_RECOG_SIZE) */
};

/*
 * Judge @size bytes at @img.  The sizes allowed come from the Intel and AMD
 * built-in layouts and the @nlayouts more in @layouts (this host's, --layout's;
 * NULL entries are skipped).  An image shorter than what its own header and
 * XCR0 need is recognised: xs_state_parse() reports the truncation.  On a
 * failed rule @d (may be NULL) gets its offset and a one-line message.
 */
struct xs_recog xs_image_recognise(const uint8_t *img, size_t size,
				   const struct xs_layout *const *layouts, unsigned nlayouts,
				   struct xs_diag *d);

/* Short snake_case name of a rule ("size", "mxcsr_mask", ...). */
const char *xs_recog_rule_name(enum xs_recog_rule rule);

XS_END_DECLS

#endif
