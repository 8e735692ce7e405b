/* ops.c: control requests that read or signal a container's processes (signal, ps,
 * stats) or change its cgroup's limits (update). */
#include <errno.h>
#include <string.h>

#include "lib/util.h"
#include "sentry/boot_internal.h"
#include "sentry/control/control_internal.h"
#include "sentry/kernel/control_api.h"
#include "sentry/kernel/task.h"

#define PS_MAX 4096

int control_do_signal(int conn, json_t *req, const struct control_target *c,
		      struct thread_group *init)
{
	int sig = (int)json_integer_value(json_object_get(req, "sig"));
	int pid = (int)json_integer_value(json_object_get(req, "pid"));
	bool all = json_is_true(json_object_get(req, "all"));
	struct thread_group *tg;
	int err = 0;

	if (sig <= 0 || sig > SENTRY_NSIG)
		return control_reply_error(conn, -EINVAL, "invalid signal %d", sig);
	if (control_sandbox_exited(NULL))
		return control_reply_error(conn, -ESRCH, "container not running");
	kernel_lock();
	if (all) {
		control_signal_all(sig, c->cid);
	} else {
		tg = pid ? tg_find(pid) : init;
		if (tg && tg->cid != c->cid)
			tg = NULL; /* a process of another container of the pod */
		err = tg && !tg->zombie ? tg_send_signal(tg, sig, NULL) : -ESRCH;
	}
	kernel_unlock();
	if (err == -ESRCH)
		return control_reply_error(conn, err, "no such process: %d", pid);
	if (err)
		return control_reply_error(conn, err, "signal %d: %s", sig, strerror(-err));
	return control_reply(conn, json_pack("{s:b}", "ok", 1));
}

int control_do_ps(int conn, bool stats_only, const struct control_target *c)
{
	struct control_proc *v = xcalloc(PS_MAX, sizeof(*v));
	json_t *arr, *reply;
	int n, threads = 0;

	kernel_lock();
	n = MIN(control_ps(v, PS_MAX, c->cid), PS_MAX);
	kernel_unlock();
	arr = json_array();
	for (int i = 0; i < n; i++) {
		threads += v[i].threads;
		if (stats_only)
			continue;
		json_array_append_new(arr, json_pack("{s:i, s:i, s:i, s:i, s:s, s:I, s:s#}",
						     "pid", v[i].pid, "ppid", v[i].ppid,
						     "uid", (int)v[i].uid, "threads", v[i].threads,
						     "comm", v[i].comm, "start_ns",
						     (json_int_t)v[i].start_ns, "state",
						     &v[i].state, 1));
	}
	free(v);
	reply = json_pack("{s:b, s:i, s:i}", "ok", 1, "pids", n, "threads", threads);
	if (stats_only)
		json_decref(arr);
	else
		json_object_set_new(reply, "procs", arr);
	return control_reply(conn, reply);
}

int control_do_update(int conn, json_t *req, const struct control_target *c)
{
	json_t *r = json_object_get(req, "resources");
	struct cgroup_limits l;

	if (!json_is_object(r))
		return control_reply_error(conn, -EINVAL, "bad update request: `resources` is "
					   "not an object");
	boot_cgroup_limits(r, &l);
	kernel_lock();
	cgroup_set_limits(c->cgroup ? c->cgroup : cgroup_root(), &l);
	kernel_unlock();
	return control_reply(conn, json_pack("{s:b}", "ok", 1));
}
