/* The libraries the renderer reads documents from strangers with. */
#include <ft2build.h>
#include FT_FREETYPE_H
#include <mupdf/fitz.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>

#include "render.h"

void render_lib_versions(libvers_t *l)
{
	/* "LIBTIFF, Version 4.5.0\n…": the version word only. */
	char tiff[64] = "";
	const char *tv = strstr(TIFFGetVersion(), "Version ");
	if (tv)
		sscanf(tv + 8, "%63[0-9.]", tiff);
	libver_add(l, "mupdf", "PDF uploads (statically linked)", "%s", FZ_VERSION);
	libver_add(l, "libtiff", "TIFF uploads and received faxes", "%s", tiff[0] ? tiff : "unknown");
	libver_add(l, "libpng", "PNG uploads", "%s", png_get_libpng_ver(NULL));
	libver_add(l, "freetype", "fonts of PDF uploads (built against)", "%d.%d.%d", FREETYPE_MAJOR,
		FREETYPE_MINOR, FREETYPE_PATCH);
}
