/* The web portal's static files, served at / on the API listener.
 *
 * The portal is plain HTML, CSS and JavaScript modules, a client of the
 * public /v1 API. This module only finds the assets directory and reads a
 * file of it for a GET: no directory listing, no path outside the
 * directory (no "..", no dot segment, a short set of characters, no
 * symbolic link as the last component), and only the types it knows. */
#ifndef FV_PORTAL_H
#define FV_PORTAL_H

#include <stdbool.h>
#include <stddef.h>

#include "router.h"

/* The largest asset served, bytes. */
#define PORTAL_FILE_MAX (4u << 20)

/* The assets directory found without configuration: "portal/" next to the
 * running program, else "../share/faxvault/portal/" from it, else the
 * source tree's (a build that is not installed). Static string, or NULL
 * when none has an index.html. */
const char *portal_default_dir(void);

/* The file below dir that request path names ("/" is "/index.html"), in
 * out (data malloc'd, freed by the caller or the HTTP layer; ctype a
 * static string). An HTML page gets lang ("en" or "fr") as the value of
 * its <html lang>. 0 on success, -1 when there is no such servable file. */
int portal_load(const char *dir, const char *path, const char *lang, api_raw_t *out);

/* Whether path is one the portal may serve (the checks above, without
 * touching the file system). */
bool portal_path_ok(const char *path);

/* The content type of a servable file name, or NULL. Static string. */
const char *portal_type(const char *path);

#endif
