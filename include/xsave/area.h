/* SPDX-License-Identifier: MIT */
/*
 * One XSAVE state: the image bytes, the layout they were read with and why,
 * the header decoded, and every component located.  Every input format
 * (raw images now; QEMU streams and cores build an image and come here too)
 * ends up as a struct xs_state, so inspect/check/filter/diff have one model.
 */
#ifndef XSAVE_AREA_H
#define XSAVE_AREA_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>
#include <xsave/layout.h>

XS_BEGIN_DECLS

/* sizeof(struct kvm_xsave): what KVM_GET_XSAVE (and KVM_GET_XSAVE2 without AMX) returns. */
#define XS_KVM_XSAVE_SIZE 4096u
/* Linux FP_XSTATE_MAGIC1, at byte 464 of a signal frame's fpstate. */
#define XS_SIGFRAME_MAGIC1 0x46505853u
/* Default MXCSR_MASK when the image says 0 (SDM 11.6.6; Linux fpu__init_system_mxcsr). */
#define XS_MXCSR_MASK_DEFAULT 0xffbfu
/* What an image's MXCSR_MASK of 0 is judged with: it was not recorded (gdb gcore). */
#define XS_MXCSR_MASK_UNRECORDED 0xffffu
#define XS_MXCSR_INIT 0x1f80u

/* What bytes 464..511 (software-available) hold. */
enum xs_sw_kind {
	XS_SW_NONE,	/* all zero: hardware XSAVE, or a KVM <= 5.15 dump */
	XS_SW_XCR0,	/* u64 host XCR0: ptrace, cores, KVM_GET_XSAVE on >= 5.16 */
	XS_SW_SIGFRAME,	/* struct _fpx_sw_bytes of a signal frame */
	XS_SW_OTHER,	/* something else, ignored */
};

/* Header and legacy-area problems; see xs_problem_desc(). */
enum xs_problem {
	XS_PROB_XCOMP_STD = 1 << 0,	/* non-zero XCOMP_BV in a standard image */
	XS_PROB_RESERVED = 1 << 1,	/* header bytes 528..575 not zero */
	XS_PROB_MXCSR = 1 << 2,		/* MXCSR has bits outside MXCSR_MASK */
	XS_PROB_BV_NO_AREA = 1 << 3,	/* XSTATE_BV bits with no data area in this format */
	XS_PROB_BV_BEYOND_XCR0 = 1 << 4,/* XSTATE_BV bits outside the image's own XCR0 */
	XS_PROB_XCOMP_BEYOND_XCR0 = 1 << 5,
};
#define XS_PROB_COUNT 6

struct xs_state {
	/* The image: owned by the caller, must outlive the state. */
	uint8_t *img;
	size_t size;

	bool compacted;
	uint64_t xstate_bv;
	uint64_t xcomp_bv;

	enum xs_sw_kind sw;
	uint64_t sw_xcr0;		/* XS_SW_XCR0: host XCR0; XS_SW_SIGFRAME: xfeatures */
	uint32_t sw_xstate_size;	/* XS_SW_SIGFRAME only */

	struct xs_layout layout;
	char layout_reason[192];

	uint64_t located;		/* components with off[]/len[] inside the image */
	uint32_t off[XS_NCOMP];
	uint32_t len[XS_NCOMP];
	uint32_t used_size;		/* bytes the format needs; size may be larger (padding) */
	uint64_t init;			/* located components whose data is the init value */
	/* A kernel buffer shorter than its XCR0's area (KVM_GET_XSAVE on an AMX host). */
	uint32_t full_size;		/* the XCR0's standard size; 0 when the image is whole */
	uint64_t beyond;		/* components of that XCR0 past the end of the buffer */

	uint32_t mxcsr, mxcsr_mask;	/* mxcsr_mask: effective (0 -> 0xffff, see area.c) */
	uint32_t mxcsr_mask_raw;
	unsigned problems;		/* enum xs_problem */

	/* Filled by the container reader where it knows them. */
	bool guest_known;
	uint64_t guest_xcr0;
	bool bv_unmaintained;		/* XSTATE_BV is not kept up to date (QEMU TCG) */
	/* Since 0.2. */
	bool xfd_known;
	uint64_t xfd;			/* the guest's IA32_XFD (a stream's cpu/msr_xfd) */
	bool by_field;			/* the container carries registers by field (QEMU
					   streams): the destination lays the area out itself */
};

/* How to choose the layout. */
struct xs_parse_opts {
	const struct xs_layout *force;	/* --layout: use this one */
	const char *force_why;		/* e.g. "--layout amd" */
	const struct xs_layout *host;	/* this host's CPUID layout, NULL if none */
	uint64_t locate_also;		/* components the container says the image holds */
};

/*
 * Decode @size bytes at @img (which the state keeps pointing to); @o may be
 * NULL (no forced layout, no host layout: the image's own bytes decide).  Errors:
 * -XS_ETRUNC (shorter than the header or than the layout needs), -XS_ELAYOUT
 * (no layout fits, or a component does not), -XS_ELIMIT.
 */
int xs_state_parse(struct xs_state *st, uint8_t *img, size_t size,
		   const struct xs_parse_opts *o, struct xs_diag *d);

/* Components to report: the image's XCR0 (if any), XSTATE_BV and XCOMP_BV. */
uint64_t xs_state_components(const struct xs_state *st);

/*
 * User components whose stored data differs from the init value, within the
 * guest XCR0 where it is known: what XSTATE_BV must say for a load to keep
 * every register.  SSE counts when MXCSR is not 0x1f80 (KVM_SET_XSAVE loads
 * MXCSR only with SSE or AVX in XSTATE_BV).
 */
uint64_t xs_state_data_mask(const struct xs_state *st);

/* Is component @bit's data in the image equal to its init value (SDM 13.6)? */
bool xs_comp_data_init(const struct xs_state *st, unsigned bit);

/* Does the CPU hold component @bit's stored data after loading (else init)? */
static inline bool xs_state_live(const struct xs_state *st, unsigned bit)
{
	return (st->located & XS_BIT(bit)) &&
	       (st->bv_unmaintained || (st->xstate_bv & XS_BIT(bit)));
}

/* Short name (snake_case) and one-line description of a problem bit. */
const char *xs_problem_name(unsigned prob);
const char *xs_problem_desc(unsigned prob);

XS_END_DECLS

#endif
