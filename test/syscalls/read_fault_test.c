/* read_fault: a read whose buffer faults part way. Regular files (a memfd on tmpfs, a file
 * in the scratch directory, the test binary itself, which the sandbox reaches through the
 * Gofer) return the bytes before the fault and advance the offset by exactly that; EFAULT
 * only when nothing could be copied. A pipe keeps what it could not deliver; eventfd and
 * inotify lose the records they read (EFAULT), signalfd those from the fault on, and
 * timerfd counts the bytes of its count before the fault. */
#include "harness.h"
#include "fault_buf.h"

#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/mman.h>
#include <sys/uio.h>

#define FILE_LEN (8 * P)

static unsigned char g_want[FILE_LEN];	/* the file's bytes */

static void fill_pattern(int fd)
{
	for (long i = 0; i < FILE_LEN; i++)
		g_want[i] = (unsigned char)(i * 7 + 3);
	if (write(fd, g_want, FILE_LEN) != FILE_LEN) {
		perror("fill_pattern");
		exit(2);
	}
}

/* read(), then read() of a wholly bad buffer, on fd holding g_want. */
static void check_read(int fd)
{
	char *b = faulting_buf();

	CHECK_EQ(lseek(fd, 10, SEEK_SET), 10);
	CHECK_EQ(read(fd, b, 3 * P), 2 * P);
	CHECK_MEM(b, g_want + 10, 2 * P);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10 + 2 * P);
	/* Nothing copied: EFAULT, the offset stays. */
	CHECK_ERR(read(fd, b + 2 * P, 100), EFAULT);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10 + 2 * P);
	/* A fault mid-page: exactly the bytes before it. */
	CHECK_EQ(read(fd, b + P + 1000, 2 * P), P - 1000);
	CHECK_MEM(b + P + 1000, g_want + 10 + 2 * P, P - 1000);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10 + 3 * P - 1000);
	munmap(b, 3 * P);
}

/* pread() leaves the offset alone. */
static void check_pread(int fd)
{
	char *b = faulting_buf();

	CHECK_EQ(lseek(fd, 5, SEEK_SET), 5);
	CHECK_EQ(pread(fd, b + P + 1000, 2 * P, 50), P - 1000);
	CHECK_MEM(b + P + 1000, g_want + 50, P - 1000);
	CHECK_ERR(pread(fd, b + 2 * P, 10, 0), EFAULT);
	CHECK_EQ(pread(fd, b, 3 * P, 3 * P), 2 * P);
	CHECK_MEM(b, g_want + 3 * P, 2 * P);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	munmap(b, 3 * P);
}

/* readv() stops in the iovec that faults; later iovecs get nothing. */
static void check_readv(int fd)
{
	char *b = faulting_buf();
	struct iovec iov[3] = { { b, 100 }, { b + 2 * P - 60, 200 }, { b, 50 } };
	struct iovec bad_first[2] = { { b + 2 * P, 10 }, { b, 10 } };

	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(readv(fd, iov, 3), 160);
	CHECK_MEM(b, g_want, 100);
	CHECK_MEM(b + 2 * P - 60, g_want + 100, 60);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 160);
	CHECK_ERR(readv(fd, bad_first, 2), EFAULT);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 160);
	munmap(b, 3 * P);
}

/* An unmapped (rather than PROT_NONE) page ends the read the same way. */
static void check_unmapped(int fd)
{
	char *b = faulting_buf();

	munmap(b + P, 2 * P);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(read(fd, b + 96, 2 * P), P - 96);
	CHECK_MEM(b + 96, g_want, P - 96);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), P - 96);
	munmap(b, P);
}

static void check_all(int fd)
{
	check_read(fd);
	check_pread(fd);
	check_readv(fd);
	check_unmapped(fd);
}

static void memfd_short_read_at_fault(void)
{
	int fd = CHECK_OK(memfd_create("read_fault", 0));

	fill_pattern(fd);
	check_all(fd);
	close(fd);
}

static void tmpdir_file_short_read_at_fault(void)
{
	int fd = CHECK_OK(open(h_path("f"), O_RDWR | O_CREAT | O_TRUNC, 0644));

	fill_pattern(fd);
	check_all(fd);
	close(fd);
}

/* The test's own binary: on the sandbox's root, served by the Gofer. */
static void host_file_short_read_at_fault(void)
{
	int fd = CHECK_OK(open("/proc/self/exe", O_RDONLY));

	CHECK_EQ(pread(fd, g_want, FILE_LEN, 0), FILE_LEN);
	check_all(fd);
	close(fd);
}

static int pipe_avail(int fd)
{
	int n = -1;

	ioctl(fd, FIONREAD, &n);
	return n;
}

/* A page-aligned fault: the pages before it are delivered, the rest stays in the pipe. */
static void pipe_keeps_undelivered_bytes(void)
{
	int p[2];
	char *b = faulting_buf();

	CHECK_OK(pipe2(p, O_NONBLOCK)); /* a lost byte fails, never hangs */
	for (long i = 0; i < 3 * P; i++)
		g_want[i] = (unsigned char)(i * 13 + 1);
	CHECK_EQ(write(p[1], g_want, 3 * P), 3 * P);
	CHECK_ERR(read(p[0], b + 2 * P, 10), EFAULT);
	CHECK_EQ(pipe_avail(p[0]), 3 * P);
	CHECK_EQ(read(p[0], b, 3 * P), 2 * P);
	CHECK_MEM(b, g_want, 2 * P);
	CHECK_EQ(pipe_avail(p[0]), P);
	CHECK_EQ(read(p[0], b, P), P);
	CHECK_MEM(b, g_want + 2 * P, P);
	close(p[0]);
	close(p[1]);
	munmap(b, 3 * P);
}

/* eventfd, signalfd, inotify and timerfd take their records whatever the buffer holds:
 * a fault loses them and fails with EFAULT (a partly writable eventfd buffer too). */
static void records_lost_on_fault(void)
{
	char *b = faulting_buf();
	int efd = CHECK_OK(eventfd(5, EFD_NONBLOCK));
	int tfd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	int ifd = CHECK_OK(inotify_init1(IN_NONBLOCK)), sfd;
	struct itimerspec its = { { 0, 0 }, { 0, 1000 } };
	sigset_t ss;

	CHECK_ERR(read(efd, b + 2 * P - 4, 8), EFAULT);
	CHECK_ERR(read(efd, b, 8), EAGAIN);
	CHECK_EQ(write(efd, &(uint64_t){ 3 }, 8), 8);
	CHECK_ERR(read(efd, b + 2 * P, 8), EFAULT);
	CHECK_ERR(read(efd, b, 8), EAGAIN);
	CHECK_ERR(write(efd, b + 2 * P - 4, 8), EFAULT);

	CHECK_OK(timerfd_settime(tfd, 0, &its, NULL));
	usleep(10000);
	CHECK_ERR(read(tfd, b + 2 * P, 8), EFAULT);
	CHECK_ERR(read(tfd, b, 8), EAGAIN);

	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	CHECK_OK(sigprocmask(SIG_BLOCK, &ss, NULL));
	sfd = CHECK_OK(signalfd(-1, &ss, SFD_NONBLOCK));
	CHECK_OK(raise(SIGUSR1));
	CHECK_ERR(read(sfd, b + 2 * P - 64, 128), EFAULT);
	CHECK_ERR(read(sfd, b, 128), EAGAIN);

	CHECK(inotify_add_watch(ifd, g_tmpdir, IN_CREATE) > 0);
	close(CHECK_OK(open(h_path("ev"), O_CREAT | O_WRONLY, 0600)));
	CHECK_ERR(read(ifd, b + 2 * P - 10, 4096), EFAULT);
	CHECK_ERR(read(ifd, b, 4096), EAGAIN);
	close(efd);
	close(tfd);
	close(sfd);
	close(ifd);
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &ss, NULL));
	munmap(b, 3 * P);
}

/* signalfd keeps the whole siginfos before a fault (the one it falls in is lost); timerfd
 * counts the bytes of its tick count that reached the buffer; the bytes before a fault are
 * written even when the read fails. Too small a buffer is EINVAL, before any wait. */
static void records_before_fault_kept(void)
{
	char *b = faulting_buf();
	int tfd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)), sfd;
	struct itimerspec its = { { 0, 0 }, { 0, 1000 } };
	struct signalfd_siginfo *si = (struct signalfd_siginfo *)(b + 2 * P - 192);
	struct iovec v[2] = { { b, 100 }, { b + 2 * P - 28, 100 } };
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGUSR2);
	CHECK_OK(sigprocmask(SIG_BLOCK, &ss, NULL));
	sfd = CHECK_OK(signalfd(-1, &ss, SFD_NONBLOCK));
	CHECK_ERR(read(sfd, b, sizeof(*si) - 1), EINVAL);
	CHECK_OK(raise(SIGUSR1));
	CHECK_OK(raise(SIGUSR2));
	memset(b, 0, 2 * P);
	CHECK_EQ(read(sfd, si, 2 * sizeof(*si)), sizeof(*si));
	CHECK_EQ(si->ssi_signo, SIGUSR1);
	CHECK_EQ(si[1].ssi_signo, SIGUSR2); /* written, not counted */
	CHECK_ERR(read(sfd, b, sizeof(*si)), EAGAIN);
	CHECK_OK(raise(SIGUSR1));
	memset(b, 0, 2 * P);
	CHECK_ERR(read(sfd, b + 2 * P - 64, sizeof(*si)), EFAULT);
	CHECK_EQ(((struct signalfd_siginfo *)(b + 2 * P - 64))->ssi_signo, SIGUSR1);
	CHECK_OK(raise(SIGUSR1));
	CHECK_OK(raise(SIGUSR2));
	CHECK_EQ(readv(sfd, v, 2), sizeof(*si)); /* 228 bytes: room for one */
	CHECK_EQ(read(sfd, b, 4 * sizeof(*si)), sizeof(*si));

	CHECK_ERR(read(tfd, b, 7), EINVAL);
	CHECK_OK(timerfd_settime(tfd, 0, &its, NULL));
	usleep(10000);
	CHECK_ERR(read(tfd, b, 7), EINVAL);
	memset(b, 0, 2 * P);
	CHECK_EQ(read(tfd, b + 2 * P - 4, 8), 4);
	CHECK_EQ(*(uint32_t *)(b + 2 * P - 4), 1);
	CHECK_ERR(read(tfd, b, 8), EAGAIN);
	close(tfd);
	close(sfd);
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &ss, NULL));
	munmap(b, 3 * P);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(memfd_short_read_at_fault);
	RUN(tmpdir_file_short_read_at_fault);
	RUN(host_file_short_read_at_fault);
	RUN(pipe_keeps_undelivered_bytes);
	RUN(records_lost_on_fault);
	RUN(records_before_fault_kept);
	return h_end();
}
