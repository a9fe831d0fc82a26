/* An account's enterprise identity (issue 17, docs/sso.md, docs/scim.md):
 * `faxvault idp list|show|add|remove` for its identity providers (OpenID
 * Connect or SAML 2.0) and `faxvault scim-token list|create|revoke` for the
 * bearer tokens of its SCIM endpoint, `faxvault sso-domain list|add|verify|
 * remove` for the e-mail domains that route people to its providers. Secrets never go on the command line:
 * the client secret is read from the terminal or standard input, and a
 * SCIM token is printed once. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_http.h"
#include "cli_msg.h"
#include "i18n.h"

#define ACCOUNT_OPT { "account", "ACCOUNT_ID", 0, "the account (default: yours)" }
/* The largest IdP metadata document accepted (as the server: SAML_METADATA_MAX). */
#define IDP_METADATA_FILE_MAX 262144

static const struct cli_opt list_opts[] = { ACCOUNT_OPT, CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };
static const struct cli_opt account_opts[] = { ACCOUNT_OPT, { NULL, NULL, 0, NULL } };

/* Runs method on the account's collection (sub NULL) or on the item named
 * by the first argument below it, showing the answer with cols (a list when
 * method is NULL). */
static int account_run(struct cli_ctx *ctx, const char *collection, int item, const char *method,
	const json_t *body, const struct cli_col *cols, size_t ncols, const char *done)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *path = item ? cli_http_path("/v1/accounts/%s/%s/%s", acc, collection, cli_pos(ctx, 0))
			  : cli_http_path("/v1/accounts/%s/%s", acc, collection);
	if (method)
		rc = cli_show(ctx, method, path, body, cols, ncols, done);
	else
		rc = cli_list(ctx, path, cols, ncols);
	free(path);
	free(acc);
	return rc;
}

/* ---- identity providers ---- */

static const struct cli_col idp_cols[] = {
	{ "ID", "id" }, { "TYPE", "type" }, { "NAME", "name" }, { "ISSUER", "issuer|idp_entity_id" },
	{ "PROVISIONING", "provisioning" }, { "STATUS", "status" }, { "CREATED", "created_at" },
};

static const struct cli_col idp_fields[] = {
	{ "ID", "id" }, { "Type", "type" }, { "Name", "name" }, { "Status", "status" },
	{ "Issuer", "issuer" }, { "Client id", "client_id" }, { "IdP entity id", "idp_entity_id" },
	{ "Metadata URL", "metadata_url" }, { "SP entity id", "sp.entity_id" },
	{ "SP ACS URL", "sp.acs_url" }, { "Provisioning", "provisioning" },
	{ "Default role", "default_role" }, { "Role claim", "role_claim|role_attribute" },
	{ "Role map", "role_map" }, { "E-mail attribute", "email_attribute" },
	{ "Created", "created_at" },
};

static int idp_list(struct cli_ctx *ctx)
{
	return account_run(ctx, "identity-providers", 0, NULL, NULL, idp_cols, CLI_NCOLS(idp_cols),
		NULL);
}

static int idp_show(struct cli_ctx *ctx)
{
	return account_run(ctx, "identity-providers", 1, "GET", NULL, idp_fields,
		CLI_NCOLS(idp_fields), NULL);
}

static const struct cli_opt add_opts[] = {
	ACCOUNT_OPT,
	{ "type", "oidc|saml", CLI_OPT_REQUIRED, "OpenID Connect or SAML 2.0" },
	{ "name", "NAME", 0, "shown on the sign-in page" },
	{ "issuer", "URL", 0, "oidc: the provider's issuer (its discovery document is read from it)" },
	{ "client-id", "ID", 0, "oidc: faxvault's client id at the provider" },
	{ "client-secret-stdin", NULL, 0,
		"oidc: read the client secret from the first line of standard input (else it is "
		"asked on the terminal)" },
	{ "metadata-url", "URL", 0, "saml: the IdP's metadata URL" },
	{ "metadata-file", "FILE", 0, "saml: the IdP's metadata (\"-\": standard input)" },
	{ "provisioning", "invited|jit", 0,
		"invited: only members sign in (default); jit: new people become members" },
	{ "default-role", "ROLE", 0, "the role of a just-in-time member: user (default), billing, admin" },
	{ "role-claim", "NAME", 0, "the claim (oidc) or attribute (saml) whose values --role-map maps" },
	{ "role-map", "VALUE=ROLE", CLI_OPT_REPEAT, "a value of the role claim and the role it gives" },
	{ "email-attribute", "NAME", 0, "saml: the attribute holding the address (default: the NameID)" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

/* The role map from --role-map VALUE=ROLE options, into body. 0 or 2. */
static int role_map(struct cli_ctx *ctx, json_t *body)
{
	json_t *pairs = cli_opt_list(ctx, "role-map");
	if (json_array_size(pairs) == 0) {
		json_decref(pairs);
		return 0;
	}
	json_t *map = json_object();
	size_t i;
	json_t *v;
	json_array_foreach (pairs, i, v) {
		const char *s = json_string_value(v);
		const char *eq = strrchr(s, '=');
		if (!eq || eq == s || !eq[1]) {
			json_decref(map);
			json_decref(pairs);
			return cli_usage(ctx, "--role-map takes VALUE=ROLE");
		}
		json_object_setn_new(map, s, (size_t)(eq - s), json_string(eq + 1));
	}
	json_decref(pairs);
	json_object_set_new(body, "role_map", map);
	return 0;
}

static int idp_add(struct cli_ctx *ctx)
{
	const char *type = cli_opt(ctx, "type");
	bool oidc = strcmp(type, "oidc") == 0;
	if (!oidc && strcmp(type, "saml") != 0)
		return cli_usage(ctx, "--type is oidc or saml");
	static const char *const oidc_only[] = { "issuer", "client-id", "client-secret-stdin", NULL };
	static const char *const saml_only[] = { "metadata-url", "metadata-file", "email-attribute",
		NULL };
	for (const char *const *o = oidc ? saml_only : oidc_only; *o; o++)
		if (cli_args_has(ctx->args, *o))
			return cli_usage(ctx, "--%s is not for --type %s", *o, type);
	json_t *body = json_pack("{s:s}", "type", type);
	cli_set_opt(body, "name", ctx, "name");
	cli_set_opt(body, "provisioning", ctx, "provisioning");
	cli_set_opt(body, "default_role", ctx, "default-role");
	cli_set_opt(body, oidc ? "role_claim" : "role_attribute", ctx, "role-claim");
	int rc = role_map(ctx, body);
	char *secret = NULL;
	if (rc == 0 && oidc) {
		if (!cli_opt(ctx, "issuer") || !cli_opt(ctx, "client-id"))
			rc = cli_usage(ctx, "--type oidc needs --issuer and --client-id");
		else
			rc = cli_read_secret(ctx, "Client secret: ",
				cli_args_has(ctx->args, "client-secret-stdin"), 0, &secret);
		if (rc == 0) {
			cli_set_opt(body, "issuer", ctx, "issuer");
			cli_set_opt(body, "client_id", ctx, "client-id");
			json_object_set_new(body, "client_secret", json_string(secret));
		}
	} else if (rc == 0) {
		const char *url = cli_opt(ctx, "metadata-url"), *file = cli_opt(ctx, "metadata-file");
		if (!url == !file) {
			rc = cli_usage(ctx, "--type saml needs --metadata-url or --metadata-file");
		} else if (file) {
			buf_t md;
			buf_init(&md, IDP_METADATA_FILE_MAX);
			rc = cli_read_file(ctx, file, IDP_METADATA_FILE_MAX, &md);
			if (rc == 0)
				json_object_set_new(body, "metadata_xml", json_stringn(cli_buf_str(&md),
					md.len));
			buf_free(&md);
		} else {
			cli_set_opt(body, "metadata_url", ctx, "metadata-url");
		}
		cli_set_opt(body, "email_attribute", ctx, "email-attribute");
	}
	if (rc == 0)
		rc = account_run(ctx, "identity-providers", 0, "POST", body, idp_fields,
			CLI_NCOLS(idp_fields), NULL);
	cli_secret_free(secret);
	json_decref(body);
	return rc;
}

static int idp_remove(struct cli_ctx *ctx)
{
	return account_run(ctx, "identity-providers", 1, "DELETE", NULL, NULL, 0,
		I18N("Identity provider removed."));
}

const struct cli_cmd cmd_idp_subs[] = {
	{ "list", "List an account's identity providers", NULL, NULL, list_opts, 0, 0, idp_list,
		NULL },
	{ "show", "Show an identity provider (and, for SAML, what to register at the IdP)",
		"IDP_ID", NULL, account_opts, 1, 1, idp_show, NULL },
	{ "add", "Add an OpenID Connect or SAML 2.0 identity provider", NULL,
		"OpenID Connect: --issuer, --client-id and the client secret (asked on the "
		"terminal, or the first line of standard input with --client-secret-stdin). "
		"SAML 2.0: the IdP's metadata by --metadata-url or --metadata-file; the answer "
		"shows the SP entity id and ACS URL to register at the IdP. People sign in at "
		"/v1/sso/ACCOUNT_ID/IDP_ID/start. Needs security.manage.",
		add_opts, 0, 0, idp_add, NULL },
	{ "remove", "Remove an identity provider", "IDP_ID", NULL, account_opts, 1, 1, idp_remove,
		NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};

/* ---- SCIM tokens ---- */

static const struct cli_col token_cols[] = {
	{ "ID", "id" }, { "NAME", "name" }, { "PREFIX", "prefix" }, { "LAST USED", "last_used_at" },
	{ "CREATED", "created_at" },
};

static int scim_list(struct cli_ctx *ctx)
{
	return account_run(ctx, "scim-tokens", 0, NULL, NULL, token_cols, CLI_NCOLS(token_cols),
		NULL);
}

static const struct cli_opt token_create_opts[] = {
	ACCOUNT_OPT,
	{ "name", "NAME", CLI_OPT_REQUIRED, "what the token is for (e.g. the IdP's name)" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int scim_create(struct cli_ctx *ctx)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	json_t *body = json_object();
	cli_set_opt(body, "name", ctx, "name");
	char *path = cli_http_path("/v1/accounts/%s/scim-tokens", acc);
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", path, body, 1, &res);
	free(path);
	free(acc);
	json_decref(body);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		char *id = cli_out_cell(res, "id");
		char *token = cli_out_cell(res, "token");
		cli_say(ctx, "Created SCIM token %s (%s).\n"
			"Token, shown only now (store it in the identity provider; it cannot be shown "
			"again):\n\n"
			"    %s\n\n"
			"The SCIM base URL is the service's address followed by /scim/v2.",
			id, cli_opt(ctx, "name"), token);
		free(id);
		cli_secret_free(token);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static int scim_revoke(struct cli_ctx *ctx)
{
	return account_run(ctx, "scim-tokens", 1, "DELETE", NULL, NULL, 0,
		I18N("SCIM token revoked."));
}

const struct cli_cmd cmd_scim_token_subs[] = {
	{ "list", "List an account's SCIM tokens", NULL, NULL, list_opts, 0, 0, scim_list, NULL },
	{ "create", "Create a SCIM token (printed once)", NULL,
		"The token lets an identity provider create, change and deactivate the "
		"account's members at /scim/v2 (Authorization: Bearer TOKEN). It is printed "
		"once and stored only hashed. Needs security.manage and users.manage.",
		token_create_opts, 0, 0, scim_create, NULL },
	{ "revoke", "Revoke a SCIM token", "TOKEN_ID", NULL, account_opts, 1, 1, scim_revoke, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};

/* ---- e-mail domains for sign-in routing ---- */

static const struct cli_col domain_cols[] = {
	{ "ID", "id" }, { "DOMAIN", "domain" }, { "STATUS", "status" }, { "METHOD", "method" },
	{ "VERIFIED", "verified_at" }, { "CREATED", "created_at" },
};

static const struct cli_col domain_fields[] = {
	{ "ID", "id" }, { "Domain", "domain" }, { "Status", "status" }, { "Method", "method" },
	{ "TXT record", "dns.name" }, { "TXT value", "dns.value" }, { "Verified", "verified_at" },
};

static int domain_list(struct cli_ctx *ctx)
{
	return account_run(ctx, "sso-domains", 0, NULL, NULL, domain_cols, CLI_NCOLS(domain_cols),
		NULL);
}

static const struct cli_opt domain_add_opts[] = { ACCOUNT_OPT, CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL } };

static int domain_add(struct cli_ctx *ctx)
{
	json_t *body = json_pack("{s:s}", "domain", cli_pos(ctx, 0));
	int rc = account_run(ctx, "sso-domains", 0, "POST", body, domain_fields,
		CLI_NCOLS(domain_fields), NULL);
	json_decref(body);
	if (rc == CLI_EXIT_OK && !ctx->json)
		cli_say(ctx, "Publish the TXT record above in the domain's DNS, then run "
			"'faxvault sso-domain verify ID'.");
	return rc;
}

static int domain_verify(struct cli_ctx *ctx)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *path = cli_http_path("/v1/accounts/%s/sso-domains/%s/verify", acc, cli_pos(ctx, 0));
	rc = cli_show(ctx, "POST", path, NULL, domain_fields, CLI_NCOLS(domain_fields), NULL);
	free(path);
	free(acc);
	return rc;
}

static int domain_remove(struct cli_ctx *ctx)
{
	return account_run(ctx, "sso-domains", 1, "DELETE", NULL, NULL, 0,
		I18N("Domain removed: it no longer routes anyone to the account."));
}

const struct cli_cmd cmd_sso_domain_subs[] = {
	{ "list", "List the e-mail domains an account has claimed", NULL, NULL, list_opts, 0, 0,
		domain_list, NULL },
	{ "add", "Claim an e-mail domain (prints the DNS TXT record that proves it)", "DOMAIN",
		"Once the domain is verified, people who type an address of it on the sign-in "
		"page are sent to the account's identity providers (GET /v1/sso/discover). "
		"Needs security.manage.",
		domain_add_opts, 1, 1, domain_add, NULL },
	{ "verify", "Verify a claimed domain by its DNS TXT record", "DOMAIN_ID", NULL, account_opts,
		1, 1, domain_verify, NULL },
	{ "remove", "Give up a claimed domain", "DOMAIN_ID", NULL, account_opts, 1, 1, domain_remove,
		NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
