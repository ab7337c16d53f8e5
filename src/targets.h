/* SPDX-License-Identifier: MIT */
/* Masks and the targets of check and filter (targets.c). */
#ifndef XSAVECTL_TARGETS_H
#define XSAVECTL_TARGETS_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

#include <xsave/rules.h>

/*
 * Resolve a mask argument: a number, component names, "host" (what
 * KVM_SET_XSAVE accepts on this machine) or "@PROFILE" (a profile's target).
 * 0 or an exit code (message printed).
 */
int resolve_mask(const char *opt, const char *arg, uint64_t *mask);

/* One target of check/filter: --xcr0 MASK or --target PROFILE. */
struct xs_targetopt {
	const char *xcr0_arg, *profile_arg;
	struct xs_target t;
	char from[256];
	char host[128];
	char name[128];		/* column name in a matrix: the profile's host, else the mask */
	struct xs_layout layout;	/* the target's standard offsets (t.layout points here) */
	bool have_layout;		/* a profile's record or --xcr0 host gave them */
};

/*
 * The targets given (argp child target_argp, input struct xs_targets): one
 * for filter; with @many (check), every --xcr0 and --target adds one.
 */
struct xs_targets {
	bool many;
	unsigned n;
	struct xs_targetopt *v;
};

extern const struct argp target_argp;
int targets_prepare(struct xs_targets *t);
void targets_free(struct xs_targets *t);

#endif
