/* The provider's trunks (provider.telephony.manage): list, read, create
 * and change, with every field checked and the password sealed under the
 * provider's key. What the fax service asks of them is in trunk_routing.c. */
#include "numbers.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrier.h"
#include "cidr.h"
#include "dom_util.h"
#include "numbers_int.h"
#include "resolve.h"
#include "sec.h"
#include "identity/identity.h"
#include "store_numbers.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define TRUNK_ID_MAX 32
#define TRUNK_PREFIXES_MAX 64
#define TRUNK_CIDRS_MAX 64
#define TRUNK_REWRITE_MAX 16
#define CRED_MAX 128
#define TRUNK_PEM_MAX 16384 /* a client certificate (chain) or its key, bytes of PEM */

/* What the API answers as a trunk's status: "disabled" when the operator
 * turned it off, else its health as the keep-alive last saw it (up, down,
 * or unknown before any probe). */
static const char *trunk_status(const json_t *t)
{
	if (strcmp(rec_str(t, "status"), "active") != 0)
		return "disabled";
	const char *l = rec_str(t, "link_status");
	return strcmp(l, "up") == 0 || strcmp(l, "down") == 0 ? l : "unknown";
}

static json_t *trunk_public(const json_t *t, const fax_env_t *env)
{
	int lo = strcmp(rec_str(t, "id"), LOOPBACK) == 0;
	json_t *prefixes = json_loads(rec_str(t, "prefixes"), 0, NULL);
	const char *user = rec_str(t, "username");
	json_t *out = json_pack("{s:s, s:s, s:s, s:o, s:b, s:s, s:I, s:s, s:o, s:s, s:b, s:o, s:o}", "id",
		rec_str(t, "id"), "name", rec_str(t, "name"), "peer",
		lo ? nb_loopback_peer(env) : rec_str(t, "peer"), "username",
		*user ? json_string(user) : json_null(), "has_password", *rec_str(t, "secret") != '\0',
		"transport", rec_str(t, "transport"), "max_calls",
		(json_int_t)json_integer_value(json_object_get(t, "max_calls")), "caller_id_rule",
		rec_str(t, "caller_id_rule"), "prefixes",
		json_is_array(prefixes) ? prefixes : (json_decref(prefixes), json_array()), "status",
		trunk_status(t), "builtin", lo, "created_at",
		time_json(json_object_get(t, "created_at")), "updated_at",
		time_json(json_object_get(t, "updated_at")));
	if (out) {
		json_object_set_new(out, "enabled", json_boolean(strcmp(rec_str(t, "status"), "active") == 0));
		json_object_set_new(out, "status_changed_at", time_json(json_object_get(t, "link_changed_at")));
		int reg = json_integer_value(json_object_get(t, "register")) != 0;
		const char *rs = rec_str(t, "registration");
		json_object_set_new(out, "register", json_boolean(reg));
		json_t *targets = json_loads(rec_str(t, "targets"), 0, NULL);
		json_object_set_new(out, "targets", json_is_array(targets) ? targets : (json_decref(targets), json_array()));
		const char *rerr = rec_str(t, "resolve_error");
		json_object_set_new(out, "resolve_error", *rerr ? json_string(rerr) : json_null());
		json_object_set_new(out, "resolved_at", time_json(json_object_get(t, "resolved_at")));
		json_object_set_new(out, "sip_transport", json_string(nb_trunk_sip_transport(t)));
		json_object_set_new(out, "sip_transports", nb_json_array_col(t, "sip_transports"));
		json_object_set_new(out, "registration",
			json_string(reg && (strcmp(rs, "registered") == 0 || strcmp(rs, "failed") == 0) ? rs : "none"));
	}
	if (out && !lo) {
		nb_trunk_inbound_fields(t, out);
		/* the certificate is public; its key is never shown */
		const char *cert = rec_str(t, "tls_cert");
		json_object_set_new(out, "tls_cert", *cert ? json_string(cert) : json_null());
		json_object_set_new(out, "has_tls_key", json_boolean(*rec_str(t, "tls_key") != '\0'));
	}
	return out;
}

static json_t *trunk_item(const json_t *t)
{
	/* page_json maps without a context: the loopback peer is filled by the caller. */
	return trunk_public(t, NULL);
}

int dom_trunk_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_trunk_page(c->tx, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "trunks could not be read");
	*out = page_json(&pg, trunk_item);
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(*out, "items"), i, t)
		if (json_is_true(json_object_get(t, "builtin")))
			json_object_set_new(t, "peer", json_string(nb_loopback_peer(nb_env_of(c))));
	return 0;
}

int dom_trunk_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *t = store_trunk_get(c->tx, id);
	if (!t)
		return dom_fail(e, "not-found", "", "no such trunk");
	*out = trunk_public(t, nb_env_of(c));
	json_decref(t);
	/* What each node sees (several nodes on one database; one node: its
	 * own line). */
	json_t *rows = store_trunk_node_states(c->tx, id, NULL), *nodes = json_array();
	int64_t newest = nb_node_rows_newest(rows);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *l = rec_str(r, "link_status"), *rs = rec_str(r, "registration");
		json_array_append_new(nodes, json_pack("{s:s, s:s, s:s, s:o, s:o, s:b}", "node",
			rec_str(r, "node_id"), "status", *l ? l : "unknown", "registration", *rs ? rs : "none",
			"status_changed_at", time_json(json_object_get(r, "link_changed_at")), "seen_at",
			time_json(json_object_get(r, "seen_at")), "counted", nb_node_row_counts(r, newest)));
	}
	json_decref(rows);
	json_object_set_new(*out, "nodes", nodes);
	return 0;
}

/* "IP:PORT", IPv6 in brackets. */
/* A trunk's peer: "IP:PORT", "[IPv6]:PORT", "HOST:PORT" or "HOST" alone
 * (resolved by NAPTR/SRV, RFC 3263; see resolve.h). */
static int valid_peer(const char *s)
{
	char host[RESOLVE_NAME_MAX];
	int port, literal;
	return resolve_peer_split(s, host, sizeof host, &port, &literal) == 0;
}

static int valid_prefix(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > E164_MAX || s[0] != '+' || s[1] == '0')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int valid_trunk_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TRUNK_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
			    s[i] == '-'))
			return 0;
	return 1;
}

/* A header name a trunk may name for its called number (RFC 3261 token). */
static int valid_header_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* A name a carrier's certificate must hold (tls_peer_name): a DNS name
 * (letters, digits, '-' and '.') or an IPv4 or IPv6 address, unbracketed. */
static int valid_peer_name(const char *s)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1)
		return 1;
	/* labels of 1 to 63 letters, digits and inner '-' (RFC 1123) */
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   (c == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

/* tls_peer_name of body (a name, or null or "" to remove it) into rec. */
static int trunk_peer_name_body(const json_t *body, bool loopback, json_t *rec, dom_err_t *e)
{
	const json_t *v = json_object_get(body, "tls_peer_name");
	if (!v)
		return 0;
	if (loopback)
		return dom_fail(e, "validation-failed", "tls_peer_name",
			"the loopback trunk has no carrier certificate to check");
	const char *n = json_string_value(v);
	if (!json_is_null(v) && (!n || (*n && !valid_peer_name(n))))
		return dom_fail(e, "validation-failed", "tls_peer_name",
			"\"tls_peer_name\" must be a DNS name or an IP address (null to remove it)");
	json_object_set_new(rec, "tls_peer_name", n && *n ? json_string(n) : json_null());
	return 0;
}

/* inbound_cidrs, called_number, inbound_rewrite of body into rec (store form). */
static int trunk_inbound_body(const json_t *body, bool loopback, json_t *rec, dom_err_t *e)
{
	const json_t *cidrs = json_object_get(body, "inbound_cidrs");
	const json_t *called = json_object_get(body, "called_number");
	const json_t *rw = json_object_get(body, "inbound_rewrite");
	const json_t *auth = json_object_get(body, "inbound_auth");
	if (loopback && (cidrs || called || rw || auth))
		return dom_fail(e, "validation-failed",
			cidrs ? "inbound_cidrs" : called ? "called_number" : rw ? "inbound_rewrite" : "inbound_auth",
			"the loopback trunk takes calls on the service's own listener only");
	if (auth) {
		static const char *const auths[] = { "source", "source_and_digest", "digest", NULL };
		const char *a = json_string_value(auth);
		if (!a || !nb_one_of(a, auths))
			return dom_fail(e, "validation-failed", "inbound_auth",
				"\"inbound_auth\" must be source, source_and_digest or digest");
		json_object_set_new(rec, "inbound_auth", json_string(a));
	}
	size_t i;
	const json_t *v;
	if (cidrs) {
		if (!json_is_array(cidrs) || json_array_size(cidrs) > TRUNK_CIDRS_MAX)
			return dom_fail(e, "validation-failed", "inbound_cidrs",
				"\"inbound_cidrs\" must be an array of at most 64 CIDR strings");
		json_array_foreach(cidrs, i, v) {
			cidr_t c;
			const char *why;
			if (!json_is_string(v) || cidr_parse(json_string_value(v), &c, &why) != 0)
				return dom_fail(e, "validation-failed", "inbound_cidrs",
					"each entry must be an IPv4 or IPv6 address or network (\"192.0.2.0/24\"), host bits clear");
		}
		char *txt = json_dumps(cidrs, JSON_COMPACT);
		json_object_set_new(rec, "inbound_cidrs", json_string(txt));
		free(txt);
	}
	if (called) {
		const char *c = json_string_value(called);
		if (!c || !(strcmp(c, "request_uri") == 0 || strcmp(c, "to") == 0 ||
			    (strncmp(c, "header:", 7) == 0 && valid_header_name(c + 7))))
			return dom_fail(e, "validation-failed", "called_number",
				"\"called_number\" must be request_uri, to or header:NAME");
		json_object_set_new(rec, "called_number", json_string(c));
	}
	if (rw) {
		if (!json_is_array(rw) || json_array_size(rw) > TRUNK_REWRITE_MAX)
			return dom_fail(e, "validation-failed", "inbound_rewrite",
				"\"inbound_rewrite\" must be an array of at most 16 {match, replace} objects");
		json_t *clean = json_array();
		json_array_foreach(rw, i, v) {
			const char *m = json_string_value(json_object_get(v, "match"));
			const char *r = json_string_value(json_object_get(v, "replace"));
			if (!json_is_object(v) || json_object_size(v) != 2 || !m || !r || carrier_rule_valid(m, r) != 0) {
				json_decref(clean);
				return dom_fail(e, "validation-failed", "inbound_rewrite",
					"each rule is {\"match\": digits, \"replace\": \"+digits\" or \"\"}");
			}
			json_array_append_new(clean, json_pack("{s:s, s:s}", "match", m, "replace", r));
		}
		char *txt = json_dumps(clean, JSON_COMPACT);
		json_decref(clean);
		json_object_set_new(rec, "inbound_rewrite", json_string(txt));
		free(txt);
	}
	return 0;
}

/* A passphrase is never asked for: an encrypted key does not load. */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

/* Whether cert (PEM: the client certificate, then its chain) and key (PEM,
 * not encrypted) load and belong together. 0, or -1 with e; never says
 * anything of the key's content. */
static int trunk_tls_check(const char *cert, const char *key, dom_err_t *e)
{
	BIO *b = BIO_new_mem_buf(cert, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;
	BIO_free(b);
	b = BIO_new_mem_buf(key, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
	BIO_free(b);
	int rc = 0;
	if (!x)
		rc = dom_fail(e, "validation-failed", "tls_cert",
			"\"tls_cert\" must be a certificate in PEM (-----BEGIN CERTIFICATE-----)");
	else if (!k)
		rc = dom_fail(e, "validation-failed", "tls_key",
			"\"tls_key\" must be a private key in PEM, without a passphrase");
	else if (X509_check_private_key(x, k) != 1)
		rc = dom_fail(e, "validation-failed", "tls_key", "the private key does not match the certificate");
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

/* tls_cert and tls_key of body (set together, or both null or "" to
 * remove them) into rec: the certificate as given, the key in clear under
 * "tls_key" until seal_trunk_tls seals it. 0, or -1 with e. */
static int trunk_tls_body(const json_t *body, bool loopback, json_t *rec, dom_err_t *e)
{
	const json_t *c = json_object_get(body, "tls_cert"), *k = json_object_get(body, "tls_key");
	if (!c && !k)
		return 0;
	if (loopback)
		return dom_fail(e, "validation-failed", c ? "tls_cert" : "tls_key",
			"the loopback trunk has no client certificate");
	const char *cs = json_string_value(c), *ks = json_string_value(k);
	if ((c && !json_is_null(c) && !cs) || (k && !json_is_null(k) && !ks))
		return dom_fail(e, "validation-failed", c && !json_is_null(c) && !cs ? "tls_cert" : "tls_key",
			"\"tls_cert\" and \"tls_key\" are PEM text, or null to remove them");
	int cset = cs && *cs, kset = ks && *ks;
	if (!c || !k || cset != kset)
		return dom_fail(e, "validation-failed", cset || (c && !k) ? "tls_key" : "tls_cert",
			"\"tls_cert\" and \"tls_key\" go together: give both, or both null to remove them");
	if (!cset) {
		json_object_set_new(rec, "tls_cert", json_null());
		json_object_set_new(rec, "tls_key", json_null());
		return 0;
	}
	if (strlen(cs) > TRUNK_PEM_MAX || strlen(ks) > TRUNK_PEM_MAX)
		return dom_fail(e, "validation-failed", strlen(cs) > TRUNK_PEM_MAX ? "tls_cert" : "tls_key",
			"\"tls_cert\" and \"tls_key\" are at most 16384 bytes each");
	if (trunk_tls_check(cs, ks, e))
		return -1;
	json_object_set_new(rec, "tls_cert", json_string(cs));
	json_object_set_new(rec, "tls_key", json_string(ks));
	return 0;
}

/* Checks the trunk fields of body and copies them, in store form, into
 * rec. creating: name and peer are required. */
static int trunk_fields(const json_t *body, bool creating, bool loopback, json_t *rec, dom_err_t *e)
{
	static const char *const transports[] = { "t38_first", "g711_only", "t38_only", NULL };
	static const char *const statuses[] = { "active", "disabled", NULL };
	const char *name, *peer, *user, *pw, *transport, *rule, *status;
	if (body_name(body, "name", creating, &name, e) ||
		body_str(body, "peer", creating && !loopback, &peer, e) ||
		body_str(body, "username", false, &user, e) ||
		body_str(body, "password", false, &pw, e) ||
		body_str(body, "transport", false, &transport, e) ||
		body_str(body, "caller_id_rule", false, &rule, e) ||
		body_str(body, "status", false, &status, e))
		return -1;
	if (name)
		json_object_set_new(rec, "name", json_string(name));
	if (peer) {
		if (loopback)
			return dom_fail(e, "validation-failed", "peer",
				"the loopback trunk's peer is the service's own listener");
		if (!valid_peer(peer))
			return dom_fail(e, "validation-failed", "peer",
				"\"peer\" must be IP:PORT, [IPv6]:PORT, HOST:PORT or HOST");
		json_object_set_new(rec, "peer", json_string(peer));
		/* where the old peer resolved to says nothing of the new one */
		json_object_set_new(rec, "targets", json_null());
		json_object_set_new(rec, "resolve_error", json_null());
		json_object_set_new(rec, "resolved_at", json_null());
	}
	if (user) {
		if (*user && (strlen(user) > CRED_MAX || !valid_name(user, strlen(user))))
			return dom_fail(e, "validation-failed", "username",
				"\"username\" must be text of at most %d bytes", CRED_MAX);
		json_object_set_new(rec, "username", *user ? json_string(user) : json_null());
	}
	if (pw) {
		if (strlen(pw) > CRED_MAX)
			return dom_fail(e, "validation-failed", "password",
				"\"password\" must be at most %d bytes", CRED_MAX);
		json_object_set_new(rec, "secret", *pw ? json_string(pw) : json_null());
	}
	if (transport) {
		if (!nb_one_of(transport, transports))
			return dom_fail(e, "validation-failed", "transport",
				"\"transport\" must be t38_first, g711_only or t38_only");
		json_object_set_new(rec, "transport", json_string(transport));
	}
	if (rule) {
		if (strcmp(rule, "account_number") != 0 &&
			!(strncmp(rule, "fixed:", 6) == 0 && e164_valid(rule + 6)))
			return dom_fail(e, "validation-failed", "caller_id_rule",
				"\"caller_id_rule\" must be account_number or fixed:+E164");
		json_object_set_new(rec, "caller_id_rule", json_string(rule));
	}
	if (status) {
		if (!nb_one_of(status, statuses))
			return dom_fail(e, "validation-failed", "status", "\"status\" must be active or disabled");
		json_object_set_new(rec, "status", json_string(status));
	}
	const json_t *reg = json_object_get(body, "register");
	if (reg) {
		if (!json_is_boolean(reg))
			return dom_fail(e, "validation-failed", "register", "\"register\" must be true or false");
		if (loopback)
			return dom_fail(e, "validation-failed", "register",
				"the loopback trunk does not register");
		json_object_set_new(rec, "register", json_integer(json_is_true(reg)));
		if (!json_is_true(reg))
			json_object_set_new(rec, "registration", json_string("none"));
	}
	const json_t *stp = json_object_get(body, "sip_transport");
	if (stp) {
		static const char *const sip_transports[] = { "udp", "tcp", "tls", NULL };
		if (!json_is_string(stp) || !nb_one_of(json_string_value(stp), sip_transports))
			return dom_fail(e, "validation-failed", "sip_transport", "\"sip_transport\" must be udp, tcp or tls");
		if (loopback && strcmp(json_string_value(stp), "udp") != 0)
			return dom_fail(e, "validation-failed", "sip_transport", "the loopback trunk speaks UDP only");
		json_object_set_new(rec, "sip_transport", json_string(json_string_value(stp)));
	}
	const json_t *stps = json_object_get(body, "sip_transports");
	if (stps && !json_is_null(stps)) {
		static const char *const sip_transports[] = { "udp", "tcp", "tls", NULL };
		int bad = !json_is_array(stps) || json_array_size(stps) > 3;
		size_t i;
		const json_t *v;
		json_array_foreach(stps, i, v) {
			bad |= !json_is_string(v) || !nb_one_of(json_string_value(v), sip_transports);
			for (size_t k = 0; k < i; k++)
				bad |= json_equal(v, json_array_get(stps, k));
		}
		if (bad)
			return dom_fail(e, "validation-failed", "sip_transports",
				"\"sip_transports\" must be a list of udp, tcp and tls, each at most once");
		if (loopback && json_array_size(stps))
			return dom_fail(e, "validation-failed", "sip_transports", "the loopback trunk speaks UDP only");
		char *txt = json_dumps(stps, JSON_COMPACT);
		json_object_set_new(rec, "sip_transports", json_array_size(stps) ? json_string(txt) : json_null());
		free(txt);
	} else if (stps) {
		json_object_set_new(rec, "sip_transports", json_null());
	}
	const json_t *mc = json_object_get(body, "max_calls");
	if (mc) {
		if (!json_is_integer(mc) || json_integer_value(mc) < 1 || json_integer_value(mc) > 10000)
			return dom_fail(e, "validation-failed", "max_calls",
				"\"max_calls\" must be an integer from 1 to 10000");
		json_object_set_new(rec, "max_calls", json_integer(json_integer_value(mc)));
	}
	if (trunk_inbound_body(body, loopback, rec, e) || trunk_tls_body(body, loopback, rec, e) ||
	    trunk_peer_name_body(body, loopback, rec, e))
		return -1;
	const json_t *px = json_object_get(body, "prefixes");
	if (px) {
		if (!json_is_array(px) || json_array_size(px) > TRUNK_PREFIXES_MAX)
			return dom_fail(e, "validation-failed", "prefixes",
				"\"prefixes\" must be an array of at most 64 \"+digits\" strings");
		size_t i;
		const json_t *p;
		json_array_foreach(px, i, p)
			if (!json_is_string(p) || !valid_prefix(json_string_value(p)))
				return dom_fail(e, "validation-failed", "prefixes",
					"each prefix must be \"+\" and 1 to 15 digits, not starting with 0");
		char *txt = json_dumps(px, JSON_COMPACT);
		json_object_set_new(rec, "prefixes", json_string(txt));
		free(txt);
	}
	return 0;
}

/* What an audit event says of a change to a trunk: never the password. */
static json_t *trunk_detail(const json_t *body)
{
	json_t *d = json_deep_copy(body);
	if (json_object_get(d, "password"))
		json_object_set_new(d, "password", json_string("(set)"));
	/* the certificate is public but long; the key is secret */
	static const char *const pems[] = { "tls_cert", "tls_key" };
	for (size_t i = 0; i < 2; i++) {
		const char *v = json_string_value(json_object_get(d, pems[i]));
		if (v)
			json_object_set_new(d, pems[i], json_string(*v ? "(set)" : "(removed)"));
	}
	return d;
}

/* A trunk whose inbound calls authenticate by digest needs a username and
 * a password: rec (the change, store form) over old (the stored row, NULL
 * when creating). 0, or -1 with e. */
static int trunk_auth_ready(const json_t *rec, const json_t *old, dom_err_t *e)
{
	const json_t *a = json_object_get(rec, "inbound_auth");
	const char *auth = a ? json_string_value(a) : old ? rec_str(old, "inbound_auth") : "source";
	const json_t *r = json_object_get(rec, "register");
	int reg = r ? json_integer_value(r) != 0 : old && json_integer_value(json_object_get(old, "register"));
	int digest = auth && *auth && strcmp(auth, "source") != 0;
	if (!digest && !reg)
		return 0;
	const json_t *u = json_object_get(rec, "username"), *p = json_object_get(rec, "secret");
	int has_user = u ? json_is_string(u) : old && *rec_str(old, "username");
	int has_pw = p ? json_is_string(p) : old && *rec_str(old, "secret");
	if (has_user && has_pw)
		return 0;
	if (digest)
		return dom_fail(e, "validation-failed", a ? "inbound_auth" : !has_user ? "username" : "password",
			"digest authentication of inbound calls needs the trunk's username and password");
	return dom_fail(e, "validation-failed", r ? "register" : !has_user ? "username" : "password",
		"registering with the carrier needs the trunk's username and password");
}

/* Seals the trunk password of rec (field "secret") and its client
 * certificate's key (field "tls_key") for trunk id: they are the
 * provider's, sealed under its key. 0, or -1 with e. */
static int seal_trunk_secret(dom_ctx_t *c, const char *id, json_t *rec, dom_err_t *e)
{
	const char *pw = json_string_value(json_object_get(rec, "secret"));
	char *sealed = pw ? dom_secret_seal(c, NULL, "trunk", id, pw) : NULL;
	if (pw && !sealed)
		return dom_fail(e, "unavailable", "password", "trunk passwords cannot be stored: the service has no master key");
	if (sealed)
		json_object_set_new(rec, "secret", json_string(sealed));
	free(sealed);
	/* The client certificate's key: longer than one sealed secret, sealed
	 * as a long one under the provider's key (purpose "trunk_tls"). */
	const char *key = json_string_value(json_object_get(rec, "tls_key"));
	if (!key)
		return 0;
	sealed = secret_seal_long_tx(c->tx, nb_env_of(c), NULL, "trunk_tls", id, key);
	if (!sealed)
		return dom_fail(e, "unavailable", "tls_key", "trunk keys cannot be stored: the service has no master key");
	json_object_set_new(rec, "tls_key", json_string(sealed));
	free(sealed);
	return 0;
}

int dom_trunk_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "id", "name", "peer", "username", "password",
		"transport", "max_calls", "caller_id_rule", "prefixes", "status", "inbound_cidrs",
		"called_number", "inbound_rewrite", "inbound_auth", "register", "sip_transport", "sip_transports",
		"tls_cert", "tls_key", "tls_peer_name", NULL };
	const char *idin;
	if (body_only(body, allowed, e) || body_str(body, "id", false, &idin, e))
		return -1;
	if (idin && !valid_trunk_id(idin))
		return dom_fail(e, "validation-failed", "id",
			"\"id\" must be 1 to 32 characters among a-z, 0-9, _ and -");
	json_t *rec = json_object();
	if (trunk_fields(body, true, false, rec, e) || trunk_auth_ready(rec, NULL, e)) {
		json_decref(rec);
		return -1;
	}
	char *id = idin ? xstrdup(idin) : sec_new_id("trk");
	if (seal_trunk_secret(c, id, rec, e)) {
		json_decref(rec);
		free(id);
		return -1;
	}
	int64_t now = time_now_ms();
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "created_at", json_integer(now));
	json_object_set_new(rec, "updated_at", json_integer(now));
	int rc = store_trunk_insert(c->tx, rec);
	json_decref(rec);
	if (rc == STORE_CONFLICT) {
		free(id);
		return dom_fail(e, "conflict", "id", "a trunk with this id exists");
	}
	rc = nb_audited(c, rc, "trunk.create", id, NULL, trunk_detail(body), e);
	if (rc == 0)
		rc = dom_trunk_get(c, id, out, e);
	free(id);
	return rc;
}

int dom_trunk_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "peer", "username", "password", "transport",
		"max_calls", "caller_id_rule", "prefixes", "status", "inbound_cidrs", "called_number",
		"inbound_rewrite", "inbound_auth", "register", "sip_transport", "sip_transports", "tls_cert",
		"tls_key", "tls_peer_name", NULL };
	if (body_only(body, allowed, e))
		return -1;
	json_t *t = store_trunk_get(c->tx, id);
	if (!t)
		return dom_fail(e, "not-found", "", "no such trunk");
	json_t *rec = json_object();
	if (trunk_fields(body, false, strcmp(id, LOOPBACK) == 0, rec, e) || trunk_auth_ready(rec, t, e) ||
	    seal_trunk_secret(c, id, rec, e)) {
		json_decref(rec);
		json_decref(t);
		return -1;
	}
	json_decref(t);
	json_object_set_new(rec, "updated_at", json_integer(time_now_ms()));
	int rc = store_trunk_update(c->tx, id, rec);
	json_decref(rec);
	if (nb_audited(c, rc, "trunk.update", id, NULL, trunk_detail(body), e))
		return -1;
	return dom_trunk_get(c, id, out, e);
}
