/* SPDX-License-Identifier: MIT */
/*
 * The streaming filter: `xsavectl filter ... -o OUT -` reads a QEMU stream
 * (plain, compressed, or in a libvirt image) from standard input forward
 * once and writes it on as it goes; `xsavectl relay` does the same between
 * two sockets (stream_pipe_fds()).  RAM records and every other byte pass
 * through as read; each cpu section is held until it has been read whole,
 * then judged and rewritten by the command's judge; a refused vCPU stops the
 * stream before its cpu section, so that OUT never holds a complete stream.
 * Memory stays bounded: only the bytes between the last one passed on and
 * the read position are held (a cpu section, a device section, a RAM record).
 * Each pipe is its own struct spipe: several may run, one after another or
 * at once (each in its own thread).
 */
#ifndef XSAVECTL_STREAM_PIPE_H
#define XSAVECTL_STREAM_PIPE_H

#include <stdbool.h>
#include <stdint.h>

struct input;
struct input_state;
struct stream;
struct fail;
struct fmt_opts;
struct spipe;

/*
 * Judge one vCPU's state (@in holds it alone): 0 when it was filtered in
 * place (is->st, is->cleared, the cpu section's guest values through the
 * format's force_drop), or the exit code after the command said why it is
 * refused (src/fmt never prints).
 */
typedef int stream_judge_fn(void *ctx, struct input *in, struct input_state *is);

/*
 * filter: stream the next stream input_load() reads (once opened, to @dest)
 * through @judge.  The stream's EOF byte and what follows it are held until
 * stream_pipe_end(), so that a refusal of the whole input still stops it.
 */
struct spipe *stream_pipe_begin(const struct fmt_opts *fo, const char *dest,
				stream_judge_fn *judge, void *ctx);
/* Was the input a stream, filtered as it was read?  (@sp may be NULL: no.) */
bool stream_pipe_used(const struct spipe *sp);
/* Did the output's reader close it (the walk stopped there, quietly)? */
bool stream_pipe_closed(const struct spipe *sp);
/*
 * Pass on what is held and finish the output (@commit), or throw it away
 * (a refusal, an error: nothing after the last byte passed on is written),
 * and free @sp (NULL: nothing to do).  0, or an exit code with why in @why
 * (the command says it).
 */
int stream_pipe_end(struct spipe *sp, bool commit, struct fail *why);

/* relay: a plain (uncompressed) QEMU stream read from one descriptor, written to another. */
struct stream_pipe_fds {
	int in_fd, out_fd;	/* a socket each (written with SIGPIPE ignored) */
	const char *name;	/* the input's name in messages */
};
struct stream_pipe_result {
	uint64_t bytes;		/* read */
	uint64_t sent;		/* written */
	bool closed;		/* the output's reader went away */
};
/*
 * Filter the stream on @f->in_fd to @f->out_fd through @judge until the input
 * ends, as a live migration needs it: before a read that would wait, every
 * byte read that no cpu section still being read holds is passed on (the
 * source may be waiting on the destination's answer: the return path).  A
 * refusal or an error stops the output before the cpu section concerned.
 * 0 once the whole stream was passed on, or an exit code (why in @why unless
 * the judge said it; EXIT_IOERR when the output's reader went away).
 */
int stream_pipe_fds(const struct fmt_opts *fo, const struct stream_pipe_fds *f,
		    stream_judge_fn *judge, void *ctx, struct stream_pipe_result *res,
		    struct fail *why);

#endif
