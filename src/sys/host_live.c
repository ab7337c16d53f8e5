// SPDX-License-Identifier: MIT
/*
 * Gather this machine's XSAVE facts: CPUID through libcpuid (cpu_identify for
 * the vendor and model, cpu_exec_cpuid_ext for the sub-leaves), XGETBV,
 * FXSAVE's MXCSR_MASK, arch_prctl(ARCH_GET_XCOMP_*) and /dev/kvm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libcpuid.h>
#include <linux/kvm.h>

#include "sys/host_live.h"

#ifndef ARCH_GET_XCOMP_SUPP
#define ARCH_GET_XCOMP_SUPP 0x1021
#define ARCH_GET_XCOMP_PERM 0x1022
#endif
#ifndef ARCH_GET_XCOMP_GUEST_PERM
#define ARCH_GET_XCOMP_GUEST_PERM 0x1024
#endif
#ifndef KVM_CAP_XSAVE2
#define KVM_CAP_XSAVE2 208
#endif
#ifndef KVM_X86_GRP_SYSTEM
#define KVM_X86_GRP_SYSTEM 0
#endif
#ifndef KVM_X86_XCOMP_GUEST_SUPP
#define KVM_X86_XCOMP_GUEST_SUPP 0
#endif

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	r[0] = leaf;
	r[1] = 0;
	r[2] = sub;
	r[3] = 0;
	cpu_exec_cpuid_ext(r);
}

#if defined(__x86_64__)
static uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return lo | (uint64_t)hi << 32;
}

static uint32_t fxsave_mxcsr_mask(void)
{
	uint8_t area[512] __attribute__((aligned(16)));
	uint32_t m;

	memset(area, 0, sizeof(area));
	__asm__ volatile("fxsave64 %0" : "=m"(area));
	memcpy(&m, area + 28, 4);
	return m;
}

static void prctl_fact(int code, struct xs_fact *f)
{
	uint64_t v = 0;

	if (syscall(SYS_arch_prctl, code, &v) == 0) {
		f->have = true;
		f->v = v;
	} else {
		f->err = errno;
	}
}
#else
static uint64_t xgetbv(uint32_t index)
{
	(void)index;
	return 0;
}

static uint32_t fxsave_mxcsr_mask(void)
{
	return 0;
}

static void prctl_fact(int code, struct xs_fact *f)
{
	(void)code;
	f->err = ENOSYS;
}
#endif

static void identify(struct xs_hostinfo *h)
{
	struct cpu_id_t id;

	if (cpu_identify(NULL, &id))
		return;
	snprintf(h->brand, sizeof(h->brand), "%s", id.brand_str);
	/* CPUID pads the brand string with spaces (seen on "Oxide Virtual Turin-like Processor"):
	 * a record keeps it trimmed, as --cpuid-file reads it back. */
	for (size_t n = strlen(h->brand); n && h->brand[n - 1] == ' '; n--)
		h->brand[n - 1] = 0;
	if (strcmp(id.cpu_codename, "Unknown"))
		snprintf(h->codename, sizeof(h->codename), "%s", id.cpu_codename);
	h->have_fms = true;
	h->family = id.ext_family;
	h->model = id.ext_model;
	h->stepping = id.stepping;
}

static void leaves(struct xs_hostinfo *h)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	h->leaf0_max = r[0];
	memcpy(h->d.vendor, &r[1], 4);
	memcpy(h->d.vendor + 4, &r[3], 4);
	memcpy(h->d.vendor + 8, &r[2], 4);
	h->d.vendor[12] = 0;
	cpuid(1, 0, r);
	h->have_leaf1 = true;
	h->cpuid1_ecx = r[2];
	if (h->leaf0_max >= 7) {
		cpuid(7, 0, r);
		h->have_leaf7 = true;
		h->cpuid7_ebx = r[1];
		h->cpuid7_ecx = r[2];
		h->cpuid7_edx = r[3];
		if (r[0] >= 1) {
			cpuid(7, 1, r);
			h->have_leaf7_1 = true;
			h->cpuid7_1_edx = r[3];
		}
	}
	if (h->leaf0_max < 0xd || !(h->cpuid1_ecx & XS_CPUID1_ECX_XSAVE))
		return;
	for (uint32_t i = 0; i < XS_NCOMP; i++) {
		cpuid(0xd, i, r);
		if (i < 2 || r[0] || r[1] || r[2] || r[3]) {
			h->d.valid |= XS_BIT(i);
			h->d.eax[i] = r[0];
			h->d.ebx[i] = r[1];
			h->d.ecx[i] = r[2];
			h->d.edx[i] = r[3];
		}
	}
}

static void kvm_ext(int fd, long cap, struct xs_fact *f)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (r >= 0) {
		f->have = true;
		f->v = (uint64_t)r;
	} else {
		f->err = errno;
	}
}

struct kvm_cpuid2 *host_kvm_supported_cpuid(int kvm_fd)
{
	for (uint32_t n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

static void kvm_supported_cpuid(int fd, struct xs_hostinfo *h)
{
	struct kvm_cpuid2 *c = host_kvm_supported_cpuid(fd);

	if (!c)
		return;
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != 0xd || e->index >= XS_NCOMP)
			continue;
		h->kvm.have_cpuid_d = true;
		h->kvm.d.valid |= XS_BIT(e->index);
		h->kvm.d.eax[e->index] = e->eax;
		h->kvm.d.ebx[e->index] = e->ebx;
		h->kvm.d.ecx[e->index] = e->ecx;
		h->kvm.d.edx[e->index] = e->edx;
	}
	free(c);
}

static void kvm_facts(struct xs_hostinfo *h)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		h->kvm.state = errno == ENOENT || errno == ENODEV || errno == ENXIO ? XS_KVM_ABSENT
										   : XS_KVM_DENIED;
		h->kvm.err = errno;
		return;
	}
	h->kvm.state = XS_KVM_OPEN;
	int api = ioctl(fd, KVM_GET_API_VERSION, 0);

	if (api >= 0) {
		h->kvm.api.have = true;
		h->kvm.api.v = (uint64_t)api;
	} else {
		h->kvm.api.err = errno;
	}
	kvm_ext(fd, KVM_CAP_XSAVE, &h->kvm.cap_xsave);
	kvm_ext(fd, KVM_CAP_XCRS, &h->kvm.cap_xcrs);
	kvm_ext(fd, KVM_CAP_XSAVE2, &h->kvm.cap_xsave2);

	uint64_t supp = 0;
	struct kvm_device_attr attr = {
		.group = KVM_X86_GRP_SYSTEM,
		.attr = KVM_X86_XCOMP_GUEST_SUPP,
		.addr = (uint64_t)(uintptr_t)&supp,
	};

	if (ioctl(fd, KVM_GET_DEVICE_ATTR, &attr) == 0) {
		h->kvm.guest_supp.have = true;
		h->kvm.guest_supp.v = supp;
	} else {
		h->kvm.guest_supp.err = errno;
	}
	kvm_supported_cpuid(fd, h);
	close(fd);
}

int host_live_gather(struct xs_hostinfo *h, bool kvm)
{
	memset(h, 0, sizeof(*h));
	if (!cpuid_present())
		return -1;
	if (gethostname(h->hostname, sizeof(h->hostname)))
		h->hostname[0] = 0;
	h->hostname[sizeof(h->hostname) - 1] = 0;
	identify(h);
	leaves(h);
	if (h->have_leaf1 && (h->cpuid1_ecx & XS_CPUID1_ECX_OSXSAVE)) {
		h->d.xcr0 = xgetbv(0);
		h->d.have_xcr0 = true;
		if ((h->d.valid & 2) && (h->d.eax[1] & XS_XGETBV1)) {
			h->xgetbv1.have = true;
			h->xgetbv1.v = xgetbv(1);
		}
	}
	h->mxcsr_mask.have = true;
	h->mxcsr_mask.v = fxsave_mxcsr_mask();
	prctl_fact(ARCH_GET_XCOMP_SUPP, &h->xcomp_supp);
	prctl_fact(ARCH_GET_XCOMP_PERM, &h->xcomp_perm);
	prctl_fact(ARCH_GET_XCOMP_GUEST_PERM, &h->xcomp_guest_perm);
	if (kvm)
		kvm_facts(h);
	return 0;
}
