// SPDX-License-Identifier: MIT
/*
 * Recognising a raw XSAVE image by what its producers write (see
 * recognise.h): the rules are tried in the order of the bytes they look at,
 * the size last, and the first that fails is the answer.  Producers, from the
 * SDM, the Linux uabi code and the captures in tests/data:
 *   - XSAVE/XSAVEOPT/XSAVEC/XSAVES: CPUID.(0xD,0).EBX bytes (standard) or the
 *     compacted size of XCOMP_BV; bytes 416..511 untouched (zero in a zeroed
 *     buffer); MXCSR_MASK always stored (0xffbf, 0xffff, AMD 0x2ffff);
 *   - ptrace NT_X86_XSTATE, cores, gdb gcore: the whole standard area of the
 *     host's XCR0, u64 XCR0 at 464 and five zero words (gcore: MXCSR_MASK 0);
 *   - signal frames: _fpx_sw_bytes at 464, xstate_size bytes, then MAGIC2;
 *   - KVM_GET_XSAVE: 4096 bytes; KVM_GET_XSAVE2: max(4096, the area); only
 *     user components (KVM carries CET, the supervisor state guests use, as MSRs);
 *     5.16+ the XCR0 at 464, before it zero; a fresh vCPU has FCW 0x37f and
 *     MXCSR 0x1f80.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/rd.h>
#include <xsave/recognise.h>
#include <xsave/internal.h>

#define NOT_XSAVE "not recognised as XSAVE state: "
/* Legacy bytes 416..463: reserved in the FXSAVE format, zero in every capture. */
#define XS_OFF_LEGACY_RESERVED 416
#define XS_LEGACY_RESERVED_SIZE 48
/* MXCSR_MASK: bits a CPU may leave clear (DAZ, bit 6), and may set above 15 (AMD MM, bit 17). */
#define MXCSR_MASK_MUST 0xffbfu
#define MXCSR_MASK_MAY 0x2ffffu
/* Bits an XCR0 at byte 464 may hold: user components and AMD's LWP. */
#define SW_XCR0_KNOWN (XS_MASK_USER_KNOWN | XS_BIT(62))
/* Layouts judged: Intel, AMD and the caller's. */
#define MAX_LAYOUTS 8
#define MAX_SIZES (MAX_LAYOUTS * 24 + 2)

/* What bytes 464..511 said, for the size rule. */
struct sw_view {
	enum xs_sw_kind kind;
	uint64_t xcr0;
	uint32_t xstate_size;
};

static struct xs_recog fail(struct xs_diag *d, enum xs_recog_rule rule, uint64_t off,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct xs_recog fail(struct xs_diag *d, enum xs_recog_rule rule, uint64_t off,
			    const char *fmt, ...)
{
	va_list ap;

	if (d) {
		memset(d, 0, sizeof(*d));
		d->has_off = true;
		d->off = off;
		va_start(ap, fmt);
		vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
		va_end(ap);
	}
	return (struct xs_recog){ .rule = rule, .off = off };
}

/* Offset of the first non-zero byte of @n at @off (off + n when all are zero). */
static size_t first_nonzero(const struct xs_rd *rd, size_t off, size_t n)
{
	uint8_t b = 0;

	for (size_t i = 0; i < n; i++)
		if (xs_rd_u8_at(rd, off + i, &b) && b)
			return off + i;
	return off + n;
}

/* Components an XCR0 holding @m holds too (SDM 13.3): AVX-512 needs AVX, AVX SSE; pairs. */
static uint64_t with_partners(uint64_t m)
{
	static const uint64_t groups[] = { XS_MASK_AVX512, XS_MASK_MPX, XS_MASK_AMX };

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (m & groups[i])
			m |= groups[i];
	if (m & XS_MASK_AVX512)
		m |= XS_BIT(XS_AVX);
	return m | XS_MASK_FPSSE;
}

static struct xs_recog legacy_rules(const struct xs_rd *rd, struct xs_diag *d)
{
	uint16_t fcw = 0;
	uint32_t mxcsr = 0, mask = 0;
	size_t nz;

	if (!xs_rd_u16le_at(rd, XS_OFF_FCW, &fcw) || !xs_rd_u32le_at(rd, XS_OFF_MXCSR, &mxcsr) ||
	    !xs_rd_u32le_at(rd, XS_OFF_MXCSR_MASK, &mask))
		return fail(d, XS_RECOG_SHORT, rd->len, "cannot read the legacy area");
	if (!fcw && !mxcsr && !mask)
		return fail(d, XS_RECOG_CONTROL, XS_OFF_FCW,
			    NOT_XSAVE "FCW, MXCSR and MXCSR_MASK are all zero; every producer "
			    "writes one of them (FCW 0x37f and MXCSR 0x1f80 at init, the CPU's "
			    "MXCSR_MASK)");
	if (mask && ((mask & MXCSR_MASK_MUST) != MXCSR_MASK_MUST || (mask & ~MXCSR_MASK_MAY)))
		return fail(d, XS_RECOG_MXCSR_MASK, XS_OFF_MXCSR_MASK,
			    NOT_XSAVE "MXCSR_MASK 0x%" PRIx32 " is none a CPU writes (0, or "
			    "0xffbf to 0xffff with at most bit 17 above)", mask);
	nz = first_nonzero(rd, XS_OFF_LEGACY_RESERVED, XS_LEGACY_RESERVED_SIZE);
	if (nz < XS_OFF_LEGACY_RESERVED + XS_LEGACY_RESERVED_SIZE)
		return fail(d, XS_RECOG_LEGACY_RESERVED, nz,
			    NOT_XSAVE "reserved legacy bytes 416..463 are not zero (every "
			    "producer leaves them zero)");
	return (struct xs_recog){ XS_RECOG_OK, 0 };
}

/* Bytes 464..511 of a signal frame: struct _fpx_sw_bytes (Linux uapi sigcontext.h). */
static struct xs_recog sigframe_rules(const struct xs_rd *rd, struct sw_view *sw,
				      struct xs_diag *d)
{
	uint32_t ext = 0;
	size_t nz;

	if (!xs_rd_u32le_at(rd, XS_OFF_SW_EXT_SIZE, &ext) ||
	    !xs_rd_u64le_at(rd, XS_OFF_SW_XFEATURES, &sw->xcr0) ||
	    !xs_rd_u32le_at(rd, XS_OFF_SW_XSTATE_SIZE, &sw->xstate_size))
		return fail(d, XS_RECOG_SHORT, rd->len, "cannot read bytes 464..511");
	if (sw->xstate_size < XS_EXT_OFF)
		return fail(d, XS_RECOG_SIGFRAME, XS_OFF_SW_XSTATE_SIZE,
			    NOT_XSAVE "signal-frame xstate_size %" PRIu32 " is smaller than "
			    "the legacy area and header (576)", sw->xstate_size);
	if (ext != sw->xstate_size + 4)
		return fail(d, XS_RECOG_SIGFRAME, XS_OFF_SW_EXT_SIZE,
			    NOT_XSAVE "signal-frame extended_size %" PRIu32 " is not xstate_size "
			    "%" PRIu32 " + 4", ext, sw->xstate_size);
	if (sw->xcr0 & ~SW_XCR0_KNOWN)
		return fail(d, XS_RECOG_SW_XCR0, XS_OFF_SW_XFEATURES,
			    NOT_XSAVE "signal-frame xfeatures 0x%" PRIx64 " sets bits no CPU "
			    "defines", sw->xcr0);
	nz = first_nonzero(rd, XS_OFF_SW_PADDING, XS_OFF_XSTATE_BV - XS_OFF_SW_PADDING);
	if (nz < XS_OFF_XSTATE_BV)
		return fail(d, XS_RECOG_SIGFRAME, nz,
			    NOT_XSAVE "signal-frame padding (bytes 484..511) is not zero");
	sw->kind = XS_SW_SIGFRAME;
	return (struct xs_recog){ XS_RECOG_OK, 0 };
}

/* Bytes 464..511: zero (hardware, KVM <= 5.15), an XCR0 (kernel uabi buffers), a signal frame's. */
static struct xs_recog sw_rules(const struct xs_rd *rd, struct sw_view *sw, struct xs_diag *d)
{
	uint32_t magic = 0;
	size_t nz;

	memset(sw, 0, sizeof(*sw));
	if (xs_rd_zero_at(rd, XS_OFF_SW, XS_SW_SIZE))
		return (struct xs_recog){ XS_RECOG_OK, 0 };
	if (xs_rd_u32le_at(rd, XS_OFF_SW, &magic) && magic == XS_SIGFRAME_MAGIC1)
		return sigframe_rules(rd, sw, d);
	if (!xs_rd_u64le_at(rd, XS_OFF_SW, &sw->xcr0) || !(sw->xcr0 & XS_BIT(XS_X87)))
		return fail(d, XS_RECOG_SW_BYTES, XS_OFF_SW,
			    NOT_XSAVE "bytes 464..511 hold neither zeros, an XCR0 (bit 0 set) "
			    "nor a signal frame's FP_XSTATE_MAGIC1 0x46505853");
	if (sw->xcr0 & ~SW_XCR0_KNOWN)
		return fail(d, XS_RECOG_SW_XCR0, XS_OFF_SW,
			    NOT_XSAVE "the XCR0 0x%" PRIx64 " at byte 464 sets bits no CPU "
			    "defines", sw->xcr0);
	nz = first_nonzero(rd, XS_OFF_SW + 8, XS_SW_SIZE - 8);
	if (nz < XS_OFF_XSTATE_BV)
		return fail(d, XS_RECOG_SW_BYTES, nz,
			    NOT_XSAVE "bytes 472..511 after the XCR0 at 464 are not zero (the "
			    "kernel writes five zero words there)");
	sw->kind = XS_SW_XCR0;
	return (struct xs_recog){ XS_RECOG_OK, 0 };
}

static struct xs_recog header_rules(uint64_t bv, uint64_t xcomp, struct xs_diag *d)
{
	char names[96];

	if (bv & ~XS_MASK_KNOWN) {
		xs_mask_names(bv & ~XS_MASK_KNOWN, names, sizeof(names));
		return fail(d, XS_RECOG_XSTATE_BV, XS_OFF_XSTATE_BV,
			    NOT_XSAVE "XSTATE_BV 0x%" PRIx64 " sets bits no CPU defines (%s)", bv,
			    names);
	}
	/* XSAVE and KVM_GET_XSAVE write only XCR0's (user) components in the standard format:
	 * supervisor state (CET's 11 and 12 among it) needs XSAVES, which compacts. */
	if (!(xcomp & XS_XCOMP_COMPACTED) && (bv & XS_MASK_SUPERVISOR)) {
		xs_mask_names(bv & XS_MASK_SUPERVISOR, names, sizeof(names));
		return fail(d, XS_RECOG_XSTATE_BV, XS_OFF_XSTATE_BV,
			    "malformed XSAVE state: XSTATE_BV 0x%" PRIx64 " sets supervisor bits "
			    "(%s) in a standard-format area, which no producer writes (only XSAVES "
			    "saves them, compacted; KVM and QEMU carry CET as MSRs)", bv, names);
	}
	if (xcomp & ~XS_XCOMP_COMPACTED & ~XS_MASK_KNOWN) {
		xs_mask_names(xcomp & ~XS_XCOMP_COMPACTED & ~XS_MASK_KNOWN, names, sizeof(names));
		return fail(d, XS_RECOG_XCOMP_BV, XS_OFF_XCOMP_BV,
			    NOT_XSAVE "XCOMP_BV 0x%" PRIx64 " sets bits no CPU defines (%s)", xcomp,
			    names);
	}
	return (struct xs_recog){ XS_RECOG_OK, 0 };
}

/* The layouts to judge sizes with: Intel, AMD, then the caller's. */
static unsigned gather_layouts(struct xs_layout *all, const struct xs_layout *const *more,
			       unsigned nmore)
{
	unsigned n = 0;

	xs_layout_builtin(XS_VENDOR_INTEL, &all[n++]);
	xs_layout_builtin(XS_VENDOR_AMD, &all[n++]);
	for (unsigned i = 0; i < nmore && n < MAX_LAYOUTS; i++)
		if (more[i])
			all[n++] = *more[i];
	return n;
}

static void add_size(uint32_t *sizes, unsigned *n, uint32_t s)
{
	unsigned i = 0;

	while (i < *n && sizes[i] < s)
		i++;
	if ((i < *n && sizes[i] == s) || *n >= MAX_SIZES)
		return;
	memmove(sizes + i + 1, sizes + i, (*n - i) * sizeof(*sizes));
	sizes[i] = s;
	(*n)++;
}

/*
 * Every standard size of a valid XCR0 under @l (the end of each component with
 * its partners), and each rounded up to whole 4 KiB pages: QEMU's xsave_buf,
 * which KVM_GET_XSAVE2 fills, and `xsavectl extract` of a stream.
 */
static void std_sizes(const struct xs_layout *l, uint32_t *sizes, unsigned *n)
{
	add_size(sizes, n, XS_EXT_OFF);
	for (unsigned c = 2; c < XS_NCOMP; c++) {
		uint64_t m = with_partners(XS_BIT(c));
		uint32_t s = xs_layout_std_size(l, m);

		if (m & ~XS_MASK_FPSSE & ~l->placed)
			continue;
		add_size(sizes, n, s);
		if (s > XS_KVM_XSAVE_SIZE)
			add_size(sizes, n, (s + XS_KVM_XSAVE_SIZE - 1) & ~(XS_KVM_XSAVE_SIZE - 1));
	}
}

/* XSAVEC/XSAVES output for XCOMP_BV @xcomp under @l's sizes (0: a size is unknown). */
static uint32_t compacted_size(const struct xs_layout *l, uint64_t xcomp)
{
	uint64_t incl = (xcomp & ~XS_XCOMP_COMPACTED) | XS_MASK_FPSSE;
	uint32_t off[XS_NCOMP], total = 0;

	return xs_layout_compacted(l, incl, off, &total, NULL) ? 0 : total;
}

/* The least size the image's own header and XCR0 need under any layout (0: none fits). */
static uint32_t least_need(const struct xs_layout *all, unsigned n, uint64_t bv, uint64_t xcomp,
			   const struct sw_view *sw)
{
	uint64_t m = bv | (sw->kind != XS_SW_NONE ? sw->xcr0 : 0);
	uint32_t least = 0;

	m = with_partners(m & ~XS_MASK_SUPERVISOR & ~XS_BIT(63));
	for (unsigned i = 0; i < n; i++) {
		uint32_t need = 0;

		if (xcomp & XS_XCOMP_COMPACTED) {
			need = compacted_size(&all[i], xcomp);
		} else if (!(m & ~XS_MASK_FPSSE & ~all[i].placed)) {
			need = xs_layout_std_size(&all[i], m);
		}
		if (need && (!least || need < least))
			least = need;
	}
	return least;
}

/* "576, 832, ..." */
static void size_list(const uint32_t *sizes, unsigned n, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%" PRIu32, i ? ", " : "", sizes[i]);
}

static bool size_known(const uint32_t *sizes, unsigned n, size_t size)
{
	for (unsigned i = 0; i < n; i++)
		if (sizes[i] == size)
			return true;
	return false;
}

/* A signal frame's fpstate: xstate_size bytes, perhaps followed by FP_XSTATE_MAGIC2. */
static struct xs_recog sigframe_size(const struct xs_rd *rd, const struct sw_view *sw,
				     struct xs_diag *d)
{
	uint32_t magic2 = 0;
	size_t size = rd->len;

	if (size == sw->xstate_size || size < sw->xstate_size)
		return (struct xs_recog){ XS_RECOG_OK, 0 };	/* whole, or cut (parse says so) */
	if (size != (size_t)sw->xstate_size + 4)
		return fail(d, XS_RECOG_SIZE, size,
			    NOT_XSAVE "a %zu-byte file is no size a signal frame with xstate_size "
			    "%" PRIu32 " gives (%" PRIu32 ", or %" PRIu32 " with FP_XSTATE_MAGIC2)",
			    size, sw->xstate_size, sw->xstate_size, sw->xstate_size + 4);
	if (!xs_rd_u32le_at(rd, sw->xstate_size, &magic2) || magic2 != XS_SIGFRAME_MAGIC2)
		return fail(d, XS_RECOG_MAGIC2, sw->xstate_size,
			    NOT_XSAVE "a signal frame's 4 bytes after its xstate_size %" PRIu32
			    " are not FP_XSTATE_MAGIC2 0x46505845", sw->xstate_size);
	return (struct xs_recog){ XS_RECOG_OK, 0 };
}

static struct xs_recog size_rule(const struct xs_rd *rd, uint64_t bv, uint64_t xcomp,
				 const struct sw_view *sw, const struct xs_layout *const *more,
				 unsigned nmore, struct xs_diag *d)
{
	struct xs_layout all[MAX_LAYOUTS];
	uint32_t sizes[MAX_SIZES];
	unsigned n = gather_layouts(all, more, nmore), ns = 0;
	char list[MAX_SIZES * 8];
	size_t size = rd->len;

	if (sw->kind == XS_SW_SIGFRAME)
		return sigframe_size(rd, sw, d);
	add_size(sizes, &ns, XS_KVM_XSAVE_SIZE);
	for (unsigned i = 0; i < n; i++) {
		std_sizes(&all[i], sizes, &ns);
		if ((xcomp & XS_XCOMP_COMPACTED) && compacted_size(&all[i], xcomp))
			add_size(sizes, &ns, compacted_size(&all[i], xcomp));
	}
	if (size_known(sizes, ns, size) || size < least_need(all, n, bv, xcomp, sw))
		return (struct xs_recog){ XS_RECOG_OK, 0 };
	size_list(sizes, ns, list, sizeof(list));
	return fail(d, XS_RECOG_SIZE, size,
		    NOT_XSAVE "%zu bytes is no size XSAVE producers write (kvm_xsave's 4096, "
		    "Intel/AMD/host standard areas and their 4 KiB pages%s: %s)", size,
		    xcomp & XS_XCOMP_COMPACTED ? ", XCOMP_BV's compacted size" : "", list);
}

struct xs_recog xs_image_recognise(const uint8_t *img, size_t size,
				   const struct xs_layout *const *layouts, unsigned nlayouts,
				   struct xs_diag *d)
{
	struct xs_rd rd = xs_rd_init(img, size, 0);
	struct xs_recog r;
	struct sw_view sw;
	uint64_t bv = 0, xcomp = 0;

	if (size == 0)
		return fail(d, XS_RECOG_SHORT, 0, "empty input: no bytes at all (an XSAVE area "
			    "needs at least 576: legacy area and header)");
	if (size < XS_EXT_OFF || !xs_rd_u64le_at(&rd, XS_OFF_XSTATE_BV, &bv) ||
	    !xs_rd_u64le_at(&rd, XS_OFF_XCOMP_BV, &xcomp))
		return fail(d, XS_RECOG_SHORT, size,
			    "file ends after %zu bytes; an XSAVE area needs at least 576 (legacy "
			    "area and header)", size);
	r = legacy_rules(&rd, d);
	if (r.rule == XS_RECOG_OK)
		r = sw_rules(&rd, &sw, d);
	if (r.rule == XS_RECOG_OK)
		r = header_rules(bv, xcomp, d);
	if (r.rule == XS_RECOG_OK)
		r = size_rule(&rd, bv, xcomp, &sw, layouts, nlayouts, d);
	return r;
}

const char *xs_recog_rule_name(enum xs_recog_rule rule)
{
	static const char *const names[XS_RECOG_NRULES] = {
		[XS_RECOG_OK] = "recognised",
		[XS_RECOG_SHORT] = "short",
		[XS_RECOG_CONTROL] = "control_words_zero",
		[XS_RECOG_MXCSR_MASK] = "mxcsr_mask",
		[XS_RECOG_LEGACY_RESERVED] = "legacy_reserved",
		[XS_RECOG_SW_BYTES] = "software_bytes",
		[XS_RECOG_SW_XCR0] = "software_xcr0",
		[XS_RECOG_SIGFRAME] = "signal_frame",
		[XS_RECOG_XSTATE_BV] = "xstate_bv",
		[XS_RECOG_XCOMP_BV] = "xcomp_bv",
		[XS_RECOG_SIZE] = "size",
		[XS_RECOG_MAGIC2] = "signal_frame_magic2",
	};

	return (unsigned)rule < XS_RECOG_NRULES ? names[rule] : "unknown";
}
