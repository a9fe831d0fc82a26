/* Outbound messages (see mail_msg.h). */
#include "mail_msg.h"

#include <gmime/gmime.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

/* One template: the subject and the paragraphs of the body. In the subject
 * and the body, {web} and {token} are replaced, and any other {key} by the
 * string or integer of that name in the params ({name} falls back to the
 * address); {token} lines are set apart (a line of their own, monospace in
 * HTML). */
struct tpl {
	const char *kind;
	const char *lang;
	const char *subject;
	const char *body;
};

static const struct tpl tpls[] = {
	{ "invitation", "en", "Your faxvault invitation",
		"Hello {name},\n\n"
		"You are invited to faxvault. To accept the invitation and choose your password, "
		"open this link (it works once):\n\n"
		"{link}\n\n"
		"Or run \"faxvault invitations accept\" with the invitation token:\n\n"
		"{token}\n\n"
		"The invitation expires on {expires_at} (UTC). If you did not expect it, ignore this "
		"message: nothing happens without the token." },
	{ "invitation", "fr", "Votre invitation à faxvault",
		"Bonjour {name},\n\n"
		"Vous êtes invité·e à faxvault. Pour accepter l'invitation et choisir votre mot de "
		"passe, ouvrez ce lien (il ne sert qu'une fois) :\n\n"
		"{link}\n\n"
		"Ou lancez « faxvault invitations accept » avec le jeton d'invitation :\n\n"
		"{token}\n\n"
		"L'invitation expire le {expires_at} (UTC). Si vous ne l'attendiez pas, ignorez ce "
		"message : rien ne se passe sans le jeton." },
	{ "lockout", "en", "Your faxvault account is locked for {minutes} minutes",
		"Hello {name},\n\n"
		"After {failures} failed sign-ins, your faxvault account is locked until {until} "
		"(UTC): nobody can sign in as you before then, not even with the right password.\n\n"
		"If it was you, wait and try again, or reset your password at {web}. If it was not "
		"you, someone is trying to guess your password: change it once the lock ends and "
		"set up a second factor." },
	{ "lockout", "fr", "Votre compte faxvault est verrouillé pour {minutes} minutes",
		"Bonjour {name},\n\n"
		"Après {failures} connexions échouées, votre compte faxvault est verrouillé jusqu'au "
		"{until} (UTC) : personne ne peut se connecter en votre nom d'ici là, même avec le "
		"bon mot de passe.\n\n"
		"Si c'était vous, patientez puis réessayez, ou réinitialisez votre mot de passe sur "
		"{web}. Sinon, quelqu'un essaie de deviner votre mot de passe : changez-le à la fin "
		"du verrouillage et activez un second facteur." },
	{ "mfa_enrolled", "en", "A second factor was set up on your faxvault account",
		"Hello {name},\n\n"
		"A second factor (an authenticator app) was set up on your faxvault account on {at} "
		"(UTC), from {source}. Every sign-in now asks for its code.\n\n"
		"If it was not you, someone else holds your password: reset it at {web} and tell "
		"your administrator." },
	{ "mfa_enrolled", "fr", "Un second facteur a été activé sur votre compte faxvault",
		"Bonjour {name},\n\n"
		"Un second facteur (une application d'authentification) a été activé sur votre "
		"compte faxvault le {at} (UTC), depuis {source}. Chaque connexion demande désormais "
		"son code.\n\n"
		"Si ce n'était pas vous, quelqu'un d'autre connaît votre mot de passe : "
		"réinitialisez-le sur {web} et prévenez votre administrateur." },
	{ "mfa_removed", "en", "The second factor of your faxvault account was removed",
		"Hello {name},\n\n"
		"The second factor of your faxvault account was removed on {at} (UTC), from "
		"{source}. Signing in now takes your password alone.\n\n"
		"If it was not you, reset your password at {web}, set up a second factor again and "
		"tell your administrator." },
	{ "mfa_removed", "fr", "Le second facteur de votre compte faxvault a été retiré",
		"Bonjour {name},\n\n"
		"Le second facteur de votre compte faxvault a été retiré le {at} (UTC), depuis "
		"{source}. La connexion ne demande plus que votre mot de passe.\n\n"
		"Si ce n'était pas vous, réinitialisez votre mot de passe sur {web}, activez de "
		"nouveau un second facteur et prévenez votre administrateur." },
	{ "port_request", "en", "Port request {request_id}: {status_en}",
		"Hello {name},\n\n"
		"Your account's request to port {numbers} from {carrier} is now {status_en}.\n\n"
		"Reason given: {reason}\n\n"
		"The request ({request_id}) and its history are at {web}." },
	{ "port_request", "fr", "Demande de portabilité {request_id} : {status_fr}",
		"Bonjour {name},\n\n"
		"La demande de portabilité de {numbers} depuis {carrier} de votre compte est "
		"désormais {status_fr}.\n\n"
		"Motif indiqué : {reason}\n\n"
		"La demande ({request_id}) et son historique sont sur {web}." },
	{ "terms", "en", "New terms of service to accept ({version})",
		"Hello {name},\n\n"
		"The provider published new terms of service, version {version}. You need to read "
		"and accept them at {web}: until you do, the service refuses your other "
		"requests." },
	{ "terms", "fr", "Nouvelles conditions d'utilisation à accepter ({version})",
		"Bonjour {name},\n\n"
		"Le fournisseur a publié de nouvelles conditions d'utilisation, version {version}. "
		"Vous devez les lire et les accepter sur {web} : tant que vous ne l'avez pas fait, "
		"le service refuse vos autres requêtes." },
	{ "signin_new_address", "en", "New sign-in to your faxvault account from {source}",
		"Hello {name},\n\n"
		"Someone signed in to your faxvault account on {at} (UTC) from the address {source}, "
		"which you had not signed in from before.\n\n"
		"If it was you, there is nothing to do. If not, reset your password at {web}, set "
		"up a second factor and tell your administrator: your sessions are listed there and "
		"can be ended." },
	{ "signin_new_address", "fr", "Nouvelle connexion à votre compte faxvault depuis {source}",
		"Bonjour {name},\n\n"
		"Quelqu'un s'est connecté à votre compte faxvault le {at} (UTC) depuis l'adresse "
		"{source}, d'où vous ne vous étiez jamais connecté·e.\n\n"
		"Si c'était vous, il n'y a rien à faire. Sinon, réinitialisez votre mot de passe sur "
		"{web}, activez un second facteur et prévenez votre administrateur : vos sessions y "
		"sont listées et peuvent être fermées." },
	{ "contacts_review", "en", "Review the contacts of {account}",
		"Hello {name},\n\n"
		"The contacts of the account {account} (billing, security and the people to reach) "
		"were due for review on {due_at} (UTC). Please check them at {web} and confirm them "
		"there, so that notices reach the right people." },
	{ "contacts_review", "fr", "Vérifiez les contacts de {account}",
		"Bonjour {name},\n\n"
		"Les contacts du compte {account} (facturation, sécurité et personnes à joindre) "
		"devaient être vérifiés le {due_at} (UTC). Vérifiez-les sur {web} et confirmez-les, "
		"afin que les avis parviennent aux bonnes personnes." },
	{ "sso_domain_failing", "en", "The sign-in domain {domain} of {account} lost its DNS record",
		"Hello {name},\n\n"
		"faxvault checks regularly that the sign-in domain {domain} of the account {account} "
		"still publishes its verification record. The record was not found:\n\n"
		"{txt_name} TXT \"{txt_value}\"\n\n"
		"If it is not published again, on {at} (UTC) the domain becomes unverified: people "
		"of {domain} are then no longer sent to your identity providers from the sign-in "
		"page (the sign-in link by account keeps working). Publish the record again, or give "
		"the domain up at {web}." },
	{ "sso_domain_failing", "fr", "Le domaine de connexion {domain} de {account} a perdu son enregistrement DNS",
		"Bonjour {name},\n\n"
		"faxvault vérifie régulièrement que le domaine de connexion {domain} du compte "
		"{account} publie toujours son enregistrement de vérification. Il est introuvable :\n\n"
		"{txt_name} TXT « {txt_value} »\n\n"
		"S'il n'est pas publié de nouveau, le {at} (UTC) le domaine deviendra non vérifié : "
		"les personnes de {domain} ne seront plus envoyées vers vos fournisseurs d'identité "
		"depuis la page de connexion (le lien de connexion par compte continue de marcher). "
		"Publiez de nouveau l'enregistrement, ou abandonnez le domaine sur {web}." },
	{ "sso_domain_unverified", "en", "The sign-in domain {domain} of {account} is no longer verified",
		"Hello {name},\n\n"
		"The verification record of the sign-in domain {domain} of the account {account} "
		"stayed missing from the DNS, so the domain became unverified on {at} (UTC): people "
		"of {domain} are no longer sent to your identity providers from the sign-in page. "
		"Their accounts and sessions are unchanged.\n\n"
		"To route them again, publish this record and verify the domain at {web}:\n\n"
		"{txt_name} TXT \"{txt_value}\"" },
	{ "sso_domain_unverified", "fr", "Le domaine de connexion {domain} de {account} n'est plus vérifié",
		"Bonjour {name},\n\n"
		"L'enregistrement de vérification du domaine de connexion {domain} du compte "
		"{account} est resté absent du DNS : le domaine est devenu non vérifié le {at} "
		"(UTC). Les personnes de {domain} ne sont plus envoyées vers vos fournisseurs "
		"d'identité depuis la page de connexion. Leurs comptes et leurs sessions ne changent "
		"pas.\n\n"
		"Pour les y envoyer de nouveau, publiez cet enregistrement et vérifiez le domaine sur "
		"{web} :\n\n"
		"{txt_name} TXT « {txt_value} »" },
	{ "password_reset", "en", "Reset your faxvault password",
		"Hello {name},\n\n"
		"A password reset was asked for your faxvault account. To choose a new password, "
		"open this link:\n\n"
		"{link}\n\n"
		"Or run \"faxvault password reset complete\" with the reset token:\n\n"
		"{token}\n\n"
		"The token expires on {expires_at} (UTC) and works once; every session of yours ends "
		"when it is used. If you did not ask for it, ignore this message: your password "
		"stays as it is." },
	{ "password_reset", "fr", "Réinitialisation de votre mot de passe faxvault",
		"Bonjour {name},\n\n"
		"Une réinitialisation du mot de passe de votre compte faxvault a été demandée. Pour "
		"choisir un nouveau mot de passe, ouvrez ce lien :\n\n"
		"{link}\n\n"
		"Ou lancez « faxvault password reset complete » avec le jeton de réinitialisation :\n\n"
		"{token}\n\n"
		"Le jeton expire le {expires_at} (UTC) et ne sert qu'une fois ; toutes vos sessions "
		"prennent fin quand il est utilisé. Si vous n'avez rien demandé, ignorez ce "
		"message : votre mot de passe ne change pas." },
	{ "fax_received", "en", "Fax from {from} to {number}",
		"Hello {name},\n\n"
		"A fax from {from} arrived on your number {number} on {received_at} (UTC): "
		"{pages} page(s), attached as a PDF.\n\n"
		"It is also in your inbox at {web} (fax {fax_id})." },
	{ "fax_received", "fr", "Fax de {from} pour {number}",
		"Bonjour {name},\n\n"
		"Un fax de {from} est arrivé sur votre numéro {number} le {received_at} (UTC) : "
		"{pages} page(s), jointes en PDF.\n\n"
		"Il est aussi dans votre boîte de réception sur {web} (fax {fax_id})." },
	{ "fax_received_link", "en", "New fax on {number}",
		"Hello {name},\n\n"
		"A fax of {pages} page(s) arrived on your number {number} on {received_at} (UTC). "
		"Your account does not send faxes by mail: sign in at {web} to read it "
		"(fax {fax_id})." },
	{ "fax_received_link", "fr", "Nouveau fax sur {number}",
		"Bonjour {name},\n\n"
		"Un fax de {pages} page(s) est arrivé sur votre numéro {number} le {received_at} "
		"(UTC). Votre compte n'envoie pas les fax par courriel : connectez-vous sur {web} "
		"pour le lire (fax {fax_id})." },
	{ "fax_received_safebox", "en", "New fax on {number}, in a SafeBox",
		"Hello {name},\n\n"
		"A fax of {pages} page(s) from {from} arrived on your number {number} on "
		"{received_at} (UTC). It was put as a PDF in a SafeBox of yours: sign in at {web} "
		"to read it (SafeBox {safebox_id}, fax {fax_id})." },
	{ "fax_received_safebox", "fr", "Nouveau fax sur {number}, dans une SafeBox",
		"Bonjour {name},\n\n"
		"Un fax de {pages} page(s) de {from} est arrivé sur votre numéro {number} le "
		"{received_at} (UTC). Il a été déposé en PDF dans une de vos SafeBox : "
		"connectez-vous sur {web} pour le lire (SafeBox {safebox_id}, fax {fax_id})." },
	{ "fax_report_delivered", "en", "Your fax to {to} was delivered",
		"Hello {name},\n\n"
		"The fax you sent by e-mail to {to} was delivered on {completed_at} (UTC): "
		"{pages} page(s).\n\n"
		"Fax {fax_id}; its details are at {web}." },
	{ "fax_report_delivered", "fr", "Votre fax pour {to} a été remis",
		"Bonjour {name},\n\n"
		"Le fax que vous avez envoyé par courriel au {to} a été remis le {completed_at} "
		"(UTC) : {pages} page(s).\n\n"
		"Fax {fax_id} ; son détail est sur {web}." },
	{ "fax_report_failed", "en", "Your fax to {to} was not delivered",
		"Hello {name},\n\n"
		"The fax you sent by e-mail to {to} could not be delivered ({reason}). It ended on "
		"{completed_at} (UTC) with {pages} of {page_count} page(s) received.\n\n"
		"Fax {fax_id}; its details are at {web}, where you can send it again." },
	{ "fax_report_failed", "fr", "Votre fax pour {to} n'a pas été remis",
		"Bonjour {name},\n\n"
		"Le fax que vous avez envoyé par courriel au {to} n'a pas pu être remis ({reason}). "
		"Il a pris fin le {completed_at} (UTC), {pages} page(s) reçue(s) sur {page_count}.\n\n"
		"Fax {fax_id} ; son détail est sur {web}, où vous pouvez le renvoyer." },
	{ "consent_started", "en", "You gave {partner} a consent on {account}",
		"Hello {name},\n\n"
		"You gave the staff of the partner {partner} a consent to administer your account "
		"{account}: {scope}, from {starts_at} until {expires_at} (UTC). Consent {consent_id}.\n\n"
		"Everything they do under it is in your account's audit log. You can revoke it at any "
		"time at {web}. If you did not give it, revoke it now and change your password." },
	{ "consent_started", "fr", "Vous avez donné un consentement à {partner} sur {account}",
		"Bonjour {name},\n\n"
		"Vous avez donné au personnel du partenaire {partner} un consentement pour administrer "
		"votre compte {account} : {scope}, du {starts_at} au {expires_at} (UTC). Consentement "
		"{consent_id}.\n\n"
		"Tout ce qu'il fait à ce titre figure au journal d'audit de votre compte. Vous pouvez le "
		"révoquer à tout moment sur {web}. Si vous ne l'avez pas donné, révoquez-le maintenant "
		"et changez votre mot de passe." },
	{ "breach_notice", "en", "Security notice about {account}: {title}",
		"Hello {name},\n\n"
		"The service's provider informs you of a security incident ({incident_id}, detected on "
		"{detected_at} UTC) that may concern your account {account}:\n\n"
		"{notice_en}\n\n"
		"The notice ({notice_id}) is kept in your account at {web}, where you can acknowledge "
		"it. Your own obligations (telling your supervisory authority or the people concerned) "
		"may start from this notice." },
	{ "breach_notice", "fr", "Avis de sécurité concernant {account} : {title}",
		"Bonjour {name},\n\n"
		"Le fournisseur du service vous informe d'un incident de sécurité ({incident_id}, "
		"détecté le {detected_at} UTC) qui peut concerner votre compte {account} :\n\n"
		"{notice_fr}\n\n"
		"L'avis ({notice_id}) est conservé dans votre compte sur {web}, où vous pouvez en "
		"accuser réception. Vos propres obligations (informer votre autorité de contrôle ou les "
		"personnes concernées) peuvent courir à compter de cet avis." },
	{ "status_subscribed", "en", "Subscribed to the faxvault status board",
		"Hello {name},\n\n"
		"This address now receives mail from the faxvault status board about {components}: "
		"incidents, maintenance windows, and reminders before each window.\n\n"
		"The board: {web}/status\n\n"
		"You receive this because this address subscribed to these components of the "
		"faxvault status board. To unsubscribe, open this link (it works once):\n\n"
		"{link}\n\n"
		"Or send this token to POST /v1/status-subscriptions/unsubscribe:\n\n"
		"{token}" },
	{ "status_subscribed", "fr", "Abonnement à l'état du service faxvault",
		"Bonjour {name},\n\n"
		"Cette adresse reçoit désormais les messages de l'état du service faxvault sur "
		"{components} : incidents, maintenances planifiées et rappels avant chaque maintenance.\n\n"
		"L'état du service : {web}/status\n\n"
		"Vous recevez ce message parce que cette adresse est abonnée à ces composants de "
		"l'état du service faxvault. Pour vous désabonner, ouvrez ce lien (il ne sert "
		"qu'une fois) :\n\n"
		"{link}\n\n"
		"Ou envoyez ce jeton à POST /v1/status-subscriptions/unsubscribe :\n\n"
		"{token}" },
	{ "status_update", "en", "{kind_label}: {title} ({status})",
		"Hello {name},\n\n"
		"The faxvault status board has an update about {components}.\n\n"
		"{title}\n{when}\n\n"
		"{status}: {message}\n\n"
		"The board: {web}/status\n\n"
		"You receive this because this address subscribed to these components of the "
		"faxvault status board. To unsubscribe, open this link (it works once):\n\n"
		"{link}\n\n"
		"Or send this token to POST /v1/status-subscriptions/unsubscribe:\n\n"
		"{token}" },
	{ "status_update", "fr", "{kind_label} : {title} ({status})",
		"Bonjour {name},\n\n"
		"L'état du service faxvault a une mise à jour concernant {components}.\n\n"
		"{title}\n{when}\n\n"
		"{status} : {message}\n\n"
		"L'état du service : {web}/status\n\n"
		"Vous recevez ce message parce que cette adresse est abonnée à ces composants de "
		"l'état du service faxvault. Pour vous désabonner, ouvrez ce lien (il ne sert "
		"qu'une fois) :\n\n"
		"{link}\n\n"
		"Ou envoyez ce jeton à POST /v1/status-subscriptions/unsubscribe :\n\n"
		"{token}" },
	{ "status_reminder", "en", "Maintenance in {lead}: {title}",
		"Hello {name},\n\n"
		"A maintenance window on {components} starts in {lead}.\n\n"
		"{title}\n{when}\n\n"
		"{message}\n\n"
		"The board: {web}/status\n\n"
		"You receive this because this address subscribed to these components of the "
		"faxvault status board. To unsubscribe, open this link (it works once):\n\n"
		"{link}\n\n"
		"Or send this token to POST /v1/status-subscriptions/unsubscribe:\n\n"
		"{token}" },
	{ "status_reminder", "fr", "Maintenance dans {lead} : {title}",
		"Bonjour {name},\n\n"
		"Une maintenance de {components} commence dans {lead}.\n\n"
		"{title}\n{when}\n\n"
		"{message}\n\n"
		"L'état du service : {web}/status\n\n"
		"Vous recevez ce message parce que cette adresse est abonnée à ces composants de "
		"l'état du service faxvault. Pour vous désabonner, ouvrez ce lien (il ne sert "
		"qu'une fois) :\n\n"
		"{link}\n\n"
		"Ou envoyez ce jeton à POST /v1/status-subscriptions/unsubscribe :\n\n"
		"{token}" },
	{ "incident_clock", "en", "Incident {incident_id}: clock {clock} ({level})",
		"Hello {name},\n\n"
		"The clock {clock} of the security incident {incident_id} ({title}) is due on "
		"{due_at} UTC ({level}): {notified} of {affected} affected account(s) have their "
		"notice.\n\n"
		"Send the breach notice at {web} or through POST "
		"/v1/provider/security-incidents/{incident_id}/notices." },
	{ "incident_clock", "fr", "Incident {incident_id} : délai {clock} ({level})",
		"Bonjour {name},\n\n"
		"Le délai {clock} de l'incident de sécurité {incident_id} ({title}) échoit le "
		"{due_at} UTC ({level}) : {notified} des {affected} compte(s) concerné(s) ont reçu "
		"leur avis.\n\n"
		"Envoyez l'avis de violation sur {web} ou par POST "
		"/v1/provider/security-incidents/{incident_id}/notices." },
	{ "fraud_finding", "en", "Fraud alert on {account}: {rule}",
		"Hello {name},\n\n"
		"The service's fraud detection found activity on the account {account} that may not be "
		"its own: {summary_en}\n\n"
		"It is recorded as the fraud report {report_id}, with its evidence, at {web}. {held_en}\n\n"
		"If the activity is not yours, change the passwords and API keys concerned and tell the "
		"provider in the report." },
	{ "fraud_finding", "fr", "Alerte de fraude sur {account} : {rule}",
		"Bonjour {name},\n\n"
		"La détection de fraude du service a relevé sur le compte {account} une activité qui "
		"pourrait ne pas être la sienne : {summary_fr}\n\n"
		"Elle est enregistrée comme signalement de fraude {report_id}, avec ses éléments, sur "
		"{web}. {held_fr}\n\n"
		"Si cette activité n'est pas la vôtre, changez les mots de passe et les clés d'API "
		"concernés et informez-en le fournisseur dans le signalement." },
	{ "request_answer", "en", "{what_en} {request_id}: {status}",
		"Hello {name},\n\n"
		"The provider set your {noun_en} {request_id} to \"{status}\".\n\n"
		"{message_en}\n\n"
		"The request and its timeline are at {web}." },
	{ "request_answer", "fr", "{what_fr} {request_id} : {status}",
		"Bonjour {name},\n\n"
		"Le fournisseur a passé votre {noun_fr} {request_id} à l'état « {status} ».\n\n"
		"{message_fr}\n\n"
		"La demande et son historique sont sur {web}." },
	{ "consent_used", "en", "{partner} used your consent on {account}",
		"Hello {name},\n\n"
		"The partner {partner} acted on your account {account} under your consent {consent_id} "
		"for the first time ({actor}).\n\n"
		"The consent lasts until {expires_at} (UTC); you can revoke it at any time at {web}." },
	{ "consent_used", "fr", "{partner} a utilisé votre consentement sur {account}",
		"Bonjour {name},\n\n"
		"Le partenaire {partner} a agi sur votre compte {account} au titre de votre "
		"consentement {consent_id} pour la première fois ({actor}).\n\n"
		"Le consentement court jusqu'au {expires_at} (UTC) ; vous pouvez le révoquer à tout "
		"moment sur {web}." },
	{ "consent_ended", "en", "Your consent to {partner} on {account} has ended",
		"Hello {name},\n\n"
		"Your consent {consent_id} to the partner {partner} on your account {account} has "
		"ended: its staff no longer hold any power on the account through it." },
	{ "consent_ended", "fr", "Votre consentement à {partner} sur {account} a pris fin",
		"Bonjour {name},\n\n"
		"Votre consentement {consent_id} au partenaire {partner} sur votre compte {account} a "
		"pris fin : son personnel ne détient plus aucun pouvoir sur le compte à ce titre." },
	{ "consent_rejected", "en", "Your signed letter for {partner} on {account} was rejected",
		"Hello {name},\n\n"
		"The provider reviewed the signed letter of your consent {consent_id} to the partner "
		"{partner} on your account {account} and rejected it, for this reason: {reason}\n\n"
		"The consent gives the partner no power on the account. You can give a new consent, "
		"in session or by a new letter, at {web}." },
	{ "consent_rejected", "fr", "Votre lettre signée pour {partner} sur {account} a été refusée",
		"Bonjour {name},\n\n"
		"Le fournisseur a examiné la lettre signée de votre consentement {consent_id} au "
		"partenaire {partner} sur votre compte {account} et l'a refusée, pour ce motif : "
		"{reason}\n\n"
		"Le consentement ne donne au partenaire aucun pouvoir sur le compte. Vous pouvez donner "
		"un nouveau consentement, en session ou par une nouvelle lettre, sur {web}." },
	{ "account_closing", "en", "Your account {account} is closing",
		"Hello {name},\n\n"
		"Your account {account} has been closed. Sending, receiving and signing in have "
		"stopped; as its owner you can still sign in to read and export what it holds.\n\n"
		"On {destroy_at} (UTC), at the end of the {grace_days}-day grace period, the account "
		"will be destroyed: every document and key crypto-shredded, its numbers released, its "
		"members removed. Until then you can cancel the closure at {web}." },
	{ "account_closing", "fr", "Votre compte {account} est en cours de fermeture",
		"Bonjour {name},\n\n"
		"Votre compte {account} a été fermé. L'envoi, la réception et la connexion sont "
		"arrêtés ; en tant que propriétaire, vous pouvez encore vous connecter pour lire et "
		"exporter ce qu'il contient.\n\n"
		"Le {destroy_at} (UTC), à la fin du délai de grâce de {grace_days} jours, le compte "
		"sera détruit : chaque document et chaque clé effacés par destruction des clés, ses "
		"numéros libérés, ses membres retirés. D'ici là, vous pouvez annuler la fermeture sur "
		"{web}." },
	{ "account_closure_cancelled", "en", "The closure of your account {account} is cancelled",
		"Hello {name},\n\n"
		"The closure of your account {account} was cancelled on {cancelled_at} (UTC) by "
		"{by_en}: the account will not be destroyed. It is back in the state it had before the "
		"closure, and its members and API keys work as before.\n\n"
		"The account's audit log at {web} records who cancelled the closure." },
	{ "account_closure_cancelled", "fr", "La fermeture de votre compte {account} est annulée",
		"Bonjour {name},\n\n"
		"La fermeture de votre compte {account} a été annulée le {cancelled_at} (UTC) par "
		"{by_fr} : le compte ne sera pas détruit. Il retrouve l'état qui était le sien avant la "
		"fermeture, et ses membres et clés d'API fonctionnent comme avant.\n\n"
		"Le journal d'audit du compte, sur {web}, indique qui a annulé la fermeture." },
	{ "account_destroyed", "en", "Your account {account} has been destroyed",
		"Hello {name},\n\n"
		"As announced, your account {account} was destroyed on {destroyed_at} (UTC) by "
		"crypto-shredding: its key ({key_id}) and the keys of its {documents} document(s) were "
		"deleted, so that no copy of them can be opened again, then the encrypted files were "
		"removed. {faxes} fax(es) and {safeboxes} SafeBox(es) were deleted and {numbers} "
		"number(s) released.\n\n"
		"The deletion certificate is recorded in the service's audit log; the provider can give "
		"you a copy." },
	{ "account_destroyed", "fr", "Votre compte {account} a été détruit",
		"Bonjour {name},\n\n"
		"Comme annoncé, votre compte {account} a été détruit le {destroyed_at} (UTC) par "
		"destruction des clés : sa clé ({key_id}) et les clés de ses {documents} document(s) "
		"ont été supprimées, de sorte qu'aucune copie ne puisse plus être ouverte, puis les "
		"fichiers chiffrés ont été effacés. {faxes} fax et {safeboxes} SafeBox ont été "
		"supprimés et {numbers} numéro(s) libéré(s).\n\n"
		"Le certificat de suppression est consigné au journal d'audit du service ; le "
		"fournisseur peut vous en remettre une copie." },
	{ "access_requested", "en", "Support asks for access to {account}",
		"Hello {name},\n\n"
		"{staff}, of the service's support, asks for {scope} access to your account {account} "
		"for {minutes} minute(s), for this reason: {reason}.\n\n"
		"Nothing is open until you or an administrator approves request {grant_id} at {web}. "
		"Every access under it will be in your account's audit log and access-transparency "
		"list." },
	{ "access_requested", "fr", "Le support demande l'accès à {account}",
		"Bonjour {name},\n\n"
		"{staff}, du support du service, demande un accès {scope} à votre compte {account} "
		"pour {minutes} minute(s), pour ce motif : {reason}.\n\n"
		"Rien n'est ouvert tant que vous ou un administrateur n'avez pas approuvé la demande "
		"{grant_id} sur {web}. Chaque accès à ce titre figurera au journal d'audit de votre "
		"compte et dans sa liste de transparence des accès." },
	{ "access_auto_approved", "en", "Support reads the configuration of {account}",
		"Hello {name},\n\n"
		"{staff}, of the service's support, asked for {scope} access to your account {account} "
		"for {minutes} minute(s), for this reason: {reason}. As your account's security settings "
		"ask, this configuration-only access was approved at once (grant {grant_id}) and lasts "
		"until {expires_at} (UTC).\n\n"
		"It opens no fax, SafeBox or audit content. Every access under it is in your account's "
		"audit log and access-transparency list; you or an administrator can end it at {web}." },
	{ "access_auto_approved", "fr", "Le support lit la configuration de {account}",
		"Bonjour {name},\n\n"
		"{staff}, du support du service, a demandé un accès {scope} à votre compte {account} "
		"pour {minutes} minute(s), pour ce motif : {reason}. Comme le veulent les paramètres de "
		"sécurité de votre compte, cet accès à la seule configuration a été approuvé d'emblée "
		"(autorisation {grant_id}) et court jusqu'au {expires_at} (UTC).\n\n"
		"Il n'ouvre aucun contenu de fax, de SafeBox ni du journal d'audit. Chaque accès à ce "
		"titre figure au journal d'audit de votre compte et dans sa liste de transparence des "
		"accès ; vous ou un administrateur pouvez y mettre fin sur {web}." },
	{ "access_break_glass", "en", "Emergency access to {account}",
		"Hello {name},\n\n"
		"{staff}, an operator of the service, opened emergency {scope} access to your account "
		"{account} until {expires_at} (UTC), for this reason: {reason}.\n\n"
		"Every access under it (grant {grant_id}) is in your account's audit log and "
		"access-transparency list; you or an administrator can end it at {web}." },
	{ "access_break_glass", "fr", "Accès d'urgence à {account}",
		"Bonjour {name},\n\n"
		"{staff}, opérateur du service, a ouvert un accès d'urgence {scope} à votre compte "
		"{account} jusqu'au {expires_at} (UTC), pour ce motif : {reason}.\n\n"
		"Chaque accès à ce titre (autorisation {grant_id}) figure au journal d'audit de votre "
		"compte et dans sa liste de transparence des accès ; vous ou un administrateur pouvez "
		"y mettre fin sur {web}." },
	{ "quota", "en", "Fax quota at {percent} % for {account}",
		"Hello {name},\n\n"
		"{used} of the {limit} pages that may be sent {period_en} {scope_en} from the account "
		"{account} are used. Past the quota, faxes are refused until it resets on {resets_at} "
		"(UTC); receiving faxes goes on.\n\n"
		"The account's plan and usage are at {web}." },
	{ "quota", "fr", "Quota de fax à {percent} % pour {account}",
		"Bonjour {name},\n\n"
		"{used} des {limit} pages qui peuvent être envoyées {period_fr} {scope_fr} depuis le "
		"compte {account} sont utilisées. Au-delà du quota, les fax sont refusés jusqu'à sa "
		"remise à zéro le {resets_at} (UTC) ; la réception des fax continue.\n\n"
		"La formule du compte et son utilisation sont sur {web}." },
	{ "billing_low_balance", "en", "Prepaid balance low for {account}",
		"Hello {name},\n\n"
		"The prepaid balance of the account {account} is down to {balance}, at or under its "
		"low-balance threshold of {threshold}. A fax whose price the balance cannot cover is "
		"refused: ask your provider for a top-up.\n\n"
		"The balance and its ledger are at {web}." },
	{ "billing_low_balance", "fr", "Solde prépayé bas pour {account}",
		"Bonjour {name},\n\n"
		"Le solde prépayé du compte {account} est descendu à {balance}, au niveau de son seuil "
		"d'alerte de {threshold} ou en dessous. Un fax dont le solde ne couvre pas le prix est "
		"refusé : demandez un rechargement à votre fournisseur.\n\n"
		"Le solde et son grand livre sont sur {web}." },
	{ "billing_balance_exhausted", "en", "Prepaid balance used up for {account}",
		"Hello {name},\n\n"
		"The prepaid balance of the account {account} is {balance}: faxes are refused until "
		"it is topped up. Ask your provider for a top-up.\n\n"
		"Receiving faxes and reading them go on as before. The balance and its ledger are at "
		"{web}." },
	{ "billing_balance_exhausted", "fr", "Solde prépayé épuisé pour {account}",
		"Bonjour {name},\n\n"
		"Le solde prépayé du compte {account} est de {balance} : les fax sont refusés jusqu'à "
		"son rechargement. Demandez un rechargement à votre fournisseur.\n\n"
		"La réception et la lecture des fax continuent comme avant. Le solde et son grand "
		"livre sont sur {web}." },
	{ "invoice_issued", "en", "Invoice {number} for {account}",
		"Hello {name},\n\n"
		"Invoice {number} of the account {account} for {period} is attached as a PDF. "
		"Amount due: {total}, by {due_at}.\n\n"
		"The account's invoices are at {web}." },
	{ "invoice_issued", "fr", "Facture n° {number} pour {account}",
		"Bonjour {name},\n\n"
		"La facture n° {number} du compte {account} pour {period} est jointe en PDF. "
		"Montant dû : {total}, au plus tard le {due_at}.\n\n"
		"Les factures du compte sont sur {web}." },
	{ "invoice_reminder", "en", "Invoice {number} is due on {due_at}",
		"Hello {name},\n\n"
		"Invoice {number} of the account {account} for {period} is due on {due_at}; "
		"{left} of it is still unpaid. If you have paid it already, ignore this message.\n\n"
		"The account's invoices are at {web}." },
	{ "invoice_reminder", "fr", "La facture n° {number} est à payer le {due_at}",
		"Bonjour {name},\n\n"
		"La facture n° {number} du compte {account} pour {period} est à payer le {due_at} ; "
		"il en reste {left} à payer. Si vous l'avez déjà réglée, ignorez ce message.\n\n"
		"Les factures du compte sont sur {web}." },
	{ "invoice_overdue", "en", "Invoice {number} is overdue",
		"Hello {name},\n\n"
		"Invoice {number} of the account {account} for {period} was due on {due_at} and "
		"{left} of it is unpaid. {policy_en}\n\n"
		"Receiving faxes and reading them are never stopped. The account's invoices are at "
		"{web}." },
	{ "invoice_overdue", "fr", "La facture n° {number} est en retard",
		"Bonjour {name},\n\n"
		"La facture n° {number} du compte {account} pour {period} était à payer le {due_at} "
		"et il en reste {left} à payer. {policy_fr}\n\n"
		"La réception et la lecture des fax ne sont jamais arrêtées. Les factures du compte "
		"sont sur {web}." },
	{ "billing_suspended", "en", "Sending of faxes suspended for {account}",
		"Hello {name},\n\n"
		"Invoice {number} of the account {account}, due on {due_at}, is still unpaid "
		"({left}): the account can no longer send faxes, and its queued faxes wait. Sending "
		"resumes as soon as the invoice is paid.\n\n"
		"Receiving faxes and reading them go on as before. The account's invoices are at "
		"{web}." },
	{ "billing_suspended", "fr", "Envoi de fax suspendu pour {account}",
		"Bonjour {name},\n\n"
		"La facture n° {number} du compte {account}, à payer le {due_at}, est toujours "
		"impayée ({left}) : le compte ne peut plus envoyer de fax, et ses fax en file "
		"attendent. L'envoi reprend dès que la facture est payée.\n\n"
		"La réception et la lecture des fax continuent comme avant. Les factures du compte "
		"sont sur {web}." },
	{ "billing_reactivated", "en", "Sending of faxes restored for {account}",
		"Hello {name},\n\n"
		"Invoice {number} of the account {account} is paid: the account can send faxes "
		"again, and its queued faxes go out.\n\n"
		"The account's invoices are at {web}." },
	{ "billing_reactivated", "fr", "Envoi de fax rétabli pour {account}",
		"Bonjour {name},\n\n"
		"La facture n° {number} du compte {account} est payée : le compte peut de nouveau "
		"envoyer des fax, et ses fax en file partent.\n\n"
		"Les factures du compte sont sur {web}." },
	{ "safebox_invitation", "en", "{owner} shared a SafeBox with you: {subject}",
		"Hello,\n\n"
		"{owner} shared a SafeBox with you on faxvault: \"{subject}\". To open it, follow "
		"the link below; a one-time code will then be sent to this address to confirm that "
		"it is yours:\n\n"
		"{link}\n\n"
		"The SafeBox is open until {expires_at} (UTC). The link is yours alone: do not "
		"forward this message." },
	{ "safebox_invitation", "fr", "{owner} a partagé une SafeBox avec vous : {subject}",
		"Bonjour,\n\n"
		"{owner} a partagé une SafeBox avec vous sur faxvault : « {subject} ». Pour "
		"l'ouvrir, suivez le lien ci-dessous ; un code à usage unique sera ensuite envoyé à "
		"cette adresse pour confirmer qu'elle est la vôtre :\n\n"
		"{link}\n\n"
		"La SafeBox est ouverte jusqu'au {expires_at} (UTC). Le lien n'est qu'à vous : ne "
		"transférez pas ce message." },
	{ "safebox_code", "en", "Your code to open the SafeBox",
		"Hello,\n\n"
		"Your one-time code to open the SafeBox \"{subject}\" is:\n\n"
		"{token}\n\n"
		"It works once, for {minutes} minutes. If you did not ask for it, ignore this "
		"message." },
	{ "safebox_code", "fr", "Votre code pour ouvrir la SafeBox",
		"Bonjour,\n\n"
		"Votre code à usage unique pour ouvrir la SafeBox « {subject} » est :\n\n"
		"{token}\n\n"
		"Il ne sert qu'une fois, pendant {minutes} minutes. Si vous ne l'avez pas demandé, "
		"ignorez ce message." },
	{ "safebox_opened", "en", "{guest} opened your SafeBox",
		"Hello {name},\n\n"
		"{guest} confirmed their address and opened your SafeBox \"{subject}\". Every step "
		"they take is in the SafeBox's events at {web}." },
	{ "safebox_opened", "fr", "{guest} a ouvert votre SafeBox",
		"Bonjour {name},\n\n"
		"{guest} a confirmé son adresse et ouvert votre SafeBox « {subject} ». Chacune de "
		"ses actions figure dans les événements de la SafeBox sur {web}." },
};

void mail_msg_init(void)
{
	g_mime_init();
}

static const struct tpl *tpl_find(const char *kind, const char *lang)
{
	const struct tpl *en = NULL;
	for (size_t i = 0; i < sizeof tpls / sizeof tpls[0]; i++) {
		if (strcmp(tpls[i].kind, kind) != 0)
			continue;
		if (lang && strcmp(tpls[i].lang, lang) == 0)
			return &tpls[i];
		if (strcmp(tpls[i].lang, "en") == 0)
			en = &tpls[i];
	}
	return en;
}

int mail_msg_known(const char *kind)
{
	return tpl_find(kind, "en") != NULL;
}

/* A value for a placeholder: control characters become spaces, so that a
 * name cannot start lines of its own. */
static void put_value(buf_t *b, const char *s, bool html)
{
	char *v = xstrdup(s);
	for (char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (html)
		buf_put_html(b, v);
	else
		buf_puts(b, v);
	free(v);
}

struct vars {
	const char *name, *web, *token;
	const char *link; /* web + "/g/" + token: a guest's SafeBox link; for an
			     invitation or a password reset, the portal's page
			     with the token in the fragment (never sent to the
			     server): web + "/#/invitation/" or "/#/reset/" + token */
	const json_t *params;
};

/* The value of placeholder key (its name without braces, n bytes) into
 * tmp, or NULL when there is none; *token set for {token}. */
static const char *var_value(const struct vars *v, const char *key, size_t n, char *tmp,
	size_t tmplen, bool *token)
{
	*token = false;
	if (n == 4 && strncmp(key, "name", n) == 0)
		return v->name;
	if (n == 3 && strncmp(key, "web", n) == 0)
		return v->web;
	if (n == 5 && strncmp(key, "token", n) == 0) {
		*token = true;
		return v->token;
	}
	if (n == 4 && strncmp(key, "link", n) == 0)
		return v->link;
	char k[32];
	if (n == 0 || n >= sizeof k)
		return NULL;
	memcpy(k, key, n);
	k[n] = '\0';
	const json_t *p = json_object_get(v->params, k);
	if (json_is_string(p))
		return json_string_value(p);
	if (json_is_integer(p)) {
		snprintf(tmp, tmplen, "%lld", (long long)json_integer_value(p));
		return tmp;
	}
	return NULL;
}

/* Appends text with its placeholders replaced, as text or HTML. */
static void expand(buf_t *b, const char *text, const struct vars *v, bool html)
{
	for (const char *p = text; *p;) {
		if (*p == '{') {
			const char *end = strchr(p, '}');
			size_t n = end ? (size_t)(end - p + 1) : 0;
			char tmp[32];
			bool token = false;
			const char *val = n >= 2 ? var_value(v, p + 1, n - 2, tmp, sizeof tmp, &token) : NULL;
			if (val) {
				if (html && token)
					buf_puts(b, "<code style=\"font-size: 120%\">");
				bool anchor = val == v->web || val == v->link;
				if (html && !token && anchor) {
					buf_puts(b, "<a href=\"");
					put_value(b, val, true);
					buf_puts(b, "\">");
				}
				put_value(b, val, html);
				if (html && !token && anchor)
					buf_puts(b, "</a>");
				if (html && token)
					buf_puts(b, "</code>");
				p += n;
				continue;
			}
		}
		if (html && p[0] == '\n' && p[1] == '\n') {
			buf_puts(b, "</p>\n<p>");
			p += 2;
			continue;
		}
		if (html && strchr("<>&\"'", *p))
			buf_put_html(b, (char[]){ *p, 0 });
		else
			buf_append(b, p, 1);
		p++;
	}
}

/* The partner whose customers the message goes to (params brand_name,
 * brand_support: see mail_queue_tx), or NULL. */
static const char *brand_of(const json_t *params)
{
	const char *s = json_string_value(json_object_get(params, "brand_name"));
	return s && *s ? s : NULL;
}

/* The body of t as text or HTML; under a partner's white label, with its
 * support line and its name as the signature. */
static char *render(const struct tpl *t, const struct vars *v, bool html)
{
	buf_t b;
	buf_init(&b, 1 << 20);
	if (html)
		buf_puts(&b, "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif\">\n<p>");
	expand(&b, t->body, v, html);
	const char *brand = brand_of(v->params);
	if (brand) {
		const char *sup = json_string_value(json_object_get(v->params, "brand_support"));
		bool fr = strcmp(t->lang, "fr") == 0;
		expand(&b, sup && *sup
			? (fr ? "\n\nVotre service vous est fourni par {brand_name}. Pour toute aide, "
				"contactez-le : {brand_support}."
			      : "\n\nYour service is provided by {brand_name}. For help, contact them: "
				"{brand_support}.")
			: (fr ? "\n\nVotre service vous est fourni par {brand_name}."
			      : "\n\nYour service is provided by {brand_name}."), v, html);
	}
	if (html) {
		buf_puts(&b, "</p>\n</body></html>\n");
	} else {
		buf_puts(&b, "\n\n-- \n");
		put_value(&b, brand ? brand : "faxvault", false);
		buf_puts(&b, "\n");
	}
	return buf_steal(&b);
}

static GMimePart *text_part(const char *subtype, const char *text)
{
	GMimePart *part = g_mime_part_new_with_type("text", subtype);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, dw);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(dw);
	g_object_unref(s);
	return part;
}

char *mail_msg_build(const char *kind, const char *lang, const char *id, const char *to,
	const json_t *params, const char *token, const mail_site_t *site,
	const mail_attachment_t *att, size_t *len, char *err, size_t errlen)
{
	const struct tpl *t = tpl_find(kind, lang);
	if (!t) {
		snprintf(err, errlen, "no template for %s", kind);
		return NULL;
	}
	const char *name = json_string_value(json_object_get(params, "name"));
	const char *path = strcmp(kind, "invitation") == 0 ? "/#/invitation/"
		: strcmp(kind, "password_reset") == 0 ? "/#/reset/"
		: strncmp(kind, "status_", 7) == 0 ? "/#/unsubscribe/" : "/g/";
	size_t ll = strlen(site->web_url) + (token ? strlen(token) : 0) + strlen(path) + 1;
	char *link = xmalloc(ll);
	size_t wl = strlen(site->web_url);
	while (wl > 0 && site->web_url[wl - 1] == '/')
		wl--;
	snprintf(link, ll, "%.*s%s%s", (int)wl, site->web_url, path, token ? token : "");
	struct vars v = {
		.name = name && *name ? name : to,
		.web = site->web_url,
		.token = token ? token : "",
		.link = link,
		.params = params,
	};
	const char *at = strrchr(site->from, '@');
	char msgid[256];
	snprintf(msgid, sizeof msgid, "%s@%s", id, at ? at + 1 : "faxvault.invalid");

	GMimeMessage *m = g_mime_message_new(TRUE);
	/* The address stays the service's (its SPF and DKIM); the name is the
	 * partner's under a white label. */
	const char *brand = brand_of(params);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, brand ? brand : "faxvault", site->from);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, name && *name ? name : NULL, to);
	buf_t subj;
	buf_init(&subj, 1024);
	expand(&subj, t->subject, &v, false);
	g_mime_message_set_subject(m, subj.data ? subj.data : "", "utf-8");
	buf_free(&subj);
	g_mime_message_set_message_id(m, msgid);
	GDateTime *now = g_date_time_new_now_utc();
	g_mime_message_set_date(m, now);
	g_date_time_unref(now);
	g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "Content-Language", t->lang, NULL);

	char *text = render(t, &v, false), *html = render(t, &v, true);
	GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
	GMimePart *tp = text_part("plain", text), *hp = text_part("html", html);
	g_mime_multipart_add(alt, GMIME_OBJECT(tp));
	g_mime_multipart_add(alt, GMIME_OBJECT(hp));
	if (att) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
		bool png = att->type && strcmp(att->type, "image/png") == 0;
		GMimePart *ap = png ? g_mime_part_new_with_type("image", "png") :
			g_mime_part_new_with_type("application", "pdf");
		GMimeStream *s = g_mime_stream_mem_new_with_buffer((const char *)att->data, att->len);
		GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(s,
			GMIME_CONTENT_ENCODING_DEFAULT);
		g_mime_part_set_content(ap, dw);
		g_mime_part_set_content_encoding(ap, GMIME_CONTENT_ENCODING_BASE64);
		g_mime_part_set_filename(ap, att->filename);
		if (png) /* shown with the message by mail readers */
			g_mime_object_set_disposition(GMIME_OBJECT(ap), GMIME_DISPOSITION_INLINE);
		g_object_unref(dw);
		g_object_unref(s);
		g_mime_multipart_add(mixed, GMIME_OBJECT(alt));
		g_mime_multipart_add(mixed, GMIME_OBJECT(ap));
		g_mime_message_set_mime_part(m, GMIME_OBJECT(mixed));
		g_object_unref(ap);
		g_object_unref(mixed);
	} else {
		g_mime_message_set_mime_part(m, GMIME_OBJECT(alt));
	}
	g_object_unref(tp);
	g_object_unref(hp);
	g_object_unref(alt);

	GMimeFormatOptions *fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	char *s = g_mime_object_to_string(GMIME_OBJECT(m), fo);
	g_mime_format_options_free(fo);
	g_object_unref(m);
	/* The token was in these: wipe them. */
	sodium_memzero(text, strlen(text));
	sodium_memzero(html, strlen(html));
	sodium_memzero(link, strlen(link));
	free(text);
	free(html);
	free(link);
	if (!s) {
		snprintf(err, errlen, "the message could not be written");
		return NULL;
	}
	size_t n = strlen(s);
	char *out = xmalloc(n + 1);
	memcpy(out, s, n + 1);
	sodium_memzero(s, n);
	g_free(s);
	*len = n;
	return out;
}
