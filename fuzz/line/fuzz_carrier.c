/* Fuzz target: carrier screening (a trunk's CIDR texts and source addresses,
 * number rewriting).
 * The input is split at the first two NUL bytes: a CIDR, an address, a
 * called number. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "carrier.h"
#include "cidr.h"

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
	cidr_t c;
	const char *why;
	if (cidr_parse(cidr, &c, &why) == 0)
		(void)cidr_contains_text(&c, ip);
	const carrier_rewrite_t rules[] = { { "0", "+33" }, { "00", "+" }, { "", "+1" } };
	char out[CARRIER_NUMBER_MAX + 1];
	(void)carrier_number_normalize(num, rules, 3, out, sizeof out);
	(void)carrier_rule_valid(cidr, ip);
	return 0;
}
