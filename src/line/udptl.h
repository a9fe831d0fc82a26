/* UDPTL (ITU-T T.38 Annex / §9.1) transport for T.38 IFP packets:
 * a pure decoder, an encoder with redundancy, and a receive sequencer that
 * recovers lost packets from the redundancy and hands IFPs over in order.
 *
 * Wire format (ASN.1 aligned PER): seq-number (16 bits), primary IFP as an
 * open type (length determinant + bytes), then error-recovery: a choice
 * byte 0x00 followed by secondary IFPs (count, then each length + bytes,
 * newest first), or 0x80 followed by FEC information. */
#ifndef FV_LINE_UDPTL_H
#define FV_LINE_UDPTL_H

#include <stddef.h>
#include <stdint.h>

#define UDPTL_IFP_MAX 400       /* largest IFP we accept or send (T38FaxMaxDatagram) */
#define UDPTL_PKT_MAX 1400
#define UDPTL_RED_MAX 8         /* secondary IFPs we keep or send */
#define UDPTL_FEC_MAX 16

typedef struct udptl_slice {
	const uint8_t *p;
	size_t n;
} udptl_slice_t;

typedef struct udptl_pkt {
	uint16_t seq;
	udptl_slice_t primary;
	int fec;                 /* 1: FEC error recovery (not used for recovery) */
	size_t nsec;
	udptl_slice_t sec[UDPTL_RED_MAX]; /* sec[0] is seq-1 */
} udptl_pkt_t;

/* Decodes one UDPTL datagram. Slices point into data. 0 / -1 (bad lengths,
 * trailing bytes, fragmented lengths, empty primary). Secondaries beyond
 * UDPTL_RED_MAX are checked and ignored. */
int udptl_decode(const uint8_t *data, size_t len, udptl_pkt_t *p);

typedef struct udptl_tx {
	uint16_t seq;
	int redundancy;                       /* secondaries to send, 0..UDPTL_RED_MAX */
	/* the last IFPs sent, a ring: hist[head] is the newest, hist[head - k]
	 * (mod UDPTL_RED_MAX) the k-th before it; nothing moves per packet */
	uint8_t hist[UDPTL_RED_MAX][UDPTL_IFP_MAX];
	size_t hlen[UDPTL_RED_MAX];
	size_t nhist;
	size_t head;
} udptl_tx_t;

void udptl_tx_init(udptl_tx_t *tx, int redundancy);
/* Encodes ifp as the next packet (with redundancy) into out. Returns the
 * length, or -1 (IFP too long, out too small). */
int udptl_encode(udptl_tx_t *tx, const uint8_t *ifp, size_t n, uint8_t *out, size_t cap);

typedef void udptl_deliver_fn(void *ud, const uint8_t *ifp, size_t n, uint16_t seq);

typedef struct udptl_rx {
	int started;
	uint16_t expected;
	unsigned recovered;  /* IFPs rebuilt from redundancy */
	unsigned stale;      /* duplicates and packets older than expected */
	unsigned lost;       /* gaps redundancy could not fill */
} udptl_rx_t;

void udptl_rx_init(udptl_rx_t *rx);
/* A sequencer that has taken nothing yet expects seq first: the packets
 * from seq on that were not handed to it (a source's probation, see
 * mediasrc.h) are then rebuilt from the redundancy of the next one it
 * takes. A started sequencer is left alone. */
void udptl_rx_start(udptl_rx_t *rx, uint16_t seq);
/* Hands the IFPs of p to deliver in sequence order: first those of the
 * missing packets that the redundancy carries, then the primary. Stale and
 * duplicate packets are dropped. Returns the number of IFPs delivered. */
int udptl_rx_packet(udptl_rx_t *rx, const udptl_pkt_t *p, udptl_deliver_fn *deliver, void *ud);

#endif
