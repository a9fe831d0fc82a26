/* The data directory's permissions: private to the daemon's user. */
#ifndef FV_DATADIR_H
#define FV_DATADIR_H

/* Tightens dir and everything under it (symbolic links not followed):
 * directories to at most 0700, other files to at most 0600. Each path whose
 * mode was looser is logged once (event datadir.mode_fixed, with the old
 * mode) and fixed. Returns the number of paths fixed, or -1 when dir cannot
 * be walked (errno set). */
int datadir_secure(const char *dir);

#endif
