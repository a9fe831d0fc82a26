/* One T.30 fax session through spandsp, over audio (G.711 samples) or over
 * T.38 (IFP packets): the glue between the media loop and spandsp.
 *
 * A faxcall knows nothing of sockets: the media loop feeds it samples or
 * IFPs and asks it for samples; T.38 packets leave through a callback. The
 * session writes into the fax_result_t given at creation (owned by the
 * caller, which must outlive the faxcall). Switching from audio to T.38
 * restarts T.30 on the new transport, as gateways do: the switch happens
 * while the machines are still greeting each other (CNG/CED/V.21). */
#ifndef FV_LINE_FAXCALL_H
#define FV_LINE_FAXCALL_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "sdp.h"

typedef struct faxcall faxcall_t;

typedef struct faxcall_cfg {
	int caller;             /* 1: calling party (sender in this tool) */
	const char *tx_file;    /* TIFF-F to send, or NULL */
	const char *rx_file;    /* where received pages go, or NULL */
	int ecm;
	int max_rate;           /* 9600 or 14400 */
	const char *ident;      /* TSI/CSI, may be NULL */
	const char *header;     /* page header info, may be NULL */
	const char *call_id;    /* for logs */
	fax_result_t *res;
	int first_page;         /* tx: 1-based first page to send (0: the first) */
	int last_page;          /* tx: 1-based last page to send (0: the last) */
	/* Per page, from phase D (see line_cfg_t.on_page); may be NULL. */
	void (*on_page)(void *ud, int page, int ok);
	void *page_ud;
} faxcall_cfg_t;

/* Sends one IFP packet; returns 0 / -1. */
typedef int faxcall_t38_tx_fn(void *ud, const uint8_t *ifp, size_t n);

/* A new, idle session; strings are copied. Never NULL. faxcall_free() it. */
faxcall_t *faxcall_new(const faxcall_cfg_t *cfg);
void faxcall_free(faxcall_t *fc);

/* Starts (or restarts) T.30 on audio. 0 / -1. */
int faxcall_start_audio(faxcall_t *fc);
/* Starts (or restarts) T.30 on T.38 with the peer's announced parameters. 0 / -1. */
int faxcall_start_t38(faxcall_t *fc, const sdp_t38_t *remote, faxcall_t38_tx_fn *tx, void *ud);

/* Audio: n received samples (amp NULL: a lost frame to fill in). */
void faxcall_audio_rx(faxcall_t *fc, const int16_t *amp, int n);
/* Audio: fills amp with n samples to send (silence when idle). */
void faxcall_audio_tx(faxcall_t *fc, int16_t *amp, int n);
/* T.38: one received IFP with its UDPTL sequence number. */
void faxcall_t38_rx(faxcall_t *fc, const uint8_t *ifp, size_t n, uint16_t seq);
/* T.38: advances timers and pacing by samples (8 kHz). */
void faxcall_t38_tick(faxcall_t *fc, int samples);

/* 1 when T.30 reached phase E (the session is over). */
int faxcall_finished(const faxcall_t *fc);
/* 1 once the fax tone of the other side was heard on audio (CNG when we
 * answer, CED or V.21 preamble when we call): the moment to offer T.38. */
int faxcall_tone_heard(const faxcall_t *fc);
/* Ends T.30 now (the call dropped); phase E runs and fills the result. */
void faxcall_hangup(faxcall_t *fc);
/* 1 when on T.38. */
int faxcall_is_t38(const faxcall_t *fc);

#endif
