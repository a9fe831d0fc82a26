/* faxvault-render-helper: the program a renderer child executes (see
 * src/render/helper.h). Not for people: it takes its work from descriptors
 * set up by the renderer. */
#include "helper.h"

int main(int argc, char **argv)
{
	return helper_main(argc, argv);
}
