/* alarm and setitimer/getitimer: REAL one-shot and periodic, VIRTUAL and PROF during a
 * busy loop, remaining-time reports and errnos. */
#include "harness.h"

#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t g_hits[65];

static void on_sig(int sig)
{
	g_hits[sig]++;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void catch(int sig)
{
	struct sigaction sa = {.sa_handler = on_sig};

	sigaction(sig, &sa, NULL);
	g_hits[sig] = 0;
}

static void alarm_delivers_sigalrm_after_the_time(void)
{
	long long t0 = mono_ms(), dt;

	catch(SIGALRM);
	CHECK_EQ(alarm(1), 0);
	while (!g_hits[SIGALRM] && mono_ms() - t0 < 5000)
		pause();
	dt = mono_ms() - t0;
	CHECK_EQ(g_hits[SIGALRM], 1);
	CHECK(dt >= 950 && dt < 3000);
}

static void alarm_reports_and_cancels_the_previous_one(void)
{
	catch(SIGALRM);
	CHECK_EQ(alarm(10), 0);
	CHECK_EQ(alarm(5), 10);
	CHECK_EQ(alarm(0), 5);
	CHECK_EQ(alarm(0), 0);
	usleep(20000);
	CHECK_EQ(g_hits[SIGALRM], 0);
}

static void itimer_real_is_periodic(void)
{
	struct itimerval it = {{0, 20000}, {0, 20000}}, cur, off = {{0, 0}, {0, 0}};
	long long t0 = mono_ms();

	catch(SIGALRM);
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
	CHECK_OK(getitimer(ITIMER_REAL, &cur));
	CHECK_EQ(cur.it_interval.tv_usec, 20000);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec <= 20000);
	while (g_hits[SIGALRM] < 5 && mono_ms() - t0 < 5000)
		pause();
	CHECK_OK(setitimer(ITIMER_REAL, &off, &cur));
	CHECK(g_hits[SIGALRM] >= 5);
	CHECK(mono_ms() - t0 >= 90);
	CHECK_EQ(cur.it_interval.tv_usec, 20000);
	CHECK_OK(getitimer(ITIMER_REAL, &cur));
	CHECK_EQ(cur.it_value.tv_sec + cur.it_value.tv_usec, 0);
}

static long long cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Burn CPU until flag is set or limit_ms of CPU time went by (or 30 s of wall time: a
 * loaded host gives a busy loop a small share of a CPU). */
static void busy_until(volatile sig_atomic_t *flag, long long limit_ms)
{
	long long t0 = mono_ms(), c0 = cpu_ms();
	volatile unsigned long x = 0;

	while (!*flag && cpu_ms() - c0 < limit_ms && mono_ms() - t0 < 30000)
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
}

static void itimer_virtual_and_prof_count_cpu_time(void)
{
	struct itimerval it = {{0, 0}, {0, 100000}}, cur;

	catch(SIGVTALRM);
	catch(SIGPROF);
	CHECK_OK(setitimer(ITIMER_VIRTUAL, &it, NULL));
	CHECK_OK(setitimer(ITIMER_PROF, &it, NULL));
	/* Sleeping costs no CPU time: neither fires. */
	usleep(200000);
	CHECK_EQ(g_hits[SIGVTALRM], 0);
	CHECK_OK(getitimer(ITIMER_VIRTUAL, &cur));
	CHECK(cur.it_value.tv_usec > 0);
	busy_until(&g_hits[SIGVTALRM], 2000);
	busy_until(&g_hits[SIGPROF], 2000);
	CHECK_EQ(g_hits[SIGVTALRM], 1);
	CHECK_EQ(g_hits[SIGPROF], 1);
}

static void setitimer_errors(void)
{
	struct itimerval bad = {{0, 0}, {0, 1000000}}, cur;

	CHECK_ERR(setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
	CHECK_ERR(setitimer((__itimer_which_t)7, &bad, NULL), EINVAL);
	CHECK_ERR(getitimer((__itimer_which_t)-1, &cur), EINVAL);
	CHECK_ERR(syscall(SYS_getitimer, ITIMER_REAL, 1L), EFAULT);
}

int main(void)
{
	h_begin();
	RUN(alarm_delivers_sigalrm_after_the_time);
	RUN(alarm_reports_and_cancels_the_previous_one);
	RUN(itimer_real_is_periodic);
	RUN(itimer_virtual_and_prof_count_cpu_time);
	RUN(setitimer_errors);
	return h_end();
}
