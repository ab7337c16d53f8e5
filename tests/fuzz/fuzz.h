/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer targets (make fuzz): inputs as files, for the readers that take one. */
#ifndef XSAVECTL_FUZZ_H
#define XSAVECTL_FUZZ_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/sys/io.h"

/* The input as an open anonymous file; its path is /proc/self/fd/N. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t done = 0;

	while (fd >= 0 && done < size) {
		ssize_t w = write(fd, data + done, size - done);

		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	if (fd >= 0)
		snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/*
 * Filtered copies written to "-" go to /dev/null (fd 1 stays taken, so no
 * input file can become "stdout"); messages are silenced by run.sh with
 * -close_fd_mask=2, which keeps libFuzzer's own reports.
 */
static inline void fuzz_quiet(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDOUT_FILENO);
	close(fd);
}

#endif
