// SPDX-License-Identifier: MIT
/* QEMU stream pieces: the walk over a memory source, vmdesc sizes, the cpu section edits. */
#include <stdbool.h>
#include <string.h>

#include <xsave/qstream.h>

#include "../../lib/qemu_priv.h"
#include "check.h"

static size_t put(uint8_t *b, size_t at, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		b[at + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return at + n;
}

static size_t name(uint8_t *b, size_t at, const char *s)
{
	b[at++] = (uint8_t)strlen(s);
	memcpy(b + at, s, strlen(s));
	return at + strlen(s);
}

/* The stream up to the cpu section's top-level fields (header, RAM, the FULL header). */
static size_t build_head(uint8_t *b, uint64_t xcr0, uint64_t bv)
{
	size_t at = 0;

	at = put(b, at, 0x5145564d, 4);
	at = put(b, at, 3, 4);
	at = put(b, at, 0x01, 1);		/* ram START */
	at = put(b, at, 1, 4);
	at = name(b, at, "ram");
	at = put(b, at, 0, 4);
	at = put(b, at, 4, 4);
	at = put(b, at, 0x2000 | 0x04, 8);
	at = name(b, at, "pc.ram");
	at = put(b, at, 0x2000, 8);
	at = put(b, at, 0x08, 8);		/* PAGE 0 */
	at = name(b, at, "pc.ram");
	memset(b + at, 0x7e, 4096);		/* page data full of footer bytes */
	at += 4096;
	at = put(b, at, 0x1000 | 0x02 | 0x20, 8);	/* ZERO, CONTINUE */
	at = put(b, at, 0, 1);
	at = put(b, at, 0x10, 8);		/* EOS */
	at = put(b, at, 0x7e, 1);
	at = put(b, at, 1, 4);
	at = put(b, at, 0x04, 1);		/* cpu FULL */
	at = put(b, at, 2, 4);
	at = name(b, at, "cpu");
	at = put(b, at, 0, 4);
	at = put(b, at, 12, 4);
	memset(b + at, 0, QCPU_V12_LEN);
	put(b, at + QCPU_FPUC, 0x037f, 2);
	put(b, at + QCPU_MXCSR, 0x1f80, 4);
	put(b, at + QCPU_XMM, 0x1122334455667788ull, 8);	/* XMM0 low lane */
	put(b, at + QCPU_XCR0, xcr0, 8);
	put(b, at + QCPU_XSTATE_BV, bv, 8);
	put(b, at + QCPU_YMMH + 8, 0xa1a2a3a4a5a6a7a8ull, 8);	/* YMM0 bits 255:192 */
	return at + QCPU_V12_LEN;
}

/* A minimal stream: header, one RAM block with a page and a zero page, one cpu section, EOF. */
static size_t build(uint8_t *b, uint64_t xcr0, uint64_t bv)
{
	size_t at = build_head(b, xcr0, bv);

	at = put(b, at, 0x05, 1);		/* cpu/pkru */
	at = name(b, at, "cpu/pkru");
	at = put(b, at, 1, 4);
	at = put(b, at, 0x55555554, 4);
	at = put(b, at, 0x7e, 1);
	at = put(b, at, 2, 4);
	return put(b, at, 0x00, 1);		/* EOF */
}

static void test_walk(void)
{
	static uint8_t b[8192];
	size_t len = build(b, 0x7, 0x207);
	struct xs_qmem m;
	struct xs_qsrc src;
	struct xs_qstream *qs;
	struct xs_qcpu *c0;
	struct xs_diag d = { 0 };
	struct xs_layout intel;
	uint8_t *img, orig[4096];
	size_t size;
	uint64_t holds;
	struct xs_qpatch p[8];
	unsigned np;

	xs_qsrc_mem(&src, &m, b, len);
	CHECK(xs_qstream_parse(&qs, &src, NULL, 0, &d) == 0, "walk: %s", d.msg);
	if (!qs) {
		CHECK(0, "no stream: %s", d.msg);
		return;
	}
	c0 = xs_qstream_cpu(qs, 0);
	CHECK_U64(xs_qstream_ncpu(qs), 1, "one cpu section");
	CHECK(xs_qstream_cpu(qs, 1) == NULL, "no second one");
	CHECK_U64(xs_qstream_fact(qs, XS_QF_VERSION), 3, "stream version 3");
	CHECK_U64(xs_qstream_fact(qs, XS_QF_PAGES), 1, "one page");
	CHECK_U64(xs_qstream_fact(qs, XS_QF_ZERO_PAGES), 1, "one zero page");
	CHECK_U64(xs_qstream_fact(qs, XS_QF_RAM_BYTES), 0x2000, "RAM total");
	CHECK(xs_qstream_fact(qs, XS_QF_FOOTERS) && !xs_qstream_fact(qs, XS_QF_VMDESC),
	      "footers, no vmdesc");
	CHECK_U64(xs_qstream_fact(qs, (enum xs_qfact)9999), 0, "a fact the library does not know");
	CHECK_U64(c0->body_len, QCPU_V12_LEN + 1 + 1 + 8 + 4 + 4, "cpu body with pkru");
	CHECK_U64(c0->sub[XS_QSUB_PKRU], QCPU_V12_LEN + 14, "pkru body offset");
	CHECK_U64(xs_qcpu_xcr0(c0), 0x7, "env.xcr0");
	CHECK_U64(xs_qcpu_xstate_bv(c0), 0x207, "env.xstate_bv");

	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	CHECK(xs_qcpu_image(c0, &intel, &img, &size, &holds) == 0, "image");
	CHECK_U64(size, 4096, "image size");
	CHECK_U64(holds & 0x207, 0x207, "image holds x87 sse avx pkru");
	CHECK_U64(img[0] | img[1] << 8, 0x037f, "FCW little-endian");
	CHECK_U64(img[160], 0x88, "XMM0 byte 0");
	CHECK_U64(img[576 + 8], 0xa8, "YMM0 byte 24");
	CHECK_U64(img[2688] | img[2689] << 8 | img[2690] << 16 | (uint64_t)img[2691] << 24,
		  0x55555554, "PKRU");
	CHECK_U64(img[512] | img[513] << 8, 0x207, "XSTATE_BV");
	free(img);

	{
		uint64_t off;
		uint32_t blen;
		const uint8_t *body = xs_qcpu_body(c0, &off, &blen);

		CHECK(body == c0->body && off == c0->body_off && blen == c0->body_len,
		      "xs_qcpu_body: the section body");
		memcpy(orig, body, blen);
	}
	CHECK_U64(xs_qcpu_filter(c0, 0x7, 0x200), 5, "filter: bv byte + 4 PKRU bytes");
	np = xs_qcpu_patches(c0, orig, p, 8);
	CHECK_U64(np, 2, "two ranges (bv, pkru)");
	CHECK_U64(p[0].off, c0->body_off + QCPU_XSTATE_BV + 6, "first range at bv byte 6");
	CHECK_U64(p[1].len, 4, "pkru range is 4 bytes");
	xs_qstream_free(qs);

	/* Truncated anywhere: an error with an offset inside the input, never a crash. */
	for (size_t cut = 0; cut < len; cut += 97) {
		struct xs_qmem mc;
		struct xs_qsrc sc;
		int rc;

		xs_qsrc_mem(&sc, &mc, b, cut);
		rc = xs_qstream_parse(&qs, &sc, NULL, 0, &d);

		if (qs)
			CHECK(0, "cut at %zu: a stream after an error", cut);
		xs_qstream_free(qs);
		if (rc != -XS_ETRUNC || d.off > cut) {
			CHECK(0, "cut at %zu: rc %d off %llu", cut, rc, (unsigned long long)d.off);
			return;
		}
	}
	CHECK(1, "every 97th truncation is -XS_ETRUNC within the input");
}

/* A subsection header (QEMU_VM_SUBSECTION, name, version 1). */
static size_t sub(uint8_t *b, size_t at, const char *n)
{
	at = put(b, at, 0x05, 1);
	at = name(b, at, n);
	return put(b, at, 1, 4);
}

enum cet_shape { CET_ALL, CET_IBT_ONLY, CET_ORPHAN };

/*
 * QEMU 11.1's CET subsections (target/i386/machine.c; synthetic values): cpu/msr_pl0_ssp,
 * cpu/cet {u_cet, s_cet} with its nested cpu/cet_shstk {pl1_ssp, pl2_ssp, pl3_ssp,
 * int_ssp_table, guest_ssp}, then cpu/apx (R16-R31); CET_ORPHAN: cpu/cet_shstk alone.
 */
static size_t build_cet(uint8_t *b, enum cet_shape shape)
{
	size_t at = build_head(b, 0x80007, 0x80007);

	at = sub(b, at, "cpu/msr_pl0_ssp");
	at = put(b, at, 0xffffc90000a08ff8ull, 8);
	if (shape != CET_ORPHAN) {
		at = sub(b, at, "cpu/cet");
		at = put(b, at, 0x5, 8);
		at = put(b, at, 0x4, 8);
	}
	if (shape != CET_IBT_ONLY) {
		at = sub(b, at, "cpu/cet_shstk");
		for (unsigned i = 0; i < 5; i++)
			at = put(b, at, 0x6a50 + i, 8);
	}
	at = sub(b, at, "cpu/apx");
	for (unsigned r = 0; r < 16; r++)
		at = put(b, at, 0x1000 + r, 8);
	at = put(b, at, 0x7e, 1);
	at = put(b, at, 2, 4);
	return put(b, at, 0x00, 1);		/* EOF */
}

static void test_cet(void)
{
	static const struct { const char *name; uint32_t index; uint64_t v; } want[] = {
		{ "u_cet", 0x6a0, 0x5 }, { "s_cet", 0x6a2, 0x4 },
		{ "pl0_ssp", 0x6a4, 0xffffc90000a08ff8ull }, { "pl1_ssp", 0x6a5, 0x6a50 },
		{ "pl2_ssp", 0x6a6, 0x6a51 }, { "pl3_ssp", 0x6a7, 0x6a52 },
		{ "int_ssp_table", 0x6a8, 0x6a53 }, { "ssp", 0, 0x6a54 },
	};
	static uint8_t b[16384];
	size_t len, top = build_head(b, 0x80007, 0x80007);
	struct xs_qmsr m[8] = { 0 }, few[3];
	struct xs_layout intel;
	struct xs_diag d = { 0 };
	struct xs_qstream *qs;
	struct xs_qmem mem;
	struct xs_qsrc src;
	struct xs_qcpu *c;
	uint8_t *img;
	uint64_t holds;
	size_t size;
	bool same = true;

	len = build_cet(b, CET_ALL);
	xs_qsrc_mem(&src, &mem, b, len);
	CHECK(xs_qstream_parse(&qs, &src, NULL, 0, &d) == 0, "CET stream, no vmdesc: %s", d.msg);
	if (!qs)
		return;
	c = xs_qstream_cpu(qs, 0);
	top -= c->body_off;	/* (top: the end of the fields, as a body offset) */
	CHECK_U64(c->nsubs, 4, "four subsections (cpu/cet_shstk nested in cpu/cet)");
	CHECK_U64(c->sub[XS_QSUB_PL0_SSP], top + 1 + 16 + 4, "cpu/msr_pl0_ssp body");
	CHECK_U64(c->sub[XS_QSUB_CET], top + 29 + 1 + 8 + 4, "cpu/cet body");
	CHECK_U64(c->sub[XS_QSUB_SHSTK], top + 58 + 1 + 14 + 4, "cpu/cet_shstk body");
	CHECK_U64(c->sub[XS_QSUB_APX], top + 117 + 1 + 8 + 4, "cpu/apx body after them");
	CHECK_U64(c->body_len, top + 117 + 13 + 128, "the body ends at the footer");
	CHECK_U64(xs_qcpu_msrs(c, m, 8), 8, "eight CET values");
	for (unsigned i = 0; i < 8; i++)
		same &= m[i].name && !strcmp(m[i].name, want[i].name) &&
			m[i].index == want[i].index && m[i].value == want[i].v;
	CHECK(same, "each value, its name and MSR number, in the documented order");
	CHECK_U64(xs_qcpu_msrs(c, few, 3), 8, "room for 3: the count is still 8");
	CHECK(!strcmp(few[2].name, "pl0_ssp") && few[2].value == 0xffffc90000a08ff8ull,
	      "the first 3 filled");
	CHECK_U64(xs_qcpu_msrs(c, NULL, 0), 8, "a count without room");
	xs_layout_builtin(XS_VENDOR_INTEL, &intel);
	CHECK(xs_qcpu_image(c, &intel, &img, &size, &holds) == 0, "image");
	CHECK_U64(holds & (XS_BIT(11) | XS_BIT(12)), 0, "the image holds no CET component");
	CHECK_U64(holds & XS_BIT(XS_APX), XS_BIT(XS_APX), "APX placed");
	CHECK_U64(img[960] | img[961] << 8, 0x1000, "R16 at the standard offset 960");
	free(img);
	xs_qstream_free(qs);

	/* Cut anywhere inside the CET subsections: truncated, never misread. */
	for (size_t cut = build_head(b, 0x80007, 0x80007); cut < len - 6; cut++) {
		struct xs_qmem mc;
		struct xs_qsrc sc;
		int rc;

		xs_qsrc_mem(&sc, &mc, b, cut);
		rc = xs_qstream_parse(&qs, &sc, NULL, 0, &d);
		xs_qstream_free(qs);
		if (rc != -XS_ETRUNC || d.off > cut) {
			CHECK(0, "CET cut at %zu: rc %d off %llu", cut, rc, (unsigned long long)d.off);
			break;
		}
	}
	CHECK(1, "every cut from the cpu section's subsections to its footer: -XS_ETRUNC");

	len = build_cet(b, CET_IBT_ONLY);
	xs_qsrc_mem(&src, &mem, b, len);
	CHECK(xs_qstream_parse(&qs, &src, NULL, 0, &d) == 0, "IBT only: %s", d.msg);
	if (qs) {
		c = xs_qstream_cpu(qs, 0);
		CHECK_U64(xs_qcpu_msrs(c, m, 8), 3, "IBT only: u_cet, s_cet, pl0_ssp");
		CHECK_U64(c->sub[XS_QSUB_SHSTK], (uint64_t)-1, "no cpu/cet_shstk");
		CHECK(!strcmp(m[2].name, "pl0_ssp"), "in order");
	}
	xs_qstream_free(qs);

	len = build_cet(b, CET_ORPHAN);
	xs_qsrc_mem(&src, &mem, b, len);
	CHECK(xs_qstream_parse(&qs, &src, NULL, 0, &d) == -XS_EFORMAT && !qs &&
	      strstr(d.msg, "'cpu/cet_shstk' outside"), "cpu/cet_shstk at the top level: %s",
	      d.msg);
	CHECK_U64(d.off, build_head(b, 0x80007, 0x80007) + 29, "at its header");
}

/* What the hooks of a walk saw (xs_qstream_parse_hooked). */
struct seen {
	uint64_t rel[64], cpu_off, rel_at_cpu;
	unsigned nrel, ncpu;
	int cpu_rc;
};

static int seen_release(void *ctx, uint64_t off)
{
	struct seen *s = ctx;

	if (s->nrel < 64)
		s->rel[s->nrel++] = off;
	return 0;
}

static int seen_cpu(void *ctx, struct xs_qstream *qs, unsigned idx)
{
	struct seen *s = ctx;

	s->ncpu++;
	s->cpu_off = xs_qcpu_offset(xs_qstream_cpu(qs, idx));
	s->rel_at_cpu = s->nrel ? s->rel[s->nrel - 1] : 0;
	return s->cpu_rc;
}

static void test_hooks(void)
{
	static uint8_t b[8192];
	size_t len = build(b, 0x7, 0x207);
	struct xs_qmem m;
	struct xs_qsrc src;
	struct xs_qstream *qs;
	struct xs_diag d = { 0 };
	struct seen s = { 0 };
	struct xs_qhooks h = { .cpu = seen_cpu, .release = seen_release, .ctx = &s };
	bool rising = true;

	xs_qsrc_mem(&src, &m, b, len);
	CHECK(xs_qstream_parse_hooked(&qs, &src, &h, &d) == 0, "hooked walk: %s", d.msg);
	CHECK_U64(s.ncpu, 1, "cpu hook called once");
	/* EOF, footer, body (fields and pkru), header (type, id, name, instance, version) */
	CHECK_U64(s.cpu_off, len - 1 - 5 - (QCPU_V12_LEN + 18) - 17, "with the section's header");
	CHECK_U64(s.rel_at_cpu, s.cpu_off, "released up to the cpu section's header, not into it");
	for (unsigned i = 1; i < s.nrel; i++)
		rising &= s.rel[i] >= s.rel[i - 1];
	CHECK(rising && s.nrel >= 5, "releases never go back (%u of them)", s.nrel);
	CHECK_U64(s.rel[s.nrel - 1], len - 1, "the last release is the EOF byte, held");
	CHECK_U64(s.rel[0], 8, "the first at the first section");
	xs_qstream_free(qs);

	memset(&s, 0, sizeof(s));
	s.cpu_rc = -XS_EIO;
	CHECK(xs_qstream_parse_hooked(&qs, &src, &h, &d) == -XS_EIO && s.ncpu == 1 &&
	      s.rel[s.nrel - 1] == s.cpu_off && !qs, "a refusing cpu hook stops the walk there");
}

static void test_vmdesc(void)
{
	const char *desc = "{\"devices\":[{\"name\":\"x\",\"instance_id\":0,\"fields\":["
			   "{\"name\":\"a\",\"array_len\":16,\"size\":8},{\"name\":\"b\",\"size\":3}],"
			   "\"subsections\":[{\"vmsd_name\":\"x/s\",\"fields\":[{\"name\":\"c\","
			   "\"size\":4}]}]}]}";
	struct xsp_vmdesc *v = xsp_vmdesc_parse(desc, strlen(desc), NULL, 0, NULL);
	const struct xsp_vdev *dev = xsp_vmdesc_dev(v, 0);
	uint8_t tail[64] = { 0 };
	char why[XSP_VMDESC_WHY_LEN];
	uint64_t at;
	size_t off, len;

	CHECK(v && xsp_vmdesc_count(v) == 1 && !xsp_vmdesc_dev(v, 1), "one device listed");
	CHECK(xsp_vdev_is(dev, "x", 0) && !xsp_vdev_is(dev, "x", 1), "its name and instance");
	CHECK_U64(xsp_vdev_size(dev), 128 + 3 + (6 + 3 + 4), "fields x array_len + subsection");
	CHECK_U64(xsp_vdev_sub_size(dev, "x/s"), 4, "subsection size");
	CHECK(xsp_vdev_sub_size(dev, "x/t") < 0, "absent subsection");
	xsp_vmdesc_free(v);
	CHECK(!xsp_vmdesc_parse("{\"devices\":{}}", 14, why, sizeof(why), &at) &&
	      !strcmp(why, "no \"devices\" array") && at == 14, "devices not an array: %s at %llu",
	      why, (unsigned long long)at);
	CHECK(!xsp_vmdesc_parse("{\"devices\":[1,}", 15, why, sizeof(why), &at) && at == 15 &&
	      strstr(why, "unexpected token"), "not JSON: %s at %llu", why, (unsigned long long)at);
	memcpy(tail + 10, "\x00\x06\x00\x00\x00\x02{}", 8);
	CHECK(xs_qstream_find_vmdesc(tail, 18, &off, &len) && off == 16 && len == 2, "vmdesc at end");
	CHECK(xs_qstream_find_vmdesc(tail, 40, &off, &len) && off == 16, "vmdesc before zero padding");
	tail[14] = 3;
	CHECK(!xs_qstream_find_vmdesc(tail, 18, &off, &len), "length that does not reach the end");
}

static void test_scan(void)
{
	const uint8_t a[] = { 1, 0x7e, 0, 0, 0, 9, 0x00, 0x00, 0x7e, 0, 0, 0, 9, 0x00, 0x06 };
	const uint8_t b[] = { 0x7e, 0, 0, 0, 9, 0x04, 0, 0, 0, 1, 3, 'c', 'p', 'u', 0, 0 };
	long weak;

	CHECK_U64(xsp_qscan_boundary(a, sizeof(a), 9, NULL, &weak), 8,
		  "footer followed by EOF + vmdesc, not EOF + junk");
	CHECK_U64(weak, 1, "the first footer is remembered as weak");
	CHECK_U64(xsp_qscan_boundary(b, sizeof(b), 9, NULL, &weak), 0, "footer followed by a section");
	CHECK(xsp_qscan_boundary(b, sizeof(b), 8, NULL, &weak) < 0, "another section's footer");
}

/* A source that records whether a window asked for inside [lo, hi) reached past hi + 1. */
struct asks {
	struct xs_qsrc inner;
	uint64_t lo, hi;
	uint64_t limit;		/* no window may reach past this (0: hi + 1) */
	unsigned inside;	/* windows asked for from inside */
	bool over;
};

static const uint8_t *asks_get(void *ctx, uint64_t off, size_t n, size_t *have)
{
	struct asks *a = ctx;

	if (off >= a->lo && off < a->hi) {
		a->inside++;
		a->over |= off + n > (a->limit ? a->limit : a->hi + 1);
	}
	return a->inner.get(a->inner.ctx, off, n, have);
}

/*
 * A live source (the relay) may not have one byte past the stream's end yet: a cpu section
 * is read in windows that end no further than the byte after it (here its footer's first),
 * through every subsection, nested ones included.
 */
static void test_exact_asks(void)
{
	static uint8_t b[16384];
	size_t len = build_cet(b, CET_ALL), top = build_head(b, 0x80007, 0x80007);
	struct xs_qmem m;
	struct asks a = { .lo = top - QCPU_V12_LEN, .hi = len - 6 };
	struct xs_qsrc src = { .get = asks_get, .ctx = &a };
	struct xs_qstream *qs;
	struct xs_diag d = { 0 };
	uint64_t boff;
	uint32_t blen;

	len = build_cet(b, CET_ALL);
	xs_qsrc_mem(&a.inner, &m, b, len);
	src.start = a.inner.start;
	src.end = a.inner.end;
	CHECK(xs_qstream_parse(&qs, &src, NULL, 0, &d) == 0, "walk: %s", d.msg);
	CHECK(!a.over, "no window asked for from inside the cpu section reaches past its end + 1");
	CHECK(a.inside >= 5, "the section asked for in steps (%u windows)", a.inside);
	xs_qcpu_body(xs_qstream_cpu(qs, 0), &boff, &blen);
	CHECK_U64(boff, a.lo, "the body where it starts");
	CHECK_U64(blen, len - 6 - a.lo, "the whole body read");
	xs_qstream_free(qs);
}

/*
 * A device section sized by its footer alone (no vmdesc: a live stream) is scanned in
 * windows from 512 bytes up, not 256 KiB at once: a live source holds what follows it, and a
 * window past the stream's end would wait on it.  Here 12 KiB follow the section.
 */
static void test_skip_asks(void)
{
	static uint8_t b[32768];
	size_t at = build(b, 0x7, 0x7) - 1, lo;	/* (its EOF byte dropped) */
	struct xs_qmem m;
	struct asks a = { 0 };
	struct xs_qsrc src = { .get = asks_get, .ctx = &a };
	struct xs_qstream *qs;
	struct xs_diag d = { 0 };

	at = put(b, at, 0x04, 1);		/* timer FULL, 100 bytes */
	at = put(b, at, 3, 4);
	at = name(b, at, "timer");
	at = put(b, at, 0, 4);
	at = put(b, at, 2, 4);
	lo = at;
	memset(b + at, 0x11, 100);
	at += 100;
	a.lo = lo;
	a.hi = at;
	at = put(b, at, 0x7e, 1);
	at = put(b, at, 3, 4);
	at = put(b, at, 0x04, 1);		/* a 12000-byte section after it */
	at = put(b, at, 4, 4);
	at = name(b, at, "blob");
	at = put(b, at, 0, 4);
	at = put(b, at, 1, 4);
	memset(b + at, 0x22, 12000);
	at += 12000;
	at = put(b, at, 0x7e, 1);
	at = put(b, at, 4, 4);
	at = put(b, at, 0x00, 1);		/* EOF */
	a.limit = at;
	xs_qsrc_mem(&a.inner, &m, b, at);
	src.start = a.inner.start;
	src.end = a.inner.end;
	CHECK(xs_qstream_parse(&qs, &src, NULL, 0, &d) == 0, "walk: %s", d.msg);
	CHECK(a.inside >= 1, "the section scanned (%u windows)", a.inside);
	CHECK(!a.over, "no window asked for from inside the skipped section reaches past the "
	      "stream's end");
	xs_qstream_free(qs);
}

int main(void)
{
	test_walk();
	test_cet();
	test_hooks();
	test_vmdesc();
	test_scan();
	test_exact_asks();
	test_skip_asks();
	return t_done("test_qstream");
}
