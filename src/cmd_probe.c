// SPDX-License-Identifier: MIT
/*
 * xsavectl probe: does this kernel's KVM refuse (or leak) XSAVE state the
 * guest CPUID lacks?  Asks /dev/kvm on throwaway vCPUs (src/sys/kvm_probe.c),
 * or judges a record saved with --record (--from).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsave/kprobe.h>

#include "cmd.h"
#include "exitcodes.h"
#include "fail.h"
#include "sys/kvm_probe.h"
#include "util.h"

#ifndef XSAVECTL_KERNEL_DIR
#define XSAVECTL_KERNEL_DIR "/usr/local/share/xsavectl/kernel"
#endif

enum { OPT_FROM = 0x1500, OPT_RECORD, OPT_DEVICE };

struct probe_args {
	bool json, record;
	const char *from;
	const char *device;
};

static const struct argp_option options[] = {
	{ "record", OPT_RECORD, NULL, 0,
	  "Print the answers in the text form --from reads, instead of the verdict", 0 },
	{ "from", OPT_FROM, "FILE", 0, "Judge a record made with --record instead of asking KVM", 0 },
	{ "device", OPT_DEVICE, "PATH", 0, "The KVM device to ask (default /dev/kvm)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct probe_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->json;
		return 0;
	case OPT_RECORD:
		a->record = true;
		return 0;
	case OPT_FROM:
		return once(state, "--from", &a->from, arg);
	case OPT_DEVICE:
		return once(state, "--device", &a->device, arg);
	case ARGP_KEY_ARG:
		argp_error(state, "probe takes no file arguments (did you mean --from?)");
		return 0;
	case ARGP_KEY_END:
		if (a->from && a->device)
			argp_error(state, "--from and --device exclude each other");
		if (a->from && a->record)
			argp_error(state, "--record writes what --from reads: use one");
		if (a->record && a->json)
			argp_error(state, "--record writes the text record; --json does not apply");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.children = json_children,
	.doc = "Find out whether this kernel's KVM has the KVM_SET_XSAVE regression: on a throwaway "
	       "VM whose vCPUs never run, load state the guest CPUID lacks, read state back, and "
	       "check how strictly the XSAVE header is read.  Exit 0 fixed or pre-5.16, 1 needs "
	       "the kernel patch, 2 leaks host features into its dumps, 3 inconclusive, 69 no KVM "
	       "device, 77 no permission to open it.",
};

static int class_exit(enum xs_kp_class c)
{
	switch (c) {
	case XS_KP_FIXED:
	case XS_KP_PRE_5_16:
		return EXIT_OK;
	case XS_KP_NEEDS_PATCH:
		return EXIT_NO;
	case XS_KP_LEAKS:
		return EXIT_FIXABLE;
	default:
		return EXIT_INCONCLUSIVE;
	}
}

static const char *advice(enum xs_kp_class c)
{
	switch (c) {
	case XS_KP_FIXED:
		return "states load here whatever the guest CPUID; only features this host lacks "
		       "need `xsavectl filter`";
	case XS_KP_NEEDS_PATCH:
		return "patch the kernel (series below), or `xsavectl filter` every incoming state "
		       "to its guest's XCR0 before it is loaded here";
	case XS_KP_LEAKS:
		return "states saved here carry host features the guest lacks: `xsavectl check` and "
		       "`filter` them before loading them on a 5.17+ kernel";
	case XS_KP_PRE_5_16:
		return "no regression: states load whatever the guest CPUID and are saved as the "
		       "guest sees them";
	default:
		return "these answers decide nothing: run the probe where KVM applies the guest "
		       "CPUID (kvm_intel, kvm_amd); the version hint holds for mainline and stable "
		       "kernels only";
	}
}

/*
 * Where the series for a needs-patch kernel is ($XSAVECTL_KERNEL_DIR, else
 * where make install put it): written for 6.1.y, meant for 6.2-6.5 too.
 */
static void show_patch(struct out *o, enum xs_kp_class c, const char *label)
{
	const char *dir = getenv("XSAVECTL_KERNEL_DIR");
	char *path;

	if (c != XS_KP_NEEDS_PATCH) {
		out_null(o, "patch");
		return;
	}
	if (!dir || !*dir)
		dir = XSAVECTL_KERNEL_DIR;
	path = xasprintf("%s/6.1.y", dir);
	out_str(o, "patch", path);
	if (access(path, R_OK))
		out_note(o, "(not installed here: kernel/6.1.y in the xsavectl source)");
	else if (label && strncmp(label, "6.1.", 4))
		out_note(o, "(written for 6.1.y, untried on %s: read %s/README.md)", label, dir);
	else
		out_note(o, "(how to apply it: %s/README.md)", dir);
	free(path);
}

static const char *style_name(enum xs_kp_style s)
{
	return s == XS_KP_STYLE_516 ? "5.16+" : s == XS_KP_STYLE_OLD ? "before 5.16" : "unknown";
}

static void str_or_null(struct out *o, const char *key, const char *v)
{
	if (*v)
		out_str(o, key, v);
	else
		out_null(o, key);
}

static void show_kernel(struct out *o, const struct xs_kp_record *r, enum xs_kp_class *hint,
			char label[32])
{
	const char *release = xs_kp_record_text(r, XS_KP_RELEASE);
	const char *version = xs_kp_record_text(r, XS_KP_KVERSION);
	bool have = xs_kp_class_for_version(release, version, hint, label);

	out_obj(o, "kernel");
	str_or_null(o, "release", release);
	str_or_null(o, "version", version);
	str_or_null(o, "module", xs_kp_record_text(r, XS_KP_MODULE));
	if (have) {
		out_str(o, "by_version", xs_kp_class_name(*hint));
		out_note(o, "(%s; a hint for mainline and stable kernels only: distribution "
			 "kernels backport, the measured class decides)", label);
	} else {
		out_null(o, "by_version");
	}
	out_end(o);
}

static void show_steps(struct out *o, const struct xs_kp_record *r)
{
	out_arr(o, "steps");
	for (unsigned i = 0; i < XS_KP_NSTEPS; i++) {
		const struct xs_kp_answer *a = xs_kp_record_answer(r, i);
		char finding[XS_KP_FINDING_LEN];

		if (!a->asked)
			continue;
		out_obj(o, NULL);
		out_str(o, "step", xs_kp_step_name(i));
		out_str(o, "ioctl", xs_kp_step_ioctl(i));
		out_str(o, "result", XS_KP_ERR_NAME(a->err));
		if (!a->err && xs_kp_step_has_value(i)) {
			out_strf(o, "value", "0x%" PRIx64, a->v);
			out_text_hide(o);
		}
		xs_kp_finding(r, i, finding, sizeof(finding));
		out_str(o, "finding", finding);
		out_end(o);
	}
	out_end(o);
}

static int report(const struct probe_args *a, const struct xs_kp_record *r, const char *source)
{
	struct xs_kp_verdict v;
	enum xs_kp_class hint = XS_KP_INCONCLUSIVE;
	char label[32] = "";
	struct xs_common c = { .json = a->json };
	struct out *o = common_out(c.json ? OUT_JSON : OUT_TEXT);
	int rc;

	xs_kp_judge(r, &v);
	out_str(o, "source", source);
	show_kernel(o, r, &hint, label);
	out_str(o, "class", xs_kp_class_name(v.cls));
	if (label[0] && v.cls != XS_KP_INCONCLUSIVE && hint != v.cls)
		out_note(o, "(the version suggests %s; the measured class decides: a distribution "
			 "kernel with backports, or a KVM that is not what its version says)",
			 xs_kp_class_name(hint));
	out_str(o, "reason", v.reason);
	out_str(o, "advice", advice(v.cls));
	show_patch(o, v.cls, label[0] ? label : NULL);
	out_obj(o, "kvm");
	show_fact(o, "api", xs_kp_record_kvm(r, XS_KP_API));
	show_fact(o, "cap_xcrs", xs_kp_record_kvm(r, XS_KP_CAP_XCRS));
	show_fact(o, "cap_xsave2", xs_kp_record_kvm(r, XS_KP_CAP_XSAVE2));
	out_mask(o, "tested_xcr0", v.tested);
	if (v.cpuid_applied < 0)
		out_null(o, "cpuid_applied");
	else
		out_bool(o, "cpuid_applied", v.cpuid_applied);
	out_str(o, "header_checks", style_name(v.style));
	out_bool(o, "fpsse_refused_without_xsave", v.fpsse_bug);
	show_steps(o, r);
	out_end(o);
	rc = common_finish(o);
	return rc ? rc : class_exit(v.cls);
}

static int from_file(const struct probe_args *a)
{
	struct xs_kp_record *r;
	struct xs_diag d = { 0 };
	struct io_file f;
	struct fail why = { 0 };
	int rc = io_read(a->from, 1 << 20, &f, &why);

	if (rc)
		return fail_said(&why, rc);
	r = xs_kp_record_new();
	if (!r) {
		io_free(&f);
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	if (xs_kp_parse((const char *)f.buf, f.len, r, &d)) {
		msg_diag(a->from, &d);
		io_free(&f);
		xs_kp_record_free(r);
		return EXIT_DATAERR;
	}
	io_free(&f);
	rc = report(a, r, a->from);
	xs_kp_record_free(r);
	return rc;
}

static int print_record(const struct xs_kp_record *r)
{
	char *text = xs_kp_format(r);
	int rc;

	if (!text) {
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	rc = common_print(text);
	free(text);
	return rc;
}

static int live(const struct probe_args *a, struct xs_kp_record *r)
{
	int rc = probe_live(a->device, r);

	if (rc == -EACCES || rc == -EPERM) {
		msg_err("'%s': %s: run as root or as a member of the device's group (kvm)", a->device,
			strerror(-rc));
		return EXIT_NOPERM;
	}
	if (rc == -ENOTTY) {
		msg_err("'%s': not a KVM device (KVM_GET_API_VERSION: %s)", a->device, strerror(-rc));
		return EXIT_UNAVAILABLE;
	}
	if (rc) {
		msg_err("'%s': %s: KVM is not available on this host (no kvm_intel or kvm_amd "
			"module?)", a->device, strerror(-rc));
		return EXIT_UNAVAILABLE;
	}
	if (a->record)
		return print_record(r);
	return report(a, r, "live");
}

static int run(int argc, char **argv)
{
	struct probe_args a = { 0 };
	struct xs_kp_record *r;
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	if (a.from)
		return from_file(&a);
	if (!a.device)
		a.device = "/dev/kvm";
	r = xs_kp_record_new();
	if (!r) {
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	rc = live(&a, r);
	xs_kp_record_free(r);
	return rc;
}

const struct xs_cmd xs_cmd_probe = {
	.name = "probe",
	.summary = "does this kernel's KVM refuse or leak state the guest CPUID lacks (exit 0/1/2/3)",
	.argp = &argp,
	.run = run,
};
