/* sys_syslog.c: syslog(2) (klogctl, what dmesg uses when /dev/kmsg is absent) over the
 * sandbox's own kernel log: a few lines the Sentry writes at the first use (that it is a
 * sandbox, its release and platform), never the host's. Linux's rules otherwise: actions
 * and their errors, CAP_SYSLOG for all but READ_ALL and SIZE_BUFFER, and for those too
 * since kernel.dmesg_restrict is 1 (as Debian's kernels; /proc/sys shows it), READ
 * consuming the unread part and blocking when there is none, CLEAR emptying what
 * READ_ALL returns, console levels kept (the log goes to no console). */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

enum { SL_CLOSE, SL_OPEN, SL_READ, SL_READ_ALL, SL_READ_CLEAR, SL_CLEAR, SL_CONSOLE_OFF,
       SL_CONSOLE_ON, SL_CONSOLE_LEVEL, SL_SIZE_UNREAD, SL_SIZE_BUFFER };

#define LOG_BUF_SIZE 16384	/* SIZE_BUFFER: Linux's is 2^CONFIG_LOG_BUF_SHIFT */
#define CONSOLE_LEVEL_DEFAULT 7
#define CONSOLE_LEVEL_MIN 1

static struct {
	char text[1024];
	size_t len;
	size_t clear_at;	/* READ_ALL starts here (CLEAR moves it to the end) */
	size_t read_at;		/* READ starts here */
	int console_level, saved_level; /* saved_level 0: none saved */
	struct waitq wq;	/* READ waits here; nothing is ever logged later */
} g_klog;

static void klog_init(void)
{
	struct utsname u;

	if (g_klog.len)
		return;
	uts_get(&u);
	g_klog.len = (size_t)snprintf(g_klog.text, sizeof(g_klog.text),
		"<5>[    0.000000] Linux version %s (runsc: a sandbox; its kernel is the Sentry, "
		"not the host's)\n"
		"<6>[    0.000000] Platform: %s\n"
		"<6>[    0.000000] The host's kernel log is not visible in the sandbox.\n",
		u.release, g_platform && g_platform->ops ? g_platform->ops->name : "?");
	g_klog.console_level = CONSOLE_LEVEL_DEFAULT;
	waitq_init(&g_klog.wq);
}

/* Linux's check_syslog_permissions with dmesg_restrict = 1: CAP_SYSLOG for every action. */
static bool klog_allowed(struct task *t)
{
	return caps_capable(t, CAP_SYSLOG);
}

static long klog_copy(struct task *t, uaddr_t buf, int len, size_t from)
{
	size_t n = g_klog.len - from;

	if (n > (size_t)len)
		n = (size_t)len;
	if (n && copy_to_user(t, buf, g_klog.text + from, n))
		return -EFAULT;
	return (long)n;
}

/* SYSLOG_ACTION_READ: what is unread, waiting until there is some. */
static long klog_read(struct task *t, uaddr_t buf, int len)
{
	long n;

	while (g_klog.read_at >= g_klog.len) {
		if (task_block(t, &g_klog.wq, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
	n = klog_copy(t, buf, len, g_klog.read_at);
	if (n > 0)
		g_klog.read_at += (size_t)n;
	return n;
}

/* SYSLOG_ACTION_READ_ALL / READ_CLEAR: since the last clear, the newest whole lines
 * that fit in len, as Linux. */
static long klog_read_all(struct task *t, uaddr_t buf, int len, bool clear)
{
	size_t from = g_klog.clear_at;
	long n;

	while (g_klog.len - from > (size_t)len) {
		const char *nl = memchr(g_klog.text + from, '\n', g_klog.len - from);
		from = nl ? (size_t)(nl - g_klog.text) + 1 : g_klog.len;
	}
	n = klog_copy(t, buf, len, from);
	if (n >= 0 && clear)
		g_klog.clear_at = g_klog.len;
	return n;
}

long sys_syslog(struct task *t, const struct sysargs *a)
{
	int type = arg_int(a, 0), len = arg_int(a, 2);
	uaddr_t buf = arg_uaddr(a, 1);

	klog_init();
	if (!klog_allowed(t))
		return -EPERM;
	switch (type) {
	case SL_CLOSE: case SL_OPEN:
		return 0;
	case SL_READ: case SL_READ_ALL: case SL_READ_CLEAR:
		if (uaddr_is_null(buf) || len < 0)
			return -EINVAL;
		if (!len)
			return 0;
		return type == SL_READ ? klog_read(t, buf, len)
				       : klog_read_all(t, buf, len, type == SL_READ_CLEAR);
	case SL_CLEAR:
		g_klog.clear_at = g_klog.len;
		return 0;
	case SL_CONSOLE_OFF:
		if (!g_klog.saved_level)
			g_klog.saved_level = g_klog.console_level;
		g_klog.console_level = CONSOLE_LEVEL_MIN;
		return 0;
	case SL_CONSOLE_ON:
		if (g_klog.saved_level)
			g_klog.console_level = g_klog.saved_level;
		g_klog.saved_level = 0;
		return 0;
	case SL_CONSOLE_LEVEL:
		if (len < 1 || len > 8)
			return -EINVAL;
		g_klog.console_level = len;
		g_klog.saved_level = 0;
		return 0;
	case SL_SIZE_UNREAD:
		return (long)(g_klog.len - g_klog.read_at);
	case SL_SIZE_BUFFER:
		return LOG_BUF_SIZE;
	default:
		return -EINVAL;
	}
}
