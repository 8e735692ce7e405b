/* log.c: levelled logging, text or JSON lines, safe to call from several threads. */
#include "lib/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int g_log_fd = 2;
static enum log_level g_log_level = LOG_WARN;
static bool g_log_json;
static const char *g_log_component = "runsc";

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_init(int fd, enum log_level level, bool json, const char *component)
{
	g_log_fd = fd;
	g_log_level = level;
	g_log_json = json;
	if (component)
		g_log_component = component;
	/* glibc reads /etc/localtime on the first time conversion (even gmtime_r): do it
	 * now, before a seccomp filter forbids opening files. */
	tzset();
}

void log_set_level(enum log_level level)
{
	g_log_level = level;
}

enum log_level log_get_level(void)
{
	return g_log_level;
}

int log_get_fd(void)
{
	return g_log_fd;
}

bool log_is_json(void)
{
	return g_log_json;
}

/* Escape s into out as a JSON string body. */
static size_t json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return n;
}

static void log_vprintf(enum log_level level, const char *file, int line, const char *fmt,
			va_list ap)
{
	char msg[2048], esc[4096], out[6144];
	struct timespec ts;
	struct tm tm;
	int saved = errno, n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	if (g_log_json) {
		json_escape(esc, sizeof(esc), msg);
		n = snprintf(out, sizeof(out),
			     "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:"
			     "%02d.%06ldZ\",\"component\":\"%s\",\"source\":\"%s:%d\"}\n",
			     level_names[level], esc, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, g_log_component,
			     base, line);
	} else {
		n = snprintf(out, sizeof(out), "%c%02d%02d %02d:%02d:%02d.%06ld %6ld %s:%d] %s: %s\n",
			     "EWID"[level], tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			     tm.tm_sec, ts.tv_nsec / 1000, (long)syscall(SYS_gettid), base, line,
			     g_log_component, msg);
	}
	if (n > (int)sizeof(out))
		n = sizeof(out);
	/* One write per line keeps lines whole between threads and processes. */
	if (n > 0 && write(g_log_fd, out, (size_t)n) < 0) {
		/* Nowhere left to report a failing log. */
	}
	errno = saved;
}

void log_printf(enum log_level level, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (level > g_log_level)
		return;
	va_start(ap, fmt);
	log_vprintf(level, file, line, fmt, ap);
	va_end(ap);
}

void log_fatal_(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(LOG_ERR, file, line, fmt, ap);
	va_end(ap);
	_exit(125);
}
