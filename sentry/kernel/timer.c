/* timer.c: the timer thread, armed-timer list, itimer and RLIMIT_CPU expiry. */
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/timer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/kernel/cputime.h"
#include "sentry/kernel/task.h"

#define CPU_POLL_NS (4 * 1000 * 1000ULL)

pthread_mutex_t *kernel_mutex(void);

static struct list_head g_armed = LIST_HEAD_INIT(g_armed);
static pthread_cond_t g_timer_cond;
static bool g_timer_started;

uint64_t ktimer_now(const struct ktimer *k)
{
	struct cputime c;
	struct task *t;

	switch (k->clock) {
	case KT_MONO:
		return cputime_mono_ns();
	case KT_VIRT:
		return cputime_tg(k->tg).utime_ns;
	case KT_PROF:
		c = cputime_tg(k->tg);
		return c.utime_ns + c.stime_ns;
	case KT_TCPU:
		t = task_find(k->tid);
		if (!t || t->tg != k->tg)
			return 0;
		c = cputime_task(t);
		return c.utime_ns + c.stime_ns;
	}
	return 0;
}

/* Per-pid CPU clock ids: ~pid << 3 | thread bit (4) | PROF 0 / VIRT 1 / SCHED 2. */
static int cpu_clock_of(struct task *t, clockid_t id, struct ktimer *k)
{
	int pid = ~(id >> 3), which = id & 3;
	struct task *th;

	if (which == 3)
		return -EINVAL;
	pid = pid_from_vnr(t, pid);
	if (id & 4) {
		th = pid ? task_find(pid) : t;
		if (!th || th->tg != t->tg)
			return -EINVAL;
		k->clock = KT_TCPU;
		k->tg = t->tg;
		k->tid = th->tid;
		return 0;
	}
	k->tg = pid ? tg_find(pid) : t->tg;
	if (!k->tg)
		return -EINVAL;
	k->clock = which == 1 ? KT_VIRT : KT_PROF;
	return 0;
}

int ktimer_clock_of(struct task *t, clockid_t id, struct ktimer *k)
{
	if (id < 0)
		return cpu_clock_of(t, id, k);
	k->tg = t->tg;
	k->tid = t->tid;
	switch (id) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME: case CLOCK_TAI:
		k->clock = KT_MONO;
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
		k->clock = KT_PROF;
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		k->clock = KT_TCPU;
		return 0;
	case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE:
	case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
		return -ENOTSUP;
	default:
		return -EINVAL;
	}
}

/* Fire every due timer; return the monotonic time to wake up next (0 = none armed). */
static uint64_t timers_run(void)
{
	struct list_head *pos, *n;
	uint64_t next = 0, mono = cputime_mono_ns();

	list_for_each_safe(pos, n, &g_armed) {
		struct ktimer *k = list_entry(pos, struct ktimer, link);
		uint64_t now = ktimer_now(k), missed = 0, wake;

		/* A thread CPU clock stops with its thread: the timer can never fire. */
		if (k->clock == KT_TCPU && !task_find(k->tid)) {
			list_del(&k->link);
			k->armed = false;
			continue;
		}
		if (now >= k->expires) {
			if (k->interval) {
				missed = (now - k->expires) / k->interval;
				k->expires += (missed + 1) * k->interval;
			} else {
				list_del(&k->link);
				k->armed = false;
			}
			k->fire(k, missed);
		}
		if (!k->armed)
			continue;
		/* CPU clocks advance only while the process runs: poll them. */
		wake = k->clock == KT_MONO ? k->expires : mono + CPU_POLL_NS;
		if (!next || wake < next)
			next = wake;
	}
	return next;
}

static void *timer_thread(void *arg)
{
	(void)arg;
	kernel_lock();
	for (;;) {
		uint64_t next = timers_run();
		kernel_flush_wakes();
		if (!next) {
			pthread_cond_wait(&g_timer_cond, kernel_mutex());
		} else {
			struct timespec dl = {(time_t)(next / 1000000000ULL),
					      (long)(next % 1000000000ULL)};
			pthread_cond_timedwait(&g_timer_cond, kernel_mutex(), &dl);
		}
	}
	return NULL;
}

static void timer_thread_start(void)
{
	pthread_condattr_t attr;
	sigset_t all, old;
	pthread_t th;
	int err;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g_timer_cond, &attr);
	pthread_condattr_destroy(&attr);
	/* The timer thread takes no host signals (platform kicks are meant for tasks). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&th, NULL, timer_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0)
		log_fatal("cannot start the timer thread");
	pthread_detach(th);
	g_timer_started = true;
}

void ktimer_set(struct ktimer *k, uint64_t expires, uint64_t interval)
{
	if (k->armed) {
		list_del(&k->link);
		k->armed = false;
	}
	k->interval = interval;
	k->expires = expires;
	if (!expires)
		return;
	if (!g_timer_started)
		timer_thread_start();
	list_add_tail(&k->link, &g_armed);
	k->armed = true;
	pthread_cond_signal(&g_timer_cond);
}

uint64_t ktimer_remaining(const struct ktimer *k)
{
	uint64_t now;

	if (!k->armed)
		return 0;
	now = ktimer_now(k);
	return k->expires > now ? k->expires - now : 1;
}

static void itimer_fire(struct ktimer *k, uint64_t missed)
{
	static const int sigs[ITIMER_COUNT] = {SIGALRM, SIGVTALRM, SIGPROF};
	struct tg_timers *tt = k->tg->timers;
	int which = (int)(k - tt->itimer);

	(void)missed;
	tg_send_signal(k->tg, sigs[which], NULL);
}

/* RLIMIT_CPU: SIGXCPU at the soft limit and every second after, SIGKILL at the hard one. */
static void rlimit_cpu_fire(struct ktimer *k, uint64_t missed)
{
	const struct rlimit *rl = &k->tg->rlim[RLIMIT_CPU];
	uint64_t now = ktimer_now(k);

	(void)missed;
	if (rl->rlim_max != RLIM_INFINITY && now >= rl->rlim_max * 1000000000ULL) {
		tg_send_signal(k->tg, SIGKILL, NULL);
		return;
	}
	tg_send_signal(k->tg, SIGXCPU, NULL);
}

struct tg_timers *timers_of(struct thread_group *tg)
{
	static const enum ktimer_clock clocks[ITIMER_COUNT] = {KT_MONO, KT_VIRT, KT_PROF};
	struct tg_timers *tt = tg->timers;

	if (tt)
		return tt;
	tt = xcalloc(1, sizeof(*tt));
	for (int i = 0; i < ITIMER_COUNT; i++) {
		tt->itimer[i].clock = clocks[i];
		tt->itimer[i].tg = tg;
		tt->itimer[i].fire = itimer_fire;
	}
	tt->rlimit_cpu.clock = KT_PROF;
	tt->rlimit_cpu.tg = tg;
	tt->rlimit_cpu.fire = rlimit_cpu_fire;
	tg->timers = tt;
	return tt;
}

void timers_rlimit_cpu_changed(struct thread_group *tg)
{
	const struct rlimit *rl = &tg->rlim[RLIMIT_CPU];
	uint64_t lim = rl->rlim_cur != RLIM_INFINITY ? rl->rlim_cur : rl->rlim_max;
	struct tg_timers *tt;

	if (lim == RLIM_INFINITY) {
		if (tg->timers)
			ktimer_set(&tg->timers->rlimit_cpu, 0, 0);
		return;
	}
	tt = timers_of(tg);
	/* Linux treats a zero soft limit as one second. */
	ktimer_set(&tt->rlimit_cpu, (lim ? lim : 1) * 1000000000ULL, 1000000000ULL);
}

static void posix_timers_free(struct tg_timers *tt)
{
	for (int i = 0; i < TIMER_MAX_POSIX; i++) {
		if (!tt->posix[i])
			continue;
		ktimer_set(&tt->posix[i]->k, 0, 0);
		free(tt->posix[i]);
		tt->posix[i] = NULL;
	}
}

void timers_exec(struct thread_group *tg)
{
	if (tg->timers)
		posix_timers_free(tg->timers);
}

void timers_tg_exit(struct thread_group *tg)
{
	struct tg_timers *tt = tg->timers;

	if (!tt)
		return;
	posix_timers_free(tt);
	for (int i = 0; i < ITIMER_COUNT; i++)
		ktimer_set(&tt->itimer[i], 0, 0);
	ktimer_set(&tt->rlimit_cpu, 0, 0);
	free(tt);
	tg->timers = NULL;
}
