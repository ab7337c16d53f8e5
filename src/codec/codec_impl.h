/* SPDX-License-Identifier: MIT */
/*
 * Inside the codec layer: what the shared driver (codec.c) and each codec's
 * file share.  A codec is one const struct codec_def: its words, its file
 * magic, and its decoder and encoder operations (NULL where this xsavectl is
 * built without its library).  The member loop, the zero padding after the
 * last member, the compressor loop and every message are the driver's.
 */
#ifndef XSAVECTL_CODEC_IMPL_H
#define XSAVECTL_CODEC_IMPL_H

#include "codec/codec.h"

#define CODEC_IN_CHUNK (256u * 1024)
#define CODEC_OUT_CHUNK (256u * 1024)
/* The most output one decoder call is given, and the most input one compressor call. */
#define CODEC_CALL_MAX (1u << 30)
#define MIB (1ull << 20)

/* The library's word for a failure it gives no text of its own. */
#define UNEXPECTED "unexpected error"

/* Where a decoder's input comes from. */
enum rd_input {
	IN_FED,		/* r->in, refilled by the loop; at its end the decoder gives what it
			 * holds, then the member is truncated (the driver says so) */
	IN_FED_DRAIN,	/* the same, but the decoder says when it is truncated (zstd) */
	IN_OWN,		/* the decoder reads for itself (lzop's blocks, codec_rd_take) */
};

/* What a decoder call says; below 0, an exit code whose diagnostic is recorded. */
enum step {
	STEP_MORE,	/* going on */
	STEP_END,	/* the member ended */
	STEP_CORRUPT,	/* bad data, in r->why's words */
	STEP_TRUNCATED,	/* the file ends inside the member */
	STEP_NOMEM,	/* the decoder cannot start */
	STEP_LIMIT,	/* the data needs more memory than we allow (r->need bytes, 0 unknown) */
};

struct codec_rd;
struct codec_wr;

/* A codec's decoder; NULL members are nothing to do. */
struct rd_ops {
	uint8_t magic;					/* first byte of a member */
	enum rd_input input;
	bool (*init)(struct codec_rd *r);		/* at open; false: cannot start */
	int (*member)(struct codec_rd *r);		/* a member begins (or fails) */
	/* One call: up to @n bytes into @p, *made of them; @eof: no input is left. */
	int (*step)(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made);
	/* Reports STEP_CORRUPT or STEP_TRUNCATED @st (else the driver's words); minus an exit code. */
	ssize_t (*failed)(struct codec_rd *r, int st);
	void (*end)(struct codec_rd *r);		/* at close */
};

/* The input of a compressor call, advanced by what it takes. */
struct wr_in {
	const uint8_t *p;
	size_t n;
};

/* What a compressor call says; below 0, an exit code whose diagnostic is recorded. */
enum wr_step {
	WR_MORE,	/* call again */
	WR_DONE,	/* the input is taken (or, at the end, the stream is finished) */
};

/* A codec's compressor: a stream one (run) or a block container (write, finish). */
struct wr_ops {
	/* 0 or an exit code (diagnostic recorded); @like as for codec_wr_open. */
	int (*init)(struct codec_wr *w, const struct codec_rd *like);
	/* One call from @in into w->out (CODEC_OUT_CHUNK bytes), *made there; @end: finish. */
	int (*run)(struct codec_wr *w, struct wr_in *in, bool end, size_t *made);
	int (*write)(struct codec_wr *w, const uint8_t *p, size_t n);
	int (*finish)(struct codec_wr *w);
	void (*end)(struct codec_wr *w);
};

struct codec_def {
	const char *name, *lib, *level;
	const uint8_t *magic;		/* the file magic, for codec_sniff */
	size_t magic_len;
	const struct rd_ops *rd;	/* NULL: not built in */
	const struct wr_ops *wr;
	/* The tail read (codec_tail), NULL: none; else why the file is decompressed whole. */
	int (*tail)(const struct codec_in *in, uint64_t at, uint64_t end, uint64_t want,
		    struct codec_tail *t);
	const char *whole;
	/* The in-place rewrite from the tail (codec_splice_open), NULL: none. */
	int (*splice_open)(struct codec_splice *sp, uint64_t from);
	int (*splice_encode)(struct codec_splice *sp, uint8_t **out, size_t *outlen,
			     struct xs_diag *d);
	void (*splice_free)(struct codec_splice *sp);
};

/* Up to @want bytes of the source at @off: the count (fewer at its end, or on an error). */
size_t codec_in_read(const struct codec_in *in, void *p, size_t want, uint64_t off);
/* No tail read: t->how says why, t->buf freed; 1. */
int codec_tail_none(struct codec_tail *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

extern const struct codec_def codec_gzip, codec_bzip2, codec_xz, codec_lzop, codec_zstd;
/* gzip's decoder: ISA-L's where built in, unless XSAVECTL_ZLIB_INFLATE=1 asks for zlib's. */
const struct rd_ops *codec_gzip_rd_ops(void);

struct codec_rd {
	enum codec c;
	const struct rd_ops *ops;	/* NULL: CODEC_NONE, the bytes as they are */
	struct codec_in src;
	uint64_t in_off;	/* source offset of the byte after in[] */
	uint8_t *in;
	size_t in_len, in_pos;
	uint64_t out_pos;	/* decompressed bytes made (peeked ones included) */
	uint8_t peek[CODEC_PEEK_MAX];
	size_t npeek, peek_pos;	/* peeked bytes not yet given again */
	bool started;		/* the first member has begun */
	bool member;		/* inside a member */
	bool done;
	int failed;		/* the exit code of an earlier failure */
	struct xs_diag diag;	/* and its diagnostic */
	const char *why;	/* the library's words for STEP_CORRUPT */
	uint64_t need, limit;	/* STEP_LIMIT: the memory asked for and the limit */
	void *priv;		/* the codec's own decoder state */
};

struct codec_wr {
	enum codec c;
	const struct wr_ops *ops;
	struct codec_out dst;
	uint8_t *out;
	struct xs_diag diag;	/* the failure of the call under way */
	void *priv;		/* the codec's own encoder state */
};

/* Offset in the source of the next unread input byte. */
uint64_t codec_rd_file_pos(const struct codec_rd *r);
/* Record a failure: "offset X in the decompressed stream (Y in the file): NAME data ..."; -@code. */
ssize_t codec_rd_bad(struct codec_rd *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The driver's words for STEP_CORRUPT (r->why) or STEP_TRUNCATED @st; minus the exit code. */
ssize_t codec_rd_corrupt(struct codec_rd *r, int st);
/* Refill the input buffer when it is empty: 1 bytes there, 0 the end of the file, <0 error. */
int codec_rd_fill(struct codec_rd *r);
/* Exactly @k input bytes into @dst: 0, or <0 an exit code (truncated: @what names them). */
int codec_rd_take(struct codec_rd *r, uint8_t *dst, size_t k, const char *what);
/* A decoder call's outcome: the member ended, it goes on, or the data is bad (@why). */
int codec_rd_outcome(struct codec_rd *r, bool end, bool ok, const char *why);
/* Members one after another: up to @n bytes into @p, the count, or minus an exit code. */
ssize_t codec_rd_members(struct codec_rd *r, uint8_t *p, size_t n);

/* Put @n compressed bytes out: 0 or an exit code. */
int codec_wr_put(struct codec_wr *w, const uint8_t *p, size_t n);
/* Record "NAME compression failed: @what"; its exit code. */
int codec_wr_fail(struct codec_wr *w, const char *what);
/* A compressor took @k bytes of its input. */
void codec_wr_took(struct wr_in *in, size_t k);

/* A library's return code in words. */
struct code_text {
	int code;
	const char *text;
};

/* The words for @code in @t (@n entries), or @other. */
const char *codec_code_text(const struct code_text *t, size_t n, int code, const char *other);
#define TEXT_OF(table, code, other) \
	codec_code_text((table), sizeof(table) / sizeof((table)[0]), (int)(code), (other))

static inline uint32_t codec_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void codec_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
