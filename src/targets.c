// SPDX-License-Identifier: MIT
/*
 * Masks and targets: a mask argument (number, names, "host", @PROFILE) and
 * the targets of check and filter (--xcr0 MASK, --target PROFILE).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xsave/hostinfo.h>

#include "targets.h"
#include "sys/io.h"
#include "util.h"
#include "exitcodes.h"
#include "fail.h"
#include "sys/dest_facts.h"
#include "sys/host_facts.h"
#include "sys/io.h"
#include "sys/profile_file.h"
#include "util.h"

/* A profile or CPUID file is text of a few KiB; anything past this is not one. */
#define TARGET_FILE_MAX (1u << 20)

/* What a mask argument or a target file resolves to. */
struct resolved {
	uint64_t mask;
	bool have_mxcsr_mask;	/* a profile's or CPUID file's MXCSR_MASK */
	uint32_t mxcsr_mask;
	char host[128];
	struct xs_layout layout;	/* the host's leaf 0xd, where known */
	bool have_layout;
	bool from_facts, estimated;	/* from host facts; without KVM's answer */
	const char *basis;
	enum xs_dest_kernel kernel;	/* a version 2 profile's kernel and QEMU */
	char kernel_release[65];
	unsigned qemu_version;
};

/* The target mask, layout (named @layout) and MXCSR_MASK of the host @h describes. */
static void from_hostinfo(const struct xs_hostinfo *h, const char *layout, struct resolved *r)
{
	struct xs_host_target ht;
	struct xs_diag d = { 0 };

	xs_host_target(h, &ht);
	r->mask = ht.mask;
	r->from_facts = true;
	r->estimated = ht.estimated;
	r->basis = ht.basis;
	r->have_mxcsr_mask = h->mxcsr_mask.have;
	r->mxcsr_mask = (uint32_t)h->mxcsr_mask.v;
	snprintf(r->host, sizeof(r->host), "%s", h->hostname);
	r->have_layout = xs_host_has_xsave(h) && !xs_layout_from_cpuid(&h->d, layout, &r->layout, &d);
}

/* A profile: its recorded target; the layout of its record, if any. */
static int from_profile(const char *path, const struct io_file *f, struct resolved *r)
{
	struct profile p = { 0 };
	struct xs_cpuid_d cd;
	struct xs_diag d = { 0 };
	struct fail why = { 0 };
	int rc = fail_said(&why, profile_parse(path, f->buf, f->len, &p, &why));

	if (!rc) {
		r->mask = p.target;
		r->have_mxcsr_mask = p.have_mxcsr_mask;
		r->mxcsr_mask = p.mxcsr_mask;
		snprintf(r->host, sizeof(r->host), "%s", p.hostname);
		r->kernel = p.kernel;
		memcpy(r->kernel_release, p.kernel_release, sizeof(r->kernel_release));
		r->qemu_version = p.qemu_version;
		r->have_layout = p.record && !xs_cpuid_d_parse(p.record, strlen(p.record), &cd, &d) &&
				 cd.valid && !xs_layout_from_cpuid(&cd, "file", &r->layout, &d);
	}
	profile_free(&p);
	return rc;
}

/* A CPUID file: what that host loads (as `host --cpuid-file` computes it). */
static int from_cpuid_file(const char *path, const struct io_file *f, struct resolved *r)
{
	struct xs_hostinfo h;
	struct xs_diag d = { 0 };

	if (xs_hostinfo_parse((const char *)f->buf, f->len, &h, &d)) {
		msg_diag(path, &d);
		return EXIT_DATAERR;
	}
	from_hostinfo(&h, "file", r);
	return 0;
}

/* A target file: a profile (JSON) or a CPUID file, read once ("-" is standard input). */
static int from_file(const char *path, struct resolved *r)
{
	struct io_file f;
	struct fail why = { 0 };
	int rc = io_read(path, TARGET_FILE_MAX, &f, &why);

	if (rc)
		return fail_said(&why, rc);
	if (profile_is_json(f.buf, f.len))
		rc = from_profile(path, &f, r);
	else
		rc = from_cpuid_file(path, &f, r);
	io_free(&f);
	return rc;
}

/* A usage error unless @mask could be an XCR0: one line naming the rule it breaks. */
static int check_possible(const char *opt, const char *arg, uint64_t mask)
{
	char why[160];

	if (xs_xcr0_possible(mask, why, sizeof(why)))
		return 0;
	if (isdigit((unsigned char)arg[0]))
		msg_err("%s %s: no CPU accepts this XCR0: %s", opt, arg, why);
	else
		msg_err("%s %s (0x%llx): no CPU accepts this XCR0: %s", opt, arg,
			(unsigned long long)mask, why);
	return EXIT_USAGE;
}

static int resolve(const char *opt, const char *arg, struct resolved *r)
{
	struct xs_diag d = { 0 };
	struct xs_hostinfo h;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (!strcmp(arg, "host")) {
		struct fail why = { 0 };

		rc = fail_said(&why, host_facts(NULL, true, &h, NULL, &why));
		if (!rc)
			from_hostinfo(&h, "host", r);
	} else if (arg[0] == '@') {
		rc = from_file(arg + 1, r);
	} else if (xs_mask_parse(arg, &r->mask, &d)) {
		struct stat st;

		/* a file given as a mask: say how a file is given */
		if (strchr(arg, '/') || !stat(arg, &st))
			msg_err("%s: '%s': not a mask; a profile or CPUID file is given as @%s%s%s%s",
				opt, arg, arg, strcmp(opt, "--xcr0") ? "" : " (or --target ",
				strcmp(opt, "--xcr0") ? "" : arg, strcmp(opt, "--xcr0") ? "" : ")");
		else
			msg_err("%s: %s", opt, d.msg);
		rc = EXIT_USAGE;
	}
	return rc ? rc : check_possible(opt, arg, r->mask);
}

int resolve_mask(const char *opt, const char *arg, uint64_t *mask)
{
	struct resolved r;
	int rc = resolve(opt, arg, &r);

	*mask = r.mask;
	return rc;
}

enum { OPT_XCR0 = 0x1080, OPT_TARGET };

static const struct argp_option target_options[] = {
	{ "xcr0", OPT_XCR0, "MASK", 0,
	  "Target XCR0: a number, names (x87,sse,avx,mpx,avx512,pkru,amx,apx), \"host\" (what "
	  "KVM_SET_XSAVE accepts here) or @PROFILE; it must be an XCR0 some CPU accepts (x87 "
	  "set, avx with sse, avx512 whole and with avx, mpx and amx in pairs, no supervisor or "
	  "undefined bits)", 0 },
	{ "target", OPT_TARGET, "PROFILE", 0,
	  "Target host: a profile written by `xsavectl host --save-profile` or a CPUID file "
	  "(`xsavectl host --cpuid`): its mask, MXCSR_MASK and layout", 0 },
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
 * --xcr0 host: this machine is the destination, so its kernel is probed and
 * its QEMU asked (unknown where /dev/kvm cannot be opened).  Host facts from
 * XSAVECTL_HOST_CPUID describe another machine: its kernel stays unknown.
 */
static void this_kernel(struct xs_target *t)
{
	const char *env = getenv("XSAVECTL_HOST_CPUID");
	struct dest_facts df;

	if (env && *env)
		return;
	dest_live(true, &df);
	t->kernel = df.kernel;
	memcpy(t->kernel_release, df.release, sizeof(t->kernel_release));
	t->qemu_version = df.qemu_version;
}

/* Copy what @r knows into target @t; the MXCSR_MASK and host name with @whole. */
static void target_set(struct xs_targetopt *t, const struct resolved *r, bool whole)
{
	t->t.xcr0 = r->mask;
	t->layout = r->layout;
	t->have_layout = r->have_layout;
	t->t.layout = r->have_layout ? &t->layout : NULL;
	t->from_facts = r->from_facts;
	t->estimated = r->estimated;
	t->basis = r->basis;
	if (!whole)
		return;
	t->t.have_mxcsr_mask = r->have_mxcsr_mask;
	t->t.mxcsr_mask = r->mxcsr_mask;
	t->t.kernel = r->kernel;
	memcpy(t->t.kernel_release, r->kernel_release, sizeof(t->t.kernel_release));
	t->t.qemu_version = r->qemu_version;
	snprintf(t->host, sizeof(t->host), "%s", r->host);
}

static int target_prepare(struct xs_targetopt *t)
{
	struct resolved r;
	int rc;

	if (t->xcr0_arg) {
		snprintf(t->from, sizeof(t->from), "--xcr0 %s", t->xcr0_arg);
		snprintf(t->name, sizeof(t->name), "%s", t->xcr0_arg);
		rc = resolve("--xcr0", t->xcr0_arg, &r);
		if (!rc)
			target_set(t, &r, false);
		if (!rc && !strcmp(t->xcr0_arg, "host"))
			this_kernel(&t->t);
		return rc;
	}
	memset(&r, 0, sizeof(r));
	rc = from_file(t->profile_arg, &r);
	if (!rc)
		rc = check_possible("--target", t->profile_arg, r.mask);
	if (rc)
		return rc;
	target_set(t, &r, true);
	snprintf(t->from, sizeof(t->from), "%s %s", r.from_facts ? "CPUID file" : "profile",
		 t->profile_arg);
	snprintf(t->name, sizeof(t->name), "%s", r.host[0] ? r.host : t->profile_arg);
	return 0;
}

/* Two targets named alike (two hosts of one hostname): each named by its file as well. */
static void names_apart(struct xs_targets *t)
{
	bool *dup = xcalloc(t->n ? t->n : 1, sizeof(*dup));

	for (unsigned i = 0; i < t->n; i++)
		for (unsigned j = 0; j < t->n; j++)
			if (i != j && !strcmp(t->v[i].name, t->v[j].name))
				dup[j] = true;
	for (unsigned j = 0; j < t->n; j++) {
		const char *arg = t->v[j].profile_arg ? t->v[j].profile_arg : t->v[j].xcr0_arg;
		size_t n = strlen(t->v[j].name);

		if (dup[j] && arg && strcmp(t->v[j].name, arg))
			snprintf(t->v[j].name + n, sizeof(t->v[j].name) - n, " (%s)", arg);
	}
	free(dup);
}

int targets_prepare(struct xs_targets *t)
{
	for (unsigned i = 0; i < t->n; i++) {
		int rc = target_prepare(&t->v[i]);

		if (rc)
			return rc;
	}
	names_apart(t);
	return 0;
}

void targets_free(struct xs_targets *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
