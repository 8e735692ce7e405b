/* uts.c: the sandbox's UTS names: the host's kernel identity, the sandbox's hostname. */
#include "sentry/kernel/uts.h"

#include <stdio.h>
#include <string.h>

static struct utsname g_uts;

void uts_init(const char *hostname)
{
	uname(&g_uts);
	if (hostname)
		snprintf(g_uts.nodename, sizeof(g_uts.nodename), "%s", hostname);
	snprintf(g_uts.domainname, sizeof(g_uts.domainname), "(none)");
}

void uts_get(struct utsname *u)
{
	*u = g_uts;
}

void uts_set_hostname(const char *name)
{
	snprintf(g_uts.nodename, sizeof(g_uts.nodename), "%s", name);
}

void uts_set_domainname(const char *name)
{
	snprintf(g_uts.domainname, sizeof(g_uts.domainname), "%s", name);
}
