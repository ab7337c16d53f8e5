/* SPDX-License-Identifier: MIT */
/*
 * Commands that read many inputs (inspect, check) answer every one: the FILE
 * arguments (directories expanded with --recursive), an error entry for each
 * input that cannot be read, and one-line answers for --brief.
 */
#ifndef XSAVECTL_BATCH_H
#define XSAVECTL_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd.h"

struct batch {
	char **files;
	size_t n;
	char **owned;		/* paths found under directories */
	size_t nowned;
};

/* The inputs named by @args; with @recursive, every regular file under a directory, sorted. */
void batch_expand(char **args, int nargs, bool recursive, struct batch *b);
void batch_free(struct batch *b);

/*
 * @file could not be read (exit code @rc, its message already on stderr):
 * JSON gets {"file", "error": {"code", "offset", "message"}} in the open
 * array, --brief a line "FILE: error: MESSAGE"; text has said it on stderr.
 */
void batch_error(struct out *o, const struct xs_common *c, const char *file, int rc);

/* "FILE", "FILE vcpu1", "FILE thread 4242": a state's name in one-line answers. */
void state_name(char *buf, size_t len, const char *file, const struct input_state *s);

#endif
