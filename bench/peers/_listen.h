/*
 * Shared by the C peers of beejnet bench: parse a port, open a listening or
 * bound socket on [::] (dual-stack, so 127.0.0.1 and ::1 both reach it), and
 * fall back to 0.0.0.0 where IPv6 is missing. Prints the bound port.
 */
#ifndef BEEJNET_BENCH_LISTEN_H
#define BEEJNET_BENCH_LISTEN_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse_port(const char *prog, const char *s) {
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 65535) {
		fprintf(stderr, "%s: port \"%s\" is out of range [0, 65535]\n", prog, s);
		exit(2);
	}
	return (int)v;
}

/* type: SOCK_STREAM (listens, backlog SOMAXCONN) or SOCK_DGRAM. Exits on error. */
static int open_bound(const char *prog, int type, int port, int reuseport) {
	int one = 1, zero = 0, fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
	int v6 = fd >= 0;
	if (!v6) fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0) { fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno)); exit(1); }
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	int rc;
	if (v6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
		struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_any};
		rc = bind(fd, (struct sockaddr *)&a, sizeof a);
	} else {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
		rc = bind(fd, (struct sockaddr *)&a, sizeof a);
	}
	if (rc < 0) { fprintf(stderr, "%s: bind port %d: %s\n", prog, port, strerror(errno)); exit(1); }
	if ((type & 0xf) == SOCK_STREAM && listen(fd, SOMAXCONN) < 0) {
		fprintf(stderr, "%s: listen: %s\n", prog, strerror(errno));
		exit(1);
	}
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	int bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                           : ((struct sockaddr_in *)&ss)->sin_port);
	fprintf(stderr, "%s: listening on %s:%d\n", prog, v6 ? "[::]" : "0.0.0.0", bound);
	return fd;
}

#endif
