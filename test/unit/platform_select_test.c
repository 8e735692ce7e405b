/* platform_select_test.c: backend lookup, `--platform` choice, the stub backend, FPU layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "platform/platform.h"

static void find_knows_backends(void **state)
{
	assert_ptr_equal(plat_find("ptrace"), &plat_ptrace_ops);
	assert_ptr_equal(plat_find("systrap"), &plat_systrap_ops);
	assert_ptr_equal(plat_find("stub"), &plat_stub_ops);
	assert_null(plat_find("nope"));
	assert_null(plat_find(NULL));
}

static void choose_auto_prefers_systrap(void **state)
{
	const char *why = NULL;

	assert_ptr_equal(plat_choose("auto", &why), &plat_systrap_ops);
	assert_non_null(why);
	assert_ptr_equal(plat_choose(NULL, &why), &plat_systrap_ops);
	assert_ptr_equal(plat_choose("ptrace", &why), &plat_ptrace_ops);
	assert_string_equal(why, "requested by --platform");
}

static void choose_rejects_stub_and_unknown(void **state)
{
	const char *why = NULL;

	assert_null(plat_choose("stub", &why));
	assert_string_equal(why, "stub platform runs nothing");
	assert_null(plat_choose("kvmx", &why));
	assert_string_equal(why, "unknown platform name");
}

static void stub_backend_refuses_everything(void **state)
{
	const struct platform_ops *o = &plat_stub_ops;
	struct platform *p = NULL;
	const char *why;

	assert_int_equal(o->probe(&why), -ENOSYS);
	assert_int_equal(o->create(3, &p), -ENOSYS);
	assert_null(p);
	assert_int_equal(o->as_map(NULL, 0x400000, 4096, 0, 1), -ENOSYS);
	assert_int_equal(o->switch_to(NULL, NULL, NULL, NULL), -ENOSYS);
}

static void fpu_size_and_init(void **state)
{
	struct plat_fpu fpu;
	unsigned size = plat_fpu_size();
	uint16_t fcw;
	uint32_t mxcsr;

	assert_true(size >= 512 && size <= PLAT_FPU_MAX);
	memset(&fpu, 0xaa, sizeof(fpu));
	plat_fpu_init(&fpu);
	memcpy(&fcw, fpu.data, 2);
	memcpy(&mxcsr, fpu.data + 24, 4);
	assert_int_equal(fcw, 0x37f);
	assert_int_equal(mxcsr, 0x1f80);
	assert_int_equal(fpu.data[160], 0); /* xmm0 cleared */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_knows_backends),
		cmocka_unit_test(choose_auto_prefers_systrap),
		cmocka_unit_test(choose_rejects_stub_and_unknown),
		cmocka_unit_test(stub_backend_refuses_everything),
		cmocka_unit_test(fpu_size_and_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
