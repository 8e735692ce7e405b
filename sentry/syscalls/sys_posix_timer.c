/* sys_posix_timer.c: timer_create/settime/gettime/getoverrun/delete. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define NS_PER_SEC 1000000000LL
#define K_SIGEV_SIGNAL 0
#define K_SIGEV_NONE 1
#define K_SIGEV_THREAD 2
#define K_SIGEV_THREAD_ID 4

/* The kernel's struct sigevent (64 bytes). */
struct ksigevent {
	union sigval value;
	int signo;
	int notify;
	int tid;
	int pad[11];
};

struct kitimerspec {
	struct timespec interval, value;
};

/* Is the timer's last signal still queued? Then a new expiry is an overrun. */
static siginfo_t *queued_info(struct posix_timer *pt)
{
	struct task *th = pt->notify == K_SIGEV_THREAD_ID ? task_find(pt->tid) : NULL;
	struct sigpending *p = th ? &th->pending : &pt->k.tg->shared_pending;
	struct list_head *pos;

	list_for_each(pos, &p->queue) {
		struct sigqueue_entry *e = list_entry(pos, struct sigqueue_entry, link);
		if (e->info.si_signo == pt->signo && e->info.si_code == SI_TIMER &&
		    e->info.si_timerid == pt->id)
			return &e->info;
	}
	return NULL;
}

static int overrun_add(int cur, uint64_t n)
{
	return (uint64_t)cur + n > INT_MAX ? INT_MAX : (int)(cur + (int)n);
}

static void posix_timer_fire(struct ktimer *k, uint64_t missed)
{
	struct posix_timer *pt = container_of(k, struct posix_timer, k);
	siginfo_t info, *q;
	struct task *th;

	if (pt->notify == K_SIGEV_NONE)
		return;
	q = queued_info(pt);
	if (q) {
		pt->overrun_cur = overrun_add(pt->overrun_cur, missed + 1);
		q->si_overrun = pt->overrun_cur;
		return;
	}
	pt->overrun_prev = pt->overrun_cur;
	pt->overrun_cur = overrun_add(0, missed);
	memset(&info, 0, sizeof(info));
	info.si_signo = pt->signo;
	info.si_code = SI_TIMER;
	info.si_timerid = pt->id;
	info.si_overrun = pt->overrun_cur;
	info.si_value = pt->value;
	if (pt->notify == K_SIGEV_THREAD_ID) {
		th = task_find(pt->tid);
		if (th && th->tg == k->tg)
			task_send_signal(th, pt->signo, &info);
		return;
	}
	tg_send_signal(k->tg, pt->signo, &info);
}

static int sigevent_check(struct task *t, struct ksigevent *ev)
{
	struct task *th;

	switch (ev->notify) {
	case K_SIGEV_THREAD_ID:
		ev->tid = pid_from_vnr(t, ev->tid); /* kept as the sandbox-wide number */
		th = task_find(ev->tid);
		if (!th || th->tg != t->tg)
			return -EINVAL;
		/* fall through */
	case K_SIGEV_SIGNAL:
	case K_SIGEV_THREAD:
		if (ev->signo <= 0 || ev->signo > SENTRY_NSIG)
			return -EINVAL;
		if (ev->notify == K_SIGEV_THREAD)
			ev->notify = K_SIGEV_SIGNAL;
		return 0;
	case K_SIGEV_NONE:
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_timer_create(struct task *t, const struct sysargs *a)
{
	struct tg_timers *tt = timers_of(t->tg);
	struct posix_timer *pt;
	struct ksigevent ev;
	struct ktimer k = {0};
	int id, err;

	err = ktimer_clock_of(t, arg_int(a, 0), &k);
	if (err)
		return err;
	for (id = 0; id < TIMER_MAX_POSIX && tt->posix[id]; id++)
		;
	if (id == TIMER_MAX_POSIX)
		return -EAGAIN;
	memset(&ev, 0, sizeof(ev));
	if (uaddr_is_null(arg_uaddr(a, 1))) {
		ev.notify = K_SIGEV_SIGNAL;
		ev.signo = SIGALRM;
		ev.value.sival_int = id;
	} else if (copy_from_user(t, &ev, arg_uaddr(a, 1), sizeof(ev))) {
		return -EFAULT;
	}
	err = sigevent_check(t, &ev);
	if (err)
		return err;
	if (copy_to_user(t, arg_uaddr(a, 2), &id, sizeof(id)))
		return -EFAULT;
	pt = xcalloc(1, sizeof(*pt));
	pt->k = k;
	pt->k.fire = posix_timer_fire;
	pt->id = id;
	pt->clockid = arg_int(a, 0);
	pt->notify = ev.notify;
	pt->signo = ev.signo;
	pt->tid = ev.tid;
	pt->value = ev.value;
	tt->posix[id] = pt;
	return 0;
}

static struct posix_timer *timer_lookup(struct task *t, long id)
{
	if (id < 0 || id >= TIMER_MAX_POSIX || !t->tg->timers)
		return NULL;
	return t->tg->timers->posix[id];
}

static struct timespec ns_ts(uint64_t ns)
{
	return (struct timespec){(time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC)};
}

static void timer_get(struct posix_timer *pt, struct kitimerspec *out)
{
	out->value = ns_ts(ktimer_remaining(&pt->k));
	out->interval = ns_ts(pt->k.armed ? pt->k.interval : 0);
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NS_PER_SEC;
}

/* Nanoseconds, saturating at INT64_MAX as Linux does for huge times. */
static uint64_t ts_ns(const struct timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / NS_PER_SEC)
		return INT64_MAX;
	return (uint64_t)ts->tv_sec * NS_PER_SEC + (uint64_t)ts->tv_nsec;
}

/* Absolute time on the timer's clockid to the ktimer's clock. */
static uint64_t abs_to_expires(struct posix_timer *pt, uint64_t abs)
{
	struct timespec now;
	uint64_t know = ktimer_now(&pt->k);

	if (pt->k.clock != KT_MONO)
		return abs ? abs : 1;
	clock_gettime(pt->clockid, &now);
	return abs > ts_ns(&now) ? know + (abs - ts_ns(&now)) : know;
}

long sys_timer_settime(struct task *t, const struct sysargs *a)
{
	struct posix_timer *pt = timer_lookup(t, arg_long(a, 0));
	int flags = arg_int(a, 1);
	struct kitimerspec nv, old;
	uint64_t value, expires;

	if (!pt)
		return -EINVAL;
	if (copy_from_user(t, &nv, arg_uaddr(a, 2), sizeof(nv)))
		return -EFAULT;
	if (!ts_valid(&nv.value) || !ts_valid(&nv.interval))
		return -EINVAL;
	timer_get(pt, &old);
	value = ts_ns(&nv.value);
	if (!value)
		expires = 0;
	else if (flags & TIMER_ABSTIME)
		expires = abs_to_expires(pt, value);
	else
		expires = ktimer_now(&pt->k) + value;
	pt->overrun_cur = pt->overrun_prev = 0;
	ktimer_set(&pt->k, expires, ts_ns(&nv.interval));
	if (!uaddr_is_null(arg_uaddr(a, 3)) &&
	    copy_to_user(t, arg_uaddr(a, 3), &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_timer_gettime(struct task *t, const struct sysargs *a)
{
	struct posix_timer *pt = timer_lookup(t, arg_long(a, 0));
	struct kitimerspec cur;

	if (!pt)
		return -EINVAL;
	timer_get(pt, &cur);
	return copy_to_user(t, arg_uaddr(a, 1), &cur, sizeof(cur));
}

long sys_timer_getoverrun(struct task *t, const struct sysargs *a)
{
	struct posix_timer *pt = timer_lookup(t, arg_long(a, 0));

	if (!pt)
		return -EINVAL;
	/* While the newest signal is queued, the delivered one is the one before it. */
	return queued_info(pt) ? pt->overrun_prev : pt->overrun_cur;
}

long sys_timer_delete(struct task *t, const struct sysargs *a)
{
	struct posix_timer *pt = timer_lookup(t, arg_long(a, 0));

	if (!pt)
		return -EINVAL;
	ktimer_set(&pt->k, 0, 0);
	t->tg->timers->posix[pt->id] = NULL;
	free(pt);
	return 0;
}
