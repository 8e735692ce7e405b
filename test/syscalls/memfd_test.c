/* memfd_create: flags, the name in /proc/self/fd, data through read/write/mmap, and file
 * seals (F_ADD_SEALS/F_GET_SEALS with SHRINK, GROW, WRITE, SEAL). */
#include <stdint.h>
#include <sys/mman.h>

#include "harness.h"

static void memfd_flags_and_name(void)
{
	int fd = CHECK_OK(memfd_create("hello", MFD_CLOEXEC));
	char link[64], buf[128];
	ssize_t n;
	struct stat st;

	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "/memfd:hello (deleted)");
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 0);
	close(fd);
	CHECK_ERR(memfd_create("x", 0x100), EINVAL);
	memset(buf, 'a', sizeof(buf));
	buf[sizeof(buf) - 1] = '\0';
	CHECK_OK(fd = memfd_create(buf + 128 - 100, 0)); /* 99 chars: fine */
	close(fd);
	{
		char longname[300];

		memset(longname, 'b', sizeof(longname));
		longname[299] = '\0';
		CHECK_ERR(memfd_create(longname, 0), EINVAL);
	}
	CHECK_ERR(memfd_create((const char *)8, 0), EFAULT);
}

static void memfd_holds_data(void)
{
	int fd = CHECK_OK(memfd_create("data", 0));
	char buf[8] = {0};
	char *m;

	CHECK_EQ(write(fd, "abcdef", 6), 6);
	CHECK_EQ(pread(fd, buf, 6, 0), 6);
	CHECK_STR(buf, "abcdef");
	CHECK_OK(ftruncate(fd, 4096));
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	if (m != MAP_FAILED) {
		CHECK_EQ(m[2], 'c');
		m[0] = 'Z';
		munmap(m, 4096);
	}
	CHECK_EQ(pread(fd, buf, 1, 0), 1);
	CHECK_EQ(buf[0], 'Z');
	close(fd);
}

static void memfd_seals_without_allow_sealing(void)
{
	int fd = CHECK_OK(memfd_create("nos", 0));

	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);
}

static void memfd_seals_enforced(void)
{
	int fd = CHECK_OK(memfd_create("s", MFD_ALLOW_SEALING));
	const char *p = h_make_file("reg", "x");
	int reg = CHECK_OK(open(p, O_RDWR));

	CHECK_EQ(fcntl(fd, F_GET_SEALS), 0);
	CHECK_EQ(write(fd, "12345678", 8), 8);
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	CHECK_ERR(ftruncate(fd, 4), EPERM);
	CHECK_OK(ftruncate(fd, 16));
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	CHECK_ERR(ftruncate(fd, 32), EPERM);
	CHECK_ERR(pwrite(fd, "x", 1, 16), EPERM);
	CHECK_EQ(pwrite(fd, "x", 1, 15), 1); /* inside the size */
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	CHECK_ERR(pwrite(fd, "x", 1, 0), EPERM);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
	CHECK_ERR(fcntl(reg, F_ADD_SEALS, F_SEAL_WRITE), EINVAL); /* not a memfd */
	CHECK_ERR(fcntl(reg, F_GET_SEALS), EINVAL);
	close(reg);
	close(fd);
}

static void memfd_add_seals_needs_write_access(void)
{
	int fd = CHECK_OK(memfd_create("ro", MFD_ALLOW_SEALING));
	char link[64];
	int ro;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ro = CHECK_OK(open(link, O_RDONLY));
	CHECK_ERR(fcntl(ro, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	CHECK_EQ(fcntl(ro, F_GET_SEALS), 0);
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0x8000), EINVAL);
	close(ro);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(memfd_flags_and_name);
	RUN(memfd_holds_data);
	RUN(memfd_seals_without_allow_sealing);
	RUN(memfd_seals_enforced);
	RUN(memfd_add_seals_needs_write_access);
	return h_end();
}
