/* bpf_fuzz.c: libFuzzer target for the Sentry's seccomp BPF checker and interpreter: any
 * bytes as a program (and seccomp_data) must be refused or run to a return. */
#include <stddef.h>
#include <stdint.h>

#include "test/fuzz/bpf_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return bpf_fuzz_one(data, size);
}
