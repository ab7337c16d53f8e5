// SPDX-License-Identifier: MIT
/*
 * zstd, through libzstd's streaming API: one decoder for all frames (it starts
 * the next frame after one ends), its window bounded to 2^ZSTD_WINDOWLOG_MAX;
 * written at level 3 with a content checksum, zstd's default.
 */
#ifdef HAVE_ZSTD
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>
#endif

#include "codec/codec_impl.h"
#include "util.h"

#define ZSTD_ID1 0x28
#define ZSTD_LEVEL 1	/* the fastest standard level, on every CPU (ZSTD_c_nbWorkers) */
/* The window a frame may ask for: libzstd's default limit (levels 1-22 and --long use 128 MiB at most). */
#define ZSTD_WINDOWLOG_MAX 27

static const uint8_t zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

#ifdef HAVE_ZSTD
static bool zstd_rd_init(struct codec_rd *r)
{
	ZSTD_DStream *zd = ZSTD_createDStream();

	r->priv = NULL;
	if (!zd)
		return false;
	r->priv = zd;
	return !ZSTD_isError(ZSTD_DCtx_setParameter(zd, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_MAX));
}

static int zstd_step(struct codec_rd *r, uint8_t *p, size_t n, bool eof, size_t *made)
{
	ZSTD_outBuffer out = { p, n, 0 };
	ZSTD_inBuffer in = { r->in, r->in_len, r->in_pos };
	size_t ret = ZSTD_decompressStream(r->priv, &out, &in);

	r->in_pos = in.pos;
	*made = out.pos;
	if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
		r->limit = 1ull << ZSTD_WINDOWLOG_MAX;
		return STEP_LIMIT;
	}
	if (ZSTD_isError(ret)) {
		r->why = ZSTD_getErrorName(ret);
		return STEP_CORRUPT;
	}
	if (ret == 0)
		return STEP_END;
	return eof && out.pos == 0 ? STEP_TRUNCATED : STEP_MORE;
}

/* libzstd frees its own context: nothing left for the driver's free(). */
static void zstd_rd_end(struct codec_rd *r)
{
	ZSTD_freeDStream(r->priv);
	r->priv = NULL;
}

static const struct rd_ops zstd_rd = {
	.magic = ZSTD_ID1,
	.input = IN_FED_DRAIN,
	.init = zstd_rd_init,
	.step = zstd_step,
	.end = zstd_rd_end,
};

static int zstd_wr_init(struct codec_wr *w, const struct codec_rd *like)
{
	ZSTD_CCtx *zc = ZSTD_createCCtx();
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	(void)like;
	w->priv = zc;
	if (!zc || ZSTD_isError(ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, ZSTD_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(zc, ZSTD_c_checksumFlag, 1)))
		return codec_wr_fail(w, "cannot start");
	/* libzstd's threads where it has them (Debian's has); one thread otherwise */
	if (cpus > 1)
		(void)ZSTD_CCtx_setParameter(zc, ZSTD_c_nbWorkers, (int)(cpus < 16 ? cpus : 16));
	return 0;
}

static int zstd_run(struct codec_wr *w, struct wr_in *in, bool end, size_t *made)
{
	ZSTD_inBuffer zin = { in->p, in->n, 0 };
	ZSTD_outBuffer out = { w->out, CODEC_OUT_CHUNK, 0 };
	ZSTD_EndDirective how = end ? ZSTD_e_end : ZSTD_e_continue;
	size_t ret = ZSTD_compressStream2(w->priv, &out, &zin, how);

	if (ZSTD_isError(ret))
		return -codec_wr_fail(w, ZSTD_getErrorName(ret));
	codec_wr_took(in, zin.pos);
	*made = out.pos;
	return (end ? ret == 0 : !in->n) ? WR_DONE : WR_MORE;
}

static void zstd_wr_end(struct codec_wr *w)
{
	ZSTD_freeCCtx(w->priv);
	w->priv = NULL;
}

static const struct wr_ops zstd_wr = {
	.init = zstd_wr_init,
	.run = zstd_run,
	.end = zstd_wr_end,
};
#endif

const struct codec_def codec_zstd = {
	.name = "zstd",
	.lib = "libzstd",
	.level = "1 with a checksum, on every CPU (the fastest; zstd -dc reads any level)",
	.magic = zstd_magic,
	.magic_len = sizeof(zstd_magic),
#ifdef HAVE_ZSTD
	.rd = &zstd_rd,
	.wr = &zstd_wr,
#endif
	.whole = "one frame whose blocks refer back to earlier ones: decompressed whole",
};
