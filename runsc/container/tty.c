/* tty.c: the console of a container with process.terminal: a host pty whose master goes
 * to the caller over --console-socket and whose slave is the sandbox's stdio. */
#include "runsc/container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "lib/util.h"

int tty_open(int *master, int *slave, unsigned rows, unsigned cols, struct oci_error *e)
{
	char name[64];
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s;

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name))) {
		int err = oci_errorf(e, "cannot allocate a pty: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return err;
	}
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		int err = oci_errorf(e, "cannot open `%s`: %s", name, strerror(errno));
		close(m);
		return err;
	}
	if (rows && cols) {
		struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
		ioctl(m, TIOCSWINSZ, &ws);
	}
	*master = m;
	*slave = s;
	return 0;
}

int tty_send_master(const char *path, int master, struct oci_error *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[64] = "";
	int fd, err = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return oci_errorf(e, "--console-socket `%s`: path too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = oci_errorf(e, "cannot connect to --console-socket `%s`: %s", path,
				 strerror(errno));
	} else {
		ptsname_r(master, name, sizeof(name));
		ssize_t n = fd_send(fd, name, strlen(name), &master, 1);
		if (n < 0)
			err = oci_errorf(e, "cannot send the console to `%s`: %s", path,
					 strerror((int)-n));
	}
	if (fd >= 0)
		close(fd);
	return err;
}
