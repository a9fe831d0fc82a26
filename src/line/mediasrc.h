/* Where a call's media is taken from: a source check for RTP and UDPTL
 * on a call's own media socket, like the "strict RTP" learning of SIP
 * media servers, so that a datagram from a stranger who found the port is
 * never decoded as the peer's (nor, with symmetric media, answered).
 *
 * - Datagrams from the address:port the SDP named are the peer's: taken
 *   at once, and the call locks to that source (for good: once the SDP's
 *   address has sent, nothing else is ever learnt until the next SDP).
 * - From any other source, while nothing is locked (a peer behind NAT,
 *   whose SDP gives an address its media does not come from): a source is
 *   learnt (locked) only after MEDIASRC_PROBATION well-formed packets in
 *   a row from it with sequence numbers that follow (RTP or UDPTL seq);
 *   until then its datagrams are not decoded. Sources are followed apart
 *   (MEDIASRC_CANDS of them), so a stranger's packets do not reset the
 *   peer's count.
 * - Once locked, datagrams from other sources are dropped and counted; a
 *   learnt lock moves only when the locked source has been silent for a
 *   while (the caller says so: a NAT rebinding), by the same learning.
 *
 * Pure: no I/O, no clock (the caller passes "the lock is quiet"). */
#ifndef FV_LINE_MEDIASRC_H
#define FV_LINE_MEDIASRC_H

#include <stdint.h>
#include <sys/socket.h>

/* Packets in a row that make a source learnt. Three: a stranger replaying
 * or repeating one packet never gets there, and the two that wait are
 * not lost on T.38 with a redundancy of 2 or more (the third carries
 * them: see udptl_rx_start); on audio, 40 ms of a fax tone. */
#define MEDIASRC_PROBATION 3
#define MEDIASRC_CANDS 4 /* sources on probation at once */

typedef struct media_cand {
	struct sockaddr_storage addr;
	int n;               /* well-formed packets in a row (0: slot free) */
	uint16_t first, last; /* the sequence numbers of the first and last */
	unsigned age;        /* when last seen, in packets probed */
} media_cand_t;

typedef struct media_src {
	struct sockaddr_storage sdp; /* the address the SDP named */
	struct sockaddr_storage lock;
	int locked;
	int sdp_sent;        /* the SDP's address has sent since that SDP */
	media_cand_t cand[MEDIASRC_CANDS];
	unsigned clock;      /* packets probed (ages the candidates) */
	unsigned foreign;    /* datagrams not taken because of their source */
} media_src_t;

enum {
	MEDIASRC_TAKE,   /* the peer's: decode it */
	MEDIASRC_LOCKED, /* the peer's, and the call locked to it now */
	MEDIASRC_PROBE,  /* a source on probation: parse it, then media_src_probe */
	MEDIASRC_DROP,   /* not the peer's: drop it (counted) */
};

/* A new SDP named sdp. The same address as before (a session refresh, a
 * switch to T.38 on the same port) keeps the lock; another one starts
 * afresh. A zeroed media_src_t is "nothing named yet". */
void media_src_reset(media_src_t *s, const struct sockaddr_storage *sdp);

/* What to do with a datagram from src. quiet: the locked source has been
 * silent long enough for a learnt lock to move. DROP is counted. */
int media_src_check(media_src_t *s, const struct sockaddr_storage *src, int quiet);

/* A well-formed packet with sequence number seq from src, after
 * media_src_check said PROBE. 1: src is learnt now (locked; *first is the
 * sequence number its probation began with), and this packet is the
 * peer's; 0: not yet (the packet is dropped, counted). */
int media_src_probe(media_src_t *s, const struct sockaddr_storage *src, uint16_t seq, uint16_t *first);

/* A datagram media_src_check said PROBE that is not well-formed media
 * of the call's kind: dropped, counted. */
void media_src_reject(media_src_t *s);

#endif
