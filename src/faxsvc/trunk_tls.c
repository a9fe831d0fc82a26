/* A trunk's own client certificate as files for the engine (see trunk_tls.h). */
#include "trunk_tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"

static int pem_memfd(const char *name, const char *pem, char *path, size_t cap)
{
	int m = memfd_create(name, MFD_CLOEXEC);
	if (m < 0)
		return -1;
	if (fd_write_all(m, pem, strlen(pem)) != 0) {
		close(m);
		return -1;
	}
	snprintf(path, cap, "/proc/self/fd/%d", m);
	return m;
}

int trunk_tls_open(const json_t *trunk, trunk_tls_t *t)
{
	*t = (trunk_tls_t){ .cert_fd = -1, .key_fd = -1 };
	const char *cert = json_string_value(json_object_get(trunk, "tls_cert"));
	const char *key = json_string_value(json_object_get(trunk, "tls_key"));
	if (!cert || !*cert || !key || !*key)
		return 0;
	t->cert_fd = pem_memfd("trunk-cert", cert, t->cert, sizeof t->cert);
	t->key_fd = t->cert_fd >= 0 ? pem_memfd("trunk-key", key, t->key, sizeof t->key) : -1;
	if (t->key_fd < 0) {
		log_event(LOG_ERROR, "fax.trunk_tls_failed", "trunk=%s err=\"%s\"",
			json_string_value(json_object_get(trunk, "id")) ?: "-", strerror(errno));
		trunk_tls_close(t);
		return -1;
	}
	return 1;
}

void trunk_tls_close(trunk_tls_t *t)
{
	if (t->cert_fd >= 0)
		close(t->cert_fd);
	if (t->key_fd >= 0)
		close(t->key_fd);
	*t = (trunk_tls_t){ .cert_fd = -1, .key_fd = -1 };
}
