/* arch_prctl and TLS: the FS base libc installed is live and readable back. */
#include "harness.h"

#include <asm/prctl.h>

static __thread int g_tls = 42;

static void tls_variable_has_initial_value(void)
{
	CHECK_EQ(g_tls, 42);
	g_tls = 43;
	CHECK_EQ(g_tls, 43);
	/* errno itself lives in TLS. */
	errno = 0;
	CHECK_ERR(close(-1), EBADF);
}

static void get_fs_matches_thread_pointer(void)
{
	unsigned long fs = 0, self;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	CHECK_OK(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	CHECK(fs != 0);
	CHECK_EQ(fs, self);
}

static void set_fs_round_trips(void)
{
	unsigned long fs = 0, back = 0;

	CHECK_OK(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	/* Re-setting the same base keeps TLS working. */
	CHECK_OK(syscall(SYS_arch_prctl, ARCH_SET_FS, fs));
	CHECK_OK(syscall(SYS_arch_prctl, ARCH_GET_FS, &back));
	CHECK_EQ(back, fs);
	CHECK_EQ(g_tls, 43);
}

static void arch_prctl_errors(void)
{
	CHECK_ERR(syscall(SYS_arch_prctl, 0x9999, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_GET_FS, 1L), EFAULT);
	/* A non-canonical base is refused. */
	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL), EPERM);
}

int main(void)
{
	h_begin();
	RUN(tls_variable_has_initial_value);
	RUN(get_fs_matches_thread_pointer);
	RUN(set_fs_round_trips);
	RUN(arch_prctl_errors);
	return h_end();
}
