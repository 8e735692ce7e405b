/* cputime.c: user/system time accounting for tasks, thread groups and reaped children. */
#include "sentry/kernel/cputime.h"

#include <string.h>
#include <time.h>

#include "lib/list.h"
#include "sentry/kernel/task.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t cputime_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

void cputime_enter_app(struct task *t)
{
	uint64_t now = cputime_mono_ns();

	/* A vfork child borrows its parent's host thread: a mark may be ahead. */
	if (t->sys_cpu_mark_ns) {
		uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);

		if (cpu > t->sys_cpu_mark_ns)
			t->stime_ns += cpu - t->sys_cpu_mark_ns;
	} else if (t->sys_mark_ns && now > t->sys_mark_ns) {
		t->stime_ns += now - t->sys_mark_ns;
	}
	t->sys_mark_ns = t->sys_cpu_mark_ns = 0;
	t->app_since_ns = now;
}

void cputime_leave_app(struct task *t)
{
	uint64_t now = cputime_mono_ns();

	if (t->app_since_ns && now > t->app_since_ns)
		t->utime_ns += now - t->app_since_ns;
	t->app_since_ns = 0;
	t->sys_mark_ns = now;
	t->sys_cpu_mark_ns = 0;
}

void cputime_lock_drop(void)
{
	struct task *t = t_current;
	uint64_t now;

	if (!t || !t->sys_mark_ns || t->sys_cpu_mark_ns)
		return;
	now = cputime_mono_ns();
	if (now > t->sys_mark_ns)
		t->stime_ns += now - t->sys_mark_ns;
	t->sys_cpu_mark_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (!t->sys_cpu_mark_ns)
		t->sys_cpu_mark_ns = 1;
}

void cputime_spun(struct task *t)
{
	if (!t->sys_cpu_mark_ns)
		return;
	t->sys_cpu_mark_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (!t->sys_cpu_mark_ns)
		t->sys_cpu_mark_ns = 1;
}

struct cputime cputime_task(const struct task *t)
{
	struct cputime c = {t->utime_ns, t->stime_ns};

	if (t->in_app && t->app_since_ns) {
		uint64_t now = cputime_mono_ns();
		if (now > t->app_since_ns)
			c.utime_ns += now - t->app_since_ns;
	}
	return c;
}

struct cputime cputime_tg(const struct thread_group *tg)
{
	struct cputime c = {tg->dead_utime_ns, tg->dead_stime_ns};
	struct list_head *pos;

	list_for_each(pos, &tg->tasks) {
		struct task *t = list_entry(pos, struct task, tg_link);
		struct cputime tc = cputime_task(t);
		c.utime_ns += tc.utime_ns;
		c.stime_ns += tc.stime_ns;
	}
	return c;
}

struct cputime cputime_children(const struct thread_group *tg)
{
	return (struct cputime){tg->child_utime_ns, tg->child_stime_ns};
}

void cputime_task_exit(struct task *t)
{
	struct cputime c = cputime_task(t);

	t->tg->dead_utime_ns += c.utime_ns;
	t->tg->dead_stime_ns += c.stime_ns;
	t->utime_ns = t->stime_ns = 0;
	t->app_since_ns = 0;
}

void cputime_reap(struct thread_group *tg)
{
	struct cputime c = cputime_tg(tg);
	struct thread_group *p = tg->parent;

	if (!p)
		return;
	p->child_utime_ns += c.utime_ns + tg->child_utime_ns;
	p->child_stime_ns += c.stime_ns + tg->child_stime_ns;
}

static struct timeval ns_to_tv(uint64_t ns)
{
	return (struct timeval){.tv_sec = (time_t)(ns / 1000000000ULL),
				.tv_usec = (long)(ns % 1000000000ULL / 1000)};
}

void cputime_to_rusage(struct rusage *ru, struct cputime c)
{
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime = ns_to_tv(c.utime_ns);
	ru->ru_stime = ns_to_tv(c.stime_ns);
}
