/*
 * fuzz_config.c: libFuzzer target for the posthorn.conf parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[256];

	(void)config_parse((const char *)data, size, "fuzz", &cfg, err, sizeof(err));
	return 0;
}
