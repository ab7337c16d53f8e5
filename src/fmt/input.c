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
#include "fmt/elf_core.h"
#include "exitcodes.h"
#include "fmt/qemu_stream.h"
#include "util.h"

static int parse_one(const struct xs_common *c, const char *path, struct input_state *s,
		     uint8_t *img, size_t len, const struct xs_layout *producer,
		     const char *producer_why, uint64_t holds)
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
		if (d.has_off)
			d.off += s->offset;
		msg_diag(path, &d);
		return exit_for_err(rc);
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
	in->s[0].kind = STATE_IMAGE;
	in->s[0].id = -1;
	return parse_one(c, in->path, &in->s[0], in->file.buf, in->file.len, NULL, NULL, 0);
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
		s->kind = STATE_THREAD;
		s->id = t->tid;
		s->offset = t->xstate_off;
		rc = parse_one(c, in->path, s, t->img, t->xstate_len,
			       core->have_layout ? &core->layout : NULL, why, 0);
		if (rc)
			return rc;
		snprintf(s->crosscheck, sizeof(s->crosscheck), "%s",
			 t->has_fpreg ? "agrees" : "absent");
		/* Both notes come from one task state: bytes 0..463 must match. */
		for (unsigned b = 0; t->has_fpreg && b < XS_OFF_SW && b < t->xstate_len; b++) {
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

static int load_stream(const struct xs_common *c, struct io_src *src, struct input *in)
{
	static const char why[] = "QEMU stream: registers placed at the Intel standard offsets "
				  "(the stream carries no CPUID; --layout picks others)";
	struct xs_layout intel;
	const struct xs_layout *l = &intel;
	struct stream *s;
	int rc = stream_open(src, &s);

	if (rc)
		return rc;
	in->stream = s;
	in->format = "qemu-stream";
	in->gzip = s->gzip;
	in->s = xcalloc(s->qs.ncpu, sizeof(*in->s));
	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	if (c->layout_forced)
		l = &c->layout;
	for (unsigned i = 0; i < s->qs.ncpu; i++) {
		const struct xs_qcpu *cpu = &s->qs.cpu[i];
		struct input_state *st = &in->s[in->nstates];
		uint64_t holds;
		size_t size;

		if (c->vcpu >= 0 && cpu->instance != c->vcpu)
			continue;
		st->kind = STATE_VCPU;
		st->id = cpu->instance;
		st->offset = cpu->off;
		st->cpu = i;
		if (xs_qcpu_image(cpu, l, &st->own, &size, &holds))
			return EXIT_SOFTWARE;
		in->nstates++;
		rc = parse_one(c, in->path, st, st->own, size, &intel, why, holds);
		if (rc)
			return rc;
		xs_qcpu_state_facts(cpu, &st->st);
		snprintf(st->crosscheck, sizeof(st->crosscheck), "%s", cpu->vmdesc_check);
	}
	if (!in->nstates) {
		msg_err("'%s': no vCPU %ld in this stream (it has %u)", in->path, c->vcpu,
			s->qs.ncpu);
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
	if (c->thread >= 0 && c->vcpu >= 0) {
		msg_err("--thread and --vcpu select from different kinds of input; give one");
		io_src_close(&src);
		rc = EXIT_USAGE;
	} else if (stream_sniff(&src) && c->thread < 0)
		rc = load_stream(c, &src, in);
	else if (core_sniff(&src) && io_is_pipe(src.fd)) {
		msg_err("'%s': an ELF core needs a file it can seek in; standard input is a pipe "
			"(give the file, or redirect it with <)", path);
		io_src_close(&src);
		rc = EXIT_USAGE;
	}
	else if (core_sniff(&src) && c->vcpu < 0)
		rc = load_core(c, &src, in);
	else if (c->vcpu >= 0) {
		msg_err("'%s': --vcpu selects a vCPU of a QEMU migration stream; this is %s", path,
			core_sniff(&src) ? "an ELF core" : "an XSAVE image");
		io_src_close(&src);
		rc = EXIT_USAGE;
	} else if (c->thread >= 0) {
		msg_err("'%s': --thread selects a thread of an ELF core; this is %s", path,
			stream_sniff(&src) ? "a QEMU migration stream" : "an XSAVE image");
		io_src_close(&src);
		rc = EXIT_USAGE;
	} else
		rc = load_image(c, &src, in);
	if (rc) {
		input_free(in);
		return rc;
	}
	/*
	 * --guest-xcr0 tells what a raw image cannot; where the input records the
	 * guest XCR0 itself (a stream's env.xcr0), it must agree.
	 */
	for (unsigned i = 0; c->guest_set && i < in->nstates; i++) {
		struct xs_state *st = &in->s[i].st;

		if (st->guest_known && st->guest_xcr0 != c->guest_xcr0) {
			msg_err("'%s' vCPU %ld: --guest-xcr0 0x%llx contradicts the guest XCR0 0x%llx "
				"that the stream records (env.xcr0)", path, in->s[i].id,
				(unsigned long long)c->guest_xcr0,
				(unsigned long long)st->guest_xcr0);
			input_free(in);
			return EXIT_USAGE;
		}
		st->guest_known = true;
		st->guest_xcr0 = c->guest_xcr0;
	}
	return 0;
}

void input_free(struct input *in)
{
	io_free(&in->file);
	core_close(in->core);
	in->core = NULL;
	stream_close(in->stream);
	in->stream = NULL;
	for (unsigned i = 0; in->s && i < in->nstates; i++)
		free(in->s[i].own);
	free(in->s);
	in->s = NULL;
}

static void show_stream(struct out *o, const struct stream *s)
{
	const struct xs_qstream *q = &s->qs;

	out_str(o, "container", s->container);
	if (!strcmp(s->container, "libvirt")) {
		out_obj(o, "libvirt");
		out_str(o, "domain", s->domain);
		out_str(o, "image_format", libvirt_format_name(s->lv_format));
		out_u64(o, "image_format_number", s->lv_format);
		out_bool(o, "was_running", s->lv_was_running);
		out_u64(o, "xml_bytes", s->lv_xml_len);
		out_u64(o, "data_len", s->lv_data_len);
		if (s->lv_cookie_off)
			out_strf(o, "cookie_offset", "0x%x", s->lv_cookie_off);
		else
			out_null(o, "cookie_offset");
		out_strf(o, "stream_offset", "0x%llx", (unsigned long long)s->start);
		if (s->sparse)
			out_u64(o, "allocated_bytes", (uint64_t)s->st.st_blocks * 512);
		out_obj(o, "cpu");
		if (s->lv_have_cpu) {
			out_str(o, "mode", s->cpu_mode);
			if (s->cpu_model[0])
				out_str(o, "model", s->cpu_model);
			else
				out_null(o, "model");
			if (s->cpu_vendor[0])
				out_str(o, "vendor", s->cpu_vendor);
			else
				out_null(o, "vendor");
		} else {
			out_null(o, "mode");
		}
		out_end(o);
		out_end(o);
	}
	if (q->have_config)
		out_str(o, "machine", q->machine);
	else
		out_null(o, "machine");
	out_bool(o, "vmdesc", q->have_vmdesc);
	if (!q->have_vmdesc)
		out_note(o, "(none: sections sized by the built-in cpu layout and their footers)");
	out_bool(o, "section_footers", q->footers);
	out_str(o, "read", s->walked ? "walk" : "device-sections");
	out_str(o, "read_reason", s->walked ? s->why : "the vmdesc locates them; boundary "
		"confirmed (--verify walks every RAM record)");
	out_obj(o, "ram");
	out_u64(o, "blocks", q->ram_blocks);
	out_u64(o, "bytes", q->ram_total);
	if (s->walked) {
		out_u64(o, "pages", q->pages);
		out_u64(o, "zero_pages", q->zero_pages);
	} else {
		out_null(o, "pages");
		out_null(o, "zero_pages");
	}
	if (q->xbzrle_pages)
		out_u64(o, "xbzrle_pages", q->xbzrle_pages);
	if (q->compressed_pages)
		out_u64(o, "compressed_pages", q->compressed_pages);
	if (q->flushes)
		out_u64(o, "multifd_flushes", q->flushes);
	if (q->caps & XS_QCAP_MAPPED_RAM)
		out_u64(o, "mapped_ram_bytes", q->mapped_pages_bytes);
	out_end(o);
	out_u64(o, "device_sections", q->full_sections);
	if (q->packaged)
		out_u64(o, "postcopy_packaged", q->packaged);
	out_u64(o, "vcpus", q->ncpu);
	out_strf(o, "stream_end", "0x%llx", (unsigned long long)q->end);
}

void show_input(struct out *o, const struct input *in)
{
	out_str(o, "file", in->path);
	out_str(o, "format", in->format);
	out_str(o, "compression", in->stream ? codec_name(in->stream->codec) :
				  in->gzip ? "gzip" : "none");
	if (in->stream)
		show_stream(o, in->stream);
	if (!in->core)
		return;
	out_str(o, "producer", in->core->producer);
	if (!strcmp(in->core->producer, "gdb gcore"))
		out_note(o, "(XSTATE_BV holds XCR0, not XINUSE: unused components are stored as init)");
	out_u64(o, "threads", in->core->n);
	out_bool(o, "complete", in->core->expected <= in->core->size);
	if (in->core->expected > in->core->size)
		out_note(o, "(cut short: segments end at 0x%llx, the file at 0x%llx; the notes are "
			 "whole)", (unsigned long long)in->core->expected,
			 (unsigned long long)in->core->size);
	out_bool(o, "xsave_layout_note", in->core->have_layout);
}

const char *state_kind_name(enum state_kind k)
{
	static const char *const names[] = { "image", "thread", "vcpu" };

	return names[k];
}

void show_label(struct out *o, const struct input_state *s)
{
	if (s->kind == STATE_VCPU) {
		out_u64(o, "vcpu", (uint64_t)s->id);
		out_strf(o, "offset", "0x%llx", (unsigned long long)s->offset);
		out_str(o, "vmdesc_check", s->crosscheck);
		out_str(o, "accelerator", s->st.bv_unmaintained ? "tcg"
					  : s->st.xstate_bv ? "kvm" : "unknown");
		if (s->st.bv_unmaintained)
			out_note(o, "(env.xstate_bv is 0 while registers hold data: written under "
				 "TCG, which never updates it)");
		return;
	}
	if (s->kind == STATE_THREAD) {
		if (s->id >= 0)
			out_u64(o, "thread", (uint64_t)s->id);
		else
			out_null(o, "thread");
		out_strf(o, "offset", "0x%llx", (unsigned long long)s->offset);
		out_str(o, "prfpreg", s->crosscheck);
	}
}
