// SPDX-License-Identifier: MIT
/*
 * mkstream: QEMU migration streams for the tests, built from the format as
 * ../shared/reference/qemu-migration.md documents it, for what QEMU 7.2 on
 * this machine cannot write (mapped-ram, XBZRLE, compressed pages, postcopy
 * PACKAGED, newer subsections such as cpu/apx, AVX-512, AMX); and a patcher
 * that puts the fixture pattern into the cpu sections of a real stream.
 *
 *   mkstream [options] OUT            synthesize
 *     --vcpus N          cpu sections (default 1)
 *     --xcr0 M --bv M    env.xcr0 / env.xstate_bv (default 0x7 / 0x7)
 *     --subs LIST        cpu subsections: avx512,pkru,mpx,amx,apx,xss,fpop,future;
 *                        QEMU 11's CET state (synthetic: TCG writes none): pl0_ssp
 *                        (cpu/msr_pl0_ssp), cet (cpu/cet), shstk (its nested
 *                        cpu/cet_shstk); malformed: shstk-orphan (cpu/cet_shstk at
 *                        the top level), cet-short (cpu/cet of 8 bytes)
 *     --xfd M            a cpu/msr_xfd subsection with IA32_XFD = M (AMX guests)
 *     --ram KIND         plain (default), zero, xbzrle, compress, flush, mapped,
 *                        ignore-shared (x-ignore-shared: block addresses)
 *     --switchover       a SWITCHOVER_START command (QEMU 10.0+) before the last RAM part
 *     --postcopy         ADVISE, hugepage block, cpu sections inside PACKAGED
 *     --no-vmdesc        omit the trailing vmdesc
 *     --no-footers       omit section footers (pc-*-2.3 style)
 *     --no-config        omit the configuration section (send-configuration=off)
 *     --cpu-version V    11 or 12 (default 12)
 *     --libvirt raw|gzip wrap in a libvirt save header
 *     --domain NAME      its domain's <name> (default synthetic); --uuid U adds a <uuid>
 *     --gzip             gzip the whole file (exec:gzip)
 *     --bad-vmdesc       a vmdesc whose "timer" entry is 8 bytes too long
 *     --zero-records N   N zero-page records (one page, sent again) in the last RAM part
 *     --ram-mib N        the RAM block is N MiB (default 64 KiB)
 *     --pages N          N more normal pages (4 KiB of data each) in the last RAM part
 *     --page-data KIND   their data: same (default: every page alike), nibbles (random
 *                        bytes below 16, fixed seed: compresses about 2:1), alternate
 *                        (every other page zero bytes, nibbles between: the zero ones
 *                        copy each other through the whole part, as deflate sees it)
 *   mkstream --patch IN OUT --xcr0 M --bv M
 *     every cpu section of IN gets the pattern in XMM/YMM, MXCSR 0x9fc0, the
 *     x87 stack of the fixtures, and these env.xcr0 / env.xstate_bv.
 *
 * Pattern (../shared/fixtures/README.md): register i byte j =
 * (i*37 + j*3 + 1 + 64*vcpu) mod 256; ZMM bytes 32..63 and ZMM16-31 continue
 * the same formula; k-regs k_i = 0x0101010101010101 * (i+1); PKRU 0x55555554;
 * APX R16+i = 0x1000 + i; tile data byte b = b mod 251.  CET (QEMU 11.1's
 * target/i386/machine.c field order, all u64): cpu/cet {u_cet 0x5, s_cet
 * 0x4}; cpu/cet_shstk {pl1_ssp 0x1111000, pl2_ssp 0x2222000, pl3_ssp
 * 0x7ffd3333f000, int_ssp_table 0xffffffff82a00000, guest_ssp
 * 0x7ffd3333eff8 - 8*vcpu}; cpu/msr_pl0_ssp {pl0_ssp 0xffffc90000a08ff8}.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void need(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	while (b->len + n > b->cap)
		b->cap = b->cap ? 2 * b->cap : 4096;
	b->p = realloc(b->p, b->cap);
	if (!b->p) {
		perror("realloc");
		exit(1);
	}
}

static void put(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	need(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void be(struct buf *b, uint64_t v, unsigned n)
{
	uint8_t x[8];

	for (unsigned i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	put(b, x, n);
}

static void zeros(struct buf *b, size_t n)
{
	need(b, n);
	memset(b->p + b->len, 0, n);
	b->len += n;
}

static void name8(struct buf *b, const char *s)
{
	be(b, strlen(s), 1);
	put(b, s, strlen(s));
}

static void setbe(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint8_t pat(unsigned reg, unsigned byte, unsigned vcpu)
{
	return (uint8_t)(reg * 37 + byte * 3 + 1 + 64 * vcpu);
}

/* 64-bit lane @q of register @reg as QEMU stores it (big-endian lane value). */
static uint64_t lane(unsigned reg, unsigned q, unsigned vcpu)
{
	uint64_t v = 0;

	for (unsigned j = 8; j-- > 0;)
		v = v << 8 | pat(reg, q * 8 + j, vcpu);
	return v;
}

/* The x87 stack after fninit + fld1 fldpi fldl2t fldl2e fldlg2 fldln2 fldz fld1. */
static const struct { uint64_t mant; uint16_t exp; } x87[8] = {
	{ 0x8000000000000000ull, 0x3fff }, { 0, 0 },
	{ 0xb17217f7d1cf79acull, 0x3ffe }, { 0x9a209a84fbcff799ull, 0x3ffd },
	{ 0xb8aa3b295c17f0bcull, 0x3fff }, { 0xd49a784bcd1b8afeull, 0x4000 },
	{ 0xc90fdaa22168c235ull, 0x4000 }, { 0x8000000000000000ull, 0x3fff },
};

/* Fill the pattern fields of a version-12 top-level cpu body. */
static void pattern_top(uint8_t *body, unsigned vcpu, uint64_t xcr0, uint64_t bv, bool v12)
{
	setbe(body + 148, 0x037f, 2);
	setbe(body + 150, 0, 2);
	setbe(body + 152, 0xff, 2);
	setbe(body + 154, 0, 2);
	for (unsigned i = 0; i < 8; i++) {
		setbe(body + 156 + 10 * i, x87[i].mant, 8);
		setbe(body + 164 + 10 * i, x87[i].exp, 2);
	}
	setbe(body + 556, 0x9fc0, 4);
	for (unsigned r = 0; r < 16; r++) {
		setbe(body + 560 + 16 * r, lane(r, 0, vcpu), 8);
		setbe(body + 568 + 16 * r, lane(r, 1, vcpu), 8);
	}
	if (!v12)
		return;
	setbe(body + 1545, xcr0, 8);
	setbe(body + 1553, bv, 8);
	for (unsigned r = 0; r < 16; r++) {
		setbe(body + 1561 + 16 * r, lane(r, 2, vcpu), 8);
		setbe(body + 1569 + 16 * r, lane(r, 3, vcpu), 8);
	}
}

struct opts {
	unsigned vcpus, cpu_version;
	uint64_t xcr0, bv, xfd;
	bool have_xfd;
	const char *subs, *ram, *libvirt, *domain, *uuid, *page_data;
	bool postcopy, vmdesc, footers, gzip, bad_vmdesc, switchover, no_config;
	unsigned zero_records;
	uint64_t ram_len, pages;
};

static bool has(const struct opts *o, const char *s)
{
	const char *p = o->subs;
	size_t n = strlen(s);

	while (p && (p = strstr(p, s))) {
		if ((p == o->subs || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

/* One subsection: header, body; its vmdesc entry appended to @js. */
static void sub(struct buf *b, struct buf *js, const char *name, const uint8_t *body, size_t n)
{
	char j[256];

	be(b, 0x05, 1);
	name8(b, name);
	be(b, 1, 4);
	put(b, body, n);
	snprintf(j, sizeof(j), "%s{\"vmsd_name\":\"%s\",\"version\":1,\"fields\":[{\"name\":\"data\","
		 "\"type\":\"buffer\",\"size\":%zu}]}", js->len ? "," : "", name, n);
	put(js, j, strlen(j));
}

/* QEMU 11.0+'s CET subsections, in the order vmstate_x86_cpu lists them (before cpu/apx). */
static void cet_subs(struct buf *b, struct buf *js, const struct opts *o, unsigned vcpu)
{
	static const uint64_t shstk[4] = { 0x1111000, 0x2222000, 0x7ffd3333f000,
					   0xffffffff82a00000ull };
	uint8_t s[40];
	char j[512];

	if (has(o, "pl0_ssp")) {
		setbe(s, 0xffffc90000a08ff8ull, 8);
		sub(b, js, "cpu/msr_pl0_ssp", s, 8);
	}
	if (has(o, "cet-short")) {	/* malformed: 8 bytes where QEMU writes 16 */
		setbe(s, 0x5, 8);
		sub(b, js, "cpu/cet", s, 8);
	}
	for (unsigned i = 0; i < 4; i++)
		setbe(s + 8 * i, shstk[i], 8);
	setbe(s + 32, 0x7ffd3333eff8ull - 8 * vcpu, 8);
	if (has(o, "shstk-orphan"))	/* malformed: the child without its parent */
		sub(b, js, "cpu/cet_shstk", s, 40);
	if (!has(o, "cet"))
		return;
	be(b, 0x05, 1);
	name8(b, "cpu/cet");
	be(b, 1, 4);
	be(b, 0x5, 8);		/* env.u_cet: SH_STK_EN | ENDBR_EN */
	be(b, 0x4, 8);		/* env.s_cet: ENDBR_EN */
	if (has(o, "shstk")) {
		be(b, 0x05, 1);
		name8(b, "cpu/cet_shstk");
		be(b, 1, 4);
		put(b, s, 40);
	}
	/* its vmdesc entry: the fields, the nested subsection in its own list */
	snprintf(j, sizeof(j), "%s{\"vmsd_name\":\"cpu/cet\",\"version\":1,\"fields\":["
		 "{\"name\":\"env.u_cet\",\"type\":\"uint64\",\"size\":8},"
		 "{\"name\":\"env.s_cet\",\"type\":\"uint64\",\"size\":8}]%s}",
		 js->len ? "," : "", has(o, "shstk") ?
		 ",\"subsections\":[{\"vmsd_name\":\"cpu/cet_shstk\",\"version\":1,\"fields\":["
		 "{\"name\":\"env.pl1_ssp\",\"type\":\"uint64\",\"size\":8},"
		 "{\"name\":\"env.pl2_ssp\",\"type\":\"uint64\",\"size\":8},"
		 "{\"name\":\"env.pl3_ssp\",\"type\":\"uint64\",\"size\":8},"
		 "{\"name\":\"env.int_ssp_table\",\"type\":\"uint64\",\"size\":8},"
		 "{\"name\":\"env.guest_ssp\",\"type\":\"uint64\",\"size\":8}]}]" : "");
	put(js, j, strlen(j));
}

static void cpu_body(struct buf *b, struct buf *desc, const struct opts *o, unsigned vcpu)
{
	bool v12 = o->cpu_version == 12;
	size_t top = v12 ? 1817 : 1545, at = b->len;
	struct buf js = { 0 };
	uint8_t s[8256];
	char j[1024];

	zeros(b, top);
	pattern_top(b->p + at, vcpu, o->xcr0, o->bv, v12);
	if (has(o, "fpop")) {
		memset(s, 0, 18);
		setbe(s, 0x0123, 2);
		setbe(s + 2, 0x401000, 8);
		setbe(s + 10, 0x602000, 8);
		sub(b, &js, "cpu/fpop_ip_dp", s, 18);
	}
	if (has(o, "mpx")) {
		memset(s, 0, 88);
		for (unsigned i = 0; i < 4; i++) {
			setbe(s + 16 * i, 0x1000 * (i + 1), 8);
			setbe(s + 16 * i + 8, ~(uint64_t)(0x2000 * (i + 1)), 8);
		}
		setbe(s + 64, 0x1001, 8);	/* BNDCFGU */
		sub(b, &js, "cpu/mpx", s, 88);
	}
	if (has(o, "avx512")) {
		for (unsigned k = 0; k < 8; k++)
			setbe(s + 8 * k, 0x0101010101010101ull * (k + 1), 8);
		for (unsigned r = 0; r < 16; r++)
			for (unsigned q = 0; q < 4; q++)
				setbe(s + 64 + 32 * r + 8 * q, lane(r, 4 + q, vcpu), 8);
		for (unsigned r = 0; r < 16; r++)
			for (unsigned q = 0; q < 8; q++)
				setbe(s + 576 + 64 * r + 8 * q, lane(16 + r, q, vcpu), 8);
		sub(b, &js, "cpu/avx512", s, 1600);
	}
	if (has(o, "xss")) {
		setbe(s, 0x100, 8);
		sub(b, &js, "cpu/xss", s, 8);
	}
	if (has(o, "future")) {	/* a subsection this xsavectl has never heard of */
		memset(s, 0xa5, 24);
		sub(b, &js, "cpu/future_feature", s, 24);
	}
	if (has(o, "pkru")) {
		setbe(s, 0x55555554, 4);
		sub(b, &js, "cpu/pkru", s, 4);
	}
	if (o->have_xfd) {	/* env.msr_xfd, env.msr_xfd_err */
		memset(s, 0, 16);
		setbe(s, o->xfd, 8);
		sub(b, &js, "cpu/msr_xfd", s, 16);
	}
	if (has(o, "amx")) {
		memset(s, 0, 64);
		s[0] = 1;		/* palette 1 */
		for (unsigned t = 0; t < 8; t++) {
			s[16 + 2 * t] = 64;	/* colsb */
			s[48 + t] = 16;	/* rows */
		}
		for (unsigned i = 0; i < 8192; i++)
			s[64 + i] = (uint8_t)(i % 251);
		sub(b, &js, "cpu/intel_amx_xtile", s, 8256);
	}
	cet_subs(b, &js, o, vcpu);
	if (has(o, "apx")) {
		for (unsigned r = 0; r < 16; r++)
			setbe(s + 8 * r, 0x1000 + r, 8);
		sub(b, &js, "cpu/apx", s, 128);
	}
	/* vmdesc: the fields the reader checks, the rest as buffers. */
	snprintf(j, sizeof(j),
		 "{\"name\":\"cpu\",\"instance_id\":%u,\"vmsd_name\":\"cpu\",\"version\":%u,"
		 "\"fields\":[{\"name\":\"env.regs\",\"array_len\":16,\"type\":\"uint64\",\"size\":8},"
		 "{\"name\":\"gap0\",\"type\":\"buffer\",\"size\":20},"
		 "{\"name\":\"env.fpuc\",\"type\":\"uint16\",\"size\":2},"
		 "{\"name\":\"env.fpus_vmstate\",\"type\":\"uint16\",\"size\":2},"
		 "{\"name\":\"env.fptag_vmstate\",\"type\":\"uint16\",\"size\":2},"
		 "{\"name\":\"env.fpregs_format_vmstate\",\"type\":\"uint16\",\"size\":2},"
		 "{\"name\":\"gap1\",\"type\":\"buffer\",\"size\":400},"
		 "{\"name\":\"env.mxcsr\",\"type\":\"uint32\",\"size\":4},"
		 "{\"name\":\"env.xmm_regs[0]\",\"array_len\":16,\"type\":\"struct\",\"size\":16},"
		 "{\"name\":\"gap2\",\"type\":\"buffer\",\"size\":729}%s],\"subsections\":[",
		 vcpu, o->cpu_version, v12 ?
		 ",{\"name\":\"env.xcr0\",\"type\":\"uint64\",\"size\":8},"
		 "{\"name\":\"env.xstate_bv\",\"type\":\"uint64\",\"size\":8},"
		 "{\"name\":\"env.xmm_regs[1]\",\"array_len\":16,\"type\":\"struct\",\"size\":16}" : "");
	put(desc, j, strlen(j));
	if (js.len)
		put(desc, js.p, js.len);
	put(desc, "]}", 2);
	free(js.p);
}

static void footer(struct buf *b, const struct opts *o, uint32_t sid)
{
	if (o->footers) {
		be(b, 0x7e, 1);
		be(b, sid, 4);
	}
}

static void full_header(struct buf *b, uint32_t sid, const char *name, uint32_t inst, uint32_t ver)
{
	be(b, 0x04, 1);
	be(b, sid, 4);
	name8(b, name);
	be(b, inst, 4);
	be(b, ver, 4);
}

/* Device sections: "timer" (opaque to the reader), then cpu_common + cpu per vCPU. */
static void devices(struct buf *b, struct buf *desc, const struct opts *o)
{
	char j[256];

	full_header(b, 3, "timer", 0, 2);
	be(b, 0x1122334455667788ull, 8);
	be(b, 0x7e00000003ull, 8);	/* looks like a footer for our id, but is data */
	be(b, 0, 8);
	footer(b, o, 3);
	snprintf(j, sizeof(j), "{\"name\":\"timer\",\"instance_id\":0,\"vmsd_name\":\"timer\","
		 "\"version\":2,\"fields\":[{\"name\":\"cpu_ticks_offset\",\"type\":\"int64\","
		 "\"size\":8},{\"name\":\"dummy\",\"type\":\"int64\",\"size\":8},{\"name\":"
		 "\"cpu_clock_offset\",\"type\":\"int64\",\"size\":%d}]}", o->bad_vmdesc ? 16 : 8);
	put(desc, j, strlen(j));
	for (unsigned v = 0; v < o->vcpus; v++) {
		full_header(b, 4 + 2 * v, "cpu_common", v, 1);
		be(b, 1, 4);
		be(b, 0, 4);
		footer(b, o, 4 + 2 * v);
		snprintf(j, sizeof(j), ",{\"name\":\"cpu_common\",\"instance_id\":%u,\"vmsd_name\":"
			 "\"cpu_common\",\"version\":1,\"fields\":[{\"name\":\"halted\",\"type\":"
			 "\"uint32\",\"size\":4},{\"name\":\"interrupt_request\",\"type\":\"uint32\","
			 "\"size\":4}]},", v);
		put(desc, j, strlen(j));
		full_header(b, 5 + 2 * v, "cpu", v, o->cpu_version);
		cpu_body(b, desc, o, v);
		footer(b, o, 5 + 2 * v);
	}
}

#define RAM_LEN 0x10000u
#define HUGE_LEN 0x400000u

static void page(struct buf *b, uint64_t off, unsigned flags, const char *blk)
{
	be(b, off | flags, 8);
	if (!(flags & 0x20))
		name8(b, blk);
}

static void ram(struct buf *b, const struct opts *o, unsigned phase)
{
	uint8_t data[4096], z[4200];
	const char *k = o->ram;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	if (phase == 0) {		/* START: the block list */
		bool mapped = !strcmp(k, "mapped");

		be(b, 0x01, 1);
		be(b, 2, 4);
		name8(b, "ram");
		be(b, 0, 4);
		be(b, 4, 4);
		be(b, (o->ram_len + (o->postcopy ? HUGE_LEN : 0)) | 0x04, 8);
		name8(b, "pc.ram");
		be(b, o->ram_len, 8);
		if (!strcmp(k, "ignore-shared"))
			be(b, 0, 8);		/* the block's guest address */
		if (mapped) {
			uint64_t bitmap = b->len + 28, pages = (bitmap + 8 + 0xfffff) & ~0xfffffull;

			be(b, 1, 4);
			be(b, 4096, 8);
			be(b, bitmap, 8);
			be(b, pages, 8);
			zeros(b, pages - b->len);
			b->p[bitmap] = 0x01;	/* page 0 present */
			zeros(b, o->ram_len);
			memcpy(b->p + pages, data, 4096);
		}
		if (o->postcopy) {
			name8(b, "hugemem");
			be(b, HUGE_LEN, 8);
			be(b, 0x200000, 8);	/* its page size: only after POSTCOPY_ADVISE */
		}
		be(b, 0x10, 8);
		footer(b, o, 2);
		return;
	}
	be(b, phase == 1 ? 0x02 : 0x03, 1);
	be(b, 2, 4);
	if (!strcmp(k, "mapped")) {
		be(b, 0x10, 8);
		footer(b, o, 2);
		return;
	}
	if (phase == 1) {
		page(b, 0, 0x08, "pc.ram");
		put(b, data, sizeof(data));
		page(b, 0x1000, 0x08 | 0x20, "pc.ram");
		put(b, data, sizeof(data));
		if (!strcmp(k, "zero") || !strcmp(k, "plain")) {
			page(b, 0x2000, 0x02 | 0x20, "pc.ram");
			be(b, 0, 1);
		} else if (!strcmp(k, "xbzrle")) {
			page(b, 0x1000, 0x40 | 0x20, "pc.ram");
			be(b, 1, 1);
			be(b, 4, 2);	/* run 1 of 1 unchanged... encoded as zrun/nzrun bytes */
			be(b, 0x01020304, 4);
		} else if (!strcmp(k, "compress")) {
			uLongf n = sizeof(z);

			compress(z, &n, data, sizeof(data));
			page(b, 0x2000, 0x100 | 0x20, "pc.ram");
			be(b, n, 4);
			put(b, z, n);
		} else if (!strcmp(k, "flush")) {
			be(b, 0x200, 8);
		}
		if (o->postcopy) {
			page(b, 0x200000, 0x08, "hugemem");
			put(b, data, sizeof(data));
		}
	} else {
		for (unsigned i = 0; i < o->zero_records; i++) {
			page(b, 0x3000, 0x02 | (i ? 0x20 : 0), "pc.ram");
			be(b, 0, 1);
		}
		uint64_t seed = 0x9e3779b97f4a7c15ull;
		uint8_t fresh[4096], zero[4096] = { 0 };

		for (uint64_t i = 0; i < o->pages; i++) {
			bool nib = !strcmp(o->page_data, "nibbles") ||
				   (!strcmp(o->page_data, "alternate") && (i & 1));

			page(b, (i * 4096) % o->ram_len, 0x08 | (i || o->zero_records ? 0x20 : 0),
			     "pc.ram");
			for (unsigned j = 0; nib && j < sizeof(fresh); j++) {
				seed ^= seed << 13;	/* xorshift64 */
				seed ^= seed >> 7;
				seed ^= seed << 17;
				fresh[j] = (uint8_t)(seed >> 32) & 0x0f;
			}
			put(b, nib ? fresh : !strcmp(o->page_data, "alternate") ? zero : data,
			    sizeof(data));
		}
	}
	be(b, 0x10, 8);
	footer(b, o, 2);
}

static void command(struct buf *b, unsigned cmd, const void *p, unsigned len)
{
	be(b, 0x08, 1);
	be(b, cmd, 2);
	be(b, len, 2);
	put(b, p, len);
}

static void synth(const struct opts *o, struct buf *b)
{
	struct buf desc = { 0 }, pk = { 0 };
	const char *caps = !strcmp(o->ram, "mapped") ? "mapped-ram"
			   : !strcmp(o->ram, "ignore-shared") ? "x-ignore-shared" : NULL;

	if (o->libvirt) {
		char xml[1024];
		int n = snprintf(xml, sizeof(xml), "<domain type='kvm'>\n  <name>%s</name>\n%s%s%s"
				 "</domain>\n", o->domain ? o->domain : "synthetic",
				 o->uuid ? "  <uuid>" : "", o->uuid ? o->uuid : "",
				 o->uuid ? "</uuid>\n" : "") + 1;
		uint32_t v[5] = { 2, (uint32_t)n + 65536, 1, !strcmp(o->libvirt, "gzip"), 0 };

		put(b, "LibvirtQemudSave", 16);
		put(b, v, sizeof(v));	/* host (little-endian) order */
		zeros(b, 56);
		put(b, xml, (size_t)n);
		zeros(b, 65536);
	}
	be(b, 0x5145564d, 4);
	be(b, 3, 4);
	if (!o->no_config) {
		be(b, 0x07, 1);
		be(b, 13, 4);
		put(b, "pc-i440fx-7.2", 13);
	}
	if (caps && !o->no_config) {
		be(b, 0x05, 1);
		name8(b, "configuration/capabilities");
		be(b, 1, 4);
		be(b, 1, 4);
		name8(b, caps);
	}
	if (o->postcopy) {
		uint8_t adv[16] = { 0 };

		setbe(adv, 0x201000, 8);	/* page size summary: 4 KiB | 2 MiB */
		setbe(adv + 8, 4096, 8);
		command(b, 3, adv, 16);
		command(b, 1, NULL, 0);
	}
	put(&desc, "{\"page_size\":4096,\"devices\":[", 29);
	ram(b, o, 0);
	ram(b, o, 1);
	if (o->postcopy) {
		uint8_t n[4];

		command(&pk, 4, NULL, 0);		/* LISTEN */
		devices(&pk, &desc, o);
		setbe(n, 1, 4);
		command(&pk, 2, n, 4);			/* PING */
		command(&pk, 5, NULL, 0);		/* RUN */
		setbe(n, pk.len, 4);
		command(b, 7, n, 4);			/* PACKAGED */
		put(b, pk.p, pk.len);
		ram(b, o, 1);
		ram(b, o, 2);
	} else {
		if (o->switchover)
			command(b, 11, NULL, 0);	/* SWITCHOVER_START */
		ram(b, o, 2);
		devices(b, &desc, o);
	}
	be(b, 0x00, 1);
	put(&desc, "]}", 2);
	if (o->vmdesc && !o->postcopy) {
		be(b, 0x06, 1);
		be(b, desc.len, 4);
		put(b, desc.p, desc.len);
	}
	free(desc.p);
	free(pk.p);
}

static int patch(const char *in, const char *out, uint64_t xcr0, uint64_t bv)
{
	FILE *f = fopen(in, "rb");
	struct buf b = { 0 };
	uint8_t chunk[65536];
	size_t n;
	unsigned found = 0;

	if (!f) {
		perror(in);
		return 1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		put(&b, chunk, n);
	fclose(f);
	/* FULL header of a version-12 "cpu" section: 04 sid 03 "cpu" instance 0000000c. */
	for (size_t i = 0; i + 17 + 1817 <= b.len; i++) {
		const uint8_t *p = b.p + i;
		unsigned inst;

		if (p[0] != 4 || p[5] != 3 || memcmp(p + 6, "cpu", 3) ||
		    memcmp(p + 13, "\0\0\0\x0c", 4))
			continue;
		inst = (unsigned)p[9] << 24 | p[10] << 16 | p[11] << 8 | p[12];
		pattern_top(b.p + i + 17, inst, xcr0, bv, true);
		found++;
	}
	if (!found) {
		fprintf(stderr, "mkstream: %s: no version-12 cpu section\n", in);
		return 1;
	}
	f = fopen(out, "wb");
	if (!f || fwrite(b.p, 1, b.len, f) != b.len || fclose(f)) {
		perror(out);
		return 1;
	}
	free(b.p);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .vcpus = 1, .cpu_version = 12, .xcr0 = 7, .bv = 7, .ram = "plain", .page_data = "same",
			  .vmdesc = true, .footers = true, .zero_records = 1,
			  .ram_len = RAM_LEN };
	const char *out = NULL, *patch_in = NULL;
	struct buf b = { 0 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--vcpus") && v)
			o.vcpus = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--xcr0") && v)
			o.xcr0 = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--bv") && v)
			o.bv = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--xfd") && v) {
			o.xfd = strtoull(argv[++i], NULL, 0);
			o.have_xfd = true;
		} else if (!strcmp(a, "--subs") && v)
			o.subs = argv[++i];
		else if (!strcmp(a, "--ram") && v)
			o.ram = argv[++i];
		else if (!strcmp(a, "--cpu-version") && v)
			o.cpu_version = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--domain") && v)
			o.domain = argv[++i];
		else if (!strcmp(a, "--uuid") && v)
			o.uuid = argv[++i];
		else if (!strcmp(a, "--libvirt") && v)
			o.libvirt = argv[++i];
		else if (!strcmp(a, "--patch") && v)
			patch_in = argv[++i];
		else if (!strcmp(a, "--postcopy"))
			o.postcopy = true;
		else if (!strcmp(a, "--no-vmdesc"))
			o.vmdesc = false;
		else if (!strcmp(a, "--no-footers"))
			o.footers = false;
		else if (!strcmp(a, "--no-config"))
			o.no_config = true;
		else if (!strcmp(a, "--switchover"))
			o.switchover = true;
		else if (!strcmp(a, "--bad-vmdesc"))
			o.bad_vmdesc = true;
		else if (!strcmp(a, "--gzip"))
			o.gzip = true;
		else if (!strcmp(a, "--ram-mib") && v)
			o.ram_len = strtoull(argv[++i], NULL, 0) << 20;
		else if (!strcmp(a, "--pages") && v)
			o.pages = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--page-data") && v)
			o.page_data = argv[++i];
		else if (!strcmp(a, "--zero-records") && v)
			o.zero_records = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (a[0] != '-' && !out)
			out = a;
		else {
			fprintf(stderr, "mkstream: bad argument '%s'\n", a);
			return 2;
		}
	}
	if (!out) {
		fprintf(stderr, "usage: mkstream [options] OUT | mkstream --patch IN OUT ...\n");
		return 2;
	}
	if (patch_in)
		return patch(patch_in, out, o.xcr0, o.bv);
	synth(&o, &b);
	if (o.libvirt && !strcmp(o.libvirt, "gzip")) {
		/* Header raw, the stream after it gzip'ed (what libvirt's pipe to gzip writes). */
		size_t hdr = 92 + (size_t)(b.p[20] | b.p[21] << 8 | b.p[22] << 16 | b.p[23] << 24);
		FILE *f = fopen(out, "wb");
		gzFile gz;

		if (!f || fwrite(b.p, 1, hdr, f) != hdr || fclose(f))
			return perror(out), 1;
		gz = gzopen(out, "ab");
		if (!gz || gzwrite(gz, b.p + hdr, (unsigned)(b.len - hdr)) != (int)(b.len - hdr) ||
		    gzclose(gz) != Z_OK)
			return fprintf(stderr, "mkstream: %s: gzip failed\n", out), 1;
	} else if (o.gzip) {
		gzFile gz = gzopen(out, "wb");

		if (!gz || gzwrite(gz, b.p, (unsigned)b.len) != (int)b.len || gzclose(gz) != Z_OK)
			return fprintf(stderr, "mkstream: %s: gzip failed\n", out), 1;
	} else {
		FILE *f = fopen(out, "wb");

		if (!f || fwrite(b.p, 1, b.len, f) != b.len || fclose(f))
			return perror(out), 1;
	}
	free(b.p);
	return 0;
}
