// SPDX-License-Identifier: MIT
/* The streaming filter: see stream_pipe.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "codec/codec.h"
#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "fmt/qemu_stream.h"
#include "fmt/stream_pipe.h"
#include "sys/io.h"
#include "util.h"

#define HOLD_MIN (4u << 20)	/* the buffer's first size: room for a read ahead of XS_QGET_MAX */
/*
 * Released bytes are written in pieces of about this much, and read in pieces
 * of this much at most: small enough that reading, walking and writing take
 * turns as often as `cat` does (the pipes on both sides keep moving).
 */
#define WRITE_BATCH (128u << 10)
#define READ_CHUNK (128u << 10)
#define HEAD_MAX (1u << 20)	/* a container header read again from a pipe (io_pread) */
#define SECTION_FULL 0x04	/* QEMU_VM_SECTION_FULL: a device section in one piece */
#define SECTION_FOOTER 0x7e	/* QEMU_VM_SECTION_FOOTER, then the section's be32 id */
#define FOOTER_EOF_LEN 6	/* the last section's footer, then the EOF byte */
#define VMDESC_BYTE 0x06	/* QEMU_VM_VMDESCRIPTION, after the EOF byte */
#define VMDESC_HDR 6		/* the EOF byte, 0x06, the JSON's be32 length */
#define TAIL_QUIET_MS 200	/* live, no vmdesc: how long a quiet source after an EOF byte is waited for */
#define READ_WOULD_WAIT (-1000)	/* read_now(): nothing to read yet (not minus an exit code) */
#define COMP_CHUNK (1u << 20)	/* qemu_stream.c's COPY_CHUNK: what filter -o compresses at once */

struct spipe {
	bool on, used;
	const struct fmt_opts *fo;
	struct fail why;	/* the pipe's failure: the walk's (the stream's fail) or the end's */
	const char *dest;
	stream_judge_fn *judge;
	void *judge_ctx;
	struct stream *s;	/* during the walk only (freed when it fails) */
	enum codec codec;	/* the stream's, kept for the end */
	struct codec_rd *z;	/* the decompressor, or NULL: read from @fd at @in_pos */
	int fd;
	int out_fd;		/* stream_pipe_fds(): written here (not sp->o) */
	bool live;		/* stream_pipe_fds(): a migration's peers wait on each other */
	const char *path;
	uint64_t in_pos;
	bool wz;		/* the output compressed again from here on, where the input was */
	struct io_out o;
	bool o_open;
	uint8_t *buf;
	size_t cap, len;	/* buf holds source bytes [base, base + len) */
	uint64_t base;
	uint64_t sent;		/* bytes before this are written */
	uint64_t rel;		/* bytes before this may be written */
	bool eof;
	uint64_t quiet_at;	/* live: the source was quiet for TAIL_QUIET_MS with this much read */
	int failed;		/* exit code (why in sp->why, or said by the judge) */
	bool closed;		/* the output's reader went away */
	int out_err;		/* writing the output failed (exit code, said) */
};

/* The pipe filter's next stream_open() walks (stream_set_walk() takes no context). */
static struct spipe *armed;

static int walk(struct stream *s);

struct spipe *stream_pipe_begin(const struct fmt_opts *fo, const char *dest,
				stream_judge_fn *judge, void *ctx)
{
	struct spipe *sp = xcalloc(1, sizeof(*sp));

	sp->on = true;
	sp->fo = fo;
	sp->dest = dest;
	sp->judge = judge;
	sp->judge_ctx = ctx;
	sp->out_fd = -1;
	armed = sp;
	stream_set_walk(walk);
	return sp;
}

bool stream_pipe_closed(const struct spipe *sp)
{
	return sp && sp->closed;
}

bool stream_pipe_used(const struct spipe *sp)
{
	return sp && sp->used;
}

/*
 * Write source bytes [sp->sent, @upto), as far as they have been read (the
 * walk steps over RAM pages without asking for them).  0, or -1 when the
 * output failed (sp->failed) or its reader went away (sp->closed).
 */
static int put_some(struct spipe *sp, uint64_t upto);

static int put(struct spipe *sp, uint64_t upto)
{
	if (upto > sp->base + sp->len)
		upto = sp->base + sp->len;
	if (sp->codec == CODEC_NONE)
		return put_some(sp, upto);
	/*
	 * Compressed again in the pieces filter -o compresses a file in (COMP_CHUNK
	 * from the stream's start; the last one shorter), so that the two outputs are
	 * the same bytes whatever a compressor makes of its calls' boundaries.
	 */
	while (upto - sp->sent >= COMP_CHUNK)
		if (put_some(sp, sp->sent + COMP_CHUNK))
			return -1;
	return 0;
}

/* put()'s last piece: everything read, however short. */
static int put_rest(struct spipe *sp)
{
	return put(sp, sp->base + sp->len) || put_some(sp, sp->base + sp->len);
}

static int write_fd(struct spipe *sp, const uint8_t *p, size_t n);

static int put_some(struct spipe *sp, uint64_t upto)
{
	const uint8_t *p;
	size_t n;
	int rc;

	if (upto > sp->base + sp->len)
		upto = sp->base + sp->len;
	n = upto > sp->sent ? (size_t)(upto - sp->sent) : 0;
	if (sp->out_err || sp->closed)
		return -1;
	if (!n)
		return 0;
	p = sp->buf + (sp->sent - sp->base);
	if (sp->codec != CODEC_NONE && !sp->wz) {
		sp->wz = true;
		if ((rc = io_out_compress(&sp->o, sp->codec, sp->z))) {
			sp->o_open = false;	/* aborted */
			sp->failed = sp->out_err = rc;
			return -1;
		}
	}
	errno = 0;
	rc = sp->out_fd >= 0 ? write_fd(sp, p, n) : io_out_write(&sp->o, p, n);
	if (!rc && errno == EPIPE) {
		sp->closed = true;	/* the reader closed standard output: stop, quietly */
		rc = EXIT_OK;
	}
	sp->sent = upto;
	if (rc)
		sp->failed = sp->out_err = rc;
	return rc || sp->closed ? -1 : 0;
}

static int release(void *ctx, uint64_t off)
{
	struct spipe *sp = ctx;

	if (sp->s->qs && (xs_qstream_fact(sp->s->qs, XS_QF_CAPS) & XS_QCAP_MAPPED_RAM)) {
		sp->failed = fail_msg(&sp->why, EXIT_USAGE, sp->s->path, "a mapped-ram stream needs a "
				     "file it can seek in; standard input is a pipe (give the file, "
				     "or redirect it with <)");
		return -XS_EIO;
	}
	if (off > sp->rel)
		sp->rel = off;
	if (sp->rel - sp->sent >= WRITE_BATCH && put(sp, sp->rel))
		return -XS_EIO;
	return 0;
}

/* Room for @need bytes from sp->base on: pass on and drop what is released first. */
static int make_room(struct spipe *sp, size_t need)
{
	uint64_t keep;
	size_t drop;

	if (sp->rel > sp->sent && put(sp, sp->rel))
		return -1;
	/*
	 * Live: what was passed on ahead of the walk (flush_ahead()) may still be read, and
	 * source_done() looks at the footer before an EOF byte the walk stands at.
	 */
	keep = sp->live && sp->rel < sp->sent ? sp->rel : sp->sent;
	if (sp->live)
		keep = keep - sp->base > FOOTER_EOF_LEN ? keep - FOOTER_EOF_LEN : sp->base;
	drop = (size_t)(keep - sp->base);
	if (drop) {
		memmove(sp->buf, sp->buf + drop, sp->len - drop);
		sp->len -= drop;
		sp->base += drop;
		need -= drop;
	}
	if (need > sp->cap) {
		size_t cap = sp->cap ? sp->cap : HOLD_MIN;

		while (cap < need)
			cap *= 2;
		sp->buf = xrealloc(sp->buf, cap);
		sp->cap = cap;
	}
	return 0;
}

/*
 * Up to @n more bytes of the stream into the buffer: straight from the input
 * when it is not compressed (no copy through a decompressor's buffer), else
 * decompressed.  The count, 0 at the end, or minus an exit code (why in sp->why).
 */
static ssize_t read_more(struct spipe *sp, size_t n)
{
	ssize_t r;

	if (sp->z) {
		struct xs_diag d = { 0 };

		r = codec_read(sp->z, sp->buf + sp->len, n, &d);
		if (r < 0)
			return -io_codec_fail(&sp->why, (int)-r, sp->path, &d);
		return r;
	}
	if (sp->live)
		do
			r = read(sp->fd, sp->buf + sp->len, n);
		while (r < 0 && errno == EINTR);
	else
		r = io_pread(sp->fd, sp->buf + sp->len, n, sp->in_pos);
	if (r < 0)
		return -fail_msg(&sp->why, EXIT_NOINPUT, sp->path, "read error at offset 0x%llx: %s",
				 (unsigned long long)sp->in_pos, strerror(errno));
	sp->in_pos += (uint64_t)r;
	return r;
}

/*
 * All of @p to sp->out_fd: 0 (errno EPIPE when its reader went away), or
 * EXIT_IOERR with why in sp->why.
 */
static int write_fd(struct spipe *sp, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(sp->out_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			errno = EPIPE;
			return 0;
		}
		if (w < 0)
			return fail_msg(&sp->why, EXIT_IOERR, sp->path, "write error: %s",
					strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Live: up to @n bytes that are there now (read_more()'s answers), or
 * READ_WOULD_WAIT when none are.
 */
static ssize_t read_now(struct spipe *sp, size_t n)
{
	ssize_t r;

	do
		r = recv(sp->fd, sp->buf + sp->len, n, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return READ_WOULD_WAIT;
	if (r < 0)
		return -fail_msg(&sp->why, EXIT_NOINPUT, sp->path, "read error at offset 0x%llx: %s",
				 (unsigned long long)sp->in_pos, strerror(errno));
	sp->in_pos += (uint64_t)r;
	return r;
}

/*
 * Could a cpu section's header start at @p (@n bytes to its end)?  Its type
 * byte, the id, the name's length 3 and "cpu"; a header cut by the end of what
 * was read counts as one.
 */
static bool cpu_header_at(const uint8_t *p, size_t n)
{
	static const uint8_t want[] = { SECTION_FULL, 0, 0, 0, 0, 3, 'c', 'p', 'u' };

	for (size_t i = 0; i < sizeof(want) && i < n; i++)
		if ((i < 1 || i > 4) && p[i] != want[i])
			return false;
	return true;
}

/*
 * Live, before a read that would wait: the source may be waiting for the
 * destination's answer (the return path), which needs what is held.  Pass on
 * what is released, and ahead of the walk every byte read up to the first
 * place a cpu section could start (only a cpu section is ever rewritten): at
 * the end of a stream, its EOF byte and vmdesc.  0, or -1 (sp->failed, sp->closed).
 */
static int flush_ahead(struct spipe *sp)
{
	uint64_t from = sp->rel > sp->sent ? sp->rel : sp->sent, end = sp->base + sp->len;

	if (sp->rel > sp->sent && put(sp, sp->rel))
		return -1;
	while (from < end && !cpu_header_at(sp->buf + (from - sp->base), (size_t)(end - from)))
		from++;
	return from > sp->sent ? put_some(sp, from) : 0;
}

/*
 * Live, nothing to read, the walk asking for bytes from @off on: has the
 * source sent its whole stream, and is it waiting for the destination (the
 * return path's answer) rather than writing more?  The walker takes a short
 * answer to a window it asks for as the stream's end, so this is asked before
 * it is given one: yes when what is held ends in a whole vmdesc (0x00 EOF,
 * 0x06, its be32 length, the JSON ending where the bytes read end), or in the
 * last section's footer and an EOF byte (no vmdesc: postcopy, suppress-vmdesc;
 * a live stream without footers cannot be walked anyway) after the source has
 * been quiet for TAIL_QUIET_MS (once: asked again with nothing new read, the answer
 * stands).  Never where the walk asks at the point it released
 * last: it releases each RAM record and each section before reading its
 * header, so it stands between two records or sections, where the stream
 * cannot end (a source pausing after a zero page's fill byte, 0x00, is not done).
 */
static bool source_done(struct spipe *sp, uint64_t off)
{
	const uint8_t *b = sp->buf;
	size_t len = sp->len;
	struct pollfd p = { .fd = sp->fd, .events = POLLIN };

	if (!len || off == sp->rel)
		return false;
	if (b[len - 1] == '}')
		for (size_t i = len - 1; i-- > VMDESC_HDR - 1;) {
			size_t at = i - (VMDESC_HDR - 1);

			if (b[at] == 0 && b[at + 1] == VMDESC_BYTE && b[at + VMDESC_HDR] == '{' &&
			    ((uint64_t)b[at + 2] << 24 | (uint64_t)b[at + 3] << 16 |
			     (uint64_t)b[at + 4] << 8 | b[at + 5]) == len - at - VMDESC_HDR)
				return true;
		}
	if (len < FOOTER_EOF_LEN || b[len - 1] || b[len - FOOTER_EOF_LEN] != SECTION_FOOTER ||
	    (sp->quiet_at != sp->base + len && poll(&p, 1, TAIL_QUIET_MS)))
		return false;
	sp->quiet_at = sp->base + len;	/* quiet there once: not waited on again */
	return true;
}

static const uint8_t *get(void *ctx, uint64_t off, size_t n, size_t *have)
{
	struct spipe *sp = ctx;

	if (sp->failed || sp->closed || off < (sp->live ? sp->base : sp->sent)) {
		*have = SIZE_MAX;
		return NULL;
	}
	while (off + n > sp->base + sp->len && !sp->eof) {
		size_t want;
		ssize_t r;

		if (sp->len == sp->cap || off + n - sp->base > sp->cap) {
			size_t need = (size_t)(off + n - sp->base);

			if (make_room(sp, need < sp->len + XS_QGET_MAX ? sp->len + XS_QGET_MAX : need)) {
				*have = SIZE_MAX;
				return NULL;
			}
		}
		want = sp->cap - sp->len < READ_CHUNK ? sp->cap - sp->len : READ_CHUNK;
		r = sp->live ? read_now(sp, want) : read_more(sp, want);
		if (r == READ_WOULD_WAIT) {
			if (flush_ahead(sp)) {
				*have = SIZE_MAX;
				return NULL;
			}
			if (source_done(sp, off))
				break;	/* what is held is all there is: the walk takes it as the end */
			r = read_more(sp, want);
		}
		if (r < 0) {
			sp->failed = (int)-r;
			*have = SIZE_MAX;
			return NULL;
		}
		sp->eof = r == 0;
		sp->len += (size_t)r;
	}
	if (off + n <= sp->base + sp->len)
		return sp->buf + (off - sp->base);
	*have = off < sp->base + sp->len ? (size_t)(sp->base + sp->len - off) : 0;
	return NULL;
}

/* Judge vCPU @idx, and put its rewritten section into the bytes held. */
static int judge_cpu(struct spipe *sp, struct xs_qcpu *c, unsigned idx, struct input_state *is,
		     struct stream_vcpu *v)
{
	static const char why[] = "QEMU stream: registers placed at the Intel standard offsets "
				  "(the stream carries no CPUID; --layout picks others)";
	struct input in = { .path = sp->s->path, .fmt = &qemu_stream_format, .priv = sp->s,
			    .st = sp->s->st, .nstates = 1, .s = is };
	struct xs_layout intel;
	const uint8_t *body;
	uint64_t holds, boff;
	uint32_t blen;
	uint8_t *img;
	size_t size;
	bool same;
	int rc;

	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	is->id = xs_qcpu_instance(c);
	is->offset = xs_qcpu_offset(c);
	is->priv = v;
	v->cpu = idx;
	snprintf(v->vmdesc_check, sizeof(v->vmdesc_check), "%s", xs_qcpu_vmdesc_check(c));
	v->nmsrs = xs_qcpu_msrs(c, v->msrs, STREAM_MAX_MSRS);
	if (xs_qcpu_image(c, sp->fo->layout_forced ? &sp->fo->layout : &intel, &is->own, &size,
			  &holds))
		return EXIT_SOFTWARE;
	rc = input_parse(sp->fo, &in, is, is->own, size, &intel, why, holds, &sp->why);
	if (rc)
		return rc;
	xs_qcpu_state_facts(c, &is->st);
	if ((rc = sp->judge(sp->judge_ctx, &in, is)))
		return rc;
	c = xs_qstream_cpu(sp->s->qs, idx);
	xs_qcpu_filter(c, is->st.xstate_bv, is->cleared);
	if (xs_qcpu_image(c, &is->st.layout, &img, &size, &holds))
		return EXIT_SOFTWARE;
	same = size == is->st.size && !memcmp(img, is->st.img, size);
	free(img);
	if (!same)
		return fail_msg(&sp->why, EXIT_SOFTWARE, NULL, "internal error: vCPU %ld's rewritten "
				"cpu section does not match its filtered state", is->id);
	body = xs_qcpu_body(c, &boff, &blen);
	memcpy(sp->buf + (boff - sp->base), body, blen);
	return 0;
}

/*
 * A cpu section read whole: judge it and write the result into the held
 * bytes; the section itself keeps the bytes as read, for the report that
 * filter makes of the whole input afterwards.
 */
static int cpu(void *ctx, struct xs_qstream *qs, unsigned idx)
{
	struct xs_qcpu *c = xs_qstream_cpu(qs, idx);
	struct input_state is = { 0 };
	struct stream_vcpu v = { 0 };
	uint64_t boff;
	uint32_t blen;
	const uint8_t *body = xs_qcpu_body(c, &boff, &blen);
	uint8_t *orig = xmalloc(blen);
	struct spipe *sp = ctx;
	int rc;

	memcpy(orig, body, blen);
	if (boff < sp->sent || boff + blen > sp->base + sp->len)
		rc = fail_msg(&sp->why, EXIT_SOFTWARE, NULL, "internal error: cpu section of vCPU %u "
			      "is not held", xs_qcpu_instance(c));
	else
		rc = judge_cpu(sp, c, idx, &is, &v);
	if (xs_qcpu_set_body(xs_qstream_cpu(qs, idx), orig, blen) && !rc)
		rc = EXIT_SOFTWARE;
	free(orig);
	free(is.own);
	if (rc) {
		sp->failed = rc;
		return -XS_EIO;
	}
	return 0;
}

/* A libvirt image's header and XML: passed on as they are (no field depends on the stream). */
static int pass_header(struct spipe *sp, struct stream *s)
{
	uint8_t *h;
	int rc = 0;

	if (!s->start)
		return 0;
	if (s->start > HEAD_MAX)
		return fail_msg(&sp->why, EXIT_USAGE, s->path, "the libvirt header and domain XML "
				"take %llu bytes, more than a pipe is read again (%u): give the file",
				(unsigned long long)s->start, HEAD_MAX);
	h = xmalloc((size_t)s->start);
	if (io_pread(s->fd, h, (size_t)s->start, 0) != (ssize_t)s->start)
		rc = fail_msg(&sp->why, EXIT_IOERR, s->path, "cannot read the libvirt header again");
	if (!rc)
		rc = io_out_write(&sp->o, h, (size_t)s->start);
	free(h);
	return rc;
}

static int walk_fail(struct spipe *sp, struct stream *s, int rc, struct xs_diag *d)
{
	if (rc == -XS_EIO && sp->closed && !sp->failed)
		return EXIT_IOERR;	/* no message: stream_pipe_closed() says why */
	if (rc == -XS_EIO)
		return sp->failed ? sp->failed : EXIT_NOINPUT;	/* in sp->why, or said by the judge */
	if (s->codec != CODEC_NONE)
		snprintf(d->msg + strlen(d->msg), sizeof(d->msg) - strlen(d->msg),
			 " (offset in the decompressed %s stream)", codec_name(s->codec));
	return fail_diag(&sp->why, exit_for_err(rc), s->path, d);
}

/* The walk itself, over @s from s->start on, with @sp's hooks. */
static int walk_stream(struct spipe *sp, struct stream *s)
{
	struct xs_qsrc src = { .get = get, .ctx = sp, .start = 0, .end = UINT64_MAX };
	struct xs_qhooks h = { .cpu = cpu, .release = release, .ctx = sp };
	struct xs_diag d = { 0 };
	int rc;

	sp->used = true;
	sp->s = s;
	sp->codec = s->codec;
	rc = xs_qstream_parse_hooked(&s->qs, &src, &h, &d);
	if (rc < 0)
		rc = walk_fail(sp, s, rc, &d);	/* the walk's (xs_qstream_parse_hooked) */
	sp->s = NULL;	/* the caller may free it from here on */
	if (rc)
		sp->failed = rc;
	return rc;
}

/* stream_open()'s walk for the armed pipe (filter): the stream read from @s->fd. */
static int walk(struct stream *s)
{
	struct spipe *sp = armed;
	int rc;

	armed = NULL;
	s->walked = true;
	snprintf(s->why, sizeof(s->why), "streamed: filtered as it is read");
	/* A new file's mode: the input's when it is a file (redirected in), else the umask's. */
	rc = io_out_open(sp->dest, CODEC_NONE, S_ISREG(s->st.st_mode) ? &s->st : NULL, &sp->o,
			 &sp->why);
	if (!rc) {
		sp->o_open = true;
		rc = pass_header(sp, s);
	}
	sp->fd = s->fd;
	sp->path = s->path;
	sp->in_pos = s->start;
	sp->z = s->rd;	/* the decoder the sniff started, continued */
	s->rd = NULL;
	if (!rc && !sp->z && s->codec != CODEC_NONE)
		rc = io_codec_open(s->codec, s->fd, s->start, s->path, &sp->z, &sp->why);
	if (!rc)
		rc = walk_stream(sp, s);
	if (rc)
		sp->failed = rc;
	if (rc && sp->why.code)
		*s->fail = sp->why;	/* the stream's fail: the command says it */
	return rc;
}

int stream_pipe_end(struct spipe *sp, bool commit, struct fail *why)
{
	int rc = 0;

	stream_set_walk(NULL);	/* not read: no stream came */
	if (armed == sp)
		armed = NULL;
	if (!sp)
		return 0;
	if (sp->used && commit && !sp->failed && !sp->closed) {
		if (put_rest(sp))
			rc = sp->failed;
		if (!rc && sp->codec != CODEC_NONE && !sp->wz) {
			sp->wz = true;
			if ((rc = io_out_compress(&sp->o, sp->codec, sp->z)))
				sp->o_open = false;	/* aborted */
		}
		if (!rc) {
			rc = io_out_commit(&sp->o);
			sp->o_open = false;
		}
	}
	if (!commit && sp->o_open && !sp->o.tmp && !sp->o.anon)
		put_some(sp, sp->rel);	/* standard output: up to the refused section, or the error */
	if (sp->o_open)
		io_out_abort(&sp->o);
	codec_rd_close(sp->z);
	free(sp->buf);
	if (rc && why)
		*why = sp->why;
	free(sp);
	return rc;
}

int stream_pipe_fds(const struct fmt_opts *fo, const struct stream_pipe_fds *f,
		    stream_judge_fn *judge, void *ctx, struct stream_pipe_result *res,
		    struct fail *why)
{
	struct spipe *sp = xcalloc(1, sizeof(*sp));
	struct fail sfail = { 0 };
	struct stream s = { .path = f->name, .fail = &sfail, .fd = f->in_fd, .container = "raw",
			    .codec = CODEC_NONE };
	int rc;

	sp->on = true;
	sp->fo = fo;
	sp->judge = judge;
	sp->judge_ctx = ctx;
	sp->fd = f->in_fd;
	sp->out_fd = f->out_fd;
	sp->live = true;
	sp->path = f->name;
	s.st.st_mode = S_IFSOCK;
	rc = walk_stream(sp, &s);
	if (!rc && !sp->closed && put_rest(sp))
		rc = sp->failed;
	if (rc && sp->closed && !sp->failed)
		rc = EXIT_IOERR;	/* the destination went away */
	res->bytes = sp->base + sp->len;
	res->sent = sp->sent;
	res->closed = sp->closed;
	xs_qstream_free(s.qs);
	if (rc && why)
		*why = sp->why;
	free(sp->buf);
	free(sp);
	return rc;
}
