/* client_lock.c: the client's Tlock, Tgetlock and Trename. */
#include "gofer/p9/client_rpc.h"

#include <errno.h>

/* Our client id in Tlock/Tgetlock (the Linux client sends its node name; the gofer's locks
 * are owned by the open fid, so the id is informational). */
#define P9C_CLIENT_ID "runsc"

int p9c_lock(struct p9_client *c, uint32_t fid, uint32_t flags, const struct p9_lock *lock,
	     uint8_t *status)
{
	struct p9_fcall req = {.type = P9_TLOCK}, rep;
	int ret;

	req.tlock.fid = fid;
	req.tlock.flags = flags;
	req.tlock.lock = *lock;
	p9c_cstr(P9C_CLIENT_ID, &req.tlock.client_id);
	ret = p9c_rpc(c, &req, P9_RLOCK, &rep, NULL);
	if (ret == 0)
		*status = rep.rlock.status;
	return ret;
}

int p9c_getlock(struct p9_client *c, uint32_t fid, struct p9_lock *lock)
{
	struct p9_fcall req = {.type = P9_TGETLOCK}, rep;
	int ret;

	req.getlock.fid = fid;
	req.getlock.lock = *lock;
	p9c_cstr(P9C_CLIENT_ID, &req.getlock.client_id);
	ret = p9c_rpc(c, &req, P9_RGETLOCK, &rep, NULL);
	if (ret == 0)
		*lock = rep.getlock.lock;
	return ret;
}

int p9c_rename(struct p9_client *c, uint32_t fid, uint32_t dfid, const char *name)
{
	struct p9_fcall req = {.type = P9_TRENAME}, rep;

	req.trename.fid = fid;
	req.trename.dfid = dfid;
	if (p9c_cstr(name, &req.trename.name))
		return -ENAMETOOLONG;
	return p9c_rpc(c, &req, P9_RRENAME, &rep, NULL);
}
