// SPDX-License-Identifier: MIT
/* QEMU streams in their containers: see stream.h. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zlib.h>

#include "exitcodes.h"
#include "stream.h"
#include "util.h"

#define WINDOW (16u << 20)		/* mmap window: bounds the pages mapped at once */
#define GZBUF (2u << 20)
#define TAIL_MAX (16u << 20)		/* how far from the end a vmdesc is looked for */
#define COPY_CHUNK (1u << 20)

/* ---- sources ------------------------------------------------------------- */

/* A sliding read-only mmap window over a plain file. */
struct msrc {
	const char *path;
	int fd;
	uint64_t size;
	uint8_t *map;
	uint64_t base;
	size_t len;
};

static const uint8_t *msrc_get(void *ctx, uint64_t off, size_t n, size_t *have)
{
	struct msrc *m = ctx;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);

	if (off > m->size || m->size - off < n) {
		*have = off < m->size ? (size_t)(m->size - off) : 0;
		return NULL;
	}
	if (!n)
		return (const uint8_t *)"";	/* nothing to map (maybe at the very end) */
	if (m->map && off >= m->base && off + n <= m->base + m->len)
		return m->map + (off - m->base);
	if (m->map)
		munmap(m->map, m->len);
	m->base = off & ~(pg - 1);
	m->len = m->size - m->base < WINDOW ? (size_t)(m->size - m->base) : WINDOW;
	m->map = mmap(NULL, m->len, PROT_READ, MAP_SHARED, m->fd, (off_t)m->base);
	if (m->map == MAP_FAILED) {
		m->map = NULL;
		msg_err("'%s': cannot map offset 0x%llx: %s", m->path, (unsigned long long)off,
			strerror(errno));
		*have = SIZE_MAX;
		return NULL;
	}
	(void)madvise(m->map, m->len, MADV_SEQUENTIAL);
	return m->map + (off - m->base);
}

/* A forward-only window over decompressed gzip data. */
struct gsrc {
	const char *path;
	struct io_gz z;
	uint8_t *buf;
	uint64_t base;		/* offset of buf[0] */
	size_t len;
	bool eof;
	bool failed;
};

static bool gsrc_fill(struct gsrc *g)
{
	ssize_t r = io_gzread(&g->z, g->buf + g->len, GZBUF - g->len);

	if (r < 0) {
		g->failed = true;
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

/* ---- containers ---------------------------------------------------------- */

bool stream_sniff(const struct io_src *src)
{
	return (src->nmagic >= 4 && !memcmp(src->magic, "QEVM", 4)) ||
	       (!src->gzip && src->nmagic >= 16 &&
		(!memcmp(src->magic, LIBVIRT_MAGIC, 16) || !memcmp(src->magic, LIBVIRT_MAGIC_PART, 16)));
}

static const char *const lv_formats[] = { "raw", "gzip", "bzip2", "xz", "lzop", "zstd", "sparse" };

static int libvirt_header(struct stream *s)
{
	uint8_t h[LIBVIRT_HEADER_LEN];
	uint32_t v[5];
	char xml[4096];
	const char *p, *q;
	ssize_t n;

	if (pread(s->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		msg_err("'%s': offset 0x0: libvirt header shorter than %u bytes", s->path,
			LIBVIRT_HEADER_LEN);
		return EXIT_DATAERR;
	}
	if (!memcmp(h, LIBVIRT_MAGIC_PART, 16)) {
		msg_err("'%s': offset 0x0: libvirt save image is incomplete (\"%s\": the save "
			"did not finish)", s->path, LIBVIRT_MAGIC_PART);
		return EXIT_DATAERR;
	}
	memcpy(v, h + 16, sizeof(v));
	/* Host byte order: a version that reads as 2 only byte-swapped was written big-endian. */
	if (le32toh(v[0]) != 2 && be32toh(v[0]) == 2)
		for (unsigned i = 0; i < 5; i++)
			v[i] = be32toh(v[i]);
	else
		for (unsigned i = 0; i < 5; i++)
			v[i] = le32toh(v[i]);
	s->lv_version = v[0];
	s->lv_data_len = v[1];
	s->lv_was_running = v[2];
	s->lv_format = v[3];
	if (s->lv_version != 2) {
		msg_err("'%s': offset 0x10: libvirt save image version %u (expected 2)", s->path,
			s->lv_version);
		return EXIT_DATAERR;
	}
	if (s->lv_format >= sizeof(lv_formats) / sizeof(lv_formats[0])) {
		msg_err("'%s': offset 0x1c: unknown libvirt image format %u", s->path, s->lv_format);
		return EXIT_DATAERR;
	}
	if (s->lv_format > 1 && s->lv_format != 6) {
		msg_err("'%s': offset 0x1c: libvirt image compressed with %s: xsavectl reads raw "
			"and gzip only (decompress it with '%s -dc')", s->path,
			lv_formats[s->lv_format], lv_formats[s->lv_format]);
		return EXIT_DATAERR;
	}
	s->start = LIBVIRT_HEADER_LEN + (uint64_t)s->lv_data_len;
	if (s->start > (uint64_t)s->st.st_size) {
		msg_err("'%s': offset 0x14: libvirt header's XML length %u runs past the end of "
			"the file", s->path, s->lv_data_len);
		return EXIT_DATAERR;
	}
	s->gzip = s->lv_format == 1;
	/* The domain's <name>, for the report. */
	n = pread(s->fd, xml, sizeof(xml) - 1, LIBVIRT_HEADER_LEN);
	xml[n > 0 ? n : 0] = 0;
	if ((p = strstr(xml, "<name>")) && (q = strstr(p, "</name>")))
		snprintf(s->domain, sizeof(s->domain), "%.*s", (int)(q - p - 6), p + 6);
	return 0;
}

/*
 * Find the vmdesc from the end of a plain stream: read the last 64 KiB, then
 * 1 MiB, then TAIL_MAX, until it is in view (most are well under 64 KiB).
 */
static char *tail_vmdesc(struct stream *s, size_t *len)
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
		}
		free(buf);
		if (n == size || want >= TAIL_MAX)
			break;
	}
	return json;
}

static int parse_stream(struct stream *s)
{
	struct msrc m = { .path = s->path, .fd = s->fd, .size = (uint64_t)s->st.st_size };
	struct gsrc g = { .path = s->path };
	struct xs_qsrc src = { .start = s->start };
	struct xs_diag d = { 0 };
	char *vmdesc = NULL;
	size_t vlen = 0;
	int rc;

	if (s->gzip) {
		if (io_gz_open(&g.z, s->fd, s->start, s->path, (uint64_t)s->st.st_size))
			return EXIT_SOFTWARE;
		g.buf = xmalloc(GZBUF);
		src.get = gsrc_get;
		src.ctx = &g;
		src.start = 0;
		src.end = UINT64_MAX;
	} else {
		src.get = msrc_get;
		src.ctx = &m;
		src.end = m.size;
		vmdesc = tail_vmdesc(s, &vlen);
	}
	rc = xs_qstream_parse(&s->qs, &src, vmdesc, vlen, &d);
	free(vmdesc);
	if (m.map)
		munmap(m.map, m.len);
	if (s->gzip)
		io_gz_close(&g.z);
	free(g.buf);
	if (rc == -XS_EINVAL && !d.msg[0])
		return g.failed ? EXIT_DATAERR : EXIT_NOINPUT;	/* the source printed it */
	if (rc) {
		if (s->gzip)
			snprintf(d.msg + strlen(d.msg), sizeof(d.msg) - strlen(d.msg),
				 " (offset in the decompressed stream)");
		msg_diag(s->path, &d);
		return rc == -XS_EUNSUP ? EXIT_DATAERR : exit_for_err(rc);
	}
	return 0;
}

int stream_open(struct io_src *src, struct stream **out)
{
	struct stream *s = xcalloc(1, sizeof(*s));
	char *journal;
	int rc = 0;

	s->path = src->path;
	s->fd = src->fd;
	s->st = src->st;
	src->fd = -1;
	journal = stream_journal_name(s->path);
	if (!access(journal, F_OK)) {
		msg_err("'%s': an interrupted 'filter --in-place' left '%s': run 'xsavectl filter "
			"--in-place' on it again, which rolls the file back first", s->path, journal);
		rc = EXIT_DATAERR;
	}
	free(journal);
	if (!rc && !src->gzip && src->nmagic >= 16 && !memcmp(src->magic, "Libvirt", 7)) {
		s->container = "libvirt";
		rc = libvirt_header(s);
	} else if (!rc) {
		s->container = src->gzip ? "gzip" : "raw";
		s->gzip = src->gzip;
	}
	if (!rc)
		rc = parse_stream(s);
	if (!rc && s->qs.ncpu == 0) {
		msg_err("'%s': the stream holds no x86 'cpu' section", s->path);
		rc = EXIT_DATAERR;
	}
	if (rc) {
		stream_close(s);
		return rc;
	}
	s->orig = xcalloc(s->qs.ncpu, sizeof(*s->orig));
	for (unsigned i = 0; i < s->qs.ncpu; i++) {
		s->orig[i] = xmalloc(s->qs.cpu[i].body_len);
		memcpy(s->orig[i], s->qs.cpu[i].body, s->qs.cpu[i].body_len);
	}
	*out = s;
	return 0;
}

void stream_close(struct stream *s)
{
	if (!s)
		return;
	for (unsigned i = 0; s->orig && i < s->qs.ncpu; i++)
		free(s->orig[i]);
	free(s->orig);
	xs_qstream_free(&s->qs);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* ---- writing ------------------------------------------------------------- */

struct xs_qpatch *stream_patches(const struct stream *s, unsigned *n)
{
	size_t cap = 0;
	struct xs_qpatch *p;

	for (unsigned i = 0; i < s->qs.ncpu; i++)
		cap += s->qs.cpu[i].body_len / 2 + 1;
	p = xcalloc(cap, sizeof(*p));
	*n = 0;
	for (unsigned i = 0; i < s->qs.ncpu; i++)
		*n += xs_qcpu_patches(&s->qs.cpu[i], s->orig[i], p + *n, (unsigned)(cap - *n));
	return p;
}

/* Apply the patches overlapping [off, off+len) to buf. */
static void apply(const struct xs_qpatch *p, unsigned n, uint64_t off, uint8_t *buf, size_t len)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = p[i].off, b = p[i].off + p[i].len;
		uint64_t lo = a > off ? a : off, hi = b < off + len ? b : off + len;

		if (lo < hi)
			memcpy(buf + (lo - off), p[i].data + (lo - a), hi - lo);
	}
}

static int copy_plain(const struct stream *s, struct io_out *o, uint64_t from, uint64_t to,
		      const struct xs_qpatch *p, unsigned n, uint64_t patch_base)
{
	uint8_t *buf = xmalloc(COPY_CHUNK);
	int rc = 0;

	for (uint64_t off = from; off < to && !rc;) {
		size_t want = to - off < COPY_CHUNK ? (size_t)(to - off) : COPY_CHUNK;
		ssize_t r = pread(s->fd, buf, want, (off_t)off);

		if (r <= 0) {
			msg_err("'%s': read error at offset 0x%llx: %s", s->path,
				(unsigned long long)off, r ? strerror(errno) : "file shrank");
			rc = EXIT_NOINPUT;
			break;
		}
		apply(p, n, off - patch_base, buf, (size_t)r);
		rc = io_out_write(o, buf, (size_t)r);
		off += (uint64_t)r;
	}
	free(buf);
	return rc;
}

static int copy_gzip(const struct stream *s, struct io_out *o, const struct xs_qpatch *p,
		     unsigned n)
{
	uint8_t *buf;
	uint64_t off = 0;
	struct io_gz z;
	int rc = io_gz_open(&z, s->fd, s->start, s->path, (uint64_t)s->st.st_size);

	if (rc)
		return rc;
	buf = xmalloc(COPY_CHUNK);
	rc = io_out_gzip(o);
	while (!rc) {
		ssize_t r = io_gzread(&z, buf, COPY_CHUNK);

		if (r <= 0) {
			rc = (int)-r;
			break;
		}
		apply(p, n, off, buf, (size_t)r);
		rc = io_out_write(o, buf, (size_t)r);
		off += (uint64_t)r;
	}
	io_gz_close(&z);
	free(buf);
	return rc;
}

int stream_write(const struct stream *s, const char *dest)
{
	unsigned n;
	struct xs_qpatch *p = stream_patches(s, &n);
	struct io_out o;
	int rc = io_out_open(dest, false, &s->st, &o);

	if (!rc && s->gzip) {
		/* A libvirt header stays raw; the stream after it is compressed again. */
		rc = copy_plain(s, &o, 0, s->start, NULL, 0, 0);
		if (!rc)
			rc = copy_gzip(s, &o, p, n);
	} else if (!rc)
		rc = copy_plain(s, &o, 0, (uint64_t)s->st.st_size, p, n, 0);
	free(p);
	if (rc) {
		io_out_abort(&o);
		return rc;
	}
	return io_out_commit(&o);
}
