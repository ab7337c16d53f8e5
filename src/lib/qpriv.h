/* SPDX-License-Identifier: MIT */
/* Private to the QEMU stream reader: qstream.c (the walk), qcpu.c, qvmdesc.c. */
#ifndef XSAVE_QPRIV_H
#define XSAVE_QPRIV_H

#include <jansson.h>

#include <xsave/qstream.h>

/* Section and command bytes (migration/savevm.h). */
enum {
	QS_EOF = 0x00, QS_START = 0x01, QS_PART = 0x02, QS_END = 0x03, QS_FULL = 0x04,
	QS_SUB = 0x05, QS_VMDESC = 0x06, QS_CONFIG = 0x07, QS_COMMAND = 0x08, QS_FOOTER = 0x7e,
};

/* Top-level x86_64 cpu section body sizes by version (target/i386/machine.c). */
#define QCPU_V12_LEN 1817u
#define QCPU_V11_LEN 1545u

/* Field offsets in the top-level cpu body (version 12). */
enum {
	QCPU_FPUC = 148, QCPU_FPUS = 150, QCPU_FPTAG = 152, QCPU_FPFMT = 154, QCPU_FPREGS = 156,
	QCPU_MXCSR = 556, QCPU_XMM = 560, QCPU_XCR0 = 1545, QCPU_XSTATE_BV = 1553,
	QCPU_YMMH = 1561,
};

/*
 * Parse a cpu section body at @p (@avail bytes readable, @base its source
 * offset): the fixed fields for @c->version, then the subsections (sized from
 * the built-in table, else from @dev's vmdesc entry, else by finding the next
 * subsection or the footer for section @c->section_id).  Sets c->body_len,
 * c->sub[], c->nsubs and copies the body.  0 or -XS_*.
 */
int qcpu_parse(struct xs_qcpu *c, const uint8_t *p, size_t avail, uint64_t base,
	       json_t *dev, struct xs_diag *d);

/*
 * Find the next structure boundary in @p[0..avail): a footer for section
 * @sid followed by a plausible section byte, or (with @prefix) a subsection
 * whose name starts with @prefix.  Returns its index, or -1; *weak is the
 * first footer for @sid that is not followed by anything plausible (or -1).
 */
long qscan_boundary(const uint8_t *p, size_t avail, uint32_t sid, const char *prefix, long *weak);

/* vmdesc helpers (qvmdesc.c). */
/* Bytes a vmdesc device (or subsection) entry says were written; -1 when malformed. */
int64_t qvmdesc_size(json_t *vmsd, int depth);
/* Size of subsection @name listed under @dev; -1 when absent. */
int64_t qvmdesc_sub_size(json_t *dev, const char *name);
/* Compare a parsed cpu section with its vmdesc entry; writes "agrees" or the difference. */
bool qvmdesc_check_cpu(json_t *dev, const struct xs_qcpu *c, char *out, size_t len);

#endif
