/* Anti-virus on the ways in (P08): every uploaded file is scanned by clamd
 * (fax.clamd / av.clamd) before anything of it is kept. */
#ifndef FV_DOMAIN_AVSCAN_H
#define FV_DOMAIN_AVSCAN_H

#include <stddef.h>

#include "domain.h"

/* Scans data (len bytes, field names the upload: "file", "loa") for the
 * caller's account when a scanner is configured; 0 clean or not scanned.
 * Infected: 422 malware-detected, the refusal audited (upload.malware_refused,
 * kept although the request fails). Scanner unreachable: 503 unavailable,
 * unless the provider chose av.fail_open (then 0, logged and counted).
 * Pauses the request's transaction while the scanner reads. */
int dom_av_check(dom_ctx_t *c, const char *account_id, const char *field, const void *data,
	size_t len, dom_err_t *e);

/* Scans so far, by outcome (for /metrics). */
void dom_av_counts(unsigned long long *clean, unsigned long long *infected,
	unsigned long long *errors, unsigned long long *failed_open);

#endif
