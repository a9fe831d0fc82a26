/* The data directory's permissions: private to the daemon's user. */
#ifndef FV_DATADIR_H
#define FV_DATADIR_H

/* Tightens dir and everything under it: directories to at most 0700,
 * other files to at most 0600. dir may be a symbolic link (its target is
 * tightened); links under it are not followed. Each path whose mode was
 * looser is logged once (event datadir.mode_fixed, the resolved path quoted,
 * with the old and new modes) and fixed. Returns the number of paths fixed,
 * or -1 when dir cannot be resolved or walked (errno set). */
int datadir_secure(const char *dir);

#endif
