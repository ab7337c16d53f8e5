// SPDX-License-Identifier: MIT
/* The pre-check of a live migration: see include/xsave/precheck.h. */
#include <string.h>

#include <xsave/precheck.h>
#include <xsave/internal.h>
#include <xsave/rules.h>

/* One CPUID feature bit that enables XSAVE components in a guest (QEMU's table). */
struct feature_comps {
	uint32_t leaf, subleaf;
	enum xs_cpuid_reg reg;
	uint32_t bit;
	uint64_t comps;
};

#define CPUID1_ECX_XSAVE (1u << 26)
/* MXCSR after reset (SDM Vol. 1 10.2.3): no reserved bit. */
#define MXCSR_RESET 0x1f80u

static const struct feature_comps feature_comps[] = {
	{ .leaf = 1, .reg = XS_REG_ECX, .bit = 1u << 28, .comps = XS_BIT(XS_AVX) },
	{ .leaf = 7, .reg = XS_REG_EBX, .bit = 1u << 14, .comps = XS_MASK_MPX },
	{ .leaf = 7, .reg = XS_REG_EBX, .bit = 1u << 16, .comps = XS_MASK_AVX512 },
	{ .leaf = 7, .reg = XS_REG_ECX, .bit = 1u << 3, .comps = XS_BIT(XS_PKRU) },
	{ .leaf = 7, .reg = XS_REG_EDX, .bit = 1u << 24, .comps = XS_MASK_AMX },
	{ .leaf = 7, .subleaf = 1, .reg = XS_REG_EDX, .bit = 1u << 21, .comps = XS_BIT(XS_APX) },
};
#define N_FEATURE_COMPS (sizeof(feature_comps) / sizeof(feature_comps[0]))

void xs_cpuid_components(uint32_t leaf, uint32_t subleaf, enum xs_cpuid_reg reg, uint32_t bits,
			 uint64_t *comps, bool *xsave)
{
	/* Leaf 1 has no sub-leaves: whatever ecx_in a map gives it is ignored. */
	if (leaf == 1)
		subleaf = 0;
	if (leaf == 1 && reg == XS_REG_ECX && (bits & CPUID1_ECX_XSAVE))
		*xsave = true;
	for (size_t i = 0; i < N_FEATURE_COMPS; i++) {
		const struct feature_comps *f = &feature_comps[i];

		if (f->leaf == leaf && f->subleaf == subleaf && f->reg == reg && (bits & f->bit))
			*comps |= f->comps;
	}
}

uint64_t xs_guest_xcr0(bool xsave, uint64_t comps)
{
	uint64_t g = XS_MASK_FPSSE;

	if (!xsave)
		return g;
	g |= comps & XS_MASK_USER_KNOWN;
	if (!(g & XS_BIT(XS_AVX)))
		g &= ~XS_MASK_AVX512;
	return g;
}

bool xs_source_leaks(enum xs_dest_kernel k)
{
	return k != XS_DK_FIXED && k != XS_DK_NEEDS_PATCH && k != XS_DK_PRE_5_16;
}

/*
 * The worst state the source sends: every component of @bv with live data
 * (no init value to strip for free), the guest XCR0 recorded (streams carry
 * it), registers by field (QEMU builds the destination's buffer itself).
 */
static void model_state(uint64_t bv, uint64_t guest, struct xs_state *st)
{
	memset(st, 0, sizeof(*st));
	st->xstate_bv = bv;
	st->located = bv;
	st->mxcsr = MXCSR_RESET;
	st->mxcsr_mask = XS_MXCSR_MASK_DEFAULT;
	st->guest_known = true;
	st->guest_xcr0 = guest;
	st->by_field = true;
}

void xs_precheck(uint64_t guest, const struct xs_source *src, const struct xs_target *dst,
		 struct xs_migration *m)
{
	struct xs_state st;
	uint64_t g;

	memset(m, 0, sizeof(*m));
	m->not_on_source = guest & ~src->xcr0 & ~XS_MASK_FPSSE;
	g = guest & ~m->not_on_source;
	m->guest = g;
	m->leaks = xs_source_leaks(src->kernel);
	/*
	 * A leaking kernel reports what the guest's FPU buffer holds of the
	 * host's components: at worst every one its KVM hands out.  AMX tile
	 * data is dynamic: it is in a guest's buffer only with the guest's
	 * permission, which QEMU asks for only for a guest with AMX.
	 */
	if (m->leaks) {
		m->leaked = src->xcr0 & ~g;
		if (!(g & XS_MASK_AMX))
			m->leaked &= ~XS_BIT(XS_TILEDATA);
	}
	m->sent = g | m->leaked;
	model_state(m->sent, g, &st);
	xs_check_state(&st, dst, &m->check);
	m->refused = m->check.strip;
	m->by_kernel = m->check.refused;
	m->lacks = (m->check.lose | m->check.guest_outside) & g;
	if (m->not_on_source)
		m->outcome = XS_MIG_NOT_ON_SOURCE;
	else if (m->check.verdict == XS_VERDICT_INCOMPATIBLE)
		m->outcome = XS_MIG_LACKS;
	else if (m->check.verdict == XS_VERDICT_FIXABLE)
		m->outcome = XS_MIG_REFUSED;
	else
		m->outcome = XS_MIG_LOADS;
}

const char *xs_mig_outcome_name(enum xs_mig_outcome o)
{
	switch (o) {
	case XS_MIG_LOADS:
		return "loads";
	case XS_MIG_REFUSED:
		return "refused";
	case XS_MIG_LACKS:
		return "lacks";
	case XS_MIG_NOT_ON_SOURCE:
		break;
	}
	return "not-on-source";
}
