/* A stranger on a call's media ports, for loopback.sh: from one UDP socket
 * of its own, every 10 ms until SIGTERM, it sends to each PORT on HOST
 *   seq0    a valid UDPTL packet with sequence number 0 carrying a T.38
 *           indicator, again and again (what stalled T.38 calls when it came
 *           before the peer's first packet);
 *   stream  well-formed media with sequence numbers that follow: an RTP
 *           PCMU packet and a UDPTL packet, each numbered one more than its
 *           last (what a source must send to be learnt, see mediasrc.h).
 * It counts the datagrams that come back to its socket (media sent to it:
 * it took the call's outgoing media) and prints "sent N received M" on
 * SIGTERM. Usage: mediaforge seq0|stream HOST PORT... */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PORTS_MAX 8
#define RUN_MAX_S 900 /* a helper left behind stops by itself */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc - 3 > PORTS_MAX || (strcmp(argv[1], "seq0") != 0 && strcmp(argv[1], "stream") != 0)) {
		fprintf(stderr, "usage: mediaforge seq0|stream HOST PORT...\n");
		return 2;
	}
	int stream = strcmp(argv[1], "stream") == 0;
	struct sockaddr_storage to[PORTS_MAX];
	socklen_t tolen = 0;
	int nto = argc - 3, fam = AF_INET;
	for (int i = 0; i < nto; i++) {
		struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV}, *ai;
		if (getaddrinfo(argv[2], argv[3 + i], &hints, &ai) != 0)
			return 2;
		memcpy(&to[i], ai->ai_addr, ai->ai_addrlen);
		tolen = ai->ai_addrlen;
		fam = ai->ai_family;
		freeaddrinfo(ai);
	}
	int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 1;
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	unsigned long sent = 0, received = 0;
	uint16_t rseq = 1000, useq = 1;
	time_t until = time(NULL) + RUN_MAX_S;
	while (!stop && time(NULL) < until) {
		uint8_t rtp[12 + 160], udptl[6] = {0x00, 0x00, 0x01, 0x09, 0x00, 0x00};
		if (stream) {
			memset(rtp, 0xff, sizeof rtp);
			rtp[0] = 0x80;
			rtp[1] = 0; /* PCMU */
			rtp[2] = (uint8_t)(rseq >> 8);
			rtp[3] = (uint8_t)rseq;
			memset(rtp + 4, 0, 8);
			udptl[0] = (uint8_t)(useq >> 8);
			udptl[1] = (uint8_t)useq;
			rseq++;
			useq++;
		}
		for (int i = 0; i < nto; i++) {
			if (sendto(fd, udptl, sizeof udptl, 0, (struct sockaddr *)&to[i], tolen) > 0)
				sent++;
			if (stream && sendto(fd, rtp, sizeof rtp, 0, (struct sockaddr *)&to[i], tolen) > 0)
				sent++;
		}
		uint8_t buf[2048];
		while (recv(fd, buf, sizeof buf, 0) >= 0)
			received++;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	printf("sent %lu received %lu\n", sent, received);
	close(fd);
	return 0;
}
