/* aio.h: Linux native AIO contexts (io_setup and friends; handlers in sentry/fs/aio.c). */
#ifndef RUNSC_SENTRY_FS_AIO_H
#define RUNSC_SENTRY_FS_AIO_H

struct mm;

/* The last reference to mm is going (exit, exec): kill its AIO contexts, as Linux's
 * exit_aio. Their rings go with mm's VMAs. Kernel lock held. */
void aio_mm_release(struct mm *mm);

#endif
