/* SPDX-License-Identifier: MIT */
/*
 * QEMU migration streams in their containers: a plain file (`migrate
 * "exec:cat > F"`, `file:`), a gzip file (`exec:gzip`), a libvirt saved image
 * (raw, sparse/mapped-ram, or compressed with gzip, bzip2, xz, lzop or zstd:
 * src/codec/; its header is libvirt.c's alone).  Reading walks the stream with constant memory (a sliding pread
 * window, or a decompressor); writing copies the container with the cpu
 * sections' changed bytes patched in (compressed again with the same codec; a
 * sparse file's holes kept), or (--in-place, uncompressed) rewrites just those
 * bytes under a journal.
 */
#ifndef XSAVECTL_STREAM_H
#define XSAVECTL_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <xsave/qstream.h>

#include "codec/codec.h"
#include "sys/io.h"
#include "sys/journal.h"

struct fail;
struct fmt_opts;

/* Room for the MSRs xs_qcpu_msrs() lists (QEMU 11.1 carries 8). */
#define STREAM_MAX_MSRS 16

/* What a stream knows of a vCPU's state (its input_state's priv). */
struct stream_vcpu {
	unsigned cpu;			/* index into the stream's cpu sections */
	const void *box;		/* the container's record of its stream (a qcow2 snapshot) */
	char vmdesc_check[96];		/* the section against the vmdesc's description */
	unsigned nchanges;		/* filter --force: guest values changed */
	struct xs_qcpu_change changes[XS_QCPU_MAX_CHANGES];
	unsigned nmsrs;			/* the CET MSRs the section carries (xs_qcpu_msrs) */
	struct xs_qmsr msrs[STREAM_MAX_MSRS];
};

struct stream {
	const char *path;
	struct fail *fail;	/* why it could not be read (stream_open's @why) */
	int fd;
	struct stat st;
	const char *container;	/* "raw", "gzip", "libvirt" */
	enum codec codec;	/* what the stream bytes are compressed with */
	struct codec_rd *rd;	/* a compressed file's decoder, started by the sniff (io_open) */
	bool sparse;		/* libvirt's sparse format: holes to keep */
	uint64_t start;		/* file offset where the stream (or its compressed data) starts */
	void *box;		/* the container's own data (libvirt.c's header), freed with it */
	struct xs_qstream *qs;
	bool walked;		/* every RAM record walked (else: the device sections only) */
	bool offsets_unknown;	/* read from a tail that places nothing absolutely */
	uint64_t tail_end;	/* then: the decompressed end, in the tail's stand-in offsets */
	char why[448];		/* why walked, or (not walked) nothing */
	uint8_t **orig;		/* each cpu body as read, for the patches */
	struct stream_vcpu *vcpu;	/* each cpu section's state: its priv */
	bool verify;		/* walk every RAM record even where the vmdesc suffices */
	int progress;		/* progress.h's mode */
	/* Where source offset @off lies in the file, for a container that scatters the
	   stream (a qcow2 snapshot's clusters); NULL: at @off itself.  ctx: its data. */
	uint64_t (*file_off)(const struct stream *s, uint64_t off);
	void *ctx;
};

/*
 * How the stream is wrapped: sets s->container, s->codec and s->start, and
 * s->box to what else it reads (libvirt.c's header).  0 or an exit code (why
 * in s->fail).
 */
typedef int stream_container(struct stream *s, const struct io_src *src);
/*
 * A walk that replaces the next stream's read, once (the streaming filter's,
 * stream_pipe.c, which writes the stream on as it reads it), or NULL: it reads
 * @s from s->start on, filling s->qs.  0 or an exit code (why in s->fail).
 */
typedef int stream_walk_fn(struct stream *s);
void stream_set_walk(stream_walk_fn *walk);
/* Walk the stream behind @src (which it takes over) in @container.  0 or an exit code (@why). */
int stream_open(const struct fmt_opts *fo, struct io_src *src, stream_container *container,
		struct stream **out, struct fail *why);
void stream_close(struct stream *s);
/*
 * A stream its container walked itself (a qcow2 snapshot's vm state): @qs taken over, no
 * file of its own (@path and @st are the container's, for messages and the writers).
 */
struct stream *stream_adopt(const char *path, const struct stat *st, struct xs_qstream *qs);

/* The calls a stream format's struct format is made of (libvirt.c's, qemu_stream.c's). */
struct input;
struct input_state;
struct out;
struct xs_diag;
int stream_load(const struct fmt_opts *c, struct io_src *src, struct input *in,
		stream_container *container, struct fail *why);
/* Emit the stream's facts (after the container's). */
void stream_show(struct out *o, const struct stream *s);
/* Add @s's vCPUs (--vcpu's alone) to @in, whose states array has room; @box: their stream
 * in the container (stream_vcpu's).  0 or an exit code (@why). */
int stream_states(const struct fmt_opts *c, struct stream *s, struct input *in, const void *box,
		  struct fail *why);
/* Carry state @is's filtered state back into its cpu section of @s.  0 or an exit code. */
int stream_carry(struct stream *s, const struct input_state *is, struct fail *why);
int stream_input_write(struct input *in, const char *dest, struct fail *why);
/* Rewrite only the changed bytes of the (uncompressed) input, under a journal (sys/journal.h). */
int stream_input_write_in_place(struct input *in, struct fail *why);
int stream_force_drop(struct input *in, struct input_state *is, uint64_t comps,
		      struct xs_diag *d);
void stream_input_free(struct input *in);
void stream_show_label(struct out *o, const struct input_state *s);
void stream_name_state(char *buf, size_t len, const struct input_state *s);
void stream_show_changes(struct out *o, const struct input_state *s);
/* What both stream formats' struct format say alike: their states, and their writers. */
#define STREAM_FORMAT_STATES \
	.what = "a QEMU migration stream", .source = "vcpu", .unit = "vCPU", .units = "vCPUs", \
	.select = "vcpu", .select_what = "a vCPU of a QEMU migration stream", \
	.every = "vCPU of a stream", .show_label = stream_show_label, \
	.name_state = stream_name_state, .show_changes = stream_show_changes
#define STREAM_FORMAT_WRITERS \
	.write = stream_input_write, .write_in_place = stream_input_write_in_place, \
	.recover = journal_recover, .force_drop = stream_force_drop, .free = stream_input_free
/* Every changed range of every cpu section, in stream order (allocated). */
struct xs_qpatch *stream_patches(const struct stream *s, unsigned *n);
/* Write the same container to @dest with every cpu section's changes.  0 or an exit code (@why). */
int stream_write(const struct stream *s, const char *dest, struct fail *why);

#endif
