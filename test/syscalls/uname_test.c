/* uname: the fields Linux guarantees on x86-64, and EFAULT. */
#include "harness.h"

#include <ctype.h>
#include <sys/utsname.h>

static void uname_reports_linux_x86_64(void)
{
	struct utsname u;

	CHECK_OK(uname(&u));
	CHECK_STR(u.sysname, "Linux");
	CHECK_STR(u.machine, "x86_64");
}

static void uname_fields_are_terminated_and_nonempty(void)
{
	struct utsname u;

	memset(&u, 0x7f, sizeof(u));
	CHECK_OK(uname(&u));
	CHECK(memchr(u.release, '\0', sizeof(u.release)) != NULL);
	CHECK(memchr(u.version, '\0', sizeof(u.version)) != NULL);
	CHECK(memchr(u.nodename, '\0', sizeof(u.nodename)) != NULL);
	CHECK(strlen(u.nodename) > 0);
	CHECK(strlen(u.version) > 0);
	/* A release looks like "6.1.0": a digit, a dot. */
	CHECK(isdigit((unsigned char)u.release[0]));
	CHECK(strchr(u.release, '.') != NULL);
}

static void uname_is_stable(void)
{
	struct utsname a, b;

	CHECK_OK(uname(&a));
	CHECK_OK(uname(&b));
	CHECK_STR(a.release, b.release);
	CHECK_STR(a.nodename, b.nodename);
}

static void uname_bad_pointer_returns_efault(void)
{
	CHECK_ERR(syscall(SYS_uname, 1L), EFAULT);
}

int main(void)
{
	h_begin();
	RUN(uname_reports_linux_x86_64);
	RUN(uname_fields_are_terminated_and_nonempty);
	RUN(uname_is_stable);
	RUN(uname_bad_pointer_returns_efault);
	return h_end();
}
