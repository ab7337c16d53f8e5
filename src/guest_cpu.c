// SPDX-License-Identifier: MIT
/*
 * Guest CPUs for precheck: see guest_cpu.h.  The XML is read with libxml2,
 * without network access, DTDs or entity substitution, from a bounded buffer.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <xsave/precheck.h>
#include <xsave/rules.h>

#include "exitcodes.h"
#include "fail.h"
#include "guest_cpu.h"
#include "sys/io.h"
#include "targets.h"
#include "util.h"

/* A domain XML or a CPU map file is text of some KiB; past this it is none. */
#define XML_FILE_MAX (4u << 20)
/* Models include models (x86_Broadwell-v2 is Broadwell-noTSX): how deep before a loop. */
#define MODEL_DEPTH_MAX 8
/* QEMU's default x86 CPU, which a domain without <cpu> (or without a model) gets. */
static const char DEFAULT_MODEL[] = "qemu64";
#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* Parse @path (read whole, at most XML_FILE_MAX); NULL with the exit code in *rc. */
static xmlDocPtr xml_read(const char *path, int *rc)
{
	struct io_file f;
	xmlDocPtr doc;
	const xmlError *e;
	struct fail why = { 0 };

	*rc = fail_said(&why, io_read(path, XML_FILE_MAX, &f, &why));
	if (*rc)
		return NULL;
	if (f.len > (size_t)0x7fffffff) {
		io_free(&f);
		*rc = EXIT_DATAERR;
		return NULL;
	}
	xmlResetLastError();
	doc = xmlReadMemory((const char *)f.buf, (int)f.len, NULL, NULL, XML_OPTS);
	io_free(&f);
	if (doc && xmlGetIntSubset(doc)) {
		/* Entities are not expanded, but neither is a DTD any use: libvirt writes none. */
		msg_err("'%s': has a DOCTYPE, which libvirt's XML never has: not read", path);
		xmlFreeDoc(doc);
		*rc = EXIT_DATAERR;
		return NULL;
	}
	if (doc && xmlDocGetRootElement(doc))
		return doc;
	e = xmlGetLastError();
	if (e && e->message)
		msg_err("'%s': line %d: not well-formed XML: %.*s", path, e->line,
			(int)strcspn(e->message, "\n"), e->message);
	else
		msg_err("'%s': not an XML document", path);
	xmlFreeDoc(doc);
	*rc = EXIT_DATAERR;
	return NULL;
}

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (is_elem(c, name))
			return c;
	return NULL;
}

/* An attribute's value copied into @buf ("" when absent); false when absent. */
static bool attr(const xmlNode *n, const char *name, char *buf, size_t len)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	buf[0] = 0;
	if (!v)
		return false;
	snprintf(buf, len, "%s", (const char *)v);
	xmlFree(v);
	return true;
}

/* An element's text, without the white space around it, into @buf. */
static void text(const xmlNode *n, char *buf, size_t len)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *s = v ? (const char *)v : "";
	size_t l;

	while (isspace((unsigned char)*s))
		s++;
	l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		l--;
	snprintf(buf, len, "%.*s", (int)(l < len ? l : len - 1), s);
	xmlFree(v);
}

/* A CPUID value attribute ("0x00000010"); absent is 0.  False when it is no number. */
static bool hex_attr(const xmlNode *n, const char *name, uint32_t *v)
{
	char buf[32], *end;
	unsigned long x;

	*v = 0;
	if (!attr(n, name, buf, sizeof(buf)))
		return true;
	errno = 0;
	x = strtoul(buf, &end, 0);
	if (errno || end == buf || *end || x > 0xffffffffu)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* What one <cpuid> element of a feature gives; false when a value is malformed. */
static bool cpuid_comps(const xmlNode *c, struct feat_set *fs)
{
	static const char *const regs[] = { "eax", "ebx", "ecx", "edx" };
	uint32_t leaf, subleaf, bits;

	if (!hex_attr(c, "eax_in", &leaf) || !hex_attr(c, "ecx_in", &subleaf))
		return false;
	for (unsigned r = 0; r < 4; r++) {
		if (!hex_attr(c, regs[r], &bits))
			return false;
		xs_cpuid_components(leaf, subleaf, (enum xs_cpuid_reg)r, bits, &fs->comps,
				    &fs->xsave);
	}
	return true;
}

static void map_add(struct cpu_map *m, const char *name, const struct feat_set *fs)
{
	m->f = xrealloc(m->f, (m->n + 1) * sizeof(*m->f));
	m->f[m->n].name = xstrdup(name);
	m->f[m->n].comps = fs->comps;
	m->f[m->n].xsave = fs->xsave;
	m->n++;
}

/* One <feature> of x86_features.xml: its name and aliases. */
static int map_feature(struct cpu_map *m, const char *path, const xmlNode *n)
{
	struct feat_set fs = { 0 };
	char name[128];

	if (!attr(n, "name", name, sizeof(name)) || !name[0]) {
		msg_err("'%s': line %ld: a <feature> without a name", path, xmlGetLineNo(n));
		return EXIT_DATAERR;
	}
	for (const xmlNode *c = n->children; c; c = c->next)
		if (is_elem(c, "cpuid") && !cpuid_comps(c, &fs)) {
			msg_err("'%s': line %ld: feature '%s': a CPUID value that is no number",
				path, xmlGetLineNo(c), name);
			return EXIT_DATAERR;
		}
	map_add(m, name, &fs);
	for (const xmlNode *c = n->children; c; c = c->next) {
		char alias[128];

		if (is_elem(c, "alias") && attr(c, "name", alias, sizeof(alias)) && alias[0])
			map_add(m, alias, &fs);
	}
	return 0;
}

int cpu_map_load(const char *dir, struct cpu_map *m)
{
	char *path = xasprintf("%s/x86_features.xml", dir);
	const xmlNode *root;
	xmlDocPtr doc;
	int rc;

	memset(m, 0, sizeof(*m));
	m->dir = dir;
	doc = xml_read(path, &rc);
	if (doc) {
		root = xmlDocGetRootElement(doc);
		if (!is_elem(root, "cpus")) {
			msg_err("'%s': not a libvirt CPU map (no <cpus>)", path);
			rc = EXIT_DATAERR;
		}
		for (const xmlNode *n = root->children; !rc && n; n = n->next)
			if (is_elem(n, "feature"))
				rc = map_feature(m, path, n);
		if (!rc && !m->n) {
			msg_err("'%s': no <feature> in this CPU map", path);
			rc = EXIT_DATAERR;
		}
	}
	xmlFreeDoc(doc);
	free(path);
	return rc;
}

void cpu_map_free(struct cpu_map *m)
{
	for (unsigned i = 0; i < m->n; i++)
		free(m->f[i].name);
	free(m->f);
	memset(m, 0, sizeof(*m));
}

/* Add feature @name to @fs; an exit code when the map does not know it. */
static int map_lookup(const struct cpu_map *m, const char *where, const char *name,
		      struct feat_set *fs)
{
	for (unsigned i = 0; i < m->n; i++)
		if (!strcmp(m->f[i].name, name)) {
			fs->comps |= m->f[i].comps;
			fs->xsave |= m->f[i].xsave;
			return 0;
		}
	msg_err("'%s': feature '%s' is not in the CPU map %s", where, name, m->dir);
	return EXIT_DATAERR;
}

/* A model name that names a file of the map, and nothing else. */
static bool model_name_ok(const char *name)
{
	if (!name[0] || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return false;
	return true;
}

static int model_features(const struct cpu_map *m, const char *name, int depth,
			  struct feat_set *fs);

/* The <model name=NAME> element of @path: its features and the models it includes. */
static int model_node(const struct cpu_map *m, const char *path, const xmlNode *model, int depth,
		      struct feat_set *fs)
{
	int rc = 0;

	for (const xmlNode *c = model->children; !rc && c; c = c->next) {
		char name[128], removed[8];

		if (!attr(c, "name", name, sizeof(name)))
			continue;
		if (is_elem(c, "model"))
			rc = model_features(m, name, depth + 1, fs);
		else if (is_elem(c, "feature") &&
			 !(attr(c, "removed", removed, sizeof(removed)) && !strcmp(removed, "yes")))
			rc = map_lookup(m, path, name, fs);
	}
	return rc;
}

/* The features of model @name: x86_NAME.xml of the map (libvirt names each file so). */
static int model_features(const struct cpu_map *m, const char *name, int depth,
			  struct feat_set *fs)
{
	const xmlNode *root, *model = NULL;
	char *path;
	char have[128];
	xmlDocPtr doc;
	int rc;

	if (!model_name_ok(name)) {
		msg_err("CPU model '%s': not a model name of a CPU map", name);
		return EXIT_DATAERR;
	}
	if (depth > MODEL_DEPTH_MAX) {
		msg_err("CPU model '%s': models include each other more than %d deep in %s", name,
			MODEL_DEPTH_MAX, m->dir);
		return EXIT_DATAERR;
	}
	path = xasprintf("%s/x86_%s.xml", m->dir, name);
	if (access(path, F_OK)) {
		msg_err("CPU model '%s' is not in the CPU map %s (no x86_%s.xml)", name, m->dir,
			name);
		free(path);
		return EXIT_DATAERR;
	}
	doc = xml_read(path, &rc);
	if (doc) {
		root = xmlDocGetRootElement(doc);
		for (const xmlNode *n = is_elem(root, "cpus") ? root->children : NULL; n; n = n->next)
			if (is_elem(n, "model") && attr(n, "name", have, sizeof(have)) &&
			    !strcmp(have, name))
				model = n;
		if (model) {
			rc = model_node(m, path, model, depth, fs);
		} else {
			msg_err("'%s': no <model name='%s'> in it", path, name);
			rc = EXIT_DATAERR;
		}
	}
	xmlFreeDoc(doc);
	free(path);
	return rc;
}

static int need_map(const char *dir, struct cpu_map *m)
{
	return m->f ? 0 : cpu_map_load(dir, m);
}

/* One <feature policy= name=> of the guest's <cpu>. */
static int cpu_feature(const char *path, const xmlNode *n, const struct cpu_map *m,
		       struct guest_cpu *g)
{
	char name[128], policy[32];
	struct feat_set *to;

	if (!attr(n, "name", name, sizeof(name)) || !name[0]) {
		msg_err("'%s': line %ld: a <feature> without a name", path, xmlGetLineNo(n));
		return EXIT_DATAERR;
	}
	if (!attr(n, "policy", policy, sizeof(policy)) || !strcmp(policy, "require") ||
	    !strcmp(policy, "force"))
		to = &g->add;
	else if (!strcmp(policy, "optional"))
		to = &g->opt;
	else if (!strcmp(policy, "disable") || !strcmp(policy, "forbid"))
		to = &g->del;
	else {
		msg_err("'%s': line %ld: feature '%s': policy '%s' is none of force, require, "
			"optional, disable, forbid", path, xmlGetLineNo(n), name, policy);
		return EXIT_DATAERR;
	}
	return map_lookup(m, path, name, to);
}

/* The guest's <cpu> element (NULL: the domain has none). */
static int guest_cpu_node(const char *path, const xmlNode *cpu, const char *map_dir,
			  struct cpu_map *m, struct guest_cpu *g)
{
	const xmlNode *model = cpu ? child(cpu, "model") : NULL;
	char mode[32], name[128];
	int rc;

	if (!cpu || !attr(cpu, "mode", mode, sizeof(mode)))
		snprintf(mode, sizeof(mode), "custom");
	g->host = !strcmp(mode, "host-model") || !strcmp(mode, "host-passthrough") ||
		  !strcmp(mode, "maximum");
	if (!g->host && strcmp(mode, "custom")) {
		msg_err("'%s': <cpu mode='%s'> is none of custom, host-model, host-passthrough, "
			"maximum", path, mode);
		return EXIT_DATAERR;
	}
	rc = need_map(map_dir, m);
	if (rc)
		return rc;
	if (!g->host) {
		name[0] = 0;
		if (model)
			text(model, name, sizeof(name));
		if (!name[0])
			snprintf(name, sizeof(name), "%s", DEFAULT_MODEL);
		snprintf(g->cpu, sizeof(g->cpu), "custom %s%s", name,
			 cpu && model ? "" : " (QEMU's default)");
		rc = model_features(m, name, 0, &g->model);
	} else {
		snprintf(g->cpu, sizeof(g->cpu), "%s", mode);
	}
	for (const xmlNode *c = cpu ? cpu->children : NULL; !rc && c; c = c->next)
		if (is_elem(c, "feature"))
			rc = cpu_feature(path, c, m, g);
	return rc;
}

int guest_cpu_load(const char *path, const char *map_dir, struct cpu_map *m, struct guest_cpu *g)
{
	const xmlNode *root, *cpu = NULL, *name;
	xmlDocPtr doc;
	int rc;

	memset(g, 0, sizeof(*g));
	doc = xml_read(path, &rc);
	if (!doc)
		return rc;
	root = xmlDocGetRootElement(doc);
	snprintf(g->name, sizeof(g->name), "%s", path);
	if (is_elem(root, "domain")) {
		snprintf(g->from, sizeof(g->from), "domain XML %s", path);
		cpu = child(root, "cpu");
		name = child(root, "name");
		if (name)
			text(name, g->name, sizeof(g->name));
		if (!g->name[0])
			snprintf(g->name, sizeof(g->name), "%s", path);
	} else if (is_elem(root, "cpu")) {
		snprintf(g->from, sizeof(g->from), "<cpu> %s", path);
		cpu = root;
	} else {
		msg_err("'%s': <%s> is neither a libvirt domain (<domain>) nor a <cpu> element",
			path, (const char *)root->name);
		xmlFreeDoc(doc);
		return EXIT_DATAERR;
	}
	rc = guest_cpu_node(path, cpu, map_dir, m, g);
	xmlFreeDoc(doc);
	return rc;
}

int guest_cpu_mask(const char *arg, struct guest_cpu *g)
{
	memset(g, 0, sizeof(*g));
	g->fixed = true;
	snprintf(g->name, sizeof(g->name), "%s", arg);
	snprintf(g->from, sizeof(g->from), "--guest-xcr0 %s", arg);
	snprintf(g->cpu, sizeof(g->cpu), "xcr0");
	return resolve_mask("--guest-xcr0", arg, &g->xcr0);
}

uint64_t guest_cpu_xcr0(const struct guest_cpu *g, uint64_t src_xcr0)
{
	struct feat_set f;

	if (g->fixed)
		return g->xcr0;
	f = g->host ? (struct feat_set){ .xsave = true, .comps = src_xcr0 } : g->model;
	f.xsave = (f.xsave || g->add.xsave || g->opt.xsave) && !g->del.xsave;
	f.comps |= g->add.comps | (g->opt.comps & src_xcr0);
	f.comps &= ~g->del.comps;
	return xs_guest_xcr0(f.xsave, f.comps);
}
