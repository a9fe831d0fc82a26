/* The key holder ("vault" process): the only process of the service that
 * reads master.key. It unwraps account and document keys, encrypts and
 * decrypts documents and seals and opens small secrets on request; the keys
 * never leave it (docs/architecture.md, "Processes").
 *
 *   service (HTTP, SIP, domain, store)          key holder
 *        keyd_client ----- SOCK_SEQPACKET ----- keyd_serve
 *        request  [type, id, fields, fds]  ->
 *                 <-  [KEYD_REPLY, id, status, fields]
 *
 * Messages (src/ipc framing; fields in this order):
 *   KEYD_READY        holder -> service once at start: fingerprint (str),
 *                     audit chain key (32 bytes), audit signing seed (32)
 *   KEYD_START_FAILED holder -> service instead of READY: reason (str)
 *   KEYD_ACCOUNT_KEY  account (str)             -> wrapped account key (73)
 *   KEYD_DOC_PUT      account, wrapped account key, doc id; fd: the
 *                     plaintext, read from offset 0 to its end
 *                                               -> wrapped document key (73)
 *   KEYD_DOC_GET      account, wrapped account key, doc id, wrapped document
 *                     key; fd: where the plaintext is written -> size (u64)
 *   KEYD_SECRET       seal (u8), account ("" : the provider), wrapped
 *                     account key (0 or 73 bytes), purpose, owner, text
 *                                               -> text (sealed or opened)
 *   KEYD_REPLY        status (u32, a vault_err_t), then the fields above
 *                     when the status is VAULT_OK
 * A malformed message (short, trailing bytes, unknown type) ends the
 * connection: the holder exits and the client restarts it.
 *
 * The client is safe to share between threads (one request at a time on
 * the socket). When the holder dies, requests in flight and until it is
 * back fail with VAULT_ERR_UNAVAILABLE; a monitor thread starts a new one
 * with backoff (1 s doubling to 30 s). */
#ifndef FV_VAULT_KEYD_H
#define FV_VAULT_KEYD_H

#include <stdint.h>
#include <sys/types.h>

#include "ipc.h"
#include "vault.h"

/* The fd the key holder receives its socket on. */
#define KEYD_FD 3
/* How long the client waits for one answer before it takes the holder as
 * hung (kills it; the monitor restarts it). */
#define KEYD_REPLY_TIMEOUT_MS 60000
#define KEYD_TEXT_MAX 2048 /* sealed or opened text carried (VAULT_SECRET_MAX and its encoding) */

enum keyd_type {
	KEYD_READY = 1,
	KEYD_START_FAILED,
	KEYD_ACCOUNT_KEY,
	KEYD_DOC_PUT,
	KEYD_DOC_GET,
	KEYD_SECRET,
	KEYD_REPLY,
};

/* A decoded request (borrowed pointers into the message). */
struct keyd_req {
	uint16_t type;
	char account[VAULT_ID_MAX + 1]; /* "" : the provider (KEYD_SECRET only) */
	char doc[VAULT_ID_MAX + 1];
	const uint8_t *wak;  /* wrapped account key, wak_len bytes (0 or VAULT_WRAPPED_LEN) */
	size_t wak_len;
	const uint8_t *wdk;  /* wrapped document key (KEYD_DOC_GET) */
	uint8_t seal;
	char purpose[VAULT_PURPOSE_MAX + 1];
	char owner[VAULT_ID_MAX + 1];
	const uint8_t *text; /* text_len bytes, no NUL */
	size_t text_len;
};

/* Pure: decodes a request's payload (m->type, m->data). 0, or -1 for an
 * unknown type, a missing, short, overlong or trailing field, a wrapped key
 * of the wrong length, or a DOC_PUT / DOC_GET without its one fd. The
 * decoder the key holder uses; a fuzz target (fuzz/vault). */
int keyd_req_decode(const struct ipc_msg *m, struct keyd_req *out);

/* ---- the key holder ---- */

/* Serves requests on sock until the peer closes (returns 0) or sends a
 * malformed message (returns -1). master and doc_dir are borrowed. Logs one
 * `keyd.request` event per request: its kind, account and document ids and
 * outcome, never content. */
int keyd_serve(int sock, const vault_key_t *master, const char *doc_dir);

/* ---- the service's side ---- */

typedef struct keyd_client keyd_client_t;

/* Starts the key holder: posix_spawn of exe with argv (copied; argv[0]
 * becomes its title) and the environment, the socket on KEYD_FD and no
 * other fd but 0-2. Waits for READY; *audit_chain and *audit_seed (32 bytes
 * each) receive the audit keys it derived. NULL with err on failure (the
 * holder's own reason when it sent one). Free with keyd_client_stop(). */
keyd_client_t *keyd_client_start(const char *exe, char *const argv[], uint8_t audit_chain[32],
	uint8_t audit_seed[32], char *err, size_t errlen);
/* Stops the holder (closes the socket, waits for it) and frees c. NULL is a
 * no-op. */
void keyd_client_stop(keyd_client_t *c);
/* The holder's pid (0 while it is down), and how many times it was
 * restarted. */
pid_t keyd_client_pid(keyd_client_t *c);
unsigned keyd_client_restarts(keyd_client_t *c);

/* ---- operations: asked of the key holder when c is set, else done in
 * this process with master (tests and tools that hold the key) ---- */

typedef struct keyd_target {
	keyd_client_t *client;
	const vault_key_t *master;
	const char *doc_dir;
} keyd_target_t;

/* A new account key, wrapped by the master key, into wak. */
vault_err_t keyd_account_key_new(const keyd_target_t *t, const char *account,
	uint8_t wak[VAULT_WRAPPED_LEN]);
/* Encrypts the plaintext read from plain_fd (borrowed; from offset 0 to its
 * end) as document doc of account into DOC_DIR/DOC.fvb, under a new document
 * key whose wrapped form goes to wdk. */
vault_err_t keyd_doc_put(const keyd_target_t *t, const char *account,
	const uint8_t wak[VAULT_WRAPPED_LEN], const char *doc, int plain_fd,
	uint8_t wdk[VAULT_WRAPPED_LEN]);
/* Decrypts document doc into out_fd (borrowed; written from its offset). */
vault_err_t keyd_doc_get(const keyd_target_t *t, const char *account,
	const uint8_t wak[VAULT_WRAPPED_LEN], const char *doc, const uint8_t wdk[VAULT_WRAPPED_LEN],
	int out_fd);
/* Seals (seal set) or opens text for owner and purpose in the scope of
 * account (NULL: the provider; then wak is ignored) into *out (the caller's:
 * vault_secret_free). */
vault_err_t keyd_secret(const keyd_target_t *t, int seal, const char *account,
	const uint8_t *wak, const char *purpose, const char *owner, const char *text, char **out);

#endif
