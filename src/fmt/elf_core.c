// SPDX-License-Identifier: MIT
/*
 * ELF core files through libelf.  Notes are grouped per thread: NT_PRSTATUS
 * opens a thread (Linux and gdb both write it first), the NT_PRFPREG,
 * NT_X86_XSTATE ... notes after it belong to that thread.  gzip'ed cores are
 * decompressed (by the decoder that sniffed them) into an unlinked temporary file so libelf can read them, no
 * further than their headers say they run (elf_extent.c).
 */
#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xsave/area.h>

#include "exitcodes.h"
#include "fail.h"
#include "fmt/elf_extent.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "out/out.h"
#include "sys/patchcopy.h"
#include "util.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#ifndef NT_X86_XSAVE_LAYOUT
#define NT_X86_XSAVE_LAYOUT 0x205
#endif
#ifndef NT_PRXFPREG
#define NT_PRXFPREG 0x46e62b7f
#endif

/* A PT_NOTE segment is read whole: a thread's notes are a few KiB (12 KiB with AMX). */
#define NOTES_MAX (256u << 20)

/* Bytes of the legacy area NT_PRFPREG and NT_X86_XSTATE share (464.. differ). */
#define FPREG_SHARED XS_OFF_SW

struct core_thread {
	long tid;		/* NT_PRSTATUS pr_pid; -1 when no NT_PRSTATUS precedes */
	uint64_t xstate_off;	/* file offset of the NT_X86_XSTATE descriptor */
	size_t xstate_len;
	uint8_t *img;		/* owned copy of it (filter changes this copy) */
	bool has_fpreg;
	uint64_t fpreg_off;	/* NT_PRFPREG (64-bit) or NT_PRXFPREG (32-bit) */
	uint8_t fpreg[XS_LEGACY_SIZE];	/* the FXSAVE image */
	char prfpreg[96];	/* the crosscheck: "agrees", "absent", "differs at byte N (...)" */
};

struct core {
	const char *path;
	struct fail *fail;	/* why it could not be read */
	int fd;			/* the plain core: the input, or its decompressed copy */
	enum codec codec;	/* the input's compression, kept by the writer */
	struct stat st;
	uint64_t size;
	uint64_t expected;	/* where the last segment ends: > size when the core was cut short */
	void *elf;		/* Elf * */
	bool is64;
	const char *producer;	/* "kernel" or "gdb gcore" */
	bool have_layout;	/* NT_X86_XSAVE_LAYOUT */
	struct xs_layout layout;
	uint64_t layout_off;
	unsigned n;
	struct core_thread *t;
};

static void core_close(struct core *c);

static bool core_sniff(const struct io_src *src)
{
	return src->nmagic >= 4 && !memcmp(src->magic, ELFMAG, SELFMAG);
}

static int bad_at(const struct core *c, uint64_t off, const char *what)
{
	return fail_at(c->fail, EXIT_DATAERR, c->path, off, "%s", what);
}

/* A read that failed because another process cut the file short: EXIT_NOINPUT (said). */
static int cut_meanwhile(const struct core *c, uint64_t off)
{
	struct stat now;

	if (fstat(c->fd, &now) || (uint64_t)now.st_size >= c->size)
		return 0;
	return fail_at(c->fail, EXIT_NOINPUT, c->path, off, "the file ends at 0x%llx while it is "
		       "read (it had 0x%llx bytes when opened: cut short meanwhile)",
		       (unsigned long long)now.st_size, (unsigned long long)c->size);
}

static bool name_is(const GElf_Nhdr *nh, const char *name, const char *want)
{
	size_t n = strlen(want) + 1;

	return nh->n_namesz == n && !memcmp(name, want, n);
}

static struct core_thread *new_thread(struct core *c, long tid)
{
	c->t = xrealloc(c->t, (c->n + 1) * sizeof(*c->t));
	memset(&c->t[c->n], 0, sizeof(c->t[0]));
	c->t[c->n].tid = tid;
	return &c->t[c->n++];
}

/* The thread the next per-thread note belongs to (one without NT_PRSTATUS if none). */
static struct core_thread *cur_thread(struct core *c)
{
	return c->n ? &c->t[c->n - 1] : new_thread(c, -1);
}

static int on_prstatus(struct core *c, const uint8_t *desc, size_t len, uint64_t off)
{
	/* struct elf_prstatus: pr_info (12), pr_cursig (2, +2 pad), pr_sigpend, pr_sighold
	 * (8 each on 64-bit, 4 on 32-bit), then pr_pid. */
	size_t at = c->is64 ? 32 : 24;
	int32_t pid;

	if (len < at + 4)
		return bad_at(c, off, "NT_PRSTATUS is too short to hold pr_pid");
	memcpy(&pid, desc + at, 4);
	new_thread(c, pid);
	return 0;
}

static int on_xstate(struct core *c, const uint8_t *desc, size_t len, uint64_t off)
{
	struct core_thread *t = cur_thread(c);

	if (t->img)
		t = new_thread(c, -1);
	if (len > XS_IMAGE_LIMIT)
		return bad_at(c, off, "NT_X86_XSTATE is larger than any XSAVE area (1 MiB)");
	t->img = xmalloc(len ? len : 1);
	memcpy(t->img, desc, len);
	t->xstate_len = len;
	t->xstate_off = off;
	return 0;
}

static int on_fpreg(struct core *c, const uint8_t *desc, size_t len, uint64_t off)
{
	struct core_thread *t = cur_thread(c);

	if (len != 512)		/* 32-bit NT_PRFPREG is user_i387_struct: no XMM; skip */
		return 0;
	t->has_fpreg = true;
	t->fpreg_off = off;
	memcpy(t->fpreg, desc, XS_LEGACY_SIZE);
	return 0;
}

static int on_layout(struct core *c, const uint8_t *desc, size_t len, uint64_t off)
{
	struct xs_diag d = { 0 };

	if (xs_layout_from_xfeat_note(desc, len, &c->layout, &d))
		return fail_at(c->fail, EXIT_DATAERR, c->path, off + (d.has_off ? d.off : 0), "%s",
			       d.msg);
	c->have_layout = true;
	c->layout_off = off;
	return 0;
}

static int one_note(struct core *c, const GElf_Nhdr *nh, const char *name, const uint8_t *desc,
		    uint64_t off)
{
	bool core = name_is(nh, name, "CORE"), lnx = name_is(nh, name, "LINUX");

	if (core && nh->n_type == NT_PRSTATUS)
		return on_prstatus(c, desc, nh->n_descsz, off);
	if ((core && nh->n_type == NT_PRFPREG && c->is64) ||
	    (lnx && nh->n_type == NT_PRXFPREG && !c->is64))
		return on_fpreg(c, desc, nh->n_descsz, off);
	if (lnx && nh->n_type == NT_X86_XSTATE)
		return on_xstate(c, desc, nh->n_descsz, off);
	if (lnx && nh->n_type == NT_X86_XSAVE_LAYOUT)
		return on_layout(c, desc, nh->n_descsz, off);
	return 0;
}

static int note_segment(struct core *c, const GElf_Phdr *ph, size_t idx)
{
	Elf_Data *data;
	GElf_Nhdr nh;
	size_t pos = 0, next, name_off, desc_off;
	char what[160];
	int rc;

	if (ph->p_offset > c->size || ph->p_filesz > c->size - ph->p_offset) {
		snprintf(what, sizeof(what),
			 "PT_NOTE segment %zu (%llu bytes) runs past the end of the file (%llu bytes)",
			 idx, (unsigned long long)ph->p_filesz, (unsigned long long)c->size);
		return bad_at(c, ph->p_offset, what);
	}
	if (!ph->p_filesz)
		return 0;
	if (ph->p_filesz > NOTES_MAX) {
		snprintf(what, sizeof(what), "PT_NOTE segment %zu is %llu bytes, over the limit of "
			 "%u MiB read at once", idx, (unsigned long long)ph->p_filesz, NOTES_MAX >> 20);
		return bad_at(c, ph->p_offset, what);
	}
	data = elf_getdata_rawchunk(c->elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_NHDR);
	if (!data) {
		rc = cut_meanwhile(c, ph->p_offset);
		return rc ? rc : bad_at(c, ph->p_offset, elf_errmsg(-1));
	}
	while (pos < data->d_size && (next = gelf_getnote(data, pos, &nh, &name_off, &desc_off))) {
		rc = one_note(c, &nh, (const char *)data->d_buf + name_off,
			      (const uint8_t *)data->d_buf + desc_off, ph->p_offset + desc_off);
		if (rc)
			return rc;
		pos = next;
	}
	/* gelf_getnote stops at a note that does not fit; only padding may remain. */
	for (; pos < data->d_size; pos++)
		if (((const uint8_t *)data->d_buf)[pos])
			return bad_at(c, ph->p_offset + pos,
				      "note header or data runs past the end of its PT_NOTE segment");
	return 0;
}

static int read_notes(struct core *c)
{
	GElf_Ehdr eh;
	size_t phnum;
	int rc;

	if (elf_kind(c->elf) != ELF_K_ELF || !gelf_getehdr(c->elf, &eh))
		return bad_at(c, 0, "not a valid ELF file");
	c->is64 = gelf_getclass(c->elf) == ELFCLASS64;
	if (eh.e_type != ET_CORE)
		return bad_at(c, 16, "an ELF file, but not a core dump (e_type is not ET_CORE)");
	if (eh.e_machine != EM_X86_64 && eh.e_machine != EM_386)
		return bad_at(c, 18, "a core dump of a non-x86 machine (e_machine)");
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return bad_at(c, 5, "big-endian ELF: x86 cores are little-endian");
	/* libelf says only "invalid data" for a table cut short: say what is wrong. */
	if (eh.e_phnum != PN_XNUM)
		phnum = eh.e_phnum;
	else if (elf_getphdrnum(c->elf, &phnum))
		return bad_at(c, eh.e_phoff, elf_errmsg(-1));
	if (phnum && (eh.e_phoff > c->size ||
		      (c->size - eh.e_phoff) / (eh.e_phentsize ? eh.e_phentsize : 1) < phnum)) {
		char why[160];

		snprintf(why, sizeof(why), "program header table (%zu entries of %u bytes) runs "
			 "past the end of the file (%llu bytes)", phnum, eh.e_phentsize,
			 (unsigned long long)c->size);
		return bad_at(c, eh.e_phoff, why);
	}
	/* The kernel writes no section headers (except one for > 65535 segments);
	 * gdb's gcore, through BFD, always does. */
	c->producer = eh.e_shoff && eh.e_phnum != PN_XNUM ? "gdb gcore" : "kernel";
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(c->elf, (int)i, &ph))
			return bad_at(c, eh.e_phoff + i * eh.e_phentsize, elf_errmsg(-1));
		if (ph.p_type == PT_NOTE && (rc = note_segment(c, &ph, i)))
			return rc;
		/* A core cut short (RLIMIT_CORE, a full disk) still has whole notes. */
		if (ph.p_filesz && ph.p_offset + ph.p_filesz > c->expected)
			c->expected = ph.p_offset + ph.p_filesz;
	}
	/* Threads without an XSAVE note (never used XSAVE, or not an x86 FPU user) drop out. */
	unsigned k = 0;

	for (unsigned i = 0; i < c->n; i++)
		if (c->t[i].img)
			c->t[k++] = c->t[i];
	c->n = k;
	if (!c->n)
		return bad_at(c, eh.e_phoff,
			      "no NT_X86_XSTATE note: the core holds no XSAVE state");
	return 0;
}

static int core_open(struct io_src *src, struct core **out, struct fail *why)
{
	struct core *c = xcalloc(1, sizeof(*c));
	struct stat st;
	int rc = 0;

	c->path = src->path;
	c->fail = why;
	c->codec = src->codec;
	c->st = src->st;
	if (src->rd) {
		struct elf_extent x = { .path = src->path, .fail = why };

		rc = io_decompress_to_tmp(src, elf_extent_step, &x);
	}
	c->fd = src->fd;
	src->fd = -1;
	if (!rc && fstat(c->fd, &st)) {
		rc = fail_msg(why, EXIT_NOINPUT, c->path, "cannot stat: %s", strerror(errno));
	}
	if (!rc) {
		c->size = (uint64_t)st.st_size;
		elf_version(EV_CURRENT);
		/* Read, not mapped: a core cut short while it is read is an error, not SIGBUS. */
		c->elf = elf_begin(c->fd, ELF_C_READ, NULL);
		if (!c->elf)
			rc = bad_at(c, 0, elf_errmsg(-1));
	}
	if (!rc)
		rc = read_notes(c);
	if (rc) {
		core_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static void core_close(struct core *c)
{
	if (!c)
		return;
	if (c->elf)
		elf_end(c->elf);
	if (c->fd >= 0)
		close(c->fd);
	for (unsigned i = 0; i < c->n; i++)
		free(c->t[i].img);
	free(c->t);
	free(c);
}

/* ---- writing ------------------------------------------------------------ */

static int core_write(const struct core *c, const char *dest, struct fail *why)
{
	struct patches ps = { 0 };
	struct io_out o;
	int rc;

	/* Each thread's NT_X86_XSTATE, and the legacy area it shares with NT_PRFPREG. */
	for (unsigned i = 0; i < c->n; i++) {
		const struct core_thread *t = &c->t[i];

		patches_add(&ps, t->xstate_off, t->img, t->xstate_len);
		if (t->has_fpreg && t->xstate_len >= FPREG_SHARED)
			patches_add(&ps, t->fpreg_off, t->img, FPREG_SHARED);
	}
	rc = io_out_open(dest, c->codec, &c->st, &o, why);
	if (!rc)
		rc = patchcopy(c->fd, c->path, &o, 0, c->size, &ps);
	if (rc)
		io_out_abort(&o);
	else
		rc = io_out_commit(&o);
	patches_free(&ps);
	return rc;
}

/* ---- the format ---------------------------------------------------------- */

/* Both notes come from one task state: bytes 0..463 must match. */
static void crosscheck(const struct core_thread *t, char *out, size_t len)
{
	snprintf(out, len, "%s", t->has_fpreg ? "agrees" : "absent");
	for (unsigned b = 0; t->has_fpreg && b < FPREG_SHARED && b < t->xstate_len; b++) {
		if (t->fpreg[b] == t->img[b])
			continue;
		snprintf(out, len, "differs at byte %u (NT_PRFPREG 0x%llx)", b,
			 (unsigned long long)t->fpreg_off + b);
		break;
	}
}

static int core_load(const struct fmt_opts *c, struct io_src *src, struct input *in,
		     struct fail *fail)
{
	struct core *core;
	char why[96];
	int rc = core_open(src, &core, fail);

	if (rc)
		return rc;
	in->priv = core;
	in->s = xcalloc(core->n, sizeof(*in->s));
	snprintf(why, sizeof(why), "the core's NT_X86_XSAVE_LAYOUT note (offset 0x%llx)",
		 (unsigned long long)core->layout_off);
	for (unsigned i = 0; i < core->n; i++) {
		struct core_thread *t = &core->t[i];
		struct input_state *s = &in->s[in->nstates];

		if (c->thread >= 0 && t->tid != c->thread)
			continue;
		s->id = t->tid;
		s->priv = t;	/* the core's: freed with it */
		s->offset = t->xstate_off;
		rc = input_parse(c, in, s, t->img, t->xstate_len,
				 core->have_layout ? &core->layout : NULL, why, 0, fail);
		if (rc)
			return rc;
		crosscheck(t, t->prfpreg, sizeof(t->prfpreg));
		in->nstates++;
	}
	if (!in->nstates)
		return fail_msg(fail, EXIT_DATAERR, in->path, "no thread %ld in this core", c->thread);
	return 0;
}

static void core_show(struct out *o, const struct input *in)
{
	const struct core *c = in->priv;

	out_str(o, "compression", codec_name(c->codec));
	out_str(o, "producer", c->producer);
	if (!strcmp(c->producer, "gdb gcore"))
		out_note(o, "(XSTATE_BV holds XCR0, not XINUSE: unused components are stored as init)");
	out_u64(o, "threads", c->n);
	out_bool(o, "complete", c->expected <= c->size);
	if (c->expected > c->size)
		out_note(o, "(cut short: segments end at 0x%llx, the file at 0x%llx; the notes are "
			 "whole)", (unsigned long long)c->expected, (unsigned long long)c->size);
	out_bool(o, "xsave_layout_note", c->have_layout);
}

static void core_show_label(struct out *o, const struct input_state *s)
{
	const struct core_thread *t = s->priv;

	if (s->id >= 0)
		out_u64(o, "thread", (uint64_t)s->id);
	else
		out_null(o, "thread");
	out_strf(o, "offset", "0x%llx", (unsigned long long)s->offset);
	out_str(o, "prfpreg", t->prfpreg);
}

static void core_name_state(char *buf, size_t len, const struct input_state *s)
{
	if (s->id >= 0)
		snprintf(buf, len, " thread %ld", s->id);
}

static int core_write_input(struct input *in, const char *dest, struct fail *why)
{
	return core_write(in->priv, dest, why);
}

static void core_free(struct input *in)
{
	core_close(in->priv);
}

const struct format elf_core_format = {
	.name = "elf-core",
	.what = "an ELF core",
	.owner = "process",
	.source = "thread",
	.unit = "thread",
	.units = "threads",
	.select = "thread",
	.select_what = "a thread of an ELF core",
	.every = "thread of a core",
	.needs_seek = true,
	.sniff = core_sniff,
	.load = core_load,
	.show = core_show,
	.show_label = core_show_label,
	.name_state = core_name_state,
	.write = core_write_input,
	.free = core_free,
};
