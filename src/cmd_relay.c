// SPDX-License-Identifier: MIT
/*
 * xsavectl relay: sit in a live migration's path.  The source QEMU migrates
 * to the relay (`migrate tcp:RELAY:PORT`, unix:PATH); for each connection the
 * relay connects to the destination's -incoming and forwards both directions.
 * The main channel (it starts with the QEMU file magic) is filtered as it
 * passes (stream_pipe_fds(): every cpu section judged against the target and
 * rewritten as filter does); multifd channels, the postcopy preempt channel
 * and anything else pass unparsed, and the destination's bytes (the return
 * path) pass back unchanged.  A vCPU whose state would lose guest data closes
 * every connection of that migration before the destination has the stream's
 * end, so that the destination fails to load instead of loading lost state.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <xsave/rules.h>

#include "cmd.h"
#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/stream_pipe.h"
#include "out/verdict.h"
#include "sys/net.h"
#include "util.h"

enum { OPT_LISTEN = 0x1400, OPT_TO, OPT_ONCE, OPT_SYSLOG };

#define QEVM_MAGIC 0x5145564du		/* QEMU_VM_FILE_MAGIC: the main channel */
#define MULTIFD_MAGIC 0x11223344u	/* migration/multifd.h: a multifd channel's header */
#define MAGIC_LEN 4
#define ACCEPT_POLL_MS 200		/* how often the accept loop looks whether it is done */
#define DRAIN_POLL_MS 50		/* --once: waiting for the other channels to end */
#define DRAIN_MAX_MS 5000

struct relay {
	struct xs_targets targets;
	struct xs_targetopt *target;
	struct xs_common common;	/* the reading options' defaults (the host layout) */
	const char *listen_arg, *to_arg;
	bool once, use_syslog;
	struct net_addr listen, to;
	pthread_mutex_t lock;
	struct conn *conns;		/* open connections, newest first */
	unsigned nconn, nmig;
	bool done;			/* --once: the migration has ended */
	int rc;				/* --once: its exit status */
};

/* One accepted connection and the one the relay made to the destination for it. */
struct conn {
	struct relay *r;
	unsigned seq;			/* accept order */
	int src, dst;
	char peer[64];
	bool main;			/* a QEVM stream: a migration of its own */
	unsigned mig;			/* the main channel's migration number */
	uint64_t fwd, back;		/* bytes each way */
	bool multifd;			/* it starts with MULTIFD_MAGIC */
	unsigned nmultifd, nother;	/* main: the other channels of its migration that ended */
	uint64_t other;			/* ... and their bytes */
	bool counted;			/* main: its summary is made (count_open()) */
	struct conn *next;
};

/* What the judge knows of one migration. */
struct mig {
	struct conn *c;
	unsigned ncpu, changed;
	bool refused;
	char why[FAIL_MSG_MAX + 64];	/* the refusal (or the failure) in words */
};

static const struct argp_option options[] = {
	{ "listen", OPT_LISTEN, "ADDR", 0, "Accept the source's connections on ADDR "
	  "(HOST:PORT, [IPV6]:PORT or unix:PATH)", 0 },
	{ "to", OPT_TO, "ADDR", 0, "Connect each to the destination's -incoming at ADDR", 0 },
	{ "once", OPT_ONCE, NULL, 0, "Serve one migration, then exit with its status", 0 },
	{ "syslog", OPT_SYSLOG, NULL, 0, "Also send each line to the system log", 0 },
	{ 0 }
};

static const struct argp_child children[] = { { &target_argp, 0, NULL, 0 }, { 0 } };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct relay *r = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &r->targets;
		return 0;
	case OPT_LISTEN:
		return once(state, "--listen", &r->listen_arg, arg);
	case OPT_TO:
		return once(state, "--to", &r->to_arg, arg);
	case OPT_ONCE:
		r->once = true;
		return 0;
	case OPT_SYSLOG:
		r->use_syslog = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "no operands: give --listen ADDR --to ADDR");
		return 0;
	case ARGP_KEY_END:
		if (!r->listen_arg)
			argp_error(state, "no --listen ADDR (where the source migrates to)");
		if (!r->to_arg)
			argp_error(state, "no --to ADDR (the destination's -incoming)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.doc = "Relay live migrations from a source QEMU to a destination's -incoming, "
	       "rewriting each vCPU's state in flight as filter does (--xcr0 MASK or --target "
	       "PROFILE): the main channel is filtered, multifd and postcopy preempt channels and "
	       "the return path pass unchanged.  A state that would lose guest data closes the "
	       "migration's connections before the destination has the whole stream.  One line "
	       "per migration and per vCPU changed on stderr.",
	.children = children,
};

/* One line on stderr (and the system log), whole, whatever thread says it. */
static void say(struct relay *r, bool err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct relay *r, bool err, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&r->lock);
	msg_err("%s", line);
	if (r->use_syslog)
		syslog(err ? LOG_ERR : LOG_INFO, "%s", line);
	pthread_mutex_unlock(&r->lock);
}

/* Why a vCPU is refused, in words (filter's reasons; the relay has no --force). */
static void refusal_words(char *buf, size_t len, const struct xs_check *c)
{
	char names[160];
	uint64_t enabled = c->guest_outside & ~c->lose;
	size_t n = 0;

	buf[0] = 0;
	if (c->lose) {
		xs_mask_names(c->lose, names, sizeof(names));
		n += (size_t)snprintf(buf + n, len - n, "%s hold%s live guest data the target "
				      "cannot load", names, c->lose & (c->lose - 1) ? "" : "s");
	}
	if (enabled && n < len) {
		xs_mask_names(enabled, names, sizeof(names));
		n += (size_t)snprintf(buf + n, len - n, "%sthe guest XCR0 enables %s, which the "
				      "target cannot load", n ? "; " : "", names);
	}
	if (c->bad && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s%s, which no filter can repair",
				      n ? "; " : "", xs_problem_desc(c->bad));
	if ((c->layout_unknown || c->relocate) && n < len)
		snprintf(buf + n, len - n, "%s%s", n ? "; " : "", c->layout_unknown ?
			 "the target's layout is unknown or lacks a component's area (give "
			 "--target PROFILE)" : "its components would move to the target's offsets");
}

/* The filtered state parses again and loads on the target as it is. */
static bool still_loads(const struct xs_state *st, const struct xs_target *t)
{
	struct xs_parse_opts po = { .force = &st->layout, .force_why = "same layout" };
	struct xs_diag d = { 0 };
	struct xs_state again;
	struct xs_check c;

	if (xs_state_parse(&again, st->img, st->size, &po, &d))
		return false;
	again.guest_known = st->guest_known;
	again.guest_xcr0 = st->guest_xcr0;
	again.by_field = st->by_field;
	xs_check_state(&again, t, &c);
	return c.verdict == XS_VERDICT_OK;
}

/* stream_pipe's judge: one vCPU, as its cpu section passes. */
static int judge(void *ctx, struct input *in, struct input_state *is)
{
	struct mig *m = ctx;
	const struct xs_target *t = &m->c->r->target->t;
	uint64_t before = is->st.xstate_bv;
	char line[640];
	struct xs_check c;

	(void)in;
	m->ncpu++;
	xs_check_state(&is->st, t, &c);
	if (c.verdict == XS_VERDICT_INCOMPATIBLE || c.layout_unknown || c.relocate) {
		m->refused = true;
		refusal_words(line, sizeof(line), &c);
		snprintf(m->why, sizeof(m->why), "vCPU %ld: %s", is->id, line);
		return EXIT_NO;
	}
	if (xs_filter_apply(&is->st, &c, false, &is->cleared) || !still_loads(&is->st, t)) {
		snprintf(m->why, sizeof(m->why), "vCPU %ld: internal error: the filtered state "
			 "does not load on the target", is->id);
		return EXIT_SOFTWARE;
	}
	if (c.verdict == XS_VERDICT_OK)
		return 0;
	m->changed++;
	verdict_line(line, sizeof(line), &c);
	say(m->c->r, false, "migration %u: vCPU %ld: xstate_bv 0x%llx -> 0x%llx (%s)", m->c->mig,
	    is->id, (unsigned long long)before, (unsigned long long)is->st.xstate_bv, line);
	return 0;
}

static struct conn *owner(struct conn *c);

/* Shut both sides of @main's migration: it, and every channel owner() gives it. */
static void close_migration(struct conn *main)
{
	struct relay *r = main->r;

	pthread_mutex_lock(&r->lock);
	for (struct conn *c = r->conns; c; c = c->next)
		if (c == main || (!c->main && owner(c) == main)) {
			shutdown(c->src, SHUT_RDWR);
			shutdown(c->dst, SHUT_RDWR);
		}
	pthread_mutex_unlock(&r->lock);
}

static void *copy_back(void *arg)
{
	struct conn *c = arg;

	net_copy(c->dst, c->src, &c->back);
	return NULL;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Do two peers ("10.0.0.1:4444", "[::1]:5555", "unix") name the same host? */
static bool same_host(const char *a, const char *b)
{
	const char *ea = strrchr(a, ':'), *eb = strrchr(b, ':');
	size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);

	return la == lb && !memcmp(a, b, la);
}

/*
 * The main channel an other channel belongs to (locked): the last one accepted before it from
 * the same host.  (Two migrations from one host at once cannot be told apart: a channel is
 * given to the one that started last.)
 */
static struct conn *owner(struct conn *c)
{
	struct conn *best = NULL;

	for (struct conn *m = c->r->conns; m; m = m->next)
		if (m->main && m->seq < c->seq && same_host(m->peer, c->peer) &&
		    (!best || m->seq > best->seq))
			best = m;
	return best;
}

/* Count other channel @c (ended, or still open) in its migration's main channel. */
static void count_other(struct conn *main, const struct conn *c)
{
	if (c->multifd)
		main->nmultifd++;
	else
		main->nother++;
	main->other += c->fwd;
}

/* @main's other channels still open, counted as if they had ended. */
static void count_open(struct conn *main)
{
	pthread_mutex_lock(&main->r->lock);
	for (struct conn *c = main->r->conns; c; c = c->next)
		if (!c->main && c->seq > main->seq && owner(c) == main)
			count_other(main, c);
	main->counted = true;
	pthread_mutex_unlock(&main->r->lock);
}

/* The main channel: filtered on, the return path copied back.  Its exit status. */
static int serve_main(struct conn *c)
{
	struct relay *r = c->r;
	struct mig m = { .c = c };
	struct stream_pipe_fds f = { .in_fd = c->src, .out_fd = c->dst, .name = c->peer };
	struct stream_pipe_result res = { 0 };
	struct fail why = { 0 };
	struct timespec t0;
	pthread_t back;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&r->lock);
	c->main = true;
	c->mig = ++r->nmig;
	pthread_mutex_unlock(&r->lock);
	if (pthread_create(&back, NULL, copy_back, c)) {
		say(r, true, "migration %u from %s: cannot start a thread", c->mig, c->peer);
		close_migration(c);
		return EXIT_SOFTWARE;
	}
	rc = stream_pipe_fds(&r->common.fo, &f, judge, &m, &res, &why);
	c->fwd = res.sent;
	count_open(c);
	if (rc) {
		close_migration(c);
		if (!m.why[0] && why.code && why.has_off)
			snprintf(m.why, sizeof(m.why), "offset 0x%llx: %s",
				 (unsigned long long)why.off, why.msg);
		else if (!m.why[0] && why.code)
			snprintf(m.why, sizeof(m.why), "%s", why.msg);
	} else if (net_copy(c->src, c->dst, &c->fwd)) {
		/*
		 * The walk has seen the stream's end (its EOF byte): what the source may still
		 * send after it (the vmdesc of a source that paused there) passes on as it is,
		 * until the source closes (a source with the return path waits for the
		 * destination's answer first); then the destination's end of it closes too.
		 */
		shutdown(c->dst, SHUT_WR);
	}
	pthread_join(back, NULL);
	if (!rc)
		say(r, false, "migration %u from %s: passed on to %s: %u vCPU%s, %u changed; %llu "
		    "bytes (%llu back); %u multifd and %u other channel%s (%llu bytes); %.2f s",
		    c->mig, c->peer, r->to.spec, m.ncpu, m.ncpu == 1 ? "" : "s", m.changed,
		    (unsigned long long)c->fwd, (unsigned long long)c->back, c->nmultifd,
		    c->nother, c->nother == 1 ? "" : "s", (unsigned long long)c->other, since(&t0));
	else
		say(r, true, "migration %u from %s: %s: %s; every channel closed at byte %llu of "
		    "the main stream, before its end (the destination does not load it)", c->mig,
		    c->peer, m.refused ? "refused" : res.closed ? "the destination closed" :
		    "stopped", m.why[0] ? m.why : "the stream could not be read",
		    (unsigned long long)c->fwd);
	return rc;
}

/* Any other channel: both directions as they are. */
static void serve_other(struct conn *c)
{
	pthread_t back;

	if (pthread_create(&back, NULL, copy_back, c)) {
		shutdown(c->src, SHUT_RDWR);
		shutdown(c->dst, SHUT_RDWR);
		return;
	}
	if (net_copy(c->src, c->dst, &c->fwd))
		shutdown(c->dst, SHUT_RDWR);	/* the source failed: so does the destination */
	pthread_join(back, NULL);
}

static void unregister(struct conn *c)
{
	struct relay *r = c->r;

	pthread_mutex_lock(&r->lock);
	for (struct conn **p = &r->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	pthread_mutex_unlock(&r->lock);
	close(c->src);
	close(c->dst);
}

static void *serve(void *arg)
{
	struct conn *c = arg;
	struct relay *r = c->r;
	uint8_t magic[MAGIC_LEN];
	long n = net_peek(c->src, magic, sizeof(magic));
	uint32_t m = n == MAGIC_LEN ? (uint32_t)magic[0] << 24 | (uint32_t)magic[1] << 16 |
					     (uint32_t)magic[2] << 8 | magic[3] : 0;

	if (m == QEVM_MAGIC) {
		int rc = serve_main(c);

		pthread_mutex_lock(&r->lock);
		if (r->once && !r->done) {
			r->done = true;
			r->rc = rc;
		}
		pthread_mutex_unlock(&r->lock);
	} else {
		struct conn *main;

		c->multifd = m == MULTIFD_MAGIC;
		serve_other(c);	/* multifd, the postcopy preempt channel, the rest */
		pthread_mutex_lock(&r->lock);
		if ((main = owner(c)) && !main->counted)
			count_other(main, c);
		pthread_mutex_unlock(&r->lock);
	}
	unregister(c);
	free(c);
	return NULL;
}

/* One accepted connection: its destination connection, then its thread. */
static void accepted(struct relay *r, int src)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct fail why = { 0 };
	pthread_attr_t at;
	pthread_t t;
	int one = 1;

	c->r = r;
	c->src = src;
	net_peer(src, c->peer, sizeof(c->peer));
	setsockopt(src, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Connected here, in accept order: a destination tells some channels by their order. */
	if (net_connect(&r->to, &c->dst, &why)) {
		say(r, true, "connection from %s: %s%s%s; closed", c->peer, why.file,
		    why.file[0] ? ": " : "", why.msg);
		close(src);
		free(c);
		/* --once: the migration it opened has failed (its source gives up): it ends */
		pthread_mutex_lock(&r->lock);
		if (r->once && !r->done) {
			r->done = true;
			r->rc = why.code;
		}
		pthread_mutex_unlock(&r->lock);
		return;
	}
	pthread_mutex_lock(&r->lock);
	c->seq = ++r->nconn;
	c->next = r->conns;
	r->conns = c;
	pthread_mutex_unlock(&r->lock);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, serve, c)) {
		say(r, true, "connection from %s: cannot start a thread; closed", c->peer);
		unregister(c);
		free(c);
	}
	pthread_attr_destroy(&at);
}

static volatile sig_atomic_t stopping;	/* SIGINT, SIGTERM: stop accepting, remove the socket */

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static bool is_done(struct relay *r, bool drained)
{
	bool d;

	pthread_mutex_lock(&r->lock);
	d = r->done && (!drained || !r->conns);
	pthread_mutex_unlock(&r->lock);
	return d;
}

/* Accept until killed (or, --once, until the first migration has ended). */
static int serve_loop(struct relay *r, int lfd)
{
	while (!stopping && !is_done(r, false)) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int s;

		if (poll(&p, 1, ACCEPT_POLL_MS) <= 0)
			continue;
		s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (s >= 0)
			accepted(r, s);
		else if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
			say(r, true, "accept: %s", strerror(errno));
	}
	for (int waited = 0; !stopping && !is_done(r, true) && waited < DRAIN_MAX_MS;
	     waited += DRAIN_POLL_MS)
		poll(NULL, 0, DRAIN_POLL_MS);
	if (stopping)
		say(r, false, "stopped by a signal: %u migration%s served", r->nmig,
		    r->nmig == 1 ? "" : "s");
	return r->rc;
}

static int prepare(struct relay *r)
{
	struct fail why = { 0 };
	int rc = targets_prepare(&r->targets);

	r->target = r->targets.v;
	if (!rc)
		rc = common_prepare(&r->common);
	if (!rc)
		rc = net_parse("--listen", r->listen_arg, &r->listen, &why);
	if (!rc)
		rc = net_parse("--to", r->to_arg, &r->to, &why);
	return rc ? fail_said(&why, rc) : 0;
}

static int run(int argc, char **argv)
{
	struct relay r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct fail why = { 0 };
	int rc, lfd = -1;

	argp_parse(&argp, argc, argv, 0, NULL, &r);
	rc = prepare(&r);
	if (!rc)
		rc = fail_said(&why, net_listen(&r.listen, &lfd, &why));
	if (!rc) {
		struct sigaction sa = { .sa_handler = on_stop };

		signal(SIGPIPE, SIG_IGN);	/* a peer gone: EPIPE, that migration ends */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		if (r.use_syslog)
			openlog("xsavectl-relay", LOG_PID, LOG_DAEMON);
		say(&r, false, "listening on %s, relaying to %s (target %s)", r.listen.spec,
		    r.to.spec, r.target->name);
		rc = serve_loop(&r, lfd);
		close(lfd);
		if (r.listen.unix_path)
			unlink(r.listen.path);
	}
	targets_free(&r.targets);
	return rc;
}

const struct xs_cmd xs_cmd_relay = {
	.name = "relay",
	.summary = "relay live migrations to a destination, filtering each vCPU's state in flight",
	.argp = &argp,
	.run = run,
};
