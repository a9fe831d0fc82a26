/* Unit tests of the shared media socket's peer table (mediamux): owners by
 * address, refusal of a second owner, removal by the owner only, reuse of
 * removed slots (tombstones and rehash) far beyond the table's size, a
 * real datagram received on the mux socket from a keyed peer, over IPv4
 * and over IPv6 (::1), and an IPv4 peer known by its IPv4-mapped IPv6
 * form too. */
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

static struct sockaddr_storage addr(uint32_t ip, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(ip);
	return ss;
}

static struct sockaddr_storage addr6(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
	return ss;
}

static mediamux_t *open_loopback(void)
{
	struct sockaddr_storage lo = addr(INADDR_LOOPBACK, 0);
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
	struct sockaddr_storage p1 = addr(0x0a000001, 4000), p2 = addr(0x0a000001, 4002), p3 = addr(0x0a000002, 4000);
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
	struct sockaddr_storage zero = addr(0x0a000001, 0);
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
		struct sockaddr_storage p = addr(0x7f000001, (uint16_t)(10000 + i));
		assert_int_equal(mediamux_set(mx, &p, &owner[i]), 0);
	}
	struct sockaddr_storage extra = addr(0x7f000002, 9);
	assert_int_equal(mediamux_set(mx, &extra, &owner[0]), -1);
	/* Calls come and go many times over the table's size: every live one
	 * stays findable, every gone one is gone. */
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < MEDIAMUX_SLOTS / 2; i += 2) {
			struct sockaddr_storage p = addr(0x7f000001, (uint16_t)(10000 + i + (round % 2) * 5000));
			mediamux_del(mx, &p, &owner[i]);
			struct sockaddr_storage q = addr(0x7f000001, (uint16_t)(10000 + i + ((round + 1) % 2) * 5000));
			assert_int_equal(mediamux_set(mx, &q, &owner[i]), 0);
		}
		for (int i = 0; i < MEDIAMUX_SLOTS / 2; i++) {
			int moved = i % 2 == 0;
			struct sockaddr_storage now = addr(0x7f000001, (uint16_t)(10000 + i + (moved ? ((round + 1) % 2) * 5000 : 0)));
			assert_ptr_equal(mediamux_find(mx, &now), &owner[i]);
			if (moved) {
				struct sockaddr_storage old = addr(0x7f000001, (uint16_t)(10000 + i + (round % 2) * 5000));
				assert_null(mediamux_find(mx, &old));
			}
		}
	}
	assert_int_equal(mx->used, MEDIAMUX_SLOTS / 2);
	mediamux_close(mx);
}

/* A peer bound at pa (port 0) is keyed in mx, sends a datagram to mx's
 * port at to, and mx finds the peer's owner by the address it came from. */
static void roundtrip(mediamux_t *mx, struct sockaddr_storage pa, struct sockaddr_storage to, socklen_t len)
{
	int peer = socket(pa.ss_family, SOCK_DGRAM, 0);
	socklen_t pl = sizeof pa;
	assert_int_equal(bind(peer, (struct sockaddr *)&pa, len), 0);
	assert_int_equal(getsockname(peer, (struct sockaddr *)&pa, &pl), 0);
	int call;
	assert_int_equal(mediamux_set(mx, &pa, &call), 0);
	assert_int_equal(sendto(peer, "rtp", 3, 0, (struct sockaddr *)&to, len), 3);
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	char buf[8];
	ssize_t n = -1;
	for (int i = 0; i < 100 && n < 0; i++) {
		n = recvfrom(mx->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			usleep(1000);
	}
	assert_int_equal(n, 3);
	assert_int_equal(from.ss_family, pa.ss_family);
	assert_ptr_equal(mediamux_find(mx, &from), &call);
	close(peer);
}

static void t_socket(void **state)
{
	(void)state;
	mediamux_t *mx = open_loopback();
	roundtrip(mx, addr(INADDR_LOOPBACK, 0), addr(INADDR_LOOPBACK, mx->port), sizeof(struct sockaddr_in));
	mediamux_close(mx);
}

/* IPv6 peers: keys by their 16 bytes and port; an IPv4 peer is the same
 * key as its IPv4-mapped IPv6 form (a dual-stack socket reports it so). */
static void t_ipv6_keys(void **state)
{
	(void)state;
	mediamux_t *mx = open_loopback();
	int a, b, c;
	struct sockaddr_storage p1 = addr6("2001:db8::1", 4000), p2 = addr6("2001:db8::2", 4000),
				v4 = addr(0x0a000001, 4000), mapped = addr6("::ffff:10.0.0.1", 4000);
	assert_int_equal(mediamux_set(mx, &p1, &a), 0);
	assert_int_equal(mediamux_set(mx, &p2, &b), 0);
	assert_int_equal(mediamux_set(mx, &p1, &b), -1);
	assert_ptr_equal(mediamux_find(mx, &p1), &a);
	assert_ptr_equal(mediamux_find(mx, &p2), &b);
	assert_int_equal(mediamux_set(mx, &v4, &c), 0);
	assert_ptr_equal(mediamux_find(mx, &mapped), &c);
	assert_int_equal(mediamux_set(mx, &mapped, &a), -1); /* one peer, one owner */
	mediamux_del(mx, &mapped, &c);
	assert_null(mediamux_find(mx, &v4));
	mediamux_close(mx);
}

/* A mux opened on ::1 receives from an IPv6 peer and hands its datagram
 * to the peer's owner. */
static void t_socket6(void **state)
{
	(void)state;
	struct sockaddr_storage lo = addr6("::1", 0);
	mediamux_t *mx = mediamux_open(&lo);
	if (!mx) {
		skip(); /* no IPv6 on this machine */
		return;
	}
	roundtrip(mx, addr6("::1", 0), addr6("::1", mx->port), sizeof(struct sockaddr_in6));
	mediamux_close(mx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_owners),
		cmocka_unit_test(t_churn),
		cmocka_unit_test(t_socket),
		cmocka_unit_test(t_ipv6_keys),
		cmocka_unit_test(t_socket6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
