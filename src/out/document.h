/* SPDX-License-Identifier: MIT */
/* A command's output document and the end of its run (document.c). */
#ifndef XSAVECTL_DOCUMENT_H
#define XSAVECTL_DOCUMENT_H

#include <stdbool.h>

#include "out/out.h"

/* New output document rendered as @mode, with "schema" and "xsavectl_version" at the top. */
struct out *common_out(enum out_mode mode);
/* Render @o to stdout and close stdout checking for errors.  0 or EXIT_IOERR. */
int common_finish(struct out *o);
/*
 * End a command's output: with @render, as common_finish(); else (nothing to
 * say) free @o and only close stdout.
 */
int common_end(struct out *o, bool render);
/* Print @text (a record) on stdout and close it the same way.  0 or EXIT_IOERR. */
int common_print(const char *text);

#endif
