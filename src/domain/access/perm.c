/* The permission table and the built-in roles (see perm.h). */
#include "access.h"

#include <string.h>

#include "buf.h"
#include "xalloc.h"

static const struct perm_info table[PERM_COUNT] = {
	[PERM_NUMBERS_MANAGE] = { "numbers.manage", "account", "C04a",
		"Request fax numbers and number porting", "Demander des numéros de fax et leur portage" },
	[PERM_USERS_MANAGE] = { "users.manage", "account", "C04b",
		"Provision and deprovision users", "Créer et retirer des utilisateurs" },
	[PERM_ADMINS_MANAGE] = { "admins.manage", "account", "C04c",
		"Manage other administrators", "Gérer les autres administrateurs" },
	[PERM_SECURITY_MANAGE] = { "security.manage", "account", "C04d",
		"Manage security configuration", "Gérer la configuration de sécurité" },
	[PERM_DATA_READ] = { "data.read", "account", "C04e",
		"Access account data, including fax data", "Accéder aux données du compte, y compris les fax" },
	[PERM_BILLING_READ] = { "billing.read", "account", "C04f",
		"Access usage and billing information", "Accéder à l'utilisation et à la facturation" },
	[PERM_SETTINGS_MANAGE] = { "settings.manage", "account", "C04g",
		"Manage other account configuration", "Gérer les autres paramètres du compte" },
	[PERM_FAX_SEND] = { "fax.send", "account", "",
		"Send faxes", "Envoyer des fax" },
	[PERM_FAX_READ_OWN] = { "fax.read.own", "account", "",
		"Read one's own faxes", "Lire ses propres fax" },
	[PERM_ACCOUNT_READ] = { "account.read", "account", "",
		"See the account's name and status", "Voir le nom et l'état du compte" },
	[PERM_APIKEYS_OWN] = { "api_keys.own", "account", "C07",
		"Create and revoke one's own API keys", "Créer et révoquer ses propres clés d'API" },
	[PERM_OWNERSHIP_TRANSFER] = { "ownership.transfer", "account", "C02",
		"Transfer the ownership of the account", "Transférer la propriété du compte" },
	[PERM_SAFEBOX_USE] = { "safebox.use", "account", "",
		"Create SafeBoxes and use one's own", "Créer des SafeBox et utiliser les siennes" },
	[PERM_CONFIG_READ] = { "config.read", "account", "P11",
		"Read the account's configuration (settings, number routing, webhook subscriptions without "
		"secrets), no changes",
		"Lire la configuration du compte (paramètres, routage des numéros, abonnements webhook sans "
		"leurs secrets), sans la modifier" },
	[PERM_PROVIDER_ACCOUNTS_MANAGE] = { "provider.accounts.manage", "provider", "P10",
		"Provision, change and suspend customer accounts", "Créer, modifier et suspendre des comptes clients" },
	[PERM_PROVIDER_ACCOUNTS_READ] = { "provider.accounts.read", "provider", "P11",
		"See customer accounts (not their data)", "Voir les comptes clients (pas leurs données)" },
	[PERM_PROVIDER_STAFF_MANAGE] = { "provider.staff.manage", "provider", "P06",
		"Manage provider staff", "Gérer le personnel du fournisseur" },
	[PERM_PROVIDER_PARTNERS_MANAGE] = { "provider.partners.manage", "provider", "R01",
		"Manage partner organizations and their staff", "Gérer les partenaires et leur personnel" },
	[PERM_PROVIDER_AUDIT_READ] = { "provider.audit.read", "provider", "P06",
		"Read and verify the audit log of every account", "Lire et vérifier le journal d'audit de tous les comptes" },
	[PERM_PROVIDER_AUDIT_VERIFY] = { "provider.audit.verify", "provider", "P08",
		"Verify the integrity of the audit chain and publish its checkpoints (no event content)",
		"Vérifier l'intégrité de la chaîne d'audit et publier ses points de contrôle (sans le contenu des événements)" },
	[PERM_PROVIDER_TERMS_MANAGE] = { "provider.terms.manage", "provider", "C06",
		"Publish the terms of service", "Publier les conditions d'utilisation" },
	[PERM_PROVIDER_TELEPHONY_MANAGE] = { "provider.telephony.manage", "provider", "P12",
		"Manage SIP trunks, the number inventory, port requests and the rate table",
		"Gérer les liaisons SIP, le stock de numéros, les portabilités et la grille tarifaire" },
	[PERM_PROVIDER_STATUS_MANAGE] = { "provider.status.manage", "provider", "P13",
		"Publish the service status: component states, incidents, maintenance windows",
		"Publier l'état du service : état des composants, incidents, fenêtres de maintenance" },
	[PERM_PROVIDER_REQUESTS_MANAGE] = { "provider.requests.manage", "provider", "C17",
		"Answer customers' fraud reports, penetration-test requests and traffic forecasts",
		"Répondre aux signalements de fraude, demandes de test d'intrusion et prévisions de trafic des clients" },
	[PERM_PROVIDER_SECURITY_MANAGE] = { "provider.security.manage", "provider", "P14",
		"Record security incidents and send breach notices to the affected accounts",
		"Consigner les incidents de sécurité et envoyer les avis de violation aux comptes concernés" },
	[PERM_PARTNER_ACCOUNTS_READ] = { "partner.accounts.read", "partner", "R02",
		"See the accounts the partner provisioned", "Voir les comptes créés par le partenaire" },
	[PERM_PARTNER_STAFF_READ] = { "partner.staff.read", "partner", "R02",
		"See the partner's own staff", "Voir le personnel du partenaire" },
	[PERM_PARTNER_ACCOUNTS_MANAGE] = { "partner.accounts.manage", "partner", "R01",
		"Provision, suspend and reactivate the partner's own customer accounts, within the provider's limits",
		"Créer, suspendre et réactiver les comptes clients du partenaire, dans les limites fixées par le fournisseur" },
	[PERM_PARTNER_STAFF_MANAGE] = { "partner.staff.manage", "partner", "R01",
		"Add and remove the partner's own staff, choose their roles, and set the partner's white label",
		"Ajouter et retirer le personnel du partenaire, choisir leurs rôles et définir sa marque blanche" },
	[PERM_PARTNER_CONFIG_READ] = { "partner.config.read", "partner", "R02",
		"Read the configuration of the partner's accounts (no changes, no data)",
		"Lire la configuration des comptes du partenaire (sans modification ni données)" },
	[PERM_PARTNER_USAGE_READ] = { "partner.usage.read", "partner", "R02",
		"See usage, call totals, plans and invoices of the partner's accounts",
		"Voir l'utilisation, les totaux d'appels, les formules et les factures des comptes du "
		"partenaire" },
};

#define B PERM_BIT
#define SEVEN (B(PERM_NUMBERS_MANAGE) | B(PERM_USERS_MANAGE) | B(PERM_ADMINS_MANAGE) | \
	B(PERM_SECURITY_MANAGE) | B(PERM_DATA_READ) | B(PERM_BILLING_READ) | B(PERM_SETTINGS_MANAGE))
#define EVERYDAY (B(PERM_FAX_SEND) | B(PERM_FAX_READ_OWN) | B(PERM_ACCOUNT_READ) | B(PERM_APIKEYS_OWN) | \
	B(PERM_SAFEBOX_USE))

static const struct {
	const char *kind, *role;
	perm_set_t perms;
} roles[] = {
	{ "account", "owner", SEVEN | EVERYDAY | B(PERM_OWNERSHIP_TRANSFER) | B(PERM_CONFIG_READ) },
	{ "account", "admin", SEVEN | EVERYDAY | B(PERM_CONFIG_READ) },
	{ "account", "billing", B(PERM_BILLING_READ) | B(PERM_ACCOUNT_READ) | B(PERM_APIKEYS_OWN) },
	{ "account", "user", EVERYDAY },
	{ "provider", "operator", B(PERM_PROVIDER_ACCOUNTS_MANAGE) | B(PERM_PROVIDER_ACCOUNTS_READ) |
		B(PERM_PROVIDER_STAFF_MANAGE) | B(PERM_PROVIDER_PARTNERS_MANAGE) |
		B(PERM_PROVIDER_TERMS_MANAGE) | B(PERM_PROVIDER_TELEPHONY_MANAGE) |
		B(PERM_PROVIDER_AUDIT_VERIFY) | B(PERM_PROVIDER_STATUS_MANAGE) |
		B(PERM_PROVIDER_REQUESTS_MANAGE) | B(PERM_PROVIDER_SECURITY_MANAGE) },
	{ "provider", "support", B(PERM_PROVIDER_ACCOUNTS_READ) },
	{ "provider", "security", B(PERM_PROVIDER_ACCOUNTS_READ) | B(PERM_PROVIDER_AUDIT_READ) |
		B(PERM_PROVIDER_AUDIT_VERIFY) | B(PERM_PROVIDER_REQUESTS_MANAGE) |
		B(PERM_PROVIDER_SECURITY_MANAGE) },
	{ "partner", "partner_admin", B(PERM_PARTNER_ACCOUNTS_READ) | B(PERM_PARTNER_STAFF_READ) |
		B(PERM_PARTNER_ACCOUNTS_MANAGE) | B(PERM_PARTNER_STAFF_MANAGE) |
		B(PERM_PARTNER_CONFIG_READ) | B(PERM_PARTNER_USAGE_READ) },
	/* Partner support reads the configuration and usage of the partner's
	 * accounts and changes nothing; partner billing sees their usage. */
	{ "partner", "partner_support", B(PERM_PARTNER_ACCOUNTS_READ) | B(PERM_PARTNER_STAFF_READ) |
		B(PERM_PARTNER_CONFIG_READ) | B(PERM_PARTNER_USAGE_READ) },
	{ "partner", "partner_billing", B(PERM_PARTNER_ACCOUNTS_READ) | B(PERM_PARTNER_STAFF_READ) |
		B(PERM_PARTNER_USAGE_READ) },
};
#undef B

const struct perm_info *perm_info(enum perm p)
{
	return &table[p];
}

int perm_by_name(const char *name)
{
	for (int i = 0; i < PERM_COUNT; i++)
		if (name && strcmp(table[i].name, name) == 0)
			return i;
	return -1;
}

perm_set_t perm_role(const char *kind, const char *role)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (kind && role && strcmp(roles[i].kind, kind) == 0 && strcmp(roles[i].role, role) == 0)
			return roles[i].perms;
	return 0;
}

perm_set_t perm_everyday(void)
{
	/* What the plain user role holds is what every member holds. */
	return perm_role("account", "user");
}

perm_set_t perm_account_scope(void)
{
	perm_set_t s = 0;
	for (int i = 0; i < PERM_COUNT; i++)
		if (strcmp(table[i].scope, "account") == 0)
			s |= PERM_BIT(i);
	return s;
}

json_t *perm_set_to_json(perm_set_t s)
{
	json_t *a = json_array();
	/* The table's names are ASCII: not checked as UTF-8 on every call (a
	 * person's record carries the list in every answer about them). */
	for (int i = 0; i < PERM_COUNT; i++)
		if (s & PERM_BIT(i))
			json_array_append_new(a, json_string_nocheck(table[i].name));
	return a;
}

char *perm_set_to_string(perm_set_t s)
{
	buf_t b;
	buf_init(&b, 4096);
	for (int i = 0; i < PERM_COUNT; i++)
		if (s & PERM_BIT(i)) {
			if (b.len)
				buf_puts(&b, " ");
			buf_puts(&b, table[i].name);
		}
	return buf_steal(&b);
}

perm_set_t perm_set_from_string(const char *s)
{
	perm_set_t out = 0;
	while (s && *s) {
		while (*s == ' ')
			s++;
		const char *e = strchr(s, ' ');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		for (int i = 0; i < PERM_COUNT; i++)
			if (n && strlen(table[i].name) == n && memcmp(table[i].name, s, n) == 0)
				out |= PERM_BIT(i);
		s += n;
	}
	return out;
}

int perm_set_from_json(const json_t *arr, perm_set_t *out, const char **bad)
{
	if (!json_is_array(arr))
		return -1;
	perm_set_t s = 0;
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		int p = json_is_string(v) ? perm_by_name(json_string_value(v)) : -1;
		if (p < 0) {
			if (bad)
				*bad = json_is_string(v) ? json_string_value(v) : "(not a string)";
			return -1;
		}
		s |= PERM_BIT(p);
	}
	*out = s;
	return 0;
}

json_t *perm_table_json(const char *lang)
{
	int fr = lang && strcmp(lang, "fr") == 0;
	json_t *items = json_array();
	for (int i = 0; i < PERM_COUNT; i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s}", "name", table[i].name,
			"scope", table[i].scope, "responsibility", table[i].ref, "description",
			fr ? table[i].desc_fr : table[i].desc_en));
	json_t *r = json_object();
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		json_object_set_new(r, roles[i].role, perm_set_to_json(roles[i].perms));
	return json_pack("{s:o, s:o}", "items", items, "roles", r);
}
