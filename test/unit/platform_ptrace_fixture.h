/* platform_ptrace_fixture.h: the shared platform test fixture bound to the ptrace backend. */
#ifndef RUNSC_TEST_PLATFORM_PTRACE_FIXTURE_H
#define RUNSC_TEST_PLATFORM_PTRACE_FIXTURE_H

#include "platform/ptrace/ptrace_internal.h"

#define FIXTURE_OPS plat_ptrace_ops
#include "platform_fixture.h"

#endif
