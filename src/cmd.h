/* SPDX-License-Identifier: MIT */
/* The command table, the options every command shares, and loading inputs. */
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

#include "sys/io.h"
#include "out/out.h"

struct xs_cmd {
	const char *name;
	const char *summary;
	const struct argp *argp;
	int (*run)(int argc, char **argv);
};

extern const struct xs_cmd xs_cmd_inspect, xs_cmd_check, xs_cmd_filter, xs_cmd_diff,
	xs_cmd_extract, xs_cmd_host, xs_cmd_probe;

/* Options shared by every command that reads states (argp child "common_argp"). */
struct xs_common {
	bool json;
	bool brief;			/* -q, --brief: one line per state */
	const char *layout_arg;		/* --layout */
	const char *guest_arg;		/* --guest-xcr0 */
	const char *thread_arg;		/* --thread */
	long thread;			/* -1: every thread */
	const char *vcpu_arg;		/* --vcpu */
	long vcpu;			/* -1: every vCPU */
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
/* --json alone (host, probe): an argp child whose input is a bool. */
extern const struct argp json_argp;

/* argp: store a single-value option's @arg in *@slot, refusing a second one. */
error_t once(struct argp_state *state, const char *opt, const char **slot, const char *arg);

/* Resolve --layout, --guest-xcr0 and this host's layout.  0 or an exit code. */
int common_prepare(struct xs_common *c);
/* New output document with "schema" and "xsavectl_version" at the top. */
struct out *common_out(const struct xs_common *c);
/* Render @o to stdout and close stdout checking for errors.  0 or EXIT_IOERR. */
int common_finish(struct out *o);
/*
 * End a command's output: with @render, as common_finish(); else (--brief lines
 * already printed, or nothing to say) free @o and only close stdout.
 */
int common_end(struct out *o, bool render);
/* Print @text (a record) on stdout and close it the same way.  0 or EXIT_IOERR. */
int common_print(const char *text);

/*
 * Resolve a mask argument: a number, component names, "host" (what
 * KVM_SET_XSAVE accepts on this machine) or "@PROFILE" (a profile's target).
 * 0 or an exit code (message printed).
 */
int resolve_mask(const char *opt, const char *arg, uint64_t *mask);

/*
 * This host's facts: from @file (a CPUID file or a profile), else from
 * XSAVECTL_HOST_CPUID=FILE, else the live machine (/dev/kvm only with @kvm).
 * *source is "live" or "cpuid-file".  0 or an exit code (message printed).
 */
struct xs_hostinfo;
int host_facts(const char *file, bool kvm, struct xs_hostinfo *h, const char **source);
/* Emit a host fact's value, or null when it was not learned. */
struct xs_fact;
void show_fact(struct out *o, const char *key, const struct xs_fact *f);

/* One target of check/filter: --xcr0 MASK or --target PROFILE. */
struct xs_targetopt {
	const char *xcr0_arg, *profile_arg;
	struct xs_target t;
	char from[256];
	char host[128];
	char name[128];		/* column name in a matrix: the profile's host, else the mask */
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
/* The target as an object under @key (NULL: an array element, with its name). */
void show_target(struct out *o, const char *key, const struct xs_targetopt *t);

/* What a state of an input is. */
enum state_kind { STATE_IMAGE, STATE_THREAD, STATE_VCPU };
/* "image", "thread", "vcpu": the "source" of a state in the output. */
const char *state_kind_name(enum state_kind k);

/* One state of an input, with where it came from. */
struct input_state {
	struct xs_state st;
	enum state_kind kind;
	long id;		/* thread id, vCPU index; -1 for images */
	uint64_t offset;	/* of the image (the cpu section) in the (decompressed) file */
	unsigned cpu;		/* streams: index into the stream's cpu sections */
	uint8_t *own;		/* streams: the image built from the section (owned) */
	uint64_t cleared;	/* filter: XSTATE_BV bits cleared */
	unsigned nchanges;	/* filter --force on a stream: guest values changed */
	struct xs_qcpu_change changes[XS_QCPU_MAX_CHANGES];
	char crosscheck[96];	/* cores: NT_PRFPREG "agrees", "absent", "differs at byte N" */
};

struct core;
struct stream;

/* One input file and the states read from it. */
struct input {
	const char *path;
	struct io_file file;	/* images: the bytes */
	const char *format;	/* "image", "elf-core", "qemu-stream" */
	bool gzip;
	struct stat st;		/* of the input file */
	struct core *core;	/* elf-core: the open core */
	struct stream *stream;	/* qemu-stream: the walked stream */
	unsigned nstates;
	struct input_state *s;
};

/* Read and decode @path (only --thread's state when given).  0 or an exit code. */
int input_load(const struct xs_common *c, const char *path, struct input *in);
void input_free(struct input *in);
/* Emit "file", "format", "compression" (and the core's facts) of @in. */
void show_input(struct out *o, const struct input *in);
/* Emit the label of one state ("thread": TID, "offset"). */
void show_label(struct out *o, const struct input_state *s);

/* Emit the inspect fields of one state into the open object; see show.c. */
void show_state(struct out *o, const struct xs_state *st, const char *source);
struct xs_check;
void show_components(struct out *o, const struct xs_state *st, const struct xs_check *c);
void show_registers(struct out *o, const struct xs_state *st);

#define XSAVECTL_VERSION "0.1.0"

#endif
