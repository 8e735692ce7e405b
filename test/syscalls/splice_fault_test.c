/* splice_fault: bad addresses in splice, sendfile, copy_file_range and
 * process_vm_readv/writev, as Linux answers them. An offset pointer that cannot be read
 * fails before anything moves; one that can be read but not written back fails after
 * the transfer (the data has moved). process_vm_* stop at the page that faults, on
 * either side. Values measured on Linux. */
#include "harness.h"
#include "fault_buf.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>


static char g_src[16384];

static int data_file(void)
{
	int fd = CHECK_OK(memfd_create("splice_fault", 0));

	CHECK_EQ(write(fd, g_src, 10000), 10000);
	return fd;
}

static void splice_offsets(void)
{
	char *b = faulting_buf();
	loff_t *ro = (loff_t *)(b + 2 * P - 8);
	int p[2], fd = data_file();

	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_ERR(splice(fd, (loff_t *)(b + 2 * P), p[1], NULL, 100, 0), EFAULT);
	CHECK_ERR(splice(fd, (loff_t *)(b + 2 * P - 4), p[1], NULL, 100, 0), EFAULT);
	CHECK_EQ(avail(p[0]), 0);
	*ro = 5;
	CHECK_EQ(splice(fd, ro, p[1], NULL, 100, 0), 100);
	CHECK_EQ(*ro, 105);
	/* Readable, not writable: the data moves, then EFAULT; the offset stays. */
	CHECK_OK(mprotect(b + P, P, PROT_READ));
	CHECK_ERR(splice(fd, ro, p[1], NULL, 100, 0), EFAULT);
	CHECK_EQ(avail(p[0]), 200);
	CHECK_EQ(*ro, 105);
	CHECK_ERR(splice(p[0], NULL, fd, ro, 50, 0), EFAULT);
	CHECK_EQ(avail(p[0]), 150);
	CHECK_OK(mprotect(b + P, P, PROT_READ | PROT_WRITE));
	close(p[0]);
	close(p[1]);
	close(fd);
	munmap(b, 3 * P);
}

static void sendfile_offset(void)
{
	char *b = faulting_buf();
	int p[2], fd = data_file();

	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_ERR(sendfile(p[1], fd, (off_t *)(b + 2 * P), 100), EFAULT);
	CHECK_ERR(sendfile(p[1], fd, (off_t *)(b + 2 * P - 4), 100), EFAULT);
	CHECK_EQ(avail(p[0]), 0);
	CHECK_OK(mprotect(b + P, P, PROT_READ));
	CHECK_ERR(sendfile(p[1], fd, (off_t *)(b + 2 * P - 8), 100), EFAULT);
	CHECK_EQ(avail(p[0]), 100);
	CHECK_OK(mprotect(b + P, P, PROT_READ | PROT_WRITE));
	close(p[0]);
	close(p[1]);
	close(fd);
	munmap(b, 3 * P);
}

static void copy_file_range_offsets(void)
{
	char *b = faulting_buf();
	int in = data_file(), out = CHECK_OK(memfd_create("out", 0));

	CHECK_EQ(lseek(in, 0, SEEK_SET), 0);
	CHECK_ERR(copy_file_range(in, (loff_t *)(b + 2 * P), out, NULL, 100, 0), EFAULT);
	CHECK_ERR(copy_file_range(in, NULL, out, (loff_t *)(b + 2 * P), 100, 0), EFAULT);
	CHECK_EQ(lseek(out, 0, SEEK_END), 0);
	*(loff_t *)(b + P) = 0;
	CHECK_OK(mprotect(b + P, P, PROT_READ));
	CHECK_ERR(copy_file_range(in, (loff_t *)(b + P), out, NULL, 100, 0), EFAULT);
	CHECK_EQ(lseek(out, 0, SEEK_END), 100);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 0);
	CHECK_OK(mprotect(b + P, P, PROT_READ | PROT_WRITE));
	close(in);
	close(out);
	munmap(b, 3 * P);
}

/* On our own pid: a fault on either side ends the transfer at that page. */
static void process_vm_faults(void)
{
	char *b = faulting_buf(), dst[300];
	pid_t me = getpid();
	struct iovec src_ok = { g_src, 200 }, local_half = { b + 2 * P - 100, 200 };
	struct iovec remote_half = { b + 2 * P - 100, 200 }, local_ok = { dst, 200 };
	struct iovec remote_bad = { b + 2 * P, 10 };
	struct iovec two_local[2] = { { b + 2 * P - 100, 200 }, { dst, 10 } };

	memcpy(b, g_src, 2 * P);
	CHECK_EQ(process_vm_readv(me, &local_half, 1, &src_ok, 1, 0), 100);
	CHECK_MEM(b + 2 * P - 100, g_src, 100);
	CHECK_EQ(process_vm_readv(me, &local_ok, 1, &remote_half, 1, 0), 100);
	CHECK_MEM(dst, g_src, 100); /* what the first call put there */
	CHECK_ERR(process_vm_readv(me, &local_ok, 1, &remote_bad, 1, 0), EFAULT);
	CHECK_EQ(process_vm_readv(me, two_local, 2, &src_ok, 1, 0), 100);
	CHECK_ERR(process_vm_readv(me, (struct iovec *)(b + 2 * P), 1, &src_ok, 1, 0), EFAULT);
	CHECK_EQ(process_vm_writev(me, &local_half, 1, &local_ok, 1, 0), 100);
	CHECK_EQ(process_vm_writev(me, &local_ok, 1, &remote_half, 1, 0), 100);
	CHECK_ERR(process_vm_writev(me, &local_ok, 1, &remote_bad, 1, 0), EFAULT);
	munmap(b, 3 * P);
}

int main(void)
{
	h_begin();
	for (size_t i = 0; i < sizeof(g_src); i++)
		g_src[i] = (char)(i * 13 + 1);
	RUN(splice_offsets);
	RUN(sendfile_offset);
	RUN(copy_file_range_offsets);
	RUN(process_vm_faults);
	return h_end();
}
