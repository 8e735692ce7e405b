/* pipe_fault: faults in the application's memory on pipes and FIFOs, as Linux answers
 * them. A Linux pipe is a ring of page buffers: a write appends its sub-page part to the
 * newest buffer when it fits there and fills new pages with the rest; a read copies
 * buffer by buffer. So a read whose destination faults inside a buffer leaves that buffer
 * whole in the pipe (EFAULT if it is the first), and a write whose source faults keeps
 * the whole pages before the fault (EFAULT if there are none). Values measured on Linux. */
#include "harness.h"
#include "fault_buf.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>


static unsigned char g_src[80000];
static char g_sink[80000];

static void drain(int fd)
{
	while (read(fd, g_sink, sizeof(g_sink)) > 0)
		;
}

/* 4096-byte writes until the (non-blocking) pipe is full. */
static int fill_pages(int fd)
{
	int n = 0;

	while (write(fd, g_src, P) == P)
		n++;
	return n;
}

static void setup(int p[2])
{
	CHECK_OK(pipe2(p, O_NONBLOCK)); /* a lost byte fails, never hangs */
}

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* Reads on fd (a pipe or FIFO read end) whose write end is w. */
static void check_read_faults(int fd, int w)
{
	char *b = faulting_buf();

	/* 100 + 100 + 5000 bytes: buffers of 1104 (two merged writes and 904) and 4096. */
	CHECK_EQ(write(w, g_src, 100), 100);
	CHECK_EQ(write(w, g_src + 100, 100), 100);
	CHECK_EQ(write(w, g_src + 200, 5000), 5000);
	CHECK_ERR(read(fd, b + 2 * P - 150, 1000), EFAULT);
	CHECK_EQ(avail(fd), 5200);
	/* Linux copied the bytes before the fault, but took nothing out. */
	CHECK_MEM(b + 2 * P - 150, g_src, 150);
	CHECK_ERR(read(fd, b + 2 * P - 50, 1000), EFAULT);
	CHECK_EQ(avail(fd), 5200);
	CHECK_EQ(read(fd, b, 2 * P), 5200);
	CHECK_MEM(b, g_src, 5200);
	/* Three page buffers: a fault in the second delivers the first only. */
	for (int i = 0; i < 3; i++)
		CHECK_EQ(write(w, g_src + i * P, P), P);
	CHECK_EQ(read(fd, b + 10, 3 * P), P);
	CHECK_MEM(b + 10, g_src, P);
	CHECK_EQ(avail(fd), 2 * P);
	/* Only what the read asks of a buffer must fit. */
	CHECK_EQ(read(fd, b + 2 * P - 10, 10), 10);
	CHECK_MEM(b + 2 * P - 10, g_src + P, 10);
	CHECK_ERR(read(fd, b + 2 * P - 10, 11), EFAULT);
	CHECK_EQ(avail(fd), 2 * P - 10);
	drain(fd);
	/* A read asking more than the pipe holds, its buffer faulting after the data. */
	CHECK_EQ(write(w, g_src, 200), 200);
	CHECK_EQ(read(fd, b + 2 * P - 200, 201), 200);
	CHECK_EQ(avail(fd), 0);
	munmap(b, 3 * P);
}

static void pipe_read_fault_costs_whole_buffer(void)
{
	int p[2];

	setup(p);
	check_read_faults(p[0], p[1]);
	close_pair(p);
}

static void fifo_read_fault_costs_whole_buffer(void)
{
	int fd;

	CHECK_OK(mkfifo(h_path("fifo"), 0600));
	fd = CHECK_OK(open(h_path("fifo"), O_RDWR | O_NONBLOCK));
	check_read_faults(fd, fd);
	close(fd);
}

/* readv: the iovecs are one destination; a buffer is taken only when it fits whole. */
static void pipe_readv_fault(void)
{
	int p[2];
	char *b = faulting_buf();
	struct iovec small[2] = { { b, 50 }, { b + 2 * P, 10 } };
	struct iovec big[2] = { { b, P + 100 }, { b + 2 * P, 10 } };

	setup(p);
	CHECK_EQ(write(p[1], g_src, 100), 100);
	CHECK_EQ(write(p[1], g_src, P), P); /* a whole page: a buffer of its own */
	CHECK_ERR(readv(p[0], small, 2), EFAULT);
	CHECK_EQ(avail(p[0]), P + 100);
	CHECK_EQ(readv(p[0], big, 2), P + 100);
	CHECK_EQ(avail(p[0]), 0);
	close_pair(p);
	munmap(b, 3 * P);
}

/* A faulting source: the whole pages before the fault go in, the page it falls in is
 * dropped; EFAULT when that is the first. The pipe's capacity is not lost. */
static void pipe_write_fault_keeps_whole_pages(void)
{
	int p[2];
	char *b = faulting_buf();

	setup(p);
	memcpy(b, g_src, 2 * P);
	CHECK_ERR(write(p[1], b + 2 * P - 100, 1000), EFAULT);
	CHECK_EQ(avail(p[0]), 0);
	CHECK_EQ(write(p[1], b + P - 100, 5000), P);
	CHECK_EQ(avail(p[0]), P);
	CHECK_EQ(fill_pages(p[1]), 15);
	drain(p[0]);
	CHECK_EQ(write(p[1], b, 3 * P), 2 * P);
	CHECK_EQ(read(p[0], g_sink, 3 * P), 2 * P);
	CHECK_MEM(g_sink, g_src, 2 * P);
	/* The sub-page part merging into the newest buffer faults: nothing is added. */
	CHECK_EQ(write(p[1], g_src, 10), 10);
	CHECK_ERR(write(p[1], b + 2 * P - 100, 200), EFAULT);
	CHECK_EQ(avail(p[0]), 10);
	CHECK_EQ(read(p[0], g_sink, 100), 10);
	CHECK_ERR(write(p[1], b + 2 * P - 100, 5000), EFAULT);
	CHECK_EQ(avail(p[0]), 0);
	CHECK_ERR(read(p[0], g_sink, 100), EAGAIN);
	CHECK_EQ(fill_pages(p[1]), 16);
	close_pair(p);
	munmap(b, 3 * P);
}

static void pipe_writev_fault(void)
{
	int p[2];
	char *b = faulting_buf();
	struct iovec v1[2] = { { g_src, 50 }, { b + 2 * P, 10 } };
	struct iovec v2[2] = { { g_src, 5000 }, { b + 2 * P, 10 } };
	struct iovec v3[2] = { { g_src, 2 * P }, { b + 2 * P, 10 } };

	setup(p);
	CHECK_ERR(writev(p[1], v1, 2), EFAULT);
	CHECK_EQ(avail(p[0]), 0);
	CHECK_EQ(writev(p[1], v2, 2), P);
	CHECK_EQ(avail(p[0]), P);
	drain(p[0]);
	CHECK_EQ(writev(p[1], v3, 2), 2 * P);
	CHECK_EQ(avail(p[0]), 2 * P);
	close_pair(p);
	munmap(b, 3 * P);
}

/* Nothing is copied when the pipe is full or has no reader: those errors come first. */
static void pipe_write_fault_after_full_or_epipe(void)
{
	int p[2];
	char *b = faulting_buf();

	setup(p);
	CHECK_EQ(fill_pages(p[1]), 16);
	CHECK_ERR(write(p[1], b + 2 * P, 10), EAGAIN);
	CHECK_ERR(write(p[1], b + 2 * P - 5, 10), EAGAIN);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR(write(p[1], b + 2 * P, 10), EPIPE);
	CHECK_EQ(write(p[1], b + 2 * P, 0), 0);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	munmap(b, 3 * P);
}

/* Capacity is 16 buffers: writes that do not share a page fill it sooner. */
static void pipe_capacity_counts_buffers(void)
{
	int p[2], n = 0;

	setup(p);
	while (write(p[1], g_src, 3000) == 3000)
		n++;
	CHECK_EQ(n, 16);
	CHECK_EQ(avail(p[0]), 48000);
	drain(p[0]);
	CHECK_EQ(write(p[1], g_src, 1), 1);
	CHECK_EQ(fill_pages(p[1]), 15);
	CHECK_EQ(avail(p[0]), 15 * P + 1);
	CHECK_ERR(write(p[1], g_src, 1), EAGAIN); /* the newest buffer is a full page */
	drain(p[0]);
	/* A partly read buffer still takes writes that fit behind its data. */
	CHECK_EQ(write(p[1], g_src, 4000), 4000);
	CHECK_EQ(read(p[0], g_sink, 3000), 3000);
	CHECK_EQ(write(p[1], g_src, 96), 96);
	CHECK_EQ(write(p[1], g_src, 1), 1);
	CHECK_EQ(fill_pages(p[1]), 14);
	CHECK_EQ(avail(p[0]), 1097 + 14 * P);
	close_pair(p);
}

/* vmsplice into a pipe: a buffer per piece of an application page, never merged into;
 * it stops at a page that faults. Out of a pipe: a read's rules. */
static void vmsplice_fault(void)
{
	int p[2];
	char *b = faulting_buf();
	struct iovec half = { b + 2 * P - 100, 200 }, bad = { b + 2 * P, 200 };
	struct iovec two[2] = { { b, 100 }, { b + 2 * P, 200 } };
	struct iovec across = { b + 4000, 200 };

	setup(p);
	CHECK_EQ(vmsplice(p[1], &half, 1, 0), 100);
	CHECK_EQ(avail(p[0]), 100);
	drain(p[0]);
	CHECK_ERR(vmsplice(p[1], &bad, 1, 0), EFAULT);
	CHECK_EQ(avail(p[0]), 0);
	CHECK_EQ(vmsplice(p[1], two, 2, 0), 100);
	drain(p[0]);
	CHECK_ERR(vmsplice(p[1], (struct iovec *)(b + 2 * P), 1, 0), EFAULT);
	/* 200 bytes across a page boundary: two buffers; a write after them: a third. */
	CHECK_EQ(vmsplice(p[1], &across, 1, 0), 200);
	CHECK_EQ(write(p[1], g_src, 10), 10);
	CHECK_EQ(fill_pages(p[1]), 13);
	drain(p[0]);

	CHECK_EQ(write(p[1], g_src, 100), 100);
	CHECK_EQ(write(p[1], g_src, P), P);
	CHECK_ERR(vmsplice(p[0], &(struct iovec){ b + 2 * P - 50, 200 }, 1, 0), EFAULT);
	CHECK_EQ(avail(p[0]), P + 100);
	CHECK_EQ(vmsplice(p[0], &(struct iovec){ b + 2 * P - 150, 200 }, 1, 0), 100);
	CHECK_EQ(avail(p[0]), P);
	CHECK_EQ(vmsplice(p[0], &(struct iovec){ b + P - 4000, 8000 }, 1, 0), P);
	CHECK_EQ(avail(p[0]), 0);
	close_pair(p);
	munmap(b, 3 * P);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	for (size_t i = 0; i < sizeof(g_src); i++)
		g_src[i] = (unsigned char)(i * 13 + 1);
	RUN(pipe_read_fault_costs_whole_buffer);
	RUN(fifo_read_fault_costs_whole_buffer);
	RUN(pipe_readv_fault);
	RUN(pipe_write_fault_keeps_whole_pages);
	RUN(pipe_writev_fault);
	RUN(pipe_write_fault_after_full_or_epipe);
	RUN(pipe_capacity_counts_buffers);
	RUN(vmsplice_fault);
	return h_end();
}
