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
#include "sys/profile_file.h"
#include "util.h"

enum { OPT_CPUID_FILE = 0x1400, OPT_SAVE, OPT_RECORD, OPT_NO_KVM };

struct host_args {
	bool json, record, no_kvm;
	const char *cpuid_file;
	const char *save;
};

static const struct argp_option options[] = {
	{ "cpuid-file", OPT_CPUID_FILE, "FILE", 0,
	  "Describe the host recorded in FILE (CPUID file or profile) instead of this one", 0 },
	{ "save-profile", OPT_SAVE, "FILE", 0,
	  "Also write the facts as a JSON target profile for check/filter --target", 0 },
	{ "record", OPT_RECORD, NULL, 0,
	  "Print the facts in the CPUID-file text form that --cpuid-file reads", 0 },
	{ "no-kvm", OPT_NO_KVM, NULL, 0, "Do not open /dev/kvm", 0 },
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
			const char *source, const char *record)
{
	struct xs_common c = { .json = true };
	struct out *o = common_out(&c);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f) {
		out_free(o);
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	show_host(o, h, source, a->cpuid_file, record);
	rc = out_write(o, f);
	out_free(o);
	if (fclose(f) || rc) {
		free(buf);
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	rc = io_write_atomic(a->save, (const uint8_t *)buf, len, false, NULL);
	free(buf);
	return rc;
}

static int run(int argc, char **argv)
{
	struct host_args a = { 0 };
	struct xs_hostinfo h;
	struct xs_common c = { 0 };
	const char *source;
	char *record;
	struct out *o;
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	rc = host_facts(a.cpuid_file, !a.no_kvm, &h, &source);
	if (rc)
		return rc;
	record = xs_hostinfo_format(&h);
	if (!record) {
		msg_err("out of memory");
		return EXIT_SOFTWARE;
	}
	if (a.save && (rc = save_profile(&a, &h, source, record))) {
		free(record);
		return rc;
	}
	if (a.record) {
		rc = common_print(record);
		free(record);
		return rc;
	}
	c.json = a.json;
	o = common_out(&c);
	show_host(o, &h, source, a.cpuid_file, record);
	free(record);
	return common_finish(o);
}

const struct xs_cmd xs_cmd_host = {
	.name = "host",
	.summary = "show what this host can load (CPUID 0xD, XGETBV, arch_prctl, /dev/kvm)",
	.argp = &argp,
	.run = run,
};
