/*
 * imap_utf7.c: mailbox names in modified UTF-7 (RFC 3501 section 5.1.3)
 * and UTF-8 validation (RFC 3629).
 *
 * The store keeps names in UTF-8; a client that has not enabled
 * UTF8=ACCEPT (RFC 6855) sees and sends them in modified UTF-7. Decoding
 * is strict (only the canonical encoding is accepted: printable ASCII must
 * not be base64-encoded, padding bits are zero, surrogates pair up), so one
 * name has one spelling. This file does nothing else with names.
 */
#include <stdint.h>
#include <string.h>

#include "imap.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64val(unsigned char ch)
{
	const char *p;

	if (ch == '\0' || (p = strchr(b64chars, ch)) == NULL)
		return -1;
	return (int)(p - b64chars);
}

/* Decode one UTF-8 sequence at s (len left); returns its length or -1. */
static int
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp_r)
{
	uint32_t cp;
	int n, i;

	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return -1;
	if ((size_t)n > len)
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* No overlongs, no surrogates, nothing past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*cp_r = cp;
	return n;
}

int
imap_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;
	int n;

	while (i < len) {
		n = utf8_decode(u + i, len - i, &cp);
		if (n < 0)
			return 0;
		i += (size_t)n;
	}
	return 1;
}

/* Append bytes to out; -1 when out is full. */
static int
put(char *out, size_t size, size_t *o, const char *data, size_t n)
{
	if (*o + n + 1 > size)
		return -1;
	memcpy(out + *o, data, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

static int
put_utf8(char *out, size_t size, size_t *o, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return put(out, size, o, b, n);
}

/* One "&...-" run (without the '&' and '-') into UTF-8. */
static int
utf7_run(const unsigned char *in, size_t len, char *out, size_t size, size_t *o)
{
	uint32_t bits = 0, high = 0;
	int nbits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		int v = b64val(in[i]);

		if (v < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits >= 16) {
			uint32_t u = (bits >> (nbits - 16)) & 0xffff;

			nbits -= 16;
			bits &= (1u << nbits) - 1;
			if (high != 0) {
				if (u < 0xdc00 || u > 0xdfff)
					return -1;
				u = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
				high = 0;
			} else if (u >= 0xd800 && u <= 0xdbff) {
				high = u;
				continue;
			} else if (u >= 0xdc00 && u <= 0xdfff)
				return -1;
			else if (u >= 0x20 && u <= 0x7e)
				return -1;	/* must have been written directly */
			if (put_utf8(out, size, o, u) < 0)
				return -1;
		}
	}
	/* Leftover bits: fewer than 6 and all zero (canonical). */
	if (high != 0 || nbits >= 6 || bits != 0)
		return -1;
	return 0;
}

int
imap_utf7_to_utf8(const char *in, size_t len, char *out, size_t size)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t i = 0, o = 0, j;
	int prev_run_end = 0;

	if (size == 0)
		return -1;
	out[0] = '\0';
	while (i < len) {
		if (u[i] < 0x20 || u[i] > 0x7e)
			return -1;
		if (u[i] != '&') {
			if (put(out, size, &o, in + i, 1) < 0)
				return -1;
			i++;
			prev_run_end = 0;
			continue;
		}
		for (j = i + 1; j < len && u[j] != '-'; j++)
			;
		if (j >= len)
			return -1;
		if (j == i + 1) {
			if (put(out, size, &o, "&", 1) < 0)
				return -1;
			prev_run_end = 0;
		} else {
			/* "&AGE-&AGI-" is not canonical: one run would do. */
			if (prev_run_end)
				return -1;
			if (utf7_run(u + i + 1, j - i - 1, out, size, &o) < 0)
				return -1;
			prev_run_end = 1;
		}
		i = j + 1;
	}
	return 0;
}

/* Flush UTF-16 units as modified base64 and the closing '-'. */
static int
utf7_flush(const uint16_t *units, size_t n, char *out, size_t size, size_t *o)
{
	uint32_t bits = 0;
	int nbits = 0;
	size_t i;
	char ch;

	if (put(out, size, o, "&", 1) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		bits = (bits << 16) | units[i];
		nbits += 16;
		while (nbits >= 6) {
			ch = b64chars[(bits >> (nbits - 6)) & 0x3f];
			nbits -= 6;
			if (put(out, size, o, &ch, 1) < 0)
				return -1;
		}
		bits &= (1u << nbits) - 1;
	}
	if (nbits > 0) {
		ch = b64chars[(bits << (6 - nbits)) & 0x3f];
		if (put(out, size, o, &ch, 1) < 0)
			return -1;
	}
	return put(out, size, o, "-", 1);
}

int
imap_utf8_to_utf7(const char *in, size_t len, char *out, size_t size)
{
	const unsigned char *u = (const unsigned char *)in;
	uint16_t units[STORE_MAILBOX_NAME_MAX];
	size_t i = 0, o = 0, n = 0;
	uint32_t cp;
	int k;

	if (size == 0)
		return -1;
	out[0] = '\0';
	while (i < len) {
		k = utf8_decode(u + i, len - i, &cp);
		if (k < 0)
			return -1;
		i += (size_t)k;
		if (cp >= 0x20 && cp <= 0x7e) {
			if (n > 0 && utf7_flush(units, n, out, size, &o) < 0)
				return -1;
			n = 0;
			if (put(out, size, &o, cp == '&' ? "&-" : (const char *)&u[i - 1],
			    cp == '&' ? 2 : 1) < 0)
				return -1;
			continue;
		}
		if (cp < 0x20 || cp == 0x7f)
			return -1;	/* control characters have no place in a name */
		if (n + 2 > sizeof(units) / sizeof(units[0])) {
			/* A long run: flushing would split it into two runs. */
			return -1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			units[n++] = (uint16_t)(0xd800 + (cp >> 10));
			units[n++] = (uint16_t)(0xdc00 + (cp & 0x3ff));
		} else
			units[n++] = (uint16_t)cp;
	}
	if (n > 0 && utf7_flush(units, n, out, size, &o) < 0)
		return -1;
	return 0;
}
