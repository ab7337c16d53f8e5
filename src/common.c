// SPDX-License-Identifier: MIT
/* Shared options (--json, --layout, --guest-xcr0), target masks, and input loading. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsave/host.h>

#include "cmd.h"
#include "exitcodes.h"
#include "util.h"

enum { OPT_LAYOUT = 0x1000, OPT_GUEST };

static const struct argp_option common_options[] = {
	{ "json", 'j', NULL, 0, "Print one JSON document on stdout", -1 },
	{ "layout", OPT_LAYOUT, "intel|amd|host|FILE", 0,
	  "Standard-format offsets to use instead of inferring them (FILE: CPUID leaf 0xd as "
	  "written by `xsave-capture cpuid`)", -1 },
	{ "guest-xcr0", OPT_GUEST, "MASK", 0,
	  "The guest's XCR0, for raw images that do not carry it", -1 },
	{ 0 }
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	struct xs_common *c = state->input;

	switch (key) {
	case 'j':
		c->json = true;
		return 0;
	case OPT_LAYOUT:
		c->layout_arg = arg;
		return 0;
	case OPT_GUEST:
		c->guest_arg = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp common_argp = { .options = common_options, .parser = common_parse };

/*
 * This host's CPUID leaf 0xd and XCR0.  XSAVECTL_HOST_CPUID=FILE replaces the
 * live CPU with a recorded description (the tests use it to be hermetic).
 */
static int host_cpuid(struct xs_cpuid_d *cd, struct xs_diag *d)
{
	const char *path = getenv("XSAVECTL_HOST_CPUID");
	struct io_file f;
	int rc;

	if (!path || !*path)
		return xs_host_cpuid_d(cd, d);
	if (io_read(path, 1 << 20, &f))
		return XS_FAIL(d, XS_EUNSUP, "XSAVECTL_HOST_CPUID '%s' cannot be read", path);
	rc = xs_cpuid_d_parse((const char *)f.buf, f.len, cd, d);
	io_free(&f);
	return rc ? XS_FAIL(d, XS_EUNSUP, "XSAVECTL_HOST_CPUID '%s': %s", path, d->msg) : 0;
}

static int layout_from_file(struct xs_common *c)
{
	struct io_file f;
	struct xs_cpuid_d cd;
	struct xs_diag d = { 0 };
	int rc = io_read(c->layout_arg, 1 << 20, &f);

	if (rc)
		return rc;
	rc = xs_cpuid_d_parse((const char *)f.buf, f.len, &cd, &d);
	if (!rc)
		rc = xs_layout_from_cpuid(&cd, "file", &c->layout, &d);
	io_free(&f);
	if (rc) {
		msg_diag(c->layout_arg, &d);
		return EXIT_DATAERR;
	}
	snprintf(c->layout_why, sizeof(c->layout_why), "--layout %s", c->layout_arg);
	return 0;
}

int common_prepare(struct xs_common *c)
{
	struct xs_cpuid_d cd;
	struct xs_diag d = { 0 };

	if (!host_cpuid(&cd, &d) && !xs_layout_from_cpuid(&cd, "host", &c->host, &d))
		c->have_host = true;
	if (c->guest_arg) {
		int rc = resolve_mask("--guest-xcr0", c->guest_arg, &c->guest_xcr0);

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
		struct xs_cpuid_d cd;
		int rc = host_cpuid(&cd, &d);

		if (rc) {
			msg_err("%s host: %s", opt, d.msg);
			return EXIT_UNAVAILABLE;
		}
		if (!cd.have_xcr0) {
			msg_err("%s host: the OS has not enabled XSAVE (CPUID.1:ECX.OSXSAVE clear)", opt);
			return EXIT_UNAVAILABLE;
		}
		*mask = cd.xcr0;
		return 0;
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

	out_u64(o, "schema", 1);
	out_text_hide(o);
	out_str(o, "xsavectl_version", XSAVECTL_VERSION);
	out_text_hide(o);
	return o;
}

int common_finish(struct out *o)
{
	int rc = out_write(o, stdout);

	out_free(o);
	if (rc || fclose(stdout)) {
		if (errno == EPIPE)
			return EXIT_OK;
		msg_err("write error on standard output: %s", strerror(errno));
		return EXIT_IOERR;
	}
	return EXIT_OK;
}

int input_load(const struct xs_common *c, const char *path, struct input *in)
{
	struct xs_parse_opts po = {
		.force = c->layout_forced ? &c->layout : NULL,
		.force_why = c->layout_why,
		.host = c->have_host ? &c->host : NULL,
	};
	struct xs_diag d = { 0 };
	int rc;

	memset(in, 0, sizeof(*in));
	rc = io_read(path, XS_IMAGE_MAX, &in->file);
	if (rc)
		return rc;
	in->container = in->file.gzip ? "gzip" : "raw";
	rc = xs_state_parse(&in->st[0], in->file.buf, in->file.len, &po, &d);
	if (rc) {
		msg_diag(path, &d);
		io_free(&in->file);
		return exit_for_err(rc);
	}
	in->nstates = 1;
	if (c->guest_set) {
		in->st[0].guest_known = true;
		in->st[0].guest_xcr0 = c->guest_xcr0;
	}
	return 0;
}

void input_free(struct input *in)
{
	io_free(&in->file);
}
