/*
 * loadgen: TCP load generator for "hello" servers (beejnet bench).
 *
 * Keeps C connections in flight with epoll. Each one: connect -> read to EOF
 * -> check the exact greeting -> close, then a new one takes its slot.
 * Runs for a fixed count (-n) or a fixed time (-d), after an optional warmup
 * (-w) whose connections are not counted (all_conns counts every greeting,
 * warmup included). Prints one JSON line on stdout.
 *
 * usage: loadgen -p PORT [-a 127.0.0.1] [-c 64] [-n COUNT | -d SECONDS]
 *                [-w WARMUP_S] [-t TIMEOUT_S] [-g GREETING]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct slot {
	int fd;         /* -1 when the slot waits for a (re)start */
	uint64_t start; /* ns, when connect() was called */
	size_t len;     /* bytes of greeting read so far */
	char buf[64];
};

static uint64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU seconds (user + system) this process has used so far. */
static double cpu_seconds(void) {
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_u64(const void *a, const void *b) {
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void usage(void) {
	fprintf(stderr, "usage: loadgen -p PORT [-a ADDR] [-c IN_FLIGHT] [-n COUNT | -d SECONDS] "
	                "[-w WARMUP_S] [-t TIMEOUT_S] [-g GREETING]\n");
	exit(2);
}

static double parse_num(const char *s, double lo, double hi, const char *what) {
	char *end;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "loadgen: %s \"%s\" is out of range [%g, %g]\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

/* Counters and latency samples of the measured window. */
static uint64_t ok_count, err_connect, err_read, err_greeting, all_count;
static uint64_t *lat;
static size_t lat_len, lat_cap;
static int first_errno;

static void record_latency(uint64_t ns) {
	if (lat_len == lat_cap) {
		lat_cap = lat_cap ? lat_cap * 2 : 65536;
		if (lat_cap > 100000000u) return; /* bounded: 800 MB of samples at most */
		uint64_t *p = realloc(lat, lat_cap * sizeof *p);
		if (!p) { perror("loadgen: realloc"); exit(1); }
		lat = p;
	}
	lat[lat_len++] = ns;
}

int main(int argc, char **argv) {
	const char *addr = "127.0.0.1", *greeting = "Hello, world!";
	int port = -1, in_flight = 64, opt;
	double count = 0, duration = 0, warmup = 0, timeout = 0;
	while ((opt = getopt(argc, argv, "p:a:c:n:d:w:t:g:")) != -1) {
		switch (opt) {
		case 'p': port = (int)parse_num(optarg, 1, 65535, "port"); break;
		case 'a': addr = optarg; break;
		case 'c': in_flight = (int)parse_num(optarg, 1, 10000, "in-flight count"); break;
		case 'n': count = parse_num(optarg, 1, 1e9, "count"); break;
		case 'd': duration = parse_num(optarg, 0.01, 3600, "duration"); break;
		case 'w': warmup = parse_num(optarg, 0, 600, "warmup"); break;
		case 't': timeout = parse_num(optarg, 0.01, 3600, "timeout"); break;
		case 'g': greeting = optarg; break;
		default: usage();
		}
	}
	if (port < 0 || (count == 0) == (duration == 0)) usage();
	if (timeout == 0) timeout = warmup + (duration > 0 ? duration + 5 : 60);

	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "loadgen: \"%s\" is not an IPv4 address\n", addr);
		return 2;
	}
	size_t glen = strlen(greeting);
	if (glen >= sizeof(((struct slot *)0)->buf)) {
		fprintf(stderr, "loadgen: greeting is longer than %zu bytes\n", sizeof(((struct slot *)0)->buf) - 1);
		return 2;
	}

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) { perror("loadgen: epoll_create1"); return 1; }
	struct slot *slots = calloc((size_t)in_flight, sizeof *slots);
	struct epoll_event *events = calloc((size_t)in_flight, sizeof *events);
	if (!slots || !events) { perror("loadgen: calloc"); return 1; }
	for (int i = 0; i < in_flight; i++) slots[i].fd = -1;

	uint64_t t_start = now_ns();
	uint64_t t_measure = t_start + (uint64_t)(warmup * 1e9);
	uint64_t t_end = duration > 0 ? t_measure + (uint64_t)(duration * 1e9) : UINT64_MAX;
	uint64_t t_deadline = t_start + (uint64_t)(timeout * 1e9);
	int pending = in_flight, timed_out = 0;
	uint64_t now = t_start, t_stop;
	double cpu_at_measure = -1;

	for (;;) {
		now = now_ns();
		int measuring = now >= t_measure;
		if (measuring && cpu_at_measure < 0) cpu_at_measure = cpu_seconds();
		if (now >= t_end) break;
		if (now >= t_deadline) { timed_out = 1; break; }
		if (count > 0 && (double)(ok_count + err_connect + err_read + err_greeting) >= count) break;

		/* (Re)start every idle slot. */
		for (int i = 0; pending > 0 && i < in_flight; i++) {
			struct slot *s = &slots[i];
			if (s->fd >= 0) continue;
			s->start = now_ns();
			s->len = 0;
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0) { perror("loadgen: socket"); return 1; }
			if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0 && errno != EINPROGRESS) {
				if (!first_errno) first_errno = errno;
				if (measuring) err_connect++;
				close(fd);
				continue; /* stays pending: retried on the next turn */
			}
			struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i};
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { perror("loadgen: epoll_ctl"); return 1; }
			s->fd = fd;
			pending--;
		}

		int n = epoll_wait(ep, events, in_flight, pending > 0 ? 1 : 10);
		if (n < 0) {
			if (errno == EINTR) continue;
			perror("loadgen: epoll_wait");
			return 1;
		}
		for (int k = 0; k < n; k++) {
			struct slot *s = &slots[events[k].data.u32];
			int done = 0, bad = 0; /* bad: 1 read error, 2 wrong greeting */
			for (;;) {
				char scratch[64];
				char *dst = s->len < sizeof s->buf ? s->buf + s->len : scratch;
				size_t room = s->len < sizeof s->buf ? sizeof s->buf - s->len : sizeof scratch;
				ssize_t r = read(s->fd, dst, room);
				if (r > 0) { s->len += (size_t)r; continue; }
				if (r == 0) { done = 1; break; }
				if (errno == EAGAIN || errno == EWOULDBLOCK) break;
				if (errno == EINTR) continue;
				if (!first_errno) first_errno = errno;
				done = 1;
				bad = errno == ECONNREFUSED ? 3 : 1;
				break;
			}
			if (!done) continue;
			if (!bad && (s->len != glen || memcmp(s->buf, greeting, glen) != 0)) bad = 2;
			uint64_t t = now_ns();
			if (!bad) all_count++;
			if (t >= t_measure && t < t_end) {
				if (bad == 0) { ok_count++; record_latency(t - s->start); }
				else if (bad == 1) err_read++;
				else if (bad == 2) err_greeting++;
				else err_connect++;
			}
			close(s->fd);
			s->fd = -1;
			pending++;
		}
	}
	t_stop = now;
	for (int i = 0; i < in_flight; i++) if (slots[i].fd >= 0) close(slots[i].fd);

	double secs = (double)((t_end != UINT64_MAX && t_stop >= t_end ? t_end : t_stop) - t_measure) / 1e9;
	if (secs <= 0) secs = 1e-9;
	double cpu_util = cpu_at_measure < 0 ? 0 : (cpu_seconds() - cpu_at_measure) / secs;
	double p50 = 0, p99 = 0, pmax = 0;
	if (lat_len > 0) {
		qsort(lat, lat_len, sizeof *lat, cmp_u64);
		p50 = (double)lat[(lat_len - 1) / 2] / 1e3;
		size_t i99 = (size_t)((double)lat_len * 0.99 + 0.999999);
		p99 = (double)lat[(i99 ? i99 : 1) - 1] / 1e3;
		pmax = (double)lat[lat_len - 1] / 1e3;
	}
	uint64_t errors = err_connect + err_read + err_greeting;
	printf("{\"in_flight\":%d,\"conns\":%llu,\"errors\":%llu,\"err_connect\":%llu,\"err_read\":%llu,"
	       "\"err_greeting\":%llu,\"first_error\":\"%s\",\"seconds\":%.6f,\"conns_per_s\":%.1f,"
	       "\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"cpu_util\":%.3f,\"cpu_total\":%.3f,\"all_conns\":%llu,\"timed_out\":%s}\n",
	       in_flight, (unsigned long long)ok_count, (unsigned long long)errors,
	       (unsigned long long)err_connect, (unsigned long long)err_read,
	       (unsigned long long)err_greeting, first_errno ? strerror(first_errno) : "", secs,
	       (double)ok_count / secs, p50, p99, pmax, cpu_util, cpu_seconds(), (unsigned long long)all_count, timed_out ? "true" : "false");
	return 0;
}
