/* oci_spec_fuzz.c: libFuzzer target for the config.json parser (runsc/oci): any bytes
 * must give a spec or an error naming a field, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runsc/oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_error e = {{0}};
	struct oci_spec *s = NULL;

	if (oci_spec_parse((const char *)data, size, &s, &e) == 0) {
		/* Touch what the runtime reads so that a bad pointer shows. */
		volatile size_t n = strlen(s->root_path);
		for (int i = 0; s->has_process && s->process.args[i]; i++)
			n += strlen(s->process.args[i]);
		for (int i = 0; i < s->warnings.n; i++)
			n += strlen(s->warnings.v[i]);
		(void)n;
		oci_spec_free(s);
	} else if (!e.msg[0]) {
		__builtin_trap(); /* every failure explains itself */
	}
	return 0;
}
