/* SPDX-License-Identifier: MIT */
/*
 * An input file and the states read from it.  Which format it is, and how
 * that format is read, shown and written, is its struct format (format.h):
 * the commands use the input through these calls and its format's, never
 * through one format's own structures.
 */
#ifndef XSAVECTL_INPUT_H
#define XSAVECTL_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <xsave/area.h>
#include <xsave/layout.h>
#include <xsave/qstream.h>

#include "sys/io.h"

struct fail;
struct format;
struct out;

/*
 * How inputs are read: what a format's load() takes from the command's
 * options (options.c fills it from --thread, --vcpu, --layout, --guest-xcr0,
 * --raw, --verify, --progress and this host's CPUID).
 */
struct fmt_opts {
	long thread;			/* --thread: -1 every thread */
	long vcpu;			/* --vcpu: -1 every vCPU */
	const char *snapshot;		/* --snapshot: a qcow2 snapshot's name or id; NULL: every one */
	bool guest_set;			/* --guest-xcr0 */
	uint64_t guest_xcr0;
	bool guest_default;		/* for inputs without their own (a batch): never a contradiction */
	bool raw;			/* --raw: read any file as a raw image */
	bool layout_forced;		/* --layout */
	struct xs_layout layout;
	char layout_why[96];
	bool have_host;			/* this host's layout (from its CPUID leaf 0xd) */
	struct xs_layout host;
	bool verify;			/* --verify (or XSAVECTL_VERIFY=1): walk every RAM record */
	int progress;			/* progress.h's mode: -1 when stderr is a terminal, 0, 1 */
};

/*
 * One state of an input, with where it came from.  What else a format knows
 * of it (a stream's cpu section, a core's NT_PRFPREG) is the format's own
 * (priv), shown by its format's show_label() (format.h).
 */
struct input_state {
	struct xs_state st;
	const struct format *fmt;	/* the input's: how the state is named and shown */
	long id;		/* thread id, vCPU index; -1 for images */
	uint64_t offset;	/* of the image (the cpu section) in the (decompressed) file */
	bool offset_unknown;	/* offset is a stand-in: a tail read that places nothing
				 * absolutely (codec_tail's offsets_unknown) */
	uint8_t *own;		/* the image, where the format built it (owned) */
	uint64_t cleared;	/* filter: XSTATE_BV bits cleared */
	void *priv;		/* the format's own data of this state (it frees it) */
};

/* "image", "thread", "vcpu": the "source" of a state in the output. */
const char *state_source(const struct input_state *s);

/* One input file and the states read from it. */
struct input {
	const char *path;
	const struct format *fmt;	/* what it is; its calls read, show and write it */
	void *priv;			/* the format's own data (struct core, struct stream...) */
	struct stat st;			/* of the input file */
	unsigned nstates;
	struct input_state *s;
	/* filter --in-place --keep-inode: a rewrite must keep the file (its inode), never
	   replace it by a new one; the format refuses (EXIT_CANTCREAT) where it cannot */
	bool keep_inode;
};

/*
 * Read and decode @path (only --thread's state when given).  0 or an exit
 * code with why in @why (fail.h), for the command to print or put in its
 * JSON error entry: nothing here prints.
 */
int input_load(const struct fmt_opts *c, const char *path, struct input *in, struct fail *why);
void input_free(struct input *in);
/* Is the directory @path one input of a format that reads directories (a CRIU checkpoint)? */
bool input_dir_is_input(const char *path);
/* Add a state to @in (its states array has room), decoded from @img.  0 or an exit code (@why). */
int input_parse(const struct fmt_opts *c, struct input *in, struct input_state *s,
		uint8_t *img, size_t len, const struct xs_layout *producer,
		const char *producer_why, uint64_t holds, struct fail *why);
/* Emit "file", "format", "compression" and the format's own facts of @in. */
void show_input(struct out *o, const struct input *in);

#endif
