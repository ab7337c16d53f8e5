// SPDX-License-Identifier: MIT
/*
 * The QEMU migration stream walk (see include/xsave/qstream.h and
 * ../shared/reference/qemu-migration.md for the format): header,
 * configuration, RAM records (skipped by their headers alone), device
 * sections (cpu decoded, the rest sized from vmdesc or by their footer),
 * commands with PACKAGED payloads walked in place, EOF, the vmdesc JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/rd.h>

#include "qemu_priv.h"

enum { CMD_OPEN_RP = 1, CMD_PING, CMD_ADVISE, CMD_LISTEN, CMD_RUN, CMD_DISCARD, CMD_PACKAGED,
       CMD_COLO, CMD_RESUME, CMD_RECV_BITMAP, CMD_SWITCHOVER, CMD_MAX = CMD_SWITCHOVER };

/* What comes before the vmdesc JSON: the 0x06 byte, its be32 length. */
#define VMDESC_HDR_LEN 5

/* ---- sections ---------------------------------------------------------- */

static int footer(struct qw *w, uint32_t sid)
{
	size_t got;
	const uint8_t *p = xsp_qw_peek(w, w->off, 5, &got);

	if (!p)
		return w->rc;
	if (!w->footers_known) {
		w->footers_known = true;
		w->qs->footers = got >= 1 && p[0] == QS_FOOTER;
	}
	if (!w->qs->footers)
		return 0;
	if ((got < 5 || p[0] != QS_FOOTER) && w->sized_by_vmdesc)
		return fail(w, XS_EFORMAT, w->off, "vmdesc disagrees with the stream: section '%s' "
			    "(id %llu) does not end where vmdesc's sizes say", w->sized_by_vmdesc,
			    (unsigned long long)sid);
	if (got < 5 || p[0] != QS_FOOTER)
		return fail(w, got < 5 ? XS_ETRUNC : XS_EFORMAT, w->off,
			    "expected the footer of section %llu (0x7e)", (unsigned long long)sid);
	if (xs_be_get(p + 1, 4) != sid)
		return fail(w, XS_EFORMAT, w->off, "footer names section %llu, not the one before",
			    (unsigned long long)xs_be_get(p + 1, 4));
	w->off += 5;
	return 0;
}

static int log_section(struct qw *w, const char *name, uint32_t inst, uint64_t body_off)
{
	struct seclog *l;

	if (w->nlog == w->caplog) {
		unsigned cap = w->caplog ? 2 * w->caplog : 64;
		void *n;

		if (cap > MAX_SECTIONS)
			return fail(w, XS_ELIMIT, body_off, "more device sections than %llu",
				    (unsigned long long)MAX_SECTIONS);
		if (!(n = realloc(w->log, cap * sizeof(*w->log))))
			return fail(w, XS_ENOMEM, body_off, "out of memory");
		w->log = n;
		w->caplog = cap;
	}
	l = &w->log[w->nlog++];
	snprintf(l->name, sizeof(l->name), "%.63s", name);
	l->instance = inst;
	l->off = body_off;
	l->body_len = w->off - body_off;
	return 0;
}

static const struct xsp_vdev *next_desc(struct qw *w, const char *name, uint32_t inst,
					uint64_t at)
{
	const struct xsp_vdev *dev;

	if (!w->desc || w->depth)
		return NULL;
	dev = xsp_vmdesc_dev(w->desc, w->desc_idx++);
	if (!dev || !xsp_vdev_is(dev, name, inst)) {
		fail(w, XS_EFORMAT, at, "vmdesc disagrees with the stream: it does not list "
		     "section '%s' instance %llu here", name, (unsigned long long)inst);
		return NULL;
	}
	return dev;
}

static int cpu_section(struct qw *w, uint32_t sid, uint32_t inst, uint32_t ver, uint64_t hdr,
		       const struct xsp_vdev *dev)
{
	struct xs_qstream *qs = w->qs;
	struct xs_qcpu *c;
	const uint8_t *p;
	size_t got, ask = 1, need;
	int rc;

	if (qs->ncpu == XS_QCPU_MAX)
		return fail(w, XS_ELIMIT, hdr, "more cpu sections than %llu",
			    (unsigned long long)XS_QCPU_MAX);
	if (!xsp_qw_grow((void **)&qs->cpu, &w->capcpu, qs->ncpu, sizeof(*qs->cpu)))
		return fail(w, XS_ENOMEM, hdr, "out of memory");
	c = &qs->cpu[qs->ncpu];
	memset(c, 0, sizeof(*c));
	c->instance = inst;
	c->version = ver;
	c->section_id = sid;
	c->off = hdr;
	c->body_off = w->off;
	/*
	 * The section in windows just as large as its parse takes to go on: a live source
	 * (the relay) may not send a byte past the stream's end until the destination answers,
	 * which it cannot before this section is passed on.
	 */
	for (;;) {
		bool more;

		if (!(p = xsp_qw_peek(w, w->off, ask, &got)))
			return w->rc;
		more = got == ask && ask < XS_QGET_MAX;
		need = 0;
		rc = xsp_qcpu_parse(c, p, got, w->off, dev, more ? &need : NULL, w->d);
		if (!more || rc != -XS_ETRUNC || need <= ask)
			break;
		ask = need < XS_QGET_MAX ? need : XS_QGET_MAX;
	}
	if (rc) {
		free(c->body);
		c->body = NULL;
		return w->rc = rc;
	}
	qs->ncpu++;
	w->off += c->body_len;
	if (w->hooks && w->hooks->cpu && (rc = w->hooks->cpu(w->hooks->ctx, qs, qs->ncpu - 1)))
		return w->rc = rc;
	return 0;
}

/*
 * A footer's scan asks for windows from this size up, doubling to XS_QGET_MAX: a live
 * source (the relay) holds a device section and what follows it, and may not send a byte
 * past the stream's end until the destination answers, so a window reaching past it would
 * wait there.  A boundary found in a smaller window is taken only where the window holds
 * FOOTER_JUDGED bytes from it (the footer, then the longest section header after it:
 * everything that judges it), so that every window size finds the same boundary.
 */
#define SCAN_FIRST 512u
#define FOOTER_JUDGED (5u + 6u + 255u)

/* Skip a device section we do not decode: vmdesc's size, else find its footer. */
static int skip_device(struct qw *w, const char *name, uint32_t sid,
		       const struct xsp_vdev *dev)
{
	uint64_t start = w->off;
	size_t ask = SCAN_FIRST;

	if (dev) {
		int64_t n = xsp_vdev_size(dev);

		if (n < 0)
			return fail(w, XS_EFORMAT, start, "vmdesc entry for '%s' is malformed",
				    name);
		w->off += (uint64_t)n;
		w->sized_by_vmdesc = name;
		return 0;
	}
	if (w->footers_known && !w->qs->footers)
		return fail(w, XS_EUNKNOWN, start, "cannot size section '%s' (id %llu): the stream "
			    "has neither section footers nor a vmdesc", name,
				    (unsigned long long)sid);
	while (w->off - start < MAX_SCAN) {
		size_t got;
		const uint8_t *p = xsp_qw_peek(w, w->off, ask, &got);
		long at, weak = -1;

		if (!p)
			return w->rc;
		at = xsp_qscan_boundary(p, got, sid, NULL, &weak);
		if (got == ask && ask < XS_QGET_MAX && (at < 0 || (size_t)at + FOOTER_JUDGED > got)) {
			ask *= 2;	/* not settled in this window: a larger one */
			continue;
		}
		if (at < 0 && weak >= 0 && (size_t)weak + 5 < got)
			return fail(w, XS_EFORMAT, w->off + (uint64_t)weak + 5,
				    "after the footer of section '%s' (id %llu): no section, command "
				    "or EOF starts here (byte 0x%02x)", name,
					    (unsigned long long)sid,
				    p[weak + 5]);
		if (at >= 0) {
			w->off += (uint64_t)at;
			return 0;
		}
		if (got < XS_QGET_MAX)
			break;
		w->off += got - 512;	/* boundaries straddling the window are seen next time */
		if (xsp_qw_release(w, w->off))
			return w->rc;
	}
	return fail(w, XS_EFORMAT, start, "cannot find the end of section '%s' (id %llu)", name,
		    (unsigned long long)sid);
}

static int walk(struct qw *w, uint64_t end);

static int command(struct qw *w, uint64_t at)
{
	struct xs_qstream *qs = w->qs;
	uint64_t cmd, len, v;
	const uint8_t *p;

	if (xsp_qw_rdbe(w, 2, &cmd, "a command number") || xsp_qw_rdbe(w, 2, &len, "a command length"))
		return w->rc;
	if (!cmd || cmd > CMD_MAX)
		return fail(w, XS_EFORMAT, at, "unknown command %llu", (unsigned long long)cmd);
	if (!(p = xsp_qw_need(w, w->off, len, "a command payload")))
		return w->rc;
	switch (cmd) {
	case CMD_PING:
	case CMD_PACKAGED:
		if (len != 4)
			return fail(w, XS_EFORMAT, at, "command %llu needs a 4-byte payload",
				    (unsigned long long)cmd);
		break;
	case CMD_ADVISE:
		if (len != 0 && len != 16)
			return fail(w, XS_EFORMAT, at, "POSTCOPY_ADVISE with a %llu-byte payload",
				    (unsigned long long)len);
		qs->postcopy_advised = true;
		if (len)
			qs->pagesize_summary = xs_be_get(p, 8);
		break;
	case CMD_DISCARD:
	case CMD_RECV_BITMAP:
		break;
	default:
		if (len)
			return fail(w, XS_EFORMAT, at, "command %llu takes no payload",
				    (unsigned long long)cmd);
	}
	if (cmd == CMD_PACKAGED && w->head_only)
		return fail(w, XS_EUNKNOWN, at, "a postcopy PACKAGED command");
	v = cmd == CMD_PACKAGED ? xs_be_get(p, 4) : 0;
	w->off += len;
	if (cmd != CMD_PACKAGED)
		return 0;
	/* The payload is a stream of its own (no header) that follows the command. */
	if (w->depth >= MAX_DEPTH)
		return fail(w, XS_EFORMAT, at, "PACKAGED nested too deep");
	qs->packaged++;
	w->depth++;
	if (!walk(w, w->off + v))
		w->depth--;
	return w->rc;
}

static int section(struct qw *w, unsigned type, uint64_t at)
{
	char name[256];
	uint64_t sid, inst = 0, ver = 0;
	bool ram = false;

	if (xsp_qw_rdbe(w, 4, &sid, "a section id"))
		return w->rc;
	if (type == QS_START || type == QS_FULL) {
		if (xsp_qw_rdname(w, name, "a section name") ||
		    xsp_qw_rdbe(w, 4, &inst, "a section instance id") ||
		    xsp_qw_rdbe(w, 4, &ver, "a section version"))
			return w->rc;
	}
	if (type == QS_START) {
		if (strcmp(name, "ram"))
			return fail(w, XS_EUNKNOWN, at, "iterative section '%s' (id %llu) cannot be "
				    "read: only 'ram' can", name, (unsigned long long)sid);
		if (ver != 4)
			return fail(w, XS_EUNKNOWN, at, "ram section version %llu (expected 4)",
				    (unsigned long long)ver);
		if (w->niter == MAX_ITER)
			return fail(w, XS_ELIMIT, at, "too many iterative sections");
		w->iter[w->niter++] = (uint32_t)sid;
		ram = true;
	} else if (type == QS_PART || type == QS_END) {
		for (unsigned i = 0; i < w->niter; i++)
			ram |= w->iter[i] == sid;
		if (!ram)
			return fail(w, XS_EFORMAT, at, "section part for id %llu, never started",
				    (unsigned long long)sid);
	}
	if (ram) {
		if (xsp_qram_body(w))
			return w->rc;
	} else {
		uint64_t body = w->off;
		const struct xsp_vdev *dev = next_desc(w, name, (uint32_t)inst, at);

		for (unsigned i = 0; w->devices_only && i < w->niter && !w->rc; i++)
			if (w->iter[i] == sid)	/* a device section never has the RAM's id */
				fail(w, XS_EFORMAT, at, "device section '%s' has the RAM section's "
				     "id %llu", name, (unsigned long long)sid);

		if (w->rc)
			return w->rc;
		w->qs->full_sections++;
		if (!strcmp(name, "cpu")) {
			if (cpu_section(w, (uint32_t)sid, (uint32_t)inst, (uint32_t)ver, at, dev))
				return w->rc;
		} else if (skip_device(w, name, (uint32_t)sid, dev))
			return w->rc;
		if (log_section(w, name, (uint32_t)inst, body))
			return w->rc;
	}
	footer(w, (uint32_t)sid);
	w->sized_by_vmdesc = NULL;
	return w->rc;
}

/* Sections until EOF (top level) or until @end (a PACKAGED payload). */
static int walk(struct qw *w, uint64_t end)
{
	for (;;) {
		uint64_t at = w->off, type;

		if (w->depth && at == end)
			return 0;
		if (xsp_qw_release(w, at))
			return w->rc;
		if (w->depth && at > end)
			return fail(w, XS_EFORMAT, end, "a section runs past the end of a PACKAGED "
				    "payload(by %llu bytes)", (unsigned long long)at - end);
		if (xsp_qw_rdbe(w, 1, &type, "a section type"))
			return w->rc;
		if (w->head_only && type != QS_START && type != QS_COMMAND) {
			w->off = at;	/* RAM pages or devices from here: the head ends */
			return 0;
		}
		if (w->devices_only && type != QS_FULL && type != QS_EOF)
			return fail(w, XS_EFORMAT, at, "section type 0x%02llx among the device "
				    "sections", (unsigned long long)type);
		switch (type) {
		case QS_EOF:
			if (w->depth)
				return fail(w, XS_EFORMAT, at, "EOF inside a PACKAGED payload");
			return 0;
		case QS_START:
		case QS_PART:
		case QS_END:
		case QS_FULL:
			if (section(w, (unsigned)type, at))
				return w->rc;
			break;
		case QS_COMMAND:
			if (command(w, at))
				return w->rc;
			break;
		default:
			return fail(w, XS_EFORMAT, at, "unknown section type 0x%02llx",
				    (unsigned long long)type);
		}
	}
}

/* ---- header, configuration, tail --------------------------------------- */

static int config_caps(struct qw *w)
{
	uint64_t n;
	char cap[256];

	if (xsp_qw_rdbe(w, 4, &n, "the capability count"))
		return w->rc;
	if (n > 64)
		return fail(w, XS_ELIMIT, w->off - 4, "%llu capabilities", (unsigned long long)n);
	while (n--) {
		if (xsp_qw_rdname(w, cap, "a capability name"))
			return w->rc;
		if (!strcmp(cap, "x-ignore-shared"))
			w->qs->caps |= XS_QCAP_IGNORE_SHARED;
		else if (!strcmp(cap, "mapped-ram"))
			w->qs->caps |= XS_QCAP_MAPPED_RAM;
		else
			w->qs->caps |= XS_QCAP_OTHER;
	}
	return 0;
}

static int configuration(struct qw *w)
{
	uint64_t len, ver;
	const uint8_t *p;
	char name[256];
	size_t got;

	if (xsp_qw_rdbe(w, 4, &len, "the machine type length"))
		return w->rc;
	if (len == 0 || len >= sizeof(w->qs->machine))
		return fail(w, XS_EFORMAT, w->off - 4, "machine type name of %llu bytes",
			    (unsigned long long)len);
	if (!(p = xsp_qw_need(w, w->off, len, "the machine type")))
		return w->rc;
	memcpy(w->qs->machine, p, len);
	w->qs->machine[len] = 0;
	w->off += len;
	w->qs->have_config = true;
	for (;;) {
		uint64_t at = w->off;

		if (!(p = xsp_qw_peek(w, w->off, 1, &got)))
			return w->rc;
		if (!got || p[0] != QS_SUB)
			return 0;
		w->off++;
		if (xsp_qw_rdname(w, name, "a configuration subsection name") ||
		    xsp_qw_rdbe(w, 4, &ver, "a subsection version"))
			return w->rc;
		if (!strcmp(name, "configuration/capabilities")) {
			if (config_caps(w))
				return w->rc;
		} else if (!strcmp(name, "configuration/uuid"))
			w->off += 16;
		else if (!strcmp(name, "configuration/target-page-bits"))
			w->off += 4;
		else
			return fail(w, XS_EUNKNOWN, at, "unknown configuration subsection '%s'",
				    name);
	}
}

/* Read the vmdesc at w->off (the 0x06 byte) whole into *json. */
static int read_vmdesc(struct qw *w, char **json)
{
	uint64_t len, done = 0;
	char *buf;

	w->qs->vmdesc_off = w->off;
	w->off++;
	if (xsp_qw_rdbe(w, 4, &len, "the vmdesc length"))
		return w->rc;
	if (len > XS_QVMDESC_MAX)
		return fail(w, XS_ELIMIT, w->off - 4, "vmdesc of %llu bytes is over the %u-byte limit",
			    (unsigned long long)len, XS_QVMDESC_MAX);
	if (!(buf = malloc(len + 1)))
		return fail(w, XS_ENOMEM, w->off, "out of memory");
	while (done < len) {
		size_t n = len - done < XS_QGET_MAX ? len - done : XS_QGET_MAX;
		const uint8_t *p = xsp_qw_need(w, w->off, n, "the vmdesc JSON");

		if (!p) {
			free(buf);
			return w->rc;
		}
		memcpy(buf + done, p, n);
		done += n;
		w->off += n;
	}
	buf[len] = 0;
	w->qs->have_vmdesc = true;
	w->qs->vmdesc_len = (uint32_t)len;
	*json = buf;
	return 0;
}

/* Every device section read agrees with the trailing vmdesc. */
static int cross_check(struct qw *w, const char *json)
{
	char why[XSP_VMDESC_WHY_LEN];
	uint64_t at = 0;
	struct xsp_vmdesc *v = xsp_vmdesc_parse(json, strlen(json), why, sizeof(why), &at);
	unsigned k = 0, ci = 0;

	if (!v)
		return fail(w, XS_EFORMAT, w->qs->vmdesc_off + VMDESC_HDR_LEN + at,
			    "vmdesc is not the JSON QEMU writes: %s", why);
	for (; k < w->nlog && !w->rc; k++) {
		const struct seclog *l = &w->log[k];
		const struct xsp_vdev *dev = xsp_vmdesc_dev(v, k);
		int64_t n = dev ? xsp_vdev_size(dev) : -1;

		if (!dev || !xsp_vdev_is(dev, l->name, l->instance))
			fail(w, XS_EFORMAT, l->off, "vmdesc disagrees with the stream: section '%s' "
			     "instance %llu is not listed there", l->name,
				    (unsigned long long)l->instance);
		else if (n < 0 || (uint64_t)n != l->body_len)
			fail(w, XS_EFORMAT, l->off, "vmdesc disagrees with the stream: section '%s' "
			     "body is %llu bytes here", l->name, (unsigned long long)l->body_len);
		else if (!strcmp(l->name, "cpu") && ci < w->qs->ncpu) {
			struct xs_qcpu *c = &w->qs->cpu[ci++];

			if (!xsp_vdev_check_cpu(dev, c, c->vmdesc_check, sizeof(c->vmdesc_check)))
				fail(w, XS_EFORMAT, c->body_off, "vmdesc disagrees with cpu %u: %s",
				     c->instance, c->vmdesc_check);
		}
	}
	if (!w->rc && k < xsp_vmdesc_count(v))
		fail(w, XS_EFORMAT, w->qs->vmdesc_off, "vmdesc lists %llu device sections more "
		     "than the stream has", (unsigned long long)(xsp_vmdesc_count(v) - k));
	xsp_vmdesc_free(v);
	return w->rc;
}

/* The vmdesc the walk was given ahead, met again at the end: step over it. */
static int skip_vmdesc(struct qw *w)
{
	uint64_t len;
	size_t listed = xsp_vmdesc_count(w->desc);

	w->qs->vmdesc_off = w->off;
	w->off++;
	if (xsp_qw_rdbe(w, 4, &len, "the vmdesc length"))
		return w->rc;
	if (w->src->end != UINT64_MAX && len > w->src->end - w->off)
		return fail(w, XS_ETRUNC, w->src->end, "stream ends inside the vmdesc (%llu bytes)",
			    (unsigned long long)len);
	w->off += len;
	w->qs->have_vmdesc = true;
	w->qs->vmdesc_len = (uint32_t)len;
	if (w->desc_idx < listed)
		return fail(w, XS_EFORMAT, w->qs->vmdesc_off, "vmdesc lists %llu device sections "
			    "more than the stream has", (unsigned long long)(listed - w->desc_idx));
	return 0;
}

/*
 * Nothing may follow the stream's end but zero padding: in a source of known
 * length (a file, bytes in memory) up to its end, as reading it costs no more
 * than its size (a hole reads fast); in one whose length is unknown (data
 * being decompressed, a pipe) MAX_TAIL_ZEROS bytes at most.
 */
static int tail_padding(struct qw *w)
{
	uint64_t end = w->off;
	const uint8_t *p;
	size_t got;

	for (;;) {
		if (!(p = xsp_qw_peek(w, w->off, XS_QGET_MAX, &got)))
			return w->rc;
		if (!got)
			return 0;
		for (size_t i = 0; i < got; i++)
			if (p[i])
				return fail(w, XS_EFORMAT, w->off + i, "unexpected data after the "
					    "end of the stream (byte 0x%02x)", p[i]);
		w->off += got;
		if (w->src->end == UINT64_MAX && w->off - end > MAX_TAIL_ZEROS)
			return fail(w, XS_ELIMIT, end + MAX_TAIL_ZEROS, "more than %u KiB of zero "
				    "padding after the end of the stream (it ends at 0x%llx)",
				    MAX_TAIL_ZEROS >> 10, (unsigned long long)end);
	}
}

static int tail(struct qw *w)
{
	struct xs_qstream *qs = w->qs;
	char *json = NULL;
	const uint8_t *p;
	size_t got;

	if (!(p = xsp_qw_peek(w, w->off, 1, &got)))
		return w->rc;
	if (got && p[0] == QS_VMDESC) {
		if (w->desc) {
			/* Sized and checked by it all along: only the count is left. */
			if (skip_vmdesc(w))
				return w->rc;
		} else {
			if (read_vmdesc(w, &json))
				return w->rc;
			cross_check(w, json);
			free(json);
			if (w->rc)
				return w->rc;
		}
	}
	qs->end = w->off;
	return tail_padding(w);
}

static int header(struct qw *w)
{
	uint64_t magic, ver;
	const uint8_t *p;
	size_t got;

	w->off = w->src->start;
	if (xsp_qw_rdbe(w, 4, &magic, "the QEVM magic"))
		return w->rc;
	if (magic != XS_QEVM_MAGIC)
		return fail(w, XS_EFORMAT, w->off - 4, "not a QEMU migration stream (magic "
			    "0x%08llx, expected \"QEVM\")", (unsigned long long)magic);
	if (xsp_qw_rdbe(w, 4, &ver, "the stream version"))
		return w->rc;
	w->qs->version = (uint32_t)ver;
	if (ver != XS_QEVM_VERSION)
		return fail(w, XS_EUNKNOWN, w->off - 4, "stream version %llu (expected 3)",
			    (unsigned long long)ver);
	if (!(p = xsp_qw_peek(w, w->off, 1, &got)))
		return w->rc;
	if (got && p[0] == QS_CONFIG) {
		w->off++;
		return configuration(w);
	}
	return 0;
}

/* The cpu sections' copies, and the stream back to empty. */
static void clear(struct xs_qstream *qs)
{
	for (unsigned i = 0; qs->cpu && i < qs->ncpu; i++)
		free(qs->cpu[i].body);
	free(qs->cpu);
	memset(qs, 0, sizeof(*qs));
}

int xs_qstream_parse(struct xs_qstream **out, const struct xs_qsrc *src, const char *vmdesc,
		     size_t vmdesc_len, struct xs_diag *d)
{
	struct xs_qstream *qs = calloc(1, sizeof(*qs));
	struct qw w = { .qs = qs, .src = src, .d = d, .last_blk = -1 };

	*out = NULL;
	if (!qs)
		return XS_FAIL(d, XS_ENOMEM, "out of memory");
	if (vmdesc)
		w.desc = xsp_vmdesc_parse(vmdesc, vmdesc_len, NULL, 0, NULL);
	if (!header(&w) && !walk(&w, UINT64_MAX))
		tail(&w);
	xsp_vmdesc_free(w.desc);
	free(w.blk);
	free(w.log);
	if (w.rc)
		xs_qstream_free(qs);
	else
		*out = qs;
	return w.rc;
}

int xs_qstream_parse_hooked(struct xs_qstream **out, const struct xs_qsrc *src,
			    const struct xs_qhooks *h, struct xs_diag *d)
{
	struct xs_qstream *qs = calloc(1, sizeof(*qs));
	struct qw w = { .qs = qs, .src = src, .d = d, .last_blk = -1, .hooks = h };

	*out = qs;	/* the stream as read so far, for the hooks */
	if (!qs)
		return XS_FAIL(d, XS_ENOMEM, "out of memory");
	if (!header(&w) && !walk(&w, UINT64_MAX))
		tail(&w);
	free(w.blk);
	free(w.log);
	if (w.rc) {
		xs_qstream_free(qs);
		*out = NULL;
	}
	return w.rc;
}

/* RAM_SAVE_FLAG_EOS (migration/ram.h), the last record of every ram section body. */
#define RAM_EOS_FLAG 0x10u
/* How the last ram section ends: the be64 EOS record, then its footer (0x7e, be32 id). */
#define RAM_END_LEN 13

/* Bytes the device sections take, header and footer included, from the vmdesc list. */
static bool devices_size(const struct xsp_vmdesc *v, uint64_t *sum, char *why, size_t whylen)
{
	*sum = 0;
	for (size_t i = 0; i < xsp_vmdesc_count(v); i++) {
		const struct xsp_vdev *dev = xsp_vmdesc_dev(v, i);
		const char *name = xsp_vdev_name(dev);
		int64_t n = xsp_vdev_size(dev);

		if (!name || !*name || strlen(name) > 255 || n < 0 || !xsp_vdev_instance(dev, NULL)) {
			snprintf(why, whylen, "vmdesc device %zu is malformed", i);
			return false;
		}
		/* 0x04, be32 id, u8 name length, name, be32 instance, be32 version; footer. */
		*sum += 14 + strlen(name) + (uint64_t)n + 5;
	}
	return true;
}

/*
 * Where the device sections must start, from the vmdesc's sizes, given the
 * head walked up to w->off: just after the last RAM section's EOS record and
 * footer.  0 with *bound; 1 when it cannot be used (*why says why); -1 when
 * the source fails there (w->rc).
 */
static int devices_bound(struct qw *w, uint64_t vmdesc_off, uint64_t *bound, char *why,
			 size_t whylen)
{
	const char *refuse = w->qs->caps & XS_QCAP_MAPPED_RAM ?
		"mapped-ram (the walk seeks past the pages already)" :
		!w->niter ? "no RAM section starts the stream" :
		!w->qs->footers ? "no section footers to confirm the boundary with" : NULL;
	uint64_t head_end = w->off, sum;
	const uint8_t *p;
	bool ram_id = false;

	if (refuse) {
		snprintf(why, whylen, "%s", refuse);
		return 1;
	}
	if (!devices_size(w->desc, &sum, why, whylen))
		return 1;
	if (vmdesc_off < head_end || vmdesc_off - head_end < sum + 1 + RAM_END_LEN) {
		snprintf(why, whylen, "the vmdesc's device sizes (%llu bytes) do not fit before "
			 "it", (unsigned long long)sum);
		return 1;
	}
	*bound = vmdesc_off - 1 - sum;
	if (!(p = xsp_qw_need(w, *bound - RAM_END_LEN, RAM_END_LEN, "the end of the RAM section")))
		return -1;
	for (unsigned i = 0; i < w->niter; i++)
		ram_id |= w->iter[i] == xs_be_get(p + 9, 4);
	if (xs_be_get(p, 8) != RAM_EOS_FLAG || p[8] != QS_FOOTER || !ram_id) {
		snprintf(why, whylen, "no RAM section end (EOS record and footer) at 0x%llx, "
			 "just before where the vmdesc's sizes put the device sections",
			 (unsigned long long)(*bound - RAM_END_LEN));
		return 1;
	}
	return 0;
}

int xs_qstream_parse_devices(struct xs_qstream **out, const struct xs_qsrc *src,
			     const char *vmdesc, size_t vmdesc_len, uint64_t vmdesc_off, char *why,
			     size_t whylen)
{
	struct xs_diag dd = { 0 };
	struct xs_qstream *qs = calloc(1, sizeof(*qs));
	struct qw w = { .qs = qs, .src = src, .d = &dd, .last_blk = -1, .head_only = true };
	uint64_t bound = 0;
	int ret = 1, found;

	*out = NULL;
	why[0] = 0;
	if (!qs) {
		snprintf(why, whylen, "out of memory");
		return 1;
	}
	w.desc = xsp_vmdesc_parse(vmdesc, vmdesc_len, NULL, 0, NULL);
	if (!w.desc) {
		snprintf(why, whylen, "the vmdesc has no \"devices\" array");
		goto out;
	}
	if (header(&w) || walk(&w, UINT64_MAX))
		goto failed;
	found = devices_bound(&w, vmdesc_off, &bound, why, whylen);
	if (found < 0)
		goto failed;
	if (found)
		goto out;
	w.off = bound;
	w.head_only = false;
	w.devices_only = true;
	if (walk(&w, UINT64_MAX) || tail(&w))
		goto failed;
	if (qs->vmdesc_off != vmdesc_off || !qs->have_vmdesc) {
		snprintf(why, whylen, "the device sections end at 0x%llx, not at the vmdesc "
			 "(0x%llx)", (unsigned long long)qs->vmdesc_off,
			 (unsigned long long)vmdesc_off);
		goto out;
	}
	ret = 0;
	goto out;
failed:
	if (w.rc == -XS_EIO && !dd.msg[0]) {
		ret = -XS_EIO;	/* the source's error, printed by it */
		goto out;
	}
	snprintf(why, whylen, "%s at 0x%llx", dd.msg, (unsigned long long)dd.off);
out:
	if (ret)
		xs_qstream_free(qs);
	else
		*out = qs;
	xsp_vmdesc_free(w.desc);
	free(w.blk);
	free(w.log);
	return ret;
}

void xs_qstream_free(struct xs_qstream *qs)
{
	if (!qs)
		return;
	clear(qs);
	free(qs);
}

uint64_t xs_qstream_fact(const struct xs_qstream *qs, enum xs_qfact f)
{
	switch (f) {
	case XS_QF_VERSION: return qs->version;
	case XS_QF_CAPS: return qs->caps;
	case XS_QF_FOOTERS: return qs->footers;
	case XS_QF_RAM_BLOCKS: return qs->ram_blocks;
	case XS_QF_RAM_BYTES: return qs->ram_total;
	case XS_QF_PAGES: return qs->pages;
	case XS_QF_ZERO_PAGES: return qs->zero_pages;
	case XS_QF_XBZRLE_PAGES: return qs->xbzrle_pages;
	case XS_QF_COMPRESSED_PAGES: return qs->compressed_pages;
	case XS_QF_MULTIFD_FLUSHES: return qs->flushes;
	case XS_QF_MAPPED_RAM_BYTES: return qs->mapped_pages_bytes;
	case XS_QF_DEVICE_SECTIONS: return qs->full_sections;
	case XS_QF_PACKAGED: return qs->packaged;
	case XS_QF_POSTCOPY_ADVISED: return qs->postcopy_advised;
	case XS_QF_PAGESIZE_SUMMARY: return qs->pagesize_summary;
	case XS_QF_VMDESC: return qs->have_vmdesc;
	case XS_QF_VMDESC_OFFSET: return qs->vmdesc_off;
	case XS_QF_VMDESC_LEN: return qs->vmdesc_len;
	case XS_QF_END: return qs->end;
	}
	return 0;
}

const char *xs_qstream_machine(const struct xs_qstream *qs)
{
	return qs->have_config ? qs->machine : NULL;
}

unsigned xs_qstream_ncpu(const struct xs_qstream *qs)
{
	return qs->ncpu;
}

struct xs_qcpu *xs_qstream_cpu(const struct xs_qstream *qs, unsigned i)
{
	return i < qs->ncpu ? &qs->cpu[i] : NULL;
}

static const uint8_t *mem_get(void *ctx, uint64_t off, size_t n, size_t *have)
{
	const struct xs_qmem *m = ctx;

	if (off > m->len || m->len - off < n) {
		*have = off < m->len ? (size_t)(m->len - off) : 0;
		return NULL;
	}
	return m->p + off;
}

void xs_qsrc_mem(struct xs_qsrc *src, struct xs_qmem *m, const uint8_t *p, size_t len)
{
	m->p = p;
	m->len = len;
	src->get = mem_get;
	src->ctx = m;
	src->start = 0;
	src->end = len;
}

bool xs_qstream_find_vmdesc(const uint8_t *tail_buf, size_t len, size_t *json_off,
			    size_t *json_len)
{
	size_t end = len;

	while (end && !tail_buf[end - 1])
		end--;
	if (end < 7 || tail_buf[end - 1] != '}')
		return false;
	/* Try every 0x06 from the end: its be32 length must reach exactly the last '}'. */
	for (size_t i = end - 6; i-- > 0;) {
		const uint8_t *p = memrchr(tail_buf, QS_VMDESC, i + 1);

		if (!p)
			return false;
		i = (size_t)(p - tail_buf);
		if (xs_be_get(p + 1, 4) == end - i - 5 && i && p[-1] == QS_EOF && p[5] == '{') {
			*json_off = i + 5;
			*json_len = end - i - 5;
			return true;
		}
	}
	return false;
}
