// SPDX-License-Identifier: MIT
/*
 * The options every reading command shares (--json, --brief, --layout,
 * --guest-xcr0, --raw, --thread, --vcpu, --snapshot, --verify, --progress) and
 * their resolution into a struct xs_common.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsave/hostinfo.h>

#include "batch.h"
#include "cmd.h"
#include "exitcodes.h"
#include "fail.h"
#include "util.h"

enum { OPT_LAYOUT = 0x1000, OPT_GUEST, OPT_THREAD, OPT_VCPU, OPT_VERIFY, OPT_PROGRESS, OPT_NO_PROGRESS,
       OPT_RAW, OPT_SNAPSHOT };

static const struct argp_option common_options[] = {
	{ "brief", 'q', NULL, 0, "One line per state (and per input that cannot be read)", -1 },
	{ "layout", OPT_LAYOUT, "intel|amd|host|FILE", 0,
	  "Standard-format offsets to use instead of inferring them (FILE: a CPUID file, "
	  "e.g. from `xsavectl host --record`, or a profile)", -1 },
	{ "guest-xcr0", OPT_GUEST, "MASK", 0,
	  "The guest's XCR0, for raw images that do not carry it", -1 },
	{ "raw", OPT_RAW, NULL, 0,
	  "Read a file no other format takes as a raw XSAVE image even where its size or "
	  "bytes are none a known producer writes", -1 },
	{ "thread", OPT_THREAD, "TID", 0, "Only this thread of an ELF core or a CRIU checkpoint", -1 },
	{ "vcpu", OPT_VCPU, "N", 0, "Only this vCPU (cpu_index) of a QEMU stream", -1 },
	{ "snapshot", OPT_SNAPSHOT, "NAME|ID", 0,
	  "Only this internal snapshot of a qcow2 image (by default every one with VM state)", -1 },
	{ "verify", OPT_VERIFY, NULL, 0,
	  "Walk and check every RAM record of a plain stream (by default the device sections "
	  "are read alone where the vmdesc locates them)", -1 },
	{ "progress", OPT_PROGRESS, NULL, 0,
	  "Show the progress of long reads and copies on stderr (default: when it is a terminal)",
	  -1 },
	{ "no-progress", OPT_NO_PROGRESS, NULL, 0, "Never show progress", -1 },
	{ 0 }
};

error_t once(struct argp_state *state, const char *opt, const char **slot, const char *arg)
{
	if (*slot)
		argp_error(state, "%s given twice ('%s', then '%s')", opt, *slot, arg);
	*slot = arg;
	return 0;
}

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	struct xs_common *c = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &c->json;
		c->fo.progress = -1;
		if (getenv("XSAVECTL_VERIFY") && !strcmp(getenv("XSAVECTL_VERIFY"), "1"))
			c->fo.verify = true;
		return 0;
	case 'q':
		c->brief = true;
		return 0;
	case ARGP_KEY_END:
		if (c->json && c->brief)
			argp_error(state, "--json and --brief exclude each other");
		return 0;
	case OPT_LAYOUT:
		return once(state, "--layout", &c->layout_arg, arg);
	case OPT_GUEST:
		return once(state, "--guest-xcr0", &c->guest_arg, arg);
	case OPT_THREAD:
		return once(state, "--thread", &c->thread_arg, arg);
	case OPT_VCPU:
		return once(state, "--vcpu", &c->vcpu_arg, arg);
	case OPT_SNAPSHOT:
		return once(state, "--snapshot", &c->fo.snapshot, arg);
	case OPT_RAW:
		c->fo.raw = true;
		return 0;
	case OPT_VERIFY:
		c->fo.verify = true;
		return 0;
	case OPT_PROGRESS:
	case OPT_NO_PROGRESS:
		c->fo.progress = key == OPT_PROGRESS;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* --json, the same option in every command (its input: a bool). */
static error_t json_parse(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	if (key != 'j')
		return ARGP_ERR_UNKNOWN;
	*(bool *)state->input = true;
	return 0;
}

static const struct argp_option json_options[] = {
	{ "json", 'j', NULL, 0, "Print one JSON document on stdout", -1 },
	{ 0 }
};

const struct argp json_argp = { .options = json_options, .parser = json_parse };

static const struct argp_child json_child[] = { { &json_argp, 0, NULL, -1 }, { 0 } };

const struct argp common_argp = {
	.options = common_options, .parser = common_parse, .children = json_child,
};


/* --layout FILE: a CPUID file or a profile (the host it describes). */
static int layout_from_file(struct xs_common *c)
{
	struct xs_hostinfo h;
	struct xs_diag d = { 0 };
	int rc;

	if (access(c->layout_arg, R_OK)) {
		msg_err("--layout '%s': not intel, amd or host, and no CPUID file or profile to read "
			"(%s)", c->layout_arg, strerror(errno));
		return EXIT_NOINPUT;
	}
	struct fail why = { 0 };

	rc = host_facts(c->layout_arg, false, &h, NULL, &why);
	if (rc)
		return fail_said(&why, rc);
	if (!(h.d.valid & 1)) {
		msg_err("'%s': no CPUID leaf 0xd sub-leaf 0 (\"0xd.0 eax=...\"): no layout to use",
			c->layout_arg);
		return EXIT_DATAERR;
	}
	if (xs_layout_from_cpuid(&h.d, "file", &c->fo.layout, &d)) {
		msg_diag(c->layout_arg, &d);
		return EXIT_DATAERR;
	}
	snprintf(c->fo.layout_why, sizeof(c->fo.layout_why), "--layout %s", c->layout_arg);
	return 0;
}

static int parse_id(const char *opt, const char *arg, const char *what, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || *v < 0) {
		msg_err("%s: '%s' is not %s", opt, arg, what);
		return -1;
	}
	return 0;
}

enum out_mode common_mode(const struct xs_common *c)
{
	return c->json ? OUT_JSON : c->brief ? OUT_LINES : OUT_TEXT;
}

int common_prepare(struct xs_common *c)
{
	struct fail why = { 0 };
	struct xs_hostinfo h;
	struct xs_diag d = { 0 };
	int rc;

	c->fo.thread = -1;
	c->fo.vcpu = -1;
	rc = host_facts(NULL, false, &h, NULL, &why);
	if (rc)
		return fail_said(&why, rc);
	if (!xs_host_has_xsave(&h))
		snprintf(d.msg, sizeof(d.msg), "this host has no XSAVE (no CPUID leaf 0xd)");
	else if (!xs_layout_from_cpuid(&h.d, "host", &c->fo.host, &d))
		c->fo.have_host = true;
	if (c->thread_arg && parse_id("--thread", c->thread_arg, "a thread id", &c->fo.thread))
		return EXIT_USAGE;
	if (c->vcpu_arg && parse_id("--vcpu", c->vcpu_arg, "a vCPU index", &c->fo.vcpu))
		return EXIT_USAGE;
	if (c->guest_arg) {
		rc = resolve_mask("--guest-xcr0", c->guest_arg, &c->fo.guest_xcr0);

		if (rc)
			return rc;
		c->fo.guest_set = true;
	}
	if (!c->layout_arg)
		return 0;
	c->fo.layout_forced = true;
	if (!strcmp(c->layout_arg, "intel") || !strcmp(c->layout_arg, "amd")) {
		xs_layout_builtin(c->layout_arg[0] == 'a' ? XS_VENDOR_AMD : XS_VENDOR_INTEL,
				  &c->fo.layout);
		snprintf(c->fo.layout_why, sizeof(c->fo.layout_why), "--layout %s", c->layout_arg);
		return 0;
	}
	if (!strcmp(c->layout_arg, "host")) {
		if (!c->fo.have_host) {
			msg_err("--layout host: %s", d.msg);
			return EXIT_UNAVAILABLE;
		}
		c->fo.layout = c->fo.host;
		snprintf(c->fo.layout_why, sizeof(c->fo.layout_why),
			 "--layout host: this host's CPUID leaf 0xd");
		return 0;
	}
	return layout_from_file(c);
}

const struct argp_child json_children[] = { { &json_argp, 0, NULL, 0 }, { 0 } };
const struct argp_child common_children[] = { { &common_argp, 0, NULL, 0 }, { 0 } };
const struct argp_child target_children[] = {
	{ &target_argp, 0, NULL, 0 }, { &common_argp, 0, NULL, 0 }, { 0 }
};
const struct argp_child batch_children[] = {
	{ &batch_argp, 0, NULL, 0 }, { &common_argp, 0, NULL, 0 }, { 0 }
};
const struct argp_child batch_target_children[] = {
	{ &batch_argp, 0, NULL, 0 }, { &target_argp, 0, NULL, 0 }, { &common_argp, 0, NULL, 0 },
	{ 0 }
};
