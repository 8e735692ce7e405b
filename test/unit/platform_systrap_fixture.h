/* platform_systrap_fixture.h: the shared platform test fixture bound to the systrap backend. */
#ifndef RUNSC_TEST_PLATFORM_SYSTRAP_FIXTURE_H
#define RUNSC_TEST_PLATFORM_SYSTRAP_FIXTURE_H

#include "platform/systrap/systrap_internal.h"

#define FIXTURE_OPS plat_systrap_ops
#include "platform_fixture.h"

#endif
