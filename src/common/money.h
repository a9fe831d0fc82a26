/* Amounts of money: integer minor units of an ISO 4217 currency, written
 * with the currency's decimal digits (2 for most, 0 for JPY, 3 for KWD). */
#ifndef FV_MONEY_H
#define FV_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* Digits after the decimal point of currency (2 when unknown). */
int money_digits(const char *currency);

/* Writes minor as a decimal number in currency's digits ("-12.05") into
 * out (always NUL-terminated; truncated when n is too small: 24 bytes are
 * enough for any value). Returns out. */
char *money_decimal(int64_t minor, const char *currency, char *out, size_t n);

#endif
