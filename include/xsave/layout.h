/* SPDX-License-Identifier: MIT */
/*
 * XSAVE state components and layouts.
 *
 * The component table (names, architectural sizes, user/supervisor, 64-byte
 * alignment in compacted form) is fixed by the Intel SDM Vol. 1 ch. 13.  The
 * standard-format offsets are not: AMD and Intel place AVX-512 and PKRU
 * differently and APX reuses the MPX hole, so a layout is a value, taken from
 * the producing host's CPUID leaf 0xD or from one of the built-in tables.
 */
#ifndef XSAVE_LAYOUT_H
#define XSAVE_LAYOUT_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>

XS_BEGIN_DECLS

#define XS_NCOMP 64
#define XS_LEGACY_SIZE 512
#define XS_HDR_OFF 512
#define XS_HDR_SIZE 64
#define XS_EXT_OFF 576
/* Fields of the legacy region and the header (SDM Vol. 1 10.5.1, 13.4.2). */
#define XS_OFF_FCW 0
#define XS_OFF_FSW 2
#define XS_OFF_FTW 4		/* abridged: one bit per physical register */
#define XS_OFF_FOP 6
#define XS_OFF_FIP 8		/* 64-bit format */
#define XS_OFF_FDP 16
#define XS_OFF_MXCSR 24
#define XS_OFF_MXCSR_MASK 28
#define XS_OFF_ST0 32		/* ST0..ST7 (MM0..MM7), 16 bytes apart, 10 used */
#define XS_ST_STRIDE 16
#define XS_OFF_XMM0 160		/* XMM0..XMM15, 16 bytes each */
#define XS_XMM_BYTES 256
#define XS_OFF_SW 464		/* bytes 464..511: free for software (Linux: see area.h) */
#define XS_SW_SIZE 48
#define XS_OFF_XSTATE_BV 512
#define XS_OFF_XCOMP_BV 520
#define XS_OFF_HDR_RESERVED 528	/* 528..575: must be zero */
#define XS_HDR_RESERVED_SIZE 48
#define XS_XCOMP_COMPACTED (1ULL << 63)

enum xs_comp_id {
	XS_X87 = 0, XS_SSE = 1, XS_AVX = 2, XS_BNDREGS = 3, XS_BNDCSR = 4,
	XS_OPMASK = 5, XS_ZMM_HI256 = 6, XS_HI16_ZMM = 7, XS_PT = 8, XS_PKRU = 9,
	XS_PASID = 10, XS_CET_U = 11, XS_CET_S = 12, XS_HDC = 13, XS_UINTR = 14,
	XS_LBR = 15, XS_HWP = 16, XS_TILECFG = 17, XS_TILEDATA = 18, XS_APX = 19,
};

#define XS_BIT(i) (1ULL << (i))
#define XS_MASK_FPSSE (XS_BIT(XS_X87) | XS_BIT(XS_SSE))
#define XS_MASK_AVX512 (XS_BIT(XS_OPMASK) | XS_BIT(XS_ZMM_HI256) | XS_BIT(XS_HI16_ZMM))
#define XS_MASK_MPX (XS_BIT(XS_BNDREGS) | XS_BIT(XS_BNDCSR))
#define XS_MASK_AMX (XS_BIT(XS_TILECFG) | XS_BIT(XS_TILEDATA))
/* IA32_XSS-managed components (CPUID.(0xD,i).ECX[0]=1): 8 and 10-16. */
#define XS_MASK_SUPERVISOR (XS_BIT(XS_PT) | (0x7fULL << XS_PASID))
/*
 * The components the running library knows (functions, not macros: they grow with every
 * new component, and a caller built against an older header gets the library's answer).
 * Every component some CPU defines (bits 0..19 and AMD's LWP, bit 62), and of those the
 * user components (XCR0-managed).  Since 0.3 (macros XS_MASK_KNOWN, XS_MASK_USER_KNOWN before).
 */
uint64_t xs_mask_known(void);
uint64_t xs_mask_user_known(void);

/* Fixed facts about one component (SDM Vol. 1 13.1-13.5, CPUID.(0xD,i)). */
struct xs_comp_info {
	const char *name;	/* short, lower case: used in masks and JSON */
	const char *desc;	/* human description */
	uint32_t size;		/* architectural size; 0 = not known to this version */
	bool supervisor;
	bool align64;		/* CPUID.(0xD,i).ECX[1] */
};

/* Facts for component @bit (0..63); never NULL, name "bitN" for unknown ones. */
const struct xs_comp_info *xs_comp_info(unsigned bit);
/* Look up a component by short name; -1 when unknown. */
int xs_comp_by_name(const char *name, size_t len);

/* Where each component lives in a standard-format area, and how big it is. */
struct xs_layout {
	char name[24];		/* "intel", "amd", "common", "host", "file" */
	uint64_t sized;		/* components whose size is known */
	uint64_t placed;	/* components with a standard-format offset */
	uint64_t align64;
	uint64_t supervisor;
	uint32_t size[XS_NCOMP];
	uint32_t offset[XS_NCOMP];	/* standard format */
};

enum xs_vendor { XS_VENDOR_INTEL, XS_VENDOR_AMD };

/* Built-in layouts: Intel (SDM, CPUID on Intel parts) and AMD (APM, Zen). */
void xs_layout_builtin(enum xs_vendor v, struct xs_layout *l);

/* CPUID leaf 0xD as recorded from a host: sub-leaf i -> eax..edx. */
struct xs_cpuid_d {
	uint64_t valid;		/* sub-leaves that were recorded */
	uint32_t eax[XS_NCOMP], ebx[XS_NCOMP], ecx[XS_NCOMP], edx[XS_NCOMP];
	char vendor[13];	/* CPUID.0 vendor string, "" when unknown */
	bool have_xcr0;
	uint64_t xcr0;		/* XGETBV(0) */
};

/*
 * Parse the text form written by `xsave-capture cpuid` and `xsavectl host
 * --cpuid` (lines "0xd.N eax=0x.. ebx=0x.. ecx=0x.. edx=0x..", "leaf0 ...
 * vendor=S", "xcr0=0x.."); other lines are ignored.  Returns 0 or -XS_EINVAL
 * with the line number in @d.
 */
int xs_cpuid_d_parse(const char *text, size_t len, struct xs_cpuid_d *c, struct xs_diag *d);

/* Build a layout from leaf 0xD; components the leaf does not describe stay unsized. */
int xs_layout_from_cpuid(const struct xs_cpuid_d *c, const char *name, struct xs_layout *l,
			 struct xs_diag *d);

/* No XSAVE area is larger than this (KVM_GET_XSAVE2 with AMX is 11008 bytes). */
#define XS_IMAGE_LIMIT (1u << 20)

/*
 * Build a layout from the NT_X86_XSAVE_LAYOUT core note (Linux 6.12+): an
 * array of {u32 type, size, offset, flags}, little-endian, one per extended
 * user component.  -XS_EFORMAT (offset within @desc) when malformed.
 */
int xs_layout_from_xfeat_note(const uint8_t *desc, size_t len, struct xs_layout *l,
			       struct xs_diag *d);

/* Size of a standard-format area holding @mask (end of the furthest component). */
uint32_t xs_layout_std_size(const struct xs_layout *l, uint64_t mask);

/*
 * Offsets of a compacted area with XCOMP_BV @xcomp (SDM 13.4.3): components in
 * increasing order from 576, 64-byte aligned where flagged.  Returns 0, or
 * -XS_ELAYOUT naming the first component of unknown size.
 */
int xs_layout_compacted(const struct xs_layout *l, uint64_t xcomp, uint32_t off[XS_NCOMP],
			uint32_t *total, struct xs_diag *d);

/* Write "x87 sse avx" style names of @mask into buf (always NUL-terminated). */
void xs_mask_names(uint64_t mask, char *buf, size_t len);

/*
 * Parse a mask expression: a number (0x207, 519) or a comma list of component
 * and group names (x87,sse,avx,mpx,avx512,pkru,amx,apx, the component names,
 * "bitN").  "host" is not handled here (the CLI resolves it).
 */
int xs_mask_parse(const char *s, uint64_t *mask, struct xs_diag *d);
/* The @i-th word xs_mask_parse() knows (components, then groups); NULL past the last. */
const char *xs_mask_word(unsigned i);

XS_END_DECLS

#endif
