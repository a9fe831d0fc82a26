/* faxvault-fax resolve: where a trunk's peer resolves to (RFC 3263,
 * src/line/resolve.h), as the fax service would dial it. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "faxtool.h"
#include "resolve.h"
#include "result.h"

/* A comma list of names into a mask; -1 on an unknown name. */
static int mask_of(const char *list, const char *const names[], const int bits[], int n)
{
	int m = 0;
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s", list);
	for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = 0;
		for (int i = 0; i < n; i++)
			if (strcmp(tok, names[i]) == 0) {
				m |= bits[i];
				found = 1;
			}
		if (!found)
			return -1;
	}
	return m;
}

int faxtool_resolve(int argc, char **argv)
{
	static const char *const tnames[] = { "udp", "tcp", "tls" };
	static const int tbits[] = { RESOLVE_UDP, RESOLVE_TCP, RESOLVE_TLS };
	static const char *const fnames[] = { "4", "6" };
	static const int fbits[] = { RESOLVE_V4, RESOLVE_V6 };
	const char *peer = NULL;
	int transports = RESOLVE_UDP | RESOLVE_TCP | RESOLVE_TLS, families = RESOLVE_V4 | RESOLVE_V6;
	int primary = 0; /* the first of udp, tcp, tls in transports */
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--transports") == 0 && v) {
			transports = mask_of(v, tnames, tbits, 3);
			i++;
		} else if (strcmp(argv[i], "--transport") == 0 && v) {
			primary = mask_of(v, tnames, tbits, 3);
			if (primary != RESOLVE_UDP && primary != RESOLVE_TCP && primary != RESOLVE_TLS)
				primary = -1;
			i++;
		} else if (strcmp(argv[i], "--families") == 0 && v) {
			families = mask_of(v, fnames, fbits, 2);
			i++;
		} else if (argv[i][0] != '-' && !peer) {
			peer = argv[i];
		} else {
			fprintf(stderr, "faxvault-fax resolve: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (!peer || transports <= 0 || families <= 0 || primary < 0) {
		fprintf(stderr, "usage: faxvault-fax resolve PEER [--transport udp|tcp|tls] [--transports udp,tcp,tls] "
				"[--families 4,6]\n");
		return 2;
	}
	resolve_answer_t a;
	char err[160];
	int rc = primary ? resolve_lookup_via(peer, primary, transports, families, &a, err, sizeof err)
			 : resolve_lookup(peer, transports, families, &a, err, sizeof err);
	buf_t o;
	buf_init(&o, 1 << 16);
	if (rc != 0) {
		static const char *const codes[] = { "", "syntax", "nxdomain", "no_target", "dns" };
		buf_printf(&o, "{\"error\":\"%s\",\"reason\":", codes[-rc]);
		json_str(&o, err);
		buf_puts(&o, "}\n");
	} else {
		buf_printf(&o, "{\"how\":\"%s\",\"ttl\":%d,\"targets\":[", a.how, a.ttl);
		for (int i = 0; i < a.n; i++) {
			const resolve_target_t *t = &a.t[i];
			buf_printf(&o, "%s{\"host\":", i ? "," : "");
			json_str(&o, t->host);
			buf_printf(&o, ",\"address\":\"%s\",\"port\":%d,\"family\":%d,\"transport\":\"%s\",\"priority\":%d,"
				       "\"weight\":%d}",
				t->addr, t->port, t->family, resolve_transport_name(t->transport), t->priority, t->weight);
		}
		buf_puts(&o, "]}\n");
	}
	fwrite(o.data, 1, o.len, stdout);
	buf_free(&o);
	return rc == 0 ? 0 : rc == RESOLVE_ERR_SYNTAX ? 2 : 1;
}
