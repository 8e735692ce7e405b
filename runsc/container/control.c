/* control.c: runsc's side of the control socket (protocol in sentry/control/control_proto.h):
 * one JSON request per packet, with stdio fds for exec; `update` through it. */
#include "runsc/container/container_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/util.h"
#include "sentry/control/control_proto.h"

void container_control_path(const struct container *c, char *buf, size_t size, int dirfd)
{
	/* sun_path holds 108 bytes; a long --root goes through the directory's fd. */
	if (strlen(c->ctl_dir) + sizeof("/control") <= sizeof(((struct sockaddr_un *)0)->sun_path))
		snprintf(buf, size, "%s/control", c->ctl_dir);
	else
		snprintf(buf, size, "/proc/self/fd/%d/control", dirfd);
}

static int control_connect(const struct container *c, struct oci_error *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int dirfd = open(c->ctl_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int err = 0;

	if (dirfd < 0 || fd < 0) {
		err = -errno;
		if (c->sandbox[0] && err == -ENOENT)
			oci_errorf(e, "sandbox is not running (sandbox `%s` was deleted)",
				   c->sandbox);
		else
			oci_errorf(e, "control socket: %s", strerror(errno));
		goto out;
	}
	container_control_path(c, sa.sun_path, sizeof(sa.sun_path), dirfd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		oci_errorf(e, "sandbox is not running (control socket: %s)", strerror(errno));
	}
out:
	if (dirfd >= 0)
		close(dirfd);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

int container_control_recv(int conn, json_t **reply, struct oci_error *e)
{
	char *buf = xmalloc(CONTROL_MSG_MAX);
	json_error_t jerr;
	ssize_t n = fd_recv(conn, buf, CONTROL_MSG_MAX, NULL, NULL);
	json_t *r;

	if (n <= 0) {
		free(buf);
		if (n == -EAGAIN) {
			oci_errorf(e, "the sandbox did not answer in time");
			return -ETIMEDOUT;
		}
		oci_errorf(e, "the sandbox closed the control connection");
		return -EPIPE;
	}
	r = json_loadb(buf, (size_t)n, 0, &jerr);
	free(buf);
	if (!json_is_object(r)) {
		json_decref(r);
		return oci_errorf(e, "bad answer from the sandbox");
	}
	if (json_object_get(r, "error")) {
		int err = (int)json_integer_value(json_object_get(r, "errno"));
		oci_errorf(e, "%s", json_string_value(json_object_get(r, "error")) ?: "error");
		json_decref(r);
		return err > 0 ? -err : -EIO;
	}
	*reply = r;
	return 0;
}

int container_control_send(const struct container *c, json_t *req, const int *fds, int nfds,
			   int *conn, struct oci_error *e)
{
	char *msg;
	ssize_t n;

	if (c->sandbox[0])
		json_object_set_new(req, "id", json_string(c->id)); /* a container of a pod */
	msg = json_dumps(req, JSON_COMPACT);
	if (!msg)
		return oci_errorf(e, "cannot encode the control request");
	if (strlen(msg) >= CONTROL_MSG_MAX) {
		free(msg);
		return oci_errorf(e, "the control request is too large (%d bytes at most)",
				  CONTROL_MSG_MAX);
	}
	*conn = control_connect(c, e);
	if (*conn < 0) {
		free(msg);
		return *conn;
	}
	n = fd_send(*conn, msg, strlen(msg), fds, nfds);
	free(msg);
	if (n < 0) {
		close(*conn);
		return oci_errorf(e, "control socket: %s", strerror((int)-n));
	}
	return 0;
}

int container_control(const struct container *c, json_t *req, const int *fds, int nfds,
		      int timeout_ms, json_t **reply, int *conn_out, struct oci_error *e)
{
	int conn, err;
	json_t *r = NULL;

	err = container_control_send(c, req, fds, nfds, &conn, e);
	if (err)
		return err;
	if (timeout_ms > 0) {
		struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
		setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	err = container_control_recv(conn, &r, e);
	if (err || !conn_out) {
		close(conn);
	} else {
		struct timeval tv = {0, 0};
		setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		*conn_out = conn;
	}
	if (reply && !err)
		*reply = r;
	else
		json_decref(r);
	return err;
}

int container_update(const struct container *c, const struct oci_resources *r,
		     struct oci_error *e)
{
	json_t *req;
	int err = c->sandbox[0] ? 0 : cgroup_apply(c->cgroup, r, e);

	if (err)
		return err;
	req = json_pack("{s:s, s:o}", "cmd", "update", "resources", bootspec_resources(r));
	err = container_control(c, req, NULL, 0, 0, NULL, NULL, e);
	json_decref(req);
	return err;
}
