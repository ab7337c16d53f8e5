// SPDX-License-Identifier: MIT
/*
 * How far a gzip'ed ELF core may run when it is decompressed: to the end of
 * its ELF header, its program and section header tables and every range they
 * name (a segment's p_offset + p_filesz, a section's sh_offset + sh_size), as
 * the bytes decompressed so far tell, and never beyond CORE_GZIP_MAX.  Called
 * by io_decompress_to_tmp() after each piece: the tables are read from the
 * temporary file as they arrive.  Nothing here judges the core: libelf does,
 * once it is whole; this only stops a bomb.
 */
#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xsave/rd.h>

#include "exitcodes.h"
#include "fail.h"
#include "fmt/elf_extent.h"
#include "util.h"

/* Offsets in the ELF header (64-bit / 32-bit), as <elf.h> lays Elf64_Ehdr and Elf32_Ehdr out. */
#define EH_SIZE(c) ((c) ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr))
#define EH_PHOFF(c) ((c) ? offsetof(Elf64_Ehdr, e_phoff) : offsetof(Elf32_Ehdr, e_phoff))
#define EH_SHOFF(c) ((c) ? offsetof(Elf64_Ehdr, e_shoff) : offsetof(Elf32_Ehdr, e_shoff))
#define EH_PHENT(c) ((c) ? offsetof(Elf64_Ehdr, e_phentsize) : offsetof(Elf32_Ehdr, e_phentsize))
#define PHDR_SIZE(c) ((c) ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))
#define SHDR_SIZE(c) ((c) ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr))
/* A range in a table entry: where its offset and size fields are. */
#define PH_OFF(c) ((c) ? offsetof(Elf64_Phdr, p_offset) : offsetof(Elf32_Phdr, p_offset))
#define PH_SIZE(c) ((c) ? offsetof(Elf64_Phdr, p_filesz) : offsetof(Elf32_Phdr, p_filesz))
#define SH_OFF(c) ((c) ? offsetof(Elf64_Shdr, sh_offset) : offsetof(Elf32_Shdr, sh_offset))
#define SH_SIZE(c) ((c) ? offsetof(Elf64_Shdr, sh_size) : offsetof(Elf32_Shdr, sh_size))
#define SH_INFO(c) ((c) ? offsetof(Elf64_Shdr, sh_info) : offsetof(Elf32_Shdr, sh_info))
#define SH_TYPE offsetof(Elf64_Shdr, sh_type)	/* the same in both classes */
#define ENTRY_MAX sizeof(Elf64_Shdr)		/* the largest entry read */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* @n bytes at @off of the temporary file into @buf (all there: @off + @n <= what was written). */
static bool take(int fd, uint64_t off, void *buf, size_t n)
{
	return pread(fd, buf, n, (off_t)off) == (ssize_t)n;
}

static uint64_t word(const struct xs_rd *rd, size_t off, bool c64)
{
	uint64_t v64 = 0;
	uint32_t v32 = 0;

	if (c64)
		return xs_rd_u64le_at(rd, off, &v64) ? v64 : 0;
	return xs_rd_u32le_at(rd, off, &v32) ? v32 : 0;
}

static void grow(struct elf_extent *x, uint64_t end, uint64_t at)
{
	if (end > x->end) {
		x->end = end;
		x->end_from = at;
	}
}

/* The ELF header: its tables' places and sizes. */
static bool read_ehdr(struct elf_extent *x, int fd)
{
	uint8_t b[sizeof(Elf64_Ehdr)];
	struct xs_rd rd = xs_rd_init(b, sizeof(b), 0);
	uint16_t v[4] = { 0 };

	if (!take(fd, 0, b, EI_NIDENT) || memcmp(b, ELFMAG, SELFMAG))
		return false;
	x->c64 = b[EI_CLASS] == ELFCLASS64;
	if (x->have < EH_SIZE(x->c64))
		return false;
	if (!take(fd, 0, b, EH_SIZE(x->c64)))
		return false;
	for (unsigned i = 0; i < 4; i++)	/* e_phentsize, e_phnum, e_shentsize, e_shnum */
		if (!xs_rd_u16le_at(&rd, EH_PHENT(x->c64) + 2 * i, &v[i]))
			return false;
	x->ph = (struct elf_table){ word(&rd, EH_PHOFF(x->c64), x->c64), v[1], v[0], 0 };
	x->sh = (struct elf_table){ word(&rd, EH_SHOFF(x->c64), x->c64), v[3], v[2], 0 };
	x->xnum = x->sh.off && (x->ph.num == PN_XNUM || !x->sh.num);
	if (x->xnum)
		x->sh.num = 1;	/* section 0 holds the real counts */
	grow(x, EH_SIZE(x->c64), 0);
	x->ehdr = true;
	return true;
}

/* Section 0's counts for more than 65535 segments or sections (gABI: PN_XNUM, e_shnum 0). */
static void real_counts(struct elf_extent *x, const struct xs_rd *rd)
{
	uint64_t shnum = word(rd, SH_SIZE(x->c64), x->c64);
	uint32_t info = 0;

	x->xnum = false;
	if (x->ph.num == PN_XNUM && xs_rd_u32le_at(rd, SH_INFO(x->c64), &info))
		x->ph.num = info;
	if (x->sh.num == 1 && shnum > 1)
		x->sh.num = shnum > UINT32_MAX ? UINT32_MAX : (uint32_t)shnum;
	grow(x, sat_add(x->sh.off, sat_mul(x->sh.num, x->sh.entsize)), EH_SHOFF(x->c64));
}

/* The entries of @t now written: each one's range, and the table's own end. */
static void scan(struct elf_extent *x, int fd, struct elf_table *t, bool sections)
{
	size_t need = sections ? SHDR_SIZE(x->c64) : PHDR_SIZE(x->c64);
	uint8_t b[ENTRY_MAX];
	struct xs_rd rd = xs_rd_init(b, need, 0);

	if (!t->num)
		return;
	grow(x, sat_add(t->off, sat_mul(t->num, t->entsize)), sections ? EH_SHOFF(x->c64) : 0);
	if (t->entsize < need)
		return;		/* entries libelf cannot read: it says so once the core is whole */
	for (; t->done < t->num; t->done++) {
		uint64_t at = sat_add(t->off, sat_mul(t->done, t->entsize));
		uint32_t type = 0;

		if (sat_add(at, need) > x->have || !take(fd, at, b, need))
			return;
		if (sections && x->xnum && t->done == 0) {
			real_counts(x, &rd);
			continue;
		}
		if (sections && xs_rd_u32le_at(&rd, SH_TYPE, &type) && type == SHT_NOBITS)
			continue;
		grow(x, sat_add(word(&rd, sections ? SH_OFF(x->c64) : PH_OFF(x->c64), x->c64),
				word(&rd, sections ? SH_SIZE(x->c64) : PH_SIZE(x->c64), x->c64)), at);
	}
}

int elf_extent_step(void *ctx, int fd, uint64_t have)
{
	struct elf_extent *x = ctx;

	x->have = have;
	if (!x->ehdr && !read_ehdr(x, fd))
		return 0;	/* not a whole ELF header yet (or never: libelf says so then) */
	scan(x, fd, &x->sh, true);	/* first: section 0 may hold the segment count */
	scan(x, fd, &x->ph, false);
	if (x->end > CORE_GZIP_MAX) {
		return fail_at(x->fail, EXIT_DATAERR, x->path, x->end_from, "the core's headers make "
			       "it 0x%llx bytes decompressed, over the limit of %llu GiB for a "
			       "gzip'ed core (decompress it first)", (unsigned long long)x->end,
			       (unsigned long long)(CORE_GZIP_MAX >> 30));
	}
	if (have > x->end)
		return fail_at_in(x->fail, EXIT_DATAERR, x->path, x->end, " (decompressed)",
				  "data after the end of the core (its headers end it there)");
	return 0;
}
