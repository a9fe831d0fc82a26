/* Whole reads and writes on file descriptors. */
#ifndef FV_FDIO_H
#define FV_FDIO_H

#include <stddef.h>

/* Writes all n bytes of p to fd, retrying after EINTR and short writes.
 * 0, or -1 with errno set by the failing write (a write of 0 bytes counts as
 * a failure). */
int fd_write_all(int fd, const void *p, size_t n);

/* Reads exactly n bytes from fd into p, retrying after EINTR and short
 * reads. 0, or -1 at end of file or on a read error. */
int fd_read_all(int fd, void *p, size_t n);

#endif
