/* RTP packets and jitter buffer (see rtp.h). */
#include "rtp.h"

#include <string.h>

int rtp_parse(const uint8_t *d, size_t len, rtp_pkt_t *p)
{
	memset(p, 0, sizeof *p);
	if (!d || len < RTP_HDR_MIN || len > RTP_PKT_MAX)
		return -1;
	if ((d[0] >> 6) != 2)
		return -1;
	int padding = (d[0] >> 5) & 1, ext = (d[0] >> 4) & 1, cc = d[0] & 0x0f;
	size_t off = RTP_HDR_MIN + (size_t)cc * 4;
	if (off > len)
		return -1;
	if (ext) {
		if (off + 4 > len)
			return -1;
		size_t xl = ((size_t)d[off + 2] << 8 | d[off + 3]) * 4;
		off += 4;
		if (xl > len - off)
			return -1;
		off += xl;
	}
	size_t end = len;
	if (padding) {
		size_t pad = d[len - 1];
		if (pad == 0 || pad > end - off)
			return -1;
		end -= pad;
	}
	p->marker = d[1] >> 7;
	p->pt = d[1] & 0x7f;
	/* 72..76 would collide with RTCP packet types (RFC 5761). */
	if (p->pt >= 72 && p->pt <= 76)
		return -1;
	p->seq = (uint16_t)(d[2] << 8 | d[3]);
	p->ts = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
	p->ssrc = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
	p->payload = d + off;
	p->plen = end - off;
	return 0;
}

size_t rtp_build(uint8_t *out, size_t cap, const rtp_pkt_t *p)
{
	if (cap < RTP_HDR_MIN || p->plen > cap - RTP_HDR_MIN)
		return 0;
	out[0] = 0x80;
	out[1] = (uint8_t)((p->marker ? 0x80 : 0) | (p->pt & 0x7f));
	out[2] = (uint8_t)(p->seq >> 8);
	out[3] = (uint8_t)p->seq;
	out[4] = (uint8_t)(p->ts >> 24);
	out[5] = (uint8_t)(p->ts >> 16);
	out[6] = (uint8_t)(p->ts >> 8);
	out[7] = (uint8_t)p->ts;
	out[8] = (uint8_t)(p->ssrc >> 24);
	out[9] = (uint8_t)(p->ssrc >> 16);
	out[10] = (uint8_t)(p->ssrc >> 8);
	out[11] = (uint8_t)p->ssrc;
	if (p->plen)
		memcpy(out + RTP_HDR_MIN, p->payload, p->plen);
	return RTP_HDR_MIN + p->plen;
}

void rtp_jb_init(rtp_jb_t *jb)
{
	memset(jb, 0, sizeof *jb);
}

void rtp_jb_put(rtp_jb_t *jb, uint16_t seq, const uint8_t *payload, size_t n)
{
	if (!jb->started) {
		jb->started = 1;
		jb->next = seq;
	}
	int16_t ahead = (int16_t)(uint16_t)(seq - jb->next);
	if (ahead < 0) {
		jb->late++;
		return;
	}
	if (ahead >= RTP_JB_SLOTS) {
		/* The peer jumped (restart, long outage): start again from here. */
		memset(jb->used, 0, sizeof jb->used);
		jb->count = 0;
		jb->next = seq;
		ahead = 0;
	}
	unsigned slot = seq % RTP_JB_SLOTS;
	if (jb->used[slot]) {
		jb->late++;
		return;
	}
	if (n > RTP_FRAME_MAX)
		n = RTP_FRAME_MAX;
	memcpy(jb->data[slot], payload, n);
	jb->len[slot] = (uint16_t)n;
	jb->seq[slot] = seq;
	jb->used[slot] = 1;
	jb->count++;
}

int rtp_jb_get(rtp_jb_t *jb, uint8_t *out, size_t *n)
{
	if (!jb->started || jb->count == 0)
		return -1;
	unsigned slot = jb->next % RTP_JB_SLOTS;
	if (jb->used[slot] && jb->seq[slot] == jb->next) {
		memcpy(out, jb->data[slot], jb->len[slot]);
		*n = jb->len[slot];
		jb->used[slot] = 0;
		jb->count--;
		jb->next++;
		return 1;
	}
	if (jb->count >= RTP_JB_REORDER) {
		jb->lost++;
		jb->next++;
		return 0;
	}
	return -1;
}
