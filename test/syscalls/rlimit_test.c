/* getrlimit/prlimit64: reading, lowering, raising within the hard limit, errnos. */
#include "harness.h"

#include <sys/resource.h>

static void nofile_limit_is_sane(void)
{
	struct rlimit rl;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK(rl.rlim_cur > 3);
	CHECK(rl.rlim_cur <= rl.rlim_max);
	CHECK_OK(getrlimit(RLIMIT_STACK, &rl));
	CHECK(rl.rlim_cur > 0);
}

static void prlimit_self_matches_getrlimit(void)
{
	struct rlimit a, b;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &a));
	CHECK_OK(prlimit(0, RLIMIT_NOFILE, NULL, &b));
	CHECK_EQ(a.rlim_cur, b.rlim_cur);
	CHECK_EQ(a.rlim_max, b.rlim_max);
	CHECK_OK(prlimit(getpid(), RLIMIT_NOFILE, NULL, &b));
	CHECK_EQ(a.rlim_cur, b.rlim_cur);
}

static void setting_soft_limit_is_visible_and_inherited(void)
{
	struct rlimit old, set, got;
	pid_t pid;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &old));
	set = old;
	set.rlim_cur = 100;
	CHECK_OK(prlimit(0, RLIMIT_NOFILE, &set, &got));
	CHECK_EQ(got.rlim_cur, old.rlim_cur);
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &got));
	CHECK_EQ(got.rlim_cur, 100);
	pid = fork();
	if (pid == 0) {
		struct rlimit c;

		_exit(getrlimit(RLIMIT_NOFILE, &c) == 0 && c.rlim_cur == 100 ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &old));
}

static void rlimit_errors(void)
{
	struct rlimit rl, bad;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	bad.rlim_cur = 10;
	bad.rlim_max = 5;
	CHECK_ERR(setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
	CHECK_ERR(syscall(SYS_prlimit64, 0, 1000, NULL, &rl), EINVAL);
	CHECK_ERR(syscall(SYS_getrlimit, 1000, &rl), EINVAL);
	CHECK_ERR(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, 1L), EFAULT);
	CHECK_ERR(syscall(SYS_prlimit64, 0x3fffffff, RLIMIT_NOFILE, NULL, &rl), ESRCH);
}

int main(void)
{
	h_begin();
	RUN(nofile_limit_is_sane);
	RUN(prlimit_self_matches_getrlimit);
	RUN(setting_soft_limit_is_visible_and_inherited);
	RUN(rlimit_errors);
	return h_end();
}
