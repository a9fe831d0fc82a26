/* spandsp T.30 glue (see faxcall.h). */
#include "faxcall.h"

#include <stdio.h>
#include <string.h>
#include <tiffio.h>

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES 0
#include <spandsp.h>

#include "log.h"
#include "xalloc.h"

struct faxcall {
	faxcall_cfg_t cfg;
	char *tx_file, *rx_file, *ident, *header, *call_id;
	fax_state_t *fax;
	t38_terminal_state_t *t38;
	modem_connect_tones_rx_state_t *tones;
	faxcall_t38_tx_fn *t38_tx;
	void *t38_ud;
	int finished;
	int tone_heard;
};

static void tone_cb(void *ud, int code, int level, int delay)
{
	(void)level;
	(void)delay;
	faxcall_t *fc = ud;
	if (code != MODEM_CONNECT_TONES_NONE && !fc->tone_heard) {
		fc->tone_heard = 1;
		log_event(LOG_INFO, "fax_tone", "call=%s tone=%s", fc->call_id, modem_connect_tone_to_str(code));
	}
}

static int phase_b(t30_state_t *s, void *ud, int result)
{
	(void)s;
	faxcall_t *fc = ud;
	fc->cfg.res->t30_heard = 1;
	log_event(LOG_INFO, "t30_phase_b", "call=%s frame=%s", fc->call_id, t30_frametype((uint8_t)result));
	return T30_ERR_OK;
}

static void add_page(fax_result_t *r, int page, const char *result, int bad_rows)
{
	for (int i = 0; i < r->npages; i++) {
		if (r->pages[i].page == page) {
			snprintf(r->pages[i].result, sizeof r->pages[i].result, "%s", result);
			r->pages[i].bad_rows = bad_rows;
			return;
		}
	}
	if (r->npages == FAX_PAGES_MAX)
		return;
	fax_page_res_t *p = &r->pages[r->npages++];
	p->page = page;
	snprintf(p->result, sizeof p->result, "%s", result);
	p->bad_rows = bad_rows;
}

static int phase_d(t30_state_t *s, void *ud, int result)
{
	faxcall_t *fc = ud;
	fax_result_t *r = fc->cfg.res;
	t30_stats_t st;
	t30_get_transfer_statistics(s, &st);
	r->bit_rate = st.bit_rate;
	r->ecm = st.error_correcting_mode;
	const char *fname = t30_frametype((uint8_t)result);
	if (fc->cfg.caller) {
		/* Sender: result is the receiver's answer to the page just sent.
		 * pages_tx already counts this page when it was confirmed. */
		int confirmed = (result == T30_MCF || result == T30_PIP);
		int off = fc->cfg.first_page > 1 ? fc->cfg.first_page - 1 : 0;
		int page = (confirmed ? st.pages_tx : st.pages_tx + 1) + off;
		add_page(r, page, fname, 0);
		r->pages_confirmed = st.pages_tx;
		if (page - off > r->pages_sent)
			r->pages_sent = page - off;
		log_event(LOG_INFO, "t30_page_sent", "call=%s page=%d answer=%s rate=%d ecm=%d", fc->call_id, page,
			  fname, st.bit_rate, st.error_correcting_mode);
		if (fc->cfg.on_page && (confirmed || result == T30_RTN || result == T30_PIN))
			fc->cfg.on_page(fc->cfg.page_ud, page, confirmed);
	} else {
		r->pages_received = st.pages_rx;
		add_page(r, st.pages_rx, st.bad_rows ? "BAD" : "OK", st.bad_rows);
		log_event(LOG_INFO, "t30_page_received", "call=%s page=%d command=%s bad_rows=%d rate=%d ecm=%d",
			  fc->call_id, st.pages_rx, fname, st.bad_rows, st.bit_rate, st.error_correcting_mode);
		if (fc->cfg.on_page)
			fc->cfg.on_page(fc->cfg.page_ud, st.pages_rx, st.bad_rows == 0);
	}
	return T30_ERR_OK;
}

static void phase_e(t30_state_t *s, void *ud, int code)
{
	faxcall_t *fc = ud;
	fax_result_t *r = fc->cfg.res;
	t30_stats_t st;
	t30_get_transfer_statistics(s, &st);
	r->t30_done = 1;
	r->t30_code = code;
	snprintf(r->t30_text, sizeof r->t30_text, "%s", t30_completion_code_to_str(code));
	const char *rid = t30_get_rx_ident(s);
	if (rid) {
		/* Identities are printable ASCII by T.30; keep only that. */
		size_t k = 0;
		for (const char *p = rid; *p && k < sizeof r->remote_ident - 1; p++)
			if (*p >= 0x20 && *p < 0x7f)
				r->remote_ident[k++] = *p;
		r->remote_ident[k] = '\0';
	}
	/* Rate and ECM mean something only once a page went through (phase D
	 * set them); spandsp reports its defaults otherwise. */
	if (st.pages_tx + st.pages_rx > 0 && st.bit_rate)
		r->bit_rate = st.bit_rate;
	if (fc->cfg.caller)
		r->pages_confirmed = st.pages_tx;
	else
		r->pages_received = st.pages_rx;
	fc->finished = 1;
	log_event(code == T30_ERR_OK ? LOG_INFO : LOG_WARN, "t30_phase_e", "call=%s code=%d text=\"%s\" pages_tx=%d pages_rx=%d",
		  fc->call_id, code, r->t30_text, st.pages_tx, st.pages_rx);
}

faxcall_t *faxcall_new(const faxcall_cfg_t *cfg)
{
	faxcall_t *fc = xcalloc(1, sizeof *fc);
	fc->cfg = *cfg;
	fc->tx_file = cfg->tx_file ? xstrdup(cfg->tx_file) : NULL;
	fc->rx_file = cfg->rx_file ? xstrdup(cfg->rx_file) : NULL;
	fc->ident = xstrdup(cfg->ident ? cfg->ident : "");
	fc->header = cfg->header ? xstrdup(cfg->header) : NULL;
	fc->call_id = xstrdup(cfg->call_id ? cfg->call_id : "-");
	snprintf(cfg->res->local_ident, sizeof cfg->res->local_ident, "%s", fc->ident);
	return fc;
}

static void stop_engines(faxcall_t *fc)
{
	if (fc->fax) {
		t30_state_t *t = fax_get_t30_state(fc->fax);
		t30_set_phase_b_handler(t, NULL, NULL);
		t30_set_phase_d_handler(t, NULL, NULL);
		t30_set_phase_e_handler(t, NULL, NULL);
		fax_free(fc->fax);
		fc->fax = NULL;
	}
	if (fc->t38) {
		t30_state_t *t = t38_terminal_get_t30_state(fc->t38);
		t30_set_phase_b_handler(t, NULL, NULL);
		t30_set_phase_d_handler(t, NULL, NULL);
		t30_set_phase_e_handler(t, NULL, NULL);
		t38_terminal_free(fc->t38);
		fc->t38 = NULL;
	}
	if (fc->tones) {
		modem_connect_tones_rx_free(fc->tones);
		fc->tones = NULL;
	}
}

void faxcall_free(faxcall_t *fc)
{
	if (!fc)
		return;
	stop_engines(fc);
	free(fc->tx_file);
	free(fc->rx_file);
	free(fc->ident);
	free(fc->header);
	free(fc->call_id);
	free(fc);
}

static void setup_t30(faxcall_t *fc, t30_state_t *t)
{
	t30_set_tx_ident(t, fc->ident);
	if (fc->header)
		t30_set_tx_page_header_info(t, fc->header);
	t30_set_ecm_capability(t, fc->cfg.ecm);
	int comp = T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION;
	if (fc->cfg.ecm)
		comp |= T30_SUPPORT_T6_COMPRESSION;
	t30_set_supported_compressions(t, comp);
	int modems = T30_SUPPORT_V27TER | T30_SUPPORT_V29;
	if (fc->cfg.max_rate > 9600)
		modems |= T30_SUPPORT_V17;
	t30_set_supported_modems(t, modems);
	t30_set_supported_resolutions(t, T30_SUPPORT_STANDARD_RESOLUTION | T30_SUPPORT_FINE_RESOLUTION |
					     T30_SUPPORT_SUPERFINE_RESOLUTION | T30_SUPPORT_R8_RESOLUTION);
	t30_set_supported_image_sizes(t, T30_SUPPORT_US_LETTER_LENGTH | T30_SUPPORT_US_LEGAL_LENGTH |
					     T30_SUPPORT_UNLIMITED_LENGTH | T30_SUPPORT_215MM_WIDTH |
					     T30_SUPPORT_255MM_WIDTH | T30_SUPPORT_303MM_WIDTH);
	t30_set_phase_b_handler(t, phase_b, fc);
	t30_set_phase_d_handler(t, phase_d, fc);
	t30_set_phase_e_handler(t, phase_e, fc);
	/* spandsp counts pages from 0, both ends inclusive; -1: no limit. */
	if (fc->tx_file)
		t30_set_tx_file(t, fc->tx_file, fc->cfg.first_page > 0 ? fc->cfg.first_page - 1 : -1,
				fc->cfg.last_page > 0 ? fc->cfg.last_page - 1 : -1);
	if (fc->rx_file)
		t30_set_rx_file(t, fc->rx_file, -1);
}

int faxcall_start_audio(faxcall_t *fc)
{
	stop_engines(fc);
	fc->fax = fax_init(NULL, fc->cfg.caller);
	if (!fc->fax)
		return -1;
	fax_set_transmit_on_idle(fc->fax, 1);
	fax_set_tep_mode(fc->fax, 0);
	setup_t30(fc, fax_get_t30_state(fc->fax));
	fc->tones = modem_connect_tones_rx_init(NULL,
						fc->cfg.caller ? MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE
							       : MODEM_CONNECT_TONES_FAX_CNG,
						tone_cb, fc);
	snprintf(fc->cfg.res->transport, sizeof fc->cfg.res->transport, "g711");
	return 0;
}

static int t38_tx_cb(t38_core_state_t *s, void *ud, const uint8_t *buf, int len, int count)
{
	(void)s;
	(void)count; /* redundancy of the UDPTL layer replaces repeated sends */
	faxcall_t *fc = ud;
	if (len <= 0 || !fc->t38_tx)
		return -1;
	return fc->t38_tx(fc->t38_ud, buf, (size_t)len);
}

int faxcall_start_t38(faxcall_t *fc, const sdp_t38_t *remote, faxcall_t38_tx_fn *tx, void *ud)
{
	stop_engines(fc);
	fc->t38_tx = tx;
	fc->t38_ud = ud;
	fc->t38 = t38_terminal_init(NULL, fc->cfg.caller, t38_tx_cb, fc);
	if (!fc->t38)
		return -1;
	t38_core_state_t *core = t38_terminal_get_t38_core_state(fc->t38);
	/* We announce T38FaxVersion 0 and speak version 0 whatever the peer
	 * announces: every version is required to understand version 0 IFPs. */
	t38_set_t38_version(core, 0);
	int rate = fc->cfg.max_rate > 9600 ? 14400 : 9600;
	if (remote && remote->max_bit_rate > 0 && remote->max_bit_rate < rate)
		rate = remote->max_bit_rate;
	t38_set_fastest_image_data_rate(core, rate);
	/* 1: local TCF, 2: transferred TCF (T.38 §8.3) */
	t38_set_data_rate_management_method(core, remote && !remote->rate_transferred ? 1 : 2);
	if (remote && remote->max_datagram > 0)
		t38_set_max_datagram_size(core, remote->max_datagram);
	t38_terminal_set_config(fc->t38, 0);
	t38_terminal_set_tep_mode(fc->t38, 0);
	setup_t30(fc, t38_terminal_get_t30_state(fc->t38));
	snprintf(fc->cfg.res->transport, sizeof fc->cfg.res->transport, "t38");
	fc->cfg.res->t38_switches++;
	return 0;
}

void faxcall_audio_rx(faxcall_t *fc, const int16_t *amp, int n)
{
	if (!fc->fax)
		return;
	if (amp) {
		if (fc->tones && !fc->tone_heard)
			modem_connect_tones_rx(fc->tones, amp, n);
		fax_rx(fc->fax, (int16_t *)amp, n);
	} else {
		fax_rx_fillin(fc->fax, n);
	}
}

void faxcall_audio_tx(faxcall_t *fc, int16_t *amp, int n)
{
	int got = fc->fax ? fax_tx(fc->fax, amp, n) : 0;
	if (got < 0)
		got = 0;
	if (got < n)
		memset(amp + got, 0, (size_t)(n - got) * sizeof *amp);
}

void faxcall_t38_rx(faxcall_t *fc, const uint8_t *ifp, size_t n, uint16_t seq)
{
	if (!fc->t38 || n == 0 || n > 65535)
		return;
	t38_core_rx_ifp_packet(t38_terminal_get_t38_core_state(fc->t38), ifp, (int)n, seq);
}

void faxcall_t38_tick(faxcall_t *fc, int samples)
{
	if (fc->t38)
		t38_terminal_send_timeout(fc->t38, samples);
}

int faxcall_finished(const faxcall_t *fc)
{
	return fc->finished;
}

int faxcall_tone_heard(const faxcall_t *fc)
{
	return fc->tone_heard;
}

int faxcall_is_t38(const faxcall_t *fc)
{
	return fc->t38 != NULL;
}

void faxcall_hangup(faxcall_t *fc)
{
	if (fc->finished)
		return;
	t30_state_t *t = fc->fax ? fax_get_t30_state(fc->fax) : fc->t38 ? t38_terminal_get_t30_state(fc->t38) : NULL;
	if (t)
		t30_terminate(t);
	if (!fc->finished) {
		/* No T.30 running (or it did not report): close the result ourselves. */
		fax_result_t *r = fc->cfg.res;
		r->t30_done = 1;
		if (r->t30_code < 0 || r->t30_code == T30_ERR_OK)
			r->t30_code = T30_ERR_CALLDROPPED;
		snprintf(r->t30_text, sizeof r->t30_text, "%s", t30_completion_code_to_str(r->t30_code));
		fc->finished = 1;
	}
}
