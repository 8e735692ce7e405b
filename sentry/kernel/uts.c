/* uts.c: the sandbox's UTS names: the host's kernel identity, the sandbox's hostname.
 * Containers of a pod share the sandbox's names unless their spec gave a hostname: then
 * they get their own UTS namespace (by thread_group.cid). Kernel lock held. */
#include "sentry/kernel/uts.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"

static struct utsname g_uts;
static struct utsname *g_uts_own[UTS_MAX_CID]; /* NULL: shares g_uts */

/* The names the calling task sees (control threads: the sandbox's). */
static struct utsname *uts_current(void)
{
	int cid = t_current && t_current->tg ? t_current->tg->cid : 0;

	if (cid > 0 && cid < UTS_MAX_CID && g_uts_own[cid])
		return g_uts_own[cid];
	return &g_uts;
}

void uts_init(const char *hostname)
{
	uname(&g_uts);
	if (hostname)
		snprintf(g_uts.nodename, sizeof(g_uts.nodename), "%s", hostname);
	snprintf(g_uts.domainname, sizeof(g_uts.domainname), "(none)");
}

int uts_new_container(int cid, const char *hostname)
{
	if (cid <= 0 || cid >= UTS_MAX_CID)
		return -1;
	free(g_uts_own[cid]);
	g_uts_own[cid] = xmalloc(sizeof(struct utsname));
	*g_uts_own[cid] = g_uts;
	snprintf(g_uts_own[cid]->nodename, sizeof(g_uts.nodename), "%s", hostname);
	return 0;
}

void uts_drop_container(int cid)
{
	if (cid <= 0 || cid >= UTS_MAX_CID)
		return;
	free(g_uts_own[cid]);
	g_uts_own[cid] = NULL;
}

void uts_get(struct utsname *u)
{
	*u = *uts_current();
}

void uts_set_hostname(const char *name)
{
	struct utsname *u = uts_current();

	snprintf(u->nodename, sizeof(u->nodename), "%s", name);
}

void uts_set_domainname(const char *name)
{
	struct utsname *u = uts_current();

	snprintf(u->domainname, sizeof(u->domainname), "%s", name);
}
