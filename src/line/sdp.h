/* SDP (RFC 4566) for a fax user agent: parse an offer or answer, and build
 * ours, for G.711 audio (PCMU/PCMA) and T.38 over UDPTL (image/t38, T.38
 * Annex D attributes).
 *
 * sdp_parse() is a pure function: it copies what it keeps into the sdp_t
 * (no pointers into the input), so the result outlives the datagram. */
#ifndef FV_LINE_SDP_H
#define FV_LINE_SDP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SDP_MAX 4096       /* larger bodies are refused */
#define SDP_MEDIA_MAX 8
#define SDP_FMT_MAX 16
#define SDP_ADDR_MAX 64

enum sdp_kind { SDP_AUDIO, SDP_IMAGE, SDP_OTHER };
enum sdp_proto { SDP_RTP_AVP, SDP_UDPTL, SDP_PROTO_OTHER };
enum sdp_ec { SDP_EC_NONE, SDP_EC_REDUNDANCY, SDP_EC_FEC };

typedef struct sdp_t38 {
	int version;         /* T38FaxVersion */
	int max_bit_rate;    /* T38MaxBitRate, 0 when absent */
	int max_buffer;      /* T38FaxMaxBuffer */
	int max_datagram;    /* T38FaxMaxDatagram */
	int ec;              /* T38FaxUdpEC */
	int rate_transferred;/* T38FaxRateManagement: 1 transferredTCF, 0 localTCF */
	int fill_bit_removal;
	int mmr;
	int jbig;
} sdp_t38_t;

typedef struct sdp_media {
	int kind;
	int proto;
	uint16_t port;
	int fmts[SDP_FMT_MAX];  /* RTP payload types (audio) */
	size_t nfmts;
	int is_t38;             /* image + udptl + t38 */
	char addr[SDP_ADDR_MAX];/* from the media-level c= or the session one (IPv4 or IPv6, no brackets) */
	int ptime;
	sdp_t38_t t38;
} sdp_media_t;

typedef struct sdp {
	uint64_t sess_id;
	uint64_t sess_ver;
	sdp_media_t m[SDP_MEDIA_MAX];
	size_t nm;
} sdp_t;

/* Parses an SDP body. 0 on success; -1 when the body is malformed, has no
 * m= line, more than SDP_MEDIA_MAX of them, or an address that is not an
 * IPv4 (IN IP4) or IPv6 (IN IP6) address. */
int sdp_parse(const uint8_t *data, size_t len, sdp_t *s);

/* Index of the first usable G.711 audio stream (port != 0, RTP/AVP, PCMU or
 * PCMA offered), with the payload type chosen in *pt (the peer's first); -1 if none. */
int sdp_find_audio(const sdp_t *s, int *pt);
/* Index of the first usable T.38 stream (port != 0, udptl), or -1. */
int sdp_find_t38(const sdp_t *s);

/* Our SDP. For an answer, `like` is the offer (m-lines are mirrored, the ones
 * we do not use get port 0, as RFC 3264 §6 requires); NULL for an offer.
 * use_t38 selects image/t38 instead of audio; pt the audio payload type
 * (-1 to offer PCMU and PCMA). Appends to out; 0 / -1 (buffer ceiling). */
typedef struct sdp_local {
	const char *addr;
	uint16_t port;
	uint64_t sess_id;
	uint64_t sess_ver;
	int use_t38;
	int pt;
	int t38_max_rate;
	int t38_redundancy; /* 1: t38UDPRedundancy, 0: none */
} sdp_local_t;
int sdp_build(buf_t *out, const sdp_local_t *l, const sdp_t *like);

#endif
