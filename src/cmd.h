/* SPDX-License-Identifier: MIT */
/* The command table, the options every command shares, and loading inputs. */
#ifndef XSAVECTL_CMD_H
#define XSAVECTL_CMD_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

#include <xsave/area.h>
#include <xsave/layout.h>

#include "io.h"
#include "out.h"

struct xs_cmd {
	const char *name;
	const char *summary;
	const struct argp *argp;
	int (*run)(int argc, char **argv);
};

extern const struct xs_cmd xs_cmd_inspect, xs_cmd_check, xs_cmd_filter, xs_cmd_diff;

/* Options shared by every command that reads states (argp child "common_argp"). */
struct xs_common {
	bool json;
	const char *layout_arg;		/* --layout */
	const char *guest_arg;		/* --guest-xcr0 */
	bool guest_set;
	uint64_t guest_xcr0;
	/* Resolved by common_prepare(). */
	bool layout_forced;
	struct xs_layout layout;
	char layout_why[96];
	bool have_host;
	struct xs_layout host;
};

extern const struct argp common_argp;

/* Resolve --layout, --guest-xcr0 and this host's layout.  0 or an exit code. */
int common_prepare(struct xs_common *c);
/* New output document with "schema" and "xsavectl_version" at the top. */
struct out *common_out(const struct xs_common *c);
/* Render @o to stdout and close stdout checking for errors.  0 or EXIT_IOERR. */
int common_finish(struct out *o);

/*
 * Resolve a target mask argument: a number, component names, or "host" (this
 * CPU's XCR0 through XGETBV).  0 or an exit code (message printed).
 */
int resolve_mask(const char *opt, const char *arg, uint64_t *mask);

/* One input file and the states read from it. */
struct input {
	struct io_file file;
	const char *container;	/* "raw", "gzip" */
	unsigned nstates;
	struct xs_state st[1];	/* raw images hold exactly one state */
};

/* Read and decode @path.  0 or an exit code (message printed). */
int input_load(const struct xs_common *c, const char *path, struct input *in);
void input_free(struct input *in);

/* Emit the inspect fields of one state into the open object; see show.c. */
void show_state(struct out *o, const struct xs_state *st, const char *source);
struct xs_check;
void show_components(struct out *o, const struct xs_state *st, const struct xs_check *c);
void show_registers(struct out *o, const struct xs_state *st);

#define XSAVECTL_VERSION "0.1.0"

#endif
