/* log.h: levelled logging with file and line, text or JSON lines, for every component. */
#ifndef RUNSC_LIB_LOG_H
#define RUNSC_LIB_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Configure once at start-up: where to write (fd), minimum level, JSON or text, and the
 * component tag printed on each line ("runsc", "sentry", "gofer"). Not thread-safe to call
 * while other threads log. */
void log_init(int fd, enum log_level level, bool json, const char *component);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_get_fd(void);
bool log_is_json(void);

void log_printf(enum log_level level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_err(...) log_printf(LOG_ERR, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...) log_printf(LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...) log_printf(LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...)                                                      \
	do {                                                                \
		if (log_get_level() >= LOG_DEBUG)                            \
			log_printf(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* A broken host invariant: log and end the process (never for guest input). */
_Noreturn void log_fatal_(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define log_fatal(...) log_fatal_(__FILE__, __LINE__, __VA_ARGS__)

#endif
