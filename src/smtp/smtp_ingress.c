/* From a received mail to a fax (see smtp_ingress.h). */
#include "smtp_ingress.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fax/fax.h"
#include "i18n.h"
#include "log.h"
#include "notify/notify.h"
#include "ops.h"
#include "smtp_auth.h"
#include "smtp_mime.h"


static const struct {
	const char *kind;
	int code;
	const char *status;
} kinds[] = {
	{ "unavailable", 451, "4.3.0" },
	{ "internal", 451, "4.3.0" },
	{ "rate-limited", 450, "4.7.1" },
	{ "quota-exceeded", 552, "5.2.2" },
	{ "insufficient-credit", 554, "5.7.0" },
	{ "malware-detected", 554, "5.7.1" },
	{ "account-suspended", 554, "5.7.1" },
	{ "no-route", 550, "5.1.2" },
	{ "destination-not-allowed", 550, "5.1.2" },
	{ "payload-too-large", 552, "5.3.4" },
};

void smtp_ingress_mime_refusal(enum smtp_mime_fail f, smtp_reply_t *r)
{
	switch (f) {
	case SMTP_MIME_NO_FROM:
		smtp_reply_tr(r, 550, "5.7.1", I18N("The From: header must name exactly one address"));
		break;
	case SMTP_MIME_TOO_DEEP:
		smtp_reply_tr(r, 554, "5.6.0", I18N("The MIME structure is too complex to fax"));
		break;
	case SMTP_MIME_TOO_MANY:
		smtp_reply_tr(r, 554, "5.6.0", I18N("Too many attachments: at most 20 per fax"));
		break;
	default:
		smtp_reply_tr(r, 554, "5.6.0", I18N("The message could not be read as MIME"));
		break;
	}
}

int smtp_ingress_subject_rcpts(const smtp_envelope_t *env, const char *subject,
	smtp_envelope_t *out, smtp_reply_t *r)
{
	*out = *env;
	out->nrcpt = 0;
	bool form = false;
	char nums[SMTP_RCPTS_MAX][SMTP_NUMBER_MAX + 1];
	for (int i = 0; i < env->nrcpt; i++) {
		int n = 1;
		if (env->rcpt[i][0]) {
			memcpy(nums[0], env->rcpt[i], sizeof nums[0]);
		} else {
			form = true;
			n = smtp_subject_numbers(subject, nums, SMTP_RCPTS_MAX);
		}
		for (int k = 0; k < n; k++) {
			bool dup = false;
			for (int j = 0; j < out->nrcpt && !dup; j++)
				dup = strcmp(out->rcpt[j], nums[k]) == 0;
			if (!dup && out->nrcpt < SMTP_RCPTS_MAX)
				memcpy(out->rcpt[out->nrcpt++], nums[k], sizeof nums[k]);
		}
	}
	if (form && out->nrcpt == 0) {
		smtp_reply_tr(r, 553, "5.1.3", I18N("Mail to fax@ needs the fax number in the "
			"Subject, in E.164 form: +15551234567"));
		return -1;
	}
	return 0;
}

static atomic_uint_fast64_t n_bounces[SMTP_BOUNCE_OUTCOMES];

int smtp_ingress_bounce_read(const uint8_t *msg, size_t len, smtp_dsn_t *dsn, smtp_reply_t *r)
{
	if (len > SMTP_DSN_MAX_BYTES) {
		i18n_msg_t m;
		i18n_msg_set(&m, "Message larger than %zu bytes", (size_t)SMTP_DSN_MAX_BYTES);
		smtp_reply_pair(r, 552, "5.3.4", m.en, m.fr);
		return -1;
	}
	return smtp_dsn_parse(msg, len, dsn) == 0;
}

void smtp_ingress_bounce_counts(uint64_t out[SMTP_BOUNCE_OUTCOMES])
{
	for (int i = 0; i < SMTP_BOUNCE_OUTCOMES; i++)
		out[i] = atomic_load(&n_bounces[i]);
}

void smtp_ingress_bounce(void *arg, const char *session_id, const char *peer,
	const char *mail_id, const smtp_dsn_t *dsn, smtp_reply_t *r)
{
	smtp_ingress_t *in = arg;
	enum mail_bounce_outcome out = MAIL_BOUNCE_IGNORED;
	if (dsn) {
		mail_bounce_t b = { .mail_id = mail_id, .action = dsn->action,
			.status = dsn->status, .diagnostic = dsn->diagnostic, .peer = peer };
		out = dom_mail_bounce(in->st, &b);
	}
	log_event(LOG_INFO, "smtp.bounce", "session=%s peer=%s dsn=%s action=%s status=%s"
		" outcome=%d", session_id, peer, dsn ? "yes" : "no", dsn ? dsn->action : "-",
		dsn ? dsn->status : "-", (int)out);
	if (out == MAIL_BOUNCE_ERROR) {
		r->code = 451;
		snprintf(r->text, sizeof r->text, "4.3.0 Temporary failure, try again later");
		return;
	}
	atomic_fetch_add(&n_bounces[out == MAIL_BOUNCE_FAILED ? 0 : out == MAIL_BOUNCE_DELAYED ? 1
		: out == MAIL_BOUNCE_UNKNOWN ? 2 : 3], 1);
	/* The same reply whether the id exists or not: no oracle. */
	r->code = 250;
	snprintf(r->text, sizeof r->text, "2.0.0 Ok");
}

void smtp_ingress_deliver(void *arg, const smtp_envelope_t *env, const uint8_t *msg, size_t len,
	smtp_reply_t *r)
{
	if (env->bounce_id[0]) {
		smtp_dsn_t dsn;
		int is_dsn = smtp_ingress_bounce_read(msg, len, &dsn, r);
		if (is_dsn >= 0)
			smtp_ingress_bounce(arg, env->session_id, env->peer, env->bounce_id,
				is_dsn ? &dsn : NULL, r);
		return;
	}
	smtp_mail_t mail;
	enum smtp_mime_fail f = smtp_mime_parse(msg, len, &mail);
	if (f != SMTP_MIME_OK) {
		log_event(LOG_INFO, "smtp.refused", "session=%s peer=%s why=mime_%d", env->session_id,
			env->peer, (int)f);
		smtp_ingress_mime_refusal(f, r);
		return;
	}
	smtp_envelope_t to;
	if (smtp_ingress_subject_rcpts(env, mail.subject, &to, r) == 0)
		smtp_ingress_submit(arg, &to, &mail, msg, len, r);
	smtp_mail_free(&mail);
}

/* One mail through the runner's steps: its limit (the same mail again, the
 * sender's hourly rate), its gate (the sender's checks and page quota),
 * then the submission as the member its address names. */
struct mail_call {
	const smtp_ingress_t *in;
	const faxmail_msg_t *m;
	faxmail_sender_t sender;
	json_t *answer; /* the first answer of a mail handed over again */
};

static int mail_limit(void *arg, op_run_t *r)
{
	struct mail_call *mc = arg;
	return dom_faxmail_limit(mc->in->st, mc->in->cfg, mc->m, &mc->answer, &r->e);
}

static int mail_gate(void *arg, op_run_t *r)
{
	struct mail_call *mc = arg;
	return dom_faxmail_gate(mc->in->st, mc->in->cfg, mc->m, &mc->sender, &r->e);
}

static int mail_run(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	struct mail_call *mc = arg;
	return dom_faxmail_send(c->store, c->cfg, mc->m, &mc->sender, out, e);
}

void smtp_ingress_submit(void *arg, const smtp_envelope_t *env, const smtp_mail_t *mail,
	const uint8_t *msg, size_t len, smtp_reply_t *r)
{
	const smtp_ingress_t *in = arg;
	smtp_auth_t auth;
	const char *from_domain = smtp_auth_domain_of(mail->from);
	smtp_auth_spf(env->peer, env->helo, env->mail_from, from_domain, &auth);
	smtp_auth_dkim(msg, len, from_domain, &auth);
	faxmail_msg_t m = { .session_id = env->session_id, .peer = env->peer, .from = mail->from,
		.subject = mail->subject, .body = mail->body, .spf = smtp_spf_name(auth.spf),
		.spf_domain = auth.spf_domain, .spf_aligned = auth.spf_aligned,
		.dkim = smtp_dkim_name(auth.dkim), .dkim_domain = auth.dkim_domain };
	for (int i = 0; i < env->nrcpt && i < FAX_TO_MAX; i++)
		m.to[m.nto++] = env->rcpt[i];
	/* An MTA that never read our reply hands the same bytes over again. */
	char digest[SEC_SHA256_HEX];
	faxmail_digest(env->mail_from, m.to, m.nto, msg, len, digest);
	m.digest = digest;
	for (int i = 0; i < mail->nparts; i++)
		m.files[m.nfiles++] = (fax_file_t){ .data = mail->parts[i].data,
			.len = mail->parts[i].len };
	/* Through the operation runner (ops.h), as system:smtp: the mail's
	 * sender is no principal until its checks pass. Its limit step is the
	 * same mail again and the sender's hourly rate, its gate the sender's
	 * address and page quota (then authz on the member it names, in the
	 * submission); each commits its own transactions (OP_OWN_TX). */
	static const op_spec_t spec = { .action = "fax_by_email.submit", .pattern = "smtp",
		.flags = OP_PUBLIC | OP_OWN_TX };
	op_run_t run;
	json_t *out = NULL;
	struct mail_call mc = { .in = in, .m = &m };
	int rc = op_begin(&run, in->st, in->cfg, &spec, env->peer, env->session_id, "en", true);
	if (rc == 0) {
		op_as_actor(&run, "system:smtp");
		int lim = op_limit_by(&run, mail_limit, &mc);
		if (lim > 0)
			out = mc.answer; /* the same mail again: its first answer */
		else
			rc = lim == 0 && op_gate_by(&run, mail_gate, &mc) == 0 &&
				op_call(&run, mail_run, &mc, &out) == 0 && op_commit(&run) == 0 ? 0 : -1;
	}
	if (rc != 0)
		op_fail(&run, NULL);
	op_end(&run);
	dom_err_t e = run.e;
	if (rc == 0) {
		const char *id = json_string_value(json_object_get(json_array_get(
			json_object_get(out, "items"), 0), "id"));
		char text[120];
		snprintf(text, sizeof text, "Queued as %s", id ? id : "a fax");
		smtp_reply_pair(r, 250, "2.0.0", text, NULL);
		if (!json_is_true(json_object_get(out, "duplicate")))
			log_event(LOG_INFO, "smtp.faxed", "session=%s peer=%s faxes=%zu first=%s spf=%s "
				"dkim=%s", env->session_id, env->peer,
				json_array_size(json_object_get(out, "items")), id ? id : "-", m.spf,
				m.dkim);
		json_decref(out);
		if (in->test_verdict_delay_ms > 0)
			usleep((useconds_t)in->test_verdict_delay_ms * 1000);
	} else if (strcmp(e.kind, "mail-refused") == 0) {
		/* e.detail (the reason) stays in the log and the account's audit. */
		log_event(LOG_INFO, "smtp.refused", "session=%s peer=%s why=%s spf=%s dkim=%s",
			env->session_id, env->peer, e.detail, m.spf, m.dkim);
		/* The reply follows from the SPF and DKIM results alone. */
		int code;
		const char *status, *text;
		smtp_auth_reply(&auth, &code, &status, &text);
		smtp_reply_tr(r, code, status, text);
	} else {
		log_event(LOG_INFO, "smtp.refused", "session=%s peer=%s why=%s", env->session_id,
			env->peer, e.kind);
		int code = 554;
		const char *status = "5.6.0";
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
			if (strcmp(kinds[i].kind, e.kind) == 0) {
				code = kinds[i].code;
				status = kinds[i].status;
			}
		/* The sender passed the checks: the reason, in both languages. */
		smtp_reply_pair(r, code, status, e.detail, e.detail_fr);
	}
}
