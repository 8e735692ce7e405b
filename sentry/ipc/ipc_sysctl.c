/* ipc_sysctl.c: the IPC namespace's sysctls (kernel.shmmax, shmall, shmmni, msgmax,
 * msgmnb, msgmni, sem and fs.mqueue.*) as /proc/sys reads and writes them: Linux's
 * proc_dointvec / proc_doulongvec_minmax parsing and ipc/ipc_sysctl.c, ipc/mq_sysctl.c's
 * ranges. Kernel lock held. */
#include "sentry/ipc/ipc_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "sentry/ipc/mqueue.h"

#define IPCMNI 32768	   /* kernel.shmmni, msgmni and semmni stay within this */
#define NUMBER_MAX_LEN 21  /* Linux's TMPBUFLEN - 1: longer numbers are refused */
#define WRITE_MAX 4095	   /* PAGE_SIZE - 1: what one write is read of */

enum sysctl_type { SC_ULONG, SC_INT };

struct ipc_sysctl {
	const char *name;	/* "kernel.msgmax", as linux.sysctl names it */
	enum sysctl_type type;
	int n;			/* values (kernel.sem: four) */
	size_t off;		/* of the first value in struct ipc_ns */
	bool ranged;		/* SC_INT: min..max apply (proc_dointvec_minmax) */
	int min, max;
};

#define INT_SC(nm, field, lo, hi) {nm, SC_INT, 1, offsetof(struct ipc_ns, field), true, lo, hi}

static const struct ipc_sysctl g_sysctls[] = {
	{"kernel.shmmax", SC_ULONG, 1, offsetof(struct ipc_ns, shm_ctlmax)},
	{"kernel.shmall", SC_ULONG, 1, offsetof(struct ipc_ns, shm_ctlall)},
	INT_SC("kernel.shmmni", ids[IPC_KIND_SHM].limit, 0, IPCMNI),
	INT_SC("kernel.msgmax", msg_ctlmax, 0, INT_MAX),
	INT_SC("kernel.msgmni", ids[IPC_KIND_MSG].limit, 0, IPCMNI),
	INT_SC("kernel.msgmnb", msg_ctlmnb, 0, INT_MAX),
	{"kernel.sem", SC_INT, 4, offsetof(struct ipc_ns, sem_ctls)},
	{"fs.mqueue.queues_max", SC_INT, 1, offsetof(struct ipc_ns, mq_queues_max)},
	INT_SC("fs.mqueue.msg_max", mq_msg_max, 1, MQ_HARD_MAXMSG),
	INT_SC("fs.mqueue.msgsize_max", mq_msgsize_max, MQ_MIN_MSGSIZE, MQ_HARD_MSGSIZE),
	INT_SC("fs.mqueue.msg_default", mq_msg_default, 1, MQ_HARD_MAXMSG),
	INT_SC("fs.mqueue.msgsize_default", mq_msgsize_default, MQ_MIN_MSGSIZE,
	       MQ_HARD_MSGSIZE),
};

static const struct ipc_sysctl *sysctl_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(g_sysctls); i++)
		if (!strcmp(g_sysctls[i].name, name))
			return &g_sysctls[i];
	return NULL;
}

static void *sysctl_data(struct ipc_ns *ns, const struct ipc_sysctl *sc)
{
	return (char *)ns + sc->off;
}

int ipc_sysctl_read(struct task *t, const char *name, char *buf, size_t size)
{
	const struct ipc_sysctl *sc = sysctl_find(name);
	void *data;
	int len = 0;

	if (!sc)
		return -ENOENT;
	data = sysctl_data(ipc_ns_of(t), sc);
	for (int i = 0; i < sc->n; i++) {
		int n = sc->type == SC_ULONG
				? snprintf(buf + len, size - (size_t)len, "%llu",
					   (unsigned long long)((uint64_t *)data)[i])
				: snprintf(buf + len, size - (size_t)len, "%d", ((int *)data)[i]);
		if (n < 0 || (size_t)(len + n + 2) > size)
			return -EOVERFLOW;
		len += n;
		buf[len++] = i + 1 < sc->n ? '\t' : '\n';
	}
	buf[len] = '\0';
	return len;
}

static size_t skip_spaces(const char *p, size_t left)
{
	size_t i = 0;

	while (i < left && isspace((unsigned char)p[i]))
		i++;
	return i;
}

/* Linux's proc_get_long: an optional '-', digits in base 0 (0x hex, leading 0 octal),
 * then whitespace or the end. *used is the length taken. */
static int get_number(const char *p, size_t left, unsigned long long *val, bool *neg,
		      size_t *used)
{
	char tmp[NUMBER_MAX_LEN + 1], *q = tmp, *end;
	size_t len = MIN(left, (size_t)NUMBER_MAX_LEN);

	memcpy(tmp, p, len);
	tmp[len] = '\0';
	*neg = *q == '-' && left > 1;
	if (*neg)
		q++;
	if (!isdigit((unsigned char)*q))
		return -EINVAL;
	errno = 0;
	*val = strtoull(q, &end, 0);
	if (errno)
		return -EINVAL;
	*used = (size_t)(end - tmp);
	if (*used == NUMBER_MAX_LEN)
		return -EINVAL;
	if (*used < left && !memchr(" \t\n", *end, 3))
		return -EINVAL;
	return 0;
}

/* Store value i as the sysctl's conversion does: 0 or -EINVAL. */
static int store(const struct ipc_sysctl *sc, void *data, int i, unsigned long long v,
		 bool neg)
{
	long long x;

	if (sc->type == SC_ULONG) {
		if (neg)
			return -EINVAL;
		((uint64_t *)data)[i] = v;
		return 0;
	}
	if (neg ? v > (unsigned long long)INT_MAX + 1 : v > INT_MAX)
		return -EINVAL;
	x = neg ? -(long long)v : (long long)v;
	if (sc->ranged && (x < sc->min || x > sc->max))
		return -EINVAL;
	((int *)data)[i] = (int)x;
	return 0;
}

/* Linux's __do_proc_dointvec write: values one by one (each stored as it is parsed),
 * separated by whitespace. Returns the bytes consumed (extra values are left), or -errno;
 * a write of only whitespace is -EINVAL. */
static ssize_t parse_values(const struct ipc_sysctl *sc, void *data, const char *buf,
			    size_t size)
{
	size_t left = MIN(size, (size_t)WRITE_MAX), pos = 0, used;
	unsigned long long v;
	int i, err = 0;
	bool neg;

	for (i = 0; i < sc->n && left; i++) {
		size_t sp = skip_spaces(buf + pos, left);

		pos += sp;
		left -= sp;
		if (!left)
			break;
		err = get_number(buf + pos, left, &v, &neg, &used);
		if (!err)
			err = store(sc, data, i, v, neg);
		if (err)
			break;
		pos += used;
		left -= used;
	}
	if (err)
		return err;
	if (i == 0)
		return -EINVAL;
	left -= skip_spaces(buf + pos, left);
	return (ssize_t)(MIN(size, (size_t)WRITE_MAX) - left);
}

ssize_t ipc_sysctl_write(struct task *t, const char *name, const char *buf, size_t size)
{
	const struct ipc_sysctl *sc = sysctl_find(name);
	struct ipc_ns *ns = ipc_ns_of(t);
	int semmni = ns->sem_ctls[3];
	ssize_t r;

	if (!sc)
		return -ENOENT;
	if (size == 0)
		return 0;
	r = parse_values(sc, sysctl_data(ns, sc), buf, size);
	if (sc->off == offsetof(struct ipc_ns, sem_ctls)) {
		/* Linux's sem_check_semmni: a bad semmni is put back, the rest stays. */
		if (r >= 0 && (ns->sem_ctls[3] < 0 || ns->sem_ctls[3] > IPCMNI))
			r = -ERANGE;
		if (r < 0)
			ns->sem_ctls[3] = semmni;
		ns->ids[IPC_KIND_SEM].limit = ns->sem_ctls[3];
	}
	return r;
}

bool ipc_sysctl_exists(const char *name)
{
	return sysctl_find(name) != NULL;
}
