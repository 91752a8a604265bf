/*
 * fuzz_mime_charset.c: libFuzzer target for mime/'s text decoders: RFC
 * 2047 header decoding, charset conversion (the first input byte picks
 * the charset), base64/quoted-printable, case folding and date parsing.
 * Invariants (abort on violation): every decoder returns valid UTF-8 of
 * the length it reports, folding is idempotent, decoders never grow
 * their input beyond the documented bound.
 *
 * Seeds: tests/fuzz/corpus/fuzz_mime_charset/ (header values and dates
 * from tests/unit/check_mime_decode.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const charsets[] = {
	NULL, "utf-8", "us-ascii", "iso-8859-1", "windows-1252", "koi8-r",
	"shift_jis", "euc-jp", "iso-2022-jp", "utf-16", "utf-7", "gb18030",
	"big5", "x-unknown", "",
};

/* Abort unless s[0..len) is valid UTF-8 and NUL-terminated at len. */
static void
check_utf8(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t c;

	if (s[len] != '\0')
		abort();
	while (i < len) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (u[i] >= 0xc2 && u[i] <= 0xdf) {
			n = 2;
			c = u[i] & 0x1f;
		} else if (u[i] >= 0xe0 && u[i] <= 0xef) {
			n = 3;
			c = u[i] & 0x0f;
		} else if (u[i] >= 0xf0 && u[i] <= 0xf4) {
			n = 4;
			c = u[i] & 0x07;
		} else
			abort();
		if (i + n > len)
			abort();
		for (k = 1; k < n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				abort();
			c = (c << 6) | (u[i + k] & 0x3f);
		}
		if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
		    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			abort();
		i += n;
	}
}

static void
check_fold(const char *s, size_t len)
{
	size_t n1, n2;
	char *f1 = mime_utf8_fold(s, len, &n1);
	char *f2 = mime_utf8_fold(f1, n1, &n2);

	check_utf8(f1, n1);
	if (n1 != n2 || memcmp(f1, f2, n1) != 0)
		abort();
	free(f1);
	free(f2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t len, n;
	char *out;
	int64_t t;
	int tz;

	if (size < 1)
		return 0;
	len = size - 1;
	out = mime_charset_to_utf8(charsets[data[0] % (sizeof(charsets) /
	    sizeof(charsets[0]))], in, len, &n);
	check_utf8(out, n);
	check_fold(out, n);
	free(out);

	out = mime_decode_header_value(in, len);
	check_utf8(out, strlen(out));
	free(out);

	out = mime_decode_base64(in, len, &n);
	if (n > len / 4 * 3 + 3 || out[n] != '\0')
		abort();
	free(out);
	out = mime_decode_qp(in, len, &n);
	if (n > len || out[n] != '\0')
		abort();
	free(out);

	check_fold(in, len);
	if (mime_parse_date(in, len, &t, &tz) == 0 &&
	    (tz < -24 * 60 || tz > 24 * 60))
		abort();
	return 0;
}
