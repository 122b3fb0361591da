/*
 * udp_recv: the C receive loop, the UDP peer of the listener. Binds [::]
 * dual-stack with the default receive buffer, then recvfrom()s forever,
 * counting datagrams. With -v it prints the guide listener's three lines per
 * datagram through stdio (fully buffered when stdout is a file). On SIGINT or
 * SIGTERM it prints {"received":N,"bytes":B} on stdout and exits 0.
 *
 * usage: udp_recv [-v] [PORT]    (0 or none: any free port, printed on stderr)
 */
#define _GNU_SOURCE
#include "_listen.h"
#include <signal.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
	int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	const char *port_arg = argc > 1 + verbose ? argv[1 + verbose] : "0";
	int fd = open_bound("udp_recv", SOCK_DGRAM, parse_port("udp_recv", port_arg), 0);
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: recvfrom returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	unsigned long long received = 0, bytes = 0;
	char buf[65536];
	while (!stop) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EINTR) continue;
			perror("udp_recv: recvfrom");
			return 1;
		}
		received++;
		bytes += (unsigned long long)n;
		if (verbose) {
			char host[INET6_ADDRSTRLEN] = "?";
			if (from.ss_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr, host, sizeof host);
			else if (from.ss_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr, host, sizeof host);
			buf[n] = '\0';
			printf("listener: got packet from %s\n", host);
			printf("listener: packet is %zd bytes long\n", n);
			printf("listener: packet contains \"%s\"\n", buf);
		}
	}
	fflush(stdout);
	printf("{\"received\":%llu,\"bytes\":%llu}\n", received, bytes);
	return 0;
}
