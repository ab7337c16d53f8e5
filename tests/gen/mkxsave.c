// SPDX-License-Identifier: MIT
/*
 * mkxsave: write synthetic XSAVE images for the tests, from the documented
 * format (Intel SDM Vol. 1 ch. 13; AMD offsets as CPUID reports them on Zen).
 * Deliberately independent of libxsave: its own offset table is the oracle.
 *
 * Every component in --bv (minus --zero) holds the fixture pattern: vector
 * register i, byte j = (i*37 + j*3 + 1) mod 256 across XMM/YMM/ZMM; x87 after
 * "fninit; fld1; fldpi" (ST0 = pi, ST1 = 1, TOP = 6); MXCSR 0x9fc0; k_i =
 * 0x0101010101010101 * (i+1); PKRU 0x55555554; TILECFG palette 1, 16 rows x
 * 64 bytes; tile t byte b = (t*16 + b) mod 251; BND_i = {lb 0x1000*i, ub ~};
 * BNDCFGU 0x1001; R16+i = 0x1600 + i.
 *
 * usage: mkxsave -o OUT [--vendor intel|amd] [--bv M] [--zero M] [--size N]
 *        [--xcr0-sw M] [--sigframe] [--compacted XCOMP] [--xcomp V] [--reserved]
 *        [--mxcsr V] [--mxcsr-mask V] [--core PID]
 *
 * --core PID writes a minimal one-thread x86-64 ELF core instead (ELF header,
 * one PT_NOTE: NT_PRSTATUS with pr_pid = PID, NT_PRFPREG = the first 512
 * bytes, NT_X86_XSTATE = the image), for layouts no producer here can dump.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t img[1 << 16];
static uint32_t off[64];

static const uint32_t sizes[64] = {
	[2] = 256, [3] = 64, [4] = 64, [5] = 64, [6] = 512, [7] = 1024, [8] = 128, [9] = 8,
	[10] = 8, [11] = 16, [12] = 24, [13] = 8, [14] = 48, [15] = 808, [16] = 8,
	[17] = 64, [18] = 8192, [19] = 128,
};
static const uint64_t align64 = (1ULL << 17) | (1ULL << 18);

static void put(uint32_t o, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		img[o + i] = (uint8_t)(v >> (8 * i));
}

static void std_offsets(int amd)
{
	off[2] = 576;
	if (amd) {
		off[5] = 832, off[6] = 896, off[7] = 1408, off[9] = 2432;
	} else {
		off[3] = 960, off[4] = 1024, off[5] = 1088, off[6] = 1152, off[7] = 1664;
		off[9] = 2688, off[17] = 2752, off[18] = 2816, off[19] = 960;
	}
}

static uint32_t compacted_offsets(uint64_t xcomp)
{
	uint32_t pos = 576;

	for (unsigned i = 2; i < 63; i++) {
		if (!(xcomp & (1ULL << i)))
			continue;
		if (align64 & (1ULL << i))
			pos = (pos + 63) & ~63u;
		off[i] = pos;
		pos += sizes[i];
	}
	return pos;
}

static uint32_t std_end(uint64_t mask)
{
	uint32_t end = 576;

	for (unsigned i = 2; i < 64; i++)
		if ((mask & (1ULL << i)) && off[i] && off[i] + sizes[i] > end)
			end = off[i] + sizes[i];
	return end;
}

static void fill(uint64_t data)
{
	static const uint8_t pi[10] = { 0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40 };
	static const uint8_t one[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };

	if (data & 1) {
		put(2, 0x3000, 2);		/* FSW: TOP = 6 */
		img[4] = 0xc0;			/* abridged FTW: physical 6, 7 valid */
		memcpy(img + 32, pi, 10);
		memcpy(img + 48, one, 10);
	}
	for (unsigned i = 0; i < 32; i++)
		for (unsigned j = 0; j < 64; j++) {
			uint8_t b = (uint8_t)(i * 37 + j * 3 + 1);

			if (i < 16 && j < 16 && (data & 2))
				img[160 + 16 * i + j] = b;
			else if (i < 16 && j >= 16 && j < 32 && (data & 4))
				img[off[2] + 16 * i + j - 16] = b;
			else if (i < 16 && j >= 32 && (data & 0x40))
				img[off[6] + 32 * i + j - 32] = b;
			else if (i >= 16 && (data & 0x80))
				img[off[7] + 64 * (i - 16) + j] = b;
		}
	for (unsigned i = 0; i < 4 && (data & 8); i++) {
		put(off[3] + 16 * i, 0x1000ULL * i, 8);
		put(off[3] + 16 * i + 8, ~(0x2000ULL * i), 8);
	}
	if (data & 0x10)
		put(off[4], 0x1001, 8);
	for (unsigned i = 0; i < 8 && (data & 0x20); i++)
		put(off[5] + 8 * i, 0x0101010101010101ULL * (i + 1), 8);
	if (data & 0x200)
		put(off[9], 0x55555554, 4);
	if (data & (1 << 17)) {
		img[off[17]] = 1;
		for (unsigned t = 0; t < 8; t++) {
			put(off[17] + 16 + 2 * t, 64, 2);
			img[off[17] + 48 + t] = 16;
		}
	}
	for (unsigned b = 0; b < 8192 && (data & (1 << 18)); b++)
		img[off[18] + b] = (uint8_t)(((b / 1024) * 16 + b % 1024) % 251);
	for (unsigned i = 0; i < 16 && (data & (1 << 19)); i++)
		put(off[19] + 8 * i, 0x1600 + i, 8);
	/* Supervisor components (compacted only): a recognisable non-zero byte. */
	for (unsigned i = 8; i <= 16; i++)
		if (i != 9 && (data & (1ULL << i)) && off[i])
			img[off[i]] = 0xa5;
}

static size_t note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint32_t len)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1, at = 12;

	memcpy(p, &namesz, 4);
	memcpy(p + 4, &len, 4);
	memcpy(p + 8, &type, 4);
	memcpy(p + at, name, namesz);
	at += (namesz + 3) & ~3u;
	memcpy(p + at, desc, len);
	return at + ((len + 3) & ~3u);
}

/* ELF64 header + one PT_NOTE program header + the notes (System V gABI, x86-64 psABI). */
static int write_core(const char *out, uint32_t size, uint32_t pid)
{
	static uint8_t core[1 << 17];
	uint8_t prstatus[336] = { 0 };
	size_t n = 64 + 56;
	uint64_t notes_off = n, notes_len;
	uint16_t h16;
	uint32_t h32;
	uint64_t h64;

	memcpy(prstatus + 32, &pid, 4);
	n += note(core + n, "CORE", 1, prstatus, sizeof(prstatus));
	n += note(core + n, "CORE", 2, img, 512);
	n += note(core + n, "LINUX", 0x202, img, size);
	notes_len = n - notes_off;
	memcpy(core, "\177ELF\2\1\1", 7);
#define H(off, v, w) (h##w = (v), memcpy(core + (off), &h##w, sizeof(h##w)))
	H(16, 4, 16);		/* e_type ET_CORE */
	H(18, 62, 16);		/* e_machine EM_X86_64 */
	H(20, 1, 32);		/* e_version */
	H(32, 64, 64);		/* e_phoff */
	H(52, 64, 16);		/* e_ehsize */
	H(54, 56, 16);		/* e_phentsize */
	H(56, 1, 16);		/* e_phnum */
	H(64, 4, 32);		/* p_type PT_NOTE */
	H(64 + 8, notes_off, 64);
	H(64 + 32, notes_len, 64);
#undef H
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(core, 1, n, f) != n || fclose(f))
		return perror(out), 74;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t bv = 7, zero = 0, xcr0_sw = 0, xcomp = 0, raw_xcomp = 0;
	uint32_t mxcsr = 0x9fc0, mxcsr_mask = 0xffff, size = 0;
	int amd = 0, sigframe = 0, compacted = 0, reserved = 0, have_xcomp = 0;
	long core_pid = -1;
	const char *out = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";

#define ARG(name) (!strcmp(a, name) && ++i)
		if (ARG("-o"))
			out = v;
		else if (ARG("--vendor"))
			amd = !strcmp(v, "amd");
		else if (ARG("--bv"))
			bv = strtoull(v, NULL, 0);
		else if (ARG("--zero"))
			zero = strtoull(v, NULL, 0);
		else if (ARG("--size"))
			size = (uint32_t)strtoul(v, NULL, 0);
		else if (ARG("--xcr0-sw"))
			xcr0_sw = strtoull(v, NULL, 0);
		else if (ARG("--compacted"))
			compacted = 1, xcomp = strtoull(v, NULL, 0);
		else if (ARG("--xcomp"))
			have_xcomp = 1, raw_xcomp = strtoull(v, NULL, 0);
		else if (ARG("--mxcsr"))
			mxcsr = (uint32_t)strtoul(v, NULL, 0);
		else if (ARG("--mxcsr-mask"))
			mxcsr_mask = (uint32_t)strtoul(v, NULL, 0);
		else if (ARG("--core"))
			core_pid = strtol(v, NULL, 0);
		else if (!strcmp(a, "--sigframe"))
			sigframe = 1;
		else if (!strcmp(a, "--reserved"))
			reserved = 1;
		else {
			fprintf(stderr, "mkxsave: unknown argument '%s'\n", a);
			return 64;
		}
	}
	if (!out)
		return fprintf(stderr, "mkxsave: -o OUT is required\n"), 64;
	uint32_t need;
	if (compacted)
		need = compacted_offsets(xcomp);
	else
		std_offsets(amd), need = std_end(bv | xcr0_sw);
	if (!size)
		size = need;
	if (size > sizeof(img) || size < 576)
		return fprintf(stderr, "mkxsave: bad size %u\n", size), 64;
	put(0, 0x037f, 2);
	put(24, mxcsr, 4);
	put(28, mxcsr_mask, 4);
	fill(bv & ~zero);
	if (xcr0_sw)
		put(464, xcr0_sw, 8);
	if (sigframe) {
		put(464, 0x46505853, 4);
		put(468, need + 4, 4);
		put(472, bv, 8);
		put(480, need, 4);
	}
	put(512, bv, 8);
	if (compacted)
		put(520, xcomp | (1ULL << 63), 8);
	if (have_xcomp)
		put(520, raw_xcomp, 8);
	if (reserved)
		img[540] = 1;
	if (core_pid >= 0)
		return write_core(out, size, (uint32_t)core_pid);
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(img, 1, size, f) != size || fclose(f))
		return perror(out), 74;
	return 0;
}
