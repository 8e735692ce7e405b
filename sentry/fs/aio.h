/* aio.h: Linux native AIO contexts (io_setup and friends; handlers in sentry/fs/aio.c). */
#ifndef RUNSC_SENTRY_FS_AIO_H
#define RUNSC_SENTRY_FS_AIO_H

struct mm;

/* The last reference to mm is going (exit, exec): kill its AIO contexts, as Linux's
 * exit_aio. Their rings go with mm's VMAs. Kernel lock held. */
void aio_mm_release(struct mm *mm);
/* /proc/sys/fs/aio-nr: the nr_events of every live context in the sandbox. */
unsigned long aio_nr_total(void);

#define AIO_MAX_NR 65536 /* /proc/sys/fs/aio-max-nr: io_setup beyond it gives EAGAIN */

#endif
