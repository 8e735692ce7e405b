/* container.c: the other containers of a pod (CRI's sandbox-id): created in the running
 * sandbox by `runsc create`, each with its own mount tree and first process, sharing the
 * kernel, each in its own cgroup under the pod's. Requests carrying "id" come here:
 * create, start, signal, exec, wait, ps, stats, update, destroy. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/boot_internal.h"
#include "sentry/control/control_internal.h"
#include "sentry/kernel/control_api.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/vfs/vfs.h"

#define REAP_POLL_NS (20 * 1000 * 1000)
#define DESTROY_TIMEOUT_S 10

struct pod_container {
	char id[256];			/* "" once destroyed */
	struct boot_container bc;	/* bc.init: until started */
	struct thread_group *tg;	/* its first process (a reference held) */
	bool started, exited;
	int status;			/* wait status once exited */
};

/* Every container ever created (never freed: waiters may still hold one); cids are
 * never reused, so a leftover process can never be taken for another container's.
 * g_mu protects the table and the fields; the kernel lock may be taken inside it. */
static struct pod_container *g_pods[UTS_MAX_CID];
static int g_next_cid = 1;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;

static struct pod_container *pod_find(const char *id)
{
	for (int i = 1; i < g_next_cid; i++)
		if (g_pods[i] && g_pods[i]->id[0] && !strcmp(g_pods[i]->id, id))
			return g_pods[i];
	return NULL;
}

/* g_mu held: p's first process has ended with status. Its other processes end with it,
 * as when the init of a container's pid namespace dies. */
static void pod_exited(struct pod_container *p, int status)
{
	p->exited = true;
	p->status = status;
	kernel_lock();
	control_signal_all(SIGKILL, p->bc.cid);
	kernel_unlock();
	pthread_cond_broadcast(&g_cv);
}

/* Reaps the container's first process (it has no parent in the sandbox to do it). */
static void *pod_reaper(void *arg)
{
	struct pod_container *p = arg;
	struct timespec ts = {0, REAP_POLL_NS};
	int status = 0;

	for (;;) {
		kernel_lock();
		int r = control_tg_reap(p->tg, &status);
		kernel_unlock();
		if (r == 0)
			break;
		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&g_mu);
	pod_exited(p, status);
	pthread_mutex_unlock(&g_mu);
	return NULL;
}

static int pod_create(int conn, const char *id, json_t *req, int *fds, int nfds)
{
	struct pod_container *p;
	char msg[512] = "";
	int err;

	if (strlen(id) >= sizeof(p->id) || !*id)
		return control_reply_error(conn, -EINVAL, "bad container id");
	if (pod_find(id))
		return control_reply_error(conn, -EEXIST, "container `%s` already exists in "
					   "this sandbox", id);
	if (g_next_cid >= UTS_MAX_CID)
		return control_reply_error(conn, -ENOSPC, "this sandbox has made %d containers "
					   "already, no more", UTS_MAX_CID - 1);
	p = xcalloc(1, sizeof(*p));
	p->bc.cid = g_next_cid;
	p->bc.id = id;
	p->bc.sandbox = json_string_value(json_object_get(req, "sandbox"));
	kernel_lock();
	err = boot_container_create(json_object_get(req, "spec"), fds, nfds, &p->bc, msg,
				    sizeof(msg));
	if (!err) {
		p->tg = p->bc.init->tg;
		p->tg->refs++; /* signals may name it until destroy, even once reaped */
	} else if (p->bc.root) {
		vfs_release_tree(p->bc.root); /* the mounts made before the failure */
	}
	kernel_unlock();
	if (err) {
		uts_drop_container(p->bc.cid);
		free(p->bc.target.seccomp);
		kernel_lock();
		pidns_put(p->bc.target.pidns);
		kernel_unlock();
		free(p);
		log_warn("container %s: %s", id, msg);
		return control_reply_error(conn, err, "%s", msg);
	}
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->bc.id = p->id; /* the request's strings go with it */
	p->bc.sandbox = NULL;
	g_pods[g_next_cid++] = p;
	log_info("container %s: created (cid %d, pid %d)", id, p->bc.cid, p->tg->tgid);
	return control_reply(conn, json_pack("{s:b, s:i}", "ok", 1, "pid", p->tg->tgid));
}

/* g_mu held. Never started: undo the process; its status is SIGKILL's. */
static void pod_abort(struct pod_container *p)
{
	kernel_lock();
	control_task_abort(p->bc.init);
	kernel_unlock();
	p->bc.init = NULL;
	pod_exited(p, SIGKILL);
}

static int pod_start(int conn, struct pod_container *p)
{
	pthread_attr_t attr;
	pthread_t th;
	int err;

	if (p->started || p->exited)
		return control_reply_error(conn, -EALREADY, "the container was already started");
	kernel_lock();
	err = task_start(p->bc.init);
	kernel_unlock();
	if (err)
		return control_reply_error(conn, err, "cannot start a thread: %s", strerror(-err));
	p->started = true;
	p->bc.init = NULL;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 << 10);
	err = pthread_create(&th, &attr, pod_reaper, p);
	pthread_attr_destroy(&attr);
	if (err)
		log_err("container %s: cannot start its reaper: %s", p->id, strerror(err));
	return control_reply(conn, json_pack("{s:b}", "ok", 1));
}

static int pod_signal(int conn, struct pod_container *p, json_t *req)
{
	int sig = (int)json_integer_value(json_object_get(req, "sig"));

	if (p->exited)
		return control_reply_error(conn, -ESRCH, "container not running");
	if (!p->started) {
		/* Like the sandbox's init before start: only SIGKILL reaches it. */
		if (sig == SIGKILL)
			pod_abort(p);
		return control_reply(conn, json_pack("{s:b}", "ok", 1));
	}
	return control_do_signal(conn, req, &p->bc.target, p->tg);
}

/* Wait (g_mu held) until p has exited; false after the timeout (0: none). */
static bool pod_wait_exit(struct pod_container *p, int timeout_s)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_s;
	while (!p->exited) {
		if (!timeout_s)
			pthread_cond_wait(&g_cv, &g_mu);
		else if (pthread_cond_timedwait(&g_cv, &g_mu, &deadline) == ETIMEDOUT)
			return p->exited;
	}
	return true;
}

/* g_mu held: remove p's cgroup once its processes (killed) have all gone. */
static void pod_leave_cgroup(struct pod_container *p)
{
	struct timespec ts = {0, REAP_POLL_NS};
	int err = p->bc.target.cgroup ? -EBUSY : 0;

	for (int i = 0; err == -EBUSY && i < DESTROY_TIMEOUT_S * 1000 / (REAP_POLL_NS / 1000000);
	     i++) {
		if (i)
			nanosleep(&ts, NULL);
		kernel_lock();
		err = cgroup_pod_leave(p->bc.target.cgroup);
		kernel_unlock();
	}
	if (err)
		log_warn("container %s: its cgroup stays: %s", p->id, strerror(-err));
}

static int pod_destroy(int conn, struct pod_container *p)
{
	if (!p->started && !p->exited) {
		pod_abort(p);
	} else if (!p->exited) {
		kernel_lock();
		control_signal_all(SIGKILL, p->bc.cid);
		kernel_unlock();
		if (!pod_wait_exit(p, DESTROY_TIMEOUT_S))
			return control_reply_error(conn, -EBUSY, "container `%s` did not die in "
						   "%d s", p->id, DESTROY_TIMEOUT_S);
	}
	uts_drop_container(p->bc.cid);
	pod_leave_cgroup(p);
	/* Its mounts go: cached files (their host fds), tmpfs memory, Gofer connections. */
	kernel_lock();
	vfs_release_tree(p->bc.root);
	kernel_unlock();
	log_info("container %s: destroyed", p->id);
	p->id[0] = '\0';
	return control_reply(conn, json_pack("{s:b}", "ok", 1));
}

/* The answer to a wait request, and to the proxy process runsc leaves: the status of
 * the container's first process once it has ended. */
static int pod_wait(int conn, struct pod_container *p)
{
	int status;

	pthread_mutex_lock(&g_mu);
	pod_wait_exit(p, 0);
	status = p->status;
	pthread_mutex_unlock(&g_mu);
	return control_reply(conn, json_pack("{s:i}", "exit", status));
}

/* Requests that hold g_mu while they run (they do not block for long). */
static int pod_locked_request(int conn, const char *cmd, struct pod_container *p, json_t *req)
{
	if (!strcmp(cmd, "start"))
		return pod_start(conn, p);
	if (!strcmp(cmd, "signal"))
		return pod_signal(conn, p, req);
	if (!strcmp(cmd, "destroy"))
		return pod_destroy(conn, p);
	if (!strcmp(cmd, "update"))
		return control_do_update(conn, req, &p->bc.target);
	return control_reply_error(conn, -EINVAL, "unknown control request `%s`", cmd);
}

int control_container_request(int conn, const char *cmd, json_t *req, int *fds, int nfds)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	struct pod_container *p;
	int err;

	if (control_sandbox_exited(NULL)) {
		err = control_reply_error(conn, -ESRCH, "the sandbox is not running");
		goto out;
	}
	pthread_mutex_lock(&g_mu);
	if (!id) {
		err = control_reply_error(conn, -EINVAL, "bad control request: `id` is not a "
					  "string");
	} else if (!strcmp(cmd, "create")) {
		err = pod_create(conn, id, req, fds, nfds); /* takes fds it used (-1) */
	} else if (!(p = pod_find(id))) {
		err = control_reply_error(conn, -ENOENT, "container `%s` does not exist in this "
					  "sandbox", id);
	} else if (!strcmp(cmd, "wait") || !strcmp(cmd, "exec") || !strcmp(cmd, "ps") ||
		   !strcmp(cmd, "stats")) {
		/* These may block (wait, exec until the process ends): not under g_mu. The
		 * entry outlives the request (entries are never freed). */
		bool exited = p->exited;
		pthread_mutex_unlock(&g_mu);
		if (!strcmp(cmd, "wait"))
			return pod_wait(conn, p);
		if (!strcmp(cmd, "exec") && exited)
			err = control_reply_error(conn, -ESRCH, "container not running");
		else if (!strcmp(cmd, "exec"))
			return control_do_exec(conn, req, fds, nfds, &p->bc.target);
		else
			err = control_do_ps(conn, !strcmp(cmd, "stats"), &p->bc.target);
		goto out;
	} else {
		err = pod_locked_request(conn, cmd, p, req);
	}
	pthread_mutex_unlock(&g_mu);
out:
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}
