/* A client of clamd (ClamAV's daemon) over its socket protocol: one
 * INSTREAM scan per call, on a fresh connection. Written here rather than
 * linked: libclamav would load the signatures into our process (hundreds of
 * megabytes, and its parsers next to our keys); clamd runs them apart, and
 * its protocol is four commands of text and length-prefixed chunks.
 *
 * Addresses: "unix:/path/to/clamd.ctl" (or a path starting with "/") and
 * "tcp:HOST:PORT". Thread-safe (no state). */
#ifndef FV_CLAMD_H
#define FV_CLAMD_H

#include <stddef.h>

/* Longest signature name kept from a reply. */
#define CLAMD_NAME_MAX 128

enum clamd_verdict {
	CLAMD_CLEAN = 0,
	CLAMD_INFECTED = 1,
	CLAMD_ERROR = -1, /* no verdict: the scanner could not be reached, or said ERROR */
};

/* Scans len bytes of data with the clamd at addr, within timeout_ms for the
 * whole exchange. INFECTED with the signature in name; ERROR with a reason
 * (no data of the scan) in err. */
enum clamd_verdict clamd_scan(const char *addr, const void *data, size_t len, int timeout_ms,
	char name[CLAMD_NAME_MAX], char *err, size_t errlen);

/* Reads clamd's answer to one INSTREAM ("stream: OK", "stream: NAME FOUND",
 * "... ERROR", NUL- or newline-terminated; n bytes, not NUL-terminated).
 * Pure, for the client and the fuzz target. */
enum clamd_verdict clamd_reply_parse(const char *reply, size_t n, char name[CLAMD_NAME_MAX],
	char *err, size_t errlen);

#endif
