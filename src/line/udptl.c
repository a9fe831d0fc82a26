/* UDPTL codec and sequencer (see udptl.h). */
#include "udptl.h"

#include <string.h>

/* PER length determinant: 0..127 in one byte, 128..16383 in two. Larger
 * (fragmented) lengths never occur with IFPs this small: refused. */
static int get_len(const uint8_t *d, size_t len, size_t *off, size_t *out)
{
	if (*off >= len)
		return -1;
	uint8_t b = d[(*off)++];
	if ((b & 0x80) == 0) {
		*out = b;
		return 0;
	}
	if ((b & 0xc0) == 0x80) {
		if (*off >= len)
			return -1;
		*out = (size_t)(b & 0x3f) << 8 | d[(*off)++];
		return 0;
	}
	return -1;
}

static int get_open(const uint8_t *d, size_t len, size_t *off, udptl_slice_t *s)
{
	size_t n;
	if (get_len(d, len, off, &n) != 0 || n > len - *off)
		return -1;
	s->p = d + *off;
	s->n = n;
	*off += n;
	return 0;
}

int udptl_decode(const uint8_t *d, size_t len, udptl_pkt_t *p)
{
	memset(p, 0, sizeof *p);
	if (!d || len < 4 || len > UDPTL_PKT_MAX)
		return -1;
	p->seq = (uint16_t)(d[0] << 8 | d[1]);
	size_t off = 2;
	if (get_open(d, len, &off, &p->primary) != 0 || p->primary.n == 0 || p->primary.n > UDPTL_IFP_MAX)
		return -1;
	if (off >= len)
		return -1;
	uint8_t choice = d[off++];
	if (choice == 0x00) {
		size_t count;
		if (get_len(d, len, &off, &count) != 0 || count > 100)
			return -1;
		for (size_t k = 0; k < count; k++) {
			udptl_slice_t s;
			if (get_open(d, len, &off, &s) != 0 || s.n == 0 || s.n > UDPTL_IFP_MAX)
				return -1;
			if (k < UDPTL_RED_MAX)
				p->sec[p->nsec++] = s;
		}
	} else if (choice == 0x80) {
		p->fec = 1;
		udptl_slice_t npk;
		if (get_open(d, len, &off, &npk) != 0 || npk.n == 0 || npk.n > 4)
			return -1;
		size_t count;
		if (get_len(d, len, &off, &count) != 0 || count > UDPTL_FEC_MAX)
			return -1;
		for (size_t k = 0; k < count; k++) {
			udptl_slice_t s;
			if (get_open(d, len, &off, &s) != 0)
				return -1;
		}
	} else {
		return -1;
	}
	return off == len ? 0 : -1;
}

void udptl_tx_init(udptl_tx_t *tx, int redundancy)
{
	memset(tx, 0, sizeof *tx);
	if (redundancy < 0)
		redundancy = 0;
	if (redundancy > UDPTL_RED_MAX)
		redundancy = UDPTL_RED_MAX;
	tx->redundancy = redundancy;
}

static int put_len(uint8_t *out, size_t cap, size_t *off, size_t n)
{
	if (n < 128) {
		if (*off + 1 > cap)
			return -1;
		out[(*off)++] = (uint8_t)n;
		return 0;
	}
	if (n >= 16384 || *off + 2 > cap)
		return -1;
	out[(*off)++] = (uint8_t)(0x80 | (n >> 8));
	out[(*off)++] = (uint8_t)n;
	return 0;
}

static int put_open(uint8_t *out, size_t cap, size_t *off, const uint8_t *p, size_t n)
{
	if (put_len(out, cap, off, n) != 0 || n > cap - *off)
		return -1;
	memcpy(out + *off, p, n);
	*off += n;
	return 0;
}

int udptl_encode(udptl_tx_t *tx, const uint8_t *ifp, size_t n, uint8_t *out, size_t cap)
{
	if (n == 0 || n > UDPTL_IFP_MAX || cap < 4)
		return -1;
	size_t off = 0;
	out[off++] = (uint8_t)(tx->seq >> 8);
	out[off++] = (uint8_t)tx->seq;
	if (put_open(out, cap, &off, ifp, n) != 0)
		return -1;
	if (off + 1 > cap)
		return -1;
	out[off++] = 0x00;
	size_t nsec = tx->nhist < (size_t)tx->redundancy ? tx->nhist : (size_t)tx->redundancy;
	if (put_len(out, cap, &off, nsec) != 0)
		return -1;
	for (size_t k = 0; k < nsec; k++) {
		size_t slot = (tx->head + UDPTL_RED_MAX - k) % UDPTL_RED_MAX;
		if (put_open(out, cap, &off, tx->hist[slot], tx->hlen[slot]) != 0)
			return -1;
	}
	/* The history ring, newest at head. */
	if (tx->redundancy > 0) {
		tx->head = (tx->head + 1) % UDPTL_RED_MAX;
		memcpy(tx->hist[tx->head], ifp, n);
		tx->hlen[tx->head] = n;
		if (tx->nhist < UDPTL_RED_MAX)
			tx->nhist++;
	}
	tx->seq++;
	return (int)off;
}

void udptl_rx_init(udptl_rx_t *rx)
{
	memset(rx, 0, sizeof *rx);
}

void udptl_rx_start(udptl_rx_t *rx, uint16_t seq)
{
	if (rx->started)
		return;
	rx->started = 1;
	rx->expected = seq;
}

int udptl_rx_packet(udptl_rx_t *rx, const udptl_pkt_t *p, udptl_deliver_fn *deliver, void *ud)
{
	if (!rx->started) {
		rx->started = 1;
		rx->expected = p->seq;
	}
	int16_t ahead = (int16_t)(uint16_t)(p->seq - rx->expected);
	if (ahead < 0) {
		rx->stale++;
		return 0;
	}
	int delivered = 0;
	if (ahead > 0) {
		/* Packets expected..seq-1 are missing: sec[k] is seq-1-k. */
		for (int k = ahead - 1; k >= 0; k--) {
			uint16_t s = (uint16_t)(p->seq - 1 - (uint16_t)k);
			if ((size_t)k < p->nsec) {
				deliver(ud, p->sec[k].p, p->sec[k].n, s);
				rx->recovered++;
				delivered++;
			} else {
				rx->lost++;
			}
		}
	}
	deliver(ud, p->primary.p, p->primary.n, p->seq);
	rx->expected = (uint16_t)(p->seq + 1);
	return delivered + 1;
}
