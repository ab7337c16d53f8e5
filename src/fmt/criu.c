// SPDX-License-Identifier: MIT
/*
 * CRIU checkpoints (criu.org; the schema: images/ *.proto of CRIU's source): a
 * directory `criu dump -D DIR` wrote, or one of its core-TID.img files.
 *
 * Every CRIU image is a 32-bit little-endian magic pair (IMG_COMMON_MAGIC, then
 * the image's own; inventory.img has its own alone) and entries, each a 32-bit
 * little-endian length and a protobuf message.  core-TID.img holds one
 * core_entry per thread: thread_info (thread_info_x86) -> fpregs
 * (user_x86_fpregs_entry: the FXSAVE fields, st_space, xmm_space) -> xsave
 * (user_x86_xsave_entry: xstate_bv and one array per component).  pstree.img
 * lists the processes and their threads, cpuinfo.img (`criu cpuinfo dump`) the
 * dumping CPU's xfeatures_mask and XSAVE sizes, which CRIU's restore compares
 * with the host's when it checks the CPU.
 *
 * Each thread's state is composed into a standard-format XSAVE image on the
 * standard layout of cpuinfo.img's vendor (Intel without one): the entry
 * carries each component apart, so any layout holds it whole, and CRIU's
 * restore lays the area out on the host's own offsets (the state is "by field",
 * as a QEMU stream's: no layout rule applies).  filter writes
 * the core entry again with XSTATE_BV changed and the arrays of the components
 * it stripped left out; every other field keeps its bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xsave/area.h>
#include <xsave/layout.h>
#include <xsave/rules.h>

#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "fmt/pb.h"
#include "out/out.h"
#include "sys/io.h"
#include "sys/patchcopy.h"
#include "util.h"

/* criu/include/magic.h */
#define IMG_COMMON_MAGIC 0x54564319u
#define INVENTORY_MAGIC 0x58313116u
#define PSTREE_MAGIC 0x50273030u
#define CORE_MAGIC 0x55053847u
#define CPUINFO_MAGIC 0x61404013u
#define IMG_HEAD 8		/* the two magics */
#define ENTRY_LEN 4		/* each entry's length */
#define IMG_MAX (16u << 20)	/* a core image is a few KiB */

/* core.proto, core-x86.proto, pstree.proto, cpuinfo.proto: the fields read. */
enum { CORE_MTYPE = 1, CORE_TI = 2, CORE_TC = 3, CORE_THREAD_CORE = 5 };
enum { MTYPE_X86_64 = 1 };
enum { TC_COMM = 6, THREAD_CORE_COMM = 13 };
enum { TI_FPREGS = 3 };
enum { FP_CWD = 1, FP_SWD, FP_TWD, FP_FOP, FP_RIP, FP_RDP, FP_MXCSR, FP_MXCSR_MASK,
       FP_ST_SPACE, FP_XMM_SPACE, FP_PADDING, FP_XSAVE = 13 };
enum { XSV_XSTATE_BV = 1, XSV_CET = 9 };
enum { PST_PID = 1, PST_THREADS = 5 };
enum { CPI_X86 = 1 };
enum { CPX_VENDOR = 1, CPX_FAMILY, CPX_MODEL, CPX_STEPPING, CPX_MODEL_ID = 7,
       CPX_XFEATURES = 8, CPX_XSAVE_SIZE, CPX_XSAVE_SIZE_MAX };
enum { VENDOR_INTEL = 1, VENDOR_AMD = 2 };

/* The FXSAVE scalars of user_x86_fpregs_entry: their field, offset and width. */
static const struct legacy_field {
	unsigned field, off, bytes;
	const char *name;
} legacy_fields[] = {
	{ FP_CWD, XS_OFF_FCW, 2, "cwd" },	{ FP_SWD, XS_OFF_FSW, 2, "swd" },
	{ FP_TWD, XS_OFF_FTW, 2, "twd" },	{ FP_FOP, XS_OFF_FOP, 2, "fop" },
	{ FP_RIP, XS_OFF_FIP, 8, "rip" },	{ FP_RDP, XS_OFF_FDP, 8, "rdp" },
	{ FP_MXCSR, XS_OFF_MXCSR, 4, "mxcsr" }, { FP_MXCSR_MASK, XS_OFF_MXCSR_MASK, 4, "mxcsr_mask" },
};

/*
 * The repeated fields that carry register bytes: the message's field, its
 * element width, the elements CRIU writes (the component's size), and where
 * they go: the legacy area (st_space, xmm_space) or a component.
 */
struct array_def {
	unsigned field;
	unsigned width;		/* 4: uint32, 8: uint64 */
	unsigned count;
	int comp;		/* -1: the legacy area at off */
	unsigned off;
	const char *name;
};

static const struct array_def legacy_arrays[] = {
	{ FP_ST_SPACE, 4, 32, -1, XS_OFF_ST0, "st_space" },
	{ FP_XMM_SPACE, 4, 64, -1, XS_OFF_XMM0, "xmm_space" },
};

static const struct array_def xsave_arrays[] = {
	{ 2, 4, 64, XS_AVX, 0, "ymmh_space" },
	{ 3, 8, 8, XS_BNDREGS, 0, "bndreg_state" },
	{ 4, 8, 8, XS_BNDCSR, 0, "bndcsr_state" },
	{ 5, 8, 8, XS_OPMASK, 0, "opmask_reg" },
	{ 6, 8, 64, XS_ZMM_HI256, 0, "zmm_upper" },
	{ 7, 8, 128, XS_HI16_ZMM, 0, "hi16_zmm" },
	{ 8, 4, 2, XS_PKRU, 0, "pkru" },
};

#define NXSAVE_ARRAYS (sizeof(xsave_arrays) / sizeof(xsave_arrays[0]))
#define ARRAY_MAX_BYTES 1024	/* hi16_zmm */

/* Where a message field lies in its core image (file offsets): key, value, end. */
struct span {
	bool set;
	uint64_t key, val, end;
};

struct criu_thread {
	long tid, pid;
	char *path;		/* its core-TID.img */
	struct stat st;
	uint8_t *bytes;		/* the image, whole */
	size_t len;
	struct span ti, fp, xs;	/* thread_info, fpregs, xsave */
	bool has_xsave;
	uint64_t xstate_bv;
	uint64_t arrays;	/* components with an array */
	char comm[32];
	enum codec codec;	/* the image's compression, kept by the writer */
	const struct criu *owner;
};

struct criu;

struct criu_cpuinfo {
	bool have;
	uint64_t vendor, family, model, stepping;
	char model_id[64];
	bool have_mask, have_size, have_size_max;
	uint64_t xfeatures_mask, xsave_size, xsave_size_max;
};

struct criu {
	const char *path;
	bool dir;
	unsigned nproc;
	unsigned n;
	struct criu_thread *t;
	struct criu_cpuinfo cpu;
	struct xs_layout layout;
	char layout_why[96];
};

/* ---- images and entries ------------------------------------------------- */

/* The 32-bit little-endian word at @off of @buf (@len bytes); 0 past its end. */
static uint32_t le32(const uint8_t *buf, size_t len, size_t off)
{
	struct xs_rd rd = xs_rd_init(buf, len, 0);
	uint32_t v;

	return xs_rd_u32le_at(&rd, off, &v) ? v : 0;
}

static bool criu_sniff(const struct io_src *src)
{
	if (S_ISDIR(src->st.st_mode))
		return !faccessat(src->fd, "inventory.img", F_OK, 0);
	uint32_t m = le32(src->magic, src->nmagic, 0);

	return src->nmagic >= 4 && (m == IMG_COMMON_MAGIC || m == INVENTORY_MAGIC);
}

static const char *magic_name(uint32_t m)
{
	switch (m) {
	case CORE_MAGIC:
		return "a core image";
	case PSTREE_MAGIC:
		return "pstree.img";
	case CPUINFO_MAGIC:
		return "cpuinfo.img";
	case INVENTORY_MAGIC:
		return "inventory.img";
	default:
		return "another CRIU image";
	}
}

/*
 * The one entry of the image @buf (@len bytes) with magic @want: *@rd its
 * message.  0 or EXIT_DATAERR (@why).
 */
static int one_entry(const char *path, const uint8_t *buf, size_t len, uint32_t want,
		     struct xs_rd *rd, struct fail *why)
{
	struct xs_rd img = xs_rd_init(buf, len, 0);
	uint32_t n;

	if (len >= 4 && le32(buf, len, 0) == INVENTORY_MAGIC) {
		if (want == CORE_MAGIC && why && !why->code)
			why->unrecognised = true;
		return fail_at(why, EXIT_DATAERR, path, 0, "inventory.img (magic 0x%08x), not %s "
			       "(0x%08x)", INVENTORY_MAGIC, magic_name(want), want);
	}
	if (len < IMG_HEAD)
		return fail_at(why, EXIT_DATAERR, path, len, "file ends after %zu bytes, inside the "
			       "image's two magics (%u bytes)", len, IMG_HEAD);
	if (le32(buf, len, 0) != IMG_COMMON_MAGIC)
		return fail_at(why, EXIT_DATAERR, path, 0, "not a CRIU image (no IMG_COMMON_MAGIC "
			       "0x%08x at its start)", IMG_COMMON_MAGIC);
	if (le32(buf, len, 4) != want) {
		/* a lone CRIU image of something else holds no XSAVE state */
		if (want == CORE_MAGIC && why && !why->code)
			why->unrecognised = true;
		return fail_at(why, EXIT_DATAERR, path, 4, "%s (magic 0x%08x), not %s (0x%08x)",
			       magic_name(le32(buf, len, 4)), le32(buf, len, 4), magic_name(want),
			       want);
	}
	if (len < IMG_HEAD + ENTRY_LEN)
		return fail_at(why, EXIT_DATAERR, path, IMG_HEAD, "no entry after the magic");
	n = le32(buf, len, IMG_HEAD);
	if (n > len - IMG_HEAD - ENTRY_LEN)
		return fail_at(why, EXIT_DATAERR, path, IMG_HEAD, "entry of %u bytes runs past the "
			       "end of the image (%zu bytes after its length)", n,
			       len - IMG_HEAD - ENTRY_LEN);
	if (want != PSTREE_MAGIC && n != len - IMG_HEAD - ENTRY_LEN)
		return fail_at(why, EXIT_DATAERR, path, IMG_HEAD + ENTRY_LEN + (uint64_t)n,
			       "%zu bytes after the image's one entry",
			       len - IMG_HEAD - ENTRY_LEN - n);
	if (!xs_rd_sub_at(&img, IMG_HEAD + ENTRY_LEN, n, rd))
		return fail_at(why, EXIT_DATAERR, path, IMG_HEAD, "entry out of bounds");
	return 0;
}

/* The next field of @rd, a malformed one said in @why: 1, 0 at the end, or -EXIT_DATAERR. */
static int next(const char *path, struct xs_rd *rd, struct pb_field *f, struct fail *why)
{
	struct xs_diag d = { 0 };
	int rc = pb_next(rd, f, &d);

	if (rc < 0)
		return -fail_diag(why, EXIT_DATAERR, path, &d);
	return rc;
}

static int want_wire(const char *path, const struct pb_field *f, const struct xs_rd *rd,
		     enum pb_wire w, const char *name, struct fail *why)
{
	if (f->wire == w)
		return 0;
	return fail_at(why, EXIT_DATAERR, path, rd->base + f->start, "%s (field %u) has wire "
		       "type %u, not %u", name, f->num, (unsigned)f->wire, (unsigned)w);
}

static struct span span_of(const struct xs_rd *rd, const struct pb_field *f)
{
	return (struct span){ .set = true, .key = rd->base + f->start, .val = f->sub.base,
			      .end = rd->base + f->end };
}

/* A message field that may appear once: @s records it.  0 or EXIT_DATAERR. */
static int once(const char *path, const struct xs_rd *rd, const struct pb_field *f,
		const char *name, struct span *s, struct fail *why)
{
	int rc = want_wire(path, f, rd, PB_LEN, name, why);

	if (rc)
		return rc;
	if (s->set)
		return fail_at(why, EXIT_DATAERR, path, rd->base + f->start, "%s appears twice "
			       "(first at 0x%llx)", name, (unsigned long long)s->key);
	*s = span_of(rd, f);
	return 0;
}

/* ---- repeated fields ------------------------------------------------------ */

/* Elements of a repeated scalar field gathered over its occurrences, packed or not. */
struct elems {
	uint64_t v[ARRAY_MAX_BYTES / 4];
	unsigned n;
	uint64_t off;		/* its first occurrence */
	bool seen;
};

static int add_elem(const char *path, const struct array_def *a, struct elems *e, uint64_t v,
		    uint64_t off, struct fail *why)
{
	if (a->width == 4 && v > UINT32_MAX)
		return fail_at(why, EXIT_DATAERR, path, off, "%s: element %u (0x%llx) does not fit "
			       "its 32 bits", a->name, e->n, (unsigned long long)v);
	if (e->n == a->count)
		return fail_at(why, EXIT_DATAERR, path, off, "%s has more than the %u elements of "
			       "%u bytes it holds", a->name, a->count, a->width);
	e->v[e->n++] = v;
	return 0;
}

static int take_elems(const char *path, const struct xs_rd *rd, const struct pb_field *f,
		      const struct array_def *a, struct elems *e, struct fail *why)
{
	struct xs_rd sub = f->sub;
	int rc = 0;

	if (!e->seen)
		e->off = rd->base + f->start;
	e->seen = true;
	if (f->wire == PB_VARINT)
		return add_elem(path, a, e, f->v, rd->base + f->start, why);
	if (f->wire != PB_LEN)	/* CRIU's fields are uint32/uint64: varints */
		return want_wire(path, f, rd, PB_VARINT, a->name, why);
	while (!rc && xs_rd_left(&sub)) {	/* packed */
		struct xs_diag d = { 0 };
		uint64_t at = xs_rd_abs(&sub), v;

		if (pb_varint(&sub, &v, &d))
			return fail_diag(why, EXIT_DATAERR, path, &d);
		rc = add_elem(path, a, e, v, at, why);
	}
	return rc;
}

/* Lay the elements of @e into @dst (a->count * a->width bytes), little-endian. */
static int lay(const char *path, const struct array_def *a, const struct elems *e, uint8_t *dst,
	       struct fail *why)
{
	if (e->n != a->count)
		return fail_at(why, EXIT_DATAERR, path, e->off, "%s has %u elements; it holds %u "
			       "(%u bytes)", a->name, e->n, a->count, a->count * a->width);
	for (unsigned i = 0; i < e->n; i++)
		for (unsigned b = 0; b < a->width; b++)
			dst[i * a->width + b] = (uint8_t)(e->v[i] >> (8 * b));
	return 0;
}

/* ---- a core entry ---------------------------------------------------------- */

/* What one thread's fpregs and xsave hold, before it is laid into an image. */
struct fpu {
	uint64_t legacy[sizeof(legacy_fields) / sizeof(legacy_fields[0])];
	bool legacy_seen[sizeof(legacy_fields) / sizeof(legacy_fields[0])];
	struct elems larr[2];
	struct elems xarr[NXSAVE_ARRAYS];
	bool have_bv;
};

static int read_xsave(struct criu_thread *t, struct xs_rd rd, struct fpu *u, struct fail *why)
{
	struct pb_field f;
	int rc;

	while ((rc = next(t->path, &rd, &f, why)) > 0) {
		if (f.num == XSV_XSTATE_BV) {
			if ((rc = want_wire(t->path, &f, &rd, PB_VARINT, "xstate_bv", why)))
				return rc;
			if (u->have_bv)
				return fail_at(why, EXIT_DATAERR, t->path, rd.base + f.start,
					       "xstate_bv appears twice");
			t->xstate_bv = f.v;
			u->have_bv = true;
			continue;
		}
		for (unsigned i = 0; i < NXSAVE_ARRAYS; i++)
			if (f.num == xsave_arrays[i].field &&
			    (rc = take_elems(t->path, &rd, &f, &xsave_arrays[i], &u->xarr[i], why)))
				return rc;
	}
	if (rc < 0)
		return -rc;
	if (!u->have_bv)
		return fail_at(why, EXIT_DATAERR, t->path, t->xs.key, "xsave has no xstate_bv");
	return 0;
}

static int read_fpregs(struct criu_thread *t, struct xs_rd rd, struct fpu *u, struct fail *why)
{
	struct pb_field f;
	int rc;

	while ((rc = next(t->path, &rd, &f, why)) > 0) {
		for (unsigned i = 0; i < sizeof(legacy_fields) / sizeof(legacy_fields[0]); i++) {
			const struct legacy_field *l = &legacy_fields[i];

			if (f.num != l->field)
				continue;
			if ((rc = want_wire(t->path, &f, &rd, PB_VARINT, l->name, why)))
				return rc;
			if (l->bytes < 8 && f.v >> (8 * l->bytes))
				return fail_at(why, EXIT_DATAERR, t->path, rd.base + f.start,
					       "fpregs.%s 0x%llx does not fit its %u bits", l->name,
					       (unsigned long long)f.v, 8 * l->bytes);
			u->legacy[i] = f.v;
			u->legacy_seen[i] = true;
		}
		for (unsigned i = 0; i < 2; i++)
			if (f.num == legacy_arrays[i].field &&
			    (rc = take_elems(t->path, &rd, &f, &legacy_arrays[i], &u->larr[i], why)))
				return rc;
		if (f.num == FP_XSAVE && (rc = once(t->path, &rd, &f, "fpregs.xsave", &t->xs, why)))
			return rc;
		if (f.num == FP_XSAVE && (rc = read_xsave(t, f.sub, u, why)))
			return rc;
	}
	if (rc < 0)
		return -rc;
	for (unsigned i = 0; i < sizeof(legacy_fields) / sizeof(legacy_fields[0]); i++)
		if (!u->legacy_seen[i])
			return fail_at(why, EXIT_DATAERR, t->path, t->fp.key, "fpregs has no %s "
				       "(field %u, required)", legacy_fields[i].name,
				       legacy_fields[i].field);
	t->has_xsave = t->xs.set;
	return 0;
}

static void take_comm(char *dst, size_t len, const struct pb_field *f)
{
	size_t n = f->sub.len < len - 1 ? f->sub.len : len - 1;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = 0;

		if (!xs_rd_u8_at(&f->sub, i, &c))
			break;
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[n] = 0;
}

/* task_core_entry or thread_core_entry: its comm, where the thread has none yet. */
static int read_comm(struct criu_thread *t, struct xs_rd rd, unsigned field, struct fail *why)
{
	struct pb_field f;
	int rc;

	while ((rc = next(t->path, &rd, &f, why)) > 0)
		if (f.num == field && f.wire == PB_LEN && !t->comm[0])
			take_comm(t->comm, sizeof(t->comm), &f);
	return rc < 0 ? -rc : 0;
}

static int read_thread_info(struct criu_thread *t, struct xs_rd rd, struct fpu *u,
			    struct fail *why)
{
	struct pb_field f;
	int rc;

	while ((rc = next(t->path, &rd, &f, why)) > 0) {
		if (f.num != TI_FPREGS)
			continue;
		if ((rc = once(t->path, &rd, &f, "thread_info.fpregs", &t->fp, why)) ||
		    (rc = read_fpregs(t, f.sub, u, why)))
			return rc;
	}
	if (rc < 0)
		return -rc;
	if (!t->fp.set)
		return fail_at(why, EXIT_DATAERR, t->path, t->ti.key, "thread_info has no fpregs: "
			       "the thread's FPU state is not in the image");
	return 0;
}

static int read_core(struct criu_thread *t, struct xs_rd rd, struct fpu *u, struct fail *why)
{
	struct pb_field f;
	bool mtype = false;
	int rc;

	while ((rc = next(t->path, &rd, &f, why)) > 0) {
		if (f.num == CORE_MTYPE) {
			if ((rc = want_wire(t->path, &f, &rd, PB_VARINT, "mtype", why)))
				return rc;
			if (f.v != MTYPE_X86_64)
				return fail_at(why, EXIT_DATAERR, t->path, rd.base + f.start,
					       "the core of a non-x86 thread (mtype %llu)",
					       (unsigned long long)f.v);
			mtype = true;
		} else if (f.num == CORE_TI) {
			if ((rc = once(t->path, &rd, &f, "thread_info", &t->ti, why)) ||
			    (rc = read_thread_info(t, f.sub, u, why)))
				return rc;
		} else if ((f.num == CORE_TC || f.num == CORE_THREAD_CORE) && f.wire == PB_LEN) {
			rc = read_comm(t, f.sub, f.num == CORE_TC ? TC_COMM : THREAD_CORE_COMM, why);
			if (rc)
				return rc;
		}
	}
	if (rc < 0)
		return -rc;
	if (!mtype)
		return fail_at(why, EXIT_DATAERR, t->path, rd.base, "core entry has no mtype");
	if (!t->ti.set)
		return fail_at(why, EXIT_DATAERR, t->path, rd.base, "core entry has no thread_info: "
			       "the thread's registers are not in the image");
	return 0;
}

/* ---- the state: an XSAVE image of the entry's fields -------------------- */

static int compose(struct criu *c, struct criu_thread *t, const struct fpu *u, uint8_t **img,
		   size_t *len, struct fail *why)
{
	uint64_t mask = XS_MASK_FPSSE | t->arrays;
	uint8_t *p;
	size_t n;
	int rc = 0;

	/* Every XSTATE_BV bit past x87 and SSE needs its array (CRIU's restore loads none). */
	if ((t->xstate_bv & ~mask) != 0) {
		char names[128];

		xs_mask_names(t->xstate_bv & ~mask, names, sizeof(names));
		return fail_at(why, EXIT_DATAERR, t->path, t->xs.key, "xstate_bv 0x%llx has %s, "
			       "which the entry holds no array of", (unsigned long long)t->xstate_bv,
			       names);
	}
	n = xs_layout_std_size(&c->layout, mask);
	p = xcalloc(1, n);
	for (unsigned i = 0; i < sizeof(legacy_fields) / sizeof(legacy_fields[0]); i++)
		for (unsigned b = 0; b < legacy_fields[i].bytes; b++)
			p[legacy_fields[i].off + b] = (uint8_t)(u->legacy[i] >> (8 * b));
	for (unsigned i = 0; !rc && i < 2; i++)
		rc = lay(t->path, &legacy_arrays[i], &u->larr[i], p + legacy_arrays[i].off, why);
	for (unsigned b = 0; b < 8; b++)
		p[XS_OFF_XSTATE_BV + b] = (uint8_t)((t->has_xsave ? t->xstate_bv : XS_MASK_FPSSE)
						    >> (8 * b));
	for (unsigned i = 0; !rc && i < NXSAVE_ARRAYS; i++) {
		const struct array_def *a = &xsave_arrays[i];

		if (u->xarr[i].seen)
			rc = lay(t->path, a, &u->xarr[i], p + c->layout.offset[a->comp], why);
	}
	if (rc) {
		free(p);
		return rc;
	}
	*img = p;
	*len = n;
	return 0;
}

/* The layout the images are composed on: cpuinfo.img's vendor's, one placing every array. */
static void choose_layout(struct criu *c)
{
	uint64_t arrays = 0;

	for (unsigned i = 0; i < c->n; i++)
		arrays |= c->t[i].arrays;
	if (c->cpu.have && c->cpu.vendor == VENDOR_AMD) {
		xs_layout_builtin(XS_VENDOR_AMD, &c->layout);
		if ((arrays & c->layout.placed) == arrays) {
			snprintf(c->layout_why, sizeof(c->layout_why),
				 "AMD's standard layout (cpuinfo.img's vendor)");
			return;
		}
	}
	xs_layout_builtin(XS_VENDOR_INTEL, &c->layout);
	snprintf(c->layout_why, sizeof(c->layout_why), "%s", c->cpu.have &&
		 c->cpu.vendor == VENDOR_INTEL ? "Intel's standard layout (cpuinfo.img's vendor)"
		 : "Intel's standard layout (the entry records none)");
}

/* ---- pstree.img, cpuinfo.img ---------------------------------------------- */

static int read_file(const char *path, struct io_file *f, struct fail *why)
{
	return io_read(path, IMG_MAX, f, why);
}

static struct criu_thread *add_thread(struct criu *c, long tid, long pid)
{
	c->t = xrealloc(c->t, (c->n + 1) * sizeof(*c->t));
	memset(&c->t[c->n], 0, sizeof(c->t[0]));
	c->t[c->n].tid = tid;
	c->t[c->n].pid = pid;
	return &c->t[c->n++];
}

/* One pstree_entry: its pid and threads (the pid alone where it lists none). */
static int pstree_entry(struct criu *c, const char *path, struct xs_rd rd, struct fail *why)
{
	static const struct array_def threads = { PST_THREADS, 4, 1u << 16, -1, 0, "threads" };
	struct pb_field f;
	long pid = -1;
	unsigned before = c->n;
	int rc;

	while ((rc = next(path, &rd, &f, why)) > 0) {
		if (f.num == PST_PID && f.wire == PB_VARINT && f.v <= INT32_MAX)
			pid = (long)f.v;
		if (f.num != PST_THREADS || f.wire != PB_VARINT)
			continue;
		if (f.v > INT32_MAX || c->n >= threads.count)
			return fail_at(why, EXIT_DATAERR, path, rd.base + f.start, "thread id "
				       "%llu out of range", (unsigned long long)f.v);
		add_thread(c, (long)f.v, -1);
	}
	if (rc < 0)
		return -rc;
	if (pid < 0)
		return fail_at(why, EXIT_DATAERR, path, rd.base, "pstree entry has no pid");
	if (c->n == before)
		add_thread(c, pid, pid);
	for (unsigned i = before; i < c->n; i++)
		c->t[i].pid = pid;
	c->nproc++;
	return 0;
}

static int read_pstree(struct criu *c, const char *path, struct fail *why)
{
	struct io_file f;
	size_t pos = IMG_HEAD;
	struct xs_rd first, img, ent;
	int rc = read_file(path, &f, why);

	if (rc)
		return rc;
	img = xs_rd_init(f.buf, f.len, 0);
	rc = one_entry(path, f.buf, f.len, PSTREE_MAGIC, &first, why);
	while (!rc && pos < f.len) {	/* one entry per process */
		uint32_t n;

		if (f.len - pos < ENTRY_LEN) {
			rc = fail_at(why, EXIT_DATAERR, path, pos, "entry length cut short");
			break;
		}
		n = le32(f.buf, f.len, pos);
		if (n > f.len - pos - ENTRY_LEN) {
			rc = fail_at(why, EXIT_DATAERR, path, pos, "entry of %u bytes runs past the "
				     "end of the image (%zu bytes after its length)", n,
				     f.len - pos - ENTRY_LEN);
			break;
		}
		rc = xs_rd_sub_at(&img, pos + ENTRY_LEN, n, &ent) ? pstree_entry(c, path, ent, why)
		     : fail_at(why, EXIT_DATAERR, path, pos, "entry out of bounds");
		pos += ENTRY_LEN + (size_t)n;
	}
	if (!rc && !c->n)
		rc = fail_at(why, EXIT_DATAERR, path, IMG_HEAD, "pstree.img lists no process");
	io_free(&f);
	return rc;
}

static int cpuinfo_x86(struct criu_cpuinfo *ci, const char *path, struct xs_rd rd,
		       struct fail *why)
{
	struct pb_field f;
	int rc;

	while ((rc = next(path, &rd, &f, why)) > 0) {
		uint64_t *v = NULL;
		bool *have = NULL;

		switch (f.num) {
		case CPX_VENDOR: v = &ci->vendor; break;
		case CPX_FAMILY: v = &ci->family; break;
		case CPX_MODEL: v = &ci->model; break;
		case CPX_STEPPING: v = &ci->stepping; break;
		case CPX_XFEATURES: v = &ci->xfeatures_mask, have = &ci->have_mask; break;
		case CPX_XSAVE_SIZE: v = &ci->xsave_size, have = &ci->have_size; break;
		case CPX_XSAVE_SIZE_MAX: v = &ci->xsave_size_max, have = &ci->have_size_max; break;
		case CPX_MODEL_ID:
			if (f.wire == PB_LEN)
				take_comm(ci->model_id, sizeof(ci->model_id), &f);
			/* CPUID's brand string is padded with spaces */
			for (size_t n = strlen(ci->model_id); n && ci->model_id[n - 1] == ' ';)
				ci->model_id[--n] = 0;
			continue;
		default:
			continue;
		}
		if ((rc = want_wire(path, &f, &rd, PB_VARINT, "a cpuinfo_x86_entry number", why)))
			return rc;
		*v = f.v;
		if (have)
			*have = true;
	}
	return rc < 0 ? -rc : 0;
}

static int read_cpuinfo(struct criu *c, const char *path, struct fail *why)
{
	struct io_file f;
	struct xs_rd rd;
	struct pb_field fl;
	int rc = read_file(path, &f, why);

	if (rc)
		return rc;
	rc = one_entry(path, f.buf, f.len, CPUINFO_MAGIC, &rd, why);
	while (!rc && (rc = next(path, &rd, &fl, why)) > 0) {
		if (fl.num != CPI_X86 || fl.wire != PB_LEN)
			continue;
		if (c->cpu.have) {
			rc = fail_at(why, EXIT_DATAERR, path, rd.base + fl.start, "cpuinfo.img holds "
				     "more than one x86 entry (CRIU's restore takes one)");
			break;
		}
		c->cpu.have = true;
		rc = cpuinfo_x86(&c->cpu, path, fl.sub, why);
	}
	rc = rc < 0 ? -rc : rc;
	io_free(&f);
	return rc;
}

/* ---- loading ------------------------------------------------------------- */

/* Thread @t's core image @f (taken over). */
static int read_thread(struct criu_thread *t, struct io_file *f, struct fpu *u, struct fail *why)
{
	struct xs_rd rd;
	int rc;

	t->bytes = f->buf;
	t->len = f->len;
	t->st = f->st;
	t->codec = f->codec;
	f->buf = NULL;
	rc = one_entry(t->path, t->bytes, t->len, CORE_MAGIC, &rd, why);
	if (!rc)
		rc = read_core(t, rd, u, why);
	for (unsigned i = 0; !rc && i < NXSAVE_ARRAYS; i++)
		if (u->xarr[i].seen)
			t->arrays |= XS_BIT(xsave_arrays[i].comp);
	return rc;
}

/* The thread id of a lone core image: its name's (core-TID.img), or -1. */
static long tid_of_name(const char *path)
{
	const char *b = strrchr(path, '/');
	long tid;
	char tail[8];

	b = b ? b + 1 : path;
	if (sscanf(b, "core-%ld%7s", &tid, tail) == 2 && !strcmp(tail, ".img") && tid >= 0)
		return tid;
	return -1;
}

/* The threads of the checkpoint (@src closed), each core image read into @u. */
static int criu_open(struct io_src *src, struct criu *c, struct fpu **u, struct fail *why)
{
	struct io_file f;
	int rc = 0;

	c->path = src->path;
	c->dir = S_ISDIR(src->st.st_mode);
	if (!c->dir) {
		add_thread(c, tid_of_name(c->path), -1)->path = xstrdup(c->path);
		*u = xcalloc(1, sizeof(**u));
		rc = io_read_src(src, IMG_MAX, &f);
		return rc ? rc : read_thread(&c->t[0], &f, &(*u)[0], why);
	}
	io_src_close(src);
	char *p = xasprintf("%s/pstree.img", c->path);

	rc = read_pstree(c, p, why);
	free(p);
	p = xasprintf("%s/cpuinfo.img", c->path);
	if (!rc && !access(p, F_OK))
		rc = read_cpuinfo(c, p, why);
	free(p);
	*u = xcalloc(c->n ? c->n : 1, sizeof(**u));
	for (unsigned i = 0; i < c->n; i++)
		c->t[i].path = xasprintf("%s/core-%ld.img", c->path, c->t[i].tid);
	for (unsigned i = 0; !rc && i < c->n; i++) {
		rc = read_file(c->t[i].path, &f, why);
		if (!rc)
			rc = read_thread(&c->t[i], &f, &(*u)[i], why);
	}
	return rc;
}

static int criu_load(const struct fmt_opts *o, struct io_src *src, struct input *in,
		     struct fail *why)
{
	struct criu *c = xcalloc(1, sizeof(*c));
	struct fpu *u = NULL;
	int rc = criu_open(src, c, &u, why);

	in->priv = c;
	for (unsigned i = 0; i < c->n; i++)
		c->t[i].owner = c;
	if (!rc)
		choose_layout(c);
	in->s = xcalloc(c->n ? c->n : 1, sizeof(*in->s));
	for (unsigned i = 0; !rc && i < c->n; i++) {
		struct criu_thread *t = &c->t[i];
		struct input_state *s = &in->s[in->nstates];
		uint8_t *img = NULL;
		size_t len = 0;

		if (o->thread >= 0 && t->tid != o->thread)
			continue;
		rc = compose(c, t, &u[i], &img, &len, why);
		if (rc)
			break;
		s->id = t->tid;
		s->priv = t;
		s->own = img;
		s->offset = 0;
		in->nstates++;
		rc = input_parse(o, in, s, img, len, &c->layout, c->layout_why,
				 XS_MASK_FPSSE | t->arrays, why);
		/* CRIU's restore lays the area out itself, with the host's CPUID offsets */
		s->st.by_field = true;
	}
	free(u);
	if (!rc && !in->nstates)
		rc = fail_msg(why, EXIT_DATAERR, in->path, "no thread %ld in this checkpoint",
			      o->thread);
	return rc;
}

static void criu_close(struct criu *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->n; i++) {
		free(c->t[i].path);
		free(c->t[i].bytes);
	}
	free(c->t);
	free(c);
}

static void criu_free(struct input *in)
{
	criu_close(in->priv);
}

/* ---- showing ----------------------------------------------------------------- */

static void criu_show(struct out *o, const struct input *in)
{
	const struct criu *c = in->priv;
	const struct criu_cpuinfo *ci = &c->cpu;

	out_str(o, "compression", "none");
	out_str(o, "producer", "CRIU");
	out_str(o, "input", c->dir ? "checkpoint directory" : "core image");
	if (c->dir)
		out_u64(o, "processes", c->nproc);
	out_u64(o, "threads", c->n);
	out_str(o, "layout", c->layout_why);
	if (!ci->have) {
		out_null(o, "cpuinfo");
		if (c->dir)
			out_note(o, "(no cpuinfo.img: `criu cpuinfo dump -D DIR` records the CPU)");
		return;
	}
	out_obj(o, "cpuinfo");
	out_str(o, "vendor", ci->vendor == VENDOR_INTEL ? "Intel" : ci->vendor == VENDOR_AMD ?
		"AMD" : "unknown");
	out_strf(o, "family_model_stepping", "%llu/%llu/%llu", (unsigned long long)ci->family,
		 (unsigned long long)ci->model, (unsigned long long)ci->stepping);
	out_str(o, "model_id", ci->model_id);
	if (ci->have_mask)
		out_mask(o, "xfeatures_mask", ci->xfeatures_mask);
	else
		out_null(o, "xfeatures_mask");
	if (ci->have_size)
		out_u64(o, "xsave_size", ci->xsave_size);
	else
		out_null(o, "xsave_size");
	if (ci->have_size_max)
		out_u64(o, "xsave_size_max", ci->xsave_size_max);
	else
		out_null(o, "xsave_size_max");
	out_end(o);
}

static void criu_show_label(struct out *o, const struct input_state *s)
{
	const struct criu_thread *t = s->priv;

	if (s->id >= 0)
		out_u64(o, "thread", (uint64_t)s->id);
	else
		out_null(o, "thread");
	if (t->pid >= 0)
		out_u64(o, "process", (uint64_t)t->pid);
	out_str(o, "comm", t->comm);
	out_str(o, "core_image", t->path);
	if (t->has_xsave)
		out_strf(o, "xsave_entry", "0x%llx", (unsigned long long)t->xs.key);
	else
		out_null(o, "xsave_entry");
	out_mask(o, "arrays", t->arrays);
}

static void criu_name_state(char *buf, size_t len, const struct input_state *s)
{
	if (s->id >= 0)
		snprintf(buf, len, " thread %ld", s->id);
}

/*
 * CRIU's own restore rule where it checks the CPU (`criu cpuinfo check`,
 * restore with --cpu-cap=fpu,img): cpuinfo.img's xfeatures_mask within the
 * host's, and its XSAVE size (CPUID leaf 0xd's for the XCR0) equal to the host's.
 */
static void criu_judge(struct out *o, const struct input_state *s, const struct xs_target *t)
{
	const struct criu_thread *th = s->priv;
	const struct criu_cpuinfo *ci = &th->owner->cpu;
	uint64_t beyond;

	if (!ci->have || !ci->have_mask || !ci->have_size)
		return;
	beyond = ci->xfeatures_mask & ~t->xcr0;
	out_obj(o, "criu_cpu_check");
	out_mask(o, "xfeatures_mask", ci->xfeatures_mask);
	out_mask(o, "xfeatures_beyond_target", beyond);
	out_u64(o, "xsave_size", ci->xsave_size);
	if (t->layout) {
		uint32_t size = xs_layout_std_size(t->layout, t->xcr0);

		out_u64(o, "target_xsave_size", size);
		out_bool(o, "passes", !beyond && size == ci->xsave_size);
	} else {
		out_null(o, "target_xsave_size");
		out_null(o, "passes");
	}
	if (beyond)
		out_note(o, "(criu restore --cpu-cap=fpu,img and criu cpuinfo check refuse this "
			 "checkpoint there: \"CPU xfeatures has unsupported bits\")");
	else if (t->layout && xs_layout_std_size(t->layout, t->xcr0) != ci->xsave_size)
		out_note(o, "(criu restore --cpu-cap=fpu,img and criu cpuinfo check refuse this "
			 "checkpoint there: \"CPU xsave size mismatch\")");
	out_end(o);
}

/* ---- writing ----------------------------------------------------------------- */

/* The components whose array leaves thread @t's entry: those filter stripped. */
static uint64_t dropped(const struct input_state *s, const struct criu_thread *t)
{
	return t->arrays & s->cleared;
}

static uint64_t new_bv(const struct input_state *s)
{
	uint64_t v = 0;

	for (unsigned b = 8; b-- > 0;)
		v = v << 8 | s->st.img[XS_OFF_XSTATE_BV + b];
	return v;
}

/* Does @s's entry change (XSTATE_BV, or an array left out)? */
static bool changed(const struct input_state *s)
{
	const struct criu_thread *t = s->priv;

	return t->has_xsave && (new_bv(s) != t->xstate_bv || dropped(s, t));
}

/* The xsave message of @s again: XSTATE_BV, and no array of a dropped component. */
static uint8_t *new_xsave(const struct input_state *s, size_t *len)
{
	const struct criu_thread *t = s->priv;
	uint64_t drop = dropped(s, t);
	struct xs_rd file = xs_rd_init(t->bytes, t->len, 0), rd;
	uint8_t *out = xmalloc(t->xs.end - t->xs.val + 2 * PB_VARINT_MAX);
	struct pb_field f;
	struct xs_diag d;
	size_t n = 0;

	/* read already: its bounds hold, and xstate_bv is in it once */
	if (!xs_rd_sub_at(&file, t->xs.val, t->xs.end - t->xs.val, &rd))
		rd = xs_rd_init(NULL, 0, 0);
	while (pb_next(&rd, &f, &d) > 0) {
		bool skip = false;

		for (unsigned i = 0; i < NXSAVE_ARRAYS; i++)
			if (f.num == xsave_arrays[i].field && (drop & XS_BIT(xsave_arrays[i].comp)))
				skip = true;
		if (skip)
			continue;
		if (f.num == XSV_XSTATE_BV) {
			n += pb_put_varint(out + n, (uint64_t)XSV_XSTATE_BV << 3 | PB_VARINT);
			n += pb_put_varint(out + n, new_bv(s));
			continue;
		}
		if (xs_rd_copy_at(&rd, f.start, f.end - f.start, out + n))
			n += f.end - f.start;
	}
	*len = n;
	return out;
}

/* The message [@from, @to) of @buf (@len bytes) with its field at @sp replaced by @val. */
static uint8_t *splice_in(const uint8_t *buf, size_t len, uint64_t from, uint64_t to,
			  const struct span *sp, uint32_t num, const uint8_t *val, size_t n,
			  size_t *out_len)
{
	struct xs_rd file = xs_rd_init(buf, len, 0), msg;

	if (!xs_rd_sub_at(&file, from, to - from, &msg))
		msg = xs_rd_init(NULL, 0, from);	/* not reached: the spans were read from it */
	return pb_splice(&msg, sp->key - from, sp->end - from, num, val, n, out_len);
}

/* Thread @s's core image with its entry written again; its length in *@len. */
static uint8_t *new_image(const struct input_state *s, size_t *len)
{
	const struct criu_thread *t = s->priv;
	const uint64_t ent = IMG_HEAD + ENTRY_LEN;
	size_t nx, nf, nt, ne;
	uint8_t *x = new_xsave(s, &nx);
	uint8_t *fp = splice_in(t->bytes, t->len, t->fp.val, t->fp.end, &t->xs, FP_XSAVE, x, nx,
				&nf);
	uint8_t *ti = splice_in(t->bytes, t->len, t->ti.val, t->ti.end, &t->fp, TI_FPREGS, fp, nf,
				&nt);
	uint8_t *e = splice_in(t->bytes, t->len, ent, t->len, &t->ti, CORE_TI, ti, nt, &ne);
	uint8_t *out = xmalloc(ent + ne);

	memcpy(out, t->bytes, IMG_HEAD);
	for (unsigned b = 0; b < 4; b++)
		out[IMG_HEAD + b] = (uint8_t)(ne >> (8 * b));
	memcpy(out + ent, e, ne);
	*len = ent + ne;
	free(x);
	free(fp);
	free(ti);
	free(e);
	return out;
}

static const struct input_state *state_of(const struct input *in, const struct criu_thread *t)
{
	for (unsigned i = 0; i < in->nstates; i++)
		if (in->s[i].priv == t)
			return &in->s[i];
	return NULL;
}

/* Write thread @t's core image to @dest: written again where it changed, else as read. */
static int write_core(const struct input *in, const struct criu_thread *t, const char *dest,
		      struct fail *why)
{
	const struct input_state *s = state_of(in, t);
	uint8_t *buf = NULL;
	size_t len = t->len;
	int rc;

	if (s && changed(s))
		buf = new_image(s, &len);
	rc = io_write_atomic(dest, buf ? buf : t->bytes, len, t->codec, &t->st, why);
	free(buf);
	return rc;
}

static bool is_core_name(const struct criu *c, const char *name, const struct criu_thread **t)
{
	for (unsigned i = 0; i < c->n; i++) {
		const char *b = strrchr(c->t[i].path, '/');

		if (b && !strcmp(b + 1, name)) {
			*t = &c->t[i];
			return true;
		}
	}
	return false;
}

/* Every file of the checkpoint into the directory @tmp: the core images written again. */
static int copy_dir(const struct input *in, const char *tmp, struct fail *why)
{
	const struct criu *c = in->priv;
	DIR *d = opendir(c->path);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return fail_msg(why, EXIT_NOINPUT, c->path, "cannot read the directory: %s",
				strerror(errno));
	while (!rc && (e = readdir(d))) {
		const struct criu_thread *t;
		char *from, *to;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		from = xasprintf("%s/%s", c->path, e->d_name);
		to = xasprintf("%s/%s", tmp, e->d_name);
		if (lstat(from, &st) || !S_ISREG(st.st_mode))
			rc = fail_msg(why, EXIT_DATAERR, from, "not a regular file: a checkpoint "
				      "directory holds only image files (not copied)");
		else if (is_core_name(c, e->d_name, &t))
			rc = write_core(in, t, to, why);
		else
			rc = copy_file(from, to, why);
		free(from);
		free(to);
	}
	closedir(d);
	return rc;
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* -o DIR: a copy of the checkpoint made beside DIR, renamed to it when whole. */
static int write_dir(const struct input *in, const char *dest, struct fail *why)
{
	char *tmp = xasprintf("%s.xsavectl-XXXXXX", dest);
	int rc = 0;

	if (!strcmp(dest, "-")) {
		free(tmp);
		return fail_msg(why, EXIT_USAGE, "-", "a CRIU checkpoint directory is written as a "
				"directory: give -o DIR");
	}
	if (!mkdtemp(tmp)) {
		rc = fail_msg(why, EXIT_CANTCREAT, dest, "cannot create a directory beside it: %s",
			      strerror(errno));
		free(tmp);
		return rc;
	}
	rc = copy_dir(in, tmp, why);
	if (!rc && (rename(tmp, dest) || io_sync_dir(dest)))
		rc = fail_msg(why, EXIT_CANTCREAT, dest, "cannot name the copy: %s%s",
			      strerror(errno), errno == ENOTEMPTY || errno == EEXIST ?
			      " (a directory that is not empty is never replaced)" : "");
	if (rc)
		remove_tree(tmp);
	free(tmp);
	return rc;
}

static int criu_write(struct input *in, const char *dest, struct fail *why)
{
	const struct criu *c = in->priv;

	if (c->dir)
		return write_dir(in, dest, why);
	return write_core(in, &c->t[0], dest, why);
}

/* --in-place: each changed core image replaced atomically (the others untouched). */
static int criu_write_in_place(struct input *in, struct fail *why)
{
	const struct criu *c = in->priv;
	int rc = 0;

	for (unsigned i = 0; !rc && i < c->n; i++) {
		const struct input_state *s = state_of(in, &c->t[i]);

		if (s && changed(s) && in->keep_inode)	/* (before any is written) */
			return fail_msg(why, EXIT_CANTCREAT, c->t[i].path, "a CRIU core image is "
					"replaced by a new file, and --keep-inode keeps the file: "
					"nothing written");
	}
	for (unsigned i = 0; !rc && i < c->n; i++) {
		const struct input_state *s = state_of(in, &c->t[i]);

		if (s && changed(s))
			rc = write_core(in, &c->t[i], c->t[i].path, why);
	}
	return rc;
}

const struct format criu_format = {
	.name = "criu",
	.what = "a CRIU checkpoint",
	.owner = "process",
	.source = "thread",
	.unit = "thread",
	.units = "threads",
	.select = "thread",
	.select_what = "a thread of a CRIU checkpoint",
	.every = "thread of a checkpoint",
	.needs_seek = true,
	.reads_dirs = true,
	.sniff = criu_sniff,
	.load = criu_load,
	.show = criu_show,
	.show_label = criu_show_label,
	.name_state = criu_name_state,
	.judge = criu_judge,
	.write = criu_write,
	.write_in_place = criu_write_in_place,
	.free = criu_free,
};
