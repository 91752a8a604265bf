/*
 * fuzz_pop3.c: libFuzzer target for POP3's network-facing code: the
 * command-line parser (every line of the input) and the RETR/TOP
 * byte-stuffer (the input as a message, split where the first byte says),
 * checking the invariants the clients rely on.
 *
 * Seeds: the lines of tests/unit/check_pop3.c's tables, e.g.
 *   printf 'TOP 1 0\r\nPASS a b\r\n' > corpus/seed1
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "pop3_output.h"
#include "pop3_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_parse_lines(const char *p, size_t size)
{
	struct pop3_request req;
	const char *end = p + size, *nl;
	uint64_t v;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (pop3_parse(p, (size_t)(nl - p), &req) == POP3_PARSE_OK) {
			if (strlen(req.verb) < 1 || strlen(req.verb) > POP3_VERB_MAX)
				abort();
			for (int i = 0; i < req.argc; i++) {
				if (req.argv[i] == NULL || req.argv[i][0] == '\0')
					abort();
				(void)pop3_parse_number(req.argv[i], 0, UINT64_MAX, &v);
			}
		}
		p = nl + 1;
	}
}

static void
fuzz_stuff(const uint8_t *data, size_t size)
{
	struct pop3_dotstuff ds;
	struct evbuffer *out;
	const char *body = (const char *)data + 2;
	size_t blen, split, len, i;
	unsigned char *res;

	if (size < 2)
		return;
	blen = size - 2;
	split = data[0] % (blen + 1);
	if ((out = evbuffer_new()) == NULL)
		abort();
	pop3_dotstuff_init(&ds, data[1] < 200 ? data[1] % 8 : POP3_LINES_ALL);
	pop3_dotstuff_feed(&ds, body, split, out);
	pop3_dotstuff_feed(&ds, body + split, blen - split, out);
	pop3_dotstuff_finish(&ds, out);
	len = evbuffer_get_length(out);
	res = evbuffer_pullup(out, -1);
	/* ".CRLF" alone, or lines ending CRLF then ".CRLF"; never NUL. */
	if (len < 3 || memcmp(res + len - 3, ".\r\n", 3) != 0)
		abort();
	if (len > 3 && (len < 5 || memcmp(res + len - 5, "\r\n", 2) != 0 ||
	    memcmp(res, ".\r\n", 3) == 0))
		abort();
	for (i = 0; i < len; i++) {
		if (res[i] == '\0')
			abort();
		if (res[i] == '\n' && (i == 0 || res[i - 1] != '\r'))
			abort();	/* every LF is part of a CRLF */
		if (i + 5 < len && memcmp(res + i, "\r\n.\r\n", 5) == 0)
			abort();	/* the terminator only at the end */
	}
	evbuffer_free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse_lines((const char *)data, size);
	fuzz_stuff(data, size);
	return 0;
}
