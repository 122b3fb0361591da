/*
 * epoll_server: the limit. One thread, one epoll set holding only the
 * listening socket; every accepted connection gets "Hello, world!" and is
 * closed at once (13 bytes always fit the socket buffer, so no write waits).
 *
 * usage: epoll_server [PORT]     (0 or none: any free port, printed on stderr)
 */
#define _GNU_SOURCE
#include "_listen.h"
#include <signal.h>
#include <sys/epoll.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
	static const char greeting[] = "Hello, world!";
	int lfd = open_bound("epoll_server", SOCK_STREAM | SOCK_NONBLOCK, argc > 1 ? parse_port("epoll_server", argv[1]) : 0, 0);
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: epoll_wait returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) { perror("epoll_server: epoll"); return 1; }
	while (!stop) {
		struct epoll_event out[1];
		int n = epoll_wait(ep, out, 1, -1);
		if (n < 0) {
			if (errno == EINTR) continue;
			perror("epoll_server: epoll_wait");
			return 1;
		}
		for (;;) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) break;
				if (errno == EINTR || errno == ECONNABORTED) continue;
				if (errno == EMFILE || errno == ENFILE) break;
				perror("epoll_server: accept4");
				return 1;
			}
			(void)!write(fd, greeting, sizeof greeting - 1);
			close(fd);
		}
	}
	return 0;
}
