/* SPDX-License-Identifier: MIT */
/*
 * QEMU migration streams (QEMU 7.2 .. 11.0, x86_64 targets): walk the stream
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

/* XSAVE-relevant cpu subsections, and where their bodies are in the section. */
enum xs_qsub {
	XS_QSUB_FPOP, XS_QSUB_MPX, XS_QSUB_AVX512, XS_QSUB_XSS, XS_QSUB_PKRU,
	XS_QSUB_XFD, XS_QSUB_AMX, XS_QSUB_APX, XS_QSUB_COUNT
};

struct xs_qcpu {
	uint32_t instance;	/* cpu_index */
	uint32_t version;	/* 11 or 12 */
	uint32_t section_id;
	uint64_t off;		/* the FULL section header */
	uint64_t body_off;	/* the section body (field 0) */
	uint32_t body_len;	/* up to the footer, subsections included */
	uint8_t *body;		/* owned copy of the body */
	int32_t sub[XS_QSUB_COUNT];	/* body offset of each subsection body; -1 absent */
	unsigned nsubs;		/* subsections of any kind */
	char vmdesc_check[96];	/* "agrees", "absent", or what differs */
};

/* What the walk saw. */
struct xs_qstream {
	uint32_t version;
	bool have_config;
	char machine[128];
	unsigned caps;			/* XS_QCAP_* */
	bool footers;			/* section footers present */
	/* RAM */
	unsigned ram_blocks;
	uint64_t ram_total;
	uint64_t pages, zero_pages, xbzrle_pages, compressed_pages, flushes;
	uint64_t mapped_pages_bytes;	/* mapped-ram page regions seeked past */
	/* sections and commands */
	unsigned full_sections, packaged;
	bool postcopy_advised;
	uint64_t pagesize_summary;
	bool have_vmdesc;
	uint64_t vmdesc_off;		/* the 0x06 byte */
	uint32_t vmdesc_len;
	uint64_t end;			/* first byte after the stream */
	unsigned ncpu;
	struct xs_qcpu *cpu;
	/* private */
	void *priv;
};

/*
 * Walk the whole stream.  @vmdesc (may be NULL): the trailing vmdesc JSON,
 * when the caller found it ahead (xs_qstream_find_vmdesc); device sections
 * are then sized from it.  Either way a vmdesc at the end is cross-checked
 * against the sections read.  Errors: -XS_ETRUNC, -XS_EFORMAT, -XS_ELIMIT,
 * -XS_ENOMEM, -XS_EUNKNOWN (a section this reader cannot size), with the offset
 * in @d; a source error is -XS_EIO with no message.
 */
int xs_qstream_parse(struct xs_qstream *qs, const struct xs_qsrc *src, const char *vmdesc,
		     size_t vmdesc_len, struct xs_diag *d);
void xs_qstream_free(struct xs_qstream *qs);

/*
 * A walk that passes the stream on as it reads it (a pipe, a migration): the
 * caller's hooks, both optional.  cpu() is called with each cpu section as
 * soon as it is read (qs->cpu[idx]; its bytes, header included, have not been
 * released), to judge and rewrite it; release(@off) says that no byte before
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

/* xs_qstream_parse (with no vmdesc ahead) calling @h along the way. */
int xs_qstream_parse_hooked(struct xs_qstream *qs, const struct xs_qsrc *src,
			    const struct xs_qhooks *h, struct xs_diag *d);

/*
 * The same result read in O(device state) from a seekable source: the header
 * and the RAM section's block list from the start, then the device sections
 * only, where the trailing vmdesc (its JSON @vmdesc, its 0x06 byte at source
 * offset @vmdesc_off) says they start.  The boundary is trusted only when the
 * RAM section's EOS record and footer end just before it, every device
 * section there matches the vmdesc's list (name, instance, size, footer with
 * its own id, none with the RAM's id) and the last one ends at the vmdesc.
 * RAM page counts stay 0 (not walked).  0: read; 1: not confirmed (@why says
 * why, *qs is empty: walk with xs_qstream_parse, which reports any error);
 * -XS_EIO: a source error (no message).
 */
int xs_qstream_parse_devices(struct xs_qstream *qs, const struct xs_qsrc *src, const char *vmdesc,
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
#define XS_QCPU_MAX_CHANGES 4

/*
 * Take the components in @drop out of what the guest enabled, so that a vCPU
 * without them accepts the state: env.xcr0 (KVM_SET_XCRS refuses bits the
 * guest CPUID lacks), CR4.PKE with PKRU (KVM_SET_SREGS refuses it without
 * PKU), MSR_IA32_BNDCFGS with MPX and the components' IA32_XFD bits.  The
 * changes are listed in @ch (*n of them).  -XS_EINVAL (message in @d, nothing
 * changed) when the XCR0 left breaks the XSETBV rules or the section has no
 * env.xcr0 (version 11).
 */
int xs_qcpu_drop(struct xs_qcpu *c, uint64_t drop, struct xs_qcpu_change ch[XS_QCPU_MAX_CHANGES],
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
