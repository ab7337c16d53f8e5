// SPDX-License-Identifier: MIT
/*
 * xsavectl precheck: will a live migration load, before there is any state?
 * Every guest CPU against every source host against every destination (a
 * fleet's matrix), judged by xs_precheck() from the host records and the
 * guest's CPU.  The exit status is the worst: 0 every migration loads, 2 one
 * is refused but stripping fixes it, 1 a destination (or a source) lacks what
 * a guest uses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/precheck.h>

#include "cmd.h"
#include "exitcodes.h"
#include "guest_cpu.h"
#include "util.h"

/* libvirt's CPU map where Debian (and libvirt's default prefix) installs it. */
#define CPU_MAP_DEFAULT "/usr/share/libvirt/cpu_map"

enum { OPT_SOURCE = 0x1600, OPT_GUEST_CPU, OPT_GUEST_XCR0, OPT_CPU_MAP };

struct guest_arg {
	bool xml;		/* --guest-cpu FILE, else --guest-xcr0 MASK */
	const char *arg;
};

struct precheck_args {
	bool json, brief;
	const char *cpu_map;
	struct xs_targets sources, dests;
	unsigned nguests;
	struct guest_arg *guests;
};

static const struct argp_option options[] = {
	{ "source", OPT_SOURCE, "PROFILE", 0,
	  "A source host: its profile (`xsavectl host --save-profile`, with its kernel's probe "
	  "class) or CPUID file; repeat for several", 0 },
	{ "guest-cpu", OPT_GUEST_CPU, "XML", 0,
	  "A guest: its libvirt domain XML (a definition or `virsh dumpxml` of the running "
	  "domain) or a <cpu> element, resolved with the CPU map; repeat for several", 0 },
	{ "guest-xcr0", OPT_GUEST_XCR0, "MASK", 0, "A guest given by its XCR0; repeat for several",
	  0 },
	{ "cpu-map", OPT_CPU_MAP, "DIR", 0,
	  "libvirt's CPU map to resolve models and features with (default " CPU_MAP_DEFAULT ")",
	  0 },
	{ "brief", 'q', NULL, 0, "One line per migration", 0 },
	{ 0 }
};

static void add_guest(struct precheck_args *a, bool xml, const char *arg)
{
	a->guests = xrealloc(a->guests, (a->nguests + 1) * sizeof(*a->guests));
	a->guests[a->nguests++] = (struct guest_arg){ .xml = xml, .arg = arg };
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct precheck_args *a = state->input;
	struct xs_targetopt *s;

	switch (key) {
	case ARGP_KEY_INIT:
		a->dests.many = true;
		state->child_inputs[0] = &a->dests;
		state->child_inputs[1] = &a->json;
		return 0;
	case OPT_SOURCE:
		a->sources.v = xrealloc(a->sources.v, (a->sources.n + 1) * sizeof(*a->sources.v));
		s = &a->sources.v[a->sources.n++];
		memset(s, 0, sizeof(*s));
		s->profile_arg = arg;
		return 0;
	case OPT_GUEST_CPU:
	case OPT_GUEST_XCR0:
		add_guest(a, key == OPT_GUEST_CPU, arg);
		return 0;
	case OPT_CPU_MAP:
		return once(state, "--cpu-map", &a->cpu_map, arg);
	case 'q':
		a->brief = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "no FILE arguments: give --source, --target and --guest-cpu");
		return 0;
	case ARGP_KEY_END:
		if (!a->sources.n)
			argp_error(state, "give the source: --source PROFILE");
		if (!a->nguests)
			argp_error(state, "give the guest: --guest-cpu XML or --guest-xcr0 MASK");
		if (a->json && a->brief)
			argp_error(state, "--json and --brief exclude each other");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = {
	{ &target_argp, 0, NULL, 0 }, { &json_argp, 0, NULL, 0 }, { 0 }
};

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.doc = "Predict, from host records and the guest's CPU alone, whether a live migration "
	       "loads on the destination (exit 0), is refused there although stripping what the "
	       "guest never enabled fixes it (exit 2: xsavectl relay, filter on a saved state, or "
	       "the kernel series), or cannot keep the guest's state because the destination "
	       "lacks a component the guest may enable (exit 1).  Every guest is judged from every "
	       "--source to every --target (a matrix), one line each; the exit status is the "
	       "worst."
	       "\vThe source sends, at worst, the guest XCR0's components with live data and, "
	       "where its kernel leaks (5.16-5.17-rc5, or unknown), every component its KVM hands "
	       "out; that state is judged with check's rules against the destination: a needs-patch "
	       "(or unknown) kernel refuses components the guest never enabled, and no kernel "
	       "loads one outside its XCR0.  A refusal costs the guest its registers with QEMU "
	       "before 8.2 (it resumes with them reset) and fails the migration with 8.2 and "
	       "later.  These are predictions: compare them with real migrations.",
	.children = children,
};

/* The guests, resolved once (host-model ones get their XCR0 per source). */
static int load_guests(const struct precheck_args *a, struct guest_cpu *g)
{
	struct cpu_map map = { 0 };
	const char *dir = a->cpu_map ? a->cpu_map : CPU_MAP_DEFAULT;
	int rc = 0;

	for (unsigned i = 0; !rc && i < a->nguests; i++)
		rc = a->guests[i].xml ? guest_cpu_load(a->guests[i].arg, dir, &map, &g[i])
				      : guest_cpu_mask(a->guests[i].arg, &g[i]);
	cpu_map_free(&map);
	return rc;
}

static void show_guests(struct out *o, const struct guest_cpu *g, unsigned n)
{
	out_arr(o, "guests");
	out_text_table(o);
	for (unsigned i = 0; i < n; i++) {
		out_obj(o, NULL);
		out_str(o, "name", g[i].name);
		out_str(o, "cpu", g[i].cpu);
		if (g[i].host) {
			out_null(o, "xcr0");
			out_show(o, "the source's");
		} else {
			out_mask(o, "xcr0", guest_cpu_xcr0(&g[i], 0));
		}
		out_str(o, "from", g[i].from);
		out_end(o);
	}
	out_end(o);
}

/* A class the probe decided (not unknown, not inconclusive). */
static bool kernel_known(enum xs_dest_kernel k)
{
	return k != XS_DK_UNKNOWN && k != XS_DK_INCONCLUSIVE;
}

static void show_sources(struct out *o, const struct xs_targets *s)
{
	out_arr(o, "sources");
	out_text_table(o);
	for (unsigned i = 0; i < s->n; i++) {
		const struct xs_targetopt *t = &s->v[i];
		bool leaks = xs_source_leaks(t->t.kernel);

		out_obj(o, NULL);
		out_str(o, "name", t->name);
		out_mask(o, "xcr0", t->t.xcr0);
		out_str(o, "from", t->from);
		out_str(o, "kernel", xs_dest_kernel_name(t->t.kernel));
		out_str(o, "kernel_release", t->t.kernel_release[0] ? t->t.kernel_release : "-");
		out_bool(o, "leaks", leaks);
		if (leaks && !kernel_known(t->t.kernel))
			out_show(o, "yes (kernel %s: judged so)", xs_dest_kernel_name(t->t.kernel));
		out_end(o);
	}
	out_end(o);
}

/* Component names of @mask, for sentences. */
static const char *names(uint64_t mask, char *buf, size_t len)
{
	xs_mask_names(mask, buf, len);
	return buf;
}

/* What a refusal costs with the destination's QEMU. */
static void qemu_cost(unsigned q, char *buf, size_t len)
{
	if (!q)
		snprintf(buf, len, "QEMU there unknown: before 8.2 it resumes the guest with its "
			 "registers reset, 8.2 and later fail the migration");
	else if (q < XS_QEMU_STOPS_ON_PUT_FAILURE)
		snprintf(buf, len, "QEMU %u.%u there resumes the guest with its registers reset, "
			 "silently", q / 10000, q / 100 % 100);
	else
		snprintf(buf, len, "QEMU %u.%u there fails the load: the migration fails",
			 q / 10000, q / 100 % 100);
}

/* Append to the sentence in @buf (cut at @len, as the output's cells are). */
__attribute__((format(printf, 3, 4)))
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t at = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	if (at + 1 < len)
		vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
}

/* Who sends what the destination refuses: the source kernel's leak. */
static void refused_why(const struct xs_targetopt *s, const struct xs_target *d,
			const struct xs_migration *m, char *buf, size_t len)
{
	uint64_t outside = m->refused & ~m->by_kernel;
	char n[160], src[160], kern[256];

	buf[0] = 0;
	src[0] = 0;
	if (kernel_known(s->t.kernel))
		append(src, sizeof(src), "the source's %s kernel%s%s%s",
		       xs_dest_kernel_name(s->t.kernel), s->t.kernel_release[0] ? " (" : "",
		       s->t.kernel_release, s->t.kernel_release[0] ? ")" : "");
	else
		append(src, sizeof(src), "the source's kernel (%s: judged as leaking)",
		       xs_dest_kernel_name(s->t.kernel));
	if (m->by_kernel) {
		xs_target_refusal(d, kern, sizeof(kern));
		/* Only the kernel half: the QEMU cost is said once, apart. */
		kern[strcspn(kern, ";")] = 0;
		append(buf, len, "%s leaked by %s, not in the guest XCR0: %s",
		       names(m->by_kernel, n, sizeof(n)), src, kern);
	}
	if (outside)
		append(buf, len, "%s%s leaked by %s: outside the destination's XCR0, which no "
		       "kernel loads", buf[0] ? "; " : "", names(outside, n, sizeof(n)), src);
}

/* The sentence, the cost and the remedy of one migration. */
static void explain(const struct xs_targetopt *s, const struct xs_targetopt *d,
		    const struct xs_migration *m, char *why, char *cost, char *remedy, size_t len)
{
	char n[160];

	cost[0] = remedy[0] = 0;
	switch (m->outcome) {
	case XS_MIG_LOADS:
		snprintf(why, len, "the destination loads what the source sends%s%s%s",
			 m->leaked ? " (" : "", m->leaked ? names(m->leaked, n, sizeof(n)) : "",
			 m->leaked ? " leaked by the source's kernel included)" : "");
		return;
	case XS_MIG_REFUSED:
		refused_why(s, &d->t, m, why, len);
		qemu_cost(d->t.qemu_version, cost, len);
		snprintf(remedy, len, "strip %s in flight (xsavectl relay) or from a saved state "
			 "(xsavectl filter)%s", names(m->refused, n, sizeof(n)),
			 m->refused & ~m->by_kernel ? ""
			 : ", or the kernel series (kernel/) on the destination");
		return;
	case XS_MIG_LACKS:
		snprintf(why, len, "the destination lacks %s, which the guest may enable",
			 names(m->lacks, n, sizeof(n)));
		snprintf(cost, len, "nothing there loads their live data, and stripping loses it "
			 "(libvirt refuses a custom or host-model guest whose CPU the destination "
			 "lacks)");
		snprintf(remedy, len, "a guest CPU both hosts have (virsh hypervisor-cpu-baseline), "
			 "or another destination");
		return;
	case XS_MIG_NOT_ON_SOURCE:
		break;
	}
	snprintf(why, len, "the source's KVM lacks %s, which the guest CPU asks for: the guest "
		 "cannot run there as defined", names(m->not_on_source, n, sizeof(n)));
}

static int outcome_exit(enum xs_mig_outcome o)
{
	switch (o) {
	case XS_MIG_LOADS:
		return EXIT_OK;
	case XS_MIG_REFUSED:
		return EXIT_FIXABLE;
	case XS_MIG_LACKS:
	case XS_MIG_NOT_ON_SOURCE:
		break;
	}
	return EXIT_NO;
}

struct cell {
	const struct guest_cpu *g;
	const struct xs_targetopt *s, *d;
};

/* One migration: a row (text), an object (JSON) and a line (--brief); its exit code. */
static int judge(struct out *o, const struct cell *c)
{
	char why[640], cost[320], remedy[320];
	struct xs_source src = { .xcr0 = c->s->t.xcr0, .kernel = c->s->t.kernel };
	uint64_t guest = guest_cpu_xcr0(c->g, src.xcr0);
	struct xs_migration m;

	xs_precheck(guest, &src, &c->d->t, &m);
	explain(c->s, c->d, &m, why, cost, remedy, sizeof(cost));
	out_obj(o, NULL);
	out_line(o, "%s from %s to %s: %s: %s%s%s%s%s", c->g->name, c->s->name, c->d->name,
		 xs_mig_outcome_name(m.outcome), why, cost[0] ? "; " : "", cost,
		 remedy[0] ? "; remedy: " : "", remedy);
	out_str(o, "guest", c->g->name);
	out_str(o, "source", c->s->name);
	out_str(o, "destination", c->d->name);
	out_str(o, "outcome", xs_mig_outcome_name(m.outcome));
	out_mask(o, "guest_xcr0", m.guest);
	out_text_hide(o);
	out_mask(o, "not_on_source", m.not_on_source);
	out_text_hide(o);
	out_mask(o, "sent", m.sent);
	out_text_hide(o);
	out_mask(o, "leaked", m.leaked);
	out_text_hide(o);
	out_mask(o, "refused", m.refused);
	out_text_hide(o);
	out_mask(o, "refused_by_kernel", m.by_kernel);
	out_text_hide(o);
	out_mask(o, "lacks", m.lacks);
	out_text_hide(o);
	out_str(o, "why", why);
	if (cost[0] || remedy[0])
		out_show(o, "%s%s%s%s%s", why, cost[0] ? "; " : "", cost,
			 remedy[0] ? "; remedy: " : "", remedy);
	if (cost[0])
		out_str(o, "cost", cost);
	else
		out_null(o, "cost");
	out_text_hide(o);
	if (remedy[0])
		out_str(o, "remedy", remedy);
	else
		out_null(o, "remedy");
	out_text_hide(o);
	out_end(o);
	return outcome_exit(m.outcome);
}

/* Hosts of one kind named alike (copies of one record) are told apart by their file. */
static void distinct_names(struct xs_targets *t)
{
	bool *dup = xcalloc(t->n ? t->n : 1, sizeof(*dup));

	for (unsigned i = 0; i < t->n; i++)
		for (unsigned j = 0; j < t->n; j++)
			if (i != j && !strcmp(t->v[i].name, t->v[j].name))
				dup[j] = true;
	for (unsigned j = 0; j < t->n; j++)
		if (dup[j] && t->v[j].profile_arg)
			append(t->v[j].name, sizeof(t->v[j].name), " (%s)", t->v[j].profile_arg);
	free(dup);
}

/* Guests named alike (one domain name on two hosts) are told apart by their file. */
static void distinct_guests(const struct precheck_args *a, struct guest_cpu *g)
{
	bool *dup = xcalloc(a->nguests ? a->nguests : 1, sizeof(*dup));

	for (unsigned i = 0; i < a->nguests; i++)
		for (unsigned j = 0; j < a->nguests; j++)
			if (i != j && !strcmp(g[i].name, g[j].name))
				dup[j] = true;
	for (unsigned j = 0; j < a->nguests; j++)
		if (dup[j] && a->guests[j].xml && strcmp(g[j].name, a->guests[j].arg))
			append(g[j].name, sizeof(g[j].name), " (%s)", a->guests[j].arg);
	free(dup);
}

static int precheck(struct precheck_args *a, const struct guest_cpu *g)
{
	struct out *o = common_out(a->json ? OUT_JSON : a->brief ? OUT_LINES : OUT_TEXT);
	int status = EXIT_OK;

	show_guests(o, g, a->nguests);
	show_sources(o, &a->sources);
	out_arr(o, "destinations");
	out_text_table(o);
	for (unsigned t = 0; t < a->dests.n; t++)
		show_target(o, NULL, &a->dests.v[t]);
	out_end(o);
	out_arr(o, "migrations");
	out_text_table(o);
	for (unsigned i = 0; i < a->nguests; i++)
		for (unsigned s = 0; s < a->sources.n; s++)
			for (unsigned d = 0; d < a->dests.n; d++) {
				struct cell c = { &g[i], &a->sources.v[s], &a->dests.v[d] };

				status = exit_worst(status, judge(o, &c));
			}
	out_end(o);
	return exit_worst(status, common_finish(o));
}

static int run(int argc, char **argv)
{
	struct precheck_args a = { 0 };
	struct guest_cpu *g;
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &a);
	g = xcalloc(a.nguests, sizeof(*g));
	rc = targets_prepare(&a.dests);
	if (!rc)
		rc = targets_prepare(&a.sources);
	if (!rc)
		rc = load_guests(&a, g);
	distinct_names(&a.sources);
	distinct_names(&a.dests);
	distinct_guests(&a, g);
	if (!rc)
		rc = precheck(&a, g);
	free(g);
	free(a.guests);
	targets_free(&a.sources);
	targets_free(&a.dests);
	return rc;
}

const struct xs_cmd xs_cmd_precheck = {
	.name = "precheck",
	.summary = "predict whether live migrations load, from host records and guest CPUs",
	.argp = &argp,
	.run = run,
};
