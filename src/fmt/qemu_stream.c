// SPDX-License-Identifier: MIT
/* QEMU streams in their containers: see stream.h. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "fmt/qemu_stream.h"
#include "out/out.h"
#include "sys/journal.h"
#include "sys/patchcopy.h"
#include "sys/progress.h"
#include "util.h"

#define WINDOW (2u << 20)		/* read window: bounds the bytes held at once (peak RSS) */
#define GZBUF (1u << 20)		/* decompressed window: above XS_QGET_MAX, small for the RSS */
#define TAIL_MAX (16u << 20)		/* how far from the end a vmdesc is looked for */
#define COPY_CHUNK (1u << 20)
#define TAIL_FIRST (1u << 20)		/* a compressed stream's tail decompressed first */
#define HEAD_STEP (64u << 10)		/* and its head, as far as the walk asks */

/* ---- sources ------------------------------------------------------------- */

/*
 * A sliding window over a plain file, read with pread (not mapped: a file cut
 * short by another process while it is read is then a short read, reported
 * with its offset, where a mapping would kill the process with SIGBUS).
 */
struct msrc {
	const char *path;
	struct fail *fail;
	int fd;
	uint64_t size;		/* when it was opened */
	uint8_t *buf;		/* WINDOW bytes */
	uint64_t base;
	size_t len;
};

/* Fill the window with @want bytes from m->base.  0, or -1 (why in m->fail). */
static int msrc_read(struct msrc *m, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t r = pread(m->fd, m->buf + got, want - got, (off_t)(m->base + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail_msg(m->fail, EXIT_NOINPUT, m->path, "read error at offset 0x%llx: %s",
				 (unsigned long long)(m->base + got), strerror(errno));
			return -1;
		}
		if (r == 0) {
			fail_at(m->fail, EXIT_NOINPUT, m->path, m->base + got, "the file ends here "
				"while it is read (it had 0x%llx bytes when opened: cut short "
				"meanwhile)", (unsigned long long)m->size);
			return -1;
		}
		got += (size_t)r;
	}
	m->len = got;
	return 0;
}

static const uint8_t *msrc_get(void *ctx, uint64_t off, size_t n, size_t *have)
{
	struct msrc *m = ctx;

	if (off > m->size || m->size - off < n) {
		*have = off < m->size ? (size_t)(m->size - off) : 0;
		return NULL;
	}
	if (!n)
		return (const uint8_t *)"";	/* nothing to read (maybe at the very end) */
	if (m->len && off >= m->base && off + n <= m->base + m->len)
		return m->buf + (off - m->base);
	progress_update(off);
	if (!m->buf)
		m->buf = xmalloc(WINDOW);
	m->base = off;
	m->len = 0;
	if (msrc_read(m, m->size - off < WINDOW ? (size_t)(m->size - off) : WINDOW)) {
		*have = SIZE_MAX;
		return NULL;
	}
	return m->buf;
}

/* A forward-only window over decompressed data (any codec). */
struct gsrc {
	const char *path;
	struct codec_rd *z;
	uint8_t *buf;
	uint64_t base;		/* offset of buf[0] */
	size_t len;
	bool eof;
	int failed;		/* exit code of a codec failure (why in the stream's fail) */
	struct xs_diag why;	/* its diagnostic, recorded there by parse_stream */
};

static bool gsrc_fill(struct gsrc *g)
{
	ssize_t r = codec_read(g->z, g->buf + g->len, GZBUF - g->len, &g->why);

	progress_update(codec_rd_in_pos(g->z));

	if (r < 0) {
		g->failed = (int)-r;
		return false;
	}
	g->eof = r == 0;
	g->len += (size_t)r;
	return r > 0;
}

static const uint8_t *gsrc_get(void *ctx, uint64_t off, size_t n, size_t *have)
{
	struct gsrc *g = ctx;

	if (g->failed || off < g->base) {
		*have = SIZE_MAX;
		return NULL;
	}
	if (off - g->base < g->len && g->len - (off - g->base) >= n)
		return g->buf + (off - g->base);
	/* Skip (decompress and drop) up to off, keep what remains of the window. */
	while (off - g->base >= g->len && !g->eof) {
		g->base += g->len;
		g->len = 0;
		if (!gsrc_fill(g) && g->failed) {
			*have = SIZE_MAX;
			return NULL;
		}
	}
	if (off - g->base < g->len) {
		size_t drop = (size_t)(off - g->base);

		memmove(g->buf, g->buf + drop, g->len - drop);
		g->len -= drop;
		g->base = off;
	}
	while (g->len < n && !g->eof)
		if (!gsrc_fill(g) && g->failed) {
			*have = SIZE_MAX;
			return NULL;
		}
	if (off >= g->base && off - g->base < g->len && g->len - (off - g->base) >= n)
		return g->buf + (off - g->base);
	*have = off >= g->base && off - g->base < g->len ? g->len - (size_t)(off - g->base) : 0;
	return NULL;
}

/* After the stream is parsed: decompress the rest, so that a bad checksum or garbage after
 * the compressed data is found by every reader, not only by the writer. */
static int gsrc_drain(struct gsrc *g)
{
	while (!g->eof && !g->failed) {
		g->base += g->len;
		g->len = 0;
		gsrc_fill(g);
	}
	return g->failed;
}

/* ---- containers ---------------------------------------------------------- */

static bool qemu_sniff(const struct io_src *src)
{
	return src->nmagic >= 4 && !memcmp(src->magic, "QEVM", 4);
}

/* A stream as QEMU wrote it (`exec:cat`, `file:`), or gzip'ed (`exec:gzip`). */
static int plain_container(struct stream *s, const struct io_src *src)
{
	s->codec = src->codec;
	s->container = s->codec != CODEC_NONE ? codec_name(s->codec) : "raw";
	return 0;
}

/*
 * Find the vmdesc from the end of a plain stream: read the last 64 KiB, then
 * 1 MiB, then TAIL_MAX, until it is in view (most are well under 64 KiB).
 */
static char *tail_vmdesc(struct stream *s, size_t *len, uint64_t *at)
{
	uint64_t size = (uint64_t)s->st.st_size - s->start;
	char *json = NULL;

	for (size_t want = 64u << 10; !json; want *= 16) {
		size_t n = size < want ? (size_t)size : want, off, jl;
		uint8_t *buf = xmalloc(n ? n : 1);

		if (pread(s->fd, buf, n, (off_t)(s->st.st_size - (off_t)n)) == (ssize_t)n &&
		    xs_qstream_find_vmdesc(buf, n, &off, &jl)) {
			json = xmalloc(jl + 1);
			memcpy(json, buf + off, jl);
			json[jl] = 0;
			*len = jl;
			*at = (uint64_t)s->st.st_size - n + off - 5;	/* the 0x06 byte */
		}
		free(buf);
		if (n == size || want >= TAIL_MAX)
			break;
	}
	return json;
}

/*
 * A compressed stream read at its two ends: its head (the header, the configuration and
 * the RAM block list) decompressed forward by @z into head[], at most GZBUF bytes and
 * kept for a second try, and its tail as codec_tail() gave it.  Any other byte asked for
 * is outside: the tail read gives way to the full one.
 */
struct tsrc {
	struct stream *s;	/* its decoder s->rd, the sniff's, is taken when the head is read */
	struct codec_rd *z;	/* NULL until then */
	uint8_t *head;
	size_t hlen;
	bool hend;		/* the decoder gave all it would (the end, or a failure) */
	const struct codec_tail *t;
	bool outside;
};

static const uint8_t *tsrc_get(void *ctx, uint64_t off, size_t n, size_t *have)
{
	struct tsrc *ts = ctx;
	const struct codec_tail *t = ts->t;

	if (off >= t->base && off <= t->total) {
		if (t->total - off >= n)
			return t->buf + (off - t->base);
		*have = (size_t)(t->total - off);
		return NULL;
	}
	if (off < t->base && n <= t->base - off && n <= GZBUF && off <= GZBUF - n) {
		if (!ts->z && !ts->hend) {
			ts->z = ts->s->rd;
			ts->s->rd = NULL;
			ts->hend = !ts->z && io_codec_open(ts->s->codec, ts->s->fd, ts->s->start,
							   ts->s->path, &ts->z, NULL);
		}
		while (ts->hlen < off + n && !ts->hend) {
			/* What is asked for, in steps of HEAD_STEP: a fault further on is the
			 * full decode's to find. */
			size_t k = off + n - ts->hlen < HEAD_STEP ? HEAD_STEP : off + n - ts->hlen;
			struct xs_diag d;
			ssize_t r = codec_read(ts->z, ts->head + ts->hlen,
					       k < GZBUF - ts->hlen ? k : GZBUF - ts->hlen, &d);

			ts->hend = r <= 0;
			ts->hlen += r > 0 ? (size_t)r : 0;
		}
		if (ts->hlen >= off + n)
			return ts->head + off;
	}
	ts->outside = true;
	*have = SIZE_MAX;
	return NULL;
}

/*
 * The device sections of a compressed stream from its tail (codec_tail), its head read by
 * s->rd (or a decoder of its own), which is then used up: 0 read (s->qs, and s->why says
 * how), 1 not (s->why says why: the caller decompresses it whole, which reports any fault).
 */
static int parse_tail(struct stream *s)
{
	const struct codec_in in = { .fd = s->fd, .pread = io_pread };
	struct tsrc ts = { .s = s };
	struct codec_tail t;
	int rc = 1;

	if (s->verify) {
		snprintf(s->why, sizeof(s->why), "--verify: decompressed whole, every %s checksum "
			 "checked", codec_name(s->codec));
		return 1;
	}
	for (uint64_t want = TAIL_FIRST;; want *= 16) {
		struct xs_qsrc src = { .get = tsrc_get, .ctx = &ts };
		size_t off, jl;
		char why[200];
		bool found, longer;

		if (codec_tail(s->codec, &in, s->start, (uint64_t)s->st.st_size, want, &t)) {
			snprintf(s->why, sizeof(s->why), "%s", t.how);
			break;
		}
		ts.t = &t;
		ts.outside = false;
		src.end = t.total;
		if (!ts.head)
			ts.head = xmalloc(GZBUF);
		found = xs_qstream_find_vmdesc(t.buf, t.len, &off, &jl);
		rc = found ? xs_qstream_parse_devices(&s->qs, &src, (const char *)t.buf + off, jl,
						      t.base + off - 5, why, sizeof(why)) : 1;
		if (rc == 0)
			snprintf(s->why, sizeof(s->why), "%s; the vmdesc locates the device "
				 "sections, boundary confirmed; the blocks before them not read, "
				 "nor checked%s (--verify decompresses all)", t.how,
				 t.offsets_unknown ? ", nor where the tail falls in the stream" : "");
		else if (!found)
			snprintf(s->why, sizeof(s->why), "%s; no vmdesc in the last 0x%llx bytes: "
				 "decompressed whole", t.how, (unsigned long long)t.len);
		else
			snprintf(s->why, sizeof(s->why), "%s; the tail does not confirm (%.100s): "
				 "decompressed whole", t.how, rc != 1 ? "it reaches bytes not "
				 "decompressed" : t.offsets_unknown ? "a check failed; the full decode says which" : why);
		s->offsets_unknown = rc == 0 && t.offsets_unknown;
		s->tail_end = t.total;
		longer = rc && (ts.outside || !found) && t.base && want < TAIL_MAX;
		codec_tail_free(&t);
		if (!longer)
			break;
	}
	free(ts.head);
	codec_rd_close(ts.z);
	return rc ? 1 : 0;
}

static stream_walk_fn *walk_once;

void stream_set_walk(stream_walk_fn *walk)
{
	walk_once = walk;
}

static int parse_stream(struct stream *s)
{
	struct msrc m = { .path = s->path, .fail = s->fail, .fd = s->fd,
			  .size = (uint64_t)s->st.st_size };
	struct gsrc g = { .path = s->path };
	struct xs_qsrc src = { .start = s->start };
	struct xs_diag d = { 0 };
	char *vmdesc = NULL;
	size_t vlen = 0;
	uint64_t vat = 0;
	int rc = 1;

	if (walk_once) {	/* filter from a pipe: written on as it is read */
		stream_walk_fn *walk = walk_once;

		walk_once = NULL;
		return walk(s);
	}
	/* Compressed: its tail, where the codec allows it; else decompressed whole. */
	if (s->codec != CODEC_NONE && !io_is_pipe(s->fd) && parse_tail(s) == 0)
		return 0;
	if (s->codec != CODEC_NONE || io_is_pipe(s->fd)) {
		/* A decompressor (the one the sniff started, continued), or (standard input as a
		 * pipe) the bytes as they come. */
		g.z = s->rd;
		s->rd = NULL;
		rc = g.z ? 0 : io_codec_open(s->codec, s->fd, s->start, s->path, &g.z, s->fail);
		if (rc) {
			return rc;
		}
		g.buf = xmalloc(GZBUF);
		src.get = gsrc_get;
		src.ctx = &g;
		src.start = 0;
		src.end = UINT64_MAX;
	} else {
		src.get = msrc_get;
		src.ctx = &m;
		src.end = m.size;
		vmdesc = tail_vmdesc(s, &vlen, &vat);
	}
	s->walked = true;
	rc = 1;
	progress_start(s->path, "read", io_is_pipe(s->fd) ? 0 : (uint64_t)s->st.st_size,
		       s->progress);
	if (s->codec != CODEC_NONE && io_is_pipe(s->fd))
		snprintf(s->why, sizeof(s->why), "%s, from a pipe: decompressed whole",
			 codec_name(s->codec));
	else if (s->codec != CODEC_NONE)
		;	/* parse_tail said why */
	else if (io_is_pipe(s->fd))
		snprintf(s->why, sizeof(s->why), "a pipe: read forward to the end");
	else if (!vmdesc)
		snprintf(s->why, sizeof(s->why), "no vmdesc at the end");
	else if (s->verify)
		snprintf(s->why, sizeof(s->why), "--verify");
	else
		rc = xs_qstream_parse_devices(&s->qs, &src, vmdesc, vlen, vat, s->why,
					      sizeof(s->why));
	if (rc == 0)
		s->walked = false;
	else if (rc == 1)
		rc = xs_qstream_parse(&s->qs, &src, vmdesc, vlen, &d);
	free(vmdesc);
	free(m.buf);
	if (!rc && g.z && gsrc_drain(&g))
		rc = -XS_EIO;
	progress_end();
	codec_rd_close(g.z);
	free(g.buf);
	if (rc == -XS_EIO && g.failed)
		return io_codec_fail(s->fail, g.failed, s->path, &g.why);
	if (rc == -XS_EIO)
		return EXIT_NOINPUT;	/* the source said why */
	if (rc) {
		if (s->codec != CODEC_NONE)
			snprintf(d.msg + strlen(d.msg), sizeof(d.msg) - strlen(d.msg),
				 " (offset in the decompressed %s stream)", codec_name(s->codec));
		return fail_diag(s->fail, exit_for_err(rc), s->path, &d);
	}
	return 0;
}

/* Each cpu body as read (for the patches), and each vCPU's state record. */
static void keep_bodies(struct stream *s)
{
	s->orig = xcalloc(xs_qstream_ncpu(s->qs), sizeof(*s->orig));
	s->vcpu = xcalloc(xs_qstream_ncpu(s->qs), sizeof(*s->vcpu));
	for (unsigned i = 0; i < xs_qstream_ncpu(s->qs); i++) {
		uint32_t len;
		const uint8_t *body = xs_qcpu_body(xs_qstream_cpu(s->qs, i), NULL, &len);

		s->orig[i] = xmalloc(len);
		memcpy(s->orig[i], body, len);
	}
}

int stream_open(const struct fmt_opts *fo, struct io_src *src, stream_container *container,
		struct stream **out, struct fail *why)
{
	struct stream *s = xcalloc(1, sizeof(*s));
	char *journal;
	int rc = 0;

	s->path = src->path;
	s->fail = why;
	s->fd = src->fd;
	s->rd = src->rd;	/* continued by the load: the file is decompressed once */
	s->st = src->st;
	s->verify = fo->verify;
	s->progress = fo->progress;
	src->fd = -1;
	src->rd = NULL;
	journal = journal_name(s->path);
	if (strcmp(s->path, "-") && !access(journal, F_OK))
		rc = fail_msg(why, EXIT_DATAERR, s->path, "an interrupted 'filter --in-place' left "
			      "'%s': run 'xsavectl filter --in-place' on it again, which rolls the "
			      "file back first", journal);
	free(journal);
	if (!rc)
		rc = container(s, src);
	if (!rc && io_is_pipe(s->fd) && s->sparse)
		rc = fail_msg(why, EXIT_USAGE, s->path, "libvirt's sparse format needs a file it can "
			      "seek in; standard input is a pipe (give the file, or redirect it "
			      "with <)");
	if (!rc)
		rc = parse_stream(s);
	if (!rc && io_is_pipe(s->fd) && (xs_qstream_fact(s->qs, XS_QF_CAPS) & XS_QCAP_MAPPED_RAM))
		rc = fail_msg(why, EXIT_USAGE, s->path, "a mapped-ram stream needs a file it can "
			      "seek in; standard input is a pipe (give the file, or redirect it "
			      "with <)");
	if (!rc && xs_qstream_ncpu(s->qs) == 0)
		rc = fail_msg(why, EXIT_DATAERR, s->path, "the stream holds no x86 'cpu' section");
	if (rc) {
		stream_close(s);
		return rc;
	}
	keep_bodies(s);
	*out = s;
	return 0;
}

struct stream *stream_adopt(const char *path, const struct stat *st, struct xs_qstream *qs)
{
	struct stream *s = xcalloc(1, sizeof(*s));

	s->path = path;
	s->fd = -1;
	s->st = *st;
	s->container = "qcow2";
	s->qs = qs;
	keep_bodies(s);
	return s;
}

void stream_close(struct stream *s)
{
	if (!s)
		return;
	for (unsigned i = 0; s->orig && i < xs_qstream_ncpu(s->qs); i++)
		free(s->orig[i]);
	free(s->orig);
	free(s->vcpu);
	xs_qstream_free(s->qs);
	free(s->box);
	codec_rd_close(s->rd);
	io_close(s->fd);
	free(s);
}

/* ---- the format: every vCPU's state, shown and written back --------------- */

int stream_states(const struct fmt_opts *c, struct stream *s, struct input *in, const void *box,
		  struct fail *fail)
{
	static const char why[] = "QEMU stream: registers placed at the Intel standard offsets "
				  "(the stream carries no CPUID; --layout picks others)";
	struct xs_layout intel;
	const struct xs_layout *l = &intel;

	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	if (c->layout_forced)
		l = &c->layout;
	for (unsigned i = 0; i < xs_qstream_ncpu(s->qs); i++) {
		const struct xs_qcpu *cpu = xs_qstream_cpu(s->qs, i);
		struct input_state *st = &in->s[in->nstates];
		uint64_t holds;
		size_t size;
		int rc;

		if (c->vcpu >= 0 && xs_qcpu_instance(cpu) != c->vcpu)
			continue;
		st->id = xs_qcpu_instance(cpu);
		st->offset = s->file_off ? s->file_off(s, xs_qcpu_offset(cpu)) : xs_qcpu_offset(cpu);
		st->offset_unknown = s->offsets_unknown;
		st->priv = &s->vcpu[i];
		s->vcpu[i].cpu = i;
		s->vcpu[i].box = box;
		if (xs_qcpu_image(cpu, l, &st->own, &size, &holds))
			return EXIT_SOFTWARE;
		in->nstates++;
		rc = input_parse(c, in, st, st->own, size, &intel, why, holds, fail);
		if (rc)
			return rc;
		xs_qcpu_state_facts(cpu, &st->st);
		snprintf(s->vcpu[i].vmdesc_check, sizeof(s->vcpu[i].vmdesc_check), "%s",
			 xs_qcpu_vmdesc_check(cpu));
		s->vcpu[i].nmsrs = xs_qcpu_msrs(cpu, s->vcpu[i].msrs, STREAM_MAX_MSRS);
	}
	return 0;
}

int stream_load(const struct fmt_opts *c, struct io_src *src, struct input *in,
		stream_container *container, struct fail *fail)
{
	struct stream *s;
	int rc = stream_open(c, src, container, &s, fail);

	if (rc)
		return rc;
	in->priv = s;
	in->s = xcalloc(xs_qstream_ncpu(s->qs), sizeof(*in->s));
	rc = stream_states(c, s, in, NULL, fail);
	if (rc)
		return rc;
	if (!in->nstates)
		return fail_msg(fail, EXIT_DATAERR, in->path, "no vCPU %ld in this stream (it has %u)",
				c->vcpu, xs_qstream_ncpu(s->qs));
	return 0;
}

static int qemu_load(const struct fmt_opts *c, struct io_src *src, struct input *in,
		     struct fail *why)
{
	return stream_load(c, src, in, plain_container, why);
}

void stream_show(struct out *o, const struct stream *s)
{
	const struct xs_qstream *q = s->qs;
	const char *machine = xs_qstream_machine(q);

	if (machine)
		out_str(o, "machine", machine);
	else
		out_null(o, "machine");
	out_bool(o, "vmdesc", xs_qstream_fact(q, XS_QF_VMDESC));
	if (!xs_qstream_fact(q, XS_QF_VMDESC))
		out_note(o, "(none: sections sized by the built-in cpu layout and their footers)");
	out_bool(o, "section_footers", xs_qstream_fact(q, XS_QF_FOOTERS));
	out_str(o, "read", s->walked ? "walk" : s->codec != CODEC_NONE ? "tail" : "device-sections");
	out_str(o, "read_reason", s->walked || s->codec != CODEC_NONE ? s->why : "the vmdesc "
		"locates them; boundary confirmed (--verify walks every RAM record)");
	out_obj(o, "ram");
	out_u64(o, "blocks", xs_qstream_fact(q, XS_QF_RAM_BLOCKS));
	out_u64(o, "bytes", xs_qstream_fact(q, XS_QF_RAM_BYTES));
	if (s->walked) {
		out_u64(o, "pages", xs_qstream_fact(q, XS_QF_PAGES));
		out_u64(o, "zero_pages", xs_qstream_fact(q, XS_QF_ZERO_PAGES));
	} else {
		out_null(o, "pages");
		out_null(o, "zero_pages");
	}
	if (xs_qstream_fact(q, XS_QF_XBZRLE_PAGES))
		out_u64(o, "xbzrle_pages", xs_qstream_fact(q, XS_QF_XBZRLE_PAGES));
	if (xs_qstream_fact(q, XS_QF_COMPRESSED_PAGES))
		out_u64(o, "compressed_pages", xs_qstream_fact(q, XS_QF_COMPRESSED_PAGES));
	if (xs_qstream_fact(q, XS_QF_MULTIFD_FLUSHES))
		out_u64(o, "multifd_flushes", xs_qstream_fact(q, XS_QF_MULTIFD_FLUSHES));
	if (xs_qstream_fact(q, XS_QF_CAPS) & XS_QCAP_MAPPED_RAM)
		out_u64(o, "mapped_ram_bytes", xs_qstream_fact(q, XS_QF_MAPPED_RAM_BYTES));
	out_end(o);
	out_u64(o, "device_sections", xs_qstream_fact(q, XS_QF_DEVICE_SECTIONS));
	if (xs_qstream_fact(q, XS_QF_PACKAGED))
		out_u64(o, "postcopy_packaged", xs_qstream_fact(q, XS_QF_PACKAGED));
	out_u64(o, "vcpus", xs_qstream_ncpu(q));
	if (s->offsets_unknown)
		out_null(o, "stream_end");
	else
		out_strf(o, "stream_end", "0x%llx", (unsigned long long)xs_qstream_fact(q, XS_QF_END));
}

static void qemu_show(struct out *o, const struct input *in)
{
	const struct stream *s = in->priv;

	out_str(o, "compression", codec_name(s->codec));
	out_str(o, "container", s->container);
	stream_show(o, s);
}

/*
 * Carry each vCPU's filtered state back into its cpu section, and check that
 * the section now stands for exactly the filtered image.
 */
int stream_carry(struct stream *s, const struct input_state *is, struct fail *why)
{
	struct xs_qcpu *cpu = xs_qstream_cpu(s->qs, ((const struct stream_vcpu *)is->priv)->cpu);
	uint8_t *img;
	size_t size;
	uint64_t holds;
	bool same;

	xs_qcpu_filter(cpu, is->st.xstate_bv, is->cleared);
	if (xs_qcpu_image(cpu, &is->st.layout, &img, &size, &holds))
		return EXIT_SOFTWARE;
	same = size == is->st.size && !memcmp(img, is->st.img, size);
	free(img);
	if (!same)
		return fail_msg(why, EXIT_SOFTWARE, NULL, "internal error: vCPU %ld's rewritten "
				"cpu section does not match its filtered state", is->id);
	return 0;
}

static int carry_states(struct input *in, struct fail *why)
{
	int rc = 0;

	for (unsigned i = 0; !rc && i < in->nstates; i++)
		rc = stream_carry(in->priv, &in->s[i], why);
	return rc;
}

int stream_input_write(struct input *in, const char *dest, struct fail *why)
{
	int rc = carry_states(in, why);

	return rc ? rc : stream_write(in->priv, dest, why);
}

/*
 * A compressed stream rewritten from the block holding its first changed byte to its end
 * (lzop, xz in several blocks, bzip2 read from its tail), under a journal of that tail: 0
 * or an exit code; 1 (and @why's note says why) when the codec or the file allows no such
 * rewrite (@whole, @wlen bytes, then says why).
 */
static int write_tail_blocks(const struct stream *s, const struct xs_qpatch *p, unsigned n,
			     char *whole, size_t wlen, struct fail *why)
{
	const struct codec_in cin = { .fd = s->fd, .pread = io_pread };
	struct codec_splice sp;
	struct xs_diag d = { 0 };
	uint64_t from = UINT64_MAX;
	/* bzip2's splice counts back from the end, which it puts at CODEC_TAIL_STANDIN. */
	uint64_t shift = s->codec == CODEC_BZIP2 ? CODEC_TAIL_STANDIN - s->tail_end : 0;
	uint8_t *out = NULL;
	size_t outlen = 0;
	int rc;

	for (unsigned i = 0; i < n; i++)
		from = p[i].off + shift < from ? p[i].off + shift : from;
	if (codec_splice_open(s->codec, &cin, s->start, (uint64_t)s->st.st_size, from, &sp)) {
		snprintf(whole, wlen, "%s", sp.how);
		return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = p[i].off + shift;

		if (off < sp.base || off - sp.base > sp.len ||
		    p[i].len > sp.len - (off - sp.base)) {
			codec_splice_free(&sp);
			return fail_msg(why, EXIT_SOFTWARE, s->path, "internal error: a change at "
					"0x%llx outside the blocks rewritten",
					(unsigned long long)p[i].off);
		}
		memcpy(sp.buf + (off - sp.base), p[i].data, p[i].len);
	}
	rc = codec_splice_encode(&sp, &out, &outlen, &d);
	if (rc)
		rc = fail_msg(why, rc, s->path, "%s", d.msg);
	else if ((uint64_t)s->st.st_size - sp.file_off + outlen > JOURNAL_TAIL_MAX) {
		snprintf(whole, wlen, "%s: the 0x%llx bytes from 0x%llx on are too many to journal",
			 codec_name(s->codec),
			 (unsigned long long)((uint64_t)s->st.st_size - sp.file_off),
			 (unsigned long long)sp.file_off);
		rc = 1;
	} else
		rc = journal_write_tail(s->path, &s->st, sp.file_off, out, outlen, why);
	if (!rc && s->codec == CODEC_BZIP2)	/* (the blocks before are not counted) */
		fail_note(why, "'%s': rewritten in place from 0x%llx, the last %llu block%s (%s: %llu "
			  "encoded again, the rest copied bit-shifted; the bytes before untouched)",
			  s->path, (unsigned long long)sp.file_off, (unsigned long long)sp.blocks,
			  sp.blocks == 1 ? "" : "s", codec_name(s->codec),
			  (unsigned long long)sp.encoded);
	else if (!rc)
		fail_note(why, "'%s': rewritten in place from 0x%llx, block %llu of %llu (%s: %llu "
			  "block%s encoded again, the rest copied; the bytes before untouched)",
			  s->path, (unsigned long long)sp.file_off, (unsigned long long)sp.first + 1,
			  (unsigned long long)sp.blocks, codec_name(s->codec),
			  (unsigned long long)sp.encoded, sp.encoded == 1 ? "" : "s");
	free(out);
	codec_splice_free(&sp);
	return rc;
}

/*
 * Rewrite only the changed bytes of an uncompressed input, under a journal (sys/journal.c);
 * of an lzop, xz or bzip2 one, its blocks from the first changed on.
 */
int stream_input_write_in_place(struct input *in, struct fail *why)
{
	const struct stream *s = in->priv;
	char whole[FAIL_MSG_MAX / 2];	/* why no tail rewrite: the file is written whole */
	bool tail = false;		/* a tail rewrite was tried */
	struct xs_qpatch *p;
	unsigned n;
	int rc = carry_states(in, why);

	if (rc)
		return rc;
	p = stream_patches(s, &n);
	if (s->codec == CODEC_NONE) {
		rc = n ? journal_write(s->path, &s->st, p, n, why) : 0;
	} else if (s->codec == CODEC_LZOP || s->codec == CODEC_XZ ||
		   (s->codec == CODEC_BZIP2 && !s->walked)) {	/* bzip2: placed by its tail read */
		rc = n ? write_tail_blocks(s, p, n, whole, sizeof(whole), why) : 0;
		tail = true;
	} else {	/* gzip, zstd (and bzip2 read whole): no block the rest does not depend on */
		snprintf(whole, sizeof(whole), s->codec == CODEC_BZIP2 ?
			 "%s: read whole, not from its tail, so its blocks are not placed" :
			 "%s: one compressed stream whose every byte depends on those before",
			 codec_name(s->codec));
		rc = 1;
	}
	free(p);
	if (rc == 1 && in->keep_inode)	/* a new file is not what was asked for */
		return fail_msg(why, EXIT_CANTCREAT, s->path, "%s: only a whole rewrite (a new "
				"file) can change it, and --keep-inode keeps the file: nothing "
				"written", whole);
	if (rc == 1) {	/* compressed, no tail rewrite: rewrite whole, atomically */
		if (tail)	/* (gzip and zstd are always: they say nothing) */
			fail_note(why, "'%s': %s: rewritten whole (atomically)", s->path, whole);
		rc = stream_write(s, s->path, why);
	}
	return rc;
}

int stream_force_drop(struct input *in, struct input_state *is, uint64_t comps,
		      struct xs_diag *d)
{
	struct stream *s = in->priv;

	struct stream_vcpu *v = is->priv;

	return xs_qcpu_drop(xs_qstream_cpu(s->qs, v->cpu), comps, v->changes, XS_QCPU_MAX_CHANGES,
			    &v->nchanges, d);
}

void stream_show_label(struct out *o, const struct input_state *s)
{
	const struct stream_vcpu *v = s->priv;

	out_u64(o, "vcpu", (uint64_t)s->id);
	if (s->offset_unknown)
		out_null(o, "offset");
	else
		out_strf(o, "offset", "0x%llx", (unsigned long long)s->offset);
	out_str(o, "vmdesc_check", v->vmdesc_check);
	out_str(o, "accelerator", s->st.bv_unmaintained ? "tcg" : s->st.xstate_bv ? "kvm"
										  : "unknown");
	if (s->st.bv_unmaintained)
		out_note(o, "(env.xstate_bv is 0 while registers hold data: written under TCG, "
			 "which never updates it)");
	if (!v->nmsrs)
		return;
	/* cpu/cet, cpu/cet_shstk, cpu/msr_pl0_ssp: CET travels as MSRs, outside the XSAVE area */
	out_obj(o, "cet");
	for (unsigned k = 0; k < v->nmsrs && k < STREAM_MAX_MSRS; k++)
		out_strf(o, v->msrs[k].name, "0x%016llx", (unsigned long long)v->msrs[k].value);
	out_end(o);
}

void stream_name_state(char *buf, size_t len, const struct input_state *s)
{
	snprintf(buf, len, " vcpu%ld", s->id);
}

void stream_show_changes(struct out *o, const struct input_state *s)
{
	const struct stream_vcpu *v = s->priv;

	for (unsigned k = 0; k < v->nchanges; k++) {
		out_obj(o, NULL);
		out_str(o, "what", v->changes[k].what);
		out_strf(o, "before", "0x%llx", (unsigned long long)v->changes[k].before);
		out_strf(o, "after", "0x%llx", (unsigned long long)v->changes[k].after);
		out_end(o);
	}
}

void stream_input_free(struct input *in)
{
	stream_close(in->priv);
}

const struct format qemu_stream_format = {
	.name = "qemu-stream",
	STREAM_FORMAT_STATES,
	.sniff = qemu_sniff,
	.load = qemu_load,
	.show = qemu_show,
	STREAM_FORMAT_WRITERS,
};

/* ---- writing ------------------------------------------------------------- */

struct xs_qpatch *stream_patches(const struct stream *s, unsigned *n)
{
	size_t cap = 0;
	struct xs_qpatch *p;

	for (unsigned i = 0; i < xs_qstream_ncpu(s->qs); i++)
		{
		uint32_t len;

		xs_qcpu_body(xs_qstream_cpu(s->qs, i), NULL, &len);
		cap += len / 2 + 1;
	}
	p = xcalloc(cap, sizeof(*p));
	*n = 0;
	for (unsigned i = 0; i < xs_qstream_ncpu(s->qs); i++)
		*n += xs_qcpu_patches(xs_qstream_cpu(s->qs, i), s->orig[i], p + *n, (unsigned)(cap - *n));
	return p;
}

/*
 * Decompress, patch and compress again.  Where the tail read placed nothing absolutely
 * (offsets_unknown: gzip's and bzip2's tails, whose offsets count back from a stand-in end), the last
 * @lag bytes (the tail's) are held back until the end of the stream, and patched there,
 * counted back from it; no patch falls before them.
 */
static int copy_codec(const struct stream *s, struct io_out *o, const struct patches *ps)
{
	struct codec_rd *r;
	struct xs_diag d;
	uint8_t *buf;
	uint64_t off = 0;
	size_t lag = s->offsets_unknown ? (size_t)(s->tail_end - CODEC_TAIL_STANDIN) : 0;
	size_t chunk = lag > COPY_CHUNK ? lag : COPY_CHUNK, held = 0;
	int rc = io_codec_open(s->codec, s->fd, s->start, s->path, &r, o->fail);

	if (rc)
		return rc;
	buf = xmalloc(lag + chunk);
	for (;;) {
		ssize_t got = codec_read(r, buf + held, chunk, &d);
		size_t out;

		if (got < 0) {
			rc = io_codec_fail(o->fail, (int)-got, s->path, &d);
			break;
		}
		/* After the first read: the writer keeps the input's container settings (lzop). */
		if (!o->wr && (rc = io_out_compress(o, s->codec, r)))
			break;
		if (got == 0) {
			/* The end: the bytes held back are the last, where the patches count back. */
			patches_apply(ps, s->tail_end - held, buf, held);
			rc = io_out_write(o, buf, held);
			break;
		}
		held += (size_t)got;
		out = held > lag ? held - lag : 0;
		if (!lag)
			patches_apply(ps, off, buf, out);
		progress_update(codec_rd_in_pos(r));
		rc = io_out_write(o, buf, out);
		if (rc)
			break;
		memmove(buf, buf + out, held - out);
		held -= out;
		off += (uint64_t)out;
	}
	codec_rd_close(r);
	free(buf);
	return rc;
}

int stream_write(const struct stream *s, const char *dest, struct fail *why)
{
	unsigned n;
	struct xs_qpatch *p = stream_patches(s, &n);
	struct patches ps = { 0 };
	struct io_out o;
	int rc = io_out_open(dest, CODEC_NONE, &s->st, &o, why);

	for (unsigned i = 0; i < n; i++)
		patches_add(&ps, p[i].off, p[i].data, p[i].len);
	progress_start(s->path, "copied", (uint64_t)s->st.st_size, s->progress);
	if (!rc && s->codec != CODEC_NONE) {
		/* A libvirt header stays raw; the stream after it is compressed again. */
		rc = patchcopy(s->fd, s->path, &o, 0, s->start, NULL);
		if (!rc)
			rc = copy_codec(s, &o, &ps);
	} else if (!rc && (s->sparse || (uint64_t)s->st.st_blocks * 512 < (uint64_t)s->st.st_size) &&
		   (o.tmp || o.anon)) {
		/* libvirt's sparse format, or any input with holes: the holes stay holes. */
		rc = patchcopy_sparse(s->fd, s->path, &o, (uint64_t)s->st.st_size, &ps);
	} else if (!rc)
		rc = patchcopy(s->fd, s->path, &o, 0, (uint64_t)s->st.st_size, &ps);
	patches_free(&ps);
	free(p);
	if (rc) {
		progress_end();
		io_out_abort(&o);
		return rc;
	}
	progress_phase("syncing to disk");	/* fsync of gigabytes takes seconds */
	rc = io_out_commit(&o);
	progress_end();
	return rc;
}
