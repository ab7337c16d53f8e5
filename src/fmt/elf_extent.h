/* SPDX-License-Identifier: MIT */
/* The extent of an ELF core being decompressed, read from its headers as they arrive. */
#ifndef XSAVECTL_ELF_EXTENT_H
#define XSAVECTL_ELF_EXTENT_H

#include <stdbool.h>
#include <stdint.h>

struct fail;

/* The most a gzip'ed core may decompress to (into $TMPDIR): larger ones are gunzip'ed first. */
#define CORE_GZIP_MAX (4ull << 30)

struct elf_table {
	uint64_t off;
	uint32_t num, entsize;
	uint32_t done;		/* entries read so far */
};

struct elf_extent {
	const char *path;	/* for messages */
	struct fail *fail;	/* why it stops */
	uint64_t have;		/* bytes decompressed so far */
	bool ehdr, c64, xnum;	/* header read; ELFCLASS64; counts in section 0 */
	struct elf_table ph, sh;
	uint64_t end;		/* where the core ends, as far as known */
	uint64_t end_from;	/* the header or entry that said so */
};

/*
 * io_decompress_to_tmp()'s bound (@ctx a struct elf_extent, zeroed but for path):
 * the first @have bytes are in @fd.  0, or EXIT_DATAERR (why in x->fail): the
 * headers name ranges beyond CORE_GZIP_MAX, or data runs past their end.
 */
int elf_extent_step(void *ctx, int fd, uint64_t have);

#endif
