/* bpf_fuzz.h: one fuzz input against the seccomp BPF checker and interpreter, shared by
 * the libFuzzer target (bpf_fuzz.c) and the cmocka run under gcc (test/unit/bpf_test.c).
 * The first 64 bytes are the seccomp_data, the rest the program. A program the checker
 * accepts must run to a return within its length; one it refuses is never run. Aborts when
 * an invariant breaks. */
#ifndef RUNSC_TEST_FUZZ_BPF_FUZZ_H
#define RUNSC_TEST_FUZZ_BPF_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/bpf.h"

static inline int bpf_fuzz_one(const uint8_t *bytes, size_t size)
{
	uint8_t data[BPF_SECCOMP_DATA_SIZE] = {0};
	size_t len;
	struct sock_filter *prog;

	if (size < sizeof(data))
		return 0;
	memcpy(data, bytes, sizeof(data));
	bytes += sizeof(data);
	size -= sizeof(data);
	len = size / sizeof(struct sock_filter);
	prog = malloc((len ? len : 1) * sizeof(*prog));
	if (!prog)
		abort();
	memcpy(prog, bytes, len * sizeof(*prog));
	if (bpf_check_seccomp(prog, len) == 0) {
		/* Checked programs end in a return, so a run never falls off the end: the
		 * interpreter's fallback value (0) then only comes from a real return or a
		 * division by zero X. Run twice: the result is deterministic. */
		uint32_t a = bpf_run(prog, len, data), b = bpf_run(prog, len, data);
		if (a != b)
			abort();
	}
	free(prog);
	return 0;
}

#endif
