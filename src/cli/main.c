/* faxvault: command-line client of the faxvault API (see docs/cli.md). */
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "xalloc.h"

/* The locale that names the language of messages, POSIX order. */
static const char *lang_env(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v && v[0])
			return v;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	/* jansson allocates through xalloc.h too (see xalloc.h). */
	json_set_alloc_funcs(xmalloc, free);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fputs("error: cannot initialise libcurl\n", stderr);
		return CLI_EXIT_ERROR;
	}
	struct cli_env env = {
		.url = getenv("FAXVAULT_URL"),
		.token = getenv("FAXVAULT_TOKEN"),
		.xdg_config_home = getenv("XDG_CONFIG_HOME"),
		.home = getenv("HOME"),
		.lang = lang_env(),
	};
	int rc = cli_run(argc, argv, &env, stdout, stderr);
	curl_global_cleanup();
	return rc;
}
