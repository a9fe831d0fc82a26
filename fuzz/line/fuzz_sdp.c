/* Fuzz target: SDP parser, stream selection and answer building. */
#include <stddef.h>
#include <stdint.h>

#include "sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sdp_t s;
	if (sdp_parse(data, size, &s) != 0)
		return 0;
	int pt = -1;
	sdp_find_audio(&s, &pt);
	int t = sdp_find_t38(&s);
	buf_t b;
	buf_init(&b, SDP_MAX);
	sdp_local_t l = {.addr = "127.0.0.1", .port = 4000, .sess_id = 1, .sess_ver = 1, .use_t38 = t >= 0,
			 .pt = pt, .t38_max_rate = 14400, .t38_redundancy = 1};
	sdp_build(&b, &l, &s);
	buf_free(&b);
	return 0;
}
