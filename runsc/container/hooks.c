/* hooks.c: OCI hooks: each runs on the host with the container's state on stdin, its own
 * args and env, and an optional timeout. */
#include "runsc/container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

static const char *const g_kind_names[OCI_HOOK_NKINDS] = {
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
	"poststop"};

static _Noreturn void hook_child(const struct oci_hook *h, int in)
{
	char *const argv0[] = {h->path, NULL};

	dup2(in, 0);
	/* The hook's stdout must not mix into our answers (state, ps print JSON). */
	dup2(2, 1);
	execve(h->path, h->args[0] ? h->args : argv0, h->env);
	fprintf(stderr, "runsc: hook `%s`: %s\n", h->path, strerror(errno));
	_exit(127);
}

/* Wait for pid, killing it after timeout seconds (0: never). */
static int hook_wait(pid_t pid, int timeout, int *status)
{
	struct timespec start, now, ts = {0, 5000000};

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(pid, status, timeout ? WNOHANG : 0);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout && now.tv_sec - start.tv_sec >= timeout) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -ETIMEDOUT;
		}
		if (timeout)
			nanosleep(&ts, NULL);
	}
}

static int run_one(const struct oci_hook *h, const char *state, const char *name,
		   struct oci_error *e)
{
	int p[2], status = 0, err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return oci_errorf(e, "%s: pipe: %s", name, strerror(errno));
	pid = fork();
	if (pid == 0)
		hook_child(h, p[0]);
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return oci_errorf(e, "%s: fork: %s", name, strerror(errno));
	}
	/* A hook that does not read its stdin must not block us (EPIPE is fine). */
	signal(SIGPIPE, SIG_IGN);
	ignore_result(write_all(p[1], state, strlen(state)));
	close(p[1]);
	err = hook_wait(pid, h->timeout, &status);
	if (err == -ETIMEDOUT)
		return oci_errorf(e, "%s (`%s`): timed out after %d s", name, h->path, h->timeout);
	if (err)
		return oci_errorf(e, "%s (`%s`): %s", name, h->path, strerror(-err));
	if (WIFSIGNALED(status))
		return oci_errorf(e, "%s (`%s`): killed by signal %d", name, h->path,
				  WTERMSIG(status));
	if (WEXITSTATUS(status))
		return oci_errorf(e, "%s (`%s`): exit status %d", name, h->path,
				  WEXITSTATUS(status));
	return 0;
}

int container_run_hooks(const struct container *c, const struct oci_spec *s, int kind,
			const char *status, struct oci_error *e)
{
	char name[64];
	json_t *st;
	char *text;
	int err = 0;

	if (!s || !s->hooks.n[kind])
		return 0;
	st = container_state_json(c, status);
	text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	for (int i = 0; !err && text && i < s->hooks.n[kind]; i++) {
		snprintf(name, sizeof(name), "hooks.%s[%d]", g_kind_names[kind], i);
		err = run_one(&s->hooks.v[kind][i], text, name, e);
	}
	free(text);
	return err;
}
