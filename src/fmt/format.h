/* SPDX-License-Identifier: MIT */
/*
 * The input formats.  Each is one struct format, defined in its own file
 * (image.c, elf_core.c, qemu_stream.c, libvirt.c, criu.c), and listed once in
 * formats[] (input.c), which input_load() walks in order: the first whose
 * sniff() takes the file reads it.  The compressions are the codec layer's
 * (src/codec/), under every format: a compressed file is sniffed and read through
 * one decoder (io_open, io.h).
 *
 * A command never looks inside a format's data (input->priv): it reads the
 * states, and asks the format to show and to write them.
 */
#ifndef XSAVECTL_FORMAT_H
#define XSAVECTL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsave/err.h>

struct fail;
struct fmt_opts;
struct input;
struct input_state;
struct io_src;
struct out;
struct xs_target;

struct format {
	const char *name;	/* the output's "format": "qemu-stream", "elf-core", "image" */
	const char *what;	/* in messages: "a QEMU migration stream" */
	const char *owner;	/* whose state it is, in messages: "guest", "process" (NULL: either) */
	const char *source;	/* the output's "source" of its states: "image", "thread", "vcpu" */
	/* The states and the option that picks one (NULL: a single state). */
	const char *unit;	/* "vCPU", "thread" */
	const char *units;	/* "vCPUs", "threads" */
	const char *select;	/* "vcpu", "thread": --vcpu, --thread */
	const char *select_what;	/* "a vCPU of a QEMU migration stream" */
	const char *every;	/* filter's "every vCPU of a stream" */
	const char *choose;	/* how one state is chosen, where --SELECT alone does not: "--snapshot and --vcpu" */
	bool needs_seek;	/* not from a pipe */
	/* filter may write its states on the target's layout (relocate.h): write() writes
	   each state's st.img/st.size, not the bytes it read */
	bool relocates;
	bool reads_dirs;	/* a directory may be this format (sniff() sees it opened) */

	/* Is @src this format?  (Its first bytes, decompressed if compressed: src->codec.) */
	bool (*sniff)(const struct io_src *src);
	/*
	 * Read @src (taken over) into @in: in->priv, in->s.  0 or an exit code,
	 * with why in @why (fail.h): formats never print.
	 */
	int (*load)(const struct fmt_opts *c, struct io_src *src, struct input *in,
		    struct fail *why);
	/* Emit "compression" and the format's facts. */
	void (*show)(struct out *o, const struct input *in);
	/*
	 * Emit the label of state @s: which one it is ("vcpu", "thread") and
	 * what the format knows of it ("offset", a crosscheck).  NULL: none.
	 */
	void (*show_label)(struct out *o, const struct input_state *s);
	/* @s's name in one-line answers after the file's (" vcpu1"): at most @len bytes.  NULL: none. */
	void (*name_state)(char *buf, size_t len, const struct input_state *s);
	/*
	 * Emit what the format's own restore rules say of @s on target @t (CRIU's
	 * CPU check), after check's verdict.  NULL: none.
	 */
	void (*judge)(struct out *o, const struct input_state *s, const struct xs_target *t);
	/* Emit the guest values filter --force changed in @s (force_drop()'s).  NULL: none. */
	void (*show_changes)(struct out *o, const struct input_state *s);
	/* Write @in with its (filtered) states to @dest, atomically.  0 or an exit code (@why). */
	int (*write)(struct input *in, const char *dest, struct fail *why);
	/* Rewrite @in's own file (filter --in-place); NULL: write() over it. */
	int (*write_in_place)(struct input *in, struct fail *why);
	/*
	 * Before an in-place write: undo what an interrupted one left (idempotent;
	 * what it did is why->note).  NULL: nothing.
	 */
	int (*recover)(const char *path, struct fail *why);
	/*
	 * filter --force: @comps leave state @s, so the guest may no longer
	 * enable them where the format records it (a stream's XCR0, CR4, MSRs).
	 * 0, or -1 with @d saying why not.  NULL: the format records none.
	 */
	int (*force_drop)(struct input *in, struct input_state *s, uint64_t comps,
			  struct xs_diag *d);
	void (*free)(struct input *in);
};

extern const struct format image_format, elf_core_format, qemu_stream_format, libvirt_format;
extern const struct format qcow2_format;
extern const struct format criu_format;

/* filter --in-place: every format's recover() on @path.  0 or an exit code (@why). */
int format_recover(const char *path, struct fail *why);

#endif
