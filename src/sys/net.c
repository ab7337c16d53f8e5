// SPDX-License-Identifier: MIT
/* Sockets for the relay: see net.h. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "exitcodes.h"
#include "fail.h"
#include "sys/net.h"

#define UNIX_PREFIX "unix:"
#define LISTEN_BACKLOG 16
#define COPY_BUF (256u << 10)	/* one direction's buffer */
#define PEEK_WAIT_MS 20		/* between two looks at a connection's first bytes */

static int parse_unix(const char *opt, const char *spec, struct net_addr *a, struct fail *why)
{
	const char *path = spec + strlen(UNIX_PREFIX);

	if (!*path)
		return fail_msg(why, EXIT_USAGE, NULL, "%s '%s': no path after unix:", opt, spec);
	if (strlen(path) >= sizeof(a->path))
		return fail_msg(why, EXIT_USAGE, NULL, "%s '%s': a UNIX socket's path takes at "
				"most %zu bytes", opt, spec, sizeof(a->path) - 1);
	a->unix_path = true;
	snprintf(a->path, sizeof(a->path), "%s", path);
	return 0;
}

/* PORT: a decimal number 1-65535. */
static bool port_ok(const char *p)
{
	char *end;
	long v;

	if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5)
		return false;
	v = strtol(p, &end, 10);
	return v >= 1 && v <= 65535;
}

int net_parse(const char *opt, const char *spec, struct net_addr *a, struct fail *why)
{
	const char *colon, *host = spec;
	size_t hlen;

	memset(a, 0, sizeof(*a));
	a->spec = spec;
	if (!strncmp(spec, UNIX_PREFIX, strlen(UNIX_PREFIX)))
		return parse_unix(opt, spec, a, why);
	colon = strrchr(spec, ':');
	if (!colon)
		return fail_msg(why, EXIT_USAGE, NULL, "%s '%s': give HOST:PORT, [IPV6]:PORT or "
				"unix:PATH", opt, spec);
	hlen = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (hlen < 2 || spec[hlen - 1] != ']')
			return fail_msg(why, EXIT_USAGE, NULL, "%s '%s': an IPv6 address goes in "
					"brackets before the port: [::1]:PORT", opt, spec);
		host++;
		hlen -= 2;
	} else if (memchr(spec, ':', hlen)) {
		return fail_msg(why, EXIT_USAGE, NULL, "%s '%s': an IPv6 address goes in brackets "
				"before the port: [%.*s]:PORT", opt, spec, (int)hlen, spec);
	}
	if (!port_ok(colon + 1))
		return fail_msg(why, EXIT_USAGE, NULL, "%s '%s': the port '%s' is not a number "
				"from 1 to 65535", opt, spec, colon + 1);
	if (hlen >= sizeof(a->host))
		return fail_msg(why, EXIT_USAGE, NULL, "%s '%s': the host name is too long", opt,
				spec);
	memcpy(a->host, host, hlen);
	a->host[hlen] = 0;
	snprintf(a->port, sizeof(a->port), "%s", colon + 1);
	return 0;
}

static int listen_unix(const struct net_addr *a, int *fd, struct fail *why)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int s;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a->path);
	if (!lstat(a->path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return fail_msg(why, EXIT_CANTCREAT, a->path, "exists and is not a socket: "
					"not replaced");
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s >= 0 && !connect(s, (struct sockaddr *)&sun, sizeof(sun))) {
			close(s);
			return fail_msg(why, EXIT_CANTCREAT, a->path, "another process listens on "
					"this socket");
		}
		if (s >= 0)
			close(s);
		unlink(a->path);	/* a stale socket file */
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sun, sizeof(sun)) || listen(s, LISTEN_BACKLOG)) {
		int e = errno;

		if (s >= 0)
			close(s);
		return fail_msg(why, EXIT_CANTCREAT, a->path, "cannot listen: %s", strerror(e));
	}
	*fd = s;
	return 0;
}

static int resolve(const struct net_addr *a, bool passive, struct addrinfo **res,
		   struct fail *why)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = passive ? AI_PASSIVE : 0 };
	int e = getaddrinfo(*a->host ? a->host : NULL, a->port, &hints, res);

	if (e)
		return fail_msg(why, EXIT_USAGE, NULL, "'%s': %s", a->spec, gai_strerror(e));
	return 0;
}

int net_listen(const struct net_addr *a, int *fd, struct fail *why)
{
	struct addrinfo *res, *ai;
	int rc, e = 0, one = 1;

	if (a->unix_path)
		return listen_unix(a, fd, why);
	if ((rc = resolve(a, true, &res, why)))
		return rc;
	for (ai = res; ai; ai = ai->ai_next) {
		int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

		if (s < 0) {
			e = errno;
			continue;
		}
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(s, ai->ai_addr, ai->ai_addrlen) && !listen(s, LISTEN_BACKLOG)) {
			*fd = s;
			freeaddrinfo(res);
			return 0;
		}
		e = errno;
		close(s);
	}
	freeaddrinfo(res);
	return fail_msg(why, EXIT_CANTCREAT, NULL, "'%s': cannot listen: %s", a->spec,
			strerror(e));
}

int net_connect(const struct net_addr *a, int *fd, struct fail *why)
{
	struct addrinfo *res, *ai;
	int rc, e = 0, one = 1;

	if (a->unix_path) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a->path);
		if (s >= 0 && !connect(s, (struct sockaddr *)&sun, sizeof(sun))) {
			*fd = s;
			return 0;
		}
		e = errno;
		if (s >= 0)
			close(s);
		return fail_msg(why, EXIT_IOERR, a->path, "cannot connect: %s", strerror(e));
	}
	if ((rc = resolve(a, false, &res, why)))
		return rc;
	for (ai = res; ai; ai = ai->ai_next) {
		int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

		if (s >= 0 && !connect(s, ai->ai_addr, ai->ai_addrlen)) {
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			*fd = s;
			freeaddrinfo(res);
			return 0;
		}
		e = errno;
		if (s >= 0)
			close(s);
	}
	freeaddrinfo(res);
	return fail_msg(why, EXIT_IOERR, NULL, "'%s': cannot connect: %s", a->spec, strerror(e));
}

void net_peer(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	if (getpeername(fd, (struct sockaddr *)&ss, &sl)) {
		snprintf(buf, len, "?");
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "unix");
	}
}

long net_peek(int fd, void *buf, size_t n)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r = recv(fd, buf, n, MSG_PEEK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (size_t)r == n)
			return (long)r;
		/* Some came: wait for the rest, or the end (POLLRDHUP). */
		p.events |= POLLRDHUP;
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
		if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
			return recv(fd, buf, n, MSG_PEEK);
		poll(NULL, 0, PEEK_WAIT_MS);
	}
}

int net_copy(int from, int to, uint64_t *bytes)
{
	char *buf = malloc(COPY_BUF);
	int rc = -1;

	if (!buf)
		return -1;
	for (;;) {
		ssize_t r = read(from, buf, COPY_BUF), w;
		size_t off = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0) {
			shutdown(to, SHUT_WR);
			rc = 0;
			break;
		}
		while (off < (size_t)r) {
			w = write(to, buf + off, (size_t)r - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				goto out;
			off += (size_t)w;
		}
		*bytes += (uint64_t)r;
	}
out:
	free(buf);
	return rc;
}
