/* SPDX-License-Identifier: MIT */
/*
 * Sockets for the relay: an address as the user gives it (HOST:PORT, [V6]:PORT
 * or unix:PATH), listening on one, connecting to one, peeking at a
 * connection's first bytes and copying one direction of a connection.
 * Failures come back as a struct fail; nothing here prints.
 */
#ifndef XSAVECTL_NET_H
#define XSAVECTL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fail;

#define NET_HOST_MAX 256
#define NET_PATH_MAX 108	/* sun_path */

struct net_addr {
	bool unix_path;			/* unix:PATH */
	char host[NET_HOST_MAX];	/* HOST:PORT: the host (no brackets), or "" */
	char port[8];
	char path[NET_PATH_MAX];	/* unix:PATH */
	const char *spec;		/* as given (for messages) */
};

/* Parse @spec for option @opt.  0 or EXIT_USAGE (why in @why). */
int net_parse(const char *opt, const char *spec, struct net_addr *a, struct fail *why);
/*
 * Listen on @a (a UNIX socket's stale file, a socket nobody listens on, is
 * replaced; any other file is refused).  0 with *@fd, or an exit code.
 */
int net_listen(const struct net_addr *a, int *fd, struct fail *why);
/* Connect to @a (each address getaddrinfo gives, in turn).  0 with *@fd, or an exit code. */
int net_connect(const struct net_addr *a, int *fd, struct fail *why);
/* The peer of connection @fd in words ("127.0.0.1:4444", "[::1]:4444", "unix"). */
void net_peer(int fd, char *buf, size_t len);
/*
 * The first @n bytes of connection @fd, left in it (MSG_PEEK): how many came
 * before the peer closed (fewer than @n then), or -1 (errno).
 */
long net_peek(int fd, void *buf, size_t n);
/*
 * Copy what @from sends to @to until @from ends (then shut @to's writing
 * side) or either fails.  The bytes copied in *@bytes (updated as it goes);
 * 0 at @from's end, -1 on an error (errno).
 */
int net_copy(int from, int to, uint64_t *bytes);

#endif
