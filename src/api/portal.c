/* The web portal's static files: see portal.h. */
#include "portal.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "xalloc.h"

#define PATH_LEN_MAX 200

static char portal_found[PATH_MAX];
static pthread_once_t portal_once = PTHREAD_ONCE_INIT;

static int portal_try(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof p, "%s%sindex.html", dir, rel);
	if (n <= 0 || (size_t)n >= sizeof p || access(p, R_OK) != 0)
		return -1;
	snprintf(portal_found, sizeof portal_found, "%s%s", dir, rel);
	return 0;
}

static void portal_locate(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			slash[1] = 0;
			if (portal_try(exe, "portal/") == 0 ||
			    portal_try(exe, "../share/faxvault/portal/") == 0)
				return;
		}
	}
#ifdef FV_PORTAL_SOURCE
	portal_try(FV_PORTAL_SOURCE, "/");
#endif
}

const char *portal_default_dir(void)
{
	pthread_once(&portal_once, portal_locate);
	return portal_found[0] ? portal_found : NULL;
}

static const struct {
	const char *ext;
	const char *ctype;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
};

const char *portal_type(const char *path)
{
	size_t l = strlen(path);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t e = strlen(types[i].ext);
		if (l > e && strcmp(path + l - e, types[i].ext) == 0)
			return types[i].ctype;
	}
	return NULL;
}

bool portal_path_ok(const char *path)
{
	size_t l = strnlen(path, PATH_LEN_MAX + 1);
	if (l < 2 || l > PATH_LEN_MAX || path[0] != '/')
		return false;
	for (size_t i = 0; i < l; i++) {
		char ch = path[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '/';
		if (!ok)
			return false;
		/* Every segment is non-empty and starts with neither a dot
		 * (no "..", no hidden file) nor a slash (no "//"). */
		if (ch == '/' && (i + 1 == l || path[i + 1] == '/' || path[i + 1] == '.'))
			return false;
	}
	return portal_type(path) != NULL;
}

/* An HTML page's first lang="en" becomes lang="<lang>". */
static void set_lang(unsigned char *data, size_t len, const char *lang)
{
	static const char mark[] = "<html lang=\"en\"";
	size_t ml = sizeof mark - 1;
	if (strlen(lang) != 2 || len < ml)
		return;
	for (size_t i = 0; i + ml <= len && i < 512; i++) {
		if (memcmp(data + i, mark, ml) == 0) {
			data[i + ml - 3] = (unsigned char)lang[0];
			data[i + ml - 2] = (unsigned char)lang[1];
			return;
		}
	}
}

int portal_load(const char *dir, const char *path, const char *lang, api_raw_t *out)
{
	if (!dir || !*dir)
		return -1;
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (!portal_path_ok(path))
		return -1;
	char full[PATH_MAX];
	int n = snprintf(full, sizeof full, "%s/%s", dir, path + 1);
	if (n <= 0 || (size_t)n >= sizeof full)
		return -1;
	int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)PORTAL_FILE_MAX) {
		close(fd);
		return -1;
	}
	size_t len = (size_t)st.st_size;
	unsigned char *data = xmalloc(len ? len : 1);
	int rc = fd_read_all(fd, data, len);
	close(fd);
	if (rc != 0) {
		free(data);
		return -1;
	}
	const char *ctype = portal_type(path);
	if (strncmp(ctype, "text/html", 9) == 0 && lang)
		set_lang(data, len, lang);
	out->data = data;
	out->len = len;
	out->ctype = ctype;
	out->disposition = NULL;
	return 0;
}
