/*
 * fork_server: the design of Beej's guide, section 6.1. A blocking accept()
 * loop; each connection gets its own child process, which sends
 * "Hello, world!", closes and exits. A SIGCHLD handler reaps the children.
 *
 * usage: fork_server [PORT]      (0 or none: any free port, printed on stderr)
 */
#define _GNU_SOURCE
#include "_listen.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }
static void on_child(int sig) {
	(void)sig;
	int saved = errno;
	while (waitpid(-1, NULL, WNOHANG) > 0) {}
	errno = saved;
}

int main(int argc, char **argv) {
	static const char greeting[] = "Hello, world!";
	int lfd = open_bound("fork_server", SOCK_STREAM, argc > 1 ? parse_port("fork_server", argv[1]) : 0, 0);
	struct sigaction sa = {.sa_handler = on_child, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	struct sigaction st = {.sa_handler = on_signal}; /* no SA_RESTART: accept returns EINTR */
	sigaction(SIGTERM, &st, NULL);
	sigaction(SIGINT, &st, NULL);
	while (!stop) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED) continue;
			perror("fork_server: accept");
			continue;
		}
		pid_t pid = fork();
		if (pid == 0) {
			close(lfd);
			(void)!send(fd, greeting, sizeof greeting - 1, 0);
			close(fd);
			_exit(0);
		}
		if (pid < 0) perror("fork_server: fork");
		close(fd);
	}
	return 0;
}
