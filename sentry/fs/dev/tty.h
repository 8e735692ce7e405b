/* tty.h: pseudo-terminals (/dev/ptmx, /dev/pts/N, /dev/tty): a pty pair with a line
 * discipline (canonical editing, echo, CR/NL mapping, signals to the foreground process
 * group), termios and window size, and controlling terminals of sessions. All functions
 * run under the kernel lock. */
#ifndef RUNSC_SENTRY_FS_DEV_TTY_H
#define RUNSC_SENTRY_FS_DEV_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/kernel/sched.h"

struct file;
struct path;
struct task;
struct super_block;

#define PTY_MAX 256		/* ptys at once (Linux's default max is 4096) */
#define PTY_SLAVE_MAJOR 136
#define TTY_BUF_SIZE 16384
#define KNCCS 19

/* struct termios as the kernel's TCGETS/TCSETS copy it (36 bytes). */
struct ktermios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[KNCCS];
};

struct kwinsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* A byte ring; delim marks line ends for canonical reads (bit 1: drop the byte, VEOF). */
struct tty_ring {
	char buf[TTY_BUF_SIZE];
	uint8_t delim[TTY_BUF_SIZE];
	size_t head, len;
};

struct tty {
	int index;		/* /dev/pts/<index> */
	int master_opens;	/* open master files */
	int slave_opens;	/* open slave files */
	bool slave_was_opened;	/* master reads EIO once every slave closed again */
	bool locked;		/* TIOCSPTLCK: the slave cannot be opened */
	uid_t uid;		/* owner of /dev/pts/N (who opened ptmx) */
	gid_t gid;
	struct ktermios termios;
	struct kwinsize ws;
	struct tty_ring in;	/* master -> slave, after input processing */
	struct tty_ring out;	/* slave -> master, after output processing */
	char line[4096];	/* canonical line being edited */
	size_t line_len;
	int sid;		/* session whose controlling terminal this is, 0 none */
	int fg_pgrp;		/* foreground process group */
	struct waitq in_wq;	/* slave readers, master writers */
	struct waitq out_wq;	/* master readers, slave writers */
};

/* Session sid's controlling terminal: its device number and foreground group. Returns 0
 * or -ENOTTY when the session has none. */
int tty_session_info(int sid, dev_t *dev, int *fg_pgrp);
/* The pty with that index, or NULL (devpts lookups). */
struct tty *pty_get(int index);

/* Opens, called by chrdev_open: ptmx (5:2) makes a new pair; a slave (136:N) opens pts N;
 * /dev/tty (5:0) opens t's controlling terminal. noctty: O_NOCTTY was given. */
int ptmx_open(struct task *t, struct file *f);
int pty_slave_open(struct task *t, int index, struct file *f, bool noctty);
int tty_open_ctty(struct task *t, struct file *f);

/* The line discipline (tty_ldisc.c). */
void ldisc_init_termios(struct ktermios *tio);
/* Bytes written to the master: input processing into tty->in, echo into tty->out. */
void ldisc_receive(struct tty *tty, const char *buf, size_t size);
/* Bytes written to the slave: output processing into tty->out. Returns bytes consumed. */
size_t ldisc_output(struct tty *tty, const char *buf, size_t size);
/* Whether a slave read could return now (a line in canonical mode, bytes otherwise). */
bool ldisc_readable(const struct tty *tty);
/* Slave read: copy what a read returns now (0 = end of file at a VEOF). */
size_t ldisc_read(struct tty *tty, char *buf, size_t size);
/* Discard pending input (TCSETSF, TCFLSH). */
void ldisc_flush_input(struct tty *tty);
/* Send sig to the foreground process group. */
void tty_signal_fg(struct tty *tty, int sig);
/* Job control on a slave access by t (Linux's __tty_check_change): when tty is t's
 * controlling terminal and t's process group is not in the foreground, sig (SIGTTIN for
 * reads, SIGTTOU for TOSTOP writes and termios changes) goes to t's process group and
 * the call is restarted once it continues (-ERESTARTSYS). Blocked or ignored: reads fail
 * with -EIO, the rest go ahead; an orphaned group gets -EIO. 0: go ahead. */
int tty_check_job(struct task *t, struct tty *tty, int sig);

size_t tty_ring_put(struct tty_ring *r, const char *buf, size_t size);
size_t tty_ring_get(struct tty_ring *r, char *buf, size_t size);

/* Terminal ioctls on a master or slave file (tty_ioctl.c). */
long tty_ioctl(struct task *t, struct tty *tty, bool master, unsigned cmd, uint64_t arg);
/* Forget tty as anyone's controlling terminal (the pair is going away). */
void tty_release_ctty(struct tty *tty);

/* The console (console.c): open a new pty of the sandbox's devpts as t would (t, a
 * session leader, gets it as its controlling terminal), make its slave t's fds 0-2 and
 * relay its master to host_fd, a host pty slave whose master the client holds. Takes
 * host_fd on success. Kernel lock held. Returns 0 or -errno (-ENOENT: no devpts in the
 * container). */
int console_attach(struct task *t, int host_fd);

/* devpts (/dev/pts). */
struct super_block *devpts_new(void);
/* The path of /dev/pts/<index> in the devpts that the ptmx opened at ptmx belongs to
 * (TIOCGPTPEER, which walks no name the application chose). Reference held in *out.
 * Returns 0 or -EIO. */
int devpts_peer_path(const struct path *ptmx, int index, struct path *out);

#endif
