// SPDX-License-Identifier: MIT
/*
 * Ask /dev/kvm the probe's questions (include/xsave/kprobe.h lists them) on a
 * throwaway VM with three vCPUs that never run: no guest code, no memory
 * slots, nothing left behind when the descriptors close.  Every answer is
 * recorded, judged elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <xsave/area.h>
#include <xsave/hostinfo.h>
#include <xsave/layout.h>
#include <xsave/rd.h>

#include "sys/host_live.h"
#include "sys/kvm_probe.h"
#include "util.h"

#ifndef KVM_CAP_XSAVE2
#define KVM_CAP_XSAVE2 208
#endif
#ifndef KVM_GET_XSAVE2
#define KVM_GET_XSAVE2 _IOR(KVMIO, 0xcf, struct kvm_xsave)
#endif

#define LIMITED_XCR0 XS_MASK_FPSSE

struct vm {
	int kvm, fd, vcpu[3];
	size_t size;		/* XSAVE buffer: max(4096, KVM_CAP_XSAVE2) */
	int xsave2;		/* KVM_GET_XSAVE2 exists */
	struct kvm_cpuid2 *supported;
	uint8_t *buf;
	struct xs_kp_answer a[XS_KP_NSTEPS];	/* the answers, into the record at the end */
};

/* A CPUID list with room for @n entries. */
static struct kvm_cpuid2 *cpuid_alloc(uint32_t n)
{
	struct kvm_cpuid2 *c = xcalloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	c->nent = n;
	return c;
}

static void answer(struct xs_kp_answer *a, int rc, uint64_t v)
{
	a->asked = true;
	a->err = rc < 0 ? errno : 0;
	a->v = rc < 0 ? 0 : v;
}

/* XCR0 from leaf 0xD.0 of a CPUID list; 0 when the list has none. */
static uint64_t list_xcr0(const struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0xd && c->entries[i].index == 0)
			return c->entries[i].eax | (uint64_t)c->entries[i].edx << 32;
	return 0;
}

/* The supported list with the guest's XCR0 limited to x87|sse, or with no XSAVE at all. */
static struct kvm_cpuid2 *guest_cpuid(const struct kvm_cpuid2 *sup, int xsave)
{
	struct kvm_cpuid2 *c = cpuid_alloc(sup->nent);
	uint32_t n = 0;

	for (uint32_t i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 e = sup->entries[i];

		if (e.function == 0xd && !xsave)
			continue;
		if (e.function == 0xd && e.index == 0) {
			e.eax &= (uint32_t)LIMITED_XCR0;
			e.edx = 0;
		}
		if (e.function == 1 && !xsave)
			e.ecx &= ~(XS_CPUID1_ECX_XSAVE | XS_CPUID1_ECX_OSXSAVE | XS_CPUID1_ECX_AVX);
		c->entries[n++] = e;
	}
	c->nent = n;
	return c;
}

static void set_cpuid(struct vm *m, int vcpu, int xsave, struct xs_kp_answer *a)
{
	struct kvm_cpuid2 *c = guest_cpuid(m->supported, xsave);

	answer(a, ioctl(m->vcpu[vcpu], KVM_SET_CPUID2, c), 0);
	free(c);
}

static void get_cpuid(struct vm *m, int vcpu, struct xs_kp_answer *a)
{
	struct kvm_cpuid2 *c = cpuid_alloc(m->supported->nent);	/* no more than was set */
	int rc = ioctl(m->vcpu[vcpu], KVM_GET_CPUID2, c);

	answer(a, rc, rc < 0 ? 0 : list_xcr0(c));
	free(c);
}

/*
 * A clean standard-format image in m->buf: x87 and MXCSR at their init
 * values, XSTATE_BV @bv, a pattern in XMM0 (and YMM0's upper half), then
 * @off gets the 64-bit @poke (header mutations) unless @off is 0.
 */
static void image(struct vm *m, uint64_t bv, size_t off, uint64_t poke)
{
	static const uint8_t xmm[16] = { [0 ... 15] = 0x5a }, ymm[16] = { [0 ... 15] = 0xa5 };
	struct xs_wr w = xs_wr_init(m->buf, m->size);
	bool ok = xs_wr_zero_at(&w, 0, m->size) && xs_wr_u16le_at(&w, 0, 0x037f) &&
		  xs_wr_u32le_at(&w, XS_OFF_MXCSR, XS_MXCSR_INIT) &&
		  xs_wr_copy_at(&w, XS_OFF_XMM0, xmm, sizeof(xmm)) &&
		  xs_wr_u64le_at(&w, XS_OFF_XSTATE_BV, bv);

	if (ok && (bv & XS_BIT(XS_AVX)))
		ok = xs_wr_copy_at(&w, 576, ymm, sizeof(ymm));
	if (ok && off)
		ok = xs_wr_u64le_at(&w, off, poke);
	if (!ok)
		abort();	/* m->size >= 4096: cannot happen */
}

static void set_xsave(struct vm *m, int vcpu, struct xs_kp_answer *a)
{
	answer(a, ioctl(m->vcpu[vcpu], KVM_SET_XSAVE, m->buf), 0);
}

static void get_xsave(struct vm *m, int vcpu, struct xs_kp_answer *a)
{
	int rc;

	memset(m->buf, 0, m->size);

	struct xs_rd rd = xs_rd_init(m->buf, m->size, 0);
	uint64_t bv = 0;

	rc = ioctl(m->vcpu[vcpu], m->xsave2 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, m->buf);
	if (!xs_rd_u64le_at(&rd, XS_OFF_XSTATE_BV, &bv))
		abort();
	answer(a, rc, bv);
}

static void supported(struct vm *m)
{
	m->supported = host_kvm_supported_cpuid(m->kvm);
	answer(&m->a[XS_KP_SUPPORTED], m->supported ? 0 : -1,
	       m->supported ? list_xcr0(m->supported) : 0);
}

static void create_vm(struct vm *m, struct xs_kp_record *r)
{
	int rc;

	m->fd = ioctl(m->kvm, KVM_CREATE_VM, 0);
	rc = m->fd;
	for (int i = 0; i < 3 && rc >= 0; i++)
		rc = m->vcpu[i] = ioctl(m->fd, KVM_CREATE_VCPU, i);
	if (rc >= 0) {
		int x2 = ioctl(m->fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

		if (x2 >= 0)
			xs_kp_record_set_kvm(r, XS_KP_CAP_XSAVE2,
					     &(struct xs_fact){ .have = true, .v = (uint64_t)x2 });
		m->xsave2 = x2 > 0;
		m->size = x2 > (int)sizeof(struct kvm_xsave) ? (size_t)x2 : sizeof(struct kvm_xsave);
		m->buf = xcalloc(1, m->size);
	}
	answer(&m->a[XS_KP_CREATE_VM], rc, m->size);
}

static void questions(struct vm *m)
{
	struct xs_kp_answer *a = m->a;
	uint64_t s = a[XS_KP_SUPPORTED].v & ~XS_MASK_AMX;
	struct kvm_xcrs xcrs = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = s } } };

	/* vCPU 0: the guest CPUID allows x87|sse only; load S. */
	set_cpuid(m, 0, 1, &a[XS_KP_LIM_SET_CPUID]);
	get_cpuid(m, 0, &a[XS_KP_LIM_GET_CPUID]);
	image(m, s, 0, 0);
	set_xsave(m, 0, &a[XS_KP_LIM_SET_XSAVE]);
	get_xsave(m, 0, &a[XS_KP_LIM_GET_XSAVE]);
	answer(&a[XS_KP_LIM_SET_XCRS], ioctl(m->vcpu[0], KVM_SET_XCRS, &xcrs), 0);

	/* vCPU 1: S loaded before any CPUID, then the CPUID limits it. */
	image(m, s, 0, 0);
	set_xsave(m, 1, &a[XS_KP_LEAK_SET_XSAVE]);
	set_cpuid(m, 1, 1, &a[XS_KP_LEAK_SET_CPUID]);
	get_xsave(m, 1, &a[XS_KP_LEAK_GET_XSAVE]);

	/* vCPU 2: no XSAVE in CPUID; x87/sse must still load. */
	set_cpuid(m, 2, 0, &a[XS_KP_NOX_SET_CPUID]);
	get_cpuid(m, 2, &a[XS_KP_NOX_GET_CPUID]);
	image(m, XS_MASK_FPSSE, 0, 0);
	set_xsave(m, 2, &a[XS_KP_NOX_SET_XSAVE]);
	get_xsave(m, 2, &a[XS_KP_NOX_GET_XSAVE]);

	/* vCPU 0: header strictness, each against a clean baseline. */
	image(m, XS_MASK_FPSSE, 0, 0);
	set_xsave(m, 0, &a[XS_KP_HDR_BASE]);
	image(m, XS_MASK_FPSSE, XS_OFF_XCOMP_BV, XS_XCOMP_COMPACTED | XS_MASK_FPSSE);
	set_xsave(m, 0, &a[XS_KP_HDR_XCOMP]);
	image(m, XS_MASK_FPSSE, XS_OFF_HDR_RESERVED, 1);
	set_xsave(m, 0, &a[XS_KP_HDR_RESERVED]);
	/* MXCSR bit 31 is reserved on every CPU; bytes 24..31 hold MXCSR and MXCSR_MASK 0. */
	image(m, 0, XS_OFF_MXCSR, 0x80001f80);
	set_xsave(m, 0, &a[XS_KP_HDR_MXCSR]);
}

/* The KVM vendor modules loaded, comma-separated. */
static void modules(struct xs_kp_record *r)
{
	static const char *const names[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
	char module[32] = "";
	size_t len = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/module/%s", names[i]);
		if (access(path, F_OK))
			continue;
		len += (size_t)snprintf(module + len, sizeof(module) - len, "%s%s",
					len ? "," : "", names[i]);
	}
	xs_kp_record_set_text(r, XS_KP_MODULE, module);
}

int probe_live(const char *dev, struct xs_kp_record *r)
{
	struct vm m = { .fd = -1, .vcpu = { -1, -1, -1 } };
	struct utsname u;
	int api;

	if (!uname(&u)) {
		xs_kp_record_set_text(r, XS_KP_RELEASE, u.release);
		xs_kp_record_set_text(r, XS_KP_KVERSION, u.version);
	}
	modules(r);
	m.kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (m.kvm < 0)
		return -errno;
	api = ioctl(m.kvm, KVM_GET_API_VERSION, 0);
	if (api < 0) {
		int e = errno;

		close(m.kvm);
		return e == ENOTTY ? -ENOTTY : -e;
	}
	xs_kp_record_set_kvm(r, XS_KP_API, &(struct xs_fact){ .have = true, .v = (uint64_t)api });
	if (api == KVM_API_VERSION) {
		int x = ioctl(m.kvm, KVM_CHECK_EXTENSION, KVM_CAP_XCRS);

		if (x >= 0)
			xs_kp_record_set_kvm(r, XS_KP_CAP_XCRS,
					     &(struct xs_fact){ .have = true, .v = (uint64_t)x });
		supported(&m);
		if (m.supported)
			create_vm(&m, r);
		if (m.buf)
			questions(&m);
	}
	for (unsigned i = 0; i < XS_KP_NSTEPS; i++)
		if (m.a[i].asked)
			xs_kp_record_set_answer(r, i, &m.a[i]);
	for (int i = 0; i < 3; i++)
		if (m.vcpu[i] >= 0)
			close(m.vcpu[i]);
	if (m.fd >= 0)
		close(m.fd);
	close(m.kvm);
	free(m.supported);
	free(m.buf);
	return 0;
}
