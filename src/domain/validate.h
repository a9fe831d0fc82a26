/* Validation of the values people send: pure functions, fuzzed. */
#ifndef FV_VALIDATE_H
#define FV_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#define EMAIL_MAX 254
#define NAME_MAX_BYTES 200
#define PASSWORD_MIN 12
#define PASSWORD_MAX 256

/* A plausible address: local@domain, printable ASCII or UTF-8, no spaces, a
 * dot-separated domain of LDH labels (or UTF-8), total <= EMAIL_MAX. */
bool valid_email(const char *s, size_t n);
/* A display name: 1..NAME_MAX_BYTES bytes of valid UTF-8 without control
 * characters. */
bool valid_name(const char *s, size_t n);
/* Well-formed UTF-8 (no overlongs, no surrogates). */
bool valid_utf8(const char *s, size_t n);
/* Password length rule (policy refinements come with account settings):
 * 0 when acceptable, else a static English reason. */
const char *password_problem(const char *pw);

#endif
