/* SPDX-License-Identifier: MIT */
/*
 * QEMU migration streams in their containers: a plain file (`migrate
 * "exec:cat > F"`, `file:`), a gzip file (`exec:gzip`), a libvirt saved image
 * (raw, sparse/mapped-ram, or compressed with gzip, bzip2, xz, lzop or zstd:
 * src/codec/).  Reading walks the stream with constant memory (a sliding pread
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

/* libvirt's virQEMUSaveHeader (src/qemu/qemu_saveimage.h). */
#define LIBVIRT_MAGIC "LibvirtQemudSave"
#define LIBVIRT_MAGIC_PART "LibvirtQemudPart"
#define LIBVIRT_HEADER_LEN 92u

struct stream {
	const char *path;
	int fd;
	struct stat st;
	const char *container;	/* "raw", "gzip", "libvirt" */
	enum codec codec;	/* what the stream bytes are compressed with */
	struct codec_rd *rd;	/* a compressed file's decoder, started by the sniff (io_open) */
	bool sparse;		/* libvirt's sparse format: holes to keep */
	uint64_t start;		/* file offset where the stream (or its compressed data) starts */
	/* libvirt */
	uint32_t lv_version, lv_format, lv_data_len, lv_was_running, lv_cookie_off;
	uint32_t lv_xml_len;	/* the domain XML's length (up to its NUL: without the cookie) */
	char domain[256];	/* <name>, unescaped */
	char domain_uuid[64];	/* <uuid>, "" when the XML has none */
	bool lv_have_cpu;	/* the domain XML has a <cpu> */
	char cpu_mode[32], cpu_model[64], cpu_vendor[32];
	struct xs_qstream qs;
	bool walked;		/* every RAM record walked (else: the device sections only) */
	char why[320];		/* why walked, or (not walked) nothing */
	uint8_t **orig;		/* each cpu body as read, for the patches */
};

/* --verify (or XSAVECTL_VERIFY=1): walk every RAM record even where the vmdesc suffices. */
extern bool stream_verify;

/*
 * How the stream is wrapped: sets s->container, s->codec and s->start (a
 * libvirt image's header is read by libvirt.c's).  0 or an exit code.
 */
typedef int stream_container(struct stream *s, const struct io_src *src);
/* libvirt's header at the start of s->fd (libvirt.c).  0 or an exit code. */
int libvirt_header(struct stream *s);
/* "raw", "gzip", ... "sparse" for a header's format number. */
const char *libvirt_format_name(uint32_t format);
/* Walk the stream behind @src (which it takes over) in @container.  0 or an exit code. */
int stream_open(struct io_src *src, stream_container *container, struct stream **out);
void stream_close(struct stream *s);

/* The calls a stream format's struct format is made of (libvirt.c's, qemu_stream.c's). */
struct input;
struct input_state;
struct out;
struct xs_common;
struct xs_diag;
int stream_load(const struct xs_common *c, struct io_src *src, struct input *in,
		stream_container *container);
/* Emit the stream's facts (after the container's). */
void stream_show(struct out *o, const struct stream *s);
int stream_input_write(struct input *in, const char *dest);
int stream_input_write_in_place(struct input *in);
int stream_force_drop(struct input *in, struct input_state *is, uint64_t comps,
		      struct xs_diag *d);
void stream_input_free(struct input *in);
/* What both stream formats' struct format say alike: their states, and their writers. */
#define STREAM_FORMAT_STATES \
	.what = "a QEMU migration stream", .unit = "vCPU", .units = "vCPUs", .select = "vcpu", \
	.select_what = "a vCPU of a QEMU migration stream", .every = "vCPU of a stream"
#define STREAM_FORMAT_WRITERS \
	.write = stream_input_write, .write_in_place = stream_input_write_in_place, \
	.recover = stream_recover, .force_drop = stream_force_drop, .free = stream_input_free
/* Every changed range of every cpu section, in stream order (allocated). */
struct xs_qpatch *stream_patches(const struct stream *s, unsigned *n);
/* Write the same container to @dest with every cpu section's changes. */
int stream_write(const struct stream *s, const char *dest);
/* Rewrite only the changed bytes of the (uncompressed) input, under a journal (qemu_journal.c). */
int stream_write_in_place(const struct stream *s);
/*
 * Before `filter --in-place`: if an interrupted run left @path's journal,
 * put the original bytes back and remove it.  0 or an exit code.
 */
int stream_recover(const char *path);
/* The journal's name for @path (allocated; qemu_stream.c, whose reader refuses one left behind). */
char *stream_journal_name(const char *path);

#endif
