/* What every role of faxvaultd shares (see role.h): a child's command
 * line and the process's name. Apart, so that the spawner (spawner.c) can
 * be built into its unit test without the roles themselves. */
#include "role.h"

#include <sys/prctl.h>

#include "xalloc.h"

char **role_argv_of(char *const *argv, const char *title, const char *name)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **out = xcalloc(n + 3, sizeof *out);
	out[0] = (char *)title;
	out[1] = (char *)"--role";
	out[2] = (char *)name;
	for (size_t i = 1; i < n; i++)
		out[i + 2] = argv[i];
	return out;
}

void role_set_name(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}
