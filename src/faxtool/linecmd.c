/* faxvault-fax send / receive: options to a line_cfg_t, results to JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "faxtool.h"
#include "line.h"
#include "log.h"
#include "numparse.h"
#include "siptrans.h"
#include "xalloc.h"

/* Options shared by send and receive. Returns 1 when argv[*i] was one
 * (consuming its value), 0 when not, -1 on a bad value. */
static int common_opt(line_cfg_t *cfg, int argc, char **argv, int *i, const char **replay_path)
{
	const char *a = argv[*i];
	const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	int64_t n;
	double d;
	char *end;
	if (strcmp(a, "--t38") == 0)
		cfg->t38 = 1;
	else if (strcmp(a, "--no-t38") == 0)
		cfg->t38 = 0;
	else if (strcmp(a, "--t38-accept-only") == 0)
		cfg->t38 = 2; /* switch when the peer asks, never ask ourselves */
	else if (strcmp(a, "--ecm") == 0)
		cfg->ecm = 1;
	else if (strcmp(a, "--no-ecm") == 0)
		cfg->ecm = 0;
	else if (strcmp(a, "--max-rate") == 0) {
		if (!v || parse_i64z(v, 2400, 14400, &n) != 0 || (n != 9600 && n != 14400)) {
			fprintf(stderr, "faxvault-fax: --max-rate takes 9600 or 14400\n");
			return -1;
		}
		cfg->max_rate = (int)n;
		(*i)++;
	} else if (strcmp(a, "--ident") == 0 && v) {
		if (strlen(v) > 20) {
			fprintf(stderr, "faxvault-fax: --ident is at most 20 characters (T.30)\n");
			return -1;
		}
		cfg->ident = v;
		(*i)++;
	} else if (strcmp(a, "--header") == 0 && v) {
		cfg->header = v;
		(*i)++;
	} else if (strcmp(a, "--clock-speed") == 0 && v) {
		/* Tests only: runs the media clock N times faster than real time. */
		errno = 0;
		d = strtod(v, &end);
		if (errno || *end || d < 0.1 || d > 200) {
			fprintf(stderr, "faxvault-fax: --clock-speed takes 0.1..200\n");
			return -1;
		}
		cfg->clock_speed = d;
		(*i)++;
	} else if (strcmp(a, "--media-threads") == 0) {
		if (!v || parse_i64z(v, 0, 64, &n) != 0) {
			fprintf(stderr, "faxvault-fax: --media-threads takes 0..64\n");
			return -1;
		}
		cfg->media_threads = (int)n;
		(*i)++;
	} else if (strcmp(a, "--media-priority") == 0) {
		if (!v || parse_i64z(v, 0, 99, &n) != 0) {
			fprintf(stderr, "faxvault-fax: --media-priority takes 0..99\n");
			return -1;
		}
		cfg->media_priority = (int)n;
		(*i)++;
	} else if (strcmp(a, "--log") == 0 && v) {
		if (log_open(v) != 0) {
			fprintf(stderr, "faxvault-fax: cannot open log %s\n", v);
			return -1;
		}
		(*i)++;
	} else if (strcmp(a, "--quiet") == 0) {
		log_set_level(LOG_WARN);
	} else if (strcmp(a, "--transport") == 0) {
		int t = siptrans_proto_parse(v);
		if (t < 0) {
			fprintf(stderr, "faxvault-fax: --transport takes udp, tcp or tls\n");
			return -1;
		}
		cfg->sip_transport = t;
		(*i)++;
	} else if (strcmp(a, "--tls-ca") == 0 && v) {
		cfg->tls_ca = v; /* PEM: the CAs trusted for the peer's certificate */
		(*i)++;
	} else if (strcmp(a, "--tls-cert") == 0 && v) {
		cfg->tls_cert = v; /* PEM: ours (receive: the listener's; send: a client certificate) */
		(*i)++;
	} else if (strcmp(a, "--tls-key") == 0 && v) {
		cfg->tls_key = v;
		(*i)++;
	} else if (strcmp(a, "--tls-name") == 0 && v) {
		cfg->tls_name = v; /* the name the peer's certificate must hold */
		(*i)++;
	} else if (strcmp(a, "--shared-media") == 0) {
		cfg->media_shared = 1; /* one media socket per media thread */
	} else if (strcmp(a, "--symmetric-media") == 0) {
		cfg->symmetric_media = 1; /* our media to where the peer's comes from (NAT) */
	} else if (strcmp(a, "--public-address") == 0 && v) {
		if (strlen(v) > 63) {
			fprintf(stderr, "faxvault-fax: --public-address is at most 63 characters\n");
			return -1;
		}
		cfg->public_address = v; /* behind NAT: the address our SIP and SDP give */
		(*i)++;
	} else if (strcmp(a, "--record") == 0 && v) {
		cfg->record_path = v; /* benchmarks: the audio the first call sent */
		(*i)++;
	} else if (strcmp(a, "--replay") == 0 && v) {
		*replay_path = v; /* benchmarks: every call sends that audio instead of T.30 */
		(*i)++;
	} else {
		return 0;
	}
	return 1;
}

static void env_speed(line_cfg_t *cfg)
{
	const char *s = getenv("FV_LINE_CLOCK_SPEED");
	if (s) {
		char *end;
		double d = strtod(s, &end);
		if (!*end && d >= 0.1 && d <= 200)
			cfg->clock_speed = d;
	}
}

typedef struct rx_ctx {
	int failed;
	int calls;
} rx_ctx_t;

static void print_result(void *ud, const fax_result_t *r)
{
	rx_ctx_t *x = ud;
	x->calls++;
	if (!r->ok)
		x->failed++;
	buf_t out;
	buf_init(&out, 1 << 20);
	fax_result_json(r, &out);
	printf("%s\n", out.data ? out.data : "{}");
	fflush(stdout);
	buf_free(&out);
}

#define REPLAY_MAX (160u * 50 * 3600) /* an hour of 20 ms frames */

/* Reads a recording made with --record (G.711 frames of 160 bytes) into
 * cfg's replay (audio only: T.38 off). The caller frees *out once the
 * engine returned. 0, or -1 with a message printed. */
static int load_replay(line_cfg_t *cfg, const char *path, uint8_t **out)
{
	buf_t b;
	buf_init(&b, REPLAY_MAX);
	if (buf_read_file(&b, path) != 0) {
		fprintf(stderr, "faxvault-fax: cannot read %s: %s\n", path,
			errno == EFBIG ? "larger than a recording of an hour" : strerror(errno));
		buf_free(&b);
		return -1;
	}
	if (b.len < 160 || b.len % 160) {
		fprintf(stderr, "faxvault-fax: %s is not a recording (160-byte G.711 frames)\n", path);
		buf_free(&b);
		return -1;
	}
	cfg->replay_frames = b.len / 160;
	*out = (uint8_t *)buf_steal(&b);
	cfg->replay = *out;
	cfg->t38 = 0;
	return 0;
}

int faxtool_send(int argc, char **argv)
{
	line_cfg_t cfg;
	line_cfg_defaults(&cfg);
	env_speed(&cfg);
	const char *replay_path = NULL;
	const char *target = NULL, *file = NULL;
	int ncalls = 1;
	for (int i = 1; i < argc; i++) {
		int r = common_opt(&cfg, argc, argv, &i, &replay_path);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t n;
		if (strcmp(a, "--user") == 0 && v) {
			cfg.user = v;
			i++;
		} else if (strcmp(a, "--from") == 0 && v) {
			cfg.from_user = v;
			i++;
		} else if (strcmp(a, "--bind") == 0 && v) {
			cfg.listen = v;
			i++;
		} else if (strcmp(a, "--ring-timeout") == 0 && v && parse_i64z(v, 1, 600, &n) == 0) {
			cfg.ring_ms = (int)n * 1000;
			i++;
		} else if (strcmp(a, "--calls") == 0 && v && parse_i64z(v, 1, LINE_CALLS_MAX / 2, &n) == 0) {
			ncalls = (int)n; /* that many calls at once (load tests, benchmarks) */
			i++;
		} else if (strcmp(a, "--refresh-ms") == 0 && v && parse_i64z(v, 100, 3600000, &n) == 0) {
			cfg.refresh_ms = (int)n; /* session refresh re-INVITEs (tests) */
			i++;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "faxvault-fax send: unknown option %s\n", a);
			return 2;
		} else if (!target) {
			target = a;
		} else if (!file) {
			file = a;
		} else {
			fprintf(stderr, "faxvault-fax send: too many arguments\n");
			return 2;
		}
	}
	if (!target || !file) {
		fprintf(stderr, "usage: faxvault-fax send sip:NUMBER@HOST[:PORT] FILE.tif [options]\n");
		return 2;
	}
	cfg.password = getenv("FV_SIP_PASSWORD");
	uint8_t *replay = NULL;
	if (replay_path && load_replay(&cfg, replay_path, &replay) != 0)
		return 2;
	if (ncalls > 1 || replay) {
		rx_ctx_t x = {0};
		char err[160];
		int rc = line_send_many(&cfg, target, file, ncalls, print_result, &x, err, sizeof err);
		free(replay);
		if (rc != 0) {
			fprintf(stderr, "faxvault-fax send: %s\n", err);
			return 2;
		}
		return x.failed || x.calls != ncalls ? 1 : 0;
	}
	fax_result_t *res = xcalloc(1, sizeof *res);
	int rc = line_send(&cfg, target, file, res);
	if (rc != 0) {
		fprintf(stderr, "faxvault-fax send: %s\n", res->reason);
		free(res);
		return 2;
	}
	buf_t out;
	buf_init(&out, 1 << 20);
	fax_result_json(res, &out);
	printf("%s\n", out.data ? out.data : "{}");
	buf_free(&out);
	int ok = res->ok;
	free(res);
	return ok ? 0 : 1;
}

static void on_result(void *ud, const fax_result_t *r)
{
	rx_ctx_t *x = ud;
	x->calls++;
	if (!r->ok)
		x->failed++;
	buf_t out;
	buf_init(&out, 1 << 20);
	fax_result_json(r, &out);
	printf("%s\n", out.data ? out.data : "{}");
	fflush(stdout);
	if (r->file[0]) {
		/* The JSON sits next to the TIFF: same name, .json. */
		char path[600];
		size_t n = strlen(r->file);
		if (n > 4 && n < sizeof path - 2) {
			memcpy(path, r->file, n - 4);
			memcpy(path + n - 4, ".json", 6);
			char tmp[620];
			snprintf(tmp, sizeof tmp, "%s.tmp", path);
			FILE *f = fopen(tmp, "w");
			if (f) {
				fprintf(f, "%s\n", out.data ? out.data : "{}");
				if (fclose(f) == 0)
					rename(tmp, path);
			}
		}
	}
	buf_free(&out);
}

int faxtool_receive(int argc, char **argv)
{
	line_cfg_t cfg;
	line_cfg_defaults(&cfg);
	env_speed(&cfg);
	const char *replay_path = NULL;
	for (int i = 1; i < argc; i++) {
		int r = common_opt(&cfg, argc, argv, &i, &replay_path);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t n;
		if (strcmp(a, "--listen") == 0 && v) {
			cfg.listen = v;
			i++;
		} else if (strcmp(a, "--out") == 0 && v) {
			cfg.out_dir = v;
			i++;
		} else if (strcmp(a, "--calls") == 0 && v && parse_i64z(v, 0, 1000000, &n) == 0) {
			cfg.calls = (int)n;
			i++;
		} else if (strcmp(a, "--drop-after-pages") == 0 && v && parse_i64z(v, 1, 1000, &n) == 0) {
			cfg.drop_after_pages = (int)n; /* tests: hang up after N pages */
			i++;
		} else {
			fprintf(stderr, "faxvault-fax receive: unknown option or missing value: %s\n", a);
			return 2;
		}
	}
	if (!cfg.listen || !cfg.out_dir) {
		fprintf(stderr, "usage: faxvault-fax receive --listen IP:PORT --out DIR [options]\n");
		return 2;
	}
	/* The output folder is made when missing (received faxes are private:
	 * mode 0700); anything else in its place is an error. */
	struct stat st;
	if (stat(cfg.out_dir, &st) != 0 && errno == ENOENT && mkdir(cfg.out_dir, 0700) != 0) {
		fprintf(stderr, "faxvault-fax receive: cannot create %s: %s\n", cfg.out_dir, strerror(errno));
		return 2;
	}
	if (stat(cfg.out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "faxvault-fax receive: %s is not a directory\n", cfg.out_dir);
		return 2;
	}
	uint8_t *replay = NULL;
	if (replay_path && load_replay(&cfg, replay_path, &replay) != 0)
		return 2;
	rx_ctx_t x = {0};
	int rc = line_receive(&cfg, on_result, &x);
	free(replay);
	if (rc != 0) {
		fprintf(stderr, "faxvault-fax receive: cannot listen on %s\n", cfg.listen);
		return 2;
	}
	return x.failed ? 1 : 0;
}
