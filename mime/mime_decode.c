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

/* RFC 2045 6.8 alphabet: value + 1, 0 for bytes outside it */
static const unsigned char b64_table[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31,
	['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41,
	['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46,
	['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51,
	['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
	['+'] = 63, ['/'] = 64,
};

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
		v = b64_table[(unsigned char)in[i]];
		if (v == 0)
			continue;	/* line breaks and junk (6.8) */
		acc = (acc << 6) | (uint32_t)(v - 1);
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
