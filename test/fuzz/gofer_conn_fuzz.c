/* gofer_conn_fuzz.c: libFuzzer target: arbitrary byte streams through a socketpair into the
 * gofer's concurrent connection loop, split into writes as the input says (see
 * conn_fuzz.h for the input layout and what is checked). */
#include <stddef.h>
#include <stdint.h>

#include "lib/log.h"
#include "test/fuzz/conn_fuzz.h"

static struct conn_fuzz g_cf;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_cleanup(void)
{
	cf_fini(&g_cf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_ERR); /* malformed input is the point: keep warnings quiet */
	signal(SIGPIPE, SIG_IGN);
	cf_init(&g_cf, false); /* hangs: libFuzzer's -timeout */
	atexit(fuzz_cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_one(&g_cf, data, size);
	return 0;
}
