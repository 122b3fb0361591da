/*
 * udpsend: sends COUNT datagrams of SIZE bytes to ADDR:PORT, paced at RATE
 * datagrams/s (0: flat out). Pacing keeps a schedule (datagram i is due at
 * i/RATE s), sending whatever is due and sleeping or spinning until the next.
 * Prints {"sent":N,"errors":E,"seconds":S,"rate":R,"cpu_total":C} on stdout.
 * With -N each datagram starts with beejnet's numbered header, version 1
 * (lib/numbered_datagram.ts: magic BE E7 DA 7A, version 1, length 20, flags
 * 0, then big-endian sequence number, seconds and nanoseconds of
 * CLOCK_REALTIME), for listener --stats.
 *
 * usage: udpsend -p PORT -n COUNT [-r RATE] [-s SIZE] [-N] [-a 127.0.0.1]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double parse_num(const char *s, double lo, double hi, const char *what) {
	char *end;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "udpsend: %s \"%s\" is out of range [%g, %g]\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv) {
	const char *addr = "127.0.0.1";
	int port = -1, opt, numbered = 0;
	double count = 0, rate = 0, size = 32;
	while ((opt = getopt(argc, argv, "p:n:r:s:a:N")) != -1) {
		switch (opt) {
		case 'p': port = (int)parse_num(optarg, 1, 65535, "port"); break;
		case 'n': count = parse_num(optarg, 1, 1e10, "count"); break;
		case 'r': rate = parse_num(optarg, 0, 1e8, "rate"); break;
		case 's': size = parse_num(optarg, 1, 1400, "size"); break;
		case 'a': addr = optarg; break;
		case 'N': numbered = 1; break;
		default:
			fprintf(stderr, "usage: udpsend -p PORT -n COUNT [-r RATE] [-s SIZE] [-N] [-a ADDR]\n");
			return 2;
		}
	}
	if (numbered && size < 20) {
		fprintf(stderr, "udpsend: -N needs a size of at least 20 bytes\n");
		return 2;
	}
	if (port < 0 || count == 0) {
		fprintf(stderr, "usage: udpsend -p PORT -n COUNT [-r RATE] [-s SIZE] [-N] [-a ADDR]\n");
		return 2;
	}
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "udpsend: \"%s\" is not an IPv4 address\n", addr);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
		perror("udpsend: socket");
		return 1;
	}
	char payload[1400];
	for (size_t i = 0; i < sizeof payload; i++) payload[i] = (char)('a' + i % 26);

	uint64_t total = (uint64_t)count, sent = 0, errors = 0;
	double gap = rate > 0 ? 1e9 / rate : 0;
	uint64_t t0 = now_ns();
	while (sent + errors < total) {
		if (gap > 0) {
			uint64_t due = t0 + (uint64_t)((double)(sent + errors) * gap);
			uint64_t now = now_ns();
			if (now < due) {
				if (due - now > 200000) { /* sleep most of a long wait, spin the rest */
					struct timespec ts = {0, (long)(due - now - 100000)};
					nanosleep(&ts, NULL);
				}
				continue;
			}
		}
		if (numbered) {
			struct timespec wall;
			clock_gettime(CLOCK_REALTIME, &wall);
			uint32_t words[3] = {htonl((uint32_t)(sent + errors)), htonl((uint32_t)wall.tv_sec),
			                     htonl((uint32_t)wall.tv_nsec)};
			static const unsigned char head[8] = {0xbe, 0xe7, 0xda, 0x7a, 1, 20, 0, 0};
			memcpy(payload, head, sizeof head);
			memcpy(payload + 8, words, sizeof words);
		}
		if (send(fd, payload, (size_t)size, 0) < 0) errors++;
		else sent++;
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("{\"sent\":%llu,\"errors\":%llu,\"seconds\":%.6f,\"rate\":%.1f,\"cpu_total\":%.3f}\n",
	       (unsigned long long)sent, (unsigned long long)errors, secs, (double)sent / secs, cpu);
	return 0;
}
