/* p9_server_fuzz.c: libFuzzer target: arbitrary bytes into the 9P decoder and the gofer's
 * request dispatcher serving a temp tree (see p9_fuzz.h for the input layout). */
#include <stddef.h>
#include <stdint.h>

#include "lib/log.h"
#include "test/fuzz/p9_fuzz.h"

static struct p9_fuzz g_fz;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_cleanup(void)
{
	p9_fuzz_fini(&g_fz);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_ERR); /* malformed input is the point: keep warnings quiet */
	p9_fuzz_init(&g_fz);
	atexit(fuzz_cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	p9_fuzz_one(&g_fz, data, size);
	return 0;
}
