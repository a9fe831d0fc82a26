/* Fuzz target: carrier screening (CIDR texts, addresses, number rewriting).
 * The input is split at the first two NUL bytes: a CIDR, an address, a
 * called number. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "carrier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[256];
	if (size > sizeof buf - 1)
		size = sizeof buf - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	const char *cidr = buf, *ip = buf + strlen(buf), *num = ip;
	if ((size_t)(ip - buf) < size) {
		ip++;
		num = ip + strlen(ip);
		if ((size_t)(num - buf) < size)
			num++;
	}
	carrier_cidr_t c;
	if (carrier_cidr_parse(cidr, &c) == 0)
		(void)carrier_cidr_contains(&c, ip);
	const carrier_rewrite_t rules[] = { { "0", "+33" }, { "00", "+" }, { "", "+1" } };
	char out[CARRIER_NUMBER_MAX + 1];
	(void)carrier_number_normalize(num, rules, 3, out, sizeof out);
	(void)carrier_rule_valid(cidr, ip);
	return 0;
}
