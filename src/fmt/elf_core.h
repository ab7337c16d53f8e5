/* SPDX-License-Identifier: MIT */
/*
 * ELF core files (libelf): every thread's NT_X86_XSTATE note, its NT_PRFPREG
 * (or NT_PRXFPREG) for a cross-check, its pid from NT_PRSTATUS, and the
 * process's NT_X86_XSAVE_LAYOUT note.  Writing puts changed notes back into a
 * byte-identical copy of the core.
 */
#ifndef XSAVECTL_CORE_H
#define XSAVECTL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <xsave/layout.h>

#include "sys/io.h"

struct core_thread {
	long tid;		/* NT_PRSTATUS pr_pid; -1 when no NT_PRSTATUS precedes */
	uint64_t xstate_off;	/* file offset of the NT_X86_XSTATE descriptor */
	size_t xstate_len;
	uint8_t *img;		/* owned copy of it (filter changes this copy) */
	bool has_fpreg;
	uint64_t fpreg_off;	/* NT_PRFPREG (64-bit) or NT_PRXFPREG (32-bit) */
	uint8_t fpreg[512];
};

struct core {
	const char *path;
	int fd;			/* the plain core: the input, or its decompressed copy */
	bool gzip;
	struct stat st;
	uint64_t size;
	uint64_t expected;	/* where the last segment ends: > size when the core was cut short */
	void *elf;		/* Elf * */
	bool is64;
	const char *producer;	/* "kernel" or "gdb gcore" */
	bool have_layout;	/* NT_X86_XSAVE_LAYOUT */
	struct xs_layout layout;
	uint64_t layout_off;
	unsigned n;
	struct core_thread *t;
};

/* Is this the start of an ELF file? */
bool core_sniff(const struct io_src *src);
/* Read the core behind @src (which it takes over).  0 or an exit code (message printed). */
int core_open(struct io_src *src, struct core **out);
void core_close(struct core *c);
/*
 * Write the core to @dest (atomically; "-" is stdout), same container, with
 * each thread's image put back at its note and the NT_PRFPREG legacy bytes
 * kept equal to it.  Everything else is copied byte for byte.
 */
int core_write(const struct core *c, const char *dest);

#endif
