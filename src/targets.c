// SPDX-License-Identifier: MIT
/*
 * Masks and targets: a mask argument (number, names, "host", @PROFILE) and
 * the targets of check and filter (--xcr0 MASK, --target PROFILE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/hostinfo.h>

#include "cmd.h"
#include "exitcodes.h"
#include "sys/host_facts.h"
#include "sys/profile_file.h"
#include "util.h"


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

enum { OPT_XCR0 = 0x1080, OPT_TARGET };

static const struct argp_option target_options[] = {
	{ "xcr0", OPT_XCR0, "MASK", 0,
	  "Target XCR0: a number, names (x87,sse,avx,mpx,avx512,pkru,amx,apx), \"host\" (what "
	  "KVM_SET_XSAVE accepts here, and this host's layout) or @PROFILE; other masks give no "
	  "layout", 0 },
	{ "target", OPT_TARGET, "PROFILE", 0,
	  "Target host profile written by `xsavectl host --save-profile` (mask, MXCSR_MASK and "
	  "layout)", 0 },
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

/*
 * The target's layout from its CPUID leaf 0xD: a profile's @record, or this
 * host's facts when @record is NULL.  Where they give none (no leaf 0xD, a
 * sub-leaf missing), t.layout stays NULL: unknown, which the layout rule
 * judges the safe way.
 */
static void target_layout(struct xs_targetopt *t, const char *record)
{
	struct xs_hostinfo h;
	struct xs_diag d = { 0 };

	if (record ? xs_hostinfo_parse(record, strlen(record), &h, &d) != 0
		   : host_facts(NULL, false, &h, NULL) != 0)
		return;
	if (!(h.d.valid & 1) || xs_layout_from_cpuid(&h.d, "target", &t->layout, &d))
		return;
	t->have_layout = true;
	t->t.layout = &t->layout;
}

static int target_prepare(struct xs_targetopt *t)
{
	struct profile p;
	int rc;

	if (t->xcr0_arg) {
		snprintf(t->from, sizeof(t->from), "--xcr0 %s", t->xcr0_arg);
		rc = resolve_mask("--xcr0", t->xcr0_arg, &t->t.xcr0);
		snprintf(t->name, sizeof(t->name), "%s", t->xcr0_arg);
		if (!rc && !strcmp(t->xcr0_arg, "host"))
			target_layout(t, NULL);
		return rc;
	}
	rc = profile_load(t->profile_arg, &p);
	if (rc) {
		profile_free(&p);
		return rc;
	}
	if (p.record)
		target_layout(t, p.record);
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
