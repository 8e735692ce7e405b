/* tty_ioctl.c: terminal ioctls of the ptys: termios (TCGETS/TCSETS*), window size,
 * pty control (TIOCGPTN, TIOCSPTLCK), the controlling terminal and the foreground process
 * group (TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID), FIONREAD, flushing. */
#include "sentry/fs/dev/tty.h"

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

/* Is tty the controlling terminal of t's session? */
static bool is_ctty(struct task *t, const struct tty *tty)
{
	return t && t->tg && tty->sid && tty->sid == t->tg->sid;
}

static long set_ctty(struct task *t, struct tty *tty, uint64_t arg)
{
	dev_t dev;
	int fg;

	if (is_ctty(t, tty))
		return 0;
	/* Only a session leader without a terminal may acquire one. */
	if (t->tg->sid != t->tg->tgid || tty_session_info(t->tg->sid, &dev, &fg) == 0)
		return -EPERM;
	if (tty->sid) {
		/* Stealing another session's terminal needs arg 1 and CAP_SYS_ADMIN. */
		if (arg != 1 || !caps_capable(t, CAP_SYS_ADMIN))
			return -EPERM;
	}
	tty->sid = t->tg->sid;
	tty->fg_pgrp = t->tg->pgid;
	return 0;
}

static long no_ctty(struct task *t, struct tty *tty)
{
	if (!is_ctty(t, tty))
		return -ENOTTY;
	if (t->tg->sid == t->tg->tgid) {
		tty_signal_fg(tty, SIGHUP);
		tty_signal_fg(tty, SIGCONT);
		tty_release_ctty(tty);
	}
	return 0;
}

static long set_pgrp(struct task *t, struct tty *tty, uint64_t arg)
{
	int pgid;

	if (!is_ctty(t, tty))
		return -ENOTTY;
	if (copy_from_user(t, &pgid, uaddr(arg), sizeof(pgid)))
		return -EFAULT;
	if (pgid < 0)
		return -EINVAL;
	pgid = pid_from_vnr(t, pgid); /* kept sandbox-wide */
	if (pgid < 0 || !proc_pgrp_in_session(pgid, tty->sid))
		return -EPERM;
	tty->fg_pgrp = pgid;
	return 0;
}

static long set_termios(struct task *t, struct tty *tty, unsigned cmd, uint64_t arg)
{
	struct ktermios tio;
	bool was_canon = tty->termios.c_lflag & ICANON;

	if (copy_from_user(t, &tio, uaddr(arg), sizeof(tio)))
		return -EFAULT;
	if (cmd == TCSETSF)
		ldisc_flush_input(tty);
	tty->termios = tio;
	/* Leaving canonical mode hands the partial line to readers as is. */
	if (was_canon && !(tio.c_lflag & ICANON) && tty->line_len) {
		tty_ring_put(&tty->in, tty->line, tty->line_len);
		tty->line_len = 0;
	}
	waitq_wake_all(&tty->in_wq);
	return 0;
}

static long set_winsize(struct task *t, struct tty *tty, uint64_t arg)
{
	struct kwinsize ws;

	if (copy_from_user(t, &ws, uaddr(arg), sizeof(ws)))
		return -EFAULT;
	if (memcmp(&ws, &tty->ws, sizeof(ws))) {
		tty->ws = ws;
		tty_signal_fg(tty, SIGWINCH);
	}
	return 0;
}

static long flush(struct tty *tty, bool master, uint64_t arg)
{
	bool in = arg == TCIFLUSH || arg == TCIOFLUSH, out = arg == TCOFLUSH || arg == TCIOFLUSH;

	if (!in && !out)
		return -EINVAL;
	/* The master's input queue is the slave's output and the other way round. */
	if (master ? out : in)
		ldisc_flush_input(tty);
	if (master ? in : out)
		tty->out.head = tty->out.len = 0;
	waitq_wake_all(&tty->out_wq);
	return 0;
}

static long put_int(struct task *t, uint64_t arg, int v)
{
	return copy_to_user(t, uaddr(arg), &v, sizeof(v)) ? -EFAULT : 0;
}

/* Requests that change the terminal: from a background process group of the slave's
 * session they raise SIGTTOU first (Linux's tty_check_change). Termios and the
 * foreground group are the slave's even when set through the master. */
static bool changes_tty(unsigned cmd, bool master)
{
	switch (cmd) {
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TIOCSPGRP:
		return true;
	case TCFLSH:
	case TCXONC:
	case TCSBRK:
		return !master;
	default:
		return false;
	}
}

long tty_ioctl(struct task *t, struct tty *tty, bool master, unsigned cmd, uint64_t arg)
{
	int v;

	if (changes_tty(cmd, master)) {
		v = tty_check_job(t, tty, SIGTTOU);
		if (v < 0)
			return (v == -EIO && cmd == TIOCSPGRP) ? -ENOTTY : v;
	}
	switch (cmd) {
	case TCGETS:
		return copy_to_user(t, uaddr(arg), &tty->termios, sizeof(tty->termios)) ? -EFAULT
											 : 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return set_termios(t, tty, cmd, arg);
	case TIOCGWINSZ:
		return copy_to_user(t, uaddr(arg), &tty->ws, sizeof(tty->ws)) ? -EFAULT : 0;
	case TIOCSWINSZ:
		return set_winsize(t, tty, arg);
	case FIONREAD:
		return put_int(t, arg, (int)(master ? tty->out.len : tty->in.len));
	case TIOCOUTQ:
		return put_int(t, arg, (int)(master ? tty->in.len : tty->out.len));
	case TCFLSH:
		return flush(tty, master, arg);
	case TCSBRK:
	case TCXONC:
	case TIOCEXCL:
	case TIOCNXCL:
		return 0; /* nothing is transmitted slowly, nothing to wait for */
	case TIOCGETD:
		return put_int(t, arg, 0); /* N_TTY */
	case TIOCGPTN:
		return master ? put_int(t, arg, tty->index) : -ENOTTY;
	case TIOCSPTLCK:
		if (!master)
			return -ENOTTY;
		if (copy_from_user(t, &v, uaddr(arg), sizeof(v)))
			return -EFAULT;
		tty->locked = v != 0;
		return 0;
	case TIOCGPTLCK:
		return master ? put_int(t, arg, tty->locked) : -ENOTTY;
	case TIOCGPTPEER:
		return -EIO; /* a slave has no peer to open (masters answer in pty.c) */
	case TIOCSCTTY:
		return set_ctty(t, tty, arg);
	case TIOCNOTTY:
		return no_ctty(t, tty);
	case TIOCGPGRP:
		if (!is_ctty(t, tty) && !master)
			return -ENOTTY;
		return put_int(t, arg, pid_vnr(t, tty->fg_pgrp));
	case TIOCSPGRP:
		return set_pgrp(t, tty, arg);
	case TIOCGSID:
		if (!tty->sid)
			return -ENOTTY;
		return put_int(t, arg, pid_vnr(t, tty->sid));
	default:
		return -ENOTTY;
	}
}
