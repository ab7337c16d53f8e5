// SPDX-License-Identifier: MIT
/*
 * Loading inputs: the format registry walked in order (the first format that
 * takes the file reads it), the --thread/--vcpu choice checked against the
 * format, and the states decoded with the shared options (--layout,
 * --guest-xcr0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "out/out.h"
#include "util.h"

/* In sniffing order: the raw image takes whatever no other format does. */
static const struct format *const formats[] = {
	&libvirt_format,
	&qemu_stream_format,
	&qcow2_format,
	&elf_core_format,
	&criu_format,
	&image_format,
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

int input_parse(const struct fmt_opts *c, struct input *in, struct input_state *s,
		uint8_t *img, size_t len, const struct xs_layout *producer,
		const char *producer_why, uint64_t holds, struct fail *why)
{
	struct xs_parse_opts po = {
		.force = c->layout_forced ? &c->layout : producer,
		.force_why = c->layout_forced ? c->layout_why : producer_why,
		.host = c->have_host ? &c->host : NULL,
		.locate_also = holds,
	};
	struct xs_diag d = { 0 };
	int rc = xs_state_parse(&s->st, img, len, &po, &d);

	if (rc) {
		if (d.has_off && s->offset_unknown)
			d.has_off = false;	/* (where the state sits is not known) */
		else if (d.has_off)
			d.off += s->offset;
		return fail_diag(why, exit_for_err(rc), in->path, &d);
	}
	return 0;
}

/* The format of @src: NULL only for a directory no format reads. */
static const struct format *sniff(const struct io_src *src)
{
	bool dir = S_ISDIR(src->st.st_mode);

	for (size_t i = 0; i < NFORMATS; i++)
		if ((!dir || formats[i]->reads_dirs) && formats[i]->sniff(src))
			return formats[i];
	return NULL;	/* not reached for a file: the image takes anything */
}

/* The format that --OPT picks a state of (for the message when this one is not it). */
static const struct format *select_owner(const char *opt)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (formats[i]->select && !strcmp(formats[i]->select, opt))
			return formats[i];
	return NULL;
}

/* May @f be read from @src with the --thread/--vcpu given?  0 or EXIT_USAGE (why). */
static int may_read(const struct fmt_opts *c, const struct format *f, const struct io_src *src,
		    struct fail *why)
{
	const char *opt = c->thread >= 0 ? "thread" : c->vcpu >= 0 ? "vcpu" : NULL;
	const struct format *owner = opt ? select_owner(opt) : NULL;

	if (f->needs_seek && io_is_pipe(src->fd))
		return fail_msg(why, EXIT_USAGE, src->path, "%s needs a file it can seek in; "
				"standard input is a pipe (give the file, or redirect it with <)",
				f->what);
	if (c->snapshot && f != &qcow2_format)
		return fail_msg(why, EXIT_USAGE, src->path, "--snapshot selects a snapshot of %s; "
				"this is %s", qcow2_format.what, f->what);
	if (opt && (!f->select || strcmp(f->select, opt)))
		return fail_msg(why, EXIT_USAGE, src->path, "--%s selects %s; this is %s", opt,
				owner ? owner->select_what : "?", f->what);
	return 0;
}

/*
 * --guest-xcr0 tells what a raw image cannot; where the input records the
 * guest XCR0 itself (a stream's env.xcr0), it must agree, unless it is only
 * the default of a batch (guest_default): then the record stands.
 */
static int apply_guest(const struct fmt_opts *c, struct input *in, struct fail *why)
{
	for (unsigned i = 0; c->guest_set && i < in->nstates; i++) {
		struct xs_state *st = &in->s[i].st;

		if (st->guest_known && c->guest_default)
			continue;	/* the input's own record */
		if (st->guest_known && st->guest_xcr0 != c->guest_xcr0)
			return fail_msg(why, EXIT_USAGE, NULL, "'%s' vCPU %ld: --guest-xcr0 0x%llx "
					"contradicts the guest XCR0 0x%llx that the stream records "
					"(env.xcr0)", in->path, in->s[i].id,
					(unsigned long long)c->guest_xcr0,
					(unsigned long long)st->guest_xcr0);
		st->guest_known = true;
		st->guest_xcr0 = c->guest_xcr0;
	}
	return 0;
}

int input_load(const struct fmt_opts *c, const char *path, struct input *in, struct fail *why)
{
	struct io_src src;
	int rc;

	memset(in, 0, sizeof(*in));
	in->path = path;
	rc = io_open_input(path, &src, why);
	if (rc)
		return rc;
	in->st = src.st;
	if (c->thread >= 0 && c->vcpu >= 0) {
		io_src_close(&src);
		return fail_msg(why, EXIT_USAGE, NULL, "--thread and --vcpu select from different "
				"kinds of input; give one");
	}
	in->fmt = sniff(&src);
	if (!in->fmt) {		/* a directory no format reads: refused as io_open refuses it */
		io_src_close(&src);
		rc = io_open(path, &src, why);
		if (!rc)
			io_src_close(&src);
		return rc ? rc : fail_msg(why, EXIT_NOINPUT, path, "not a file to read");
	}
	rc = may_read(c, in->fmt, &src, why);
	if (rc) {
		io_src_close(&src);
		in->fmt = NULL;
		return rc;
	}
	rc = in->fmt->load(c, &src, in, why);
	for (unsigned i = 0; !rc && i < in->nstates; i++)
		in->s[i].fmt = in->fmt;
	if (!rc)
		rc = apply_guest(c, in, why);
	if (rc)
		input_free(in);
	return rc;
}

bool input_dir_is_input(const char *path)
{
	struct io_src src;
	bool yes;

	if (io_open_input(path, &src, NULL))
		return false;
	yes = S_ISDIR(src.st.st_mode) && sniff(&src);
	io_src_close(&src);
	return yes;
}

void input_free(struct input *in)
{
	if (in->fmt && in->fmt->free)
		in->fmt->free(in);
	in->fmt = NULL;
	in->priv = NULL;
	for (unsigned i = 0; in->s && i < in->nstates; i++)
		free(in->s[i].own);
	free(in->s);
	in->s = NULL;
}

void show_input(struct out *o, const struct input *in)
{
	out_str(o, "file", in->path);
	out_str(o, "format", in->fmt->name);
	in->fmt->show(o, in);
}

int format_recover(const char *path, struct fail *why)
{
	/* A recovery is idempotent: the libvirt and plain stream formats share one. */
	for (size_t i = 0; i < NFORMATS; i++) {
		int rc = formats[i]->recover ? formats[i]->recover(path, why) : 0;

		if (rc)
			return rc;
	}
	return 0;
}

const char *state_source(const struct input_state *s)
{
	return s->fmt->source;
}
