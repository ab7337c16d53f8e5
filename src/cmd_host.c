// SPDX-License-Identifier: MIT
/*
 * xsavectl host: what this machine (or a recorded one) can load.  CPUID leaf
 * 0xD, XGETBV, MXCSR_MASK, arch_prctl and /dev/kvm, and the target mask they
 * imply.  --save-profile writes the same facts as a JSON target profile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/hostinfo.h>

#include "cmd.h"
#include "exitcodes.h"
#include "fail.h"
#include "sys/dest_facts.h"
#include "sys/profile_file.h"
#include "util.h"

enum { OPT_CPUID_FILE = 0x1400, OPT_SAVE, OPT_RECORD, OPT_NO_KVM, OPT_PROBE_FROM, OPT_QEMU };

struct host_args {
	bool json, record, no_kvm;
	const char *cpuid_file;
	const char *save;
	const char *probe_from, *qemu_version;
};

static const struct argp_option options[] = {
	{ "cpuid-file", OPT_CPUID_FILE, "FILE", 0,
	  "Describe the host recorded in FILE (CPUID file or profile) instead of this one", 0 },
	{ "save-profile", OPT_SAVE, "FILE", 0,
	  "Also write the facts as a JSON target profile for check/filter --target", 0 },
	{ "record", OPT_RECORD, NULL, 0,
	  "Print the facts in the CPUID-file text form that --cpuid-file reads", 0 },
	{ "no-kvm", OPT_NO_KVM, NULL, 0, "Do not open /dev/kvm (the kernel is then not probed)", 0 },
	{ "probe-from", OPT_PROBE_FROM, "REC", 0,
	  "The kernel's KVM_SET_XSAVE rule from a probe record (`xsavectl probe --record` there) "
	  "instead of probing this one", 0 },
	{ "qemu-version", OPT_QEMU, "VERSION", 0,
	  "The QEMU that loads states there (7.2, 10.0.2) instead of qemu-system-x86_64 --version", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct host_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->json;
		return 0;
	case OPT_CPUID_FILE:
		return once(state, "--cpuid-file", &a->cpuid_file, arg);
	case OPT_SAVE:
		return once(state, "--save-profile", &a->save, arg);
	case OPT_RECORD:
		a->record = true;
		return 0;
	case OPT_PROBE_FROM:
		return once(state, "--probe-from", &a->probe_from, arg);
	case OPT_QEMU:
		return once(state, "--qemu-version", &a->qemu_version, arg);
	case OPT_NO_KVM:
		a->no_kvm = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "host takes no file arguments (did you mean --cpuid-file?)");
		return 0;
	case ARGP_KEY_END:
		if (a->record && a->json)
			argp_error(state, "--record writes the text record (a CPUID file); --json does "
					  "not apply (the JSON report has it as \"record\")");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.children = json_children,
	.doc = "Show what this host can load: CPUID leaf 0xD (libcpuid), XGETBV, arch_prctl, "
	       "/dev/kvm, and the resulting target mask (what KVM_SET_XSAVE accepts here).",
};

static int save_profile(const struct host_args *a, const struct xs_hostinfo *h,
			const struct dest_facts *df, const char *source, const char *record)
{
	struct out *o = common_out(OUT_JSON);
	struct fail why = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f) {
		out_free(o);
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	show_host(o, h, df, source, a->cpuid_file, record);
	rc = out_write(o, f);
	out_free(o);
	if (fclose(f) || rc) {
		free(buf);
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	rc = fail_said(&why, io_write_atomic(a->save, (const uint8_t *)buf, len, CODEC_NONE, NULL, &why));
	free(buf);
	return rc;
}

/* Is @file a profile (JSON) rather than a CPUID file?  host_facts() read it already. */
static bool is_profile(const char *file)
{
	struct io_file f;
	bool json;

	if (io_read(file, 1 << 20, &f, NULL))
		return false;
	json = profile_is_json(f.buf, f.len);
	io_free(&f);
	return json;
}

/*
 * The kernel and QEMU that load states there: a recorded host's from its
 * version 2 profile (a CPUID file has none), this machine's live; then what
 * --probe-from and --qemu-version say instead.
 */
static int dest(const struct host_args *a, struct dest_facts *df)
{
	const char *env = getenv("XSAVECTL_HOST_CPUID");
	const char *file = a->cpuid_file ? a->cpuid_file : env && *env ? env : NULL;
	struct fail why = { 0 };
	struct profile p;
	int rc;

	memset(df, 0, sizeof(*df));
	if (!file) {
		dest_live(!a->no_kvm, df);
	} else if (is_profile(file) && !(rc = fail_said(&why, profile_load(file, &p, &why))) &&
		   (p.kernel_from[0] || p.qemu_version)) {
		df->kernel = p.kernel;
		memcpy(df->release, p.kernel_release, sizeof(df->release));
		memcpy(df->kernel_from, p.kernel_from, sizeof(df->kernel_from));
		df->qemu_version = p.qemu_version;
		snprintf(df->qemu_from, sizeof(df->qemu_from), "profile %s", file);
		profile_free(&p);
	} else {
		snprintf(df->kernel_from, sizeof(df->kernel_from), "not recorded in %s", file);
		snprintf(df->qemu_from, sizeof(df->qemu_from), "not recorded in %s", file);
	}
	memset(&why, 0, sizeof(why));
	if (a->probe_from && (rc = dest_from_record(a->probe_from, df, &why)))
		return fail_said(&why, rc);
	return a->qemu_version ? fail_said(&why, dest_set_qemu(a->qemu_version, df, &why)) : 0;
}

static int run(int argc, char **argv)
{
	struct host_args a = { 0 };
	struct xs_hostinfo h;
	struct dest_facts df;
	struct xs_common c = { 0 };
	struct fail why = { 0 };
	const char *source;
	char *record;
	struct out *o;
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = fail_said(&why, host_facts(a.cpuid_file, !a.no_kvm, &h, &source, &why));
	if (rc || (rc = dest(&a, &df)))
		return rc;
	record = xs_hostinfo_format(&h);
	if (!record) {
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	if (a.save && (rc = save_profile(&a, &h, &df, source, record))) {
		free(record);
		return rc;
	}
	if (a.record) {
		rc = common_print(record);
		free(record);
		return rc;
	}
	c.json = a.json;
	o = common_out(c.json ? OUT_JSON : OUT_TEXT);
	show_host(o, &h, &df, source, a.cpuid_file, record);
	free(record);
	return common_finish(o);
}

const struct xs_cmd xs_cmd_host = {
	.name = "host",
	.summary = "show what this host can load (CPUID 0xD, XGETBV, arch_prctl, /dev/kvm)",
	.argp = &argp,
	.run = run,
};
