/* SPDX-License-Identifier: MIT */
/*
 * QEMU migration streams (QEMU 7.2 .. 11.1, x86_64 targets): walk the stream
 * through a caller-supplied forward-only byte source, skip RAM without
 * touching page data, and keep every "cpu" section (one per vCPU) with the
 * places of its XSAVE-relevant fields.  No I/O here: the CLI supplies the
 * source (a sliding mmap window, or a gzip reader).
 *
 * Offsets are source offsets: file offsets for plain files (the stream may
 * start after a container header), offsets in the decompressed data for gzip.
 */
#ifndef XSAVE_QSTREAM_H
#define XSAVE_QSTREAM_H

#include <xsave/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/area.h>
#include <xsave/err.h>
#include <xsave/layout.h>

XS_BEGIN_DECLS

#define XS_QEVM_MAGIC 0x5145564du	/* "QEVM" */
#define XS_QEVM_VERSION 3u
#define XS_QGET_MAX (256u * 1024)	/* largest single get() the walker asks for */
#define XS_QCPU_MAX 4096u		/* vCPUs (QEMU's x86 limit) */
#define XS_QVMDESC_MAX (64u << 20)	/* largest vmdesc JSON accepted */

/*
 * The byte source.  get() returns a pointer to @n bytes at offset @off, valid
 * until the next call, or NULL with *have set to the bytes that do exist there
 * (0 at the end).  Offsets never go backwards between calls.  A source error
 * is reported by returning NULL with *have = SIZE_MAX (the source keeps its
 * own message).  @end is the source size, or UINT64_MAX when not known ahead
 * (compressed input); @seekable says a jump forward costs nothing.
 */
struct xs_qsrc {
	const uint8_t *(*get)(void *ctx, uint64_t off, size_t n, size_t *have);
	void *ctx;
	uint64_t start;		/* offset of the "QEVM" magic */
	uint64_t end;
};

/* A source over bytes in memory (the whole stream at hand: tests, fuzzing, small files). */
struct xs_qmem {
	const uint8_t *p;
	size_t len;
};
void xs_qsrc_mem(struct xs_qsrc *src, struct xs_qmem *m, const uint8_t *p, size_t len);

/* Capabilities named in configuration/capabilities. */
enum { XS_QCAP_IGNORE_SHARED = 1 << 0, XS_QCAP_MAPPED_RAM = 1 << 1, XS_QCAP_OTHER = 1 << 2 };

/*
 * The stream and its vCPUs are opaque (since 0.3): what the walk saw grows with every
 * stream feature and every XSAVE-relevant cpu subsection, so it is read through the
 * functions below and never laid out in a caller.
 */
struct xs_qstream;
struct xs_qcpu;

/* What the walk counted and found, for xs_qstream_fact(). */
enum xs_qfact {
	XS_QF_VERSION,		/* the stream's version (3) */
	XS_QF_CAPS,		/* XS_QCAP_* */
	XS_QF_FOOTERS,		/* 1: section footers present */
	XS_QF_RAM_BLOCKS,
	XS_QF_RAM_BYTES,	/* the RAM blocks' total size */
	XS_QF_PAGES,		/* page records (0 when read by xs_qstream_parse_devices) */
	XS_QF_ZERO_PAGES,
	XS_QF_XBZRLE_PAGES,
	XS_QF_COMPRESSED_PAGES,
	XS_QF_MULTIFD_FLUSHES,
	XS_QF_MAPPED_RAM_BYTES,	/* mapped-ram page regions seeked past */
	XS_QF_DEVICE_SECTIONS,	/* full (device) sections */
	XS_QF_PACKAGED,		/* postcopy packaged commands */
	XS_QF_POSTCOPY_ADVISED,	/* 1: postcopy advised */
	XS_QF_PAGESIZE_SUMMARY,
	XS_QF_VMDESC,		/* 1: a vmdesc ends the stream */
	XS_QF_VMDESC_OFFSET,	/* its 0x06 byte */
	XS_QF_VMDESC_LEN,
	XS_QF_END,		/* first byte after the stream */
};

/* The value of @f; 0 for a fact this library does not know. */
uint64_t xs_qstream_fact(const struct xs_qstream *qs, enum xs_qfact f);
/* The machine type of the configuration section ("pc-q35-7.2"); NULL without one. */
const char *xs_qstream_machine(const struct xs_qstream *qs);
/* The cpu sections, one per vCPU, in stream order; NULL past the last. */
unsigned xs_qstream_ncpu(const struct xs_qstream *qs);
struct xs_qcpu *xs_qstream_cpu(const struct xs_qstream *qs, unsigned i);

/* The vCPU's cpu_index, and the source offset of its FULL section header. */
uint32_t xs_qcpu_instance(const struct xs_qcpu *c);
uint64_t xs_qcpu_offset(const struct xs_qcpu *c);
/* The section body (field 0 up to the footer) as the stream holds it now (xs_qcpu_filter
 * and xs_qcpu_drop change it): *len bytes, at source offset *off (either may be NULL). */
const uint8_t *xs_qcpu_body(const struct xs_qcpu *c, uint64_t *off, uint32_t *len);
/* Put @len bytes back as the section body (as read, after a rewrite was copied out):
 * 0, or -XS_EINVAL when @len is not the body's length. */
int xs_qcpu_set_body(struct xs_qcpu *c, const uint8_t *body, uint32_t len);
/* What the vmdesc says of the section: "agrees", "absent", or what differs. */
const char *xs_qcpu_vmdesc_check(const struct xs_qcpu *c);

/*
 * Walk the whole stream into a new *qs (free it with xs_qstream_free(); NULL on
 * error).  @vmdesc (may be NULL): the trailing vmdesc JSON,
 * when the caller found it ahead (xs_qstream_find_vmdesc); device sections
 * are then sized from it.  Either way a vmdesc at the end is cross-checked
 * against the sections read.  Errors: -XS_ETRUNC, -XS_EFORMAT, -XS_ELIMIT,
 * -XS_ENOMEM, -XS_EUNKNOWN (a section this reader cannot size), with the offset
 * in @d; a source error is -XS_EIO with no message.
 */
int xs_qstream_parse(struct xs_qstream **qs, const struct xs_qsrc *src, const char *vmdesc,
		     size_t vmdesc_len, struct xs_diag *d);
/* Free a stream and its cpu sections (NULL: nothing). */
void xs_qstream_free(struct xs_qstream *qs);

/*
 * A walk that passes the stream on as it reads it (a pipe, a migration): the
 * caller's hooks, both optional.  cpu() is called with each cpu section as
 * soon as it is read (xs_qstream_cpu(qs, idx); its bytes, header included, have
 * not been released), to judge and rewrite it; release(@off) says that no byte before
 * @off will be asked for again, at each section or command start and after
 * each RAM record, never past the start of a cpu section not yet given to
 * cpu(), nor past the stream's EOF byte.  A hook returns 0 to go on, or
 * -XS_EIO to stop the walk (the caller keeps its own message).
 */
struct xs_qhooks {
	int (*cpu)(void *ctx, struct xs_qstream *qs, unsigned idx);
	int (*release)(void *ctx, uint64_t off);
	void *ctx;
};

/*
 * xs_qstream_parse (with no vmdesc ahead) calling @h along the way.  *qs holds
 * the stream read so far while the hooks run; on failure it is freed and NULL.
 */
int xs_qstream_parse_hooked(struct xs_qstream **qs, const struct xs_qsrc *src,
			    const struct xs_qhooks *h, struct xs_diag *d);

/*
 * The same result read in O(device state) from a seekable source: the header
 * and the RAM section's block list from the start, then the device sections
 * only into a new *qs (NULL unless 0 is returned), where the trailing vmdesc (its JSON @vmdesc, its 0x06 byte at source
 * offset @vmdesc_off) says they start.  The boundary is trusted only when the
 * RAM section's EOS record and footer end just before it, every device
 * section there matches the vmdesc's list (name, instance, size, footer with
 * its own id, none with the RAM's id) and the last one ends at the vmdesc.
 * RAM page counts stay 0 (not walked).  0: read; 1: not confirmed (@why says
 * why: walk with xs_qstream_parse, which reports any error);
 * -XS_EIO: a source error (no message).
 */
int xs_qstream_parse_devices(struct xs_qstream **qs, const struct xs_qsrc *src, const char *vmdesc,
			     size_t vmdesc_len, uint64_t vmdesc_off, char *why, size_t whylen);

/*
 * Find a vmdesc at the end of @tail (the last @len bytes of a seekable
 * source; trailing zero bytes allowed): *json_off is its JSON's offset in
 * @tail.  False when there is none.
 */
bool xs_qstream_find_vmdesc(const uint8_t *tail, size_t len, size_t *json_off,
			    size_t *json_len);

/* Field reads of a cpu section (big-endian, as QEMU writes them). */
uint64_t xs_qcpu_xcr0(const struct xs_qcpu *c);
uint64_t xs_qcpu_xstate_bv(const struct xs_qcpu *c);

/*
 * The vCPU's XSAVE state as KVM_GET_XSAVE2 would hand it to QEMU: a standard
 * image (at least 4096 bytes) with the registers at @l's offsets, XSTATE_BV =
 * env.xstate_bv, MXCSR_MASK left 0 (QEMU does not keep it).  *img is
 * allocated; *holds receives the components placed (the guest XCR0, XSTATE_BV
 * and every component the section carries registers for).  -XS_ENOMEM.
 */
int xs_qcpu_image(const struct xs_qcpu *c, const struct xs_layout *l, uint8_t **img,
		  size_t *size, uint64_t *holds);

/*
 * Fill the container facts of @st parsed from xs_qcpu_image: the guest XCR0
 * (v12), whether XSTATE_BV is unmaintained (0 while registers hold data:
 * a TCG stream), and by_field (always: the stream carries registers by field,
 * so the layout rule of relocate.h does not apply).
 */
void xs_qcpu_state_facts(const struct xs_qcpu *c, struct xs_state *st);

/*
 * The MSRs of XSAVE-managed supervisor state that a cpu section carries by
 * field instead (QEMU 11.0+: cpu/cet, its cpu/cet_shstk, cpu/msr_pl0_ssp):
 * the CET state, which no XSAVE image of a stream holds.  Fills up to @max
 * entries of @out (may be NULL) in a fixed order (u_cet, s_cet, pl0_ssp,
 * pl1_ssp, pl2_ssp, pl3_ssp, int_ssp_table, ssp) and returns how many the
 * section carries.  @index: the MSR's number (SDM Vol. 4), 0 for the SSP.
 */
struct xs_qmsr {
	const char *name;
	uint32_t index;
	uint64_t value;
};
unsigned xs_qcpu_msrs(const struct xs_qcpu *c, struct xs_qmsr *out, unsigned max);

/*
 * Make the section say what the filtered state says: env.xstate_bv := @bv,
 * and zero the stream fields of every component in @zero (x87/SSE registers
 * only, MXCSR kept).  Changes c->body; returns the number of bytes changed.
 */
size_t xs_qcpu_filter(struct xs_qcpu *c, uint64_t bv, uint64_t zero);

/* One guest-visible value filter --force changed in a cpu section. */
struct xs_qcpu_change {
	const char *what;	/* "xcr0", "cr4", "msr_bndcfgs", "msr_xfd" */
	uint64_t before, after;
};
/* The most changes xs_qcpu_drop() makes (the caller's array may be longer). */
#define XS_QCPU_MAX_CHANGES 4

/*
 * Take the components in @drop out of what the guest enabled, so that a vCPU
 * without them accepts the state: env.xcr0 (KVM_SET_XCRS refuses bits the
 * guest CPUID lacks), CR4.PKE with PKRU (KVM_SET_SREGS refuses it without
 * PKU), MSR_IA32_BNDCFGS with MPX and the components' IA32_XFD bits.  The
 * changes are listed in @ch (*n of them, at most @max: the rest are made, not
 * listed).  -XS_EINVAL (message in @d, nothing changed) when the XCR0 left
 * breaks the XSETBV rules or the section has no env.xcr0 (version 11).
 */
int xs_qcpu_drop(struct xs_qcpu *c, uint64_t drop, struct xs_qcpu_change *ch, unsigned max,
		 unsigned *n, struct xs_diag *d);

/* One changed range of a cpu section, for writers: body[off..off+len). */
struct xs_qpatch {
	uint64_t off;		/* source offset */
	const uint8_t *data;	/* the new bytes */
	const uint8_t *orig;	/* the bytes as read (for a journal) */
	uint32_t len;
};

/*
 * The ranges where @c's body differs from @orig (the body as read), merged
 * when closer than 16 bytes; at most @max.  Returns the count.
 */
unsigned xs_qcpu_patches(const struct xs_qcpu *c, const uint8_t *orig, struct xs_qpatch *p,
			 unsigned max);

XS_END_DECLS

#endif
