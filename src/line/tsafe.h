/* Process-wide thread-safety shims for libraries that are not (see tsafe.c). */
#ifndef FV_LINE_TSAFE_H
#define FV_LINE_TSAFE_H

/* Call once before starting threads. */
void line_tsafe_init(void);

#endif
