/*
 * mime_fold.c: case folding of UTF-8 text for SEARCH (RFC 3501 6.4.4:
 * "case-insensitive"; RFC 9051 asks for Unicode case-insensitivity).
 *
 * Simple (1:1) lower-case mapping from a small table covering ASCII,
 * Latin-1, Latin Extended-A and Additional, Greek, Cyrillic and the
 * fullwidth Latin letters, plus the equivalences that matter for mail
 * (final sigma, long s, micro sign, Kelvin and Angstrom signs). No
 * locale, so results never depend on the process environment. No
 * normalization (NFC vs NFD text does not match).
 */
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

/* Latin Extended-A runs where the upper case letter is the odd one. */
static int
odd_upper_ext_a(uint32_t c)
{
	return (c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017e);
}

static uint32_t
fold_latin(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0x80)
		return c;
	if ((c >= 0xc0 && c <= 0xde && c != 0xd7))
		return c + 32;
	if (c == 0xb5)
		return 0x3bc;		/* micro sign -> mu */
	if (c >= 0x0100 && c <= 0x017f) {
		if (c == 0x0130)
			return 'i';
		if (c == 0x0178)
			return 0xff;
		if (c == 0x017f)
			return 's';	/* long s */
		if (c == 0x0131 || c == 0x0138 || c == 0x0149)
			return c;
		if (odd_upper_ext_a(c))
			return (c & 1) ? c + 1 : c;
		return (c & 1) ? c : c + 1;
	}
	if (c >= 0x1e00 && c <= 0x1eff) {
		if (c >= 0x1e96 && c <= 0x1e9f)
			return c == 0x1e9e ? 0xdf : c;	/* capital sharp s */
		return (c & 1) ? c : c + 1;
	}
	return c;
}

static uint32_t
fold_greek(uint32_t c)
{
	if (c >= 0x0391 && c <= 0x03ab && c != 0x03a2)
		return c + 32;
	switch (c) {
	case 0x0386: return 0x03ac;
	case 0x0388: return 0x03ad;
	case 0x0389: return 0x03ae;
	case 0x038a: return 0x03af;
	case 0x038c: return 0x03cc;
	case 0x038e: return 0x03cd;
	case 0x038f: return 0x03ce;
	case 0x03c2: return 0x03c3;	/* final sigma */
	default: return c;
	}
}

static uint32_t
fold_cyrillic(uint32_t c)
{
	if (c >= 0x0400 && c <= 0x040f)
		return c + 80;
	if (c >= 0x0410 && c <= 0x042f)
		return c + 32;
	if ((c >= 0x0460 && c <= 0x0481) || (c >= 0x048a && c <= 0x04bf) ||
	    (c >= 0x04d0 && c <= 0x052f))
		return (c & 1) ? c : c + 1;
	if (c >= 0x04c1 && c <= 0x04ce)
		return (c & 1) ? c + 1 : c;
	if (c == 0x04c0)
		return 0x04cf;
	return c;
}

static uint32_t
fold_cp(uint32_t c)
{
	if (c < 0x0370 || (c >= 0x1e00 && c <= 0x1eff))
		return fold_latin(c);
	if (c < 0x0400)
		return fold_greek(c);
	if (c < 0x0530)
		return fold_cyrillic(c);
	if (c >= 0xff21 && c <= 0xff3a)
		return c + 32;		/* fullwidth A-Z */
	if (c == 0x212a)
		return 'k';		/* Kelvin sign */
	if (c == 0x212b)
		return 0xe5;		/* Angstrom sign */
	return c;
}

/* Decode one code point; invalid bytes give U+FFFD and advance by one. */
static uint32_t
utf8_next(const unsigned char *s, size_t len, size_t *adv)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80) {
		*adv = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		goto bad;
	if (len < n)
		goto bad;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		goto bad;
	*adv = n;
	return c;
bad:
	*adv = 1;
	return 0xfffd;
}

static size_t
utf8_put(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

char *
mime_utf8_fold(const char *s, size_t len, size_t *len_r)
{
	/* a fold never grows a character by more than 3 bytes (bad byte
	 * -> U+FFFD); 0xb5 -> U+03BC keeps 2 bytes */
	char *out;
	size_t i = 0, n = 0, adv;
	const unsigned char *u = (const unsigned char *)s;

	if (len > (SIZE_MAX - 1) / 3)
		len = (SIZE_MAX - 1) / 3;
	out = xmalloc(len * 3 + 1);
	while (i < len) {
		if (u[i] < 0x80) {
			/* fast path: ASCII */
			out[n++] = (char)mime_tolower(u[i]);
			i++;
			continue;
		}
		n += utf8_put(out + n, fold_cp(utf8_next(u + i, len - i, &adv)));
		i += adv;
	}
	out[n] = '\0';
	*len_r = n;
	return out;
}

int
mime_folded_contains(const char *hay, size_t haylen, const char *needle,
    size_t needlelen)
{
	if (needlelen == 0)
		return 1;
	return memmem(hay, haylen, needle, needlelen) != NULL;
}
