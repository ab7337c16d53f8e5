/* SPDX-License-Identifier: MIT */
/*
 * Copying an input file into an io_out with some byte ranges replaced (the
 * patches): how the ELF core and QEMU stream writers write a filtered copy.
 * Stretches that no patch touches go through copy_file_range where the kernel
 * takes it (a reflink where the filesystem shares extents); the others are
 * read (EINTR retried), patched and written.
 */
#ifndef XSAVECTL_PATCHCOPY_H
#define XSAVECTL_PATCHCOPY_H

#include <stddef.h>
#include <stdint.h>

#include "sys/io.h"

/* @len bytes at input offset @off read as @data instead (the caller keeps @data). */
struct patch {
	uint64_t off;
	const uint8_t *data;
	size_t len;
};

/* Patches sorted by offset; where they overlap, the one added last wins.  Zeroed: empty. */
struct patches {
	struct patch *v;
	size_t n, cap;
};

void patches_add(struct patches *ps, uint64_t off, const void *data, size_t len);
void patches_free(struct patches *ps);
/* Lay over @buf, the input's bytes [@pos, @pos + @len), what the patches put there. */
void patches_apply(const struct patches *ps, uint64_t pos, uint8_t *buf, size_t len);

/*
 * Bytes [@from, @to) of @fd (the input @path, for messages) to @o's position,
 * @ps applied.  0 or an exit code (why in o->fail, a read of @fd's failure too; 0
 * also when @o is standard output and its reader left).
 */
int patchcopy(int fd, const char *path, struct io_out *o, uint64_t from, uint64_t to,
	      const struct patches *ps);
/*
 * The first @size bytes of @fd to the same offsets of @o (a file), extent by
 * extent (SEEK_DATA/SEEK_HOLE), so that its holes stay holes; then @ps written
 * over them and @o sized to @size.  0 or an exit code (why in o->fail).
 */
int patchcopy_sparse(int fd, const char *path, struct io_out *o, uint64_t size,
		     const struct patches *ps);

/*
 * An exact copy of the file @src at @dest (a file written atomically, or "-"):
 * what filter writes when nothing in it needs to change.  0 or an exit code
 * (why in @fail).
 */
int copy_file(const char *src, const char *dest, struct fail *fail);

#endif
