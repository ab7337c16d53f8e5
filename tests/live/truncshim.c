// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD shim for tests/live/faults.sh: the file TRUNC_PATH is cut to
 * TRUNC_AT bytes by "another process" the moment the program first reads
 * (pread) or maps (mmap) a range of it reaching past TRUNC_AT, just before that
 * read or mapping happens.  Deterministic: what a truncation during the read
 * does, without racing a background job.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static bool done;

static void maybe_cut(int fd, off_t off, size_t len)
{
	const char *path = getenv("TRUNC_PATH"), *at = getenv("TRUNC_AT");
	struct stat a, b;
	off_t cut;

	if (done || !path || !at || fstat(fd, &a) || stat(path, &b) || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev)
		return;
	cut = (off_t)strtoll(at, NULL, 0);
	if (off + (off_t)len <= cut)
		return;
	done = true;
	if (truncate(path, cut))
		abort();
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t (*real)(int, void *, size_t, off_t) =
		(ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");

	maybe_cut(fd, off, n);
	return real(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	return pread(fd, buf, n, off);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *(*real)(void *, size_t, int, int, int, off_t) =
		(void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");

	if (fd >= 0)
		maybe_cut(fd, off, len);
	return real(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}
