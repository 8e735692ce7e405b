/* console.c: a container's terminal. runsc hands the Sentry the slave of a host pty whose
 * master went to the client (--console-socket); the process instead gets a pty of the
 * sandbox's own devpts (/dev/pts/N) as its controlling terminal, and two host threads
 * relay bytes between that pty's master and the host slave, which is kept raw: termios,
 * echo, line editing and ^C -> SIGINT of the foreground group all happen in the Sentry.
 * The host window size is polled and becomes the pty's (SIGWINCH to the foreground).
 *
 * Ending: when the client closes the host master, the sandbox's pty hangs up (SIGHUP to
 * the session); when every slave in the sandbox is closed and the output is flushed,
 * the host slave is closed so the client sees the end. */
#include "sentry/fs/dev/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

#define CONSOLE_POLL_MS 100 /* how often the window size and the end are checked */

struct console {
	int host;		/* host pty slave (raw); closed by the input thread */
	struct file *master;	/* the sandbox pty's master; NULL once released */
	struct tty *tty;
	struct waitq_hook hook;	/* on tty->out_wq: output to relay */
	struct kwinsize ws;	/* last host window size seen */
	pthread_mutex_t mu;	/* protects the fields below (never held with the kernel lock
				 * taken after it) */
	pthread_cond_t cv;
	bool output_pending, done;
	int refs;		/* the two relay threads */
};

static void console_put(struct console *c)
{
	pthread_mutex_lock(&c->mu);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&c->mu);
	if (last) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c);
	}
}

static void console_finish(struct console *c)
{
	pthread_mutex_lock(&c->mu);
	c->done = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Kernel lock held: called by waitq_wake_all on the pty's output queue. */
static void console_hook(struct waitq_hook *h)
{
	struct console *c = container_of(h, struct console, hook);

	pthread_mutex_lock(&c->mu);
	c->output_pending = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Kernel lock held. The sandbox's side is finished: every slave closed, output gone. */
static bool console_app_done(const struct console *c)
{
	return !c->master || (c->tty->slave_was_opened && c->tty->slave_opens == 0 &&
			      c->tty->out.len == 0);
}

/* Output thread: the pty's output to the host slave. */
static void *console_output_main(void *arg)
{
	struct console *c = arg;
	char buf[4096];

	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->output_pending && !c->done)
			pthread_cond_wait(&c->cv, &c->mu);
		bool done = c->done;
		c->output_pending = false;
		pthread_mutex_unlock(&c->mu);
		if (done)
			break;
		for (;;) {
			size_t n = 0;
			kernel_lock();
			if (c->master) {
				n = tty_ring_get(&c->tty->out, buf, sizeof(buf));
				if (n)
					waitq_wake_all(&c->tty->out_wq); /* writers blocked on a full ring */
			}
			kernel_unlock();
			if (n == 0 || write_all(c->host, buf, n) < 0)
				break;
		}
	}
	console_put(c);
	return NULL;
}

/* The host window size, when it changed, becomes the pty's. */
static void console_check_size(struct console *c)
{
	struct winsize ws;

	if (ioctl(c->host, TIOCGWINSZ, &ws) < 0)
		return;
	if (ws.ws_row == c->ws.ws_row && ws.ws_col == c->ws.ws_col &&
	    ws.ws_xpixel == c->ws.ws_xpixel && ws.ws_ypixel == c->ws.ws_ypixel)
		return;
	c->ws = (struct kwinsize){ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel};
	kernel_lock();
	if (c->master) {
		c->tty->ws = c->ws;
		tty_signal_fg(c->tty, SIGWINCH);
	}
	kernel_unlock();
}

/* Input thread: host slave to the pty's master (input processing, echo, signals), the
 * window size, and the end of either side. */
static void *console_input_main(void *arg)
{
	struct console *c = arg;
	char buf[4096];
	bool host_gone = false;

	for (;;) {
		struct pollfd p = {.fd = c->host, .events = POLLIN};
		int r = poll(&p, 1, CONSOLE_POLL_MS);
		if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(c->host, buf, sizeof(buf));
			if (n > 0) {
				kernel_lock();
				if (c->master)
					ldisc_receive(c->tty, buf, (size_t)n);
				kernel_unlock();
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				host_gone = true; /* the client closed the master */
			}
		}
		console_check_size(c);
		kernel_lock();
		bool app_done = console_app_done(c);
		kernel_unlock();
		if (host_gone || app_done)
			break;
	}
	console_finish(c); /* the output thread flushes nothing more */
	kernel_lock();
	waitq_hook_del(&c->hook);
	if (c->master) {
		file_put(c->master); /* hangs up the pty: SIGHUP to its session */
		c->master = NULL;
	}
	kernel_unlock();
	close(c->host);
	console_put(c);
	return NULL;
}

/* Make the host slave raw: the Sentry's pty does all terminal processing. */
static void console_host_raw(int fd)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) < 0)
		return;
	cfmakeraw(&tio);
	tcsetattr(fd, TCSANOW, &tio);
}

/* Open path as t would (chrdev opens look at t_current). */
static int console_open_as(struct task *t, const char *path, int flags, struct file **out)
{
	struct task *saved = t_current;
	int err;

	t_current = t;
	err = vfs_openat(t, AT_FDCWD, path, flags, 0, out);
	t_current = saved;
	return err;
}

/* Start both relay threads. On failure no thread owns c, except when only the output
 * thread started: then *half is set and console_finish(c) makes it free c. */
static int console_start_threads(struct console *c, bool *half)
{
	pthread_attr_t attr;
	pthread_t th;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 << 10);
	c->refs = 2;
	*half = false;
	err = pthread_create(&th, &attr, console_output_main, c);
	if (!err && (err = pthread_create(&th, &attr, console_input_main, c)) != 0) {
		c->refs = 1;
		*half = true;
	}
	pthread_attr_destroy(&attr);
	return -err;
}

static int console_open(struct task *t, int host_fd, struct file **slave)
{
	struct console *c;
	struct file *m = NULL, *s = NULL;
	char path[32];
	bool half;
	int err;

	err = console_open_as(t, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, &m);
	if (err)
		err = console_open_as(t, "/dev/ptmx", O_RDWR | O_NOCTTY, &m);
	if (err)
		return err;
	c = xcalloc(1, sizeof(*c));
	c->tty = m->priv;
	c->tty->locked = false;
	snprintf(path, sizeof(path), "/dev/pts/%d", c->tty->index);
	/* No O_NOCTTY: t, a session leader, gets it as its controlling terminal. */
	err = console_open_as(t, path, O_RDWR, &s);
	if (err) {
		file_put(m);
		free(c);
		return err;
	}
	c->host = host_fd;
	c->master = m;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	console_host_raw(host_fd);
	struct winsize ws;
	if (ioctl(host_fd, TIOCGWINSZ, &ws) == 0)
		c->ws = c->tty->ws = (struct kwinsize){ws.ws_row, ws.ws_col, ws.ws_xpixel,
						      ws.ws_ypixel};
	c->hook.fn = console_hook;
	waitq_hook_add(&c->tty->out_wq, &c->hook);
	err = console_start_threads(c, &half);
	if (err) {
		waitq_hook_del(&c->hook);
		c->master = NULL;
		file_put(s);
		file_put(m);
		if (half)
			console_finish(c); /* the output thread frees c */
		else
			free(c);
		return err;
	}
	*slave = s;
	return 0;
}

int console_attach(struct task *t, int host_fd)
{
	struct file *slave;
	int err = console_open(t, host_fd, &slave);

	if (err)
		return err;
	for (int fd = 0; fd < 3; fd++)
		if (fdtable_install_at(t->files, fd, slave, false) < 0)
			log_warn("console: cannot install the terminal at fd %d", fd);
	file_put(slave);
	return 0;
}
