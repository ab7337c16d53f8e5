/* SPDX-License-Identifier: MIT */
/*
 * The streaming filter: `xsavectl filter ... -o OUT -` reads a QEMU stream
 * (plain, compressed, or in a libvirt image) from standard input forward
 * once and writes it on as it goes.  RAM records and every other byte pass
 * through as read; each cpu section is held until it has been read whole,
 * then judged and rewritten by the command's judge; a refused vCPU stops the
 * stream before its cpu section, so that OUT never holds a complete stream.
 * Memory stays bounded: only the bytes between the last one passed on and
 * the read position are held (a cpu section, a device section, a RAM record).
 * The stream's EOF byte and what follows it are held until stream_pipe_end().
 */
#ifndef XSAVECTL_STREAM_PIPE_H
#define XSAVECTL_STREAM_PIPE_H

#include <stdbool.h>

struct input;
struct input_state;
struct stream;
struct fail;
struct fmt_opts;

/*
 * Judge one vCPU's state (@in holds it alone): 0 when it was filtered in
 * place (is->st, is->cleared, the cpu section's guest values through the
 * format's force_drop), or the exit code after the command said why it is
 * refused (src/fmt never prints).
 */
typedef int stream_judge_fn(void *ctx, struct input *in, struct input_state *is);

/* Stream the next stream input read (once opened, to @dest) through @judge. */
void stream_pipe_begin(const struct fmt_opts *fo, const char *dest, stream_judge_fn *judge,
		       void *ctx);
/* Was the input a stream, filtered as it was read? */
bool stream_pipe_used(void);
/* Did the output's reader close it (the walk stopped there, quietly)? */
bool stream_pipe_closed(void);
/*
 * Pass on what is held and finish the output (@commit), or throw it away
 * (a refusal, an error: nothing after the last byte passed on is written).
 * 0, or an exit code with why in @why (the command says it).
 */
int stream_pipe_end(bool commit, struct fail *why);

#endif
