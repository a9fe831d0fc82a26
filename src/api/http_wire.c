/* The HTTP front end's messages (see http_wire.h). */
#include "http_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "xalloc.h"

/* RFC 9110 tchar. */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		(c && strchr("!#$%&'*+-.^_`|~", c));
}

bool http_wire_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > HTTPF_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!tchar((unsigned char)s[i]))
			return false;
	return true;
}

bool http_wire_value_ok(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

/* A numeric IPv4 or IPv6 address, or "unknown". */
static bool peer_ok(const char *s)
{
	unsigned char b[16];
	return strcmp(s, "unknown") == 0 || inet_pton(AF_INET, s, b) == 1 ||
		inet_pton(AF_INET6, s, b) == 1;
}

int http_wire_request_encode(struct ipc_out *o, uint64_t id, const http_in_t *in)
{
	if (id == 0 || !http_wire_name_ok(in->method) || strlen(in->method) > HTTPF_METHOD_MAX ||
	    !peer_ok(in->peer) || in->nheaders > HTTPF_HEADERS_MAX || in->nargs > HTTPF_ARGS_MAX ||
	    (in->listener != HTTP_LISTENER_API && in->listener != HTTP_LISTENER_METRICS)) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < in->nheaders; i++)
		if (!http_wire_name_ok(in->headers[i].name) || !http_wire_value_ok(in->headers[i].value)) {
			errno = EINVAL;
			return -1;
		}
	ipc_out_init(o, HTTPF_REQUEST, id);
	ipc_put_u8(o, (uint8_t)in->listener);
	ipc_put_u8(o, (uint8_t)((in->too_large ? HTTPF_TOO_LARGE : 0) |
		(in->refused_early ? HTTPF_REFUSED_EARLY : 0)));
	int64_t rn = in->recv_ns < 0 ? 0 : in->recv_ns > HTTPF_RECV_NS_MAX ? HTTPF_RECV_NS_MAX
		: in->recv_ns;
	ipc_put_u64(o, (uint64_t)rn);
	ipc_put_u64(o, in->body ? in->len : 0);
	ipc_put_str(o, in->method);
	ipc_put_str(o, in->url);
	ipc_put_str(o, in->peer);
	ipc_put_u32(o, (uint32_t)in->nheaders);
	for (size_t i = 0; i < in->nheaders; i++) {
		ipc_put_str(o, in->headers[i].name);
		ipc_put_str(o, in->headers[i].value);
	}
	ipc_put_u32(o, (uint32_t)in->nargs);
	for (size_t i = 0; i < in->nargs; i++) {
		ipc_put_str(o, in->args[i].name);
		ipc_put_str(o, in->args[i].value);
	}
	if (o->failed) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* A string without NUL, copied NUL-terminated into w->strings. */
static const char *get_string(struct ipc_reader *r, http_wire_req_t *w)
{
	const uint8_t *p;
	size_t n;
	if (ipc_get_bytes(r, &p, &n, IPC_PAYLOAD_MAX) != 0 || memchr(p, 0, n) ||
	    w->used + n + 1 > sizeof w->strings)
		return NULL;
	char *s = w->strings + w->used;
	memcpy(s, p, n);
	s[n] = '\0';
	w->used += n + 1;
	return s;
}

int http_wire_request_decode(const struct ipc_msg *msg, http_wire_req_t *w)
{
	memset(&w->in, 0, sizeof w->in);
	w->used = 0;
	w->body_len = 0;
	if (msg->type != HTTPF_REQUEST || msg->id == 0)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, msg);
	uint8_t listener = 0, flags = 0;
	uint64_t recv_ns = 0;
	uint32_t nh = 0, na = 0;
	if (ipc_get_u8(&r, &listener) != 0 || ipc_get_u8(&r, &flags) != 0 ||
	    ipc_get_u64(&r, &recv_ns) != 0 || ipc_get_u64(&r, &w->body_len) != 0 ||
	    ipc_get_str(&r, w->method, sizeof w->method, HTTPF_METHOD_MAX) != 0)
		return -1;
	if ((listener != HTTP_LISTENER_API && listener != HTTP_LISTENER_METRICS) ||
	    (flags & ~(unsigned)(HTTPF_TOO_LARGE | HTTPF_REFUSED_EARLY)) ||
	    recv_ns > (uint64_t)HTTPF_RECV_NS_MAX || !http_wire_name_ok(w->method))
		return -1;
	const char *url = get_string(&r, w);
	if (!url || ipc_get_str(&r, w->peer, sizeof w->peer, HTTPF_PEER_MAX) != 0 ||
	    !peer_ok(w->peer) || ipc_get_u32(&r, &nh) != 0 || nh > HTTPF_HEADERS_MAX)
		return -1;
	for (uint32_t i = 0; i < nh; i++) {
		const char *k = get_string(&r, w), *v = k ? get_string(&r, w) : NULL;
		if (!v || !http_wire_name_ok(k) || !http_wire_value_ok(v))
			return -1;
		w->headers[i] = (http_kv_t){ k, v };
	}
	if (ipc_get_u32(&r, &na) != 0 || na > HTTPF_ARGS_MAX)
		return -1;
	for (uint32_t i = 0; i < na; i++) {
		const char *k = get_string(&r, w), *v = k ? get_string(&r, w) : NULL;
		if (!v)
			return -1;
		w->args[i] = (http_kv_t){ k, v };
	}
	if (ipc_reader_end(&r) != 0)
		return -1;
	/* A request refused from its declared length carries no body. */
	if ((flags & (HTTPF_TOO_LARGE | HTTPF_REFUSED_EARLY)) && w->body_len)
		return -1;
	w->in = (http_in_t){ .method = w->method, .url = url, .peer = w->peer,
		.headers = w->headers, .nheaders = nh, .args = w->args, .nargs = na,
		.too_large = flags & HTTPF_TOO_LARGE, .refused_early = flags & HTTPF_REFUSED_EARLY,
		.recv_ns = (int64_t)recv_ns, .listener = listener };
	return 0;
}

int http_wire_request_check(const struct ipc_msg *msg, http_wire_req_t *w)
{
	if (http_wire_request_decode(msg, w) != 0)
		return -1;
	return msg->nfds == (w->body_len ? 1u : 0u) ? 0 : -1;
}

int http_wire_body_read(const http_wire_req_t *w, int fd, size_t max, uint8_t **body)
{
	*body = NULL;
	struct stat st;
	if (w->body_len > max || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != w->body_len)
		return -1;
	if (w->body_len == 0)
		return 0;
	uint8_t *b = xmalloc((size_t)w->body_len);
	if (lseek(fd, 0, SEEK_SET) != 0 || fd_read_all(fd, b, (size_t)w->body_len) != 0) {
		free(b);
		return -1;
	}
	*body = b;
	return 0;
}

int http_wire_answer_encode(struct ipc_out *o, uint64_t id, const http_out_t *a, int *body_fd)
{
	*body_fd = -1;
	ipc_out_init(o, HTTPF_ANSWER, id);
	ipc_put_u32(o, (uint32_t)a->status);
	size_t nh = a->nheaders > HTTPF_ANSWER_HEADERS_MAX ? HTTPF_ANSWER_HEADERS_MAX : a->nheaders;
	ipc_put_u32(o, (uint32_t)nh);
	for (size_t i = 0; i < nh; i++) {
		ipc_put_str(o, a->headers[i].name);
		ipc_put_str(o, a->headers[i].value);
	}
	bool inline_body = a->len <= HTTPF_INLINE_MAX;
	ipc_put_u8(o, inline_body ? 0 : 1);
	if (inline_body) {
		ipc_put_bytes(o, a->body, a->len);
	} else {
		int fd = memfd_create("http-answer", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		if (fd_write_all(fd, a->body, a->len) != 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		ipc_put_u64(o, a->len);
		*body_fd = fd;
	}
	if (o->failed) {
		if (*body_fd >= 0)
			close(*body_fd);
		*body_fd = -1;
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int http_wire_answer_decode(const struct ipc_msg *msg, http_out_t *a, bool *in_fd)
{
	memset(a, 0, sizeof *a);
	*in_fd = false;
	if (msg->type != HTTPF_ANSWER)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, msg);
	uint32_t status = 0, nh = 0;
	uint8_t mode = 0;
	if (ipc_get_u32(&r, &status) != 0 || status < 100 || status > 599 ||
	    ipc_get_u32(&r, &nh) != 0 || nh > HTTPF_ANSWER_HEADERS_MAX)
		return -1;
	a->status = (int)status;
	for (uint32_t i = 0; i < nh; i++) {
		char k[HTTPF_NAME_MAX + 1], v[4096];
		if (ipc_get_str(&r, k, sizeof k, HTTPF_NAME_MAX) != 0 ||
		    ipc_get_str(&r, v, sizeof v, sizeof v - 1) != 0 || !http_wire_name_ok(k) ||
		    !http_wire_value_ok(v)) {
			http_out_free(a);
			return -1;
		}
		http_out_add(a, k, v);
	}
	if (ipc_get_u8(&r, &mode) != 0 || mode > 1) {
		http_out_free(a);
		return -1;
	}
	if (mode == 0) {
		const uint8_t *p;
		size_t n;
		if (ipc_get_bytes(&r, &p, &n, HTTPF_INLINE_MAX) != 0) {
			http_out_free(a);
			return -1;
		}
		if (n) {
			a->body = xmalloc(n);
			memcpy(a->body, p, n);
			a->len = n;
		}
	} else {
		uint64_t n = 0;
		if (ipc_get_u64(&r, &n) != 0 || n <= HTTPF_INLINE_MAX || n > SIZE_MAX / 2) {
			http_out_free(a);
			return -1;
		}
		a->len = (size_t)n;
		*in_fd = true;
	}
	if (ipc_reader_end(&r) != 0) {
		http_out_free(a);
		return -1;
	}
	return 0;
}
