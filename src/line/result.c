/* Call results, classes and JSON (see result.h). */
#include "result.h"

#include <stdio.h>
#include <string.h>

void fax_result_init(fax_result_t *r, int outbound)
{
	memset(r, 0, sizeof *r);
	r->outbound = outbound;
	r->t30_code = -1;
	r->first_page = outbound ? 1 : 0;
}

static void set_class(fax_result_t *r, const char *cls, const char *reason)
{
	snprintf(r->fail_class, sizeof r->fail_class, "%s", cls);
	snprintf(r->reason, sizeof r->reason, "%s", reason);
}

void fax_result_classify(fax_result_t *r)
{
	r->ok = 0;
	r->fail_class[0] = '\0';
	if (!r->answered) {
		if (r->sip_status == 486 || r->sip_status == 600)
			set_class(r, "busy", "the called number is busy");
		else if (r->network_error && r->sip_status == 0)
			set_class(r, "network", r->link_error[0] ? r->link_error : "no SIP response from the peer");
		else if (r->sip_status == 0 || r->sip_status == 408 || r->sip_status == 480 ||
			 r->sip_status == 487)
			set_class(r, "no_answer", "the call was not answered");
		else
			set_class(r, "rejected", "the call was refused by the network or the peer");
		return;
	}
	int pages = r->outbound ? r->pages_confirmed : r->pages_received;
	int all = r->outbound ? (r->pages_total > 0 && r->pages_confirmed == r->pages_total) : pages > 0;
	if (r->t30_done && r->t30_code == 0 && all) {
		r->ok = 1;
		snprintf(r->reason, sizeof r->reason, "%d page%s %s", pages, pages == 1 ? "" : "s",
			 r->outbound ? "sent and confirmed" : "received");
		return;
	}
	if (pages > 0)
		set_class(r, "partial", r->outbound ? "the call ended before every page was confirmed"
						    : "the call ended before the last page");
	else if (r->network_error)
		set_class(r, "network", "the peer or the network vanished during the call");
	else if (!r->t30_heard)
		set_class(r, "not_a_fax", "the call was answered but no fax machine was heard");
	else
		set_class(r, "t30_error", "the fax session failed before any page was confirmed");
}

int json_str(buf_t *out, const char *s)
{
	if (buf_puts(out, "\"") != 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;
		if (*p == '"' || *p == '\\')
			rc = buf_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			rc = buf_printf(out, "\\u%04x", *p); /* peer text is ASCII; others escaped */
		else
			rc = buf_append(out, p, 1);
		if (rc != 0)
			return -1;
	}
	return buf_puts(out, "\"");
}

int fax_result_json(const fax_result_t *r, buf_t *o)
{
	int rc = 0;
	rc |= buf_puts(o, "{\"call_id\":");
	rc |= json_str(o, r->call_id);
	rc |= buf_printf(o, ",\"direction\":\"%s\",\"status\":\"%s\",\"class\":", r->outbound ? "outbound" : "inbound",
			 r->ok ? "done" : "failed");
	if (r->ok)
		rc |= buf_puts(o, "null");
	else
		rc |= json_str(o, r->fail_class);
	rc |= buf_puts(o, ",\"reason\":");
	rc |= json_str(o, r->reason);
	rc |= buf_printf(o, ",\"sip_status\":%d,\"transport\":", r->sip_status);
	rc |= json_str(o, r->transport);
	rc |= buf_puts(o, ",\"codec\":");
	rc |= json_str(o, r->codec);
	rc |= buf_printf(o, ",\"t38_refused\":%s,\"bit_rate\":%d,\"ecm\":%s", r->t38_refused ? "true" : "false",
			 r->bit_rate, r->ecm ? "true" : "false");
	rc |= buf_puts(o, ",\"remote_ident\":");
	rc |= json_str(o, r->remote_ident);
	rc |= buf_puts(o, ",\"local_ident\":");
	rc |= json_str(o, r->local_ident);
	rc |= buf_printf(o, ",\"pages_total\":%d,\"pages_sent\":%d,\"pages_confirmed\":%d,\"pages_received\":%d",
			 r->pages_total, r->pages_sent, r->pages_confirmed, r->pages_received);
	rc |= buf_puts(o, ",\"pages\":[");
	for (int i = 0; i < r->npages; i++) {
		rc |= buf_printf(o, "%s{\"page\":%d,\"result\":", i ? "," : "", r->pages[i].page);
		rc |= json_str(o, r->pages[i].result);
		rc |= buf_printf(o, ",\"bad_rows\":%d}", r->pages[i].bad_rows);
	}
	rc |= buf_printf(o, "],\"t30_code\":%d,\"t30_text\":", r->t30_code);
	rc |= json_str(o, r->t30_text);
	rc |= buf_printf(o, ",\"media\":{\"bad_packets\":%u,\"lost_frames\":%u,\"late_frames\":%u,"
			    "\"ifp_recovered\":%u,\"ifp_lost\":%u,\"packets_sent\":%u,\"packets_received\":%u,"
			    "\"foreign_packets\":%u}",
			 r->bad_packets, r->lost_frames, r->late_frames, r->ifp_recovered, r->ifp_lost, r->packets_sent,
			 r->packets_received, r->foreign_packets);
	rc |= buf_printf(o, ",\"duration_ms\":%lld,\"file\":", (long long)r->duration_ms);
	rc |= json_str(o, r->file);
	rc |= buf_puts(o, ",\"to_user\":");
	rc |= json_str(o, r->to_user);
	rc |= buf_puts(o, ",\"from_user\":");
	rc |= json_str(o, r->from_user);
	if (r->outbound)
		rc |= buf_printf(o, ",\"first_page\":%d", r->first_page);
	rc |= buf_puts(o, "}");
	return rc ? -1 : 0;
}
