/* Redaction of credentials in request targets, before a target is logged or
 * recorded anywhere.
 *
 * A path segment, query key or query value is replaced by "[redacted]" when
 * it carries a secret that faxvault issues (recognised by its prefix:
 * sessions, API keys, invitations, password resets, webhook secrets; the
 * prefix is kept so that the log still says which kind it was), has the
 * shape of a recovery code, or looks like a credential of any other kind
 * (long, several character classes, not one of our record ids). A query
 * value is also redacted when its key names a credential (token, password,
 * secret, key, code, signature…). Pure functions: no I/O, no globals. */
#ifndef FV_REDACT_H
#define FV_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACT_MARK "[redacted]"

/* Whether the len bytes at s (one segment or value, percent-decoded or not)
 * look like a credential. */
bool redact_is_secret(const char *s, size_t len);

/* Writes the redacted form of target (a path, optionally followed by
 * "?query") into out (outlen bytes, cut and always NUL-terminated when
 * outlen > 0). pattern, when not NULL, is the route pattern the path
 * matched ("/v1/invitations/{token}/accept"): a segment in the place of a
 * parameter named like a credential is redacted whatever it looks like.
 * Returns how many parts were redacted. */
int redact_target(const char *target, const char *pattern, char *out, size_t outlen);

#endif
