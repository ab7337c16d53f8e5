// SPDX-License-Identifier: MIT
/*
 * Loading inputs: sniff the file, then read it as an XSAVE image or as an ELF
 * core (one state per thread), and decode every state with the shared
 * options (--layout, --guest-xcr0, --thread).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "core.h"
#include "exitcodes.h"
#include "util.h"

static int parse_one(const struct xs_common *c, const char *path, struct input_state *s,
		     uint8_t *img, size_t len, const struct xs_layout *producer,
		     const char *producer_why)
{
	struct xs_parse_opts po = {
		.force = c->layout_forced ? &c->layout : producer,
		.force_why = c->layout_forced ? c->layout_why : producer_why,
		.host = c->have_host ? &c->host : NULL,
	};
	struct xs_diag d = { 0 };
	int rc = xs_state_parse(&s->st, img, len, &po, &d);

	if (rc) {
		if (d.has_off)
			d.off += s->offset;
		msg_diag(path, &d);
		return exit_for_err(rc);
	}
	if (c->guest_set) {
		s->st.guest_known = true;
		s->st.guest_xcr0 = c->guest_xcr0;
	}
	return 0;
}

static int load_image(const struct xs_common *c, struct io_src *src, struct input *in)
{
	int rc = io_read_src(src, XS_IMAGE_LIMIT, &in->file);

	if (rc)
		return rc;
	in->format = "image";
	in->nstates = 1;
	in->s = xcalloc(1, sizeof(*in->s));
	in->s[0].what = "image";
	in->s[0].id = -1;
	return parse_one(c, in->path, &in->s[0], in->file.buf, in->file.len, NULL, NULL);
}

static int load_core(const struct xs_common *c, struct io_src *src, struct input *in)
{
	struct core *core;
	char why[96];
	int rc = core_open(src, &core);

	if (rc)
		return rc;
	in->core = core;
	in->format = "elf-core";
	in->s = xcalloc(core->n, sizeof(*in->s));
	snprintf(why, sizeof(why), "the core's NT_X86_XSAVE_LAYOUT note (offset 0x%llx)",
		 (unsigned long long)core->layout_off);
	for (unsigned i = 0; i < core->n; i++) {
		struct core_thread *t = &core->t[i];
		struct input_state *s = &in->s[in->nstates];

		if (c->thread >= 0 && t->tid != c->thread)
			continue;
		s->what = "thread";
		s->id = t->tid;
		s->offset = t->xstate_off;
		rc = parse_one(c, in->path, s, t->img, t->xstate_len,
			       core->have_layout ? &core->layout : NULL, why);
		if (rc)
			return rc;
		snprintf(s->crosscheck, sizeof(s->crosscheck), "%s",
			 t->has_fpreg ? "agrees" : "absent");
		/* Both notes come from one task state: bytes 0..463 must match. */
		for (unsigned b = 0; t->has_fpreg && b < 464 && b < t->xstate_len; b++) {
			if (t->fpreg[b] == t->img[b])
				continue;
			snprintf(s->crosscheck, sizeof(s->crosscheck),
				 "differs at byte %u (NT_PRFPREG 0x%llx)", b,
				 (unsigned long long)t->fpreg_off + b);
			break;
		}
		in->nstates++;
	}
	if (!in->nstates) {
		msg_err("'%s': no thread %ld in this core", in->path, c->thread);
		return EXIT_DATAERR;
	}
	return 0;
}

int input_load(const struct xs_common *c, const char *path, struct input *in)
{
	struct io_src src;
	int rc;

	memset(in, 0, sizeof(*in));
	in->path = path;
	rc = io_open(path, &src);
	if (rc)
		return rc;
	in->gzip = src.gzip;
	in->st = src.st;
	if (core_sniff(&src))
		rc = load_core(c, &src, in);
	else if (c->thread >= 0) {
		msg_err("'%s': --thread selects a thread of an ELF core; this is an XSAVE image", path);
		io_src_close(&src);
		rc = EXIT_USAGE;
	} else
		rc = load_image(c, &src, in);
	if (rc)
		input_free(in);
	return rc;
}

void input_free(struct input *in)
{
	io_free(&in->file);
	core_close(in->core);
	in->core = NULL;
	free(in->s);
	in->s = NULL;
}

void show_input(struct out *o, const struct input *in)
{
	out_str(o, "file", in->path);
	out_str(o, "format", in->format);
	out_str(o, "compression", in->gzip ? "gzip" : "none");
	if (!in->core)
		return;
	out_str(o, "producer", in->core->producer);
	if (!strcmp(in->core->producer, "gdb gcore"))
		out_note(o, "(XSTATE_BV holds XCR0, not XINUSE: unused components are stored as init)");
	out_u64(o, "threads", in->core->n);
	out_bool(o, "xsave_layout_note", in->core->have_layout);
}

void show_label(struct out *o, const struct input_state *s)
{
	if (!strcmp(s->what, "thread")) {
		if (s->id >= 0)
			out_u64(o, "thread", (uint64_t)s->id);
		else
			out_null(o, "thread");
		out_strf(o, "offset", "0x%llx", (unsigned long long)s->offset);
		out_str(o, "prfpreg", s->crosscheck);
	}
}
