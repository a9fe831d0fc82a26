/* The route table of the HTTP API and the matcher.
 *
 * Each route names its method and path pattern, the permissions it accepts
 * (any of them; 0 means any authenticated caller), flags, its success status
 * and its handler. The table is public so that tests (authorization matrix,
 * OpenAPI coverage) are generated from it. */
#ifndef FV_ROUTER_H
#define FV_ROUTER_H

#include <jansson.h>

#include "domain.h"
#include "multipart.h"

#define ROUTE_PARAMS_MAX 4
#define ROUTE_PARAM_LEN 128

enum route_flags {
	ROUTE_PUBLIC = 1 << 0,  /* no authentication */
	ROUTE_ACCOUNT = 1 << 1, /* path parameter {id} is an account: loaded and authorized */
	ROUTE_BODY = 1 << 2,    /* takes a JSON object body */
	ROUTE_CREATE = 1 << 3,  /* creates: honours Idempotency-Key */
	ROUTE_SYSTEM = 1 << 4,  /* served without the store: health, metrics, OpenAPI */
	ROUTE_READONLY = 1 << 5, /* does not write (still may audit) */
	ROUTE_UNGATED = 1 << 6,  /* open to a caller who must still accept terms, enrol a
				    second factor or change an expired password */
	ROUTE_UPLOAD = 1 << 7,   /* takes a multipart/form-data body up to the upload
				    ceiling (api_config.max_upload), parsed into call->form */
	ROUTE_WHILE_CLOSING = 1 << 8, /* changes allowed on a closed account (its closure,
					legal holds); otherwise only GET and ROUTE_READONLY */
	ROUTE_FORM = 1 << 9      /* takes an application/x-www-form-urlencoded body, left
				    as it came in call->form_body (a browser's POST) */
};

/* A non-JSON answer (e.g. a PNG), set by the few handlers that make one. */
typedef struct api_raw {
	unsigned char *data; /* malloc'd; the HTTP layer frees it */
	size_t len;
	const char *ctype;
	/* Content-Disposition: "attachment" or "inline" (NULL: no header), with
	 * filename (UTF-8; written as disposition_format() says). */
	const char *disposition;
	char filename[96];
	/* A redirect's Location (malloc'd; the HTTP layer frees it; NULL: none)
	 * and Set-Cookie values ("": none). Cookies are sent with a JSON
	 * answer too. */
	char *location;
	char set_cookie[2][256];
	int status; /* a handler's own success status (0: the route's) */
} api_raw_t;

typedef struct route_match {
	const struct route *route;
	int nparams;
	char names[ROUTE_PARAMS_MAX][24];
	char values[ROUTE_PARAMS_MAX][ROUTE_PARAM_LEN];
} route_match_t;

/* What a handler gets besides the domain context. All borrowed. */
typedef struct api_call {
	const route_match_t *m;
	const json_t *body;    /* JSON object, or NULL without ROUTE_BODY */
	const json_t *account; /* the account record for ROUTE_ACCOUNT routes */
	const json_t *query;   /* query arguments as an object of strings */
	const char *cursor;
	int limit;
	const char *bearer;    /* raw credential, for handlers that need it */
	api_raw_t *raw;        /* where a handler may put a non-JSON answer */
	const mp_form_t *form; /* the parts of a ROUTE_UPLOAD body */
	const char *accept;    /* the Accept header, or NULL */
	const char *cookie;    /* the Cookie header, or NULL */
	bool secure;           /* came over TLS (X-Forwarded-Proto: https from the proxy) */
	const char *form_body; /* the body of a ROUTE_FORM route (NUL-terminated), or NULL */
	size_t form_len;
	const char *csrf;      /* the CSRF token of the portal's session cookie when the
				  request came with it (websession.h), else NULL */
	const unsigned char *raw_body; /* the body as it came (signed webhooks) */
	size_t raw_len;
	/* The Standard Webhooks headers webhook-id, webhook-timestamp and
	 * webhook-signature, or NULL (signed webhooks). */
	const char *webhook_id, *webhook_ts, *webhook_sig;
} api_call_t;

typedef int (*route_fn)(const api_call_t *call, dom_ctx_t *c, json_t **out, dom_err_t *e);

struct route {
	const char *method;
	const char *pattern; /* "/v1/accounts/{id}/users/{user_id}" */
	const char *action;  /* stable operation name, e.g. "users.create" */
	perm_set_t perms;    /* any of; 0: any authenticated caller */
	unsigned flags;
	int status;          /* on success */
	route_fn fn;
};

/* The table, terminated by an entry with method NULL. */
const struct route *router_routes(void);
/* 0 when method+path match a route (m filled), -1 when no pattern matches,
 * -2 when the path matches but not the method. */
int router_match(const char *method, const char *path, route_match_t *m);
/* Value of a path parameter, or NULL. */
const char *route_param(const route_match_t *m, const char *name);

#endif
