/* names.c: capability, rlimit and signal names as config.json and `runsc kill` spell them. */
#include "runsc/oci/oci.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"

static const char *const g_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

static const char *const g_rlimits[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = "RLIMIT_CPU", [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
	[RLIMIT_DATA] = "RLIMIT_DATA", [RLIMIT_STACK] = "RLIMIT_STACK",
	[RLIMIT_CORE] = "RLIMIT_CORE", [RLIMIT_RSS] = "RLIMIT_RSS",
	[RLIMIT_NPROC] = "RLIMIT_NPROC", [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
	[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK", [RLIMIT_AS] = "RLIMIT_AS",
	[RLIMIT_LOCKS] = "RLIMIT_LOCKS", [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
	[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
	[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO", [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

static const char *const g_signals[] = {
	[SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
	[SIGTRAP] = "TRAP", [SIGABRT] = "ABRT", [SIGBUS] = "BUS", [SIGFPE] = "FPE",
	[SIGKILL] = "KILL", [SIGUSR1] = "USR1", [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
	[SIGCHLD] = "CHLD", [SIGCONT] = "CONT", [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
	[SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
	[SIGIO] = "IO", [SIGPWR] = "PWR", [SIGSYS] = "SYS",
};

int oci_cap_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(g_caps); i++)
		if (!strcasecmp(name, g_caps[i]))
			return (int)i;
	return -EINVAL;
}

const char *oci_cap_name(int cap)
{
	return cap >= 0 && cap < (int)ARRAY_SIZE(g_caps) ? g_caps[cap] : NULL;
}

int oci_rlimit_from_name(const char *name)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		if (g_rlimits[i] && !strcmp(name, g_rlimits[i]))
			return i;
	return -EINVAL;
}

const char *oci_rlimit_name(int type)
{
	return type >= 0 && type < RLIM_NLIMITS ? g_rlimits[type] : NULL;
}

/* A decimal number with nothing after it, in [lo, hi]; -EINVAL otherwise. */
static int parse_num(const char *s, int lo, int hi)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	return (int)v;
}

int oci_signal_from_name(const char *name)
{
	const char *s = name;

	if (*s >= '0' && *s <= '9')
		return parse_num(s, 1, 64);
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 1; i < ARRAY_SIZE(g_signals); i++)
		if (g_signals[i] && !strcasecmp(s, g_signals[i]))
			return (int)i;
	if (!strncasecmp(s, "RTMIN", 5)) {
		int off = s[5] ? (s[5] == '+' ? parse_num(s + 6, 0, 30) : -EINVAL) : 0;
		return off < 0 ? -EINVAL : 34 + off;
	}
	if (!strncasecmp(s, "RTMAX", 5)) {
		int off = s[5] ? (s[5] == '-' ? parse_num(s + 6, 0, 30) : -EINVAL) : 0;
		return off < 0 ? -EINVAL : 64 - off;
	}
	return -EINVAL;
}
