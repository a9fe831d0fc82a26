/* fv-render-tool SUBCOMMAND ARGS...: the renderer's subcommands without the
 * rest of faxvault-fax, for the renderer's own tests and benchmark. */
#include "log.h"
#include "render.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fv-render-tool render|topdf|preview ARGS...\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	return render_tool_main(argv[1], argc - 1, argv + 1);
}
