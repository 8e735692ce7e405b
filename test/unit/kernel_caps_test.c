/* kernel_caps_test.c: capability arithmetic (sentry/kernel/caps.c) against Linux's rules:
 * set*id fixups, execve without file capabilities, capset limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"

#define BIT(n) (1ULL << (n))

static struct creds ids(uid_t r, uid_t e, uid_t s)
{
	struct creds c;

	memset(&c, 0, sizeof(c));
	c.uid = r;
	c.euid = e;
	c.suid = s;
	c.fsuid = e;
	caps_init(&c);
	return c;
}

static void root_starts_full_user_empty(void **state)
{
	struct creds root = ids(0, 0, 0), user = ids(1000, 1000, 1000);

	(void)state;
	assert_int_equal(root.cap_permitted, CAPS_FULL);
	assert_int_equal(root.cap_effective, CAPS_FULL);
	assert_int_equal(root.cap_bset, CAPS_FULL);
	assert_int_equal(user.cap_permitted, 0);
	assert_int_equal(user.cap_effective, 0);
	assert_int_equal(user.cap_bset, CAPS_FULL);
}

static void setuid_away_from_root_clears_unless_keepcaps(void **state)
{
	struct creds old = ids(0, 0, 0), c = old;

	(void)state;
	c.uid = c.euid = c.suid = c.fsuid = 1000;
	caps_fix_setuid(&c, &old);
	assert_int_equal(c.cap_permitted, 0);
	assert_int_equal(c.cap_effective, 0);

	c = old;
	c.securebits = SECBIT_KEEP_CAPS;
	c.cap_ambient = BIT(CAP_CHOWN);
	c.uid = c.euid = c.suid = c.fsuid = 1000;
	caps_fix_setuid(&c, &old);
	assert_int_equal(c.cap_permitted, CAPS_FULL);
	assert_int_equal(c.cap_effective, 0);
	assert_int_equal(c.cap_ambient, 0);
}

static void seteuid_toggles_effective(void **state)
{
	struct creds old = ids(0, 0, 0), c = old, back;

	(void)state;
	c.euid = c.fsuid = 1000; /* saved uid stays 0: permitted kept */
	caps_fix_setuid(&c, &old);
	assert_int_equal(c.cap_permitted, CAPS_FULL);
	assert_int_equal(c.cap_effective, 0);
	back = c;
	back.euid = back.fsuid = 0;
	caps_fix_setuid(&back, &c);
	assert_int_equal(back.cap_effective, CAPS_FULL);
}

static void fsuid_drops_only_fs_caps(void **state)
{
	struct creds old = ids(0, 0, 0), c = old;

	(void)state;
	c.fsuid = 1000;
	caps_fix_setuid(&c, &old);
	assert_false(c.cap_effective & BIT(CAP_CHOWN));
	assert_false(c.cap_effective & BIT(CAP_DAC_OVERRIDE));
	assert_true(c.cap_effective & BIT(CAP_SETUID));
	assert_true(c.cap_effective & BIT(CAP_SYS_ADMIN));
}

static void no_setuid_fixup_keeps_everything(void **state)
{
	struct creds old = ids(0, 0, 0), c = old;

	(void)state;
	c.securebits = SECBIT_NO_SETUID_FIXUP;
	c.uid = c.euid = c.suid = c.fsuid = 1000;
	caps_fix_setuid(&c, &old);
	assert_int_equal(c.cap_effective, CAPS_FULL);
}

static void exec_rules(void **state)
{
	struct creds c = ids(0, 0, 0);

	(void)state;
	c.cap_bset &= ~BIT(CAP_SYS_ADMIN);
	c.securebits = SECBIT_KEEP_CAPS;
	caps_exec(&c);
	assert_int_equal(c.cap_permitted, CAPS_FULL & ~BIT(CAP_SYS_ADMIN));
	assert_int_equal(c.cap_effective, c.cap_permitted);
	assert_int_equal(c.securebits, 0);

	/* Real root, effective user: permitted but not effective. */
	c = ids(0, 1000, 1000);
	caps_exec(&c);
	assert_int_equal(c.cap_permitted, CAPS_FULL);
	assert_int_equal(c.cap_effective, 0);

	/* A user keeps only ambient capabilities. */
	c = ids(1000, 1000, 1000);
	c.cap_permitted = c.cap_inheritable = BIT(CAP_CHOWN) | BIT(CAP_KILL);
	c.cap_ambient = BIT(CAP_KILL);
	caps_exec(&c);
	assert_int_equal(c.cap_permitted, BIT(CAP_KILL));
	assert_int_equal(c.cap_effective, BIT(CAP_KILL));
	assert_int_equal(c.cap_inheritable, BIT(CAP_CHOWN) | BIT(CAP_KILL));
}

static void capset_limits(void **state)
{
	struct creds c = ids(0, 0, 0);

	(void)state;
	/* Permitted only shrinks; effective within permitted. */
	assert_int_equal(caps_set(&c, 0, CAPS_FULL & ~BIT(CAP_SETUID), 0, true), 0);
	assert_int_equal(caps_set(&c, 0, CAPS_FULL, 0, true), -EPERM);
	assert_int_equal(caps_set(&c, BIT(CAP_SETUID), c.cap_permitted, 0, true), -EPERM);
	/* Inheritable: within the bounding set always, within permitted without SETPCAP. */
	c.cap_bset &= ~BIT(CAP_NET_RAW);
	assert_int_equal(caps_set(&c, 0, c.cap_permitted, BIT(CAP_NET_RAW), true), -EPERM);
	assert_int_equal(caps_set(&c, 0, c.cap_permitted, BIT(CAP_SETUID), false), -EPERM);
	assert_int_equal(caps_set(&c, 0, c.cap_permitted, BIT(CAP_SETUID), true), 0);
	/* Ambient follows permitted & inheritable. */
	c.cap_ambient = BIT(CAP_SETUID);
	assert_int_equal(caps_set(&c, 0, c.cap_permitted, 0, true), 0);
	assert_int_equal(c.cap_ambient, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_starts_full_user_empty),
		cmocka_unit_test(setuid_away_from_root_clears_unless_keepcaps),
		cmocka_unit_test(seteuid_toggles_effective),
		cmocka_unit_test(fsuid_drops_only_fs_caps),
		cmocka_unit_test(no_setuid_fixup_keeps_everything),
		cmocka_unit_test(exec_rules),
		cmocka_unit_test(capset_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
