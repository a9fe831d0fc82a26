/* The key holder's side of keyd.h: the request decoder, the operations on
 * keys and documents (shared with callers that hold the key themselves) and
 * the serving loop. */
#include "keyd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "keyd_int.h"
#include "log.h"
#include "xalloc.h"

/* ---- decoding ---- */

/* A wrapped key field: exactly VAULT_WRAPPED_LEN bytes, or 0 when empty is
 * allowed. */
static int get_wrapped(struct ipc_reader *r, const uint8_t **p, size_t *n, int may_be_empty)
{
	if (ipc_get_bytes(r, p, n, VAULT_WRAPPED_LEN) != 0)
		return -1;
	return *n == VAULT_WRAPPED_LEN || (may_be_empty && *n == 0) ? 0 : -1;
}

int keyd_req_decode(const struct ipc_msg *m, struct keyd_req *out)
{
	memset(out, 0, sizeof *out);
	out->type = m->type;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	size_t want_fds = 0;
	switch (m->type) {
	case KEYD_ACCOUNT_KEY:
		if (ipc_get_str(&r, out->account, sizeof out->account, VAULT_ID_MAX) != 0)
			return -1;
		break;
	case KEYD_DOC_PUT:
	case KEYD_DOC_GET:
		if (ipc_get_str(&r, out->account, sizeof out->account, VAULT_ID_MAX) != 0 ||
		    get_wrapped(&r, &out->wak, &out->wak_len, 0) != 0 ||
		    ipc_get_str(&r, out->doc, sizeof out->doc, VAULT_ID_MAX) != 0)
			return -1;
		if (m->type == KEYD_DOC_GET) {
			size_t n;
			if (get_wrapped(&r, &out->wdk, &n, 0) != 0)
				return -1;
		}
		want_fds = 1;
		break;
	case KEYD_SECRET:
		if (ipc_get_u8(&r, &out->seal) != 0 || out->seal > 1 ||
		    ipc_get_str(&r, out->account, sizeof out->account, VAULT_ID_MAX) != 0 ||
		    get_wrapped(&r, &out->wak, &out->wak_len, 1) != 0 ||
		    ipc_get_str(&r, out->purpose, sizeof out->purpose, VAULT_PURPOSE_MAX) != 0 ||
		    ipc_get_str(&r, out->owner, sizeof out->owner, VAULT_ID_MAX) != 0 ||
		    ipc_get_bytes(&r, &out->text, &out->text_len, KEYD_TEXT_MAX) != 0 ||
		    memchr(out->text, '\0', out->text_len))
			return -1;
		/* An account's secret comes with its key; the provider's without. */
		if ((out->account[0] != '\0') != (out->wak_len != 0))
			return -1;
		break;
	default:
		return -1;
	}
	if (m->nfds != want_fds)
		return -1;
	return ipc_reader_end(&r);
}

/* ---- operations with the key in this process ---- */

static vault_err_t local_doc_put(const vault_key_t *master, const char *doc_dir,
	const char *account, const uint8_t *wak, const char *doc, int fd, uint8_t *wdk)
{
	vault_key_t *ak = NULL, *dk = NULL;
	vault_err_t ve = vault_account_key_unwrap(master, account, wak, VAULT_WRAPPED_LEN, &ak);
	if (ve == VAULT_OK)
		ve = vault_doc_key_new(ak, account, doc, wdk, &dk);
	vault_key_free(ak);
	vault_writer_t *w = NULL;
	if (ve == VAULT_OK)
		ve = vault_writer_open(doc_dir, doc, dk, &w);
	vault_key_free(dk);
	if (ve != VAULT_OK)
		return ve;
	uint8_t buf[VAULT_CHUNK];
	size_t used = 0; /* the bytes of buf that held plaintext: what is wiped */
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof buf, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ve = VAULT_ERR_IO;
			break;
		}
		if (n == 0)
			break;
		off += n;
		if ((size_t)n > used)
			used = (size_t)n;
		if ((ve = vault_writer_write(w, buf, (size_t)n)) != VAULT_OK)
			break;
	}
	explicit_bzero(buf, used);
	if (ve != VAULT_OK) {
		vault_writer_abort(w);
		return ve;
	}
	return vault_writer_close(w);
}

static vault_err_t local_doc_get(const vault_key_t *master, const char *doc_dir,
	const char *account, const uint8_t *wak, const char *doc, const uint8_t *wdk, int fd,
	uint64_t *size)
{
	vault_key_t *ak = NULL, *dk = NULL;
	vault_err_t ve = vault_account_key_unwrap(master, account, wak, VAULT_WRAPPED_LEN, &ak);
	if (ve == VAULT_OK)
		ve = vault_doc_key_unwrap(ak, account, doc, wdk, VAULT_WRAPPED_LEN, &dk);
	vault_key_free(ak);
	vault_reader_t *r = NULL;
	if (ve == VAULT_OK)
		ve = vault_reader_open(doc_dir, doc, dk, &r);
	vault_key_free(dk);
	if (ve != VAULT_OK)
		return ve;
	uint8_t buf[VAULT_CHUNK];
	size_t got = 0, used = 0;
	*size = 0;
	for (;;) {
		ve = vault_reader_read(r, buf, sizeof buf, &got);
		if (got > used)
			used = got;
		if (ve != VAULT_OK || !got)
			break;
		if (fd_write_all(fd, buf, got) != 0) {
			ve = VAULT_ERR_IO;
			break;
		}
		*size += got;
	}
	explicit_bzero(buf, used);
	vault_reader_close(r);
	return ve;
}

static vault_err_t local_secret(const vault_key_t *master, int seal, const char *account,
	const uint8_t *wak, const char *purpose, const char *owner, const char *text, char **out)
{
	vault_scope_t scope = { .account_id = account, .wrapped_key = account ? wak : NULL,
		.wrapped_len = account ? VAULT_WRAPPED_LEN : 0 };
	return seal ? vault_secret_seal(master, &scope, purpose, owner, text, out)
		    : vault_secret_open(master, &scope, purpose, owner, text, out);
}

/* ---- serving ---- */

static const char *const kind_names[] = {
	[KEYD_ACCOUNT_KEY] = "account_key", [KEYD_DOC_PUT] = "doc_put", [KEYD_DOC_GET] = "doc_get",
	[KEYD_SECRET] = "secret",
};

/* Answers one decoded request into o. */
static void serve_one(const struct keyd_req *q, struct ipc_msg *m, const vault_key_t *master,
	const char *doc_dir, struct ipc_out *o)
{
	uint8_t w[VAULT_WRAPPED_LEN];
	uint64_t size = 0;
	char *text = NULL;
	vault_err_t ve;
	switch (q->type) {
	case KEYD_ACCOUNT_KEY:
		ve = vault_account_key_new(master, q->account, w, NULL);
		break;
	case KEYD_DOC_PUT:
		ve = local_doc_put(master, doc_dir, q->account, q->wak, q->doc, m->fds[0], w);
		break;
	case KEYD_DOC_GET:
		ve = local_doc_get(master, doc_dir, q->account, q->wak, q->doc, q->wdk, m->fds[0], &size);
		break;
	default: {
		char *plain = xmalloc(q->text_len + 1);
		memcpy(plain, q->text, q->text_len);
		plain[q->text_len] = '\0';
		ve = local_secret(master, q->seal, q->account[0] ? q->account : NULL, q->wak, q->purpose,
			q->owner, plain, &text);
		vault_secret_free(plain);
		break;
	}
	}
	ipc_put_u32(o, (uint32_t)ve);
	if (ve == VAULT_OK) {
		if (q->type == KEYD_ACCOUNT_KEY || q->type == KEYD_DOC_PUT)
			ipc_put_bytes(o, w, sizeof w);
		else if (q->type == KEYD_DOC_GET)
			ipc_put_u64(o, size);
		else
			ipc_put_str(o, text);
	}
	vault_secret_free(text);
	log_event(ve == VAULT_OK ? LOG_INFO : LOG_WARN, "keyd.request",
		"kind=%s account=%s doc=%s purpose=%s owner=%s ok=%d err=\"%s\"", kind_names[q->type],
		q->account[0] ? q->account : "-", q->doc[0] ? q->doc : "-",
		q->purpose[0] ? q->purpose : "-", q->owner[0] ? q->owner : "-", ve == VAULT_OK,
		ve == VAULT_OK ? "" : vault_strerror(ve));
}

int keyd_serve(int sock, const vault_key_t *master, const char *doc_dir)
{
	for (;;) {
		struct ipc_msg m;
		int rc = ipc_recv(sock, &m);
		if (rc == 1) {
			ipc_msg_free(&m);
			return 0;
		}
		struct keyd_req q;
		if (rc != 0 || keyd_req_decode(&m, &q) != 0) {
			log_event(LOG_ERROR, "keyd.malformed", "type=%u err=\"%s\"", (unsigned)m.type,
				rc != 0 ? strerror(errno) : "refused message");
			ipc_msg_free(&m);
			return -1;
		}
		struct ipc_out *o = xmalloc(sizeof *o);
		ipc_out_init(o, KEYD_REPLY, m.id);
		serve_one(&q, &m, master, doc_dir, o);
		rc = ipc_send(sock, o);
		/* What the reply held (o->len bytes of buf), not its whole 64 KiB. */
		explicit_bzero(o->buf, o->len < sizeof o->buf ? o->len : sizeof o->buf);
		free(o);
		ipc_msg_free(&m);
		if (rc != 0)
			return errno == EPIPE || errno == ECONNRESET ? 0 : -1;
	}
}

/* ---- operations, by whoever holds the key ---- */

vault_err_t keyd_account_key_new(const keyd_target_t *t, const char *account,
	uint8_t wak[VAULT_WRAPPED_LEN])
{
	if (!t->client)
		return t->master ? vault_account_key_new(t->master, account, wak, NULL) : VAULT_ERR_ARG;
	return keyd_client_account_key(t->client, account, wak);
}

vault_err_t keyd_doc_put(const keyd_target_t *t, const char *account,
	const uint8_t wak[VAULT_WRAPPED_LEN], const char *doc, int plain_fd,
	uint8_t wdk[VAULT_WRAPPED_LEN])
{
	if (!t->client)
		return t->master ? local_doc_put(t->master, t->doc_dir, account, wak, doc, plain_fd, wdk)
				 : VAULT_ERR_ARG;
	return keyd_client_doc_put(t->client, account, wak, doc, plain_fd, wdk);
}

vault_err_t keyd_doc_get(const keyd_target_t *t, const char *account,
	const uint8_t wak[VAULT_WRAPPED_LEN], const char *doc, const uint8_t wdk[VAULT_WRAPPED_LEN],
	int out_fd)
{
	uint64_t size;
	if (!t->client)
		return t->master ? local_doc_get(t->master, t->doc_dir, account, wak, doc, wdk, out_fd,
					   &size)
				 : VAULT_ERR_ARG;
	return keyd_client_doc_get(t->client, account, wak, doc, wdk, out_fd);
}

vault_err_t keyd_secret(const keyd_target_t *t, int seal, const char *account,
	const uint8_t *wak, const char *purpose, const char *owner, const char *text, char **out)
{
	*out = NULL;
	if (!t->client)
		return t->master ? local_secret(t->master, seal, account, wak, purpose, owner, text, out)
				 : VAULT_ERR_ARG;
	return keyd_client_secret(t->client, seal, account, wak, purpose, owner, text, out);
}
