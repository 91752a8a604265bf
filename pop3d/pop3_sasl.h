/*
 * pop3_sasl.h: decoding of the SASL PLAIN response (RFC 4616) for POP3's
 * AUTH command (RFC 5034). Pure: no I/O, no session; unit-tested and
 * fuzzed directly.
 *
 * Interim: this goes away when the shared auth/ library (SASL decoders for
 * every protocol) lands.
 */
#ifndef POSTHORN_POP3_SASL_H
#define POSTHORN_POP3_SASL_H

#include <stddef.h>

enum pop3_sasl_result {
	POP3_SASL_OK = 0,
	POP3_SASL_BAD_BASE64 = -1,	/* not canonical base64 (RFC 4648 4) */
	POP3_SASL_BAD_MESSAGE = -2,	/* not authzid NUL authcid NUL passwd */
	POP3_SASL_BAD_AUTHZID = -3,	/* acting as someone else: not offered */
	POP3_SASL_TOO_LONG = -4		/* a field does not fit the caller's buffer */
};

/*
 * Decode the base64 PLAIN response b64 (len bytes, no CRLF; "" or "=" is
 * the empty response, which is not a valid PLAIN message) into the login
 * name and the password, each NUL-terminated. The authzid must be empty or
 * equal to the authcid (ASCII case-insensitive): Posthorn has no proxy
 * logins. The name and the password must be non-empty and contain no NUL.
 * Returns POP3_SASL_OK or a negative enum pop3_sasl_result; on failure
 * user and pass are wiped. The caller wipes pass after use.
 */
int	 pop3_sasl_plain_decode(const char *b64, size_t len, char *user,
	    size_t usersize, char *pass, size_t passsize);

#endif
