/*
 * fuzz_dkim_verify.c: libFuzzer target for dkim/: the input is a message
 * (header fields, DKIM-Signature fields, body) given to the verifier with
 * a fixed key record, and to the signer whose result must then verify
 * (a property: whatever we sign, our verifier accepts).
 *
 * The first byte picks the signature index and whether the key record
 * comes from the input too (after a NUL), so the record parser is fuzzed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "util.h"

#define NOW	1795000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dkim_key *key;
static char *txt;

static void
fuzz_init(void)
{
	key = dkim_key_generate(DKIM_ALG_ED25519, "example.org", "fuzz");
	if (key == NULL || (txt = dkim_public_txt(key)) == NULL)
		abort();
}

static void
fuzz_sign_verify(const char *msg, size_t len)
{
	char err[256], *h, *both;
	size_t hlen;

	if ((h = dkim_sign(key, msg, len, NOW, err, sizeof(err))) == NULL)
		return;
	hlen = strlen(h);
	both = xmalloc(hlen + len);
	memcpy(both, h, hlen);
	memcpy(both + hlen, msg, len);
	/* The new signature is the topmost one. */
	if (dkim_verify(both, hlen + len, 0, txt, NOW, err, sizeof(err)) != 0) {
		fprintf(stderr, "own signature does not verify: %s\n", err);
		abort();
	}
	free(both);
	free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg, *record = NULL, *nul;
	char err[256], *rec_copy = NULL;
	size_t len;

	if (key == NULL)
		fuzz_init();
	if (size < 1)
		return 0;
	msg = (const char *)data + 1;
	len = size - 1;
	if ((data[0] & 0x80) && (nul = memchr(msg, '\0', len)) != NULL) {
		rec_copy = xstrndup(msg, (size_t)(nul - msg));
		record = rec_copy;
		len -= (size_t)(nul - msg) + 1;
		msg = nul + 1;
	}
	(void)dkim_verify(msg, len, data[0] & 3, record != NULL ? record : txt,
	    NOW, err, sizeof(err));
	fuzz_sign_verify(msg, len);
	free(rec_copy);
	return 0;
}
