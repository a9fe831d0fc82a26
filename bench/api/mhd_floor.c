/* SPDX-License-Identifier: AGPL-3.0-or-later
 * bench/api's floor (a): libmicrohttpd alone, set up as faxvaultd's HTTP
 * front end sets it up (src/api/httpd.c: an internal epoll thread per
 * pool thread, http.threads of them), answering every request with the
 * same bytes and headers as the measured route, with no service behind.
 * No faxvault code: what is left between this and nginx is
 * libmicrohttpd's own cost.
 *
 * Usage: mhd_floor PORT THREADS BODY_FILE   (runs until killed) */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *body;
static size_t body_len;

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *upload, size_t *upload_size,
	void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	if (!*con_cls) {
		*con_cls = conn;
		return MHD_YES;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(body_len, body,
		MHD_RESPMEM_PERSISTENT);
	/* The headers faxvaultd's answer carries. */
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "X-Request-Id", "00000000-0000-4000-8000-000000000000");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "ETag", "\"0000000000000000\"");
	enum MHD_Result rc = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mhd_floor PORT THREADS BODY_FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[3], "rb");
	if (!f)
		return 1;
	body = malloc(1 << 20);
	body_len = fread(body, 1, 1 << 20, f);
	fclose(f);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			MHD_USE_ITC | MHD_USE_ERROR_LOG,
		(uint16_t)atoi(argv[1]), NULL, NULL, on_access, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]),
		MHD_OPTION_CONNECTION_LIMIT, 1000u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
		MHD_OPTION_END);
	if (!d)
		return 1;
	for (;;)
		pause();
}
