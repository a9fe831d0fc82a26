/* Fuzz target: the stream framer, fed as a connection would be (the bytes
 * cut in pieces at every position the input's first byte picks), each
 * message it cuts handed to the SIP parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sipmsg.h"
#include "sipstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[2 * SIP_MSG_MAX];
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] + 1, used = 0, off = 1;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		if (n > sizeof buf - used)
			n = sizeof buf - used;
		memcpy(buf + used, data + off, n);
		used += n;
		off += n;
		for (;;) {
			size_t skip, len;
			int r = sipstream_next(buf, used, SIP_MSG_MAX, &skip, &len, NULL, NULL);
			if (r == SIPSTREAM_BAD)
				return 0; /* the connection would be closed */
			if (r == SIPSTREAM_MORE) {
				memmove(buf, buf + skip, used - skip);
				used -= skip;
				if (used == sizeof buf)
					return 0;
				break;
			}
			sip_msg_t m;
			if (sip_msg_parse(buf + skip, len, &m) == 0)
				sip_msg_check(&m);
			memmove(buf, buf + skip + len, used - skip - len);
			used -= skip + len;
		}
	}
	return 0;
}
