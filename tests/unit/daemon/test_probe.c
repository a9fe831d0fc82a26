/* Unit tests of the start-up binding (probe.c): a listening socket is kept
 * for the listener, a taken address is refused with its name, a bad one is
 * named too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "probe.h"

static int bound_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t l = sizeof sa;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &l), 0);
	return ntohs(sa.sin_port);
}

static void test_tcp_kept_and_taken(void **state)
{
	(void)state;
	char err[256] = "";
	int fd = -1;
	assert_int_equal(probe_listen("127.0.0.1:0", SOCK_STREAM, &fd, err, sizeof err), 0);
	assert_true(fd > 2);
	int port = bound_port(fd);
	assert_true(port > 0);
	/* It listens: a client connects before anything accepts. */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_int_equal(connect(c, (struct sockaddr *)&to, sizeof to), 0);
	close(c);
	/* The same address again: refused, named. */
	char addr[64], want[160];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	int fd2 = 123;
	assert_int_equal(probe_listen(addr, SOCK_STREAM, &fd2, err, sizeof err), -1);
	assert_int_equal(fd2, -1);
	snprintf(want, sizeof want, "cannot listen on %s: Address already in use", addr);
	assert_string_equal(err, want);
	assert_int_equal(probe_bind(addr, SOCK_STREAM, err, sizeof err), -1);
	close(fd);
	/* Released: free again, and probe_bind keeps nothing. */
	assert_int_equal(probe_bind(addr, SOCK_STREAM, err, sizeof err), 0);
	assert_int_equal(probe_listen(addr, SOCK_STREAM, &fd, err, sizeof err), 0);
	close(fd);
}

static void test_udp_and_empty(void **state)
{
	(void)state;
	char err[256] = "";
	int fd = -1, fd2 = -1;
	assert_int_equal(probe_listen("127.0.0.1:0", SOCK_DGRAM, &fd, err, sizeof err), 0);
	int port = bound_port(fd);
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	assert_int_equal(probe_listen(addr, SOCK_DGRAM, &fd2, err, sizeof err), -1);
	assert_non_null(strstr(err, addr));
	close(fd);
	fd = 7;
	assert_int_equal(probe_listen("", SOCK_STREAM, &fd, err, sizeof err), 0);
	assert_int_equal(fd, -1);
	assert_int_equal(probe_listen("localhost", SOCK_STREAM, &fd, err, sizeof err), -1);
	assert_string_equal(err, "cannot listen on localhost: not ADDR:PORT");
	assert_int_equal(probe_listen("no.such.host:80", SOCK_STREAM, &fd, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot listen on no.such.host:80: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_kept_and_taken),
		cmocka_unit_test(test_udp_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
