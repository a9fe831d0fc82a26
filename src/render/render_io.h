/* Helpers shared by the renderer's operations (render.c, tiffin.c, tool.c):
 * reading an input within RENDER_INPUT_MAX, anonymous temporary files,
 * results and limits. Internal to src/render. */
#ifndef FV_RENDER_IO_H
#define FV_RENDER_IO_H

#include <stddef.h>
#include <stdint.h>

#include "render.h"
#include "sandbox.h"

void render_result_init(struct render_result *r);
void render_set_fail(struct render_result *r, enum render_fail f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Whole file into *data (caller frees; one spare byte allocated), at most
 * RENDER_INPUT_MAX bytes. 0 / -1 with r set. */
int render_read_file(const char *path, uint8_t **data, size_t *len, struct render_result *r);
/* An anonymous read-write file: a memfd, else an unlinked file on the file
 * system of `near` (else /tmp). */
int render_tmpfile(const char *near);
void render_limits(const struct render_opts *o, struct sandbox_limits *lim);
/* Logs once per process (render_fork_threaded) when children are about to
 * be forked, not spawned through the helper, from a process with threads. */
void render_warn_fork(const struct render_opts *o);
/* Creates a new file next to `out` under a random name ("OUT.XXXXXX",
 * O_EXCL: never an existing file or a planted symlink), mode 0644. Returns
 * the descriptor and sets *name (caller frees), or -1. */
int render_create_part(const char *out, char **name);

#endif
