/*
 * mime_decode.c: Content-Transfer-Encoding removal (RFC 2045 6.7
 * quoted-printable, 6.8 base64) for BINARY[] (RFC 3516) and SEARCH.
 *
 * Lenient by design: mail in the wild is broken, and a search or a
 * BINARY fetch should still give the best reading of it. Never fails;
 * output is never longer than the input. No charset handling here
 * (mime_charset.c).
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *
mime_decode_base64(const char *in, size_t len, size_t *len_r)
{
	char *out = xmalloc(len / 4 * 3 + 4);
	size_t i, n = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	for (i = 0; i < len; i++) {
		if (in[i] == '=')
			break;		/* padding: the data is over */
		v = b64_value((unsigned char)in[i]);
		if (v < 0)
			continue;	/* line breaks and junk (6.8) */
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	*len_r = n;
	return out;
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *
mime_decode_qp(const char *in, size_t len, size_t *len_r)
{
	char *out = xmalloc(len + 1);
	size_t i = 0, n = 0, j;

	while (i < len) {
		char c = in[i];

		if (c == ' ' || c == '\t') {
			/* 6.7 (3): whitespace at the end of a line is padding */
			j = i;
			while (j < len && (in[j] == ' ' || in[j] == '\t'))
				j++;
			if (j == len || in[j] == '\n' ||
			    (in[j] == '\r' && j + 1 < len && in[j + 1] == '\n')) {
				i = j;
				continue;
			}
			memcpy(out + n, in + i, j - i);
			n += j - i;
			i = j;
			continue;
		}
		if (c != '=') {
			out[n++] = c;
			i++;
			continue;
		}
		/* soft line break: "=" [whitespace] CRLF */
		j = i + 1;
		while (j < len && (in[j] == ' ' || in[j] == '\t'))
			j++;
		if (j == len) {
			i = j;
			continue;
		}
		if (in[j] == '\n' || (in[j] == '\r' && j + 1 < len &&
		    in[j + 1] == '\n')) {
			i = j + (in[j] == '\r' ? 2 : 1);
			continue;
		}
		if (i + 2 < len && hex_value((unsigned char)in[i + 1]) >= 0 &&
		    hex_value((unsigned char)in[i + 2]) >= 0) {
			out[n++] = (char)(hex_value((unsigned char)in[i + 1]) * 16 +
			    hex_value((unsigned char)in[i + 2]));
			i += 3;
			continue;
		}
		out[n++] = '=';		/* bad escape: keep it (6.7 note) */
		i++;
	}
	out[n] = '\0';
	*len_r = n;
	return out;
}

int
mime_decode_part(const struct mime_part *p, const char *msg, char **out_r,
    size_t *len_r)
{
	const char *body = msg + p->body_off;

	switch (p->encoding) {
	case MIME_ENC_BASE64:
		*out_r = mime_decode_base64(body, p->body_len, len_r);
		return 0;
	case MIME_ENC_QP:
		*out_r = mime_decode_qp(body, p->body_len, len_r);
		return 0;
	case MIME_ENC_UNKNOWN:
		*out_r = NULL;
		*len_r = 0;
		return -1;
	default:
		*out_r = xmalloc(p->body_len + 1);
		if (p->body_len > 0)
			memcpy(*out_r, body, p->body_len);
		(*out_r)[p->body_len] = '\0';
		*len_r = p->body_len;
		return 0;
	}
}
