// SPDX-License-Identifier: MIT
/*
 * The probe's judgement (lib/kprobe.c): every class from recorded
 * answers (tests/data/probe/), answers changed one at a time, the record's
 * text form, and the class each kernel version implies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/kprobe.h>

#include "check.h"

/* A record's answer or KVM fact with one field changed (the record is opaque). */
#define SET(r, s, field, val)                                                  \
	do {                                                                   \
		struct xs_kp_answer a_ = *xs_kp_record_answer((r), (s));       \
		a_.field = (val);                                              \
		xs_kp_record_set_answer((r), (s), &a_);                        \
	} while (0)
#define SET_KVM(r, f, val)                                                     \
	do {                                                                   \
		struct xs_fact f_ = *xs_kp_record_kvm((r), (f));               \
		f_.v = (val);                                                  \
		xs_kp_record_set_kvm((r), (f), &f_);                           \
	} while (0)

static struct xs_kp_record *load(const char *name)
{
	struct xs_kp_record *r = xs_kp_record_new();
	struct xs_diag d = { 0 };
	size_t len;
	char path[64];
	unsigned char *buf;

	snprintf(path, sizeof(path), "probe/%s", name);
	buf = t_load(path, &len);
	if (!r || xs_kp_parse((const char *)buf, len, r, &d)) {
		printf("Bail out! %s: %s\n", name, r ? d.msg : "out of memory");
		exit(2);
	}
	free(buf);
	return r;
}

/* @r (freed) replaced by a copy of @base. */
static struct xs_kp_record *again(struct xs_kp_record *r, const struct xs_kp_record *base)
{
	xs_kp_record_free(r);
	r = xs_kp_record_dup(base);
	if (!r) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	return r;
}

/* Every answer, text and KVM fact of @a equal to @b's. */
static bool same(const struct xs_kp_record *a, const struct xs_kp_record *b)
{
	for (unsigned i = 0; i < xs_kp_nsteps(); i++)
		if (memcmp(xs_kp_record_answer(a, i), xs_kp_record_answer(b, i),
			   sizeof(struct xs_kp_answer)))
			return false;
	for (enum xs_kp_text t = XS_KP_RELEASE; t <= XS_KP_MODULE; t++)
		if (strcmp(xs_kp_record_text(a, t), xs_kp_record_text(b, t)))
			return false;
	for (enum xs_kp_kvm f = XS_KP_API; f <= XS_KP_CAP_XSAVE2; f++)
		if (memcmp(xs_kp_record_kvm(a, f), xs_kp_record_kvm(b, f), sizeof(struct xs_fact)))
			return false;
	return true;
}

static enum xs_kp_class judge(const struct xs_kp_record *r, struct xs_kp_verdict *v)
{
	xs_kp_judge(r, v);
	return v->cls;
}

static void recorded(void)
{
	static const struct {
		const char *file;
		enum xs_kp_class cls;
		int cpuid_applied;
		enum xs_kp_style style;
		bool fpsse_bug;
	} cases[] = {
		/* real: probe --record against real KVM builds (make nested-check) */
		{ "nested-6.1.192-stock.rec", XS_KP_FIXED, 1, XS_KP_STYLE_516, false },
		{ "nested-6.1.192-leaky.rec", XS_KP_LEAKS, 1, XS_KP_STYLE_516, false },
		{ "nested-6.1.192-affected.rec", XS_KP_NEEDS_PATCH, 1, XS_KP_STYLE_516, false },
		{ "nested-6.1.192-no-fpsse.rec", XS_KP_NEEDS_PATCH, 1, XS_KP_STYLE_516, true },
		/* synthetic: what kernel-xsave.md documents */
		{ "fixed-6.1.64.rec", XS_KP_FIXED, 1, XS_KP_STYLE_516, false },
		{ "needs-patch-6.1.55.rec", XS_KP_NEEDS_PATCH, 1, XS_KP_STYLE_516, false },
		{ "needs-patch-5.18.rec", XS_KP_NEEDS_PATCH, 1, XS_KP_STYLE_516, true },
		{ "leaks-5.16.rec", XS_KP_LEAKS, 1, XS_KP_STYLE_516, false },
		{ "pre-5.16-5.10.rec", XS_KP_PRE_5_16, 1, XS_KP_STYLE_OLD, false },
		/* real: this machine's kvm_pvm */
		{ "pvm-zen3.rec", XS_KP_INCONCLUSIVE, 0, XS_KP_STYLE_516, false },
		{ "inconclusive-xcrs.rec", XS_KP_INCONCLUSIVE, 0, XS_KP_STYLE_516, false },
		{ "inconclusive-contradiction.rec", XS_KP_INCONCLUSIVE, 1, XS_KP_STYLE_OLD, false },
		{ "inconclusive-noext.rec", XS_KP_INCONCLUSIVE, -1, XS_KP_STYLE_UNKNOWN, false },
		{ "inconclusive-createvm.rec", XS_KP_INCONCLUSIVE, -1, XS_KP_STYLE_UNKNOWN, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xs_kp_record *r = load(cases[i].file);
		struct xs_kp_verdict v;

		CHECK(judge(r, &v) == cases[i].cls, "%s: class %s, want %s (%s)", cases[i].file,
		      xs_kp_class_name(v.cls), xs_kp_class_name(cases[i].cls), v.reason);
		CHECK(v.cpuid_applied == cases[i].cpuid_applied, "%s: cpuid_applied %d, want %d",
		      cases[i].file, v.cpuid_applied, cases[i].cpuid_applied);
		CHECK(v.style == cases[i].style, "%s: header style %d, want %d", cases[i].file,
		      v.style, cases[i].style);
		CHECK(v.fpsse_bug == cases[i].fpsse_bug, "%s: fpsse_bug %d", cases[i].file,
		      v.fpsse_bug);
		xs_kp_record_free(r);
	}
}

/* One answer changed at a time from a fixed kernel's record: each moves the class. */
static void mutations(void)
{
	struct xs_kp_record *base = load("fixed-6.1.64.rec"), *r = NULL;
	struct xs_kp_verdict v;

	CHECK_U64(judge(base, &v), XS_KP_FIXED, "baseline is fixed");
	CHECK_U64(v.tested, 0x2e7, "tested = S without AMX");

	r = again(r, base);
	SET(r, XS_KP_LIM_SET_XSAVE, err, EINVAL);
	SET(r, XS_KP_LIM_GET_XSAVE, asked, false);
	CHECK(judge(r, &v) == XS_KP_NEEDS_PATCH, "SET refused: needs-patch (%s)", v.reason);

	xs_kp_record_free(r);
	r = load("needs-patch-6.1.55.rec");
	SET(r, XS_KP_LEAK_SET_XSAVE, err, EINVAL);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE && strstr(v.reason, "without CPUID"),
	      "SET refused without any CPUID too: not the regression (%s)", v.reason);

	r = again(r, base);
	SET(r, XS_KP_LEAK_GET_XSAVE, v, 0x2e7);
	CHECK(judge(r, &v) == XS_KP_LEAKS, "GET beyond x87|sse: leaks (%s)", v.reason);
	CHECK(strstr(v.reason, "0x2e4") != NULL, "leaked bits named: %s", v.reason);

	r = again(r, base);
	SET(r, XS_KP_LIM_GET_XSAVE, v, 0x207);
	CHECK(judge(r, &v) == XS_KP_LEAKS, "GET after SET beyond x87|sse: leaks");

	r = again(r, base);
	SET(r, XS_KP_LIM_GET_CPUID, v, 0x2e7);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE && v.cpuid_applied == 0,
	      "CPUID read back rewritten: inconclusive (%s)", v.reason);

	r = again(r, base);
	SET(r, XS_KP_LIM_GET_CPUID, err, EINVAL);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE && v.cpuid_applied == -1,
	      "CPUID not readable: inconclusive, applied unknown");

	r = again(r, base);
	SET(r, XS_KP_LIM_SET_XCRS, err, 0);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE && v.cpuid_applied == 0,
	      "XCR0 beyond the CPUID accepted: inconclusive");

	r = again(r, base);
	SET(r, XS_KP_LIM_SET_XCRS, asked, false);
	CHECK(judge(r, &v) == XS_KP_FIXED, "no XCRS answer: the read-back CPUID decides");

	r = again(r, base);
	SET(r, XS_KP_LIM_SET_XSAVE, err, EFAULT);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE && strstr(v.reason, "EFAULT"),
	      "SET failing otherwise: inconclusive naming the errno (%s)", v.reason);

	r = again(r, base);
	SET(r, XS_KP_NOX_SET_XSAVE, err, EINVAL);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE, "x87/sse refused but S accepted: contradiction");

	r = again(r, base);
	SET(r, XS_KP_NOX_SET_XSAVE, err, EINVAL);
	SET(r, XS_KP_NOX_GET_CPUID, v, 0x7);
	CHECK(judge(r, &v) == XS_KP_FIXED && !v.fpsse_bug,
	      "no-XSAVE test void when its CPUID was rewritten");

	r = again(r, base);
	SET(r, XS_KP_HDR_XCOMP, err, 0);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE && v.style == XS_KP_STYLE_UNKNOWN,
	      "mixed header answers: unknown style, inconclusive");

	r = again(r, base);
	SET(r, XS_KP_HDR_BASE, err, EINVAL);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE, "baseline refused: header answers void");

	r = again(r, base);
	SET_KVM(r, XS_KP_API, 11);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE && strstr(v.reason, "API version 11"),
	      "API version 11: %s", v.reason);

	r = again(r, base);
	SET_KVM(r, XS_KP_CAP_XCRS, 0);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE, "no XSAVE on the host: nothing to test");

	r = again(r, base);
	SET(r, XS_KP_SUPPORTED, v, XS_MASK_FPSSE | XS_MASK_AMX);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE && v.tested == XS_MASK_FPSSE,
	      "only AMX beyond x87|sse (dynamic, untested): nothing to test");

	r = again(r, base);
	SET(r, XS_KP_SUPPORTED, err, E2BIG);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE && strstr(v.reason, "E2BIG"),
	      "KVM_GET_SUPPORTED_CPUID failing: %s", v.reason);

	r = again(r, base);
	SET(r, XS_KP_LIM_GET_XSAVE, asked, false);
	SET(r, XS_KP_LEAK_GET_XSAVE, err, EFAULT);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE, "no GET answer: inconclusive");

	r = again(r, base);
	SET(r, XS_KP_LEAK_GET_XSAVE, v, 0x207);
	SET(r, XS_KP_HDR_XCOMP, err, 0);
	SET(r, XS_KP_HDR_RESERVED, err, 0);
	SET(r, XS_KP_HDR_MXCSR, err, EINVAL);
	CHECK(judge(r, &v) == XS_KP_INCONCLUSIVE, "leak with old header checks: contradiction");

	r = again(r, base);
	SET(r, XS_KP_HDR_XCOMP, err, 0);
	SET(r, XS_KP_HDR_RESERVED, err, 0);
	SET(r, XS_KP_HDR_MXCSR, err, EINVAL);
	CHECK(judge(r, &v) == XS_KP_PRE_5_16, "accepts, hides, old header checks: pre-5.16");
	xs_kp_record_free(r);
	xs_kp_record_free(base);
}

static void text_form(void)
{
	static const char *const files[] = {
		"fixed-6.1.64.rec", "needs-patch-6.1.55.rec", "needs-patch-5.18.rec", "leaks-5.16.rec",
		"pre-5.16-5.10.rec", "pvm-zen3.rec", "inconclusive-createvm.rec",
	};
	struct xs_diag d;
	struct xs_kp_record *r, *back = xs_kp_record_new();

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text;

		r = load(files[i]);
		text = xs_kp_format(r);
		CHECK(text && back && !xs_kp_parse(text, strlen(text), back, &d) && same(r, back),
		      "%s: format then parse gives the record back", files[i]);
		free(text);
		xs_kp_record_free(r);
	}
	r = back;

	static const struct {
		const char *text;
		const char *msg;
		uint64_t off;
	} bad[] = {
		{ "kvm.api=12\nbogus.step ok\n", "line 2: expected \"key=value\" or a step name", 11 },
		{ "kvm.api=12\ncreate_vm ok\n", "line 2: expected a value (0x..) after \"ok\"", 11 },
		{ "kvm.api=12\ncreate_vm EINVAL 0x3\n", "line 2: expected no value after", 11 },
		{ "kvm.api=12\nheader.mxcsr ok 0x1\n", "line 2: expected no value after", 11 },
		{ "kvm.api=12\ncreate_vm ok 12z\n", "line 2: expected a number (0x..)", 11 },
		{ "kvm.api=12\ncreate_vm NOPE\n", "line 2: expected \"ok\" or an errno name", 11 },
		{ "kvm.api=12\ncreate_vm errno0\n", "line 2: expected \"ok\" or an errno name", 11 },
		{ "kvm.api=\n", "line 1: expected a number after '='", 0 },
		{ "kvm.api=1\x00\n", "line 1: NUL byte", 0 },
		{ "# just a comment\n", "expected a kvm.api= line", 17 },
		{ "kvm.api=12\nkvm.module=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  "line 2: expected a shorter value", 11 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].text);

		if (strstr(bad[i].msg, "NUL"))
			len = 12;
		memset(&d, 0, sizeof(d));
		CHECK(xs_kp_parse(bad[i].text, len, r, &d) == -XS_EINVAL &&
			      strstr(d.msg, bad[i].msg) && d.has_off && d.off == bad[i].off,
		      "bad record %zu: \"%s\" at 0x%llx", i, d.msg, (unsigned long long)d.off);
	}
	static const char crlf[] = "kvm.api=12\r\nlimited.set_xsave EINVAL\r\ncreate_vm ok 0x1000\r\n";

	CHECK(!xs_kp_parse(crlf, strlen(crlf), r, &d) &&
		      xs_kp_record_answer(r, XS_KP_LIM_SET_XSAVE)->err == EINVAL &&
		      xs_kp_record_answer(r, XS_KP_CREATE_VM)->v == 0x1000,
	      "CRLF line ends are read");
	static const char odd[] = "kvm.api=12\nlimited.set_xsave errno300\n";

	CHECK(!xs_kp_parse(odd, strlen(odd), r, &d) &&
		      xs_kp_record_answer(r, XS_KP_LIM_SET_XSAVE)->err == 300,
	      "an errno glibc cannot name is written and read as errnoN");
	xs_kp_record_free(r);
}

static void versions(void)
{
	static const struct {
		const char *release, *version;
		enum xs_kp_class cls;
		const char *label;
	} v[] = {
		{ "5.10.0-28-amd64", "#1 SMP Debian 5.10.209-2 (2024-01-31)", XS_KP_PRE_5_16, "5.10.209" },
		{ "5.15.0-91-generic", "#101-Ubuntu SMP", XS_KP_PRE_5_16, "5.15.0" },
		{ "5.16.20", "#1 SMP", XS_KP_LEAKS, "5.16.20" },
		{ "5.17.0-rc5", "#1", XS_KP_LEAKS, "5.17.0-rc5" },
		{ "5.17.0-rc6", "#1", XS_KP_NEEDS_PATCH, "5.17.0-rc6" },
		{ "5.17.15", "#1", XS_KP_NEEDS_PATCH, "5.17.15" },
		{ "5.19.17", "#1", XS_KP_NEEDS_PATCH, "5.19.17" },
		{ "6.0.19", "#1", XS_KP_NEEDS_PATCH, "6.0.19" },
		{ "6.1.0-13-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)",
		  XS_KP_NEEDS_PATCH, "6.1.55" },
		{ "6.1.0-15-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.64-1 (2023-11-30)", XS_KP_FIXED,
		  "6.1.64" },
		{ "6.1.59", "#1", XS_KP_NEEDS_PATCH, "6.1.59" },
		{ "6.1.60", "#1", XS_KP_FIXED, "6.1.60" },
		{ "6.4.16", "#1", XS_KP_NEEDS_PATCH, "6.4.16" },
		{ "6.5.8", "#1", XS_KP_NEEDS_PATCH, "6.5.8" },
		{ "6.5.9", "#1", XS_KP_FIXED, "6.5.9" },
		{ "6.6.0-rc6", "#1", XS_KP_NEEDS_PATCH, "6.6.0-rc6" },
		{ "6.6.0-rc7", "#1", XS_KP_FIXED, "6.6.0-rc7" },
		{ "6.6", "#1", XS_KP_FIXED, "6.6.0" },
		{ "6.18.44-fc-v657", "#1 SMP PREEMPT_DYNAMIC @0", XS_KP_FIXED, "6.18.44" },
		{ "4.19.0", NULL, XS_KP_PRE_5_16, "4.19.0" },
	};
	enum xs_kp_class c;
	char label[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool ok = xs_kp_class_for_version(v[i].release, v[i].version, &c, label);

		CHECK(ok && c == v[i].cls && !strcmp(label, v[i].label), "%s: %s as %s", v[i].release,
		      ok ? xs_kp_class_name(c) : "unread", ok ? label : "-");
	}
	CHECK(!xs_kp_class_for_version("", "", &c, label), "empty release: no hint");
	CHECK(!xs_kp_class_for_version("vmlinuz", "#1", &c, label), "no numbers: no hint");
	CHECK(!xs_kp_class_for_version("1000.1", "#1", &c, label), "absurd numbers: no hint");
}

int main(void)
{
	recorded();
	mutations();
	text_form();
	versions();
	CHECK(!strcmp(xs_kp_step_name(XS_KP_NSTEPS), "?") && !strcmp(xs_kp_class_name(99), "?"),
	      "out-of-range names are \"?\"");
	return t_done("kprobe");
}
