/* preadv/pwritev/preadv2/pwritev2: positional vectors, the offset -1 of the v2 calls,
 * RWF flags, and errnos. */
#include "harness.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

/* Raw calls: glibc's wrappers would hide the kernel's argument order and errnos. */
static long rpreadv2(int fd, const struct iovec *v, int n, long off, int flags)
{
	return syscall(SYS_preadv2, fd, v, n, off, 0L, flags);
}

static long rpwritev2(int fd, const struct iovec *v, int n, long off, int flags)
{
	return syscall(SYS_pwritev2, fd, v, n, off, 0L, flags);
}

static int open_tmp(const char *name)
{
	return open(h_path(name), O_RDWR | O_CREAT | O_TRUNC, 0644);
}

static void pwritev_preadv_at_offset_leave_position(void)
{
	char a[4] = "abcd", b[3] = "xyz", r1[2], r2[5];
	struct iovec w[2] = {{a, 4}, {b, 3}}, r[2] = {{r1, 2}, {r2, 5}};
	int fd = CHECK_OK(open_tmp("pv"));

	CHECK_EQ(syscall(SYS_pwritev, fd, w, 2, 10L, 0L), 7);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 17);
	CHECK_EQ(syscall(SYS_preadv, fd, r, 2, 10L, 0L), 7);
	CHECK_MEM(r1, "ab", 2);
	CHECK_MEM(r2, "cdxyz", 5);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 17);
	/* Short at end of file, zero past it. */
	CHECK_EQ(syscall(SYS_preadv, fd, r, 2, 14L, 0L), 3);
	CHECK_MEM(r1, "xy", 2);
	CHECK_EQ(syscall(SYS_preadv, fd, r, 2, 100L, 0L), 0);
	close(fd);
}

static void v2_offset_minus_one_uses_position(void)
{
	char buf[8] = {0};
	struct iovec w = {"hello", 5}, r = {buf, sizeof(buf)};
	int fd = CHECK_OK(open_tmp("v2pos"));

	CHECK_EQ(rpwritev2(fd, &w, 1, -1, 0), 5);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
	CHECK_EQ(rpreadv2(fd, &r, 1, -1, 0), 4);
	CHECK_MEM(buf, "ello", 4);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	/* A given offset leaves the position alone. */
	CHECK_EQ(rpreadv2(fd, &r, 1, 0, 0), 5);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	close(fd);
}

static void v2_sync_flags_write(void)
{
	char buf[4] = {0};
	struct iovec w = {"sync", 4}, r = {buf, 4};
	int fd = CHECK_OK(open_tmp("v2sync"));

	CHECK_EQ(rpwritev2(fd, &w, 1, 0, RWF_DSYNC), 4);
	CHECK_EQ(rpwritev2(fd, &w, 1, 4, RWF_SYNC), 4);
	CHECK_EQ(rpwritev2(fd, &w, 1, 8, RWF_HIPRI), 4);
	CHECK_EQ(rpreadv2(fd, &r, 1, 4, RWF_HIPRI), 4);
	CHECK_MEM(buf, "sync", 4);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 12);
	close(fd);
}

static void v2_unknown_flag_is_eopnotsupp(void)
{
	char buf[4];
	struct iovec r = {buf, 4};
	int fd = CHECK_OK(open_tmp("v2bad"));

	CHECK_ERR(rpreadv2(fd, &r, 1, 0, 0x40000000), EOPNOTSUPP);
	CHECK_ERR(rpwritev2(fd, &r, 1, 0, 0x40000000), EOPNOTSUPP);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 0);
	close(fd);
}

static void errors(void)
{
	char buf[4];
	struct iovec r = {buf, 4};
	int p[2], fd = CHECK_OK(open_tmp("err"));

	CHECK_ERR(syscall(SYS_preadv, fd, &r, 1, -1L, 0L), EINVAL);
	CHECK_ERR(rpreadv2(fd, &r, 1, -2, 0), EINVAL);
	/* The offset is checked before the descriptor. */
	CHECK_ERR(syscall(SYS_preadv, 9999, &r, 1, -5L, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_preadv, 9999, &r, 1, 0L, 0L), EBADF);
	CHECK_ERR(syscall(SYS_preadv, fd, &r, -1, 0L, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_preadv, fd, (void *)8, 1, 0L, 0L), EFAULT);
	CHECK_OK(pipe(p));
	CHECK_ERR(syscall(SYS_preadv, p[0], &r, 1, 0L, 0L), ESPIPE);
	CHECK_ERR(syscall(SYS_pwritev, p[1], &r, 1, 0L, 0L), ESPIPE);
	/* Offset -1 makes the v2 calls work on a pipe. */
	CHECK_EQ(rpwritev2(p[1], &r, 1, -1, 0), 4);
	CHECK_EQ(rpreadv2(p[0], &r, 1, -1, 0), 4);
	close(p[0]);
	close(p[1]);
	close(fd);
	fd = CHECK_OK(open(h_path("err"), O_RDONLY));
	CHECK_ERR(syscall(SYS_pwritev, fd, &r, 1, 0L, 0L), EBADF);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(pwritev_preadv_at_offset_leave_position);
	RUN(v2_offset_minus_one_uses_position);
	RUN(v2_sync_flags_write);
	RUN(v2_unknown_flag_is_eopnotsupp);
	RUN(errors);
	return h_end();
}
