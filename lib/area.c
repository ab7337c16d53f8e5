// SPDX-License-Identifier: MIT
/*
 * Decode one XSAVE image: header (SDM Vol. 1 13.4.2), software bytes 464..511
 * (Linux: signal frame vs. ptrace/core/KVM convention), layout choice, and the
 * location of every component in standard or compacted form (SDM 13.4.3).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xsave/area.h>
#include <xsave/rd.h>
#include <xsave/internal.h>

/* Components whose standard offsets differ between Intel and AMD. */
#define VENDOR_DEPENDENT (XS_MASK_AVX512 | XS_BIT(XS_PKRU))
/* Components only Intel parts have (as far as any recorded CPUID shows). */
#define INTEL_ONLY (XS_MASK_MPX | XS_MASK_AMX | XS_BIT(XS_APX))

static void read_sw_bytes(struct xs_state *st, const struct xs_rd *rd)
{
	uint32_t magic = 0;
	uint64_t v = 0;

	st->sw = XS_SW_NONE;
	if (xs_rd_zero_at(rd, XS_OFF_SW, XS_SW_SIZE))
		return;
	if (xs_rd_u32le_at(rd, XS_OFF_SW, &magic) && magic == XS_SIGFRAME_MAGIC1 &&
	    xs_rd_u64le_at(rd, XS_OFF_SW + 8, &v) &&
	    xs_rd_u32le_at(rd, XS_OFF_SW + 16, &st->sw_xstate_size)) {
		st->sw = XS_SW_SIGFRAME;
		st->sw_xcr0 = v;
		return;
	}
	/* Kernel uabi buffers: u64 XCR0 then five zero words (Linux xstate_fx_sw_bytes). */
	if (xs_rd_u64le_at(rd, XS_OFF_SW, &v) && (v & XS_BIT(XS_X87)) && !(v & XS_BIT(63)) &&
	    xs_rd_zero_at(rd, XS_OFF_SW + 8, XS_SW_SIZE - 8)) {
		st->sw = XS_SW_XCR0;
		st->sw_xcr0 = v;
		return;
	}
	st->sw = XS_SW_OTHER;
}

/*
 * Components an XCR0 holding @m must also hold (SDM 13.3: AVX needs SSE,
 * AVX-512 is all three bits and needs AVX, MPX and AMX are pairs): a standard
 * image reserves their areas even where XSTATE_BV leaves them at init.
 */
static uint64_t xcr0_closure(uint64_t m)
{
	if (m & XS_MASK_AVX512)
		m |= XS_MASK_AVX512 | XS_BIT(XS_AVX);
	if (m & XS_BIT(XS_AVX))
		m |= XS_BIT(XS_SSE);
	if (m & XS_MASK_MPX)
		m |= XS_MASK_MPX;
	if (m & XS_MASK_AMX)
		m |= XS_MASK_AMX;
	return m;
}

/*
 * Could layout @l have written this image?  Kernel buffers (KVM_GET_XSAVE,
 * ptrace, cores) are zeroed outside the components they report, so a
 * non-zero byte past the header that lies in none of @need's areas under @l
 * rules @l out.
 */
static bool bytes_fit_layout(const struct xs_state *st, const struct xs_layout *l, uint64_t need)
{
	for (size_t i = XS_EXT_OFF; i < st->size; i++) {
		bool inside = false;

		if (!st->img[i])
			continue;
		for (unsigned c = 2; c < XS_NCOMP && !inside; c++)
			inside = (need & l->placed & XS_BIT(c)) && i >= l->offset[c] &&
				 i < (size_t)l->offset[c] + l->size[c];
		if (!inside)
			return false;
	}
	return true;
}

/* Are the vendor-dependent components all zero under @l (so either layout decodes the same)? */
static bool vendor_areas_zero(const struct xs_state *st, const struct xs_layout *l, uint64_t need)
{
	struct xs_rd rd = xs_rd_init(st->img, st->size, 0);

	for (unsigned c = 0; c < XS_NCOMP; c++)
		if ((need & VENDOR_DEPENDENT & XS_BIT(c)) &&
		    (l->offset[c] + l->size[c] > st->size ||
		     !xs_rd_zero_at(&rd, l->offset[c], l->size[c])))
			return false;
	return true;
}

static void use_builtin(struct xs_state *st, enum xs_vendor v, const char *name)
{
	xs_layout_builtin(v, &st->layout);
	if (name)
		snprintf(st->layout.name, sizeof(st->layout.name), "%s", name);
}

/* Pick the standard-format layout as gdb's i387_guess_xsave_layout does. */
static int choose_std_layout(struct xs_state *st, uint64_t need, const struct xs_parse_opts *o,
			     struct xs_diag *d)
{
	char names[96];
	struct xs_layout intel, amd;
	uint32_t si, sa;
	int rc;

	xs_mask_names(need, names, sizeof(names));
	if (!(need & ~(XS_MASK_FPSSE | XS_BIT(XS_AVX)))) {
		use_builtin(st, XS_VENDOR_INTEL, "common");
		snprintf(st->layout_reason, sizeof(st->layout_reason),
			 "components %s sit at the same offsets on every vendor", names);
		return 0;
	}
	if (need & INTEL_ONLY) {
		use_builtin(st, XS_VENDOR_INTEL, NULL);
		snprintf(st->layout_reason, sizeof(st->layout_reason),
			 "components %s: MPX, AMX and APX exist only in the Intel layout", names);
		return 0;
	}
	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	xs_layout_builtin(XS_VENDOR_AMD, &amd);
	si = xs_layout_std_size(&intel, need);
	sa = xs_layout_std_size(&amd, need);
	if (st->size == si || st->size == sa) {
		use_builtin(st, st->size == si ? XS_VENDOR_INTEL : XS_VENDOR_AMD, NULL);
		snprintf(st->layout_reason, sizeof(st->layout_reason),
			 "size %zu is the %s standard size for components %s", st->size,
			 st->size == si ? "Intel" : "AMD", names);
		return 0;
	}
	/* Sizes do not tell: the image's own bytes may (a kernel zeroes what it does not report). */
	bool fi = bytes_fit_layout(st, &intel, need), fa = bytes_fit_layout(st, &amd, need);

	if (fi != fa) {
		use_builtin(st, fi ? XS_VENDOR_INTEL : XS_VENDOR_AMD, NULL);
		snprintf(st->layout_reason, sizeof(st->layout_reason),
			 "size %zu fits the Intel (%u) and AMD (%u) layouts; only the %s one has an area under every non-zero byte",
			 st->size, si, sa, fi ? "Intel" : "AMD");
		return 0;
	}
	if (fi && vendor_areas_zero(st, &intel, need) && vendor_areas_zero(st, &amd, need)) {
		use_builtin(st, XS_VENDOR_INTEL, NULL);
		snprintf(st->layout_reason, sizeof(st->layout_reason),
			 "size %zu fits the Intel (%u) and AMD (%u) layouts; AVX-512 and PKRU are zero under both, so every register reads the same",
			 st->size, si, sa);
		return 0;
	}
	if (o->host && (o->host->placed & need) == need) {
		st->layout = *o->host;
		snprintf(st->layout_reason, sizeof(st->layout_reason),
			 "size %zu fits the Intel (%u) and AMD (%u) layouts; using this host's CPUID leaf 0xd",
			 st->size, si, sa);
		return 0;
	}
	rc = XS_FAIL_AT(d, XS_ELAYOUT, XS_OFF_SW,
			"cannot tell the Intel layout (%u bytes) from the AMD one (%u bytes) for components %s in a %zu-byte image: the layout must be given",
			si, sa, names, st->size);
	if (d)
		d->hint = XS_HINT_LAYOUT;
	return rc;
}

/*
 * A kernel buffer shorter than its XCR0's standard area (KVM_GET_XSAVE's 4096
 * bytes on an AMX host): the kernel copied the first st->size bytes and
 * stopped, so components that do not fit are absent.  Fine unless XSTATE_BV
 * says one of them holds data.
 */
static int cut_short(struct xs_state *st, uint64_t *need, uint32_t *end, struct xs_diag *d)
{
	const struct xs_layout *l = &st->layout;
	uint64_t beyond = 0;
	char names[96];

	for (unsigned i = 2; i < XS_NCOMP; i++)
		if ((*need & XS_BIT(i)) && (size_t)l->offset[i] + l->size[i] > st->size)
			beyond |= XS_BIT(i);
	if (beyond & st->xstate_bv) {
		xs_mask_names(beyond & st->xstate_bv, names, sizeof(names));
		return XS_FAIL_AT(d, XS_ETRUNC, st->size,
				  "XSTATE_BV has %s, which layout %s places beyond the end of the %zu-byte buffer",
				  names, l->name, st->size);
	}
	st->full_size = *end;
	st->beyond = beyond;
	*need &= ~beyond;
	*end = xs_layout_std_size(l, *need);
	return 0;
}

static int locate_std(struct xs_state *st, uint64_t need, struct xs_diag *d)
{
	const struct xs_layout *l = &st->layout;
	uint64_t missing = need & ~l->placed;
	uint32_t end;
	char names[96];
	int rc;

	if (missing & ~XS_MASK_KNOWN) {
		xs_mask_names(missing & ~XS_MASK_KNOWN, names, sizeof(names));
		return XS_FAIL_AT(d, XS_EFORMAT, XS_OFF_XSTATE_BV,
				  "not an XSAVE image: XSTATE_BV 0x%" PRIx64 " sets bits no CPU defines (%s)",
				  st->xstate_bv, names);
	}
	if (missing) {
		xs_mask_names(missing, names, sizeof(names));
		return XS_FAIL_AT(d, XS_ELAYOUT, XS_OFF_XSTATE_BV, "layout %s has no standard offset for %s",
				  l->name, names);
	}
	end = xs_layout_std_size(l, need);
	if (st->size < end && st->sw == XS_SW_XCR0 && (rc = cut_short(st, &need, &end, d)))
		return rc;
	if (st->size < end) {
		xs_mask_names(need, names, sizeof(names));
		return XS_FAIL_AT(d, XS_ETRUNC, st->size,
				  "image ends at %zu bytes but layout %s needs %u bytes for components %s",
				  st->size, l->name, end, names);
	}
	for (unsigned i = 0; i < XS_NCOMP; i++)
		if (need & XS_BIT(i)) {
			st->off[i] = l->offset[i];
			st->len[i] = l->size[i];
		}
	st->located = need;
	st->used_size = end;
	return 0;
}

static int locate_compacted(struct xs_state *st, struct xs_diag *d)
{
	uint64_t incl = (st->xcomp_bv & ~XS_XCOMP_COMPACTED) | XS_MASK_FPSSE;
	uint64_t unknown = (incl | st->xstate_bv) & ~XS_MASK_KNOWN;
	uint32_t total;
	char names[96];
	int rc;

	if (unknown) {
		xs_mask_names(unknown, names, sizeof(names));
		return XS_FAIL_AT(d, XS_EFORMAT, XS_OFF_XSTATE_BV,
				  "not an XSAVE image: XSTATE_BV/XCOMP_BV set bits no CPU defines (%s)",
				  names);
	}
	rc = xs_layout_compacted(&st->layout, incl, st->off, &total, d);
	if (rc)
		return rc;
	if (st->size < total) {
		return XS_FAIL_AT(d, XS_ETRUNC, st->size,
				  "compacted image ends at %zu bytes but XCOMP_BV 0x%" PRIx64
				  " needs %u bytes", st->size, st->xcomp_bv, total);
	}
	for (unsigned i = 0; i < XS_NCOMP; i++)
		if (incl & XS_BIT(i))
			st->len[i] = st->layout.size[i];
	st->located = incl;
	st->used_size = total;
	return 0;
}

static bool x87_init(const struct xs_rd *rd)
{
	uint16_t fcw = 0;

	if (!xs_rd_u16le_at(rd, 0, &fcw) || fcw != 0x037f || !xs_rd_zero_at(rd, 2, 22))
		return false;
	for (unsigned i = 0; i < 8; i++)
		if (!xs_rd_zero_at(rd, XS_OFF_ST0 + XS_ST_STRIDE * i, 10))
			return false;
	return true;
}

bool xs_comp_data_init(const struct xs_state *st, unsigned bit)
{
	struct xs_rd rd = xs_rd_init(st->img, st->size, 0);

	if (bit >= XS_NCOMP || !(st->located & XS_BIT(bit)))
		return true;	/* no data area: nothing but the init value can load */
	if (bit == XS_X87)
		return x87_init(&rd);
	if (bit == XS_SSE)
		return xs_rd_zero_at(&rd, XS_OFF_XMM0, XS_XMM_BYTES);
	return xs_rd_zero_at(&rd, st->off[bit], st->len[bit]);
}

uint64_t xs_state_data_mask(const struct xs_state *st)
{
	uint64_t m = st->located & ~st->init;

	if ((st->located & XS_BIT(XS_SSE)) && st->mxcsr != XS_MXCSR_INIT)
		m |= XS_BIT(XS_SSE);
	if (st->guest_known)
		m &= st->guest_xcr0 | XS_MASK_FPSSE;
	return m & ~XS_MASK_SUPERVISOR;
}

static void find_problems(struct xs_state *st, const struct xs_rd *rd)
{
	uint64_t own_xcr0 = st->sw == XS_SW_XCR0 || st->sw == XS_SW_SIGFRAME ? st->sw_xcr0 : 0;

	if (!st->compacted && st->xcomp_bv)
		st->problems |= XS_PROB_XCOMP_STD;
	if (!xs_rd_zero_at(rd, XS_OFF_HDR_RESERVED, XS_HDR_RESERVED_SIZE))
		st->problems |= XS_PROB_RESERVED;
	if (st->mxcsr & ~st->mxcsr_mask)
		st->problems |= XS_PROB_MXCSR;
	if (st->xstate_bv & ~st->located)
		st->problems |= XS_PROB_BV_NO_AREA;
	if (own_xcr0 && (st->xstate_bv & ~own_xcr0 & ~XS_MASK_SUPERVISOR))
		st->problems |= XS_PROB_BV_BEYOND_XCR0;
	if (own_xcr0 && st->compacted &&
	    (st->xcomp_bv & ~XS_XCOMP_COMPACTED & ~own_xcr0 & ~XS_MASK_SUPERVISOR))
		st->problems |= XS_PROB_XCOMP_BEYOND_XCR0;
}

uint64_t xs_state_components(const struct xs_state *st)
{
	uint64_t m = XS_MASK_FPSSE | st->xstate_bv | (st->xcomp_bv & ~XS_XCOMP_COMPACTED);

	if (st->sw == XS_SW_XCR0 || st->sw == XS_SW_SIGFRAME)
		m |= st->sw_xcr0;
	if (st->guest_known)
		m |= st->guest_xcr0;
	return m | st->located;
}

int xs_state_parse(struct xs_state *st, uint8_t *img, size_t size,
		   const struct xs_parse_opts *o, struct xs_diag *d)
{
	static const struct xs_parse_opts defaults = { 0 };
	struct xs_rd rd = xs_rd_init(img, size, 0);
	uint64_t need;
	int rc;

	if (!o)
		o = &defaults;	/* the layout from the image alone */
	memset(st, 0, sizeof(*st));
	st->img = img;
	st->size = size;
	if (size > XS_IMAGE_LIMIT)
		return XS_FAIL_AT(d, XS_ELIMIT, 0, "image of %zu bytes is over the %u-byte limit",
				  size, XS_IMAGE_LIMIT);
	if (size == 0)
		return XS_FAIL_AT(d, XS_ETRUNC, 0, "empty input: no bytes at all (an XSAVE area "
				  "needs at least 576: legacy area and header)");
	if (!xs_rd_u64le_at(&rd, XS_OFF_XSTATE_BV, &st->xstate_bv) ||
	    !xs_rd_u64le_at(&rd, XS_OFF_XCOMP_BV, &st->xcomp_bv))
		return XS_FAIL_AT(d, XS_ETRUNC, size,
				  "file ends after %zu bytes; an XSAVE area needs at least 576 (legacy area and header)",
				  size);
	if (!xs_rd_u32le_at(&rd, XS_OFF_MXCSR, &st->mxcsr) ||
	    !xs_rd_u32le_at(&rd, XS_OFF_MXCSR_MASK, &st->mxcsr_mask_raw))
		return XS_FAIL_AT(d, XS_ETRUNC, XS_OFF_MXCSR, "cannot read MXCSR");
	/*
	 * Hardware never writes 0 on a CPU with DAZ, but software producers do
	 * (gdb's gcore zeroes the field): 0 is "not recorded", and only bits
	 * 16..31, reserved on every x86-64 CPU but AMD's MM bit, are judged.
	 */
	st->mxcsr_mask = st->mxcsr_mask_raw ? st->mxcsr_mask_raw : XS_MXCSR_MASK_UNRECORDED;
	st->compacted = (st->xcomp_bv & XS_XCOMP_COMPACTED) != 0;
	read_sw_bytes(st, &rd);
	if (st->sw == XS_SW_SIGFRAME && (st->sw_xstate_size < XS_EXT_OFF || st->sw_xstate_size > size))
		return XS_FAIL_AT(d, XS_ETRUNC, XS_OFF_SW + 16,
				  "signal-frame xstate_size %u does not fit the %zu-byte file",
				  st->sw_xstate_size, size);

	need = st->xstate_bv | (st->sw != XS_SW_NONE && st->sw != XS_SW_OTHER ? st->sw_xcr0 : 0);
	need = xcr0_closure((need & ~XS_MASK_SUPERVISOR & ~XS_BIT(63)) | XS_MASK_FPSSE);
	if (st->compacted) {
		if (o->force)
			st->layout = *o->force;
		else if (o->host && (o->host->sized & st->xcomp_bv & ~XS_XCOMP_COMPACTED) ==
					    (st->xcomp_bv & ~XS_XCOMP_COMPACTED & ~XS_MASK_FPSSE))
			st->layout = *o->host;
		else
			use_builtin(st, XS_VENDOR_INTEL, "sdm");
		snprintf(st->layout_reason, sizeof(st->layout_reason), "%s%s",
			 "compacted: offsets follow from XCOMP_BV and the component sizes",
			 o->force ? " (sizes from the layout given)" : "");
		rc = locate_compacted(st, d);
	} else {
		if (o->force) {
			st->layout = *o->force;
			snprintf(st->layout_reason, sizeof(st->layout_reason), "%s", o->force_why);
			rc = 0;
		} else {
			rc = choose_std_layout(st, need, o, d);
		}
		if (!rc)
			rc = locate_std(st, need | (o->locate_also & st->layout.placed), d);
	}
	if (rc)
		return rc;
	for (unsigned i = 0; i < XS_NCOMP; i++)
		if ((st->located & XS_BIT(i)) && xs_comp_data_init(st, i))
			st->init |= XS_BIT(i);
	find_problems(st, &rd);
	return 0;
}

static const struct {
	const char *name;
	const char *desc;
} problems[XS_PROB_COUNT] = {
	{ "xcomp_bv_in_standard", "XCOMP_BV is not zero in a standard-format image" },
	{ "reserved_header_bytes", "header bytes 528..575 are not zero" },
	{ "mxcsr_reserved_bits", "MXCSR has bits set outside MXCSR_MASK" },
	{ "xstate_bv_without_area", "XSTATE_BV has bits with no data area in this format" },
	{ "xstate_bv_beyond_xcr0", "XSTATE_BV has bits outside the XCR0 at byte 464" },
	{ "xcomp_bv_beyond_xcr0", "XCOMP_BV has bits outside the XCR0 at byte 464" },
};

const char *xs_problem_name(unsigned prob)
{
	for (unsigned i = 0; i < XS_PROB_COUNT; i++)
		if (prob == 1u << i)
			return problems[i].name;
	return "unknown";
}

const char *xs_problem_desc(unsigned prob)
{
	for (unsigned i = 0; i < XS_PROB_COUNT; i++)
		if (prob == 1u << i)
			return problems[i].desc;
	return "unknown problem";
}
