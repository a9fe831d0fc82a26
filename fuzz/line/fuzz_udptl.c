/* Fuzz target: UDPTL decoder and the redundancy sequencer. The input is a
 * stream of datagrams, each with a 2-byte big-endian length prefix. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "udptl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void deliver(void *ud, const uint8_t *ifp, size_t n, uint16_t seq)
{
	/* Touch every byte so ASan sees any slice out of bounds. */
	unsigned *sum = ud;
	for (size_t i = 0; i < n; i++)
		*sum += ifp[i];
	*sum += seq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	udptl_rx_t rx;
	udptl_rx_init(&rx);
	udptl_pkt_t p;
	unsigned sum = 0;
	if (udptl_decode(data, size, &p) == 0) {
		udptl_rx_packet(&rx, &p, deliver, &sum);
		/* A source learnt after its probation: the sequencer starts two
		 * packets back and rebuilds them from this one's redundancy. */
		udptl_rx_init(&rx);
		udptl_rx_start(&rx, (uint16_t)(p.seq - 2));
		udptl_rx_packet(&rx, &p, deliver, &sum);
	}
	udptl_rx_init(&rx);
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (udptl_decode(data, len, &p) == 0) {
			udptl_rx_packet(&rx, &p, deliver, &sum);
			/* Re-encode the primary: the encoder must accept what we accept. */
			static udptl_tx_t tx;
			udptl_tx_init(&tx, 3);
			uint8_t out[UDPTL_PKT_MAX];
			udptl_encode(&tx, p.primary.p, p.primary.n, out, sizeof out);
		}
		data += len;
		size -= len;
	}
	return (int)(sum & 0);
}
