/* SPDX-License-Identifier: MIT */
/* Reading inputs (plain or gzip, bounded) and writing outputs atomically. */
#ifndef XSAVECTL_IO_H
#define XSAVECTL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct io_file {
	const char *path;
	bool gzip;		/* the file was gzip-compressed */
	uint8_t *buf;		/* decompressed contents */
	size_t len;
	struct stat st;
};

/* Read @path whole (at most @max bytes after decompression).  Returns 0 or an
 * exit code after printing one line on stderr. */
int io_read(const char *path, size_t max, struct io_file *f);
void io_free(struct io_file *f);

/* Is @path the same file as the input (same device and inode)? */
bool io_same_file(const char *path, const struct io_file *in);

/*
 * Replace @path with @len bytes at @buf (gzip-compressed when @gzip): write a
 * temporary file in the same directory, fsync it, rename it over @path, fsync
 * the directory.  On any failure the temporary file is removed and @path is
 * untouched.  "-" writes to stdout.  Returns 0 or an exit code (message printed).
 */
int io_write_atomic(const char *path, const uint8_t *buf, size_t len, bool gzip,
		    const struct stat *mode_from);

#endif
