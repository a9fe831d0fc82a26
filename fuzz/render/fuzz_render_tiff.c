/* The TIFF side of topdf and preview over any bytes (in-process, no
 * sandbox): libtiff's parsing as we drive it, strip handling, the PDF
 * writer, decoding and the PNG writer. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tiffin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	buf_t out;
	buf_init(&out, (size_t)8 << 20);
	if (tiffin_topdf_mem(NULL, data, size, 16, &out) == 0) {
		if (out.len < 20 || memcmp(out.data, "%PDF-", 5) != 0 ||
			memcmp(out.data + out.len - 6, "%%EOF\n", 6) != 0)
			abort();
	}
	buf_free(&out);
	/* The preview of page 1 (and 2), thrown away. */
	static int devnull = -1;
	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	tiffin_preview_mem(NULL, data, size, 1, 0, devnull);
	tiffin_preview_mem(NULL, data, size, 2, 200, devnull);
	return 0;
}
