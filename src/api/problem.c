/* Problem kinds and their titles (see problem.h). */
#include "problem.h"

#include <string.h>
#include <strings.h>

#include "i18n.h"

static const struct problem_kind kinds[] = {
	{ "invalid-json", 400, "The request body is not valid JSON",
		"Le corps de la requête n'est pas du JSON valide" },
	{ "invalid-parameter", 400, "A query parameter is invalid",
		"Un paramètre de la requête est invalide" },
	{ "unauthenticated", 401, "Authentication is required",
		"Une authentification est requise" },
	{ "invalid-credentials", 401, "The credentials are wrong",
		"Les identifiants sont incorrects" },
	{ "mfa-required", 401, "A second-factor code is required",
		"Un code de second facteur est requis" },
	{ "ip-not-allowed", 403, "Your address is not allowed for this account",
		"Votre adresse n'est pas autorisée pour ce compte" },
	{ "terms-not-accepted", 403, "You must accept the current terms of service first",
		"Vous devez d'abord accepter les conditions d'utilisation en vigueur" },
	{ "mfa-enrolment-required", 403, "You must enrol a second factor first",
		"Vous devez d'abord enregistrer un second facteur" },
	{ "password-expired", 403, "Your password has expired: change it first",
		"Votre mot de passe a expiré : changez-le d'abord" },
	{ "csrf", 403, "The request lacks the session's CSRF token",
		"La requête n'a pas le jeton CSRF de la session" },
	{ "forbidden", 403, "You do not have the permission for this",
		"Vous n'avez pas la permission de faire cela" },
	{ "permission-not-held", 403, "You cannot grant a permission you do not hold",
		"Vous ne pouvez pas accorder une permission que vous n'avez pas" },
	{ "owner-protected", 403, "The account owner cannot be removed or demoted",
		"Le propriétaire du compte ne peut être ni retiré ni rétrogradé" },
	{ "owner-only", 403, "Only the account owner can do this",
		"Seul le propriétaire du compte peut faire cela" },
	{ "account-suspended", 403, "The account is suspended",
		"Le compte est suspendu" },
	{ "account-closing", 409, "The account is closed or closing",
		"Le compte est fermé ou en cours de fermeture" },
	{ "partner-limit-reached", 403, "The partner has reached a limit the provider set",
		"Le partenaire a atteint une limite fixée par le fournisseur" },
	{ "outbound-held", 403, "Outbound faxing of the account is held",
		"L'envoi de fax du compte est suspendu" },
	{ "quota-exceeded", 429, "A sending quota is used up",
		"Un quota d'envoi est épuisé" },
	{ "account-suspended-nonpayment", 402, "Sending is suspended for an unpaid invoice",
		"L'envoi est suspendu pour une facture impayée" },
	{ "insufficient-credit", 402, "The prepaid balance cannot cover the price",
		"Le solde prépayé ne couvre pas le prix" },
	{ "invalid-signature", 401, "The webhook's signature is missing, wrong or too old",
		"La signature du webhook est absente, fausse ou trop ancienne" },
	{ "webhook-replayed", 409, "This webhook event was received before",
		"Cet événement de webhook a déjà été reçu" },
	{ "not-found", 404, "The resource does not exist",
		"La ressource n'existe pas" },
	{ "invitation-invalid", 404, "The invitation is unknown, used or expired",
		"L'invitation est inconnue, déjà utilisée ou expirée" },
	{ "reset-invalid", 404, "The password-reset token is unknown, used or expired",
		"Le jeton de réinitialisation est inconnu, déjà utilisé ou expiré" },
	{ "method-not-allowed", 405, "The method is not allowed on this resource",
		"La méthode n'est pas permise sur cette ressource" },
	{ "conflict", 409, "The request conflicts with the current state",
		"La requête entre en conflit avec l'état actuel" },
	{ "email-taken", 409, "The e-mail address is already in use",
		"L'adresse de courriel est déjà utilisée" },
	{ "role-name-taken", 409, "The account has a role of that name already",
		"Le compte a déjà un rôle de ce nom" },
	{ "role-in-use", 409, "Members hold this role",
		"Des membres ont ce rôle" },
	{ "already-bootstrapped", 409, "The service has already been set up",
		"Le service a déjà été initialisé" },
	{ "sso-required", 403, "Sign in through your organization's identity provider",
		"Connectez-vous par le fournisseur d'identité de votre organisation" },
	{ "sso-failed", 401, "The single sign-on was refused",
		"La connexion unique a été refusée" },
	{ "idp-unavailable", 502, "The identity provider cannot be used now",
		"Le fournisseur d'identité est inutilisable pour le moment" },
	{ "not-implemented", 501, "This is not implemented yet",
		"Cela n'est pas encore disponible" },
	{ "gone", 410, "The resource is no longer available",
		"La ressource n'est plus disponible" },
	{ "precondition-failed", 412, "The resource has changed since the version named in If-Match",
		"La ressource a changé depuis la version indiquée par If-Match" },
	{ "payload-too-large", 413, "The request body is too large",
		"Le corps de la requête est trop volumineux" },
	{ "unsupported-media-type", 415, "The request body's media type is not accepted here",
		"Le type de média du corps de la requête n'est pas accepté ici" },
	{ "validation-failed", 422, "The request is not valid",
		"La requête n'est pas valide" },
	{ "regulatory-floor", 422, "The change goes below what the account's regulatory profile requires",
		"La modification va en deçà de ce qu'exige le profil réglementaire du compte" },
	{ "weak-password", 422, "The password does not meet the policy",
		"Le mot de passe ne respecte pas la politique" },
	{ "invalid-mfa-code", 422, "The second-factor code is wrong",
		"Le code de second facteur est incorrect" },
	{ "rate-limited", 429, "Too many requests: slow down",
		"Trop de requêtes : ralentissez" },
	{ "idempotency-key-reused", 422, "The Idempotency-Key was used for another request",
		"La clé d'idempotence a servi à une autre requête" },
	{ "invalid-multipart", 400, "The multipart/form-data body is malformed",
		"Le corps multipart/form-data est mal formé" },
	{ "not-acceptable", 406, "No representation matches the Accept header",
		"Aucune représentation ne correspond à l'en-tête Accept" },
	{ "invalid-state", 409, "The resource is not in a state that allows this",
		"La ressource n'est pas dans un état qui le permet" },
	{ "malware-detected", 422, "The file contains malware",
		"Le fichier contient un logiciel malveillant" },
	{ "legal-hold", 409, "The data is under a legal hold",
		"Les données font l'objet d'une conservation légale" },
	{ "numbers-exhausted", 409, "No number is available for this request",
		"Aucun numéro n'est disponible pour cette demande" },
	{ "document-unsupported", 415, "The document type is not supported",
		"Ce type de document n'est pas pris en charge" },
	{ "document-empty", 422, "The document is empty", "Le document est vide" },
	{ "document-not-utf8", 415, "The text is not in UTF-8", "Le texte n'est pas en UTF-8" },
	{ "document-unrenderable", 422, "The document cannot be converted to fax pages",
		"Le document ne peut pas être converti en pages de télécopie" },
	{ "too-many-pages", 422, "The document has more pages than allowed",
		"Le document a plus de pages que permis" },
	{ "destination-not-allowed", 422, "The destination number is invalid or not allowed",
		"Le numéro de destination est invalide ou non autorisé" },
	{ "no-route", 422, "No trunk can reach this destination",
		"Aucune liaison ne dessert cette destination" },
	{ "url-not-allowed", 422, "The URL is not allowed",
		"Cette URL n'est pas autorisée" },
	{ "internal", 500, "Internal error", "Erreur interne" },
	{ "unavailable", 503, "The service is unavailable", "Le service est indisponible" },
	{ "service-timeout", 504, "The service did not answer in time",
		"Le service n'a pas répondu à temps" },
	{ NULL, 0, NULL, NULL },
};

const struct problem_kind *problem_lookup(const char *kind)
{
	const struct problem_kind *internal = NULL;
	for (int i = 0; kinds[i].kind; i++) {
		if (kind && strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
		if (strcmp(kinds[i].kind, "internal") == 0)
			internal = &kinds[i];
	}
	return internal;
}

const struct problem_kind *problem_table(void)
{
	return kinds;
}

json_t *problem_json(const char *kind, const char *detail, const char *field,
	const char *request_id, const char *lang)
{
	const struct problem_kind *k = problem_lookup(kind);
	int fr = i18n_is_fr(lang);
	json_t *o = json_object();
	char type[128];
	strcpy(type, PROBLEM_TYPE_PREFIX);
	strncat(type, k->kind, sizeof type - sizeof PROBLEM_TYPE_PREFIX);
	json_object_set_new(o, "type", json_string(type));
	const char *title = fr ? k->title_fr : k->title_en;
	json_object_set_new(o, "title", json_string(title));
	json_object_set_new(o, "status", json_integer(k->status));
	/* A detail says what the title does not: none rather than the title
	 * again (RFC 9457 makes it optional). */
	if (detail && *detail) {
		const char *d = i18n_fmt(lang, detail);
		if (strcasecmp(d, title) != 0 && strcasecmp(detail, k->title_en) != 0)
			json_object_set_new(o, "detail", json_string(d));
	}
	if (field && *field)
		json_object_set_new(o, "field", json_string(field));
	if (request_id)
		json_object_set_new(o, "request_id", json_string(request_id));
	return o;
}
