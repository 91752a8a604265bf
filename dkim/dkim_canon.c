/*
 * dkim_canon.c: the relaxed canonicalization of RFC 6376 section 3.4
 * (header fields 3.4.2, body 3.4.4), line-end normalization, and base64.
 *
 * It deliberately does not implement "simple" canonicalization: we only
 * sign relaxed/relaxed, which survives the re-folding and whitespace
 * changes that relays do.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dkim_internal.h"
#include "util.h"

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

char *
dkim_crlf(const char *msg, size_t len, size_t *len_r)
{
	char *out;
	size_t i, o = 0;

	/* At worst every byte is a bare LF or CR and doubles. */
	out = xmalloc(len * 2 + 1);
	for (i = 0; i < len; i++) {
		if (msg[i] == '\r') {
			out[o++] = '\r';
			out[o++] = '\n';
			if (i + 1 < len && msg[i + 1] == '\n')
				i++;
		} else if (msg[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else
			out[o++] = msg[i];
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

char *
dkim_canon_header(const char *field, size_t len, size_t *len_r)
{
	char *out;
	size_t i, o = 0, colon, value_start;
	int space = 0;

	out = xmalloc(len + 3);
	for (colon = 0; colon < len && field[colon] != ':'; colon++)
		;
	/* The name: lower case, without the WSP before the colon. */
	for (i = 0; i < colon; i++) {
		unsigned char c = (unsigned char)field[i];

		if (IS_WSP(c) || c == '\r' || c == '\n')
			continue;
		out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
	}
	out[o++] = ':';
	value_start = o;
	/* The value: unfolded, WSP runs become one SP, none at either end. */
	for (i = colon + 1; i < len; i++) {
		char c = field[i];

		if (c == '\r' || c == '\n')
			continue;
		if (IS_WSP(c)) {
			space = 1;
			continue;
		}
		if (space && o > value_start)
			out[o++] = ' ';
		space = 0;
		out[o++] = c;
	}
	out[o++] = '\r';
	out[o++] = '\n';
	out[o] = '\0';
	*len_r = o;
	return out;
}

char *
dkim_canon_body(const char *body, size_t len, size_t *len_r)
{
	char *out;
	size_t i = 0, o = 0, end = 0, line_start;
	int space;

	out = xmalloc(len + 3);
	while (i < len) {
		line_start = o;
		space = 0;
		while (i < len && body[i] != '\r') {
			if (IS_WSP(body[i]))
				space = 1;
			else {
				if (space)
					out[o++] = ' ';
				space = 0;
				out[o++] = body[i];
			}
			i++;
		}
		/* Trailing WSP of the line was dropped by not flushing space. */
		i += (i + 1 < len) ? 2 : (i < len ? 1 : 0);
		out[o++] = '\r';
		out[o++] = '\n';
		if (o - line_start > 2)
			end = o;
	}
	/* Empty lines at the end are ignored (RFC 6376 3.4.4 c). */
	out[end] = '\0';
	*len_r = end;
	return out;
}

char *
dkim_base64(const unsigned char *bin, size_t len)
{
	size_t n = sodium_base64_encoded_len(len,
	    sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(n);

	sodium_bin2base64(out, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

unsigned char *
dkim_unbase64(const char *s, size_t slen, size_t *len_r)
{
	unsigned char *out;
	size_t maxlen = slen / 4 * 3 + 3;

	out = xmalloc(maxlen + 1);
	if (sodium_base642bin(out, maxlen, s, slen, " \t\r\n", len_r, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
