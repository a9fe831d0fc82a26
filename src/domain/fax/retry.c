/* The retry policy of outbound faxes (pure; docs/fax-service.md, "Jobs,
 * retries, crash safety"): what happens after a call, from its failure class
 * and the history of the fax. */
#include <stdio.h>
#include <string.h>

#include "fax.h"

#define BACKOFF_CAP_MS (24LL * 3600 * 1000)

static int is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* Why the fax stopped, for a person. */
static void final_reason(const retry_in_t *in, retry_out_t *out, const char *why)
{
	const char *reason = in->reason && *in->reason ? in->reason : "the call failed";
	if (out->status[0] == 'p')
		snprintf(out->failure_reason, sizeof out->failure_reason,
			"%d of %d pages went through; %s %s", in->pages_confirmed, in->page_count, why,
			reason);
	else
		snprintf(out->failure_reason, sizeof out->failure_reason, "%s %s", why, reason);
}

void retry_decide(const retry_in_t *in, retry_out_t *out)
{
	memset(out, 0, sizeof *out);
	out->ecm = in->ecm;
	out->max_rate = in->max_rate ? in->max_rate : 14400;

	/* Every page through: delivered, whatever the end of the call looked
	 * like. A fax is never sent again once all its pages were confirmed. */
	if (in->page_count > 0 && in->pages_done >= in->page_count) {
		out->final = 1;
		snprintf(out->status, sizeof out->status, "delivered");
		return;
	}
	const char *fc = in->fail_class && *in->fail_class ? in->fail_class : "network";
	snprintf(out->failure_class, sizeof out->failure_class, "%s", fc);
	const char *final_status = in->pages_confirmed > 0 ? "partial" : "failed";

	if (is(fc, "not_a_fax") || is(fc, "rejected")) {
		out->final = 1;
		snprintf(out->status, sizeof out->status, "%s", final_status);
		final_reason(in, out, "not retried:");
		return;
	}
	if (in->attempts_made > in->retries) {
		out->final = 1;
		snprintf(out->status, sizeof out->status, "%s", final_status);
		char why[64];
		snprintf(why, sizeof why, "gave up after %d attempt%s:", in->attempts_made,
			in->attempts_made == 1 ? "" : "s");
		final_reason(in, out, why);
		return;
	}

	snprintf(out->status, sizeof out->status, "queued");
	int64_t delay = (int64_t)in->retry_delay_seconds * 1000;
	if (is(fc, "busy") || is(fc, "no_answer") || is(fc, "network") || !(is(fc, "partial") ||
	    is(fc, "t30_error"))) {
		/* ×2 per attempt already made: delay, 2×delay, 4×delay… */
		for (int i = 1; i < in->attempts_made && delay < BACKOFF_CAP_MS; i++)
			delay *= 2;
		if (delay > BACKOFF_CAP_MS)
			delay = BACKOFF_CAP_MS;
	} else if (is(fc, "t30_error")) {
		/* First a lower speed, then the other error-correction mode. */
		if (out->max_rate > 9600)
			out->max_rate = 9600;
		else
			out->ecm = !in->ecm;
	}
	/* partial: the next attempt starts at the first page not confirmed
	 * (the runner takes it from the pages). */
	out->delay_ms = delay;
	snprintf(out->failure_reason, sizeof out->failure_reason, "%s",
		in->reason && *in->reason ? in->reason : "the call failed");
}
