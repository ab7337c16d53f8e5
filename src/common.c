// SPDX-License-Identifier: MIT
/* Shared options (--json, --layout, --guest-xcr0), target masks, and input loading. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsave/hostinfo.h>

#include "cmd.h"
#include "exitcodes.h"
#include "host_live.h"
#include "profile.h"
#include "progress.h"
#include "stream.h"
#include "util.h"

/*
 * The JSON schema version.  2: states carry "host_xcr0" (was "xcr0"), "verdict"
 * first, findings without the components kept, components without
 * action/reason in check; check with several targets has "targets" and
 * "verdicts"; unreadable inputs are {"file", "error"} entries.
 */
#define XSAVECTL_SCHEMA 2

enum { OPT_LAYOUT = 0x1000, OPT_GUEST, OPT_THREAD, OPT_VCPU, OPT_VERIFY, OPT_PROGRESS, OPT_NO_PROGRESS };

static const struct argp_option common_options[] = {
	{ "brief", 'q', NULL, 0, "One line per state (and per input that cannot be read)", -1 },
	{ "layout", OPT_LAYOUT, "intel|amd|host|FILE", 0,
	  "Standard-format offsets to use instead of inferring them (FILE: a CPUID file, "
	  "e.g. from `xsavectl host --record`, or a profile)", -1 },
	{ "guest-xcr0", OPT_GUEST, "MASK", 0,
	  "The guest's XCR0, for raw images that do not carry it", -1 },
	{ "thread", OPT_THREAD, "TID", 0, "Only this thread of an ELF core", -1 },
	{ "vcpu", OPT_VCPU, "N", 0, "Only this vCPU (cpu_index) of a QEMU stream", -1 },
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
		if (getenv("XSAVECTL_VERIFY") && !strcmp(getenv("XSAVECTL_VERIFY"), "1"))
			stream_verify = true;
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
	case OPT_VERIFY:
		stream_verify = true;
		return 0;
	case OPT_PROGRESS:
	case OPT_NO_PROGRESS:
		progress_mode = key == OPT_PROGRESS;
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

static const struct argp_child common_children[] = { { &json_argp, 0, NULL, -1 }, { 0 } };

const struct argp common_argp = {
	.options = common_options, .parser = common_parse, .children = common_children,
};

/* This machine's facts, gathered once per run (again only to add /dev/kvm). */
static int this_host(bool kvm, struct xs_hostinfo *h, const char **source)
{
	static struct xs_hostinfo cache;
	static const char *cache_source;
	static bool have, have_kvm;
	const char *file = getenv("XSAVECTL_HOST_CPUID");
	int rc;

	if (!have || (kvm && !have_kvm)) {
		if (file && *file) {
			rc = host_facts(file, kvm, &cache, &cache_source);
			have_kvm = true;	/* a file holds every fact it will ever hold */
		} else {
			cache_source = "live";
			rc = host_live_gather(&cache, kvm) ? EXIT_UNAVAILABLE : 0;
			if (rc)
				msg_err("this CPU has no CPUID instruction");
			have_kvm = kvm;
		}
		if (rc)
			return rc;
		have = true;
	}
	*h = cache;
	if (source)
		*source = cache_source;
	return 0;
}

int host_facts(const char *file, bool kvm, struct xs_hostinfo *h, const char **source)
{
	struct profile p = { 0 };
	struct io_file f;
	struct xs_diag d = { 0 };
	const char *text;
	size_t len;
	int rc;

	if (!file)
		return this_host(kvm, h, source);
	if (source)
		*source = "cpuid-file";
	rc = io_read(file, 1 << 20, &f);
	if (rc)
		return rc;
	text = (const char *)f.buf;
	len = f.len;
	if (profile_is_json(f.buf, f.len)) {
		rc = profile_parse(file, f.buf, f.len, &p);
		if (!rc && !p.record) {
			msg_err("'%s': the profile has no \"record\" of the host's facts", file);
			rc = EXIT_DATAERR;
		}
		text = p.record;
		len = text ? strlen(text) : 0;
	}
	if (!rc && xs_hostinfo_parse(text, len, h, &d)) {
		msg_diag(file, &d);
		rc = EXIT_DATAERR;
	}
	profile_free(&p);
	io_free(&f);
	return rc;
}

void show_fact(struct out *o, const char *key, const struct xs_fact *f)
{
	if (f->have)
		out_u64(o, key, f->v);
	else
		out_null(o, key);
}

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
	rc = host_facts(c->layout_arg, false, &h, NULL);

	if (rc)
		return rc;
	if (!(h.d.valid & 1)) {
		msg_err("'%s': no CPUID leaf 0xd sub-leaf 0 (\"0xd.0 eax=...\"): no layout to use",
			c->layout_arg);
		return EXIT_DATAERR;
	}
	if (xs_layout_from_cpuid(&h.d, "file", &c->layout, &d)) {
		msg_diag(c->layout_arg, &d);
		return EXIT_DATAERR;
	}
	snprintf(c->layout_why, sizeof(c->layout_why), "--layout %s", c->layout_arg);
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

int common_prepare(struct xs_common *c)
{
	struct xs_hostinfo h;
	struct xs_diag d = { 0 };
	int rc;

	c->thread = -1;
	c->vcpu = -1;
	rc = host_facts(NULL, false, &h, NULL);
	if (rc)
		return rc;
	if (!xs_host_has_xsave(&h))
		snprintf(d.msg, sizeof(d.msg), "this host has no XSAVE (no CPUID leaf 0xd)");
	else if (!xs_layout_from_cpuid(&h.d, "host", &c->host, &d))
		c->have_host = true;
	if (c->thread_arg && parse_id("--thread", c->thread_arg, "a thread id", &c->thread))
		return EXIT_USAGE;
	if (c->vcpu_arg && parse_id("--vcpu", c->vcpu_arg, "a vCPU index", &c->vcpu))
		return EXIT_USAGE;
	if (c->guest_arg) {
		rc = resolve_mask("--guest-xcr0", c->guest_arg, &c->guest_xcr0);

		if (rc)
			return rc;
		c->guest_set = true;
	}
	if (!c->layout_arg)
		return 0;
	c->layout_forced = true;
	if (!strcmp(c->layout_arg, "intel") || !strcmp(c->layout_arg, "amd")) {
		xs_layout_builtin(c->layout_arg[0] == 'a' ? XS_VENDOR_AMD : XS_VENDOR_INTEL,
				  &c->layout);
		snprintf(c->layout_why, sizeof(c->layout_why), "--layout %s", c->layout_arg);
		return 0;
	}
	if (!strcmp(c->layout_arg, "host")) {
		if (!c->have_host) {
			msg_err("--layout host: %s", d.msg);
			return EXIT_UNAVAILABLE;
		}
		c->layout = c->host;
		snprintf(c->layout_why, sizeof(c->layout_why),
			 "--layout host: this host's CPUID leaf 0xd");
		return 0;
	}
	return layout_from_file(c);
}

int resolve_mask(const char *opt, const char *arg, uint64_t *mask)
{
	struct xs_diag d = { 0 };

	if (!strcmp(arg, "host")) {
		struct xs_hostinfo h;
		struct xs_host_target t;
		int rc = host_facts(NULL, true, &h, NULL);

		if (rc)
			return rc;
		xs_host_target(&h, &t);
		*mask = t.mask;
		return 0;
	}
	if (arg[0] == '@') {
		struct profile p;
		int rc = profile_load(arg + 1, &p);

		*mask = p.target;
		profile_free(&p);
		return rc;
	}
	if (xs_mask_parse(arg, mask, &d)) {
		msg_err("%s: %s", opt, d.msg);
		return EXIT_USAGE;
	}
	return 0;
}

struct out *common_out(const struct xs_common *c)
{
	struct out *o = out_new(c->json ? OUT_JSON : OUT_TEXT);

	out_u64(o, "schema", XSAVECTL_SCHEMA);
	out_text_hide(o);
	out_str(o, "xsavectl_version", XSAVECTL_VERSION);
	out_text_hide(o);
	return o;
}

/*
 * Close stdout after a write that returned @rc (0 or -1): 0 or EXIT_IOERR
 * (message printed).  A reader that closed the pipe early (`| head`) wanted
 * no more: that is no error, and the command keeps the status it has.
 */
static int close_stdout(int rc)
{
	if (rc || fclose(stdout)) {
		if (errno == EPIPE)
			return EXIT_OK;
		msg_err("write error on standard output: %s", strerror(errno));
		return EXIT_IOERR;
	}
	return EXIT_OK;
}

int common_finish(struct out *o)
{
	int rc = out_write(o, stdout);

	out_free(o);
	return close_stdout(rc);
}

int common_end(struct out *o, bool render)
{
	if (render)
		return common_finish(o);
	out_free(o);
	return common_print("");
}

int common_print(const char *text)
{
	return close_stdout(fputs(text, stdout) < 0 ? -1 : 0);
}

/* ---- the target of check and filter: --xcr0 MASK or --target PROFILE ---- */

enum { OPT_XCR0 = 0x1080, OPT_TARGET };

static const struct argp_option target_options[] = {
	{ "xcr0", OPT_XCR0, "MASK", 0,
	  "Target XCR0: a number, names (x87,sse,avx,mpx,avx512,pkru,amx,apx), \"host\" (what "
	  "KVM_SET_XSAVE accepts here) or @PROFILE", 0 },
	{ "target", OPT_TARGET, "PROFILE", 0,
	  "Target host profile written by `xsavectl host --save-profile` (mask and MXCSR_MASK)", 0 },
	{ 0 }
};

static error_t target_parse(int key, char *arg, struct argp_state *state)
{
	struct xs_targets *t = state->input;
	struct xs_targetopt *n;

	switch (key) {
	case OPT_XCR0:
	case OPT_TARGET:
		if (t->n && !t->many)
			argp_error(state, "one target: --xcr0 or --target given twice");
		t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
		n = &t->v[t->n++];
		memset(n, 0, sizeof(*n));
		if (key == OPT_XCR0)
			n->xcr0_arg = arg;
		else
			n->profile_arg = arg;
		return 0;
	case ARGP_KEY_END:
		if (!t->n)
			argp_error(state, "give the target: --xcr0 MASK or --target PROFILE");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp target_argp = { .options = target_options, .parser = target_parse };

static int target_prepare(struct xs_targetopt *t)
{
	struct profile p;
	int rc;

	if (t->xcr0_arg) {
		snprintf(t->from, sizeof(t->from), "--xcr0 %s", t->xcr0_arg);
		rc = resolve_mask("--xcr0", t->xcr0_arg, &t->t.xcr0);
		snprintf(t->name, sizeof(t->name), "%s", t->xcr0_arg);
		return rc;
	}
	rc = profile_load(t->profile_arg, &p);
	if (rc)
		return rc;
	t->t.xcr0 = p.target;
	t->t.have_mxcsr_mask = p.have_mxcsr_mask;
	t->t.mxcsr_mask = p.mxcsr_mask;
	snprintf(t->from, sizeof(t->from), "profile %s", t->profile_arg);
	snprintf(t->host, sizeof(t->host), "%s", p.hostname);
	snprintf(t->name, sizeof(t->name), "%s", p.hostname[0] ? p.hostname : t->profile_arg);
	profile_free(&p);
	return 0;
}

int targets_prepare(struct xs_targets *t)
{
	for (unsigned i = 0; i < t->n; i++) {
		int rc = target_prepare(&t->v[i]);

		if (rc)
			return rc;
	}
	return 0;
}

void targets_free(struct xs_targets *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

void show_target(struct out *o, const char *key, const struct xs_targetopt *t)
{
	out_obj(o, key);
	if (!key)
		out_str(o, "name", t->name);
	out_mask(o, "xcr0", t->t.xcr0);
	out_str(o, "from", t->from);
	if (t->profile_arg || !key) {
		out_str(o, "host", t->host[0] ? t->host : "-");
		if (t->t.have_mxcsr_mask)
			out_strf(o, "mxcsr_mask", "0x%08x", t->t.mxcsr_mask);
		else
			out_null(o, "mxcsr_mask");
	}
	out_end(o);
}
