/* server.c: the control socket server: an accept thread, one thread per connection, and
 * the start/exit hand-shakes with the Sentry's main thread. */
#include "sentry/control/control.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/control/control_internal.h"
#include "sentry/control/control_proto.h"
#include "sentry/kernel/task.h"

/* State shared with the main thread; g_mu protects it. Never taken with the kernel
 * lock held. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static struct task *g_init;
static bool g_wait_start;	/* created, not started yet */
static bool g_start_requested, g_started;
static int g_kill_before_start; /* signal that ended a never-started sandbox */
static bool g_exited;
static int g_exit_status;
static int g_busy;		/* connections still answering exec/wait */
static int g_listen_fd = -1;

int control_reply(int conn, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	ssize_t n;

	json_decref(obj);
	if (!s)
		return -ENOMEM;
	n = fd_send(conn, s, strlen(s), NULL, 0);
	free(s);
	return n < 0 ? (int)n : 0;
}

int control_reply_error(int conn, int err, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return control_reply(conn, json_pack("{s:s, s:i}", "error", buf, "errno", -err));
}

bool control_sandbox_exited(int *wait_status)
{
	bool done;

	pthread_mutex_lock(&g_mu);
	done = g_exited;
	if (done && wait_status)
		*wait_status = g_exit_status;
	pthread_mutex_unlock(&g_mu);
	return done;
}

void control_busy(int delta)
{
	pthread_mutex_lock(&g_mu);
	g_busy += delta;
	pthread_cond_broadcast(&g_cv);
	pthread_mutex_unlock(&g_mu);
}

static int handle_start(int conn)
{
	pthread_mutex_lock(&g_mu);
	if (!g_wait_start || g_start_requested || g_kill_before_start) {
		pthread_mutex_unlock(&g_mu);
		return control_reply_error(conn, -EALREADY, "the container was already started");
	}
	g_start_requested = true;
	pthread_cond_broadcast(&g_cv);
	while (!g_started && !g_exited)
		pthread_cond_wait(&g_cv, &g_mu);
	pthread_mutex_unlock(&g_mu);
	return control_reply(conn, json_pack("{s:b}", "ok", 1));
}

/* Before start, init has run no code and has no handlers: like a pid 1 without
 * handlers it only reacts to SIGKILL. Returns true when the request was handled here. */
static bool signal_before_start(int sig)
{
	bool handled;

	pthread_mutex_lock(&g_mu);
	handled = g_wait_start && !g_started;
	if (handled && sig == SIGKILL && !g_kill_before_start) {
		g_kill_before_start = sig;
		pthread_cond_broadcast(&g_cv);
	}
	pthread_mutex_unlock(&g_mu);
	return handled;
}

static int handle_signal(int conn, json_t *req)
{
	int sig = (int)json_integer_value(json_object_get(req, "sig"));

	if (sig > 0 && sig <= 64 && signal_before_start(sig))
		return control_reply(conn, json_pack("{s:b}", "ok", 1));
	return control_do_signal(conn, req, &g_control_sandbox, g_init_tg);
}

static int handle_wait(int conn)
{
	int status;

	control_busy(1);
	pthread_mutex_lock(&g_mu);
	while (!g_exited)
		pthread_cond_wait(&g_cv, &g_mu);
	status = g_exit_status;
	pthread_mutex_unlock(&g_mu);
	int err = control_reply(conn, json_pack("{s:i}", "exit", status));
	control_busy(-1);
	return err;
}

int control_handle(int conn, const char *msg, int len, int *fds, int nfds)
{
	json_error_t jerr;
	json_t *req = json_loadb(msg, (size_t)len, 0, &jerr);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	int err;

	if (!cmd) {
		err = control_reply_error(conn, -EINVAL, "bad control request: %s",
					  req ? "no `cmd`" : jerr.text);
	} else if (json_object_get(req, "id")) {
		err = control_container_request(conn, cmd, req, fds, nfds);
		nfds = 0; /* taken */
	} else if (!strcmp(cmd, "start") || !strcmp(cmd, "signal")) {
		/* A start or a signal may end init at once: the process must not exit
		 * before the reply is sent (control_init_exited waits for busy ones). */
		control_busy(1);
		err = !strcmp(cmd, "start") ? handle_start(conn) : handle_signal(conn, req);
		control_busy(-1);
	} else if (!strcmp(cmd, "exec")) {
		err = control_do_exec(conn, req, fds, nfds, &g_control_sandbox);
		nfds = 0; /* taken */
	} else if (!strcmp(cmd, "wait")) {
		err = handle_wait(conn);
	} else if (!strcmp(cmd, "ps") || !strcmp(cmd, "stats")) {
		control_busy(1); /* answered even if init exits meanwhile */
		err = control_do_ps(conn, !strcmp(cmd, "stats"), &g_control_sandbox);
		control_busy(-1);
	} else if (!strcmp(cmd, "update")) {
		control_busy(1);
		err = control_do_update(conn, req, &g_control_sandbox);
		control_busy(-1);
	} else {
		err = control_reply_error(conn, -EINVAL, "unknown control request `%s`", cmd);
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	json_decref(req);
	return err;
}

static void *conn_main(void *arg)
{
	int conn = (int)(intptr_t)arg;
	char *buf = xmalloc(CONTROL_MSG_MAX);

	for (;;) {
		int fds[CONTROL_MAX_FDS], nfds = CONTROL_MAX_FDS;
		ssize_t n = fd_recv(conn, buf, CONTROL_MSG_MAX, fds, &nfds);
		if (n <= 0 || n >= CONTROL_MSG_MAX) {
			for (int i = 0; n > 0 && i < nfds; i++)
				close(fds[i]);
			break;
		}
		if (control_handle(conn, buf, (int)n, fds, nfds) < 0)
			break;
	}
	free(buf);
	close(conn);
	return NULL;
}

static void *accept_main(void *arg)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (;;) {
		pthread_t th;
		int conn = accept4(g_listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			log_warn("control socket: accept: %s", strerror(errno));
			break;
		}
		if (pthread_create(&th, &attr, conn_main, (void *)(intptr_t)conn) != 0)
			close(conn);
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

int control_start(int listen_fd, struct task *init, bool wait_start)
{
	pthread_attr_t attr;
	pthread_t th;
	int err;

	g_listen_fd = listen_fd;
	g_init = init;
	g_wait_start = wait_start;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	err = pthread_create(&th, &attr, accept_main, NULL);
	pthread_attr_destroy(&attr);
	return -err;
}

int control_wait_start(void)
{
	int sig;

	pthread_mutex_lock(&g_mu);
	while (!g_start_requested && !g_kill_before_start)
		pthread_cond_wait(&g_cv, &g_mu);
	sig = g_kill_before_start;
	pthread_mutex_unlock(&g_mu);
	if (sig)
		return sig;
	kernel_lock();
	if (task_start(g_init) < 0)
		log_err("cannot start the container's init thread");
	kernel_unlock();
	pthread_mutex_lock(&g_mu);
	g_started = true;
	pthread_cond_broadcast(&g_cv);
	pthread_mutex_unlock(&g_mu);
	return 0;
}

void control_init_exited(int wait_status)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 1;
	pthread_mutex_lock(&g_mu);
	g_exited = true;
	g_exit_status = wait_status;
	pthread_cond_broadcast(&g_cv);
	/* exec proxies and waiters get their answer before the process ends. */
	while (g_busy > 0)
		if (pthread_cond_timedwait(&g_cv, &g_mu, &deadline) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&g_mu);
}
