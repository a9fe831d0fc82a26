/* The status board: components, incidents, maintenance windows, and their
 * public HTML, JSON and Atom forms (see status.h). */
#include "operations.h"
#include "operations_int.h"

#include <string.h>

#include "buf.h"
#include "dom_util.h"
#include "sec.h"
#include "store_numbers.h"
#include "store_status.h"
#include "timeutil.h"
#include "xalloc.h"

/* ---- vocabulary (EN/FR) ---- */

struct label {
	const char *key, *en, *fr;
};

/* Component states, best first: the order is their severity. */
static const struct label states[] = {
	{ "operational", "Operational", "Opérationnel" },
	{ "maintenance", "Under maintenance", "En maintenance" },
	{ "degraded", "Degraded performance", "Performances dégradées" },
	{ "partial_outage", "Partial outage", "Panne partielle" },
	{ "major_outage", "Major outage", "Panne majeure" },
	{ NULL, NULL, NULL },
};

static const struct label statuses[] = {
	{ "investigating", "Investigating", "Analyse en cours" },
	{ "identified", "Cause identified", "Cause identifiée" },
	{ "monitoring", "Monitoring", "Sous surveillance" },
	{ "resolved", "Resolved", "Résolu" },
	{ "scheduled", "Scheduled", "Planifiée" },
	{ "in_progress", "In progress", "En cours" },
	{ "completed", "Completed", "Terminée" },
	{ NULL, NULL, NULL },
};

/* The fixed components; each trunk adds trunk:<id>. */
static const struct label components[] = {
	{ "api", "API", "API" },
	{ "portal", "Web portal", "Portail web" },
	{ "sending", "Sending faxes", "Envoi de fax" },
	{ "receiving", "Receiving faxes", "Réception de fax" },
	{ "mail", "E-mail notices", "Notifications par e-mail" },
	{ NULL, NULL, NULL },
};

/* Texts of the page and the feed. */
enum { T_TITLE, T_COMPONENTS, T_INCIDENTS, T_MAINTENANCE, T_NONE, T_NO_MAINT, T_UPDATED,
	T_WINDOW, T_TO, T_TRUNK, T_AFFECTS, T_FEED, T_COUNT };
static const char *const texts[T_COUNT][2] = {
	[T_TITLE] = { "Service status", "État du service" },
	[T_COMPONENTS] = { "Components", "Composants" },
	[T_INCIDENTS] = { "Incidents", "Incidents" },
	[T_MAINTENANCE] = { "Scheduled maintenance", "Maintenances planifiées" },
	[T_NONE] = { "No incident in the last 7 days.", "Aucun incident ces 7 derniers jours." },
	[T_NO_MAINT] = { "No maintenance is scheduled.", "Aucune maintenance n'est planifiée." },
	[T_UPDATED] = { "Updated", "Mis à jour" },
	[T_WINDOW] = { "Window", "Fenêtre" },
	[T_TO] = { "to", "au" },
	[T_TRUNK] = { "Carrier link", "Liaison opérateur" },
	[T_AFFECTS] = { "Affects", "Concerne" },
	[T_FEED] = { "Atom feed", "Flux Atom" },
};

static bool is_fr(const dom_ctx_t *c)
{
	return c->lang && strcmp(c->lang, "fr") == 0;
}

static const char *text(const dom_ctx_t *c, int t)
{
	return texts[t][is_fr(c) ? 1 : 0];
}

static int label_index(const struct label *t, const char *key)
{
	for (int i = 0; key && t[i].key; i++)
		if (strcmp(t[i].key, key) == 0)
			return i;
	return -1;
}

static const char *label_of(const dom_ctx_t *c, const struct label *t, const char *key)
{
	int i = label_index(t, key);
	return i < 0 ? key : is_fr(c) ? t[i].fr : t[i].en;
}

static const char *worst(const char *a, const char *b)
{
	return label_index(states, b) > label_index(states, a) ? b : a;
}

static bool is_maintenance(const json_t *inc)
{
	return strcmp(rec_str(inc, "kind"), "maintenance") == 0;
}

static int64_t rec_int(const json_t *rec, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(rec, key));
}

/* A maintenance window in progress at now (and not completed). */
static bool window_active(const json_t *inc, int64_t now)
{
	return is_maintenance(inc) && json_is_null(json_object_get(inc, "closed_at")) &&
		rec_int(inc, "starts_at") <= now && now < rec_int(inc, "ends_at");
}

/* ---- components ---- */

/* Every component {id, name, state (as set by an operator)} (new ref). */
static json_t *component_list(dom_ctx_t *c)
{
	json_t *list = json_array();
	for (int i = 0; components[i].key; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", components[i].key, "name",
			is_fr(c) ? components[i].fr : components[i].en, "state", "operational"));
	json_t *trunks = store_trunk_list(c->tx);
	size_t i;
	json_t *t;
	json_array_foreach(trunks, i, t) {
		if (strcmp(rec_str(t, "status"), "active") != 0)
			continue;
		char id[160], name[320];
		snprintf(id, sizeof id, "trunk:%s", rec_str(t, "id"));
		snprintf(name, sizeof name, "%s %s", text(c, T_TRUNK), rec_str(t, "name"));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "state",
			"operational"));
	}
	json_decref(trunks);
	/* The automatic states first, then the operators' pins over them. */
	for (int pass = 0; pass < 2; pass++) {
		json_t *set = pass ? store_status_components(c->tx) : store_status_auto_all(c->tx);
		json_array_foreach(set, i, t) {
			size_t k;
			json_t *comp;
			json_array_foreach(list, k, comp)
				if (strcmp(rec_str(comp, "id"), rec_str(t, "id")) == 0)
					json_object_set(comp, "state", json_object_get(t, "state"));
		}
		json_decref(set);
	}
	return list;
}

json_t *status_component_list(dom_ctx_t *c)
{
	return component_list(c);
}

const char *status_label(bool fr, const char *table, const char *key)
{
	const struct label *t = strcmp(table, "state") == 0 ? states : statuses;
	int i = label_index(t, key);
	return i < 0 ? key : fr ? t[i].fr : t[i].en;
}

bool status_state_known(const char *state)
{
	return label_index(states, state) >= 0;
}

json_t *status_component_find(json_t *list, const char *id)
{
	size_t i;
	json_t *comp;
	json_array_foreach(list, i, comp)
		if (strcmp(rec_str(comp, "id"), id) == 0)
			return comp;
	return NULL;
}

/* The incident's components as a JSON array (new ref; [] when unreadable). */
static json_t *incident_components(const json_t *inc)
{
	json_t *a = json_loads(rec_str(inc, "components"), 0, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		a = json_array();
	}
	return a;
}

/* Raises the states of list by the incidents and windows of board at now. */
static void apply_incidents(json_t *list, const json_t *board, int64_t now)
{
	size_t i;
	json_t *inc;
	json_array_foreach(board, i, inc) {
		const char *impact;
		if (window_active(inc, now))
			impact = "maintenance";
		else if (!is_maintenance(inc) && json_is_null(json_object_get(inc, "closed_at")))
			impact = rec_str(inc, "impact");
		else
			continue;
		json_t *ids = incident_components(inc);
		size_t k;
		json_t *id;
		json_array_foreach(ids, k, id) {
			json_t *comp = status_component_find(list, json_string_value(id));
			if (comp)
				json_object_set_new(comp, "state", json_string(worst(rec_str(comp, "state"),
					impact)));
		}
		json_decref(ids);
	}
}

/* ---- records to JSON ---- */

static json_t *update_json(const dom_ctx_t *c, const json_t *u, bool public)
{
	if (public)
		return json_pack("{s:s, s:s, s:o}", "status", rec_str(u, "status"), "message",
			rec_str(u, is_fr(c) ? "body_fr" : "body_en"), "created_at",
			time_json(json_object_get(u, "created_at")));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", rec_str(u, "id"), "status",
		rec_str(u, "status"), "message_en", rec_str(u, "body_en"), "message_fr",
		rec_str(u, "body_fr"), "created_by", rec_str(u, "created_by"), "created_at",
		time_json(json_object_get(u, "created_at")));
}

/* An incident record with its updates, for operators (public false) or the
 * board (public: titles and messages in c->lang, no staff ids). */
static json_t *incident_json(dom_ctx_t *c, const json_t *inc, bool public, int64_t now)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s}", "id", rec_str(inc, "id"), "kind",
		rec_str(inc, "kind"), "impact", rec_str(inc, "impact"), "components",
		incident_components(inc), "status", rec_str(inc, "status"));
	if (public) {
		json_object_set_new(o, "title", json_string(rec_str(inc, is_fr(c) ? "title_fr" : "title_en")));
		json_object_set_new(o, "active", json_boolean(window_active(inc, now) ||
			(!is_maintenance(inc) && json_is_null(json_object_get(inc, "closed_at")))));
	} else {
		json_object_set_new(o, "title_en", json_string(rec_str(inc, "title_en")));
		json_object_set_new(o, "title_fr", json_string(rec_str(inc, "title_fr")));
		json_object_set_new(o, "created_by", json_string(rec_str(inc, "created_by")));
	}
	static const char *const times[] = { "starts_at", "ends_at", "created_at", "updated_at",
		"closed_at" };
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		const json_t *v = json_object_get(inc, times[i]);
		json_object_set_new(o, times[i], json_is_integer(v) ? time_json(v) : json_null());
	}
	json_t *ups = store_status_updates(c->tx, rec_str(inc, "id"));
	json_t *arr = json_array();
	size_t i;
	json_t *u;
	json_array_foreach(ups, i, u)
		json_array_append_new(arr, update_json(c, u, public));
	json_decref(ups);
	json_object_set_new(o, "updates", arr);
	return o;
}

/* ---- the public board ---- */

/* The board's parts: components with their states, the incidents and the
 * windows to show (records), at now. */
struct board {
	json_t *components, *records;
	const char *overall;
	int64_t now, updated;
};

static int board_load(dom_ctx_t *c, struct board *b, dom_err_t *e)
{
	b->now = time_now_ms();
	b->components = component_list(c);
	b->records = store_status_incident_board(c->tx, b->now - (int64_t)STATUS_BOARD_DAYS * 86400000,
		100);
	if (!b->records) {
		json_decref(b->components);
		return dom_fail(e, "internal", "", "the status board could not be read");
	}
	apply_incidents(b->components, b->records, b->now);
	b->overall = "operational";
	b->updated = 0;
	size_t i;
	json_t *v;
	json_array_foreach(b->components, i, v)
		b->overall = worst(b->overall, rec_str(v, "state"));
	json_array_foreach(b->records, i, v)
		if (rec_int(v, "updated_at") > b->updated)
			b->updated = rec_int(v, "updated_at");
	json_t *set = store_status_components(c->tx);
	json_array_foreach(set, i, v)
		if (rec_int(v, "updated_at") > b->updated)
			b->updated = rec_int(v, "updated_at");
	json_decref(set);
	return 0;
}

static void board_free(struct board *b)
{
	json_decref(b->components);
	json_decref(b->records);
	/* The strings of overall are static or borrowed from components: cleared. */
	b->overall = NULL;
}

int dom_status_board(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	struct board b;
	if (board_load(c, &b, e) != 0)
		return -1;
	json_t *incidents = json_array(), *maint = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(b.records, i, v)
		json_array_append_new(is_maintenance(v) ? maint : incidents, incident_json(c, v, true, b.now));
	json_t *upd = json_integer(b.updated ? b.updated : b.now);
	*out = json_pack("{s:o, s:s, s:O, s:o, s:o}", "updated_at", time_json(upd), "overall", b.overall,
		"components", b.components, "incidents", incidents, "maintenance", maint);
	json_decref(upd);
	board_free(&b);
	return 0;
}

static void put_time(buf_t *o, int64_t ms)
{
	char t[40];
	buf_puts(o, time_format_rfc3339(ms, t, sizeof t));
}

/* The page's output ceiling: the board holds at most 100 records. */
#define STATUS_OUT_MAX (8u << 20)

static void html_incident(dom_ctx_t *c, buf_t *o, const json_t *inc)
{
	buf_puts(o, "<article class=\"incident\">\n<h3>");
	buf_put_html(o, rec_str(inc, is_fr(c) ? "title_fr" : "title_en"));
	buf_puts(o, "</h3>\n<p>");
	buf_put_html(o, label_of(c, statuses, rec_str(inc, "status")));
	buf_puts(o, " · ");
	buf_put_html(o, label_of(c, states, rec_str(inc, "impact")));
	if (is_maintenance(inc)) {
		buf_printf(o, " · %s ", text(c, T_WINDOW));
		put_time(o, rec_int(inc, "starts_at"));
		buf_printf(o, " %s ", text(c, T_TO));
		put_time(o, rec_int(inc, "ends_at"));
	}
	buf_puts(o, "</p>\n<p>");
	buf_printf(o, "%s: ", text(c, T_AFFECTS));
	json_t *ids = incident_components(inc);
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		if (i)
			buf_puts(o, ", ");
		buf_put_html(o, label_of(c, components, json_string_value(id)));
	}
	json_decref(ids);
	buf_puts(o, "</p>\n<ol class=\"timeline\">\n");
	json_t *ups = store_status_updates(c->tx, rec_str(inc, "id"));
	json_t *u;
	json_array_foreach(ups, i, u) {
		buf_puts(o, "<li><time>");
		put_time(o, rec_int(u, "created_at"));
		buf_puts(o, "</time> <strong>");
		buf_put_html(o, label_of(c, statuses, rec_str(u, "status")));
		buf_puts(o, "</strong> ");
		buf_put_html(o, rec_str(u, is_fr(c) ? "body_fr" : "body_en"));
		buf_puts(o, "</li>\n");
	}
	json_decref(ups);
	buf_puts(o, "</ol>\n</article>\n");
}

int dom_status_html(dom_ctx_t *c, unsigned char **data, size_t *len, dom_err_t *e)
{
	struct board b;
	if (board_load(c, &b, e) != 0)
		return -1;
	buf_t o;
	buf_init(&o, STATUS_OUT_MAX);
	buf_printf(&o, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>%s</title>\n"
		"<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/status.atom\">\n"
		"</head>\n<body>\n<main>\n<h1>%s</h1>\n<p id=\"overall\" data-state=\"%s\">%s</p>\n",
		is_fr(c) ? "fr" : "en", text(c, T_TITLE), text(c, T_TITLE), b.overall,
		label_of(c, states, b.overall));
	buf_printf(&o, "<p>%s ", text(c, T_UPDATED));
	put_time(&o, b.updated ? b.updated : b.now);
	buf_printf(&o, " · <a href=\"/status.atom\">%s</a> · <a href=\"/status.json\">JSON</a></p>\n",
		text(c, T_FEED));
	buf_printf(&o, "<h2>%s</h2>\n<table>\n", text(c, T_COMPONENTS));
	size_t i;
	json_t *v;
	json_array_foreach(b.components, i, v) {
		buf_puts(&o, "<tr><th scope=\"row\">");
		buf_put_html(&o, rec_str(v, "name"));
		buf_printf(&o, "</th><td data-component=\"");
		buf_put_html(&o, rec_str(v, "id"));
		buf_printf(&o, "\" data-state=\"%s\">%s</td></tr>\n", rec_str(v, "state"),
			label_of(c, states, rec_str(v, "state")));
	}
	buf_puts(&o, "</table>\n");
	for (int part = 0; part < 2; part++) {
		bool maint = part == 1;
		buf_printf(&o, "<h2>%s</h2>\n", text(c, maint ? T_MAINTENANCE : T_INCIDENTS));
		int n = 0;
		json_array_foreach(b.records, i, v)
			if (is_maintenance(v) == maint) {
				html_incident(c, &o, v);
				n++;
			}
		if (!n)
			buf_printf(&o, "<p>%s</p>\n", text(c, maint ? T_NO_MAINT : T_NONE));
	}
	buf_puts(&o, "</main>\n</body>\n</html>\n");
	board_free(&b);
	*len = o.len;
	*data = (unsigned char *)buf_steal(&o);
	return 0;
}

int dom_status_atom(dom_ctx_t *c, unsigned char **data, size_t *len, dom_err_t *e)
{
	struct board b;
	if (board_load(c, &b, e) != 0)
		return -1;
	char *feed = store_status_feed_id(c->tx);
	buf_t o;
	buf_init(&o, STATUS_OUT_MAX);
	buf_printf(&o, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"%s\">\n"
		"<id>urn:faxvault:status:%s</id>\n<title>%s</title>\n<updated>",
		is_fr(c) ? "fr" : "en", feed ? feed : "", text(c, T_TITLE));
	put_time(&o, b.updated ? b.updated : b.now);
	buf_puts(&o, "</updated>\n<author><name>");
	buf_put_html(&o, text(c, T_TITLE));
	buf_puts(&o, "</name></author>\n<link rel=\"alternate\" type=\"text/html\" href=\"/status\"/>\n"
		"<link rel=\"self\" type=\"application/atom+xml\" href=\"/status.atom\"/>\n");
	size_t i;
	json_t *v;
	json_array_foreach(b.records, i, v) {
		buf_printf(&o, "<entry>\n<id>urn:faxvault:status:%s:%s</id>\n<title>", feed ? feed : "",
			rec_str(v, "id"));
		buf_put_html(&o, rec_str(v, is_fr(c) ? "title_fr" : "title_en"));
		buf_puts(&o, "</title>\n<published>");
		put_time(&o, rec_int(v, "created_at"));
		buf_puts(&o, "</published>\n<updated>");
		put_time(&o, rec_int(v, "updated_at"));
		buf_printf(&o, "</updated>\n<category term=\"%s\"/>\n"
			"<link rel=\"alternate\" type=\"text/html\" href=\"/status\"/>\n<content type=\"text\">",
			rec_str(v, "kind"));
		json_t *ups = store_status_updates(c->tx, rec_str(v, "id"));
		size_t k;
		json_t *u;
		json_array_foreach(ups, k, u) {
			put_time(&o, rec_int(u, "created_at"));
			buf_puts(&o, " ");
			buf_put_html(&o, label_of(c, statuses, rec_str(u, "status")));
			buf_puts(&o, ": ");
			buf_put_html(&o, rec_str(u, is_fr(c) ? "body_fr" : "body_en"));
			buf_puts(&o, "\n");
		}
		json_decref(ups);
		buf_puts(&o, "</content>\n</entry>\n");
	}
	buf_puts(&o, "</feed>\n");
	free(feed);
	board_free(&b);
	*len = o.len;
	*data = (unsigned char *)buf_steal(&o);
	return 0;
}

/* ---- operators ---- */

/* Whether status s may be given to an incident of that kind. */
static bool status_fits(const char *s, bool maint)
{
	static const char *const inc[] = { "investigating", "identified", "monitoring", "resolved", NULL };
	static const char *const mnt[] = { "scheduled", "in_progress", "completed", NULL };
	for (const char *const *p = maint ? mnt : inc; *p; p++)
		if (strcmp(*p, s) == 0)
			return true;
	return false;
}

static bool closing(const char *s)
{
	return strcmp(s, "resolved") == 0 || strcmp(s, "completed") == 0;
}

/* Checks that every id of arr is a component; 0 / -1. */
static int check_components(dom_ctx_t *c, const json_t *arr, dom_err_t *e)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 64)
		return dom_fail(e, "validation-failed", "components",
			"\"components\" must be a list of 1 to 64 component ids (see GET /status.json)");
	json_t *list = component_list(c);
	size_t i;
	json_t *id;
	int rc = 0;
	json_array_foreach(arr, i, id)
		if (!json_is_string(id) || !status_component_find(list, json_string_value(id))) {
			rc = dom_fail(e, "validation-failed", "components", "no such component: %.80s",
				json_is_string(id) ? json_string_value(id) : "(not a string)");
			break;
		}
	json_decref(list);
	return rc;
}

static int add_update(dom_ctx_t *c, const char *incident_id, const char *status, const char *en,
	const char *fr, int64_t now)
{
	char *uid = sec_new_id("stu");
	json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", uid, "incident_id",
		incident_id, "status", status, "body_en", en, "body_fr", fr, "created_by", dom_actor_id(c),
		"created_at", (json_int_t)now);
	int rc = store_status_update_insert(c->tx, u);
	json_decref(u);
	free(uid);
	return rc;
}

int dom_status_incident_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "kind", "title_en", "title_fr", "impact", "components",
		"status", "message_en", "message_fr", "starts_at", "ends_at", NULL };
	const char *kind, *ten, *tfr, *impact, *status, *men, *mfr, *sa, *ea;
	if (body_only(body, allowed, e) != 0 || body_str(body, "kind", false, &kind, e) != 0 ||
	    body_text(body, true, "title_en", STATUS_TITLE_MAX, &ten, e) != 0 ||
	    body_text(body, true, "title_fr", STATUS_TITLE_MAX, &tfr, e) != 0 ||
	    body_str(body, "impact", false, &impact, e) != 0 ||
	    body_str(body, "status", false, &status, e) != 0 ||
	    body_text(body, true, "message_en", STATUS_MESSAGE_MAX, &men, e) != 0 ||
	    body_text(body, true, "message_fr", STATUS_MESSAGE_MAX, &mfr, e) != 0 ||
	    body_str(body, "starts_at", false, &sa, e) != 0 || body_str(body, "ends_at", false, &ea, e) != 0)
		return -1;
	if (!kind)
		kind = "incident";
	bool maint = strcmp(kind, "maintenance") == 0;
	if (!maint && strcmp(kind, "incident") != 0)
		return dom_fail(e, "validation-failed", "kind", "\"kind\" is incident or maintenance");
	if (!impact)
		impact = maint ? "maintenance" : "degraded";
	if (label_index(states, impact) < 1 || (maint != (strcmp(impact, "maintenance") == 0)))
		return dom_fail(e, "validation-failed", "impact", maint
			? "a maintenance window's impact is maintenance"
			: "\"impact\" is degraded, partial_outage or major_outage");
	if (!status)
		status = maint ? "scheduled" : "investigating";
	if (!status_fits(status, maint) || closing(status))
		return dom_fail(e, "validation-failed", "status", maint
			? "a new window's status is scheduled or in_progress"
			: "a new incident's status is investigating, identified or monitoring");
	if (check_components(c, json_object_get(body, "components"), e) != 0)
		return -1;
	int64_t starts = 0, ends = 0;
	if (maint) {
		if (!sa || time_parse_rfc3339(sa, &starts) != 0)
			return dom_fail(e, "validation-failed", "starts_at",
				"a maintenance window needs \"starts_at\" (RFC 3339)");
		if (!ea || time_parse_rfc3339(ea, &ends) != 0 || ends <= starts)
			return dom_fail(e, "validation-failed", "ends_at",
				"a maintenance window needs \"ends_at\" (RFC 3339) after starts_at");
	} else if (sa || ea) {
		return dom_fail(e, "validation-failed", sa ? "starts_at" : "ends_at",
			"only a maintenance window has starts_at and ends_at");
	}
	int64_t now = time_now_ms();
	char *id = sec_new_id(maint ? "mnt" : "inc");
	char *comps = json_dumps(json_object_get(body, "components"), JSON_COMPACT);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "kind",
		kind, "title_en", ten, "title_fr", tfr, "impact", impact, "components", comps, "status",
		status, "created_by", dom_actor_id(c), "created_at", (json_int_t)now, "updated_at",
		(json_int_t)now);
	free(comps);
	if (maint) {
		json_object_set_new(rec, "starts_at", json_integer(starts));
		json_object_set_new(rec, "ends_at", json_integer(ends));
	}
	json_t *detail = json_pack("{s:s, s:s, s:O}", "kind", kind, "impact", impact, "components",
		json_object_get(body, "components"));
	int rc = store_status_incident_insert(c->tx, rec) != STORE_OK ||
		add_update(c, id, status, men, mfr, now) != STORE_OK ||
		dom_audit(c, "status.incident.create", id, NULL, "success", detail) != STORE_OK ||
		status_subs_notify(c, id) != 0;
	json_decref(detail);
	json_decref(rec);
	if (rc) {
		free(id);
		return dom_fail(e, "internal", "", "the incident could not be recorded");
	}
	rc = dom_status_incident_get(c, id, out, e);
	free(id);
	return rc;
}

int dom_status_incident_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "status", "message_en", "message_fr", NULL };
	const char *status, *men, *mfr;
	if (body_only(body, allowed, e) != 0 || body_str(body, "status", true, &status, e) != 0 ||
	    body_text(body, true, "message_en", STATUS_MESSAGE_MAX, &men, e) != 0 ||
	    body_text(body, true, "message_fr", STATUS_MESSAGE_MAX, &mfr, e) != 0)
		return -1;
	json_t *inc = store_status_incident_get(c->tx, id);
	if (!inc)
		return dom_fail(e, "not-found", "", "no such incident");
	bool maint = is_maintenance(inc), closed = !json_is_null(json_object_get(inc, "closed_at"));
	json_decref(inc);
	if (closed)
		return dom_fail(e, "invalid-state", "", maint ? "this maintenance window is closed"
			: "this incident is closed");
	if (!status_fits(status, maint))
		return dom_fail(e, "validation-failed", "status", maint
			? "a window's status is scheduled, in_progress or completed"
			: "an incident's status is investigating, identified, monitoring or resolved");
	int64_t now = time_now_ms();
	json_t *detail = json_pack("{s:s}", "status", status);
	int rc = store_status_incident_set(c->tx, id, status, now, closing(status) ? now : 0) != STORE_OK ||
		add_update(c, id, status, men, mfr, now) != STORE_OK ||
		dom_audit(c, "status.incident.update", id, NULL, "success", detail) != STORE_OK ||
		status_subs_notify(c, id) != 0;
	json_decref(detail);
	if (rc)
		return dom_fail(e, "internal", "", "the update could not be recorded");
	return dom_status_incident_get(c, id, out, e);
}

int dom_status_incident_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *inc = store_status_incident_get(c->tx, id);
	if (!inc)
		return dom_fail(e, "not-found", "", "no such incident");
	*out = incident_json(c, inc, false, time_now_ms());
	json_decref(inc);
	return 0;
}

int dom_status_incident_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	store_page_t pg = { 0 };
	if (store_status_incident_page(c->tx, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the incidents could not be read");
	json_t *items = json_array();
	size_t i;
	json_t *v;
	int64_t now = time_now_ms();
	json_array_foreach(pg.items, i, v)
		json_array_append_new(items, incident_json(c, v, false, now));
	*out = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		pg.next_cursor ? json_string(pg.next_cursor) : json_null());
	store_page_free(&pg);
	return 0;
}

int dom_status_component_set(dom_ctx_t *c, const char *component, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "state", "pinned", NULL };
	const char *state;
	if (body_only(body, allowed, e) != 0 || body_str(body, "state", false, &state, e) != 0)
		return -1;
	const json_t *pin = json_object_get(body, "pinned");
	if (pin && !json_is_boolean(pin))
		return dom_fail(e, "validation-failed", "pinned", "\"pinned\" is true or false");
	bool unpin = pin && json_is_false(pin);
	if (unpin == (state != NULL))
		return dom_fail(e, "validation-failed", "state", "give either \"state\" (the operator's "
			"state, which wins over the automatic one) or \"pinned\": false (back to the "
			"automatic state)");
	if (state && label_index(states, state) < 0)
		return dom_fail(e, "validation-failed", "state", "\"state\" is one of operational, "
			"maintenance, degraded, partial_outage, major_outage");
	json_t *list = component_list(c);
	json_t *comp = status_component_find(list, component);
	if (!comp) {
		json_decref(list);
		return dom_fail(e, "not-found", "", "no such component");
	}
	int64_t now = time_now_ms();
	int rc = 0;
	if (unpin) {
		int u = store_status_component_unset(c->tx, component);
		if (u == STORE_NOTFOUND) {
			json_decref(list);
			return dom_fail(e, "invalid-state", "", "this component's state is not pinned");
		}
		rc = u != STORE_OK;
	} else {
		rc = store_status_component_set(c->tx, component, state, now) != STORE_OK;
	}
	json_t *after = rc ? NULL : component_list(c);
	const char *to = after ? rec_str(status_component_find(after, component), "state") : "";
	json_t *detail = json_pack("{s:s, s:s, s:b}", "from", rec_str(comp, "state"), "to", to,
		"pinned", !unpin);
	rc = rc || status_history_add(c, component, unpin ? "unpin" : "pin", to,
		unpin ? "the operator released the pin" : "set by an operator", now) != STORE_OK ||
		dom_audit(c, "status.component.set", component, NULL, "success", detail) != STORE_OK;
	json_decref(detail);
	if (rc) {
		json_decref(after);
		json_decref(list);
		return dom_fail(e, "internal", "", "the state could not be recorded");
	}
	json_t *t = json_integer(now);
	*out = json_pack("{s:s, s:s, s:s, s:b, s:o}", "id", component, "name", rec_str(comp, "name"),
		"state", to, "pinned", !unpin, "updated_at", time_json(t));
	json_decref(t);
	json_decref(after);
	json_decref(list);
	return 0;
}
