/* Floor of the network path for bench/fax: the CPU that the kernel alone
 * spends to carry one RTP-sized datagram (172 bytes) over 127.0.0.1, the
 * way the engine does it (one sendto, then one recvmmsg on the peer's
 * socket), with no fax work at all. Prints one line: microseconds of CPU per
 * datagram (send and receive together; on loopback the sender also pays
 * the receiver's delivery). The datagrams go round-robin over P socket
 * pairs (P calls: each datagram finds its socket cold, as in the engine).
 * Usage: fax_udpfloor [N [P]] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int sock(struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t l = sizeof *sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof *sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)sa, &l) != 0) {
		perror("socket");
		exit(1);
	}
	return fd;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int np = argc > 2 ? atoi(argv[2]) : 1;
	if (np < 1 || np > 1000)
		np = 1;
	struct sockaddr_in *a = calloc((size_t)np, sizeof *a), *b = calloc((size_t)np, sizeof *b);
	int *fa = calloc((size_t)np, sizeof *fa), *fb = calloc((size_t)np, sizeof *fb);
	if (!a || !b || !fa || !fb)
		return 1;
	for (int k = 0; k < np; k++) {
		fa[k] = sock(&a[k]);
		fb[k] = sock(&b[k]);
	}
	unsigned char pkt[172], buf[2048];
	memset(pkt, 0x55, sizeof pkt);
	struct iovec iov = {buf, sizeof buf};
	struct mmsghdr m = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
	double t0 = cpu_s();
	long got = 0;
	for (long i = 0; i < n; i++) {
		int k = (int)((i / 2) % np);
		int from = i & 1 ? fb[k] : fa[k], to = i & 1 ? fa[k] : fb[k];
		struct sockaddr_in *dst = i & 1 ? &a[k] : &b[k];
		if (sendto(from, pkt, sizeof pkt, 0, (struct sockaddr *)dst, sizeof *dst) < 0)
			continue;
		if (recvmmsg(to, &m, 1, MSG_DONTWAIT, NULL) == 1)
			got++;
	}
	double us = (cpu_s() - t0) * 1e6 / (double)n;
	printf("%.3f %ld\n", us, got);
	for (int k = 0; k < np; k++) {
		close(fa[k]);
		close(fb[k]);
	}
	free(a);
	free(b);
	free(fa);
	free(fb);
	return got > n / 2 ? 0 : 1;
}
