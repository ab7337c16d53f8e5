/* SPDX-License-Identifier: MIT */
/*
 * Architectural registers of an XSAVE state, composed across components
 * (ZMM0 = XMM0 from SSE + bits 255:128 from AVX + bits 511:256 from
 * ZMM_Hi256), with the value the CPU holds after loading the state: the init
 * value for components whose XSTATE_BV bit is clear, as gdb shows them
 * (i387_supply_xsave), unless the state says XSTATE_BV is not maintained.
 */
#ifndef XSAVE_REGS_H
#define XSAVE_REGS_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/area.h>

XS_BEGIN_DECLS

#define XS_REG_MAX 1024	/* widest register: one AMX tile, 16 rows x 64 bytes */

enum xs_reg_kind {
	XS_REG_INT,	/* control/status word or GPR */
	XS_REG_X87,	/* 80-bit extended precision */
	XS_REG_VEC,	/* XMM/YMM/ZMM, k, BND */
	XS_REG_TILE,	/* AMX tile data */
	XS_REG_TILECFG,
};

struct xs_reg {
	char name[12];		/* architectural name, lower case: "ymm3", "st0", "k1" */
	uint8_t kind;		/* enum xs_reg_kind */
	uint8_t comp;		/* component the register belongs to */
	uint16_t width;		/* bytes */
	bool stored;		/* value read from the image (else: init value) */
	uint8_t v[XS_REG_MAX];	/* little-endian: v[0] is the least significant byte */
};

struct xs_regset {
	size_t n;
	struct xs_reg *r;
};

/* Decode every register whose component is located in @st.  0 or -XS_ENOMEM. */
int xs_regs_decode(const struct xs_state *st, struct xs_regset *set);
void xs_regset_free(struct xs_regset *set);
const struct xs_reg *xs_regset_find(const struct xs_regset *set, const char *name);
/* Value of a register up to 8 bytes wide as an integer. */
uint64_t xs_reg_u64(const struct xs_reg *r);

/* "0x" + hex digits, most significant byte first; buf needs 2*width+3 bytes. */
void xs_hex_msb(const uint8_t *le, size_t width, char *buf, size_t len);
/* Decimal text of an 80-bit x87 value ("3.14159265358979324", "-inf", "nan"). */
void xs_x87_decimal(const uint8_t v[10], char *buf, size_t len);
/* Full 16-bit tag word from the abridged FTW, TOP and the ST contents (SDM 10.5.1.1). */
uint16_t xs_x87_full_tag(uint8_t ftw_abridged, uint16_t fsw, const uint8_t st[8][10]);
/* "FZ DAZ PM UM OM ZM DM IM RC=nearest" style description of MXCSR. */
void xs_mxcsr_describe(uint32_t mxcsr, char *buf, size_t len);

XS_END_DECLS

#endif
