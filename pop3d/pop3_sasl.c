/*
 * pop3_sasl.c: the SASL PLAIN response decoder for POP3 AUTH.
 *
 * RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd, sent
 * base64-encoded (RFC 5034 4). It checks the shape only; whether the name
 * and password are right is the store's business. It does not know LOGIN
 * or any other mechanism, and it never allocates.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "pop3_sasl.h"

/* The longest PLAIN message we decode: two names and a password. */
#define POP3_SASL_PLAIN_MAX	3072

static int	pop3_sasl_field(const char *p, size_t n, char *buf, size_t size);

/* Copy one NUL-free field; POP3_SASL_TOO_LONG when it does not fit. */
static int
pop3_sasl_field(const char *p, size_t n, char *buf, size_t size)
{
	if (n >= size)
		return POP3_SASL_TOO_LONG;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return POP3_SASL_OK;
}

int
pop3_sasl_plain_decode(const char *b64, size_t len, char *user,
    size_t usersize, char *pass, size_t passsize)
{
	unsigned char msg[POP3_SASL_PLAIN_MAX];
	const char *end = NULL, *authzid, *authcid, *passwd, *nul1, *nul2;
	size_t msglen = 0, zlen, clen, plen;
	int r;

	if (usersize > 0)
		user[0] = '\0';
	if (passsize > 0)
		pass[0] = '\0';
	if (len == 0 || (len == 1 && b64[0] == '='))
		return POP3_SASL_BAD_MESSAGE;
	if (len > sodium_base64_ENCODED_LEN(sizeof(msg),
	    sodium_base64_VARIANT_ORIGINAL))
		return POP3_SASL_TOO_LONG;
	/* Strict: padding required, no spaces or line breaks inside. */
	if (sodium_base642bin(msg, sizeof(msg), b64, len, NULL, &msglen, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != b64 + len) {
		sodium_memzero(msg, sizeof(msg));
		return POP3_SASL_BAD_BASE64;
	}
	authzid = (const char *)msg;
	nul1 = memchr(authzid, '\0', msglen);
	nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0',
	    msglen - (size_t)(nul1 + 1 - authzid)) : NULL;
	if (nul2 == NULL) {
		r = POP3_SASL_BAD_MESSAGE;
		goto out;
	}
	authcid = nul1 + 1;
	passwd = nul2 + 1;
	zlen = (size_t)(nul1 - authzid);
	clen = (size_t)(nul2 - authcid);
	plen = msglen - (size_t)(passwd - authzid);
	/* A third NUL would smuggle something into the password. */
	if (clen == 0 || plen == 0 || memchr(passwd, '\0', plen) != NULL) {
		r = POP3_SASL_BAD_MESSAGE;
		goto out;
	}
	if (zlen != 0 && (zlen != clen || strncasecmp(authzid, authcid, clen) != 0)) {
		r = POP3_SASL_BAD_AUTHZID;
		goto out;
	}
	if ((r = pop3_sasl_field(authcid, clen, user, usersize)) == POP3_SASL_OK)
		r = pop3_sasl_field(passwd, plen, pass, passsize);
out:
	sodium_memzero(msg, sizeof(msg));
	if (r != POP3_SASL_OK) {
		if (usersize > 0)
			sodium_memzero(user, usersize);
		if (passsize > 0)
			sodium_memzero(pass, passsize);
	}
	return r;
}
