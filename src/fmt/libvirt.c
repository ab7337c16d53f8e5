// SPDX-License-Identifier: MIT
/*
 * libvirt's save image header (virQEMUSaveHeader, src/qemu/qemu_saveimage.h):
 * 92 bytes in the host's byte order, then the domain XML, an optional cookie
 * XML and zero padding, data_len bytes in all; the QEMU stream (raw, sparse
 * or compressed) follows.  The libvirt format: a QEMU stream in this
 * container (qemu_stream.c walks it), with what the XML says of the domain
 * (its name, unescaped as libvirt reads it, and its <cpu>).
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsave/rd.h>

#include "exitcodes.h"
#include "codec/codec.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "fmt/qemu_stream.h"
#include "out/out.h"
#include "util.h"

#define XML_MAX (1u << 20)	/* how much of the XML is read for the report */

/* libvirt's virQEMUSaveHeader (src/qemu/qemu_saveimage.h). */
#define LIBVIRT_MAGIC "LibvirtQemudSave"
#define LIBVIRT_MAGIC_PART "LibvirtQemudPart"
#define LIBVIRT_HEADER_LEN 92u

/* virQEMUSaveHeader after its magic: u32 version, data_len, was_running, format, cookie. */
#define LV_MAGIC_LEN 16
#define LV_OFF_VERSION 0x10
#define LV_OFF_DATA_LEN 0x14
#define LV_OFF_WAS_RUNNING 0x18
#define LV_OFF_FORMAT 0x1c
#define LV_OFF_COOKIE 0x20
#define LV_VERSION 2u
#define LV_FORMAT_SPARSE 6u

static const struct {
	const char *name;
	enum codec codec;
} image_formats[] = {
	{ "raw", CODEC_NONE }, { "gzip", CODEC_GZIP }, { "bzip2", CODEC_BZIP2 },
	{ "xz", CODEC_XZ }, { "lzop", CODEC_LZOP }, { "zstd", CODEC_ZSTD },
	{ "sparse", CODEC_NONE },
};

/* What the header says: the container's own data (the stream's box), shown by libvirt_show(). */
struct lv_box {
	uint32_t lv_version, lv_format, lv_data_len, lv_was_running, lv_cookie_off;
	uint32_t lv_xml_len;	/* the domain XML's length (up to its NUL: without the cookie) */
	char domain[256];	/* <name>, unescaped */
	char domain_uuid[64];	/* <uuid>, "" when the XML has none */
	bool lv_have_cpu;	/* the domain XML has a <cpu> */
	char cpu_mode[32], cpu_model[64], cpu_vendor[32];
};

/* "raw", "gzip", ... "sparse" for a header's format number. */
static const char *libvirt_format_name(uint32_t format)
{
	return format < sizeof(image_formats) / sizeof(image_formats[0]) ? image_formats[format].name
									  : "unknown";
}

/* Copy @n bytes of XML text at @p into @dst (size @cap), the five entities and &#N; decoded. */
static void xml_unescape(char *dst, size_t cap, const char *p, size_t n)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		     { "&apos;", '\'' } };
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap;) {
		bool done = false;

		if (p[i] == '&') {
			for (unsigned k = 0; k < sizeof(ents) / sizeof(ents[0]) && !done; k++) {
				size_t l = strlen(ents[k].ent);

				if (n - i >= l && !memcmp(p + i, ents[k].ent, l)) {
					dst[o++] = ents[k].c;
					i += l;
					done = true;
				}
			}
			if (!done && n - i > 3 && p[i + 1] == '#') {
				char *end;
				bool hex = p[i + 2] == 'x';
				unsigned long v = strtoul(p + i + 2 + hex, &end, hex ? 16 : 10);

				if (end < p + n && *end == ';' && v > 0 && v < 0x80) {
					dst[o++] = (char)v;
					i = (size_t)(end - p) + 1;
					done = true;
				}
			}
		}
		if (!done)
			dst[o++] = p[i++];
	}
	dst[o] = 0;
}

/* The text of the first <tag>...</tag> (or <tag attr...>...</tag>) in [p, end). */
static bool xml_text(const char *p, const char *end, const char *tag, char *dst, size_t cap)
{
	size_t tl = strlen(tag);

	for (const char *q = p; (q = memmem(q, (size_t)(end - q), "<", 1)) && q + tl + 1 < end; q++) {
		const char *gt, *close;

		if (memcmp(q + 1, tag, tl) || (q[tl + 1] != '>' && q[tl + 1] != ' '))
			continue;
		gt = memchr(q, '>', (size_t)(end - q));
		if (!gt || gt[-1] == '/')
			return false;
		close = memmem(gt, (size_t)(end - gt), "</", 2);
		if (!close)
			return false;
		xml_unescape(dst, cap, gt + 1, (size_t)(close - gt - 1));
		return true;
	}
	return false;
}

/* The value of attribute @attr in the start tag at @p (up to its '>'). */
static bool xml_attr(const char *p, const char *end, const char *attr, char *dst, size_t cap)
{
	const char *gt = memchr(p, '>', (size_t)(end - p));
	size_t al = strlen(attr);

	if (!gt)
		return false;
	for (const char *q = p; q + al + 2 < gt; q++) {
		const char *v, *ve;

		if (q[-1] != ' ' || memcmp(q, attr, al) || q[al] != '=' ||
		    (q[al + 1] != '\'' && q[al + 1] != '"'))
			continue;
		v = q + al + 2;
		ve = memchr(v, q[al + 1], (size_t)(gt - v));
		if (!ve)
			return false;
		xml_unescape(dst, cap, v, (size_t)(ve - v));
		return true;
	}
	return false;
}

/* Name and <cpu> from the domain XML. */
static void domain_facts(struct lv_box *lv, const char *xml, size_t len)
{
	const char *end = xml + len, *cpu, *cpu_end;

	xml_text(xml, end, "name", lv->domain, sizeof(lv->domain));
	xml_text(xml, end, "uuid", lv->domain_uuid, sizeof(lv->domain_uuid));
	cpu = memmem(xml, len, "<cpu", 4);
	while (cpu && cpu[4] != ' ' && cpu[4] != '>' && cpu[4] != '/')
		cpu = memmem(cpu + 4, (size_t)(end - cpu - 4), "<cpu", 4);
	if (!cpu)
		return;
	lv->lv_have_cpu = true;
	if (!xml_attr(cpu + 1, end, "mode", lv->cpu_mode, sizeof(lv->cpu_mode)))
		snprintf(lv->cpu_mode, sizeof(lv->cpu_mode), "custom");	/* libvirt's default */
	cpu_end = memmem(cpu, (size_t)(end - cpu), "</cpu>", 6);
	if (!cpu_end)
		return;
	xml_text(cpu, cpu_end, "model", lv->cpu_model, sizeof(lv->cpu_model));
	xml_text(cpu, cpu_end, "vendor", lv->cpu_vendor, sizeof(lv->cpu_vendor));
}

/*
 * The header's numbers: five u32 after the magic, in the byte order of the
 * host that saved it.  0 or an exit code (why in s->fail).
 */
static int header_numbers(struct stream *s, const uint8_t *h)
{
	struct lv_box *lv = s->box;
	struct xs_rd rd = xs_rd_init(h, LIBVIRT_HEADER_LEN, 0);
	bool (*u32)(const struct xs_rd *, size_t, uint32_t *) = xs_rd_u32le_at;
	uint32_t version = 0;
	bool ok;

	/* A version that reads as LV_VERSION only byte-swapped was written big-endian. */
	if (xs_rd_u32le_at(&rd, LV_OFF_VERSION, &version) && version != LV_VERSION &&
	    xs_rd_u32be_at(&rd, LV_OFF_VERSION, &version) && version == LV_VERSION)
		u32 = xs_rd_u32be_at;
	ok = u32(&rd, LV_OFF_VERSION, &lv->lv_version) &&
	     u32(&rd, LV_OFF_DATA_LEN, &lv->lv_data_len) &&
	     u32(&rd, LV_OFF_WAS_RUNNING, &lv->lv_was_running) &&
	     u32(&rd, LV_OFF_FORMAT, &lv->lv_format) && u32(&rd, LV_OFF_COOKIE, &lv->lv_cookie_off);
	if (!ok)
		return EXIT_SOFTWARE;	/* LIBVIRT_HEADER_LEN holds them all */
	if (lv->lv_version != LV_VERSION) {
		return fail_at(s->fail, EXIT_DATAERR, s->path, LV_OFF_VERSION, "libvirt save image "
			       "version %u (expected %u)", lv->lv_version, LV_VERSION);
	}
	if (lv->lv_format >= sizeof(image_formats) / sizeof(image_formats[0])) {
		return fail_at(s->fail, EXIT_DATAERR, s->path, LV_OFF_FORMAT, "unknown libvirt image "
			       "format %u (known: 0 raw to %u sparse)", lv->lv_format,
			       LV_FORMAT_SPARSE);
	}
	s->codec = image_formats[lv->lv_format].codec;
	s->sparse = lv->lv_format == LV_FORMAT_SPARSE;
	if (!codec_available(s->codec)) {
		return fail_at(s->fail, EXIT_DATAERR, s->path, LV_OFF_FORMAT, "libvirt image "
			       "compressed with %s (format %u): this xsavectl was built without %s "
			       "(Debian: %s-dev; make deps)", image_formats[lv->lv_format].name,
			       lv->lv_format, codec_library(s->codec), codec_library(s->codec));
	}
	return 0;
}

/* Where the stream starts, and what the domain XML says.  0 or an exit code. */
static int header_xml(struct stream *s)
{
	struct lv_box *lv = s->box;
	size_t xn;
	char *xml;
	ssize_t n;

	s->start = LIBVIRT_HEADER_LEN + (uint64_t)lv->lv_data_len;
	if (!io_is_pipe(s->fd) && s->start > (uint64_t)s->st.st_size) {
		return fail_at(s->fail, EXIT_DATAERR, s->path, LV_OFF_DATA_LEN, "libvirt header's "
			       "XML length %u runs past the end of the file", lv->lv_data_len);
	}
	if (lv->lv_cookie_off >= lv->lv_data_len && lv->lv_cookie_off) {
		return fail_at(s->fail, EXIT_DATAERR, s->path, LV_OFF_COOKIE, "libvirt header's "
			       "cookie offset %u lies past its XML length %u", lv->lv_cookie_off,
			       lv->lv_data_len);
	}
	xn = lv->lv_data_len < XML_MAX ? lv->lv_data_len : XML_MAX;
	xml = xmalloc(xn + 1);
	n = io_pread(s->fd, xml, xn, LIBVIRT_HEADER_LEN);
	xml[n > 0 ? n : 0] = 0;
	lv->lv_xml_len = (uint32_t)strlen(xml);
	/* The domain XML ends at the cookie (or its NUL). */
	domain_facts(lv, xml, lv->lv_cookie_off && lv->lv_cookie_off < lv->lv_xml_len ?
				     lv->lv_cookie_off : lv->lv_xml_len);
	free(xml);
	return 0;
}

/* libvirt's header at the start of s->fd, into s->box.  0 or an exit code (why in s->fail). */
static int libvirt_header(struct stream *s)
{
	uint8_t h[LIBVIRT_HEADER_LEN];
	int rc;

	if (io_pread(s->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		return fail_at(s->fail, EXIT_DATAERR, s->path, 0, "libvirt header shorter than %u bytes",
			       LIBVIRT_HEADER_LEN);
	}
	if (!memcmp(h, LIBVIRT_MAGIC_PART, LV_MAGIC_LEN)) {
		if (s->fail && !s->fail->code)
			s->fail->unrecognised = true;	/* no state yet: nothing to judge */
		return fail_at(s->fail, EXIT_DATAERR, s->path, 0, "libvirt save image is incomplete "
			       "(\"%s\": the save did not finish)", LIBVIRT_MAGIC_PART);
	}
	rc = header_numbers(s, h);
	if (!rc)
		rc = header_xml(s);
	return rc;
}

/* ---- the format ---------------------------------------------------------- */

static bool libvirt_sniff(const struct io_src *src)
{
	return src->codec == CODEC_NONE && src->nmagic >= LV_MAGIC_LEN &&
	       (!memcmp(src->magic, LIBVIRT_MAGIC, LV_MAGIC_LEN) ||
		!memcmp(src->magic, LIBVIRT_MAGIC_PART, LV_MAGIC_LEN));
}

static int libvirt_container(struct stream *s, const struct io_src *src)
{
	(void)src;
	s->container = "libvirt";
	s->box = xcalloc(1, sizeof(struct lv_box));
	return libvirt_header(s);
}

static int libvirt_load(const struct fmt_opts *c, struct io_src *src, struct input *in,
			struct fail *why)
{
	return stream_load(c, src, in, libvirt_container, why);
}

static void show_domain_cpu(struct out *o, const struct lv_box *lv)
{
	out_obj(o, "cpu");
	if (lv->lv_have_cpu) {
		out_str(o, "mode", lv->cpu_mode);
		if (lv->cpu_model[0])
			out_str(o, "model", lv->cpu_model);
		else
			out_null(o, "model");
		if (lv->cpu_vendor[0])
			out_str(o, "vendor", lv->cpu_vendor);
		else
			out_null(o, "vendor");
	} else {
		out_null(o, "mode");
	}
	out_end(o);
}

static void libvirt_show(struct out *o, const struct input *in)
{
	const struct stream *s = in->priv;
	const struct lv_box *lv = s->box;

	out_str(o, "compression", codec_name(s->codec));
	out_str(o, "container", s->container);
	out_obj(o, "libvirt");
	out_str(o, "domain", lv->domain);
	if (lv->domain_uuid[0])
		out_str(o, "uuid", lv->domain_uuid);
	else
		out_null(o, "uuid");
	out_str(o, "image_format", libvirt_format_name(lv->lv_format));
	out_u64(o, "image_format_number", lv->lv_format);
	out_bool(o, "was_running", lv->lv_was_running);
	out_u64(o, "xml_bytes", lv->lv_xml_len);
	out_u64(o, "data_len", lv->lv_data_len);
	if (lv->lv_cookie_off)
		out_strf(o, "cookie_offset", "0x%x", lv->lv_cookie_off);
	else
		out_null(o, "cookie_offset");
	out_strf(o, "stream_offset", "0x%llx", (unsigned long long)s->start);
	if (s->sparse)
		out_u64(o, "allocated_bytes", (uint64_t)s->st.st_blocks * 512);
	show_domain_cpu(o, lv);
	out_end(o);
	stream_show(o, s);
}

/* A QEMU stream inside: its vCPUs, and its writers (the header is copied as is). */
const struct format libvirt_format = {
	.name = "qemu-stream",
	STREAM_FORMAT_STATES,
	.sniff = libvirt_sniff,
	.load = libvirt_load,
	.show = libvirt_show,
	STREAM_FORMAT_WRITERS,
};
