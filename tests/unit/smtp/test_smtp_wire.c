/* Malformed frames from the SMTP front end, as the service reads them:
 * ipc_recv, then smtp_wire_check (src/daemon/smtp_front.c, serve()). The
 * front end parses strangers' mail and may be taken over. What the service
 * does with a frame refused there, by design (smtp_front.c,
 * docs/architecture.md "Processes"): it logs smtp.front_malformed, kills
 * the front end (SIGKILL) and ends the channel; the mails it had taken
 * before go on in their workers (a mail accepted once: test_mail_retry_once
 * in tests/integ), and the successor front end gets a new channel. The
 * refused frame's fds are closed: ipc_recv closes those of a datagram it
 * refuses, ipc_msg_free those of a message the check refuses, among them
 * the verdict socket, whose session then sees it close (451). Here: each
 * kind of bad frame between two good mails on one real SOCK_SEQPACKET
 * pair, the receiver's answer, every fd the receiver got for it closed
 * there (fcntl), and the mail after it read whole. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "../common/wire_frames.h"

#include "ipc.h"
#include "smtp_wire.h"
#include "xalloc.h"

/* A well-formed SMTPF_MAIL for the recipient rcpt into o (no fds). */
static void good_mail(struct ipc_out *o, const char *rcpt)
{
	smtp_envelope_t env = { .session_id = "smtp_1", .peer = "192.0.2.9",
		.helo = "client.test", .mail_from = "user@a.example", .nrcpt = 1 };
	snprintf(env.rcpt[0], sizeof env.rcpt[0], "%s", rcpt);
	smtp_mail_t m = { .body = "Bonjour" };
	snprintf(m.from, sizeof m.from, "user@a.example");
	smtp_wire_mail_encode(o, &env, 40, &m);
}

static smtp_wire_mail_t w;
static smtp_wire_bounce_t b;

/* The service's read of one frame: ipc_recv, then the check; the message
 * freed after, as the service drops a refused one (its fds closed).
 * *rcpt gets a mail's first recipient. */
static int svc_read(int s, char *rcpt, size_t cap)
{
	struct ipc_msg m;
	int rc = wf_recv(s, &m);
	if (rc != 0)
		return rc;
	int r = smtp_wire_check(&m, &w, &b) == 0 ? WF_OK : WF_REFUSED;
	if (r == WF_OK && m.type == SMTPF_MAIL)
		snprintf(rcpt, cap, "%s", w.env.rcpt[0]);
	ipc_msg_free(&m);
	return r;
}

static void send_good(int s, struct ipc_out *o, const char *rcpt, const int fds[3])
{
	good_mail(o, rcpt);
	for (int i = 0; i < 3; i++)
		ipc_put_fd(o, fds[i]);
	assert_int_equal(ipc_send(s, o), 0);
}

static void expect_good(int s, const char *rcpt)
{
	char got[32] = "";
	assert_int_equal(svc_read(s, got, sizeof got), WF_OK);
	assert_string_equal(got, rcpt);
}

static void test_malformed_frames(void **state)
{
	(void)state;
	int sv[2];
	wf_pair(sv);
	struct ipc_out *o = xmalloc(sizeof *o);
	uint8_t *raw = xcalloc(1, IPC_HDR_LEN + IPC_PAYLOAD_MAX + 1);
	int memfd[5];
	for (int i = 0; i < 5; i++)
		assert_true((memfd[i] = memfd_create("wirebad", MFD_CLOEXEC)) >= 0);
	char got[32];

	send_good(sv[0], o, "+15555550101", memfd);
	expect_good(sv[1], "+15555550101");
	/* A bounce with its verdict socket is taken too. */
	smtp_wire_bounce_encode(o, "smtp_1", "192.0.2.9", "mail_ab2c", NULL);
	ipc_put_fd(o, memfd[0]);
	assert_int_equal(ipc_send(sv[0], o), 0);
	assert_int_equal(svc_read(sv[1], got, sizeof got), WF_OK);
	assert_string_equal(b.mail_id, "mail_ab2c");

	struct {
		const char *what;
		int expect;
	} cases[] = {
		{ "a mail with two fds", WF_REFUSED },
		{ "a mail with four fds", WF_REFUSED },
		{ "a bounce without its verdict socket", WF_REFUSED },
		{ "a bounce with two fds", WF_REFUSED },
		{ "a verdict (the service's own kind) with an fd", WF_REFUSED },
		{ "an unknown kind with three fds", WF_REFUSED },
		{ "a mail cut inside a field (length consistent), three fds", WF_REFUSED },
		{ "a mail with bytes left over, three fds", WF_REFUSED },
		{ "a header that claims more than the frame holds, three fds", WF_BADMSG },
		{ "over the size limit, with an fd", WF_BADMSG },
		{ "five fds", WF_BADMSG },
		{ "a zero-length frame with an fd", WF_BADMSG },
		{ "a recipient not E.164, three fds", WF_REFUSED },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		size_t nfds = 3;
		if (k == 2 || k == 3 || k == 4) {
			if (k == 4) {
				smtp_reply_t r = { 250, "2.0.0 Queued" };
				smtp_wire_verdict_encode(o, &r);
			} else {
				smtp_wire_bounce_encode(o, "smtp_1", "192.0.2.9", "mail_ab2c", NULL);
			}
			nfds = k == 2 ? 0 : k == 3 ? 2 : 1;
		} else {
			good_mail(o, k == 12 ? "+1555x" : "+15555550102");
		}
		size_t n = o->len;
		memcpy(raw, o->buf, n);
		/* The payload's length, which ipc_send writes in the header. */
		wf_put_le(raw + 4, n - IPC_HDR_LEN, 4);
		switch (k) {
		case 0: nfds = 2; break;
		case 1: nfds = 4; break;
		case 5: wf_put_le(raw + 2, 0x2ff, 2); break;
		case 6: n -= 3; wf_put_le(raw + 4, n - IPC_HDR_LEN, 4); break;
		case 7: memset(raw + n, 'x', 4); n += 4; wf_put_le(raw + 4, n - IPC_HDR_LEN, 4); break;
		case 8: wf_put_le(raw + 4, n - IPC_HDR_LEN + 100, 4); break;
		case 9:
			n = IPC_HDR_LEN + IPC_PAYLOAD_MAX + 1;
			wf_put_le(raw + 4, IPC_PAYLOAD_MAX + 1, 4);
			nfds = 1;
			break;
		case 10: nfds = 5; break;
		case 11: n = 0; nfds = 1; break;
		}
		int first = wf_next_fd();
		wf_send(sv[0], raw, n, memfd, nfds);
		print_message("%s\n", cases[k].what);
		assert_int_equal(svc_read(sv[1], got, sizeof got), cases[k].expect);
		for (size_t i = 0; i < nfds; i++)
			assert_true(wf_closed(first + (int)i));
		assert_int_equal(wf_next_fd(), first);
		send_good(sv[0], o, "+15555550103", memfd);
		expect_good(sv[1], "+15555550103");
	}

	/* An empty datagram, while the front end is there, is refused
	 * (EBADMSG), not read as its close; the frame after it is still there. */
	wf_send(sv[0], raw, 0, NULL, 0);
	assert_int_equal(svc_read(sv[1], got, sizeof got), WF_BADMSG);
	send_good(sv[0], o, "+15555550104", memfd);
	expect_good(sv[1], "+15555550104");

	for (int i = 0; i < 5; i++) {
		assert_false(wf_closed(memfd[i]));
		close(memfd[i]);
	}
	free(raw);
	free(o);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
