/*
 * peakrss: runs a command and prints its peak resident set size, from
 * wait4()'s rusage (the kernel's high-water mark, as /proc/PID/status VmHWM),
 * as one line on stderr: peakrss: {"maxrss_kb":N,"status":S}
 *
 * usage: peakrss COMMAND [ARGS...]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: peakrss COMMAND [ARGS...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) { perror("peakrss: fork"); return 1; }
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror("peakrss: exec");
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) { perror("peakrss: wait4"); return 1; }
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fprintf(stderr, "peakrss: {\"maxrss_kb\":%ld,\"status\":%d}\n", ru.ru_maxrss, code);
	return code;
}
