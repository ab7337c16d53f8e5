// SPDX-License-Identifier: MIT
/*
 * Emitting host facts (the host command's report, which is also the saved
 * profile's JSON) and the targets of check and filter.
 */
#include <stdio.h>
#include <string.h>

#include <xsave/hostinfo.h>

#include "fmt/input.h"
#include "out/show.h"
#include "targets.h"
#include "sys/dest_facts.h"
#include "sys/profile_file.h"

void show_fact(struct out *o, const char *key, const struct xs_fact *f)
{
	if (f->have)
		out_u64(o, key, f->v);
	else
		out_null(o, key);
}


static void str_or_null(struct out *o, const char *key, const char *s)
{
	if (s[0])
		out_str(o, key, s);
	else
		out_null(o, key);
}

/* The target's kernel rule and QEMU: what decides a state beyond the guest XCR0. */
static void show_target_dest(struct out *o, const struct xs_target *t)
{
	out_str(o, "kernel", xs_dest_kernel_name(t->kernel));
	if (t->kernel == XS_DK_UNKNOWN || t->kernel == XS_DK_INCONCLUSIVE)
		out_note(o, "(judged as needs-patch)");
	str_or_null(o, "kernel_release", t->kernel_release);
	if (t->qemu_version)
		out_strf(o, "qemu", "%u.%u.%u", t->qemu_version / 10000,
			 t->qemu_version / 100 % 100, t->qemu_version % 100);
	else
		out_null(o, "qemu");
}

void show_target(struct out *o, const char *key, const struct xs_targetopt *t)
{
	out_obj(o, key);
	if (!key)
		out_str(o, "name", t->name);
	out_mask(o, "xcr0", t->t.xcr0);
	out_str(o, "from", t->from);
	if (t->from_facts) {
		/* The mask of host facts: KVM's answer, or an estimate without /dev/kvm. */
		out_bool(o, "estimated", t->estimated);
		out_str(o, "why", t->basis);
		if (!key)
			out_text_hide(o);
	}
	if (t->profile_arg || !key) {
		out_str(o, "host", t->host[0] ? t->host : "-");
		if (t->t.have_mxcsr_mask)
			out_strf(o, "mxcsr_mask", "0x%08x", t->t.mxcsr_mask);
		else
			out_null(o, "mxcsr_mask");
	}
	show_target_dest(o, &t->t);
	out_end(o);
}

static void fact_mask(struct out *o, const char *key, const struct xs_fact *f)
{
	if (f->have) {
		out_mask(o, key, f->v);
		return;
	}
	out_null(o, key);
	if (f->err)
		out_note(o, "(%s)", strerror(f->err));
}

static void show_flags(struct out *o, const struct xs_hostinfo *h)
{
	static const struct {
		const char *name;
		int leaf;	/* 1: 1.ECX, 2: 7.EBX, 3: 7.ECX, 4: 7.EDX, 5: 7.1.EDX */
		uint32_t bit;
	} flags[] = {
		{ "xsave", 1, XS_CPUID1_ECX_XSAVE },	     { "osxsave", 1, XS_CPUID1_ECX_OSXSAVE },
		{ "avx", 1, XS_CPUID1_ECX_AVX },	     { "mpx", 2, XS_CPUID7_EBX_MPX },
		{ "avx512f", 2, XS_CPUID7_EBX_AVX512F },     { "pku", 3, XS_CPUID7_ECX_PKU },
		{ "ospke", 3, XS_CPUID7_ECX_OSPKE },	     { "amx_tile", 4, XS_CPUID7_EDX_AMX_TILE },
		{ "apx_f", 5, XS_CPUID7_1_EDX_APX_F },
	};
	const uint32_t regs[] = { 0, h->cpuid1_ecx, h->cpuid7_ebx, h->cpuid7_ecx, h->cpuid7_edx,
				  h->cpuid7_1_edx };
	const bool have[] = { false, h->have_leaf1, h->have_leaf7, h->have_leaf7, h->have_leaf7,
			      h->have_leaf7_1 };

	out_arr(o, "cpu_flags");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (have[flags[i].leaf] && (regs[flags[i].leaf] & flags[i].bit))
			out_str(o, NULL, flags[i].name);
	out_end(o);
}

static void show_cpu(struct out *o, const struct xs_hostinfo *h)
{
	out_obj(o, "cpu");
	out_str(o, "vendor", h->d.vendor);
	out_str(o, "brand", h->brand);
	out_str(o, "codename", h->codename);
	if (h->have_fms) {
		out_u64(o, "family", (uint64_t)h->family);
		out_u64(o, "model", (uint64_t)h->model);
		out_u64(o, "stepping", (uint64_t)h->stepping);
	} else {
		out_null(o, "family");
		out_null(o, "model");
		out_null(o, "stepping");
	}
	out_end(o);
	show_flags(o, h);
}

static void show_components_table(struct out *o, const struct xs_cpuid_d *d, uint64_t mask)
{
	out_arr(o, "components");
	for (unsigned i = 2; i < XS_NCOMP; i++) {
		if (!(mask & XS_BIT(i)) || !(d->valid & XS_BIT(i)))
			continue;
		out_obj(o, NULL);
		out_u64(o, "bit", i);
		out_str(o, "name", xs_comp_info(i)->name);
		out_u64(o, "size", d->eax[i]);
		if (d->ecx[i] & 1)
			out_null(o, "offset");
		else
			out_u64(o, "offset", d->ebx[i]);
		out_bool(o, "supervisor", d->ecx[i] & 1);
		out_bool(o, "align64", d->ecx[i] & 2);
		out_bool(o, "xfd", d->ecx[i] & 4);
		out_end(o);
	}
	out_end(o);
}

static void show_xsave(struct out *o, const struct xs_hostinfo *h)
{
	static const char *const insn[] = { "xsaveopt", "xsavec", "xgetbv1", "xsaves", "xfd" };
	uint64_t xcr0 = xs_host_supported_xcr0(h), xss = xs_host_supported_xss(h);

	out_obj(o, "xsave");
	out_bool(o, "present", xs_host_has_xsave(h));
	out_bool(o, "enabled_by_os", xs_host_os_xsave(h));
	out_arr(o, "instructions");
	for (unsigned i = 0; i < 5 && xs_host_has_xsave(h) && (h->d.valid & 2); i++)
		if (h->d.eax[1] & (1u << i))
			out_str(o, NULL, insn[i]);
	out_end(o);
	out_mask(o, "supported_xcr0", xcr0);
	out_mask(o, "supported_xss", xss);
	if (xs_host_has_xsave(h)) {
		out_u64(o, "size_enabled", h->d.ebx[0]);
		out_note(o, "(standard format, XCR0 as set now)");
		out_u64(o, "size_supported", h->d.ecx[0]);
		out_note(o, "(standard format, every supported component)");
		out_u64(o, "size_compacted", (h->d.valid & 2) ? h->d.ebx[1] : 0);
		out_note(o, "(XSAVES: XCR0 | IA32_XSS)");
	}
	show_components_table(o, &h->d, xs_host_has_xsave(h) ? xcr0 | xss : 0);
	out_end(o);
	if (h->d.have_xcr0)
		out_mask(o, "xcr0", h->d.xcr0);
	else
		out_null(o, "xcr0");
	out_note(o, "(XGETBV(0))");
	fact_mask(o, "xinuse", &h->xgetbv1);
	out_note(o, "(XGETBV(1): XCR0 & XINUSE)");
	if (h->mxcsr_mask.have)
		out_strf(o, "mxcsr_mask", "0x%08llx", (unsigned long long)h->mxcsr_mask.v);
	else
		out_null(o, "mxcsr_mask");
}

static void show_prctl(struct out *o, const struct xs_hostinfo *h)
{
	out_obj(o, "arch_prctl");
	fact_mask(o, "xcomp_supp", &h->xcomp_supp);
	fact_mask(o, "xcomp_perm", &h->xcomp_perm);
	fact_mask(o, "xcomp_guest_perm", &h->xcomp_guest_perm);
	out_end(o);
}

static void show_kvm(struct out *o, const struct xs_hostinfo *h)
{
	static const char *const state[] = { "not asked", "absent", "denied", "present" };

	out_obj(o, "kvm");
	out_str(o, "device", state[h->kvm.state]);
	if (h->kvm.err)
		out_note(o, "(/dev/kvm: %s)", strerror(h->kvm.err));
	show_fact(o, "api_version", &h->kvm.api);
	show_fact(o, "cap_xsave", &h->kvm.cap_xsave);
	show_fact(o, "cap_xcrs", &h->kvm.cap_xcrs);
	show_fact(o, "cap_xsave2", &h->kvm.cap_xsave2);
	if (h->kvm.cap_xsave2.have)
		out_note(o, "(KVM_GET_XSAVE2 buffer size)");
	fact_mask(o, "xcomp_guest_supp", &h->kvm.guest_supp);
	if (h->kvm.have_cpuid_d) {
		uint64_t m = h->kvm.d.eax[0] | (uint64_t)h->kvm.d.edx[0] << 32;

		out_mask(o, "supported_cpuid_xcr0", m);
		out_note(o, "(KVM_GET_SUPPORTED_CPUID 0xd.0)");
		show_components_table(o, &h->kvm.d, m | h->kvm.d.ecx[1] |
							   (uint64_t)h->kvm.d.edx[1] << 32);
	} else {
		out_null(o, "supported_cpuid_xcr0");
	}
	out_end(o);
}

static void show_host_target(struct out *o, const struct xs_hostinfo *h)
{
	struct xs_host_target t;

	xs_host_target(h, &t);
	out_obj(o, "target");
	out_mask(o, "mask", t.mask);
	out_str(o, "basis", t.basis);
	out_bool(o, "estimated", t.estimated);
	out_mask(o, "needs_guest_perm", t.needs_perm);
	if (t.needs_perm)
		out_note(o, "(loads only after the VMM's ARCH_REQ_XCOMP_GUEST_PERM, as QEMU does "
			    "for AMX guests)");
	out_end(o);
}

/* The destination's kernel rule and QEMU (profile version 2). */
static void show_dest(struct out *o, const struct dest_facts *f)
{
	out_obj(o, "kernel");
	str_or_null(o, "release", f->release);
	out_str(o, "class", xs_dest_kernel_name(f->kernel));
	if (f->kernel == XS_DK_UNKNOWN || f->kernel == XS_DK_INCONCLUSIVE)
		out_note(o, "(check judges it as needs-patch: strip what the guest never enabled)");
	str_or_null(o, "from", f->kernel_from);
	out_end(o);
	out_obj(o, "qemu");
	if (f->qemu_version)
		out_strf(o, "version", "%u.%u.%u", f->qemu_version / 10000,
			 f->qemu_version / 100 % 100, f->qemu_version % 100);
	else
		out_null(o, "version");
	str_or_null(o, "from", f->qemu_from);
	out_end(o);
}

void show_host(struct out *o, const struct xs_hostinfo *h, const struct dest_facts *dest,
	       const char *source, const char *source_file, const char *record)
{
	out_u64(o, "profile_version", PROFILE_VERSION);
	out_text_hide(o);
	out_str(o, "source", source);
	if (source_file)
		out_str(o, "source_file", source_file);
	else
		out_null(o, "source_file");
	if (h->hostname[0])	/* host_live_gather() and CPUID files fill it */
		out_str(o, "hostname", h->hostname);
	else
		out_null(o, "hostname");
	show_cpu(o, h);
	show_xsave(o, h);
	show_prctl(o, h);
	show_kvm(o, h);
	show_dest(o, dest);
	show_host_target(o, h);
	out_str(o, "record", record);
	out_text_hide(o);
}
