// SPDX-License-Identifier: MIT
/*
 * The codec layer's driver (see codec.h): the table of codecs, the member
 * loop and the compressor loop, and every message, written once; each codec's
 * file brings only its own operations (struct rd_ops, struct wr_ops) and its
 * library's words.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/internal.h>

#include "codec/codec_impl.h"
#include "exitcodes.h"
#include "util.h"

#define TRUNCATED "ends early: the file is truncated"

static const struct codec_def codec_none = { .name = "none", .lib = "", .level = "" };

/* Each codec, by enum codec; its operations NULL where it is not built in. */
static const struct codec_def *const codecs[CODEC_COUNT] = {
	[CODEC_NONE] = &codec_none,
	[CODEC_GZIP] = &codec_gzip,
	[CODEC_BZIP2] = &codec_bzip2,
	[CODEC_XZ] = &codec_xz,
	[CODEC_LZOP] = &codec_lzop,
	[CODEC_ZSTD] = &codec_zstd,
};

const char *codec_name(enum codec c)
{
	return codecs[c]->name;
}

const char *codec_library(enum codec c)
{
	return codecs[c]->lib;
}

bool codec_available(enum codec c)
{
	return c == CODEC_NONE || codecs[c]->rd;
}

const char *codec_level(enum codec c)
{
	return codecs[c]->level;
}

enum codec codec_sniff(const uint8_t *p, size_t n, unsigned accept)
{
	for (int c = CODEC_NONE + 1; c < CODEC_COUNT; c++) {
		const struct codec_def *d = codecs[c];

		if ((accept & CODEC_MASK(c)) && d->magic_len && n >= d->magic_len &&
		    !memcmp(p, d->magic, d->magic_len))
			return (enum codec)c;
	}
	return CODEC_NONE;
}

const char *codec_code_text(const struct code_text *t, size_t n, int code, const char *other)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].text;
	return other;
}

/* ---- reading --------------------------------------------------------------- */

uint64_t codec_rd_file_pos(const struct codec_rd *r)
{
	return r->in_off - (r->in_len - r->in_pos);
}

/* Keep the failure (@code, and the diagnostic already in r->diag); minus @code. */
static ssize_t rd_failed(struct codec_rd *r, int code)
{
	r->failed = code;
	return -code;
}

ssize_t codec_rd_bad(struct codec_rd *r, int code, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	xs_fail(&r->diag, 0, false, 0, CODEC_AT_FMT "%s data %s", (unsigned long long)r->out_pos,
		(unsigned long long)codec_rd_file_pos(r), codec_name(r->c), what);
	free(what);
	return rd_failed(r, code);
}

int codec_rd_fill(struct codec_rd *r)
{
	ssize_t n;

	if (r->in_pos < r->in_len)
		return 1;
	do
		n = r->src.pread(r->src.fd, r->in, CODEC_IN_CHUNK, r->in_off);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		xs_fail(&r->diag, 0, false, 0, "read error at offset 0x%llx: %s",
			(unsigned long long)r->in_off, strerror(errno));
		return (int)rd_failed(r, EXIT_NOINPUT);
	}
	r->in_pos = 0;
	r->in_len = (size_t)n;
	r->in_off += (uint64_t)n;
	return n > 0;
}

int codec_rd_take(struct codec_rd *r, uint8_t *dst, size_t k, const char *what)
{
	while (k) {
		int f = codec_rd_fill(r);
		size_t m;

		if (f < 0)
			return f;
		if (f == 0)
			return (int)codec_rd_bad(r, EXIT_DATAERR, "ends early, in %s: the file is "
						 "truncated", what);
		m = r->in_len - r->in_pos < k ? r->in_len - r->in_pos : k;
		memcpy(dst, r->in + r->in_pos, m);
		r->in_pos += m;
		dst += m;
		k -= m;
	}
	return 0;
}

int codec_rd_outcome(struct codec_rd *r, bool end, bool ok, const char *why)
{
	if (end)
		return STEP_END;
	if (ok)
		return STEP_MORE;
	r->why = why;
	return STEP_CORRUPT;
}

/*
 * Before a member: the first must start right here; after the last, only
 * zero bytes may follow.  1: a member starts; 0: the end; <0 an exit code.
 */
static int rd_next_member(struct codec_rd *r)
{
	for (;;) {
		int f = codec_rd_fill(r);

		if (f < 0)
			return f;
		if (f == 0) {
			if (!r->started)
				return (int)codec_rd_bad(r, EXIT_DATAERR,
							 "is missing: the file ends before it");
			return 0;
		}
		if (!r->started || r->in[r->in_pos] == r->ops->magic) {
			r->started = true;
			return 1;
		}
		if (r->in[r->in_pos])
			return (int)codec_rd_bad(r, EXIT_DATAERR, "ends, and data after the end of "
						 "the %s stream follows (byte 0x%02x)",
						 codec_name(r->c), r->in[r->in_pos]);
		r->in_pos++;
	}
}

ssize_t codec_rd_corrupt(struct codec_rd *r, int st)
{
	if (st == STEP_TRUNCATED)
		return codec_rd_bad(r, EXIT_DATAERR, TRUNCATED);
	return codec_rd_bad(r, EXIT_DATAERR, "is corrupt: %s", r->why);
}

/* The diagnostic of a step that failed (STEP_CORRUPT and after); minus the exit code. */
static ssize_t rd_failure(struct codec_rd *r, int st)
{
	switch (st) {
	case STEP_CORRUPT:
	case STEP_TRUNCATED:
		return r->ops->failed ? r->ops->failed(r, st) : codec_rd_corrupt(r, st);
	case STEP_NOMEM:
		return codec_rd_bad(r, EXIT_SOFTWARE, "cannot be decompressed: out of memory");
	case STEP_LIMIT:
		if (r->need)
			return codec_rd_bad(r, EXIT_DATAERR, "needs %llu MiB of memory to "
					    "decompress, over the limit of %llu MiB",
					    (unsigned long long)((r->need + MIB - 1) / MIB),
					    (unsigned long long)(r->limit / MIB));
		return codec_rd_bad(r, EXIT_DATAERR, "needs a window over the limit of %llu MiB",
				    (unsigned long long)(r->limit / MIB));
	default:
		return st;	/* an exit code, its diagnostic recorded */
	}
}

/* Start the member that comes next: 1 one started, 0 the end, <0 an exit code. */
static int rd_start_member(struct codec_rd *r)
{
	int f = rd_next_member(r);

	if (f <= 0) {
		r->done = f == 0;
		return f;
	}
	if (r->ops->member && (f = r->ops->member(r)))
		return (int)rd_failure(r, f);
	r->member = true;
	return 1;
}

ssize_t codec_rd_members(struct codec_rd *r, uint8_t *p, size_t n)
{
	const struct rd_ops *ops = r->ops;
	size_t got = 0;

	while (got < n && !r->done) {
		size_t made = 0, want;
		bool eof = false;
		int st;

		if (!r->member && (st = rd_start_member(r)) <= 0) {
			if (st < 0)
				return st;
			break;
		}
		if (ops->input != IN_OWN) {
			if ((st = codec_rd_fill(r)) < 0)
				return st;
			eof = st == 0;
		}
		want = n - got < CODEC_CALL_MAX ? n - got : CODEC_CALL_MAX;
		st = ops->step(r, p + got, want, eof, &made);
		got += made;
		r->out_pos += made;
		if (st == STEP_END)
			r->member = false;
		else if (st != STEP_MORE)
			return rd_failure(r, st);
		else if (eof && !made && ops->input == IN_FED)
			/* No input left, and nothing the decoder held back: it ends in a member. */
			return rd_failure(r, STEP_TRUNCATED);
	}
	return (ssize_t)got;
}

/* CODEC_NONE: the bytes as they are (a plain stream from a pipe). */
static ssize_t rd_plain(struct codec_rd *r, uint8_t *p, size_t n)
{
	int f = codec_rd_fill(r);
	size_t k;

	if (f <= 0) {
		r->done = f == 0;
		return f < 0 ? f : 0;
	}
	k = r->in_len - r->in_pos < n ? r->in_len - r->in_pos : n;
	memcpy(p, r->in + r->in_pos, k);
	r->in_pos += k;
	r->out_pos += k;
	return (ssize_t)k;
}

static const struct rd_ops *rd_ops_of(enum codec c)
{
	return c == CODEC_GZIP ? codec_gzip_rd_ops() : codecs[c]->rd;
}

int codec_rd_open(enum codec c, const struct codec_in *in, uint64_t at, struct codec_rd **out,
		  struct xs_diag *d)
{
	struct codec_rd *r;

	*out = NULL;
	if (!codec_available(c)) {
		xs_fail(d, 0, false, 0, "%s data: this xsavectl was built without %s",
			codec_name(c), codec_library(c));
		return EXIT_DATAERR;
	}
	r = xcalloc(1, sizeof(*r));
	r->c = c;
	r->ops = rd_ops_of(c);
	r->src = *in;
	r->in_off = at;
	r->in = xmalloc(CODEC_IN_CHUNK);
	if (r->ops && r->ops->init && !r->ops->init(r)) {
		xs_fail(d, 0, false, 0, "cannot start %s decompression", codec_name(c));
		codec_rd_close(r);
		return EXIT_SOFTWARE;
	}
	*out = r;
	return 0;
}

/* Minus the failure kept in @r, its diagnostic copied to @d. */
static ssize_t rd_again(const struct codec_rd *r, struct xs_diag *d)
{
	if (d)
		*d = r->diag;
	return -r->failed;
}

static ssize_t rd_decode(struct codec_rd *r, uint8_t *p, size_t n)
{
	if (r->failed)
		return -r->failed;
	if (r->done || !n)
		return 0;
	return r->ops ? codec_rd_members(r, p, n) : rd_plain(r, p, n);
}

ssize_t codec_read(struct codec_rd *r, uint8_t *p, size_t n, struct xs_diag *d)
{
	ssize_t k;

	if (r->peek_pos < r->npeek && n) {
		size_t m = r->npeek - r->peek_pos < n ? r->npeek - r->peek_pos : n;

		memcpy(p, r->peek + r->peek_pos, m);
		r->peek_pos += m;
		return (ssize_t)m;
	}
	k = rd_decode(r, p, n);
	return k < 0 ? rd_again(r, d) : k;
}

size_t codec_peek(struct codec_rd *r, uint8_t *p, size_t n)
{
	ssize_t k;

	if (n > CODEC_PEEK_MAX)
		n = CODEC_PEEK_MAX;
	if (r->npeek || r->out_pos)
		return 0;	/* the first bytes only, once */
	k = rd_decode(r, r->peek, n);
	if (k <= 0)
		return 0;
	r->npeek = (size_t)k;
	memcpy(p, r->peek, r->npeek);
	return r->npeek;
}

uint64_t codec_rd_pos(const struct codec_rd *r)
{
	return r->out_pos - (r->npeek - r->peek_pos);
}

uint64_t codec_rd_in_pos(const struct codec_rd *r)
{
	return r->in_off;
}

void codec_rd_close(struct codec_rd *r)
{
	if (!r)
		return;
	if (r->ops && r->ops->end)
		r->ops->end(r);
	free(r->priv);
	free(r->in);
	free(r);
}

/* ---- writing --------------------------------------------------------------- */

int codec_wr_put(struct codec_wr *w, const uint8_t *p, size_t n)
{
	if (n && w->dst.put(w->dst.ctx, p, n)) {
		xs_fail(&w->diag, 0, false, 0, "write error: %s", strerror(errno));
		return EXIT_IOERR;
	}
	return 0;
}

int codec_wr_fail(struct codec_wr *w, const char *what)
{
	xs_fail(&w->diag, 0, false, 0, "%s compression failed: %s", codec_name(w->c), what);
	return EXIT_SOFTWARE;
}

void codec_wr_took(struct wr_in *in, size_t k)
{
	if (k) {
		in->p += k;
		in->n -= k;
	}
}

/* Run the compressor over @p (NULL, 0 with @end: finish the stream). */
static int wr_run(struct codec_wr *w, const uint8_t *p, size_t n, bool end)
{
	struct wr_in in = { p, n };

	for (;;) {
		size_t made = 0;
		int st = w->ops->run(w, &in, end, &made), rc;

		if (st < 0)
			return -st;
		if ((rc = codec_wr_put(w, w->out, made)))
			return rc;
		if (st == WR_DONE)
			return 0;
	}
}

/* @rc, with the writer's diagnostic copied to @d where it failed. */
static int wr_said(const struct codec_wr *w, int rc, struct xs_diag *d)
{
	if (rc && d)
		*d = w->diag;
	return rc;
}

int codec_wr_open(enum codec c, const struct codec_out *out, const struct codec_rd *like,
		  struct codec_wr **wp, struct xs_diag *d)
{
	struct codec_wr *w;
	int rc;

	*wp = NULL;
	if (!codecs[c]->wr) {
		xs_fail(d, 0, false, 0, "cannot write %s data: this xsavectl was built without %s",
			codec_name(c), codec_library(c));
		return EXIT_DATAERR;
	}
	w = xcalloc(1, sizeof(*w));
	w->c = c;
	w->ops = codecs[c]->wr;
	w->dst = *out;
	w->out = xmalloc(CODEC_OUT_CHUNK);
	rc = w->ops->init(w, like);
	if (rc) {
		wr_said(w, rc, d);
		codec_wr_free(w);
		return rc;
	}
	*wp = w;
	return 0;
}

int codec_write(struct codec_wr *w, const uint8_t *p, size_t n, struct xs_diag *d)
{
	if (w->ops->write)
		return wr_said(w, w->ops->write(w, p, n), d);
	while (n) {
		size_t m = n > CODEC_CALL_MAX ? CODEC_CALL_MAX : n;
		int rc = wr_run(w, p, m, false);

		if (rc)
			return wr_said(w, rc, d);
		p += m;
		n -= m;
	}
	return 0;
}

int codec_wr_finish(struct codec_wr *w, struct xs_diag *d)
{
	int rc = w->ops->finish ? w->ops->finish(w) : wr_run(w, NULL, 0, true);

	wr_said(w, rc, d);
	codec_wr_free(w);
	return rc;
}

void codec_wr_free(struct codec_wr *w)
{
	if (!w)
		return;
	if (w->ops && w->ops->end)
		w->ops->end(w);
	free(w->priv);
	free(w->out);
	free(w);
}

/* ---- tail reads ----------------------------------------------------------- */

size_t codec_in_read(const struct codec_in *in, void *p, size_t want, uint64_t off)
{
	size_t got = 0;

	while (got < want) {
		ssize_t k = in->pread(in->fd, (uint8_t *)p + got, want - got, off + got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

int codec_tail_none(struct codec_tail *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->how, sizeof(t->how), fmt, ap);
	va_end(ap);
	free(t->buf);
	t->buf = NULL;
	t->len = 0;
	return 1;
}

int codec_tail(enum codec c, const struct codec_in *in, uint64_t at, uint64_t end,
	       uint64_t want, struct codec_tail *t)
{
	const struct codec_def *d = codecs[c];

	memset(t, 0, sizeof(*t));
	if (c == CODEC_NONE || !codec_available(c))
		return codec_tail_none(t, "%s: not compressed, or not built in", d->name);
	if (in->forward_only)
		return codec_tail_none(t, "%s: a pipe, read forward: decompressed whole", d->name);
	if (!d->tail)
		return codec_tail_none(t, "%s: %s", d->name, d->whole);
	return d->tail(in, at, end, want, t);
}

void codec_tail_free(struct codec_tail *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = 0;
}

/* ---- the in-place rewrite from the tail ------------------------------------- */

int codec_splice_open(enum codec c, const struct codec_in *in, uint64_t at, uint64_t end,
		      uint64_t from, struct codec_splice *sp)
{
	const struct codec_def *d = codecs[c];

	memset(sp, 0, sizeof(*sp));
	sp->c = c;
	sp->in = *in;
	sp->at = at;
	sp->end = end;
	if (c == CODEC_NONE || !codec_available(c) || !d->splice_open) {
		snprintf(sp->how, sizeof(sp->how), "%s: no block the rest does not depend on",
			 d->name);
		return 1;
	}
	if (in->forward_only) {
		snprintf(sp->how, sizeof(sp->how), "%s: a pipe", d->name);
		return 1;
	}
	if (d->splice_open(sp, from)) {
		codec_splice_free(sp);
		return 1;
	}
	return 0;
}

int codec_splice_encode(struct codec_splice *sp, uint8_t **out, size_t *outlen,
			struct xs_diag *d)
{
	*out = NULL;
	*outlen = 0;
	return codecs[sp->c]->splice_encode(sp, out, outlen, d);
}

void codec_splice_free(struct codec_splice *sp)
{
	if (codecs[sp->c]->splice_free)
		codecs[sp->c]->splice_free(sp);
	free(sp->buf);
	sp->buf = NULL;
	sp->priv = NULL;
	sp->len = 0;
}
