/* SPDX-License-Identifier: MIT */
/*
 * A guest's CPU for precheck: a libvirt domain XML's <cpu> (an inactive
 * definition, or `virsh dumpxml` of a running domain) or a bare <cpu>
 * element, resolved with a libvirt CPU map (/usr/share/libvirt/cpu_map:
 * x86_features.xml gives each feature's CPUID bits, x86_MODEL.xml each
 * model's features), or a guest XCR0 given as a mask.  What the guest may
 * enable is its XCR0 (xs_guest_xcr0()); host-model, host-passthrough and
 * maximum guests get the source host's CPU, so theirs depends on the source.
 */
#ifndef XSAVECTL_GUEST_CPU_H
#define XSAVECTL_GUEST_CPU_H

#include <stdbool.h>
#include <stdint.h>

/* The x86 features of a CPU map that give a guest XSAVE components. */
struct cpu_map {
	const char *dir;
	unsigned n;
	struct map_feature {
		char *name;	/* the feature's name, or one of its aliases */
		uint64_t comps;
		bool xsave;
	} *f;
};

/* Read @dir's x86_features.xml.  0 or an exit code (message printed). */
int cpu_map_load(const char *dir, struct cpu_map *m);
void cpu_map_free(struct cpu_map *m);

/* A set of features as XSAVE goes: XSAVE itself, and the components. */
struct feat_set {
	bool xsave;
	uint64_t comps;
};

struct guest_cpu {
	char name[128];		/* the domain's <name>, else the file (or the mask) */
	char from[300];		/* "domain XML F", "<cpu> F", "--guest-xcr0 M" */
	char cpu[200];		/* "custom Skylake-Server", "host-model", "xcr0" */
	bool fixed;		/* --guest-xcr0: xcr0 is the answer */
	uint64_t xcr0;
	bool host;		/* the source host's CPU (host-model, host-passthrough, maximum) */
	struct feat_set model;	/* custom: the model's features */
	struct feat_set add;	/* <feature policy='require|force'> */
	struct feat_set opt;	/* policy='optional': on where the source has them */
	struct feat_set del;	/* policy='disable|forbid' */
};

/* --guest-xcr0 MASK.  0 or an exit code (message printed). */
int guest_cpu_mask(const char *arg, struct guest_cpu *g);
/*
 * A domain XML or <cpu> file ("-": standard input); the map @m is loaded from
 * @map_dir on first need.  0 or an exit code (message printed).
 */
int guest_cpu_load(const char *path, const char *map_dir, struct cpu_map *m, struct guest_cpu *g);
/*
 * The guest XCR0 on a source whose KVM hands out @src_xcr0: what the guest's
 * CPU asks for (components the source lacks included; xs_precheck() tells them).
 */
uint64_t guest_cpu_xcr0(const struct guest_cpu *g, uint64_t src_xcr0);

#endif
