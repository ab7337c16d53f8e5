/* SPDX-License-Identifier: MIT */
/*
 * The command table and the options every reading command shares (options.c);
 * the headers every command uses are included from here.
 */
#ifndef XSAVECTL_CMD_H
#define XSAVECTL_CMD_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <xsave/area.h>
#include <xsave/layout.h>
#include <xsave/qstream.h>
#include <xsave/rules.h>

#include "fmt/input.h"
#include "out/document.h"
#include "out/out.h"
#include "out/show.h"
#include "sys/host_facts.h"
#include "sys/io.h"
#include "targets.h"
#include "version.h"

struct xs_cmd {
	const char *name;
	const char *summary;
	const struct argp *argp;
	int (*run)(int argc, char **argv);
};

extern const struct xs_cmd xs_cmd_inspect, xs_cmd_check, xs_cmd_filter, xs_cmd_diff,
	xs_cmd_extract, xs_cmd_host, xs_cmd_probe, xs_cmd_precheck, xs_cmd_relay;

/* Options shared by every command that reads states (argp child "common_argp"). */
struct xs_common {
	bool json;
	bool brief;			/* -q, --brief: one line per state */
	const char *layout_arg;		/* --layout */
	const char *guest_arg;		/* --guest-xcr0 */
	const char *thread_arg;		/* --thread */
	const char *vcpu_arg;		/* --vcpu */
	/* How the formats read inputs: resolved by common_prepare(). */
	struct fmt_opts fo;
};

extern const struct argp common_argp;
/* --json alone (host, probe): an argp child whose input is a bool. */
extern const struct argp json_argp;

/*
 * A command's argp children: --json alone (host, probe), the shared reading
 * options (diff, extract), a target with them (filter), and for commands that
 * read a batch (batch.h: FILE..., --recursive) the same (inspect, check).
 */
extern const struct argp_child json_children[], common_children[], target_children[],
	batch_children[], batch_target_children[];

/* argp: store a single-value option's @arg in *@slot, refusing a second one. */
error_t once(struct argp_state *state, const char *opt, const char **slot, const char *arg);

/* Resolve --layout, --guest-xcr0 and this host's layout.  0 or an exit code. */
int common_prepare(struct xs_common *c);
/* How the output is rendered: --json, --brief (lines) or text. */
enum out_mode common_mode(const struct xs_common *c);

#endif
