/* Unit tests of the shared media socket's peer table (mediamux): owners by
 * address, refusal of a second owner, removal by the owner only, reuse of
 * removed slots (tombstones and rehash) far beyond the table's size, and a
 * real datagram received on the mux socket from a keyed peer. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "mediamux.h"

static struct sockaddr_in addr(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(ip);
	return a;
}

static mediamux_t *open_loopback(void)
{
	struct sockaddr_in lo = addr(INADDR_LOOPBACK, 0);
	mediamux_t *mx = mediamux_open(&lo);
	assert_non_null(mx);
	assert_true(mx->port != 0);
	return mx;
}

static void t_owners(void **state)
{
	(void)state;
	mediamux_t *mx = open_loopback();
	int a, b;
	struct sockaddr_in p1 = addr(0x0a000001, 4000), p2 = addr(0x0a000001, 4002), p3 = addr(0x0a000002, 4000);
	assert_int_equal(mediamux_set(mx, &p1, &a), 0);
	assert_int_equal(mediamux_set(mx, &p1, &a), 0);  /* again, same owner */
	assert_int_equal(mediamux_set(mx, &p1, &b), -1); /* a second owner */
	assert_int_equal(mediamux_set(mx, &p2, &b), 0);  /* same host, other port */
	assert_ptr_equal(mediamux_find(mx, &p1), &a);
	assert_ptr_equal(mediamux_find(mx, &p2), &b);
	assert_null(mediamux_find(mx, &p3));
	mediamux_del(mx, &p1, &b); /* not b's: stays */
	assert_ptr_equal(mediamux_find(mx, &p1), &a);
	mediamux_del(mx, &p1, &a);
	assert_null(mediamux_find(mx, &p1));
	assert_ptr_equal(mediamux_find(mx, &p2), &b); /* found past the tombstone */
	struct sockaddr_in zero = addr(0x0a000001, 0);
	assert_int_equal(mediamux_set(mx, &zero, &a), -1); /* no port: no peer */
	mediamux_close(mx);
}

static void t_churn(void **state)
{
	(void)state;
	mediamux_t *mx = open_loopback();
	static int owner[MEDIAMUX_SLOTS];
	/* Fill to the limit (half the slots), then refuse one more. */
	for (int i = 0; i < MEDIAMUX_SLOTS / 2; i++) {
		struct sockaddr_in p = addr(0x7f000001, (uint16_t)(10000 + i));
		assert_int_equal(mediamux_set(mx, &p, &owner[i]), 0);
	}
	struct sockaddr_in extra = addr(0x7f000002, 9);
	assert_int_equal(mediamux_set(mx, &extra, &owner[0]), -1);
	/* Calls come and go many times over the table's size: every live one
	 * stays findable, every gone one is gone. */
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < MEDIAMUX_SLOTS / 2; i += 2) {
			struct sockaddr_in p = addr(0x7f000001, (uint16_t)(10000 + i + (round % 2) * 5000));
			mediamux_del(mx, &p, &owner[i]);
			struct sockaddr_in q = addr(0x7f000001, (uint16_t)(10000 + i + ((round + 1) % 2) * 5000));
			assert_int_equal(mediamux_set(mx, &q, &owner[i]), 0);
		}
		for (int i = 0; i < MEDIAMUX_SLOTS / 2; i++) {
			int moved = i % 2 == 0;
			struct sockaddr_in now = addr(0x7f000001, (uint16_t)(10000 + i + (moved ? ((round + 1) % 2) * 5000 : 0)));
			assert_ptr_equal(mediamux_find(mx, &now), &owner[i]);
			if (moved) {
				struct sockaddr_in old = addr(0x7f000001, (uint16_t)(10000 + i + (round % 2) * 5000));
				assert_null(mediamux_find(mx, &old));
			}
		}
	}
	assert_int_equal(mx->used, MEDIAMUX_SLOTS / 2);
	mediamux_close(mx);
}

static void t_socket(void **state)
{
	(void)state;
	mediamux_t *mx = open_loopback();
	int peer = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in pa = addr(INADDR_LOOPBACK, 0);
	socklen_t pl = sizeof pa;
	assert_int_equal(bind(peer, (struct sockaddr *)&pa, sizeof pa), 0);
	assert_int_equal(getsockname(peer, (struct sockaddr *)&pa, &pl), 0);
	int call;
	assert_int_equal(mediamux_set(mx, &pa, &call), 0);
	struct sockaddr_in to = addr(INADDR_LOOPBACK, mx->port);
	assert_int_equal(sendto(peer, "rtp", 3, 0, (struct sockaddr *)&to, sizeof to), 3);
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	char buf[8];
	ssize_t n = -1;
	for (int i = 0; i < 100 && n < 0; i++) {
		n = recvfrom(mx->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			usleep(1000);
	}
	assert_int_equal(n, 3);
	assert_ptr_equal(mediamux_find(mx, &from), &call);
	close(peer);
	mediamux_close(mx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_owners),
		cmocka_unit_test(t_churn),
		cmocka_unit_test(t_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
