/* flock(2): shared and exclusive locks between open file descriptions, LOCK_NB, and
 * release on the last close of a description. */
#include <sys/file.h>

#include "harness.h"

static void flock_exclusive_conflicts_between_descriptions(void)
{
	const char *p = h_make_file("a", "x");
	int a = CHECK_OK(open(p, O_RDONLY)), b = CHECK_OK(open(p, O_RDONLY));

	CHECK_OK(flock(a, LOCK_EX));
	CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	CHECK_OK(flock(a, LOCK_EX)); /* relocking by the owner is fine */
	CHECK_OK(flock(a, LOCK_UN));
	CHECK_OK(flock(b, LOCK_EX | LOCK_NB));
	close(a);
	close(b);
}

static void flock_shared_locks_coexist(void)
{
	const char *p = h_make_file("b", "x");
	int a = CHECK_OK(open(p, O_RDONLY)), b = CHECK_OK(open(p, O_RDONLY));

	CHECK_OK(flock(a, LOCK_SH));
	CHECK_OK(flock(b, LOCK_SH | LOCK_NB));
	CHECK_ERR(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_OK(flock(b, LOCK_UN));
	CHECK_OK(flock(a, LOCK_EX | LOCK_NB)); /* upgrade once alone */
	close(a);
	close(b);
}

static void flock_dup_shares_lock_and_last_close_releases(void)
{
	const char *p = h_make_file("c", "x");
	int a = CHECK_OK(open(p, O_RDONLY)), b = CHECK_OK(open(p, O_RDONLY));
	int a2 = CHECK_OK(dup(a));

	CHECK_OK(flock(a, LOCK_EX));
	CHECK_OK(flock(a2, LOCK_EX | LOCK_NB)); /* same description */
	close(a);
	CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	close(a2);
	CHECK_OK(flock(b, LOCK_EX | LOCK_NB));
	close(b);
}

static void flock_bad_args(void)
{
	const char *p = h_make_file("d", "x");
	int a = CHECK_OK(open(p, O_RDONLY));

	CHECK_ERR(flock(a, 0), EINVAL);
	CHECK_ERR(flock(a, LOCK_SH | LOCK_EX | 64), EINVAL);
	CHECK_ERR(flock(-1, LOCK_SH), EBADF);
	CHECK_ERR(flock(999, LOCK_SH), EBADF);
	close(a);
}

static void flock_blocks_until_released_by_child(void)
{
	const char *p = h_make_file("e", "x");
	int a = CHECK_OK(open(p, O_RDONLY)), sync[2];
	pid_t pid;
	char c;

	CHECK_OK(pipe(sync));
	CHECK_OK(flock(a, LOCK_EX));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int b = open(p, O_RDONLY);

		close(sync[0]);
		if (flock(b, LOCK_EX | LOCK_NB) != -1 || errno != EWOULDBLOCK)
			_exit(2);
		write(sync[1], "r", 1);
		if (flock(b, LOCK_EX) != 0) /* blocks until the parent unlocks */
			_exit(3);
		_exit(0);
	}
	close(sync[1]);
	CHECK_EQ(read(sync[0], &c, 1), 1);
	usleep(50000);
	CHECK_OK(flock(a, LOCK_UN));
	CHECK_EQ(h_wait(pid), 0);
	close(sync[0]);
	close(a);
}

static void flock_inherited_description_is_shared_with_child(void)
{
	const char *p = h_make_file("f", "x");
	int a = CHECK_OK(open(p, O_RDONLY)), b = CHECK_OK(open(p, O_RDONLY));
	pid_t pid;

	CHECK_OK(flock(a, LOCK_EX));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(flock(a, LOCK_EX | LOCK_NB) == 0 ? 0 : 1); /* the same lock */
	CHECK_EQ(h_wait(pid), 0);
	CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	close(a);
	close(b);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(flock_exclusive_conflicts_between_descriptions);
	RUN(flock_shared_locks_coexist);
	RUN(flock_dup_shares_lock_and_last_close_releases);
	RUN(flock_bad_args);
	RUN(flock_blocks_until_released_by_child);
	RUN(flock_inherited_description_is_shared_with_child);
	return h_end();
}
