/* SPDX-License-Identifier: MIT */
/*
 * Progress of long work (a walk, a decompression, a copy) on stderr: bytes done of the
 * total, the rate, the time left; shown once the work has run a second, redrawn a few times
 * a second, erased at the end.  Only where stderr is a terminal, unless forced either way
 * (--progress / --no-progress).  Never on stdout, never in JSON.
 */
#ifndef XSAVECTL_PROGRESS_H
#define XSAVECTL_PROGRESS_H

#include <stdint.h>

/*
 * Work on @path of @total bytes (0: not known) begins.  @mode: -1 shows it when
 * stderr is a terminal (the default), 0 never, 1 always (struct fmt_opts' progress).
 */
void progress_start(const char *path, const char *what, uint64_t total, int mode);
/* @done bytes of it so far (cheap: call it as often as wanted). */
void progress_update(uint64_t done);
/*
 * The bytes are all through, and @what (a line of its own, "syncing to disk") is
 * left: said where progress is shown, until progress_end().
 */
void progress_phase(const char *what);
/* The work is over: erase the line. */
void progress_end(void);

#endif
