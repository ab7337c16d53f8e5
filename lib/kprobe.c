// SPDX-License-Identifier: MIT
/* The KVM_SET_XSAVE regression probe: records and their judgement; see include/xsave/kprobe.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/kprobe.h>
#include <xsave/layout.h>
#include <xsave/internal.h>

#include "text.h"

/* The record (opaque in kprobe.h). */
struct xs_kp_record {
	char release[65];	/* uname -r */
	char version[129];	/* uname -v */
	char module[32];	/* the KVM vendor modules loaded: kvm_intel, kvm_amd, kvm_pvm, ... */
	struct xs_fact api, cap_xcrs, cap_xsave2;
	struct xs_kp_answer a[XS_KP_NSTEPS];
};

static const struct {
	const char *name, *ioctl;
} steps[XS_KP_NSTEPS] = {
	[XS_KP_SUPPORTED] = { "supported_cpuid", "KVM_GET_SUPPORTED_CPUID" },
	[XS_KP_CREATE_VM] = { "create_vm", "KVM_CREATE_VM" },
	[XS_KP_LIM_SET_CPUID] = { "limited.set_cpuid2", "KVM_SET_CPUID2" },
	[XS_KP_LIM_GET_CPUID] = { "limited.get_cpuid2", "KVM_GET_CPUID2" },
	[XS_KP_LIM_SET_XSAVE] = { "limited.set_xsave", "KVM_SET_XSAVE" },
	[XS_KP_LIM_GET_XSAVE] = { "limited.get_xsave", "KVM_GET_XSAVE" },
	[XS_KP_LIM_SET_XCRS] = { "limited.set_xcrs", "KVM_SET_XCRS" },
	[XS_KP_LEAK_SET_XSAVE] = { "leak.set_xsave", "KVM_SET_XSAVE" },
	[XS_KP_LEAK_SET_CPUID] = { "leak.set_cpuid2", "KVM_SET_CPUID2" },
	[XS_KP_LEAK_GET_XSAVE] = { "leak.get_xsave", "KVM_GET_XSAVE" },
	[XS_KP_NOX_SET_CPUID] = { "noxsave.set_cpuid2", "KVM_SET_CPUID2" },
	[XS_KP_NOX_GET_CPUID] = { "noxsave.get_cpuid2", "KVM_GET_CPUID2" },
	[XS_KP_NOX_SET_XSAVE] = { "noxsave.set_xsave", "KVM_SET_XSAVE" },
	[XS_KP_NOX_GET_XSAVE] = { "noxsave.get_xsave", "KVM_GET_XSAVE" },
	[XS_KP_HDR_BASE] = { "header.baseline", "KVM_SET_XSAVE" },
	[XS_KP_HDR_XCOMP] = { "header.xcomp_bv", "KVM_SET_XSAVE" },
	[XS_KP_HDR_RESERVED] = { "header.reserved", "KVM_SET_XSAVE" },
	[XS_KP_HDR_MXCSR] = { "header.mxcsr", "KVM_SET_XSAVE" },
};

/* Steps whose answer carries a value. */
static const uint32_t has_value = 1u << XS_KP_SUPPORTED | 1u << XS_KP_CREATE_VM |
				  1u << XS_KP_LIM_GET_CPUID | 1u << XS_KP_LIM_GET_XSAVE |
				  1u << XS_KP_LEAK_GET_XSAVE | 1u << XS_KP_NOX_GET_CPUID |
				  1u << XS_KP_NOX_GET_XSAVE;

const char *xs_kp_step_name(enum xs_kp_step s)
{
	return s < XS_KP_NSTEPS ? steps[s].name : "?";
}

bool xs_kp_step_has_value(enum xs_kp_step s)
{
	return s < XS_KP_NSTEPS && (has_value & 1u << s);
}

const char *xs_kp_step_ioctl(enum xs_kp_step s)
{
	return s < XS_KP_NSTEPS ? steps[s].ioctl : "?";
}

const char *xs_kp_class_name(enum xs_kp_class c)
{
	static const char *const names[] = {
		[XS_KP_FIXED] = "fixed",
		[XS_KP_NEEDS_PATCH] = "needs-patch",
		[XS_KP_LEAKS] = "leaks",
		[XS_KP_PRE_5_16] = "pre-5.16",
		[XS_KP_INCONCLUSIVE] = "inconclusive",
	};

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

enum xs_dest_kernel xs_kp_dest_kernel(enum xs_kp_class c)
{
	static const enum xs_dest_kernel dest[] = {
		[XS_KP_FIXED] = XS_DK_FIXED,
		[XS_KP_NEEDS_PATCH] = XS_DK_NEEDS_PATCH,
		[XS_KP_LEAKS] = XS_DK_LEAKS,
		[XS_KP_PRE_5_16] = XS_DK_PRE_5_16,
		[XS_KP_INCONCLUSIVE] = XS_DK_INCONCLUSIVE,
	};

	return (unsigned)c < sizeof(dest) / sizeof(dest[0]) ? dest[c] : XS_DK_UNKNOWN;
}

/* ---- judging ------------------------------------------------------------ */

static bool ok(const struct xs_kp_answer *a)
{
	return a->asked && !a->err;
}

static bool refused(const struct xs_kp_answer *a)
{
	return a->asked && a->err == EINVAL;
}

/* glibc names most errnos; the rest are written "errnoN", which parse_err() reads back. */
const char *xs_kp_err_name(int err, char buf[XS_KP_ERRNAME_LEN])
{
	const char *n = err ? strerrorname_np(err) : "ok";

	if (n)
		return n;
	snprintf(buf, XS_KP_ERRNAME_LEN, "errno%d", err);
	return buf;
}

static void masktxt(uint64_t m, char *buf, size_t len)
{
	char names[80];

	xs_mask_names(m, names, sizeof(names));
	snprintf(buf, len, "0x%" PRIx64 " (%s)", m, m ? names : "none");
}

static void header_style(const struct xs_kp_answer *a, struct xs_kp_verdict *v)
{
	const struct xs_kp_answer *x = &a[XS_KP_HDR_XCOMP], *r = &a[XS_KP_HDR_RESERVED],
				  *m = &a[XS_KP_HDR_MXCSR];

	v->style = XS_KP_STYLE_UNKNOWN;
	if (!ok(&a[XS_KP_HDR_BASE]))
		return;
	if (refused(x) && refused(r) && ok(m))
		v->style = XS_KP_STYLE_516;
	else if (ok(x) && ok(r) && refused(m))
		v->style = XS_KP_STYLE_OLD;
}

/* What the answer @a to step @i says, in words, into @f (@n bytes); @m: its mask in words. */
static void one_finding(unsigned i, const struct xs_kp_answer *a, uint64_t tested,
			char *m, size_t mlen, char *f, size_t n)
{
	switch (i) {
	case XS_KP_SUPPORTED:
		snprintf(f, n, "KVM supports XCR0 %s", m);
		break;
	case XS_KP_CREATE_VM:
		snprintf(f, n, "XSAVE buffer %" PRIu64 " bytes", a->v);
		break;
	case XS_KP_LIM_SET_CPUID:
	case XS_KP_LEAK_SET_CPUID:
		snprintf(f, n, "guest XCR0 limited to 0x3 (x87 sse)");
		break;
	case XS_KP_NOX_SET_CPUID:
		snprintf(f, n, "guest without XSAVE and without leaf 0xd");
		break;
	case XS_KP_LIM_GET_CPUID:
	case XS_KP_NOX_GET_CPUID:
		snprintf(f, n, "guest XCR0 reads back %s%s", m,
			 a->v == (i == XS_KP_LIM_GET_CPUID ? XS_MASK_FPSSE : 0)
				 ? ": as set"
				 : ": REWRITTEN by KVM");
		break;
	case XS_KP_LIM_SET_XSAVE:
	case XS_KP_LEAK_SET_XSAVE:
		masktxt(tested, m, mlen);
		snprintf(f, n, "XSTATE_BV %s %s", m,
			 a->err ? "refused" : "accepted");
		break;
	case XS_KP_NOX_SET_XSAVE:
		snprintf(f, n, "XSTATE_BV 0x3 (x87 sse) %s",
			 a->err ? "refused" : "accepted");
		break;
	case XS_KP_LIM_GET_XSAVE:
	case XS_KP_LEAK_GET_XSAVE:
	case XS_KP_NOX_GET_XSAVE:
		snprintf(f, n, "reports XSTATE_BV %s%s", m,
			 a->v & ~XS_MASK_FPSSE ? ": beyond the guest's x87|sse" : "");
		break;
	case XS_KP_LIM_SET_XCRS:
		masktxt(tested, m, mlen);
		snprintf(f, n, "XCR0 %s %s", m,
			 a->err ? "refused: the guest CPUID applies" : "accepted");
		break;
	case XS_KP_HDR_BASE:
		snprintf(f, n, "clean header %s", a->err ? "refused" : "accepted");
		break;
	case XS_KP_HDR_XCOMP:
		snprintf(f, n, "XCOMP_BV set %s", a->err ? "refused (5.16+)" : "accepted (<= 5.15)");
		break;
	case XS_KP_HDR_RESERVED:
		snprintf(f, n, "reserved header byte %s",
			 a->err ? "refused (5.16+)" : "accepted (<= 5.15)");
		break;
	case XS_KP_HDR_MXCSR:
		snprintf(f, n, "reserved MXCSR bit with XSTATE_BV 0 %s",
			 a->err ? "refused (<= 5.15)" : "accepted (5.16+)");
		break;
	}
}

void xs_kp_finding(const struct xs_kp_record *r, enum xs_kp_step s, char *f, size_t n)
{
	const struct xs_kp_answer *a = xs_kp_record_answer(r, s);
	uint64_t tested = r->a[XS_KP_SUPPORTED].v & ~XS_MASK_AMX;
	char m[104];

	if (!n)
		return;
	f[0] = 0;
	if (!a->asked)
		return;
	if (a->err && !(refused(a) && s >= XS_KP_LIM_SET_XSAVE)) {
		snprintf(f, n, "failed: %s", XS_KP_ERR_NAME(a->err));
		return;
	}
	masktxt(a->v, m, sizeof(m));
	one_finding(s, a, tested, m, sizeof(m), f, n);
}

static void verdict(struct xs_kp_verdict *v, enum xs_kp_class c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void verdict(struct xs_kp_verdict *v, enum xs_kp_class c, const char *fmt, ...)
{
	va_list ap;

	v->cls = c;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

/* An answer needed for any verdict is missing: "WHAT failed: ERRNO" or "WHAT was not asked". */
static void unanswered(struct xs_kp_verdict *v, const char *what, const struct xs_kp_answer *a)
{
	verdict(v, XS_KP_INCONCLUSIVE, "%s %s%s", what, a->asked ? "failed: " : "was not asked",
		a->asked ? XS_KP_ERR_NAME(a->err) : "");
}

/* Can the CPUID-dependent answers be trusted?  1 yes; 0 no, -1 unknown (verdict set). */
static int cpuid_applied(const struct xs_kp_record *r, uint64_t s, struct xs_kp_verdict *v)
{
	const struct xs_kp_answer *set = &r->a[XS_KP_LIM_SET_CPUID], *get = &r->a[XS_KP_LIM_GET_CPUID],
				  *xcrs = &r->a[XS_KP_LIM_SET_XCRS];
	char mod[48] = "";

	if (r->module[0])
		snprintf(mod, sizeof(mod), " (module %s)", r->module);
	if (!ok(set)) {
		unanswered(v, "KVM_SET_CPUID2 with a limited XCR0", set);
		return -1;
	}
	if (!ok(get)) {
		verdict(v, XS_KP_INCONCLUSIVE,
			"the guest CPUID could not be read back (KVM_GET_CPUID2: %s)",
			get->asked ? XS_KP_ERR_NAME(get->err) : "not asked");
		return -1;
	}
	if (get->v != XS_MASK_FPSSE) {
		verdict(v, XS_KP_INCONCLUSIVE,
			"KVM rewrote the guest CPUID: leaf 0xd.0 was set to 0x3 and reads back 0x%" PRIx64
			"%s, so the CPUID-dependent answers mean nothing", get->v, mod);
		return 0;
	}
	if (ok(xcrs)) {
		verdict(v, XS_KP_INCONCLUSIVE,
			"KVM accepted XCR0 0x%" PRIx64 " for a guest whose CPUID allows 0x3: it does "
			"not apply the guest CPUID%s", s, mod);
		return 0;
	}
	if (xcrs->asked && !refused(xcrs)) {
		verdict(v, XS_KP_INCONCLUSIVE, "KVM_SET_XCRS failed with %s",
			XS_KP_ERR_NAME(xcrs->err));
		return -1;
	}
	return 1;
}

/* KVM_SET_XSAVE refused the guest-unsupported state (@s its XSTATE_BV). */
static void judge_refused(const struct xs_kp_record *r, struct xs_kp_verdict *v, const char *s)
{
	const struct xs_kp_answer *control = &r->a[XS_KP_LEAK_SET_XSAVE];

	/* The control: the same state on a vCPU without CPUID must load. */
	if (!ok(control)) {
		verdict(v, XS_KP_INCONCLUSIVE,
			"KVM_SET_XSAVE refused XSTATE_BV %s even for a vCPU without CPUID "
			"(%s): the refusal is not about the guest CPUID", s,
			control->asked ? XS_KP_ERR_NAME(control->err) : "not asked");
		return;
	}
	if (v->style == XS_KP_STYLE_OLD) {
		verdict(v, XS_KP_INCONCLUSIVE,
			"KVM_SET_XSAVE refused guest-unsupported state, but the header checks "
			"are those of a kernel before 5.16, which never does");
		return;
	}
	verdict(v, XS_KP_NEEDS_PATCH,
		"KVM_SET_XSAVE refused XSTATE_BV %s for a guest whose CPUID allows only "
		"x87|sse%s",
		s, v->fpsse_bug ? "; it also refuses x87/sse for a guest without XSAVE" : "");
}

/* What KVM_GET_XSAVE reported beyond x87|sse; false when it never answered. */
static bool reported_beyond(const struct xs_kp_record *r, uint64_t *leaked)
{
	static const enum xs_kp_step gets[] = { XS_KP_LIM_GET_XSAVE, XS_KP_LEAK_GET_XSAVE };
	bool answered = false;

	*leaked = 0;
	for (size_t k = 0; k < sizeof(gets) / sizeof(gets[0]); k++)
		if (ok(&r->a[gets[k]])) {
			answered = true;
			*leaked |= r->a[gets[k]].v & ~XS_MASK_FPSSE;
		}
	return answered;
}

/* KVM_SET_XSAVE and KVM_GET_XSAVE as a fixed kernel and one before 5.16 answer (@s: XSTATE_BV). */
static void judge_quiet(struct xs_kp_verdict *v, const char *s)
{
	if (v->fpsse_bug) {
		verdict(v, XS_KP_INCONCLUSIVE,
			"x87/sse state is refused for a guest without XSAVE, yet guest-unsupported "
			"state is accepted: no known kernel does both");
		return;
	}
	switch (v->style) {
	case XS_KP_STYLE_516:
		verdict(v, XS_KP_FIXED,
			"KVM_SET_XSAVE accepted XSTATE_BV %s for a guest whose CPUID allows only "
			"x87|sse and KVM_GET_XSAVE reported only x87|sse; header checks of 5.16+",
			s);
		break;
	case XS_KP_STYLE_OLD:
		verdict(v, XS_KP_PRE_5_16,
			"KVM_SET_XSAVE accepted XSTATE_BV %s and KVM_GET_XSAVE hid it; header checks "
			"of a kernel before 5.16", s);
		break;
	default:
		verdict(v, XS_KP_INCONCLUSIVE,
			"KVM_SET_XSAVE accepts and KVM_GET_XSAVE hides guest-unsupported state, but "
			"the header checks match no known kernel");
		break;
	}
}

/* The answers CPUID cannot spoil: does the kernel take the state at all, and what does it report? */
static void judge_applied(const struct xs_kp_record *r, struct xs_kp_verdict *v)
{
	const struct xs_kp_answer *set = &r->a[XS_KP_LIM_SET_XSAVE];
	char s[104], got[104];
	uint64_t leaked;

	masktxt(v->tested, s, sizeof(s));
	if (!set->asked) {
		verdict(v, XS_KP_INCONCLUSIVE, "the KVM_SET_XSAVE test was not asked");
		return;
	}
	if (refused(set)) {
		judge_refused(r, v, s);
		return;
	}
	if (set->err) {
		verdict(v, XS_KP_INCONCLUSIVE, "KVM_SET_XSAVE failed with %s", XS_KP_ERR_NAME(set->err));
		return;
	}
	if (!reported_beyond(r, &leaked)) {
		verdict(v, XS_KP_INCONCLUSIVE, "KVM_GET_XSAVE gave no answer");
		return;
	}
	if (!leaked) {
		judge_quiet(v, s);
		return;
	}
	masktxt(leaked, got, sizeof(got));
	if (v->style == XS_KP_STYLE_OLD)
		verdict(v, XS_KP_INCONCLUSIVE,
			"KVM_GET_XSAVE reported %s beyond the guest CPUID, but the header "
			"checks are those of a kernel before 5.16, which hides them", got);
	else
		verdict(v, XS_KP_LEAKS,
			"KVM_GET_XSAVE reported %s for a guest whose CPUID allows only x87|sse: "
			"its dumps carry host features the guest lacks", got);
}

void xs_kp_judge(const struct xs_kp_record *r, struct xs_kp_verdict *v)
{
	const struct xs_kp_answer *a = r->a;

	memset(v, 0, sizeof(*v));
	v->cpuid_applied = -1;
	v->tested = a[XS_KP_SUPPORTED].v & ~XS_MASK_AMX;
	header_style(a, v);
	v->fpsse_bug = ok(&a[XS_KP_NOX_SET_CPUID]) && ok(&a[XS_KP_NOX_GET_CPUID]) &&
		       a[XS_KP_NOX_GET_CPUID].v == 0 && refused(&a[XS_KP_NOX_SET_XSAVE]);
	v->cls = XS_KP_INCONCLUSIVE;
	if (!r->api.have) {
		verdict(v, XS_KP_INCONCLUSIVE, "KVM_GET_API_VERSION gave no answer");
		return;
	}
	if (r->api.v != 12) {
		verdict(v, XS_KP_INCONCLUSIVE, "KVM API version %" PRIu64 ", expected 12", r->api.v);
		return;
	}
	if (r->cap_xcrs.have && r->cap_xcrs.v == 0) {
		verdict(v, XS_KP_INCONCLUSIVE,
			"the host has no XSAVE (KVM_CAP_XCRS 0): no state can hold a feature the "
			"guest lacks, nothing to test");
		return;
	}
	if (!ok(&a[XS_KP_SUPPORTED])) {
		unanswered(v, "KVM_GET_SUPPORTED_CPUID", &a[XS_KP_SUPPORTED]);
		return;
	}
	if (!(v->tested & ~XS_MASK_FPSSE)) {
		verdict(v, XS_KP_INCONCLUSIVE,
			"KVM supports no XSAVE feature beyond x87|sse here, so no guest can lack one");
		return;
	}
	if (!ok(&a[XS_KP_CREATE_VM])) {
		unanswered(v, "KVM_CREATE_VM", &a[XS_KP_CREATE_VM]);
		return;
	}
	v->cpuid_applied = cpuid_applied(r, v->tested, v);
	if (v->cpuid_applied == 1)
		judge_applied(r, v);
}

/* ---- the version hint --------------------------------------------------- */

/*
 * Mainline and the stable lines only.  Distribution kernels backport: Ubuntu
 * 22.04's 5.15 is reported to carry ad856280ddea (a 5.15 that refuses like
 * needs-patch), Proxmox VE 7.4's 5.15 leaked host PKRU (pve-kernel masks PKRU
 * on KVM_SET_XSAVE to compensate).  The caller says so; the probe's answers
 * decide.
 */

static enum xs_kp_class class_of(unsigned maj, unsigned min, unsigned sub, unsigned rc)
{
	unsigned k = maj * 1000 + min;

	if (k < 5016)
		return XS_KP_PRE_5_16;
	if (k == 5016 || (k == 5017 && rc && rc < 6))
		return XS_KP_LEAKS;
	if (k == 6001)
		return sub >= 60 ? XS_KP_FIXED : XS_KP_NEEDS_PATCH;
	if (k == 6005)
		return sub >= 9 ? XS_KP_FIXED : XS_KP_NEEDS_PATCH;
	if (k < 6006 || (k == 6006 && rc && rc < 7))
		return XS_KP_NEEDS_PATCH;
	return XS_KP_FIXED;
}

bool xs_kp_class_for_version(const char *release, const char *version,
			     enum xs_kp_class *cls, char label[32])
{
	const char *p = version ? strstr(version, "Debian ") : NULL;
	unsigned maj = 0, min = 0, sub = 0, rc = 0;
	int n = 0;

	if (p && p[7] >= '0' && p[7] <= '9')
		p += 7;
	else
		p = release;
	if (!p || sscanf(p, "%u.%u%n", &maj, &min, &n) != 2)
		return false;
	p += n;
	if (sscanf(p, ".%u%n", &sub, &n) == 1)
		p += n;
	if (sscanf(p, "-rc%u", &rc) != 1)
		rc = 0;
	if (maj > 99 || min > 999 || sub > 9999 || rc > 99)
		return false;
	*cls = class_of(maj, min, sub, rc);
	if (rc)
		snprintf(label, 32, "%u.%u.%u-rc%u", maj, min, sub, rc);
	else
		snprintf(label, 32, "%u.%u.%u", maj, min, sub);
	return true;
}

/* ---- the text form ------------------------------------------------------ */

/* A value that starts with a digit and ends the line. */
static int parse_num(const char *s, uint64_t *v)
{
	const char *end;

	if (*s < '0' || *s > '9' || !xs_text_u64(s, v, &end))
		return -1;
	return end[strspn(end, " \t\r")] ? -1 : 0;
}

static int parse_err(const char *s, size_t n, int *err)
{
	if (n == 2 && !memcmp(s, "ok", 2)) {
		*err = 0;
		return 0;
	}
	if (n > 5 && n < 12 && !memcmp(s, "errno", 5)) {
		char num[8];
		uint64_t v;

		memcpy(num, s + 5, n - 5);
		num[n - 5] = 0;
		if (parse_num(num, &v) || v == 0 || v > 4095)
			return -1;
		*err = (int)v;
		return 0;
	}
	for (int e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);

		if (name && strlen(name) == n && !memcmp(name, s, n)) {
			*err = e;
			return 0;
		}
	}
	return -1;
}

/* One "STEP RESULT [VALUE]" line: NULL, or what was expected. */
static const char *step_line(struct xs_kp_record *r, const char *line)
{
	size_t n = strcspn(line, " \t=");

	for (unsigned i = 0; i < XS_KP_NSTEPS; i++) {
		struct xs_kp_answer *a = &r->a[i];

		if (strlen(steps[i].name) != n || memcmp(steps[i].name, line, n))
			continue;
		if (a->asked)
			return "each step once";
		line += n + strspn(line + n, " \t");
		n = strcspn(line, " \t\r");
		if (parse_err(line, n, &a->err))
			return "\"ok\" or an errno name (EINVAL) after the step";
		a->asked = true;
		line += n + strspn(line + n, " \t\r");
		if (!*line)
			return a->err || !(has_value & 1u << i) ? NULL : "a value (0x..) after \"ok\"";
		if (a->err || !(has_value & 1u << i))
			return "no value after this step's result";
		return parse_num(line, &a->v) ? "a number (0x..) as the value" : NULL;
	}
	return "\"key=value\" or a step name (a record written by probe --record)";
}

static int set_fact(struct xs_fact *f, const char *v)
{
	if (parse_num(v, &f->v))
		return -1;
	f->have = true;
	return 0;
}

/* One line (leading blanks, blank lines and comments already skipped): NULL or what was expected. */
static const char *one_line(void *ctx, const char *line)
{
	struct xs_kp_record *r = ctx;
	static const struct {
		const char *key;
		size_t off;
	} facts[] = {
		{ "kvm.api=", offsetof(struct xs_kp_record, api) },
		{ "kvm.cap_xcrs=", offsetof(struct xs_kp_record, cap_xcrs) },
		{ "kvm.cap_xsave2=", offsetof(struct xs_kp_record, cap_xsave2) },
	};
	static const struct {
		const char *key;
		size_t off, size;
	} strs[] = {
		{ "kernel.release=", offsetof(struct xs_kp_record, release),
		  sizeof(((struct xs_kp_record *)0)->release) },
		{ "kernel.version=", offsetof(struct xs_kp_record, version),
		  sizeof(((struct xs_kp_record *)0)->version) },
		{ "kvm.module=", offsetof(struct xs_kp_record, module),
		  sizeof(((struct xs_kp_record *)0)->module) },
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		size_t n = strlen(strs[i].key);

		if (!strncmp(line, strs[i].key, n))
			return xs_text_str((char *)r + strs[i].off, strs[i].size, line + n)
				       ? NULL
				       : "a shorter value";
	}
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		size_t n = strlen(facts[i].key);

		if (!strncmp(line, facts[i].key, n))
			return set_fact((struct xs_fact *)((char *)r + facts[i].off), line + n)
				       ? "a number after '='"
				       : NULL;
	}
	return step_line(r, line);
}

/* ---- the record's accessors -------------------------------------------- */

static const struct xs_kp_answer not_asked;
static const struct xs_fact no_fact;

struct xs_kp_record *xs_kp_record_new(void)
{
	return calloc(1, sizeof(struct xs_kp_record));
}

struct xs_kp_record *xs_kp_record_dup(const struct xs_kp_record *r)
{
	struct xs_kp_record *c = malloc(sizeof(*c));

	if (c)
		*c = *r;
	return c;
}

void xs_kp_record_free(struct xs_kp_record *r)
{
	free(r);
}

unsigned xs_kp_nsteps(void)
{
	return XS_KP_NSTEPS;
}

static char *text_of(const struct xs_kp_record *r, enum xs_kp_text t, size_t *cap)
{
	struct xs_kp_record *w = (struct xs_kp_record *)r;

	switch (t) {
	case XS_KP_RELEASE: *cap = sizeof(r->release); return w->release;
	case XS_KP_KVERSION: *cap = sizeof(r->version); return w->version;
	case XS_KP_MODULE: *cap = sizeof(r->module); return w->module;
	}
	return NULL;
}

const char *xs_kp_record_text(const struct xs_kp_record *r, enum xs_kp_text t)
{
	size_t cap;
	const char *s = text_of(r, t, &cap);

	return s ? s : "";
}

bool xs_kp_record_set_text(struct xs_kp_record *r, enum xs_kp_text t, const char *v)
{
	size_t cap;
	char *s = text_of(r, t, &cap);

	return s && (size_t)snprintf(s, cap, "%s", v) < cap;
}

static struct xs_fact *fact_of(const struct xs_kp_record *r, enum xs_kp_kvm f)
{
	struct xs_kp_record *w = (struct xs_kp_record *)r;

	switch (f) {
	case XS_KP_API: return &w->api;
	case XS_KP_CAP_XCRS: return &w->cap_xcrs;
	case XS_KP_CAP_XSAVE2: return &w->cap_xsave2;
	}
	return NULL;
}

const struct xs_fact *xs_kp_record_kvm(const struct xs_kp_record *r, enum xs_kp_kvm f)
{
	const struct xs_fact *v = fact_of(r, f);

	return v ? v : &no_fact;
}

void xs_kp_record_set_kvm(struct xs_kp_record *r, enum xs_kp_kvm f, const struct xs_fact *v)
{
	struct xs_fact *to = fact_of(r, f);

	if (to)
		*to = *v;
}

const struct xs_kp_answer *xs_kp_record_answer(const struct xs_kp_record *r, enum xs_kp_step s)
{
	return (unsigned)s < XS_KP_NSTEPS ? &r->a[s] : &not_asked;
}

void xs_kp_record_set_answer(struct xs_kp_record *r, enum xs_kp_step s,
			     const struct xs_kp_answer *a)
{
	if ((unsigned)s < XS_KP_NSTEPS)
		r->a[s] = *a;
}

/* ---- the text form ------------------------------------------------------ */

int xs_kp_parse(const char *text, size_t len, struct xs_kp_record *r, struct xs_diag *d)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = xs_text_lines(text, len, one_line, r, d);
	if (!rc && !r->api.have)
		rc = XS_FAIL_AT(d, XS_EINVAL, len,
				"expected a kvm.api= line: this is not a probe record");
	return rc;
}

char *xs_kp_format(const struct xs_kp_record *r)
{
	struct sbuf b;

	xsp_sb_init(&b);
	xsp_sb_printf(&b, "# xsavectl probe record: the answers of one KVM probe\n");
	if (r->release[0])
		xsp_sb_printf(&b, "kernel.release=%s\n", r->release);
	if (r->version[0])
		xsp_sb_printf(&b, "kernel.version=%s\n", r->version);
	if (r->module[0])
		xsp_sb_printf(&b, "kvm.module=%s\n", r->module);
	if (r->api.have)
		xsp_sb_printf(&b, "kvm.api=%" PRIu64 "\n", r->api.v);
	if (r->cap_xcrs.have)
		xsp_sb_printf(&b, "kvm.cap_xcrs=%" PRIu64 "\n", r->cap_xcrs.v);
	if (r->cap_xsave2.have)
		xsp_sb_printf(&b, "kvm.cap_xsave2=%" PRIu64 "\n", r->cap_xsave2.v);
	for (unsigned i = 0; i < XS_KP_NSTEPS; i++) {
		const struct xs_kp_answer *a = &r->a[i];

		if (!a->asked)
			continue;
		xsp_sb_printf(&b, "%s %s", steps[i].name, XS_KP_ERR_NAME(a->err));
		if (!a->err && (has_value & 1u << i))
			xsp_sb_printf(&b, " 0x%" PRIx64, a->v);
		xsp_sb_printf(&b, "\n");
	}
	return xsp_sb_take(&b);
}
