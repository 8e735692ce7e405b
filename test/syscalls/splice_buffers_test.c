/* splice_buffers: a pipe holds a number of buffers (16 by default, 4 here), and what
 * splice, tee and write put in them decides how much more fits. write(2) merges small writes into the newest buffer; splice
 * moves whole buffers (a moved buffer still takes merges), tee and a partial splice make
 * buffers that take none, and a file's data comes in page pieces (a regular file's at its
 * offset's place in the page; a stream socket's, a piece per send) that take none either.
 * Values measured on Linux. */
#include "harness.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define PG 4096

static char g_big[1 << 17];
static char g_pages[32 * PG] __attribute__((aligned(PG)));

/* Pipes of NBUF buffers keep the one-byte write loops short on slow platforms. */
#define NBUF 4

static void mk(int p[2])
{
	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, NBUF * PG), NBUF * PG);
}

static void drop(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static int avail(int fd)
{
	int n = -1;

	ioctl(fd, FIONREAD, &n);
	return n;
}

/* One-byte writes that fit before the pipe is full. */
static int ones(int fd)
{
	int n = 0;

	while (write(fd, "x", 1) == 1)
		n++;
	return n;
}

/* n buffers of one byte each (vmsplice makes a buffer per piece, never merged into). */
static void vm_bytes(int fd, int n)
{
	for (int i = 0; i < n; i++) {
		struct iovec v = { g_pages + i * PG, 1 };

		CHECK_EQ(vmsplice(fd, &v, 1, 0), 1);
	}
}

static void writes_merge(void)
{
	int a[2];

	mk(a);
	CHECK_EQ(ones(a[1]), NBUF * PG); /* every byte merged: all pages full */
	drop(a);
}

static void tee_buffers_take_no_merges(void)
{
	int a[2], b[2];

	mk(a);
	mk(b);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(write(a[1], "x", 1), 1);
	CHECK_EQ(tee(a[0], b[1], 1000, 0), 100);
	CHECK_EQ(ones(b[1]), (NBUF - 1) * PG);
	drop(b);
	/* splice moves the whole buffer, which still takes merges. */
	mk(b);
	CHECK_EQ(splice(a[0], NULL, b[1], NULL, 1000, 0), 100);
	CHECK_EQ(ones(b[1]), NBUF * PG - 100);
	drop(a);
	drop(b);
}

static void splice_counts_buffers(void)
{
	int a[2], b[2];

	/* In: buffers of 100, 1 and 100 bytes; out: all but one used. One buffer moves. */
	mk(a);
	mk(b);
	CHECK_EQ(write(a[1], g_big, 100), 100);
	vm_bytes(a[1], 1);
	CHECK_EQ(write(a[1], g_big, 100), 100);
	vm_bytes(b[1], NBUF - 1);
	CHECK_EQ(splice(a[0], NULL, b[1], NULL, 10000, 0), 100);
	CHECK_EQ(avail(b[0]), NBUF - 1 + 100);
	CHECK_ERR(splice(a[0], NULL, b[1], NULL, 10000, 0), EAGAIN);
	drop(b);
	/* tee links buffer by buffer too: two fit beside the others. */
	mk(b);
	vm_bytes(b[1], NBUF - 2);
	CHECK_EQ(tee(a[0], b[1], 10000, 0), 101);
	CHECK_EQ(avail(b[0]), NBUF - 2 + 101);
	CHECK_ERR(tee(a[0], b[1], 50, 0), EAGAIN);
	drop(a);
	drop(b);
	/* Full buffers into a pipe holding a small one: all but one move. */
	mk(a);
	mk(b);
	CHECK_EQ(ones(a[1]), NBUF * PG);
	CHECK_EQ(write(b[1], g_big, 10), 10);
	CHECK_EQ(splice(a[0], NULL, b[1], NULL, 1 << 20, 0), (NBUF - 1) * PG);
	CHECK_EQ(avail(b[0]), (NBUF - 1) * PG + 10);
	drop(a);
	drop(b);
}

static void moved_buffer_is_not_merged_into(void)
{
	int a[2], b[2];

	mk(a);
	mk(b);
	CHECK_EQ(write(b[1], g_big, 10), 10);
	CHECK_EQ(write(a[1], g_big, 100), 100);
	CHECK_EQ(splice(a[0], NULL, b[1], NULL, 10000, 0), 100);
	/* Two buffers: the moved one (100 bytes, merging) is the newest. */
	CHECK_EQ(ones(b[1]), (NBUF - 2) * PG + PG - 100);
	drop(a);
	drop(b);
}

static void partial_splice(void)
{
	int a[2], b[2];

	mk(a);
	mk(b);
	CHECK_EQ(write(a[1], g_big, 100), 100);
	CHECK_EQ(splice(a[0], NULL, b[1], NULL, 50, 0), 50);
	CHECK_EQ(ones(b[1]), (NBUF - 1) * PG);
	/* What stays is the back half of its page: the page's free tail takes merges. */
	CHECK_EQ(ones(a[1]), NBUF * PG - 100);
	drop(a);
	drop(b);
}

static void file_pieces(void)
{
	int fd = CHECK_OK(open(h_path("data"), O_RDWR | O_CREAT | O_TRUNC, 0600)), b[2];
	loff_t off = 100;

	CHECK_EQ(write(fd, g_big, 100000), 100000);
	mk(b);
	CHECK_EQ(splice(fd, &off, b[1], NULL, 1 << 20, 0), NBUF * PG - 100);
	drop(b);
	mk(b);
	CHECK_EQ(write(b[1], g_big, 10), 10);
	off = 0;
	CHECK_EQ(splice(fd, &off, b[1], NULL, 100, 0), 100);
	CHECK_EQ(ones(b[1]), (NBUF - 2) * PG);
	drop(b);
	/* Across a page boundary: two buffers. */
	mk(b);
	off = 4000;
	CHECK_EQ(splice(fd, &off, b[1], NULL, 200, 0), 200);
	CHECK_EQ(ones(b[1]), (NBUF - 2) * PG);
	drop(b);
	mk(b);
	vm_bytes(b[1], NBUF - 1);
	off = 4000;
	CHECK_EQ(splice(fd, &off, b[1], NULL, 200, 0), 96);
	drop(b);
	close(fd);
}

/* A stream socket's pieces (one send each) come as buffers of their own. */
static void socket_pieces(void)
{
	int s[2], b[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
	CHECK_EQ(write(s[0], g_big, 100), 100);
	CHECK_EQ(write(s[0], g_big, 100), 100);
	mk(b);
	CHECK_EQ(write(b[1], g_big, 10), 10);
	CHECK_EQ(splice(s[1], NULL, b[1], NULL, 1000, 0), 200);
	CHECK_EQ(ones(b[1]), (NBUF - 3) * PG);
	drop(b);
	/* One free slot: one piece; the next waits in the socket. */
	mk(b);
	CHECK_EQ(write(s[0], g_big, 100), 100);
	CHECK_EQ(write(s[0], g_big, 100), 100);
	vm_bytes(b[1], NBUF - 1);
	CHECK_EQ(splice(s[1], NULL, b[1], NULL, 1000, 0), 100);
	CHECK_EQ(avail(s[1]), 100);
	CHECK_ERR(splice(s[1], NULL, b[1], NULL, 1000, 0), EAGAIN);
	drop(b);
	drop(s);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(writes_merge);
	RUN(tee_buffers_take_no_merges);
	RUN(splice_counts_buffers);
	RUN(moved_buffer_is_not_merged_into);
	RUN(partial_splice);
	RUN(file_pieces);
	RUN(socket_pieces);
	return h_end();
}
