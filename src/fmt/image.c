// SPDX-License-Identifier: MIT
/*
 * The raw XSAVE image: a KVM_GET_XSAVE/KVM_GET_XSAVE2 dump, a ptrace or
 * XSAVE buffer, a kernel buffer cut short (area.c tells which), plain or
 * gzip'ed.  One state; written back whole, in the same compression.  It is
 * sniffed last and takes every file, but reads only what recognise.c
 * recognises as a producer's output (or anything, with --raw).
 */
#include <stdlib.h>
#include <sys/stat.h>

#include <xsave/recognise.h>

#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "out/out.h"
#include "util.h"

static bool image_sniff(const struct io_src *src)
{
	(void)src;
	return true;	/* whatever no other format takes */
}

/* Is this file XSAVE state?  0, or EXIT_DATAERR with the failed rule said. */
static int image_recognised(const struct fmt_opts *c, const struct input *in,
			    const struct io_file *f, struct fail *why)
{
	const struct xs_layout *more[] = {
		c->have_host ? &c->host : NULL,
		c->layout_forced ? &c->layout : NULL,
	};
	struct xs_diag d = { 0 };

	if (c->raw)
		return 0;
	if (xs_image_recognise(f->buf, f->len, more, 2, &d).rule == XS_RECOG_OK)
		return 0;
	if (why && !why->code)
		why->unrecognised = true;
	return fail_diag(why, EXIT_DATAERR, in->path, &d);
}

static int image_load(const struct fmt_opts *c, struct io_src *src, struct input *in,
		      struct fail *why)
{
	struct io_file *f = xcalloc(1, sizeof(*f));
	int rc;

	in->priv = f;
	/* Every other format has declined it: a big file is no XSAVE state at all. */
	if (src->codec == CODEC_NONE && S_ISREG(src->st.st_mode) &&
	    src->st.st_size > (off_t)XS_IMAGE_LIMIT) {
		io_close(src->fd);
		if (why && !why->code)
			why->unrecognised = true;
		return fail_at(why, EXIT_DATAERR, in->path, XS_IMAGE_LIMIT, "not XSAVE state in any form xsavectl "
				"reads: no QEMU stream, libvirt image or ELF core, and at %lld bytes "
				"larger than any XSAVE image (%u at most)",
				(long long)src->st.st_size, XS_IMAGE_LIMIT);
	}
	rc = io_read_src(src, XS_IMAGE_LIMIT, f);
	if (rc) {
		if (why && f->len > XS_IMAGE_LIMIT)
			why->unrecognised = true;	/* larger than any image */
		return rc;
	}
	rc = image_recognised(c, in, f, why);
	if (rc)
		return rc;
	in->nstates = 1;
	in->s = xcalloc(1, sizeof(*in->s));
	in->s[0].id = -1;
	return input_parse(c, in, &in->s[0], f->buf, f->len, NULL, NULL, 0, why);
}

static void image_show(struct out *o, const struct input *in)
{
	const struct io_file *f = in->priv;

	out_str(o, "compression", codec_name(f->codec));
}

static int image_write(struct input *in, const char *dest, struct fail *why)
{
	const struct io_file *f = in->priv;
	const struct xs_state *st = &in->s[0].st;

	/* The state's bytes: the file read, or filter's copy on the target's layout. */
	return io_write_atomic(dest, st->img, st->size, f->codec, &in->st, why);
}

static void image_free(struct input *in)
{
	struct io_file *f = in->priv;

	if (!f)
		return;
	io_free(f);
	free(f);
}

const struct format image_format = {
	.name = "image",
	.what = "an XSAVE image",
	.source = "image",
	.sniff = image_sniff,
	.load = image_load,
	.show = image_show,
	.write = image_write,
	.free = image_free,
	.relocates = true,
};
