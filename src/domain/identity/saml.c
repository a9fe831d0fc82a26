/* SAML 2.0 service provider with Lasso (see saml.h). Lasso checks the XML
 * signatures and decrypts; the conditions faxvault requires are checked
 * here on the objects Lasso parsed. */
#include "identity.h"

#include <lasso/lasso.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_audience_restriction.h>
#include <lasso/xml/saml-2.0/saml2_conditions.h>
#include <lasso/xml/saml-2.0/saml2_subject.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <libxml/parser.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "sec.h"
#include "timeutil.h"
#include "xalloc.h"

#define FMT_EMAIL "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
#define FMT_UNSPECIFIED "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
#define BINDING_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define METHOD_BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define CLAIM_VALUES_MAX 64
#define CLAIM_VALUE_LEN 1024

/* ---- initialisation ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;

static void log_drop(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer u)
{
	(void)domain;
	(void)level;
	(void)msg;
	(void)u;
}

static void xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void quiet_thread(void)
{
	xmlSetGenericErrorFunc(NULL, xml_quiet);
}

static void init_run(void)
{
	init_rc = lasso_init() == 0 ? 0 : -1;
	static const char *const domains[] = { "Lasso", "lasso", "XMLSec", NULL };
	for (int i = 0; domains[i]; i++)
		g_log_set_handler(domains[i], (GLogLevelFlags)(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
			G_LOG_FLAG_RECURSION), log_drop, NULL);
	xmlThrDefSetGenericErrorFunc(NULL, xml_quiet);
}

int saml_init(void)
{
	pthread_once(&init_once, init_run);
	quiet_thread();
	return init_rc;
}

/* ---- the SP's keys and metadata ---- */

static char *bio_text(BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	if (n <= 0 || !p)
		return NULL;
	char *s = xmalloc((size_t)n + 1);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

int saml_keypair_new(const char *cn, char **key_pem, char **cert_pem)
{
	*key_pem = *cert_pem = NULL;
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	unsigned char serial[16];
	sec_random(serial, sizeof serial);
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
	X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
	int ok = k && x && kb && cb && bn && name && X509_set_version(x, 2) &&
		BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
		X509_gmtime_adj(X509_getm_notBefore(x), -86400) &&
		X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400) && X509_set_pubkey(x, k) &&
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
			-1, 0) &&
		X509_set_issuer_name(x, name) && X509_sign(x, k, EVP_sha256()) > 0 &&
		PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL) &&
		PEM_write_bio_X509(cb, x);
	if (ok) {
		*key_pem = bio_text(kb);
		*cert_pem = bio_text(cb);
		ok = *key_pem && *cert_pem;
	}
	char *kp = NULL;
	long kn = kb ? BIO_get_mem_data(kb, &kp) : 0;
	if (kn > 0 && kp)
		OPENSSL_cleanse(kp, (size_t)kn);
	BN_free(bn);
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(k);
	if (!ok) {
		free(*key_pem);
		free(*cert_pem);
		*key_pem = *cert_pem = NULL;
		return -1;
	}
	return 0;
}

/* s with & < > " escaped, appended to b. */
static void xml_put(buf_t *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_printf(b, "%c", *s);
		}
	}
}

/* The base64 body of a PEM certificate appended to b. */
static void cert_body_put(buf_t *b, const char *pem)
{
	const char *p = strstr(pem, "-----BEGIN CERTIFICATE-----");
	const char *end = p ? strstr(p, "-----END CERTIFICATE-----") : NULL;
	if (!p || !end)
		return;
	for (p += strlen("-----BEGIN CERTIFICATE-----"); p < end; p++)
		if (*p != '\n' && *p != '\r')
			buf_printf(b, "%c", *p);
}

char *saml_sp_metadata(const saml_sp_t *sp)
{
	buf_t b;
	buf_init(&b, 65536);
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\""
		" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"");
	xml_put(&b, sp->entity_id);
	buf_puts(&b, "\">\n <md:SPSSODescriptor AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\""
		" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n");
	static const char *const uses[] = { "signing", "encryption" };
	for (int i = 0; i < 2; i++) {
		buf_printf(&b, "  <md:KeyDescriptor use=\"%s\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>",
			uses[i]);
		cert_body_put(&b, sp->cert_pem);
		buf_puts(&b, "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n");
	}
	buf_printf(&b, "  <md:NameIDFormat>%s</md:NameIDFormat>\n",
		sp->email_attribute && *sp->email_attribute ? FMT_UNSPECIFIED : FMT_EMAIL);
	buf_puts(&b, "  <md:AssertionConsumerService Binding=\"" BINDING_POST "\" Location=\"");
	xml_put(&b, sp->acs_url);
	buf_puts(&b, "\" index=\"0\" isDefault=\"true\"/>\n </md:SPSSODescriptor>\n</md:EntityDescriptor>\n");
	return buf_steal(&b);
}

/* ---- the identity provider's metadata ---- */

static LassoProvider *idp_provider(const char *xml, size_t len, const char **why)
{
	if (!xml || len == 0 || len > SAML_METADATA_MAX || strlen(xml) != len) {
		*why = "metadata_too_large_or_empty";
		return NULL;
	}
	LassoProvider *p = lasso_provider_new_from_buffer(LASSO_PROVIDER_ROLE_IDP, xml, NULL, NULL);
	if (!p || !p->ProviderID || !*p->ProviderID) {
		if (p)
			g_object_unref(p);
		*why = "metadata_unreadable";
		return NULL;
	}
	char *sso = lasso_provider_get_metadata_one_for_role(p, LASSO_PROVIDER_ROLE_IDP,
		"SingleSignOnService HTTP-Redirect");
	bool ok = sso && (strncmp(sso, "https://", 8) == 0 || strncmp(sso, "http://", 7) == 0);
	g_free(sso);
	if (!ok) {
		g_object_unref(p);
		*why = "metadata_without_redirect_sso";
		return NULL;
	}
	/* The keys are Lasso's business; a metadata without any certificate
	 * could only ever fail every sign-in. */
	if (!strstr(xml, "X509Certificate>")) {
		g_object_unref(p);
		*why = "metadata_without_certificate";
		return NULL;
	}
	return p;
}

int saml_idp_metadata_read(const char *xml, size_t len, char *entity_id, size_t cap,
	const char **why)
{
	if (saml_init() != 0) {
		*why = "saml_unavailable";
		return -1;
	}
	LassoProvider *p = idp_provider(xml, len, why);
	if (!p)
		return -1;
	int rc = 0;
	if (strlen(p->ProviderID) >= cap) {
		*why = "entity_id_too_long";
		rc = -1;
	} else {
		snprintf(entity_id, cap, "%s", p->ProviderID);
	}
	g_object_unref(p);
	return rc;
}

/* A Lasso server for sp knowing the identity provider of idp_xml (its
 * entity id in *idp_id, borrowed from the server), or NULL with *why. */
static LassoServer *sp_server(const saml_sp_t *sp, const char *idp_xml, const char **idp_id,
	const char **why)
{
	if (saml_init() != 0) {
		*why = "saml_unavailable";
		return NULL;
	}
	/* No certificate for the server: the HTTP-Redirect binding signs the
	 * query (no KeyInfo to fill) and decryption takes the key alone; the
	 * IdP has our certificate from the SP metadata. xmlsec 1.2.37 (Debian
	 * 12) leaks a BIO for every certificate Lasso hands it in memory. */
	char *md = saml_sp_metadata(sp);
	LassoServer *s = md ? lasso_server_new_from_buffers(md, sp->key_pem, NULL, NULL) : NULL;
	free(md);
	if (!s) {
		*why = "sp_keys_unusable";
		return NULL;
	}
	/* Lasso signs with RSA-SHA1 unless told otherwise (the default setter
	 * is not exported): our AuthnRequests are signed with RSA-SHA256. */
	s->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
	LassoProvider *p = idp_provider(idp_xml, idp_xml ? strlen(idp_xml) : 0, why);
	if (!p) {
		g_object_unref(s);
		return NULL;
	}
	*idp_id = p->ProviderID;
	if (lasso_server_add_provider2(s, p) != 0) {
		g_object_unref(p);
		g_object_unref(s);
		*why = "metadata_unreadable";
		return NULL;
	}
	if (sp->key_pem)
		lasso_server_set_encryption_private_key_with_password(s, sp->key_pem, NULL);
	return s;
}

/* ---- the AuthnRequest ---- */

int saml_authn_request(const saml_sp_t *sp, const char *idp_xml, const char *request_id,
	const char *relay_state, char **url, const char **why)
{
	*url = NULL;
	const char *idp_id;
	LassoServer *s = sp_server(sp, idp_xml, &idp_id, why);
	if (!s)
		return -1;
	LassoLogin *l = lasso_login_new(s);
	int rc = l ? lasso_login_init_authn_request(l, idp_id, LASSO_HTTP_METHOD_REDIRECT) : -1;
	LassoSamlp2AuthnRequest *req = rc == 0 && LASSO_IS_SAMLP2_AUTHN_REQUEST(l->parent.request)
		? LASSO_SAMLP2_AUTHN_REQUEST(l->parent.request) : NULL;
	if (req) {
		LassoSamlp2RequestAbstract *ra = LASSO_SAMLP2_REQUEST_ABSTRACT(req);
		g_free(ra->ID);
		ra->ID = g_strdup(request_id);
		g_free(req->ProtocolBinding);
		req->ProtocolBinding = g_strdup(BINDING_POST);
		g_free(req->AssertionConsumerServiceURL);
		req->AssertionConsumerServiceURL = g_strdup(sp->acs_url);
		req->AssertionConsumerServiceIndex = -1;
		if (req->NameIDPolicy) {
			g_free(req->NameIDPolicy->Format);
			req->NameIDPolicy->Format = g_strdup(sp->email_attribute &&
				*sp->email_attribute ? FMT_UNSPECIFIED : FMT_EMAIL);
			req->NameIDPolicy->AllowCreate = TRUE;
		}
		g_free(l->parent.msg_relayState);
		l->parent.msg_relayState = g_strdup(relay_state);
		rc = lasso_login_build_authn_request_msg(l);
	} else {
		rc = -1;
	}
	if (rc == 0 && l->parent.msg_url && *l->parent.msg_url)
		*url = xstrdup(l->parent.msg_url);
	else
		*why = "authn_request_failed";
	if (l)
		g_object_unref(l);
	g_object_unref(s);
	return *url ? 0 : -1;
}

/* ---- the response ---- */

/* An xs:dateTime in seconds; -1 when absent or malformed. */
static int64_t when_s(const char *t)
{
	int64_t ms;
	if (!t || time_parse_rfc3339(t, &ms) != 0)
		return -1;
	return ms / 1000;
}

/* The text of an AttributeValue, or NULL. */
static const char *value_text(const void *node)
{
	if (LASSO_IS_SAML2_ATTRIBUTE_VALUE(node)) {
		const LassoSaml2AttributeValue *v = node;
		for (const GList *i = v->any; i; i = i->next)
			if (LASSO_IS_MISC_TEXT_NODE(i->data) && ((LassoMiscTextNode *)i->data)->content)
				return ((LassoMiscTextNode *)i->data)->content;
		return NULL;
	}
	if (LASSO_IS_MISC_TEXT_NODE(node))
		return ((const LassoMiscTextNode *)node)->content;
	return NULL;
}

static void claim_add(json_t *claims, const char *name, const char *value)
{
	if (!name || !*name || strlen(name) > 256 || !value || strlen(value) > CLAIM_VALUE_LEN)
		return;
	json_t *a = json_object_get(claims, name);
	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(claims, name, a);
	}
	if (json_array_size(a) < CLAIM_VALUES_MAX)
		json_array_append_new(a, json_string(value));
}

/* Every attribute of the assertion into claims, by Name and FriendlyName. */
static void attributes_read(const LassoSaml2Assertion *as, json_t *claims)
{
	for (const GList *s = as->AttributeStatement; s; s = s->next) {
		if (!LASSO_IS_SAML2_ATTRIBUTE_STATEMENT(s->data))
			continue;
		for (const GList *a = ((LassoSaml2AttributeStatement *)s->data)->Attribute; a;
			a = a->next) {
			if (!LASSO_IS_SAML2_ATTRIBUTE(a->data))
				continue;
			const LassoSaml2Attribute *at = a->data;
			for (const GList *v = at->AttributeValue; v; v = v->next) {
				const char *t = value_text(v->data);
				if (!t || !g_utf8_validate(t, -1, NULL))
					continue;
				claim_add(claims, at->Name, t);
				if (at->FriendlyName && (!at->Name || strcmp(at->Name, at->FriendlyName) != 0))
					claim_add(claims, at->FriendlyName, t);
			}
		}
	}
}

/* Whether the audience restrictions of c name our entity id: every
 * AudienceRestriction must (SAML core 2.5.1.4), and there must be one. */
static bool audience_ok(const LassoSaml2Conditions *c, const char *entity_id)
{
	if (!c || !c->AudienceRestriction)
		return false;
	for (const GList *i = c->AudienceRestriction; i; i = i->next) {
		if (!LASSO_IS_SAML2_AUDIENCE_RESTRICTION(i->data))
			return false;
		const LassoSaml2AudienceRestriction *ar = i->data;
		if (!ar->Audience || strcmp(ar->Audience, entity_id) != 0)
			return false;
	}
	return true;
}

/* The bearer SubjectConfirmationData that faxvault requires, or NULL. */
static const LassoSaml2SubjectConfirmationData *bearer_data(const LassoSaml2Assertion *as)
{
	const LassoSaml2Subject *sub = as->Subject;
	const LassoSaml2SubjectConfirmation *sc = sub ? sub->SubjectConfirmation : NULL;
	if (!sc || !sc->Method || strcmp(sc->Method, METHOD_BEARER) != 0)
		return NULL;
	return sc->SubjectConfirmationData;
}

static const char *conditions_check(const LassoSamlp2StatusResponse *resp,
	const LassoSaml2Assertion *as, const char *idp_id, const saml_sp_t *sp,
	const saml_expect_t *x, int64_t *until)
{
	if (!as->Issuer || !as->Issuer->content || strcmp(as->Issuer->content, idp_id) != 0)
		return "wrong_issuer";
	if (resp->Issuer && resp->Issuer->content && strcmp(resp->Issuer->content, idp_id) != 0)
		return "wrong_issuer";
	if (!as->ID || !*as->ID || strlen(as->ID) > SAML_ID_MAX)
		return "no_assertion_id";
	const LassoSaml2SubjectConfirmationData *d = bearer_data(as);
	if (!d)
		return "no_bearer_confirmation";
	if (!d->Recipient || strcmp(d->Recipient, sp->acs_url) != 0)
		return "wrong_recipient";
	if (resp->Destination && strcmp(resp->Destination, sp->acs_url) != 0)
		return "wrong_destination";
	/* Unsolicited (IdP-initiated) responses are refused: both the response
	 * and the assertion must answer our request. */
	if (!d->InResponseTo || (resp->InResponseTo == NULL))
		return "unsolicited";
	if (strcmp(d->InResponseTo, x->request_id) != 0 ||
	    strcmp(resp->InResponseTo, x->request_id) != 0)
		return "wrong_in_response_to";
	const LassoSaml2Conditions *c = as->Conditions;
	if (!audience_ok(c, sp->entity_id))
		return "wrong_audience";
	int64_t nb = c->NotBefore ? when_s(c->NotBefore) : 0;
	int64_t na = c->NotOnOrAfter ? when_s(c->NotOnOrAfter) : INT64_MAX;
	int64_t dna = when_s(d->NotOnOrAfter);
	int64_t dnb = d->NotBefore ? when_s(d->NotBefore) : 0;
	if (nb < 0 || na < 0 || dnb < 0)
		return "bad_time";
	if (dna < 0)
		return "no_not_on_or_after";
	if (x->now_s + SAML_SKEW_SECONDS < nb || x->now_s + SAML_SKEW_SECONDS < dnb)
		return "not_yet_valid";
	if (x->now_s - SAML_SKEW_SECONDS >= na || x->now_s - SAML_SKEW_SECONDS >= dna)
		return "expired";
	int64_t u = dna < na ? dna : na;
	if (u > x->now_s + SAML_REPLAY_MAX_SECONDS)
		u = x->now_s + SAML_REPLAY_MAX_SECONDS;
	*until = u + SAML_SKEW_SECONDS;
	return NULL;
}

#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

/* Whether an algorithm URI names SHA-1 (rsa-sha1, dsa-sha1, hmac-sha1,
 * ecdsa-sha1, the sha1 digest). */
static bool sha1_named(const xmlChar *alg)
{
	if (!alg)
		return false;
	size_t n = strlen((const char *)alg);
	return n >= 4 && g_ascii_strcasecmp((const char *)alg + n - 4, "sha1") == 0;
}

/* Whether a signature in the tree under root (walked without recursion)
 * uses SHA-1 for its signature or one of its digests. */
static bool sha1_signed(xmlNode *root)
{
	xmlNode *n = root;
	while (n) {
		if (n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
		    strcmp((const char *)n->ns->href, DSIG_NS) == 0 &&
		    (strcmp((const char *)n->name, "SignatureMethod") == 0 ||
		     strcmp((const char *)n->name, "DigestMethod") == 0)) {
			xmlChar *alg = xmlGetNoNsProp(n, (const xmlChar *)"Algorithm");
			bool weak = sha1_named(alg);
			xmlFree(alg);
			if (weak)
				return true;
		}
		if (n->children) {
			n = n->children;
			continue;
		}
		while (n && n != root && !n->next)
			n = n->parent;
		n = n && n != root ? n->next : NULL;
	}
	return false;
}

/* Maps the status of Lasso's processing to a reason. */
static const char *lasso_reason(int rc)
{
	switch (rc) {
	case LASSO_PROFILE_ERROR_CANNOT_VERIFY_SIGNATURE:
	case LASSO_DS_ERROR_INVALID_SIGNATURE:
	case LASSO_DS_ERROR_SIGNATURE_VERIFICATION_FAILED:
		return "bad_signature";
	case LASSO_DS_ERROR_SIGNATURE_NOT_FOUND:
		return "unsigned";
	case LASSO_LOGIN_ERROR_STATUS_NOT_SUCCESS:
	case LASSO_LOGIN_ERROR_REQUEST_DENIED:
	case LASSO_LOGIN_ERROR_UNKNOWN_PRINCIPAL:
	case LASSO_LOGIN_ERROR_FEDERATION_NOT_FOUND:
		return "provider_error";
	case LASSO_PROFILE_ERROR_MISSING_ASSERTION:
		return "no_assertion";
	case LASSO_DS_ERROR_DECRYPTION_FAILED:
	case LASSO_DS_ERROR_DECRYPTION_FAILED_MISSING_PRIVATE_KEY:
		return "decryption_failed";
	case LASSO_SERVER_ERROR_PROVIDER_NOT_FOUND:
	case LASSO_PROFILE_ERROR_MISSING_ISSUER:
		return "wrong_issuer";
	default:
		return "malformed_response";
	}
}

int saml_response_check(const saml_sp_t *sp, const char *idp_xml, const char *b64, size_t len,
	const saml_expect_t *x, saml_result_t *r, const char **why)
{
	memset(r, 0, sizeof *r);
	if (!b64 || len == 0 || len > SAML_RESPONSE_MAX || strlen(b64) != len) {
		*why = "no_response";
		return -1;
	}
	const char *idp_id;
	LassoServer *s = sp_server(sp, idp_xml, &idp_id, why);
	if (!s)
		return -1;
	LassoLogin *l = lasso_login_new(s);
	int rc = -1;
	*why = "malformed_response";
	if (l) {
		lasso_profile_set_signature_verify_hint(&l->parent,
			LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
		char *msg = g_strndup(b64, len);
		int lrc = lasso_login_process_authn_response_msg(l, msg);
		g_free(msg);
		LassoSamlp2Response *resp = LASSO_IS_SAMLP2_RESPONSE(l->parent.response)
			? LASSO_SAMLP2_RESPONSE(l->parent.response) : NULL;
		LassoProvider *idp = lasso_server_get_provider(s, idp_id);
		if (lrc != 0) {
			*why = lasso_reason(lrc);
		} else if (!resp || !idp) {
			*why = "malformed_response";
		} else if (g_list_length(resp->Assertion) != 1 ||
			   g_list_length(resp->EncryptedAssertion) > 1) {
			/* One assertion, clear or encrypted (Lasso adds the
			 * decrypted one to the clear list): a second one is how
			 * signature wrapping smuggles an unsigned assertion in. */
			*why = "not_one_assertion";
		} else {
			LassoSaml2Assertion *as = resp->Assertion->data;
			/* A signature is required: Lasso verified what was there;
			 * here we make sure there was one over the assertion, its
			 * own or the response's. */
			bool signed_resp = lasso_profile_get_signature_status(&l->parent) == 0 &&
				lasso_provider_verify_single_node_signature(idp, LASSO_NODE(resp), "ID") == 0;
			bool signed_as = LASSO_IS_SAML2_ASSERTION(as) &&
				lasso_provider_verify_single_node_signature(idp, LASSO_NODE(as), "ID") == 0;
			const char *bad = NULL;
			int64_t until = 0;
			if (!LASSO_IS_SAML2_ASSERTION(as))
				bad = "malformed_response";
			else if (!signed_resp && !signed_as)
				bad = "unsigned";
			else if (!sp->allow_sha1 &&
				 (sha1_signed(lasso_node_get_original_xmlnode(LASSO_NODE(resp))) ||
				  sha1_signed(lasso_node_get_original_xmlnode(LASSO_NODE(as)))))
				/* SHA-1 signatures can be forged (chosen-prefix
				 * collisions): refused unless allowed for this IdP. */
				bad = "sha1_signature";
			else
				bad = conditions_check(&resp->parent, as, idp_id, sp, x, &until);
			if (bad) {
				*why = bad;
			} else {
				r->claims = json_object();
				attributes_read(as, r->claims);
				const char *email = NULL;
				if (sp->email_attribute && *sp->email_attribute) {
					json_t *v = json_object_get(r->claims, sp->email_attribute);
					email = json_string_value(json_array_get(v, 0));
				} else {
					const LassoSaml2NameID *ni = as->Subject ? as->Subject->NameID : NULL;
					if (ni && ni->content && ni->Format &&
					    strcmp(ni->Format, FMT_EMAIL) == 0)
						email = ni->content;
				}
				json_t *ev = email ? json_string(email) : NULL;
				json_object_del(r->claims, "email");
				json_object_del(r->claims, "email_verified");
				if (ev) {
					json_object_set_new(r->claims, "email", ev);
					json_object_set_new(r->claims, "email_verified", json_true());
				}
				const char *nm = json_string_value(json_array_get(json_object_get(r->claims,
					"displayName"), 0));
				if (nm)
					json_object_set_new(r->claims, "name", json_string(nm));
				else
					json_object_del(r->claims, "name");
				snprintf(r->assertion_id, sizeof r->assertion_id, "%s", as->ID);
				r->not_on_or_after_s = until;
				rc = 0;
			}
		}
		g_object_unref(l);
	}
	g_object_unref(s);
	return rc;
}
