/* The operation runner: the one way in for every ingress.
 *
 * An operation (an API route, a SCIM request, a fax sent by e-mail, an
 * administrative command of faxvaultd) goes through the same steps in the
 * same order, whatever carried it:
 *
 *   op_begin          its transaction (a read one for operations that write nothing)
 *   op_authenticate   the caller, from a credential (or op_as_actor: a local
 *                     system actor, who is no principal)
 *   op_limit          the caller's rate-limit bucket
 *   op_gate           the steps a person must take first (terms, second factor,
 *                     expired password; the owner of a closing account)
 *   op_authorize      the operation's permissions on its resource, decided by
 *                     authz_decide() (src/domain/access/authz.h) alone
 *   op_idempotent     when the caller gave an idempotency key: the stored
 *                     answer of the same request again, or a refusal of the
 *                     key reused for another request (op_idem_save stores
 *                     the answer of a first run before op_commit)
 *   op_call           the operation itself
 *   op_commit         the end of a success, or
 *   op_fail           the end of a failure: rolled back (or kept, when the
 *                     operation says its own record must stay), and a refusal
 *                     recorded in the audit log with its actor
 *   op_end            releases what the run holds
 *
 * Each step returns 0, or -1 with r->e set; after a -1 the ingress calls
 * op_fail() then op_end(). The ingress keeps what is its own: reading its
 * bytes, where its credential travels (header, cookie and its CSRF token,
 * SMTP AUTH), and writing its answer. */
#ifndef FV_OPS_H
#define FV_OPS_H

#include <stdbool.h>

#include <jansson.h>

#include "domain.h"
#include "ratelimit.h"
#include "sec.h"
#include "store.h"

/* What kind of operation it is, for the pipeline. */
enum op_flags {
	OP_PUBLIC = 1 << 0,        /* no caller needed: no authentication, no authorization */
	OP_ACCOUNT = 1 << 1,       /* bound to one account (op_authorize's account_id) */
	OP_READONLY = 1 << 2,      /* writes nothing: a read transaction (it may still audit) */
	OP_READS = 1 << 3,         /* only reads (an HTTP GET): allowed on a closed account */
	OP_UNGATED = 1 << 4,       /* open to a caller who must still accept terms, enrol a
				      second factor or change an expired password */
	OP_WHILE_CLOSING = 1 << 5, /* a change allowed on a closed account (its closure,
				      legal holds) */
	OP_OWN_TX = 1 << 6,        /* the operation runs its own transactions (fax by e-mail:
				      its duplicate check, its sender's rate and the submission
				      each commit apart): the runner holds none */
	OP_AUDIT_RUN = 1 << 7,     /* every run is recorded with its outcome (faxvaultd's
				      system commands: backup, rotate-master-key,
				      audit-verify): op_commit records "success", op_fail
				      "failure", or "denied" for a refusal, with r->detail */
};

/* An operation as the pipeline sees it. Static data of the ingress. */
typedef struct op_spec {
	const char *action;  /* its audit action, e.g. "faxes.create" */
	const char *pattern; /* how it is reached (a route's pattern, a command's name),
				for the audit of a refusal */
	perm_set_t perms;    /* the permissions it accepts (any of); 0: any caller */
	unsigned flags;      /* OP_* */
} op_spec_t;

/* The authentication of a credential: dom_authenticate() (session token or
 * API key), dom_scim_authenticate() (SCIM token). */
typedef int (*op_auth_fn)(store_tx_t *tx, const dom_config_t *cfg, const char *credential,
	const char *source, int64_t now, principal_t *p, dom_err_t *e);

/* One run. Fields are read by the ingress; the steps write them. */
typedef struct op_run {
	const op_spec_t *spec;
	dom_ctx_t c;      /* the operation's context: c.tx is its transaction, c.who its
			     caller once authenticated (NULL: none yet, or anonymous) */
	dom_err_t e;      /* why a step failed */
	principal_t who;  /* the caller (c.who points here), with the permissions the
			     decision gave it */
	json_t *account;  /* OP_ACCOUNT: the account record, once authorized (owned) */
	bool lang_fixed;  /* the ingress named a language: the caller's setting does not
			     change c.lang */
	bool auth_failed; /* op_authenticate failed on the credential itself (for
			     the ingress's metrics; not for a refused address) */
	bool announced;   /* op_limit refused a source of an announced penetration test */
	char pentest[48]; /* its id */
	char *idem_key;   /* op_idempotent: the key of a first run, to store its answer */
	char idem_hash[SEC_SHA256_HEX]; /* and its request's digest */
	json_t *detail;   /* OP_AUDIT_RUN: what the run's event says besides its
			     outcome (owned; the ingress may set it before the end) */
} op_run_t;

/* Starts r on st: the transaction (a write one unless OP_READONLY; none
 * for OP_OWN_TX). source is
 * the peer's address ("local" for a command), request_id the request's id,
 * lang "en" or "fr" (lang_fixed: the ingress chose it). 0, or -1 with
 * "unavailable". */
int op_begin(op_run_t *r, store_t *st, const dom_config_t *cfg, const op_spec_t *spec,
	const char *source, const char *request_id, const char *lang, bool lang_fixed);

/* The caller is a local system actor ("cli:USER@HOST", "system:smtp"), not a
 * principal: it is recorded as such and skips authentication, limits, gates
 * and authorization (only faxvaultd's own commands and ingresses that
 * authorize themselves elsewhere, see docs/architecture.md). */
void op_as_actor(op_run_t *r, const char *actor);

/* Authenticates credential with auth (NULL: dom_authenticate). On success
 * r->c.who is the caller, and c.lang follows the person's setting unless
 * lang_fixed. A refused address ("ip-not-allowed") still names the caller
 * (its refusal belongs in its account's log). */
int op_authenticate(op_run_t *r, const char *credential, op_auth_fn auth);

/* The standard bucket of r's caller, into key: "src:ADDRESS" without a
 * caller, else "key:ID" (an API key), "scim:ID" (a SCIM token), "acc:ID"
 * (an account's members), or "usr:ID" (provider and partner staff). */
void op_limit_key(const op_run_t *r, char *key, size_t n);
/* Takes a token from key's bucket: the caller's rpm and burst, or
 * anon_rpm and anon_burst without one. The state goes to *rl; refused:
 * -1 with "rate-limited" (r->announced when the source is an announced
 * penetration test's, logged as such). */
int op_limit(op_run_t *r, const char *key, int anon_rpm, int anon_burst, rl_result_t *rl);

/* The steps the caller must take before anything else (terms, second
 * factor, expired password), unless OP_UNGATED; the owner of a closing
 * account only reads, exports and cancels the closure (OP_READS,
 * OP_READONLY, OP_WHILE_CLOSING, or OP_UNGATED). */
int op_gate(op_run_t *r);

/* An ingress's own limit or gate, run as that step of the runner (fax by
 * e-mail: the same mail again and its sender's hourly rate; the sender's
 * checks and page quota). fn returns 0 to go on, 1 when it answered
 * already (the ingress answers with what fn gave it and ends the run
 * with op_end), or -1 with r->e. */
typedef int (*op_step_fn)(void *arg, op_run_t *r);
int op_limit_by(op_run_t *r, op_step_fn fn, void *arg);
/* op_gate, then fn. */
int op_gate_by(op_run_t *r, op_step_fn fn, void *arg);

/* Authorization (not for OP_PUBLIC): the spec's permissions on its
 * resource, the account account_id for OP_ACCOUNT (loaded into
 * r->account), as authz_decide() rules, with what may lend the caller
 * permissions there (a partner's consent, a support access grant) read
 * afresh. A consent's first use is recorded with the run. A closed account
 * takes nothing but reads and OP_WHILE_CLOSING changes. */
int op_authorize(op_run_t *r, const char *account_id);

/* Idempotency keys: 1 to OP_IDEM_KEY_MAX printable ASCII characters. */
#define OP_IDEM_KEY_MAX 255

/* A stored answer given again (owned: op_replay_free). */
typedef struct op_replay {
	int status;
	char *body;
} op_replay_t;

/* The idempotency step, for an ingress whose caller gave key (NULL: none,
 * 0). request is what makes the request what it is (the ingress chooses:
 * HTTP gives its method, path and body, or a multipart body's parts without
 * their boundary); the runner keeps its SHA-256. Keys are the caller's own:
 * the person (an API key's creator), or the local actor; a run without
 * either ignores the key. Needs the run's transaction (not OP_OWN_TX).
 * An answer is remembered api.idempotency_hours (r->c.cfg; 24 by default):
 * after them the key runs anew, as a first run.
 *   0   go on; a first run of the key: op_idem_save stores its answer;
 *   1   the same request ran before: *replay is its answer, and the run's
 *       transaction is ended (the ingress answers, then op_end);
 *  -1   with "invalid-parameter" (a malformed key) or
 *       "idempotency-key-reused" (the key ran another request). */
int op_idempotent(op_run_t *r, const char *key, const void *request, size_t len,
	op_replay_t *replay);
/* Stores the answer of a first run (status, body) in the run's
 * transaction, to be committed with it; 0 without a key. -1 with
 * "internal". */
int op_idem_save(op_run_t *r, int status, const char *body);
void op_replay_free(op_replay_t *replay);

/* The operation: fn(arg, &r->c, out, &r->e). It may end its transaction
 * and start another (dom_tx_pause / dom_tx_resume): when it could not
 * start one, -1 with "unavailable". */
typedef int (*op_fn)(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e);
int op_call(op_run_t *r, op_fn fn, void *arg, json_t **out);

/* Commits. 0, or -1 with "internal" (the transaction is gone either way).
 * OP_AUDIT_RUN: then records the run, "success", in a transaction of its
 * own on r->c.store (a command that opens its database only once it ran
 * sets r->c.store before the end; none: nothing recorded). */
int op_commit(op_run_t *r);

/* Ends a failed run: rolls back (or commits, when the operation set
 * c.keep_on_error: a failed login's counters), and records a refusal or a
 * bad credential in the audit log in a transaction of its own, with target
 * (what was tried, credentials redacted, e.g. the concrete path).
 * A refusal at a gate (terms, second factor, expired password; a refused
 * network at authentication) is recorded once per caller, gate and minute
 * (a bucket of the limiter, shared between nodes as the limits are), with
 * the gate and the ingress in its detail, outcome "refused" ("denied" for
 * the network), so that hammering a gate cannot flood the audit chain.
 * OP_AUDIT_RUN: every failure is recorded, "denied" for a refusal (the
 * kinds a refusal is audited for, or "refused"), else "failure". */
void op_fail(op_run_t *r, const char *target);

/* Releases what r holds (the account record, an idempotency key). */
void op_end(op_run_t *r);

#endif
