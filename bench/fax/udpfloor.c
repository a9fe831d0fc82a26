/* Floor of the network path for bench/fax: what an engine that does no fax
 * work at all would cost, on the same clock and with the same datagrams.
 *
 * Two threads play the two engines. Each has P sockets (one per call, as
 * the engine has), wakes once per media tick (20 ms divided by the clock
 * speed), sends the datagrams its calls owe at that tick to the peer
 * thread's sockets (sendto, 172 bytes), then drains each of its sockets
 * with recvmmsg. The datagram rate per call is the one the real calls
 * exchanged (both directions together), spread evenly over the ticks.
 *
 * Prints one line: microseconds of CPU per datagram (wake-ups included),
 * and milliseconds of CPU per call-second per side (the figure to add to
 * the baseline's to get the lowest cost any engine could have here).
 * Usage: fax_udpfloor CALLS DATAGRAMS_PER_CALL_SECOND SPEED CALL_SECONDS */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CALLS_MAX 2048

typedef struct side {
	int fd[CALLS_MAX];
	struct sockaddr_in addr[CALLS_MAX];
	struct side *peer;
	long sent, got;
} side_t;

static int ncalls;
static long nticks;
static long tick_ns;
static double per_tick; /* datagrams one side sends per call per tick */

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

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *run_side(void *arg)
{
	side_t *s = arg;
	unsigned char pkt[172], buf[2048];
	memset(pkt, 0x55, sizeof pkt);
	struct iovec iov = {buf, sizeof buf};
	struct mmsghdr m = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
	long long next = mono_ns();
	double owed = 0;
	for (long t = 0; t < nticks; t++) {
		next += tick_ns;
		struct timespec ts = {(time_t)(next / 1000000000LL), (long)(next % 1000000000LL)};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		owed += per_tick;
		int now = (int)owed;
		owed -= now;
		for (int n = 0; n < now; n++)
			for (int k = 0; k < ncalls; k++)
				if (sendto(s->fd[k], pkt, sizeof pkt, 0, (struct sockaddr *)&s->peer->addr[k],
					   sizeof s->peer->addr[k]) == (ssize_t)sizeof pkt)
					s->sent++;
		for (int k = 0; k < ncalls; k++)
			while (recvmmsg(s->fd[k], &m, 1, MSG_DONTWAIT, NULL) == 1)
				s->got++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: fax_udpfloor CALLS DATAGRAMS_PER_CALL_SECOND SPEED CALL_SECONDS\n");
		return 2;
	}
	ncalls = atoi(argv[1]);
	double rate = atof(argv[2]), speed = atof(argv[3]), call_s = atof(argv[4]);
	if (ncalls < 1 || ncalls > CALLS_MAX || rate <= 0 || speed <= 0 || call_s <= 0)
		return 2;
	tick_ns = (long)(20000000.0 / speed);
	nticks = (long)(call_s * 50);
	per_tick = rate / 2 / 50;
	static side_t sides[2];
	sides[0].peer = &sides[1];
	sides[1].peer = &sides[0];
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < ncalls; k++)
			sides[i].fd[k] = sock(&sides[i].addr[k]);
	struct timespec c0, c1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, run_side, &sides[i]) != 0)
			return 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	long sent = sides[0].sent + sides[1].sent, got = sides[0].got + sides[1].got;
	printf("%.3f %.4f %ld %ld\n", cpu * 1e6 / (double)(sent ? sent : 1), cpu * 1000 / 2 / ncalls / call_s, sent,
	       got);
	return got > sent / 2 ? 0 : 1;
}
