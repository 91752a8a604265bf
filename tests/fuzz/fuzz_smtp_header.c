/*
 * fuzz_smtp_header.c: libFuzzer target for smtpd/smtp_header.c, which reads
 * the header section of every submitted message: the scan must stay inside
 * the input and report From values inside it, and the address walk must
 * only ever hand out NUL-terminated addresses shorter than addrsize, with
 * an '@' and no control bytes.
 *
 * Seeds: tests/fuzz/corpus/fuzz_smtp_header/ (headers from the unit tables).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_header.h"

#define ADDR_SIZE	256

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check_addr(void *arg, const char *addr)
{
	size_t	 len = strlen(addr), i;

	(void)arg;
	if (len == 0 || len >= ADDR_SIZE || strchr(addr, '@') == NULL)
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)addr[i] < 0x20 || addr[i] == 0x7f)
			abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*msg = (const char *)data;
	struct smtp_header_scan	 hs;
	int			 i, n;

	smtp_header_scan(msg, size, &hs);
	if (hs.n_from < 0 || (!hs.has_header && (hs.n_from || hs.has_date)))
		abort();
	for (i = 0; i < hs.n_from && i < SMTP_HEADER_FROM_MAX; i++) {
		if (hs.from_off[i] > size || hs.from_len[i] > size - hs.from_off[i])
			abort();
		n = smtp_header_addresses(msg + hs.from_off[i], hs.from_len[i],
		    ADDR_SIZE, check_addr, NULL);
		if (n < -1)
			abort();
	}
	/* The whole input as one address-list, too. */
	if (smtp_header_addresses(msg, size, ADDR_SIZE, check_addr, NULL) < -1)
		abort();
	return 0;
}
