// SPDX-License-Identifier: MIT
/* Host facts: the CPUID file text form and the target mask; see include/xsave/hostinfo.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/hostinfo.h>
#include <xsave/internal.h>

#include "text.h"

bool xs_host_has_xsave(const struct xs_hostinfo *h)
{
	if (!(h->d.valid & 1))
		return false;
	return !h->have_leaf1 || (h->cpuid1_ecx & XS_CPUID1_ECX_XSAVE);
}

bool xs_host_os_xsave(const struct xs_hostinfo *h)
{
	if (!xs_host_has_xsave(h))
		return false;
	if (h->have_leaf1)
		return h->cpuid1_ecx & XS_CPUID1_ECX_OSXSAVE;
	return h->d.have_xcr0;
}

uint64_t xs_host_supported_xcr0(const struct xs_hostinfo *h)
{
	return xs_host_has_xsave(h) ? h->d.eax[0] | (uint64_t)h->d.edx[0] << 32 : 0;
}

uint64_t xs_host_supported_xss(const struct xs_hostinfo *h)
{
	if (!xs_host_has_xsave(h) || !(h->d.valid & 2))
		return 0;
	return h->d.ecx[1] | (uint64_t)h->d.edx[1] << 32;
}

void xs_host_target(const struct xs_hostinfo *h, struct xs_host_target *t)
{
	bool kvm = h->kvm.state == XS_KVM_OPEN;
	uint64_t x;

	memset(t, 0, sizeof(*t));
	if (!xs_host_os_xsave(h)) {
		t->mask = XS_MASK_FPSSE;
		t->basis = xs_host_has_xsave(h)
				   ? "the OS did not enable XSAVE: KVM loads x87 and SSE only"
				   : "no XSAVE: KVM loads x87 and SSE (the FXSAVE image) only";
		t->estimated = !kvm;
		return;
	}
	if (kvm && h->kvm.guest_supp.have) {
		t->mask = h->kvm.guest_supp.v;
		t->basis = "KVM_X86_XCOMP_GUEST_SUPP: the XCR0 bits KVM_SET_XSAVE accepts";
	} else if (kvm && h->kvm.have_cpuid_d) {
		t->mask = h->kvm.d.eax[0] | (uint64_t)h->kvm.d.edx[0] << 32;
		t->basis = "KVM_GET_SUPPORTED_CPUID leaf 0xd (KVM without the XCOMP_GUEST_SUPP attribute)";
	} else {
		x = h->d.have_xcr0 ? h->d.xcr0 : h->xcomp_supp.have ? h->xcomp_supp.v
								    : xs_host_supported_xcr0(h);
		t->mask = x & XS_KVM_SUPPORTED_XCR0;
		t->estimated = true;
		t->basis = kvm ? "estimated: /dev/kvm answered no XSAVE query; host XCR0 & KVM's components"
			       : "estimated without /dev/kvm: host XCR0 & the components KVM supports";
	}
	t->mask = (t->mask | XS_MASK_FPSSE) & ~XS_MASK_SUPERVISOR & ~XS_XCOMP_COMPACTED;
	t->needs_perm = t->mask & XS_BIT(XS_TILEDATA);
}

/* ---- text form ---------------------------------------------------------- */

/* A number ending the value: at the end, or before a blank (more fields follow). */
static int parse_u64(const char *s, uint64_t *v)
{
	const char *end;
	uint64_t x;

	if (!xs_text_u64(s, &x, &end) || (*end && *end != ' ' && *end != '\t' && *end != '\r'))
		return -1;
	*v = x;
	return 0;
}

static int parse_field32(const char *line, const char *key, uint32_t *v)
{
	const char *p = strstr(line, key);
	uint64_t x;

	if (!p || parse_u64(p + strlen(key), &x) || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* "0xL.S eax=.. ebx=.. ecx=.. edx=..": leaf L, sub-leaf S, four registers. */
static int parse_cpuid(const char *line, uint32_t *leaf, uint32_t *sub, uint32_t r[4])
{
	char *end;
	unsigned long l, s;

	errno = 0;
	l = strtoul(line, &end, 16);
	if (errno || end == line || *end != '.' || l > UINT32_MAX)
		return -1;
	line = end + 1;
	s = strtoul(line, &end, 10);
	if (errno || end == line || (*end != ' ' && *end != '\t') || s > UINT32_MAX)
		return -1;
	*leaf = (uint32_t)l;
	*sub = (uint32_t)s;
	return parse_field32(end, "eax=", &r[0]) || parse_field32(end, "ebx=", &r[1]) ||
	       parse_field32(end, "ecx=", &r[2]) || parse_field32(end, "edx=", &r[3]);
}

static void put_leaf_d(struct xs_cpuid_d *c, uint32_t sub, const uint32_t r[4])
{
	c->eax[sub] = r[0];
	c->ebx[sub] = r[1];
	c->ecx[sub] = r[2];
	c->edx[sub] = r[3];
	c->valid |= XS_BIT(sub);
}

static int cpuid_record(struct xs_hostinfo *h, const char *line, bool kvm)
{
	uint32_t leaf, sub, r[4];

	if (parse_cpuid(line + 2, &leaf, &sub, r))
		return -1;
	if (leaf == 0xd) {
		if (sub >= XS_NCOMP)
			return 0;
		if (kvm)
			h->kvm.have_cpuid_d = true;
		put_leaf_d(kvm ? &h->kvm.d : &h->d, sub, r);
	} else if (kvm) {
		return 0;
	} else if (leaf == 1 && sub == 0) {
		h->have_leaf1 = true;
		h->cpuid1_ecx = r[2];
	} else if (leaf == 7 && sub == 0) {
		h->have_leaf7 = true;
		h->cpuid7_ebx = r[1];
		h->cpuid7_ecx = r[2];
		h->cpuid7_edx = r[3];
	} else if (leaf == 7 && sub == 1) {
		h->have_leaf7_1 = true;
		h->cpuid7_1_edx = r[3];
	}
	return 0;
}

static int set_fact(struct xs_fact *f, const char *v)
{
	f->err = 0;
	f->have = !parse_u64(v, &f->v);
	return f->have ? 0 : -1;
}

static int set_int(int32_t *dst, const char *v, bool *flag)
{
	uint64_t x;

	if (parse_u64(v, &x) || x > INT32_MAX)
		return -1;
	*dst = (int32_t)x;
	*flag = true;
	return 0;
}

static int kvm_state(struct xs_hostinfo *h, const char *v)
{
	static const char *const names[] = { "unknown", "absent", "denied", "present" };

	for (unsigned i = 0; i < 4; i++) {
		size_t n = strlen(names[i]);

		if (!strncmp(v, names[i], n) && (!v[n] || v[n] == ' ' || v[n] == '\r')) {
			h->kvm.state = (enum xs_kvm_state)i;
			return 0;
		}
	}
	return -1;
}

/* One "key=value" line; unknown keys are ignored. */
static int key_line(struct xs_hostinfo *h, const char *line)
{
	static const struct {
		const char *key;
		size_t off;
	} facts[] = {
		{ "xgetbv1=", offsetof(struct xs_hostinfo, xgetbv1) },
		{ "mxcsr_mask=", offsetof(struct xs_hostinfo, mxcsr_mask) },
		{ "ARCH_GET_XCOMP_SUPP=", offsetof(struct xs_hostinfo, xcomp_supp) },
		{ "ARCH_GET_XCOMP_PERM=", offsetof(struct xs_hostinfo, xcomp_perm) },
		{ "ARCH_GET_XCOMP_GUEST_PERM=", offsetof(struct xs_hostinfo, xcomp_guest_perm) },
		{ "kvm.api=", offsetof(struct xs_hostinfo, kvm.api) },
		{ "kvm.cap_xsave=", offsetof(struct xs_hostinfo, kvm.cap_xsave) },
		{ "kvm.cap_xcrs=", offsetof(struct xs_hostinfo, kvm.cap_xcrs) },
		{ "kvm.cap_xsave2=", offsetof(struct xs_hostinfo, kvm.cap_xsave2) },
		{ "kvm.xcomp_guest_supp=", offsetof(struct xs_hostinfo, kvm.guest_supp) },
	};
	uint64_t x;

	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		size_t n = strlen(facts[i].key);

		if (!strncmp(line, facts[i].key, n))
			return set_fact((struct xs_fact *)((char *)h + facts[i].off), line + n);
	}
	if (!strncmp(line, "xcr0=", 5)) {
		if (parse_u64(line + 5, &x))
			return -1;
		h->d.xcr0 = x;
		h->d.have_xcr0 = true;
		return 0;
	}
	if (!strncmp(line, "kvm=", 4))
		return kvm_state(h, line + 4);
	if (!strncmp(line, "vendor=", 7))
		return xs_text_str(h->d.vendor, sizeof(h->d.vendor), line + 7) ? 0 : -1;
	if (!strncmp(line, "hostname=", 9))
		return xs_text_str(h->hostname, sizeof(h->hostname), line + 9) ? 0 : -1;
	if (!strncmp(line, "brand=", 6))
		return xs_text_str(h->brand, sizeof(h->brand), line + 6) ? 0 : -1;
	if (!strncmp(line, "codename=", 9))
		return xs_text_str(h->codename, sizeof(h->codename), line + 9) ? 0 : -1;
	if (!strncmp(line, "family=", 7))
		return set_int(&h->family, line + 7, &h->have_fms);
	if (!strncmp(line, "model=", 6))
		return set_int(&h->model, line + 6, &h->have_fms);
	if (!strncmp(line, "stepping=", 9))
		return set_int(&h->stepping, line + 9, &h->have_fms);
	return 0;
}

static int leaf0_line(struct xs_hostinfo *h, const char *line)
{
	const char *p = strstr(line, "vendor=");

	if (parse_field32(line, "max=", &h->leaf0_max))
		return -1;
	if (!p)
		return 0;
	p += 7;
	size_t n = strcspn(p, " \t\r");

	if (n >= sizeof(h->d.vendor))
		return -1;
	memcpy(h->d.vendor, p, n);
	h->d.vendor[n] = 0;
	return 0;
}

/* One line (leading blanks, blank lines and comments already skipped): NULL or what was expected. */
static const char *one_line(void *ctx, const char *line)
{
	struct xs_hostinfo *h = ctx;
	int rc;

	if (!strncmp(line, "0x", 2))
		rc = cpuid_record(h, line, false);
	else if (!strncmp(line, "kvm.0x", 6))
		rc = cpuid_record(h, line + 4, true);
	else if (!strncmp(line, "leaf0 ", 6))
		rc = leaf0_line(h, line + 6);
	else
		rc = key_line(h, line);
	return rc ? "\"0xL.S eax=.. ebx=.. ecx=.. edx=..\" or \"key=value\" with a number" : NULL;
}

int xs_hostinfo_parse(const char *text, size_t len, struct xs_hostinfo *h, struct xs_diag *d)
{
	int rc;

	memset(h, 0, sizeof(*h));
	rc = xs_text_lines(text, len, one_line, h, d);
	/* Unknown keys are ignored, so a file of none but those is no CPUID file. */
	if (!rc && !h->leaf0_max && !h->have_leaf1 && !h->have_leaf7 && !h->d.valid &&
	    !h->kvm.have_cpuid_d)
		rc = XS_FAIL_AT(d, XS_EFORMAT, 0,
				"no CPUID fact in it: not a CPUID file (lines such as \"leaf0 max=0xd vendor=...\" and \"0xd.0 eax=...\")");
	return rc;
}

int xs_cpuid_d_parse(const char *text, size_t len, struct xs_cpuid_d *c, struct xs_diag *d)
{
	struct xs_hostinfo *h = malloc(sizeof(*h));
	int rc;

	if (!h)
		return XS_FAIL(d, XS_ENOMEM, "out of memory");
	rc = xs_hostinfo_parse(text, len, h, d);
	if (!rc && !(h->d.valid & 1))
		rc = XS_FAIL(d, XS_EINVAL, "no CPUID leaf 0xd sub-leaf 0 (\"0xd.0 eax=...\") found");
	if (!rc)
		*c = h->d;
	free(h);
	return rc;
}

/* ---- writing the text form ---------------------------------------------- */

static void sb_fact(struct sbuf *b, const char *key, const struct xs_fact *f)
{
	if (f->have)
		xsp_sb_printf(b, "%s=0x%" PRIx64 "\n", key, f->v);
}

static void sb_count(struct sbuf *b, const char *key, const struct xs_fact *f)
{
	if (f->have)
		xsp_sb_printf(b, "%s=%" PRIu64 "\n", key, f->v);
}

static void sb_leaf_d(struct sbuf *b, const char *prefix, const struct xs_cpuid_d *c)
{
	for (unsigned i = 0; i < XS_NCOMP; i++)
		if (c->valid & XS_BIT(i))
			xsp_sb_printf(b, "%s0xd.%u eax=%#x ebx=%#x ecx=%#x edx=%#x\n", prefix, i,
				  c->eax[i], c->ebx[i], c->ecx[i], c->edx[i]);
}

char *xs_hostinfo_format(const struct xs_hostinfo *h)
{
	static const char *const kvm_names[] = { "unknown", "absent", "denied", "present" };
	struct sbuf b;

	xsp_sb_init(&b);
	if (h->hostname[0])
		xsp_sb_printf(&b, "hostname=%s\n", h->hostname);
	xsp_sb_printf(&b, "leaf0 max=%#x vendor=%s\n", h->leaf0_max, h->d.vendor);
	if (h->brand[0])
		xsp_sb_printf(&b, "brand=%s\n", h->brand);
	if (h->codename[0])
		xsp_sb_printf(&b, "codename=%s\n", h->codename);
	if (h->have_fms)
		xsp_sb_printf(&b, "family=%d\nmodel=%d\nstepping=%d\n", h->family, h->model,
			  h->stepping);
	if (h->have_leaf1)
		xsp_sb_printf(&b, "0x1.0 eax=0 ebx=0 ecx=%#x edx=0\n", h->cpuid1_ecx);
	if (h->have_leaf7)
		xsp_sb_printf(&b, "0x7.0 eax=0 ebx=%#x ecx=%#x edx=%#x\n", h->cpuid7_ebx,
			  h->cpuid7_ecx, h->cpuid7_edx);
	if (h->have_leaf7_1)
		xsp_sb_printf(&b, "0x7.1 eax=0 ebx=0 ecx=0 edx=%#x\n", h->cpuid7_1_edx);
	sb_leaf_d(&b, "", &h->d);
	if (h->d.have_xcr0)
		xsp_sb_printf(&b, "xcr0=0x%" PRIx64 "\n", h->d.xcr0);
	sb_fact(&b, "xgetbv1", &h->xgetbv1);
	sb_fact(&b, "mxcsr_mask", &h->mxcsr_mask);
	sb_fact(&b, "ARCH_GET_XCOMP_SUPP", &h->xcomp_supp);
	sb_fact(&b, "ARCH_GET_XCOMP_PERM", &h->xcomp_perm);
	sb_fact(&b, "ARCH_GET_XCOMP_GUEST_PERM", &h->xcomp_guest_perm);
	if (h->kvm.state != XS_KVM_UNKNOWN)
		xsp_sb_printf(&b, "kvm=%s\n", kvm_names[h->kvm.state]);
	sb_count(&b, "kvm.api", &h->kvm.api);
	sb_count(&b, "kvm.cap_xsave", &h->kvm.cap_xsave);
	sb_count(&b, "kvm.cap_xcrs", &h->kvm.cap_xcrs);
	sb_count(&b, "kvm.cap_xsave2", &h->kvm.cap_xsave2);
	sb_fact(&b, "kvm.xcomp_guest_supp", &h->kvm.guest_supp);
	if (h->kvm.have_cpuid_d)
		sb_leaf_d(&b, "kvm.", &h->kvm.d);
	return xsp_sb_take(&b);
}
