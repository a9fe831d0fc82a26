/* The result of one fax call: what happened, in a form the retry policy and
 * people can both read (JSON), with a stable failure class.
 *
 * Classes: "busy", "no_answer", "rejected" (SIP refused the call),
 * "not_a_fax" (answered, but no T.30 peer was heard), "t30_error" (T.30
 * failed before any page was confirmed), "partial" (some pages confirmed,
 * not all), "network" (no route, peer vanished, media stopped). A call is
 * "done" only when T.30 ended well and every page was confirmed. */
#ifndef FV_LINE_RESULT_H
#define FV_LINE_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define FAX_PAGES_MAX 256
#define FAX_IDENT_MAX 24

typedef struct fax_page_res {
	int page;
	char result[8];  /* MCF, RTP, RTN, PIP, PIN for sent pages; OK/BAD received */
	int bad_rows;
} fax_page_res_t;

typedef struct fax_result {
	char call_id[128];
	int outbound;
	/* SIP */
	int sip_status;         /* final response to our INVITE (or ours to theirs) */
	int answered;
	int network_error;      /* no route, ICMP, media silence, peer vanished */
	int remote_hangup;      /* BYE from the peer before T.30 finished */
	/* media */
	char transport[8];      /* "g711", "t38" or "" */
	char codec[8];          /* "PCMU", "PCMA" */
	int t38_refused;        /* a T.38 re-INVITE was answered 488/606 */
	int t38_switches;
	/* T.30 */
	int t30_heard;          /* phase B reached: a fax peer answered */
	int t30_done;           /* phase E reached */
	int t30_code;
	char t30_text[128];
	char remote_ident[FAX_IDENT_MAX];
	char local_ident[FAX_IDENT_MAX];
	int bit_rate;
	int ecm;
	int pages_total;        /* outbound: pages in the document */
	int pages_sent;
	int pages_confirmed;    /* outbound: answered MCF (or PIP) */
	int pages_received;     /* inbound */
	fax_page_res_t pages[FAX_PAGES_MAX];
	int npages;
	/* media counters (diagnostics) */
	unsigned bad_packets;    /* undecodable RTP/UDPTL datagrams */
	unsigned lost_frames;    /* audio frames declared lost (filled in) */
	unsigned late_frames;    /* audio frames too late or duplicate */
	unsigned ifp_recovered;  /* T.38 IFPs rebuilt from redundancy */
	unsigned ifp_lost;       /* T.38 IFPs lost beyond redundancy */
	unsigned packets_sent;     /* media datagrams (RTP or UDPTL) sent */
	unsigned packets_received; /* media datagrams received (bad ones included) */
	unsigned foreign_packets;  /* received from a source not the peer's: dropped unread
				    * (a stranger, or a NAT peer's source before it was learnt) */
	int64_t start_ms;
	int64_t duration_ms;
	char file[512];
	/* who: outbound, the user part of the target URI and our From user;
	 * inbound, the user parts of the Request-URI and of From (peer text,
	 * printable ASCII only, truncated to 63 bytes) */
	char to_user[64];
	char from_user[64];
	int first_page;         /* outbound: page of the document sent first (1-based) */
	void *call_ud;          /* inbound: what line_cfg_t.accept gave for this call; else NULL */
	/* SIP over TCP/TLS: why the connection to the peer failed before
	 * anything was answered ("tls: certificate refused (...)"); the
	 * class is then network, with this as its reason. "" otherwise. */
	char link_error[128];
	/* outbound: the realm of the digest challenge (401/407) our INVITE
	 * met, answered or not ("" none): a caller holding the password but
	 * not the HA1 for it learns it here (line_cfg_t.ha1_realm). */
	char auth_realm[128];
	/* filled by fax_result_classify */
	int ok;
	char fail_class[16];
	char reason[160];       /* person-readable */
} fax_result_t;

void fax_result_init(fax_result_t *r, int outbound);
/* Sets ok, fail_class and reason from the other fields (pure). */
void fax_result_classify(fax_result_t *r);
/* Appends the JSON object (one line). 0 / -1. */
int fax_result_json(const fax_result_t *r, buf_t *out);
/* Appends s as a JSON string literal (quotes included, escaped). */
int json_str(buf_t *out, const char *s);

#endif
