/* Config file and precedence of URL and token (see cli_config.h). */
#include "cli_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_msg.h"
#include "xalloc.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trims blanks on both sides of [*s, *e). */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

int cli_config_parse(const char *text, size_t n, char **url, char **token, unsigned *errline)
{
	char *u = NULL, *t = NULL;
	const char *p = text, *end = text + n;
	unsigned line = 0;
	*url = *token = NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *s = p, *e = le;
		line++;
		p = nl ? nl + 1 : end;
		trim(&s, &e);
		if (s == e || *s == '#' || *s == ';')
			continue;
		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (!eq || memchr(s, '\0', (size_t)(e - s)))
			goto bad;
		const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
		trim(&ks, &ke);
		trim(&vs, &ve);
		if (ks == ke)
			goto bad;
		if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
			vs++;
			ve--;
		} else if (vs < ve && (*vs == '"' || ve[-1] == '"')) {
			goto bad;
		}
		size_t kl = (size_t)(ke - ks);
		char **slot = NULL;
		if (kl == 3 && memcmp(ks, "url", 3) == 0)
			slot = &u;
		else if (kl == 5 && memcmp(ks, "token", 5) == 0)
			slot = &t;
		if (!slot)
			continue;
		free(*slot);
		*slot = vs < ve ? xstrndup(vs, (size_t)(ve - vs)) : NULL;
	}
	*url = u;
	*token = t;
	return 0;
bad:
	free(u);
	free(t);
	*errline = line;
	return -1;
}

char *cli_config_default_path(const char *xdg, const char *home)
{
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/faxvault/config", xdg);
	if (home && home[0])
		return xasprintf("%s/.config/faxvault/config", home);
	return NULL;
}

int cli_config_load(const char *path, char **url, char **token, int *loose, buf_t *err)
{
	*url = *token = NULL;
	*loose = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		buf_printf(err, cli_tr("cannot read config file %s: %s"), path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		buf_printf(err, cli_tr("config file %s is not a regular file"), path);
		close(fd);
		return -1;
	}
	if (st.st_size > CLI_CONFIG_MAX) {
		buf_printf(err, cli_tr("config file %s is larger than %d bytes"), path, CLI_CONFIG_MAX);
		close(fd);
		return -1;
	}
	*loose = (st.st_mode & 077) != 0;
	char *text = xmalloc(CLI_CONFIG_MAX + 1);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, text + n, CLI_CONFIG_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			buf_printf(err, cli_tr("cannot read config file %s: %s"), path, strerror(errno));
			free(text);
			close(fd);
			return -1;
		}
		if (r == 0 || (n += (size_t)r) == CLI_CONFIG_MAX)
			break;
	}
	close(fd);
	unsigned line = 0;
	int rc = cli_config_parse(text, n, url, token, &line);
	free(text);
	if (rc != 0)
		buf_printf(err, cli_tr("config file %s: line %u: expected 'key = value'"), path, line);
	return rc;
}

/* mkdir -p for the parent directories of path; the ones we create get mode
 * 0700. Existing directories are left as they are: --config may name a file
 * in a directory that is not ours. */
static int make_parents(const char *path, buf_t *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			buf_printf(err, cli_tr("cannot create directory %s: %s"), dir, strerror(errno));
			free(dir);
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(dir);
	return 0;
}

int cli_config_save(const char *path, const char *url, const char *token, buf_t *err)
{
	if ((url && strpbrk(url, "\r\n")) || (token && strpbrk(token, "\r\n"))) {
		buf_puts(err, cli_tr("refusing to store a value with a line break"));
		return -1;
	}
	if (make_parents(path, err) != 0)
		return -1;
	buf_t body;
	buf_init(&body, CLI_CONFIG_MAX);
	buf_puts(&body, "# faxvault client configuration (written by faxvault login)\n");
	if (url)
		buf_printf(&body, "url = %s\n", url);
	if (token)
		buf_printf(&body, "token = %s\n", token);
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		buf_printf(err, cli_tr("cannot write %s: %s"), tmp, strerror(errno));
		goto out;
	}
	/* The umask may only remove bits; make sure no stray ones remain. */
	size_t off = 0;
	int ok = fchmod(fd, 0600) == 0;
	while (ok && off < body.len) {
		ssize_t w = write(fd, body.data + off, body.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			ok = 0;
		else
			off += (size_t)w;
	}
	if (ok)
		ok = fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		buf_printf(err, cli_tr("cannot write %s: %s"), path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	buf_free(&body);
	return rc;
}

static const char *nonempty(const char *s)
{
	return s && s[0] ? s : NULL;
}

/* Compares two base URLs, ignoring trailing slashes. */
static int same_url(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	while (la && a[la - 1] == '/')
		la--;
	while (lb && b[lb - 1] == '/')
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

int cli_config_resolve(const char *flag_url, const char *flag_token, const char *flag_config,
	const struct cli_env *env, struct cli_conf *out, buf_t *err)
{
	memset(out, 0, sizeof *out);
	flag_config = nonempty(flag_config);
	out->path = flag_config ? xstrdup(flag_config)
		: cli_config_default_path(env->xdg_config_home, env->home);

	char *furl = NULL, *ftoken = NULL;
	if (out->path && cli_config_load(out->path, &furl, &ftoken, &out->file_loose, err) != 0)
		return -1;
	out->file_url = furl;

	if (nonempty(flag_url)) {
		out->url = xstrdup(flag_url);
		out->url_src = CLI_SRC_FLAG;
	} else if (nonempty(env->url)) {
		out->url = xstrdup(env->url);
		out->url_src = CLI_SRC_ENV;
	} else if (furl) {
		out->url = xstrdup(furl);
		out->url_src = CLI_SRC_FILE;
	} else {
		out->url = xstrdup(CLI_DEFAULT_URL);
		out->url_src = CLI_SRC_DEFAULT;
	}

	if (nonempty(flag_token)) {
		out->token = xstrdup(flag_token);
		out->token_src = CLI_SRC_FLAG;
	} else if (nonempty(env->token)) {
		out->token = xstrdup(env->token);
		out->token_src = CLI_SRC_ENV;
	} else if (ftoken) {
		/* A stored token goes only to the server it came from. A file
		 * without a url line means the default URL. */
		const char *home_url = furl ? furl : CLI_DEFAULT_URL;
		if (same_url(home_url, out->url)) {
			out->token = ftoken;
			ftoken = NULL;
			out->token_src = CLI_SRC_FILE;
		} else {
			out->token_withheld = 1;
		}
	}
	free(ftoken);
	return 0;
}

void cli_conf_free(struct cli_conf *c)
{
	if (!c)
		return;
	free(c->url);
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	free(c->path);
	free(c->file_url);
	memset(c, 0, sizeof *c);
}
