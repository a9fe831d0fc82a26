/* Fuzz target: RTP parser feeding the jitter buffer. The input is cut into
 * packets by a 2-byte big-endian length prefix, so one input is a stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rtp_jb_t jb;
	rtp_jb_init(&jb);
	uint8_t out[RTP_FRAME_MAX];
	size_t n;
	rtp_pkt_t p;
	/* The whole input as one packet too. */
	rtp_parse(data, size, &p);
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (rtp_parse(data, len, &p) == 0) {
			rtp_jb_put(&jb, p.seq, p.payload, p.plen);
			while (rtp_jb_get(&jb, out, &n) >= 0)
				;
		}
		data += len;
		size -= len;
	}
	return 0;
}
