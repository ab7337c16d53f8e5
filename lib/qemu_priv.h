/* SPDX-License-Identifier: MIT */
/*
 * Private to the QEMU stream reader: qemu_stream.c (the walk), qemu_cursor.c
 * (reading the source), qemu_ram.c, qemu_cpu.c, qemu_vmdesc.c.
 */
#ifndef XSAVE_QPRIV_H
#define XSAVE_QPRIV_H

#include <xsave/qstream.h>
#include <xsave/internal.h>

/* The stream and its vCPUs (opaque outside the library: qstream.h). */
/* XSAVE-relevant cpu subsections, and where their bodies are in the section. */
enum xs_qsub {
	XS_QSUB_FPOP, XS_QSUB_MPX, XS_QSUB_AVX512, XS_QSUB_XSS, XS_QSUB_PKRU,
	XS_QSUB_XFD, XS_QSUB_AMX, XS_QSUB_APX, XS_QSUB_PL0_SSP, XS_QSUB_CET, XS_QSUB_SHSTK,
	XS_QSUB_COUNT
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
	QCPU_CR4 = 480, QCPU_MXCSR = 556, QCPU_XMM = 560, QCPU_XCR0 = 1545, QCPU_XSTATE_BV = 1553,
	QCPU_YMMH = 1561,
};

/* CR4.PKE (SDM Vol. 3 2.5): protection keys enabled, needs PKRU in XCR0. */
#define QCPU_CR4_PKE (1ull << 22)
/* Subsection field offsets: cpu/mpx env.msr_bndcfgs, cpu/msr_xfd env.msr_xfd. */
#define QSUB_MPX_BNDCFGS 80u
#define QSUB_XFD_MSR 0u

/* ---- the vmdesc (qemu_vmdesc.c, the stream reader's only jansson user) ---- */
/* A parsed vmdesc: its "devices" list.  Opaque. */
struct xsp_vmdesc;
/* One entry of that list, valid while its vmdesc is.  Opaque. */
struct xsp_vdev;

/*
 * Parse the vmdesc JSON at @json (@len bytes).  NULL when it is not JSON or
 * has no "devices" array: then *why (when @why is given) says which, in
 * jansson's words or as 'no "devices" array', and *at (when given) is where
 * in @json the parser stopped.
 */
#define XSP_VMDESC_WHY_LEN 160	/* room for *why: jansson's longest error text */
struct xsp_vmdesc *xsp_vmdesc_parse(const char *json, size_t len, char *why, size_t whylen,
				    uint64_t *at);
void xsp_vmdesc_free(struct xsp_vmdesc *v);
/* How many devices it lists; device @i of them, or NULL past the end. */
size_t xsp_vmdesc_count(const struct xsp_vmdesc *v);
const struct xsp_vdev *xsp_vmdesc_dev(const struct xsp_vmdesc *v, size_t i);
/* The device's "name", or NULL when that is not a string. */
const char *xsp_vdev_name(const struct xsp_vdev *dev);
/* Whether its "instance_id" is an integer; *id (when given) is its value, else 0. */
bool xsp_vdev_instance(const struct xsp_vdev *dev, int64_t *id);
/* Does the entry name section @name instance @inst? */
bool xsp_vdev_is(const struct xsp_vdev *dev, const char *name, uint32_t inst);
/* Bytes the entry says its section body takes, subsections included; -1 when malformed. */
int64_t xsp_vdev_size(const struct xsp_vdev *dev);
/* Size of subsection @name listed under @dev; -1 when absent. */
int64_t xsp_vdev_sub_size(const struct xsp_vdev *dev, const char *name);
/* Compare a parsed cpu section with its entry; writes "agrees" or the difference. */
bool xsp_vdev_check_cpu(const struct xsp_vdev *dev, const struct xs_qcpu *c, char *out,
			size_t len);

/*
 * The walk's state (qemu_stream.c), read through the cursor (qemu_cursor.c)
 * by the walk and the RAM reader (qemu_ram.c).
 */
#define MAX_BLOCKS 4096u
#define MAX_ITER 256u
#define MAX_SECTIONS (1u << 20)
#define MAX_SCAN (256u << 20)
#define MAX_DEPTH 2
/*
 * After the stream's end (EOF, or its vmdesc) only zero padding may follow; in
 * data decompressed (or a pipe) no more than this: a producer pads to a block
 * (libvirt's O_DIRECT iohelper to its alignment, far below this), and a longer
 * run is refused rather than decompressed without end.
 */
#define MAX_TAIL_ZEROS (1u << 20)
/*
 * Page records (zero, normal, compressed, XBZRLE) against the RAM the block
 * list declares: each page may be sent again while the guest runs and dirties
 * it, but not without end: more than this many times the declared pages is
 * refused (a saved guest is paused: one pass; a live precopy converges long before).
 */
#define MAX_PAGE_PASSES 64u

struct ramblk {
	char name[256];
	uint64_t len;
};

/* A FULL section as read, for the vmdesc cross-check. */
struct seclog {
	char name[64];
	uint32_t instance;
	uint64_t off, body_len;
};

struct qw {
	struct xs_qstream *qs;
	const struct xs_qsrc *src;
	struct xs_diag *d;
	uint64_t off;
	int rc;
	bool footers_known;
	uint32_t iter[MAX_ITER];	/* ids of "ram" START sections */
	unsigned niter;
	struct ramblk *blk;
	unsigned nblk, capblk;
	unsigned capcpu;			/* of qs->cpu */
	int last_blk;
	struct xsp_vmdesc *desc;	/* the vmdesc given ahead, or NULL */
	size_t desc_idx;
	struct seclog *log;
	unsigned nlog, caplog;
	int depth;
	const char *sized_by_vmdesc;	/* the section just skipped, when vmdesc sized it */
	bool head_only;			/* stop before the first RAM page section or device */
	bool devices_only;		/* from the boundary: device sections, EOF, vmdesc */
	uint64_t page_records;		/* page records of every kind so far */
	const struct xs_qhooks *hooks;	/* a walk passing the stream on, or NULL */
};

/* Record the first failure (with its offset) and return it. */
#define fail(w, err, off, ...) \
	((w)->rc ? (w)->rc : ((w)->rc = XS_FAIL_AT((w)->d, (err), (off), __VA_ARGS__)))

/* ---- the cursor (qemu_cursor.c) ---- */
/* Tell the hooks no byte before @off is needed again (see xs_qhooks).  0 or w->rc. */
int xsp_qw_release(struct qw *w, uint64_t off);
/* Make room for element @n of *arr (capacity *cap, doubling).  False when out of memory. */
bool xsp_qw_grow(void **arr, unsigned *cap, unsigned n, size_t elem);
/* @n bytes at @off, or NULL after recording "stream ends: expected WHAT". */
const uint8_t *xsp_qw_need(struct qw *w, uint64_t off, size_t n, const char *what);
/* Up to @n bytes at @off: *got of them (0 at the end); NULL only on a source error. */
const uint8_t *xsp_qw_peek(struct qw *w, uint64_t off, size_t n, size_t *got);
/* An n-byte big-endian number at w->off, advancing. */
int xsp_qw_rdbe(struct qw *w, unsigned n, uint64_t *v, const char *what);
/* A u8-length printable name at w->off into @out (256 bytes), advancing. */
int xsp_qw_rdname(struct qw *w, char *out, const char *what);
/* ---- RAM sections (qemu_ram.c) ---- */
/* One ram START/PART/END body: records up to EOS. */
int xsp_qram_body(struct qw *w);

/*
 * Parse a cpu section body at @p (@avail bytes readable, @base its source
 * offset): the fixed fields for @c->version, then the subsections (sized from
 * the built-in table, else from @dev's vmdesc entry, else by finding the next
 * subsection or the footer for section @c->section_id).  Sets c->body_len,
 * c->sub[], c->nsubs and copies the body.  0 or -XS_*.
 *
 * @need NULL: the @avail bytes are all the source has.  Else they are a window
 * the caller asked for and more may follow: where the section goes on past
 * them, -XS_ETRUNC with *need set to the window it takes to get further, the
 * bytes up to the next thing the parse must see and no more (a live source
 * may not have sent one byte beyond the stream's end yet; an unknown
 * subsection's end is looked for in windows that grow by an eighth, at least
 * 64 bytes).  Asked again with that window, the parse starts over.
 */
int xsp_qcpu_parse(struct xs_qcpu *c, const uint8_t *p, size_t avail, uint64_t base,
		   const struct xsp_vdev *dev, size_t *need, struct xs_diag *d);

/*
 * Find the next structure boundary in @p[0..avail): a footer for section
 * @sid followed by a plausible section byte, or (with @prefix) a subsection
 * whose name starts with @prefix.  Returns its index, or -1; *weak is the
 * first footer for @sid that is not followed by anything plausible (or -1).
 */
long xsp_qscan_boundary(const uint8_t *p, size_t avail, uint32_t sid, const char *prefix, long *weak);

#endif
