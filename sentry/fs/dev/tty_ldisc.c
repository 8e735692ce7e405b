/* tty_ldisc.c: the line discipline of the ptys (Linux's N_TTY, simplified): input
 * mapping (ICRNL, INLCR, IGNCR, ISTRIP), signal characters (ISIG), canonical editing
 * (VERASE, VKILL, VWERASE, VEOF, VEOL) with echo (ECHO, ECHOE, ECHOK, ECHOCTL, ECHONL),
 * and output mapping (OPOST, ONLCR, OCRNL). */
#include "sentry/fs/dev/tty.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>

#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

#define DELIM_LINE 1
#define DELIM_DROP 2

void ldisc_init_termios(struct ktermios *tio)
{
	static const uint8_t cc[KNCCS] = {
		[VINTR] = 003, [VQUIT] = 034, [VERASE] = 0177, [VKILL] = 025, [VEOF] = 004,
		[VTIME] = 0, [VMIN] = 1, [VSTART] = 021, [VSTOP] = 023, [VSUSP] = 032,
		[VREPRINT] = 022, [VDISCARD] = 017, [VWERASE] = 027, [VLNEXT] = 026,
	};

	memset(tio, 0, sizeof(*tio));
	tio->c_iflag = ICRNL | IXON;
	tio->c_oflag = OPOST | ONLCR;
	tio->c_cflag = B38400 | CS8 | CREAD; /* no HUPCL: a pty's default, unlike a serial line's */
	tio->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(tio->c_cc, cc, sizeof(cc));
}

static size_t ring_put_one(struct tty_ring *r, char c, uint8_t delim)
{
	size_t i;

	if (r->len == TTY_BUF_SIZE)
		return 0;
	i = (r->head + r->len) % TTY_BUF_SIZE;
	r->buf[i] = c;
	r->delim[i] = delim;
	r->len++;
	return 1;
}

size_t tty_ring_put(struct tty_ring *r, const char *buf, size_t size)
{
	size_t n = 0;

	while (n < size && ring_put_one(r, buf[n], 0))
		n++;
	return n;
}

size_t tty_ring_get(struct tty_ring *r, char *buf, size_t size)
{
	size_t n = 0;

	while (n < size && r->len) {
		buf[n++] = r->buf[r->head];
		r->head = (r->head + 1) % TTY_BUF_SIZE;
		r->len--;
	}
	return n;
}

static bool lflag(const struct tty *tty, uint32_t f)
{
	return tty->termios.c_lflag & f;
}

/* Output processing of one byte into tty->out (for slave writes and echo). */
static bool output_char(struct tty *tty, char c)
{
	uint32_t of = tty->termios.c_oflag;

	if (of & OPOST) {
		if (c == '\n' && (of & ONLCR)) {
			if (TTY_BUF_SIZE - tty->out.len < 2)
				return false;
			ring_put_one(&tty->out, '\r', 0);
			return ring_put_one(&tty->out, '\n', 0);
		}
		if (c == '\r' && (of & OCRNL))
			c = '\n';
	}
	return ring_put_one(&tty->out, c, 0);
}

size_t ldisc_output(struct tty *tty, const char *buf, size_t size)
{
	size_t n = 0;

	while (n < size && output_char(tty, buf[n]))
		n++;
	if (n)
		waitq_wake_all(&tty->out_wq);
	return n;
}

static void echo_char(struct tty *tty, char c)
{
	unsigned char u = (unsigned char)c;

	if (!lflag(tty, ECHO)) {
		if (c == '\n' && lflag(tty, ECHONL) && lflag(tty, ICANON))
			output_char(tty, c);
		return;
	}
	if (lflag(tty, ECHOCTL) && (u < 32 || u == 0177) && c != '\n' && c != '\t') {
		output_char(tty, '^');
		output_char(tty, u == 0177 ? '?' : (char)(u + '@'));
		return;
	}
	output_char(tty, c);
}

static void erase_one(struct tty *tty)
{
	unsigned char c;

	if (!tty->line_len)
		return;
	c = (unsigned char)tty->line[--tty->line_len];
	if (lflag(tty, ECHO) && lflag(tty, ECHOE)) {
		int w = (lflag(tty, ECHOCTL) && (c < 32 || c == 0177) && c != '\t') ? 2 : 1;

		while (w--) {
			output_char(tty, '\b');
			output_char(tty, ' ');
			output_char(tty, '\b');
		}
	}
}

/* Move the edited line into the input ring, ending with a delimiter. */
static void commit_line(struct tty *tty, char last, uint8_t delim)
{
	tty_ring_put(&tty->in, tty->line, tty->line_len);
	ring_put_one(&tty->in, last, delim);
	tty->line_len = 0;
}

struct sig_ctx {
	int sig;
};

static void signal_one(void *arg, int tgid)
{
	struct thread_group *tg = tg_find(tgid);

	if (tg)
		tg_send_signal(tg, ((struct sig_ctx *)arg)->sig, NULL);
}

static void signal_pgrp(int pgid, int sig)
{
	struct sig_ctx c = {sig};

	if (pgid > 0)
		proc_for_each_in_pgrp(pgid, signal_one, &c);
}

void tty_signal_fg(struct tty *tty, int sig)
{
	signal_pgrp(tty->fg_pgrp, sig);
}

int tty_check_job(struct task *t, struct tty *tty, int sig)
{
	bool ignored;

	if (!t || !t->tg || !tty->sid || tty->sid != t->tg->sid || !tty->fg_pgrp ||
	    t->tg->pgid == tty->fg_pgrp)
		return 0;
	ignored = (t->sigmask & sig_bit(sig)) ||
		  t->tg->sighand->action[sig - 1].handler == (uint64_t)SIG_IGN;
	if (ignored)
		return sig == SIGTTIN ? -EIO : 0;
	if (proc_pgrp_orphaned(t->tg->pgid))
		return -EIO;
	signal_pgrp(t->tg->pgid, sig);
	return -ERESTARTSYS;
}

void ldisc_flush_input(struct tty *tty)
{
	tty->in.head = tty->in.len = 0;
	tty->line_len = 0;
}

/* ISIG characters: returns true if c was one. */
static bool isig_char(struct tty *tty, char c)
{
	const uint8_t *cc = tty->termios.c_cc;
	int sig = 0;

	if (!lflag(tty, ISIG))
		return false;
	if (cc[VINTR] && (uint8_t)c == cc[VINTR])
		sig = SIGINT;
	else if (cc[VQUIT] && (uint8_t)c == cc[VQUIT])
		sig = SIGQUIT;
	else if (cc[VSUSP] && (uint8_t)c == cc[VSUSP])
		sig = SIGTSTP;
	if (!sig)
		return false;
	if (!lflag(tty, NOFLSH))
		ldisc_flush_input(tty);
	echo_char(tty, c);
	tty_signal_fg(tty, sig);
	return true;
}

/* Canonical-mode editing characters: returns true if c was consumed. */
static bool canon_char(struct tty *tty, char c)
{
	const uint8_t *cc = tty->termios.c_cc;
	uint8_t u = (uint8_t)c;

	if (cc[VERASE] && u == cc[VERASE]) {
		erase_one(tty);
		return true;
	}
	if (cc[VKILL] && u == cc[VKILL]) {
		if (lflag(tty, ECHOKE) && lflag(tty, ECHOE))
			while (tty->line_len)
				erase_one(tty);
		else {
			tty->line_len = 0;
			echo_char(tty, c);
			if (lflag(tty, ECHOK))
				output_char(tty, '\n');
		}
		return true;
	}
	if (cc[VWERASE] && u == cc[VWERASE] && lflag(tty, IEXTEN)) {
		while (tty->line_len && tty->line[tty->line_len - 1] == ' ')
			erase_one(tty);
		while (tty->line_len && tty->line[tty->line_len - 1] != ' ')
			erase_one(tty);
		return true;
	}
	if (cc[VEOF] && u == cc[VEOF]) {
		commit_line(tty, c, DELIM_LINE | DELIM_DROP);
		return true;
	}
	if (c == '\n' || (cc[VEOL] && u == cc[VEOL]) || (cc[VEOL2] && u == cc[VEOL2])) {
		echo_char(tty, c);
		commit_line(tty, c, DELIM_LINE);
		return true;
	}
	return false;
}

void ldisc_receive(struct tty *tty, const char *buf, size_t size)
{
	uint32_t ifl = tty->termios.c_iflag;

	for (size_t i = 0; i < size; i++) {
		char c = buf[i];

		if (ifl & ISTRIP)
			c &= 0x7f;
		if (c == '\r') {
			if (ifl & IGNCR)
				continue;
			if (ifl & ICRNL)
				c = '\n';
		} else if (c == '\n' && (ifl & INLCR)) {
			c = '\r';
		}
		if (isig_char(tty, c))
			continue;
		if (lflag(tty, ICANON)) {
			if (canon_char(tty, c))
				continue;
			if (tty->line_len < sizeof(tty->line) - 1) {
				tty->line[tty->line_len++] = c;
				echo_char(tty, c);
			}
			continue;
		}
		if (ring_put_one(&tty->in, c, 0))
			echo_char(tty, c);
	}
	waitq_wake_all(&tty->in_wq);
	waitq_wake_all(&tty->out_wq);
}

bool ldisc_readable(const struct tty *tty)
{
	const uint8_t *cc = tty->termios.c_cc;

	/* Non-canonical: VMIN bytes when VTIME is 0 (the read would block for them). */
	if (!lflag(tty, ICANON))
		return tty->in.len > 0 && (cc[VTIME] || tty->in.len >= cc[VMIN]);
	for (size_t i = 0; i < tty->in.len; i++)
		if (tty->in.delim[(tty->in.head + i) % TTY_BUF_SIZE] & DELIM_LINE)
			return true;
	return false;
}

size_t ldisc_read(struct tty *tty, char *buf, size_t size)
{
	struct tty_ring *r = &tty->in;
	size_t n = 0;

	if (!lflag(tty, ICANON))
		return tty_ring_get(r, buf, size);
	while (n < size && r->len) {
		char c = r->buf[r->head];
		uint8_t d = r->delim[r->head];

		r->head = (r->head + 1) % TTY_BUF_SIZE;
		r->len--;
		if (!(d & DELIM_DROP))
			buf[n++] = c;
		if (d & DELIM_LINE)
			return n;
	}
	/* A line that filled the buffer exactly takes its VEOF delimiter along. */
	if (r->len && (r->delim[r->head] & DELIM_DROP)) {
		r->head = (r->head + 1) % TTY_BUF_SIZE;
		r->len--;
	}
	return n;
}
