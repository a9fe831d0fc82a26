/* SIP trunks of the provider: `faxvault trunks list|show|create|update`
 * (provider operators). */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_http.h"
#include "cli_out.h"

static const struct cli_col trunk_cols[] = {
	{ "ID", "id" }, { "NAME", "name" }, { "PEER", "peer" }, { "TRANSPORT", "transport" },
	{ "MAX CALLS", "max_calls" }, { "PREFIXES", "prefixes" }, { "STATUS", "status" },
};

static const struct cli_col trunk_fields[] = {
	{ "ID", "id" }, { "Name", "name" }, { "Peer", "peer" }, { "Username", "username" },
	{ "Password stored", "has_password" }, { "Transport", "transport" }, { "Max calls", "max_calls" },
	{ "Caller-ID rule", "caller_id_rule" }, { "Prefixes", "prefixes" }, { "Status", "status" },
	{ "SIP transport", "sip_transport" }, { "Also by DNS", "sip_transports" }, { "Register", "register" },
	{ "Registration", "registration" }, { "Nodes", "node_views" }, { "Inbound CIDRs", "inbound_cidrs" },
	{ "TLS client cert", "has_tls_key" }, { "TLS peer name", "tls_peer_name" }, { "Built in", "builtin" },
};

static const struct cli_opt list_opts[] = { CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };

static int trunks_list(struct cli_ctx *ctx)
{
	return cli_list(ctx, "/v1/provider/trunks", trunk_cols, CLI_NCOLS(trunk_cols));
}

/* What each node sees of the trunk (several nodes on one database), one
 * line: "node-a: up; node-b: down, registered". */
static void node_views(json_t *trunk)
{
	buf_t b;
	buf_init(&b, 1 << 16);
	size_t i;
	const json_t *n;
	json_array_foreach(json_object_get(trunk, "nodes"), i, n) {
		const char *reg = json_string_value(json_object_get(n, "registration"));
		buf_printf(&b, "%s%s: %s%s%s%s", i ? "; " : "", json_string_value(json_object_get(n, "node")) ?: "?",
			json_string_value(json_object_get(n, "status")) ?: "?",
			reg && strcmp(reg, "none") != 0 ? ", " : "", reg && strcmp(reg, "none") != 0 ? reg : "",
			json_is_false(json_object_get(n, "counted")) ? " (stale)" : "");
	}
	json_object_set_new(trunk, "node_views", json_string(cli_buf_str(&b)));
	buf_free(&b);
}

static int trunks_show(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/provider/trunks/%s", cli_pos(ctx, 0));
	json_t *res = NULL;
	int rc = cli_api(ctx, "GET", path, NULL, 1, &res);
	free(path);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		node_views(res);
		buf_t t;
		buf_init(&t, (size_t)1 << 24);
		cli_out_kv(trunk_fields, CLI_NCOLS(trunk_fields), res, &t);
		cli_out_write(ctx->out, &t);
		buf_free(&t);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

#define TRUNK_SETTINGS(req) \
	{ "name", "NAME", req, "name of the trunk" }, \
	{ "peer", "HOST[:PORT]", req, "SIP address of the carrier: IP:PORT, [IPv6]:PORT, HOST:PORT, " \
		"or HOST alone (NAPTR/SRV)" }, \
	{ "username", "USER", 0, "SIP digest user name" }, \
	{ "password-stdin", NULL, 0, "read the SIP digest password from the first line of " \
		"standard input" }, \
	{ "transport", "t38_first|g711_only|t38_only", 0, "fax transport (default t38_first)" }, \
	{ "max-calls", "N", 0, "concurrent calls at most" }, \
	{ "caller-id-rule", "RULE", 0, "account_number (default) or fixed:+E164" }, \
	{ "prefix", "PREFIX[,PREFIX...]", CLI_OPT_REPEAT, "destinations routed here (e.g. +33)" }, \
	{ "sip-transport", "udp|tcp|tls", 0, "SIP signalling toward the carrier (default udp)" }, \
	{ "sip-transports", "T[,T...]", CLI_OPT_REPEAT, "other transports (udp, tcp, tls) NAPTR/SRV " \
		"may choose for a HOST alone" }, \
	{ "register", "yes|no", 0, "register with the carrier (needs --username and the password)" }, \
	{ "inbound-cidr", "CIDR[,CIDR...]", CLI_OPT_REPEAT, "source addresses the carrier's calls " \
		"come from" }, \
	{ "tls-cert", "FILE", 0, "PEM client certificate (then its chain) presented to the carrier " \
		"over TLS (with --tls-key)" }, \
	{ "tls-key", "FILE", 0, "PEM private key of --tls-cert, without a passphrase (sealed, " \
		"never shown)" }, \
	{ "tls-peer-name", "NAME", 0, "DNS name or address the carrier's TLS certificate must hold " \
		"(its calls in, ours to it; \"\" removes it)" }

static const struct cli_opt create_opts[] = {
	{ "id", "ID", 0, "the trunk's id (a-z, 0-9, _, -; default: trk_...)" },
	TRUNK_SETTINGS(CLI_OPT_REQUIRED),
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt update_opts[] = {
	TRUNK_SETTINGS(0),
	{ "no-tls-cert", NULL, 0, "remove the trunk's client certificate and key" },
	{ "status", "STATUS", 0, "active or disabled" },
	{ NULL, NULL, 0, NULL },
};

#define TRUNK_PEM_MAX 16384

/* The PEM file of option opt into body's field (a key is wiped from
 * memory after). 0 or an exit code. */
static int pem_opt(struct cli_ctx *ctx, const char *opt, const char *field, json_t *body)
{
	const char *file = cli_opt(ctx, opt);
	if (!file)
		return 0;
	buf_t b;
	buf_init(&b, TRUNK_PEM_MAX);
	int rc = cli_read_file(ctx, file, TRUNK_PEM_MAX, &b);
	if (rc == 0)
		json_object_set_new(body, field, json_stringn(cli_buf_str(&b), b.len));
	if (b.data)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	return rc;
}

/* The body of create and update from the options. 0 or an exit code. */
static int trunk_body(struct cli_ctx *ctx, json_t *body)
{
	const char *tr = cli_opt(ctx, "transport");
	if (tr && strcmp(tr, "t38_first") != 0 && strcmp(tr, "g711_only") != 0 &&
	    strcmp(tr, "t38_only") != 0)
		return cli_usage(ctx, "--transport wants t38_first, g711_only or t38_only");
	const char *stp = cli_opt(ctx, "sip-transport");
	if (stp && strcmp(stp, "udp") != 0 && strcmp(stp, "tcp") != 0 && strcmp(stp, "tls") != 0)
		return cli_usage(ctx, "--sip-transport wants udp, tcp or tls");
	const char *reg = cli_opt(ctx, "register");
	if (reg && strcmp(reg, "yes") != 0 && strcmp(reg, "no") != 0)
		return cli_usage(ctx, "--register wants yes or no");
	int64_t max_calls;
	int given;
	int rc = cli_opt_int(ctx, "max-calls", 1, 100000, &max_calls, &given);
	if (rc != 0)
		return rc;
	if (cli_args_has(ctx->args, "id"))
		cli_set_opt(body, "id", ctx, "id");
	cli_set_opt(body, "name", ctx, "name");
	cli_set_opt(body, "peer", ctx, "peer");
	cli_set_opt(body, "username", ctx, "username");
	cli_set_opt(body, "transport", ctx, "transport");
	if (given)
		json_object_set_new(body, "max_calls", json_integer(max_calls));
	cli_set_opt(body, "caller_id_rule", ctx, "caller-id-rule");
	if (cli_args_has(ctx->args, "prefix"))
		json_object_set_new(body, "prefixes", cli_opt_list(ctx, "prefix"));
	cli_set_opt(body, "sip_transport", ctx, "sip-transport");
	if (cli_args_has(ctx->args, "sip-transports"))
		json_object_set_new(body, "sip_transports", cli_opt_list(ctx, "sip-transports"));
	if (reg)
		json_object_set_new(body, "register", json_boolean(strcmp(reg, "yes") == 0));
	if (cli_args_has(ctx->args, "inbound-cidr"))
		json_object_set_new(body, "inbound_cidrs", cli_opt_list(ctx, "inbound-cidr"));
	cli_set_opt(body, "tls_peer_name", ctx, "tls-peer-name");
	if (cli_args_has(ctx->args, "status"))
		cli_set_opt(body, "status", ctx, "status");
	if (!cli_opt(ctx, "tls-cert") != !cli_opt(ctx, "tls-key"))
		return cli_usage(ctx, "--tls-cert and --tls-key go together");
	if (cli_args_has(ctx->args, "no-tls-cert")) {
		if (cli_opt(ctx, "tls-cert"))
			return cli_usage(ctx, "--no-tls-cert goes without --tls-cert");
		json_object_set_new(body, "tls_cert", json_null());
		json_object_set_new(body, "tls_key", json_null());
	}
	if ((rc = pem_opt(ctx, "tls-cert", "tls_cert", body)) != 0 ||
	    (rc = pem_opt(ctx, "tls-key", "tls_key", body)) != 0)
		return rc;
	if (cli_args_has(ctx->args, "password-stdin")) {
		char *pw = NULL;
		rc = cli_read_secret(ctx, "", 1, 0, &pw);
		if (rc != 0)
			return rc;
		json_object_set_new(body, "password", json_string(pw));
		cli_secret_free(pw);
	}
	return 0;
}

static int trunks_create(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	int rc = trunk_body(ctx, body);
	if (rc == 0)
		rc = cli_show(ctx, "POST", "/v1/provider/trunks", body, trunk_fields,
			CLI_NCOLS(trunk_fields), "Trunk created.");
	json_decref(body);
	return rc;
}

static int trunks_update(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	int rc = trunk_body(ctx, body);
	if (rc == 0 && json_object_size(body) == 0)
		rc = cli_usage(ctx, "nothing to change: give at least one setting");
	if (rc == 0) {
		char *path = cli_http_path("/v1/provider/trunks/%s", cli_pos(ctx, 0));
		rc = cli_show(ctx, "PATCH", path, body, trunk_fields, CLI_NCOLS(trunk_fields),
			"Trunk updated.");
		free(path);
	}
	json_decref(body);
	return rc;
}

const struct cli_cmd cmd_trunks_subs[] = {
	{ "list", "List the SIP trunks", NULL, NULL, list_opts, 0, 0, trunks_list, NULL },
	{ "show", "Show one trunk", "TRUNK_ID", NULL, NULL, 1, 1, trunks_show, NULL },
	{ "create", "Add a SIP trunk", NULL,
		"The password is never printed back. The built-in trunk 'loopback' routes calls "
		"between numbers of this installation.",
		create_opts, 0, 0, trunks_create, NULL },
	{ "update", "Change a trunk's settings", "TRUNK_ID", NULL, update_opts, 1, 1, trunks_update,
		NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
