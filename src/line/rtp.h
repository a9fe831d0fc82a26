/* RTP (RFC 3550) for G.711 fax audio: a pure packet parser and builder, and a
 * small jitter buffer that puts packets back in order.
 *
 * The jitter buffer is elastic: it plays a frame when its turn comes and
 * declares a frame lost only when RTP_JB_REORDER later frames are already
 * waiting, so a late scheduler on either end delays audio instead of
 * cutting it (fax modems survive delay, not gaps). */
#ifndef FV_LINE_RTP_H
#define FV_LINE_RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_MIN 12
#define RTP_FRAME_MAX 480     /* 60 ms of G.711 */
#define RTP_PKT_MAX 1500
#define RTP_JB_SLOTS 32
#define RTP_JB_REORDER 3

typedef struct rtp_pkt {
	uint8_t pt;
	int marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *payload; /* into the caller's buffer */
	size_t plen;
} rtp_pkt_t;

/* Parses one RTP packet (version 2; CSRCs, extension and padding handled).
 * 0 on success, -1 when malformed. */
int rtp_parse(const uint8_t *data, size_t len, rtp_pkt_t *p);

/* Writes a 12-byte header and payload into out; returns the length, or 0
 * when cap is too small. */
size_t rtp_build(uint8_t *out, size_t cap, const rtp_pkt_t *p);

typedef struct rtp_jb {
	uint8_t data[RTP_JB_SLOTS][RTP_FRAME_MAX];
	uint16_t len[RTP_JB_SLOTS];
	uint16_t seq[RTP_JB_SLOTS];
	uint8_t used[RTP_JB_SLOTS];
	uint16_t next;    /* sequence number to play next */
	int started;
	unsigned count;   /* frames held */
	unsigned lost;    /* frames declared lost */
	unsigned late;    /* frames dropped as too late or duplicate */
} rtp_jb_t;

void rtp_jb_init(rtp_jb_t *jb);
/* Stores a frame (payload longer than RTP_FRAME_MAX is cut). */
void rtp_jb_put(rtp_jb_t *jb, uint16_t seq, const uint8_t *payload, size_t n);
/* Next frame to play: 1 and *n bytes copied to out (cap >= RTP_FRAME_MAX);
 * 0 when that frame is lost (play a fill-in); -1 when nothing is due yet. */
int rtp_jb_get(rtp_jb_t *jb, uint8_t *out, size_t *n);

#endif
