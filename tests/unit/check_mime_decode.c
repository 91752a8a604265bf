/*
 * check_mime_decode.c: base64 and quoted-printable decoding, BINARY part
 * decoding, charset conversion, RFC 2047 header decoding (UTF-8,
 * ISO-8859-1, Windows-1252, KOI8-R, Shift_JIS, split multibyte words,
 * malformed words) and RFC 5322 date parsing.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "check_mime_util.h"

static const struct {
	const char	*in;
	const char	*want;
	size_t		 wantlen;
} b64_tests[] = {
	{ "", "", 0 },
	{ "aGVsbG8=", "hello", 5 },
	{ "aGVs\r\nbG8gd29y\r\nbGQ=", "hello world", 11 },
	{ "aGVsbG8", "hello", 5 },		/* missing padding */
	{ "aG!V*sb G8=", "hello", 5 },		/* junk ignored */
	{ "AA==", "\0", 1 },
	{ "/+/+", "\xff\xef\xfe", 3 },
	{ "aGk=aGk=", "hi", 2 },		/* stops at padding */
	{ "a", "", 0 },
};

START_TEST(test_base64)
{
	size_t n;
	char *out = mime_decode_base64(b64_tests[_i].in,
	    strlen(b64_tests[_i].in), &n);

	ck_assert_uint_eq(n, b64_tests[_i].wantlen);
	ck_assert_int_eq(memcmp(out, b64_tests[_i].want, n), 0);
	ck_assert_int_eq(out[n], '\0');
	free(out);
}
END_TEST

static const struct {
	const char	*in;
	const char	*want;
} qp_tests[] = {
	{ "", "" },
	{ "plain", "plain" },
	{ "caf=C3=A9", "caf\xc3\xa9" },
	{ "lower=c3=a9", "lower\xc3\xa9" },
	{ "soft=\r\nbreak", "softbreak" },
	{ "soft=\nbreak", "softbreak" },
	{ "soft= \t\r\nbreak", "softbreak" },
	{ "trailing   \r\nspace\t\r\n", "trailing\r\nspace\r\n" },
	{ "inner  space", "inner  space" },
	{ "bad=ZZescape", "bad=ZZescape" },
	{ "end=", "end" },
	{ "end=4", "end=4" },
	{ "a=3D=3Db", "a==b" },
	{ "eq = sign", "eq = sign" },
};

START_TEST(test_qp)
{
	size_t n;
	char *out = mime_decode_qp(qp_tests[_i].in, strlen(qp_tests[_i].in), &n);

	ck_assert_str_eq(out, qp_tests[_i].want);
	ck_assert_uint_eq(n, strlen(qp_tests[_i].want));
	free(out);
}
END_TEST

START_TEST(test_decode_part)
{
	size_t len, n;
	char *msg = corpus_load("nested.eml", &len), *out;
	struct mime_part *root = parse_str(msg, len);
	const struct mime_part *p;

	p = mime_part_find(root, "1.1");	/* quoted-printable */
	ck_assert_int_eq(mime_decode_part(p, msg, &out, &n), 0);
	ck_assert_str_eq(out, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln");
	free(out);
	p = mime_part_find(root, "2");		/* base64 pdf */
	ck_assert_int_eq(mime_decode_part(p, msg, &out, &n), 0);
	ck_assert_uint_eq(n, 240);
	ck_assert_int_eq(memcmp(out, "%PDF-1.4 fake pdf bytes\n", 24), 0);
	free(out);
	p = mime_part_find(root, "1.2");	/* 7bit: unchanged */
	ck_assert_int_eq(mime_decode_part(p, msg, &out, &n), 0);
	ck_assert_uint_eq(n, p->body_len);
	free(out);
	mime_free(&root);
	free(msg);

	msg = crlf("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n", &len);
	root = parse_str(msg, len);
	out = (char *)1;
	ck_assert_int_eq(mime_decode_part(root, msg, &out, &n), -1);
	ck_assert_ptr_null(out);
	mime_free(&root);
	free(msg);
}
END_TEST

TCase *
mime_tcase_decode(void)
{
	TCase *tc = tcase_create("decode");

	tcase_add_loop_test(tc, test_base64, 0,
	    (int)(sizeof(b64_tests) / sizeof(b64_tests[0])));
	tcase_add_loop_test(tc, test_qp, 0,
	    (int)(sizeof(qp_tests) / sizeof(qp_tests[0])));
	tcase_add_test(tc, test_decode_part);
	return tc;
}

/* ---- charsets and RFC 2047 ---- */

static const struct {
	const char	*charset;
	const char	*in;
	const char	*want;
} charset_tests[] = {
	{ NULL, "plain", "plain" },
	{ "utf-8", "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "UTF-8", "bad\xff\xc3", "bad\xef\xbf\xbd\xef\xbf\xbd" },
	{ "utf-8", "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
	{ "utf-8", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "us-ascii", "8bit\xe9", "8bit\xef\xbf\xbd" },
	{ "ISO-8859-1", "caf\xe9", "caf\xc3\xa9" },
	/* iso-8859-1 read as windows-1252: curly quotes survive */
	{ "iso-8859-1", "\x93q\x94", "\xe2\x80\x9cq\xe2\x80\x9d" },
	{ "windows-1252", "\x80 5", "\xe2\x82\xac 5" },
	{ "koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4",
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
	{ "Shift_JIS", "\x93\xfa\x96\x7b", "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "x-no-such-charset", "ok\xc3\xa9", "ok\xc3\xa9" },
	{ "x-no-such-charset", "bad\xe9", "bad\xef\xbf\xbd" },
	/* invalid input in a real charset: replaced, then goes on */
	{ "shift_jis", "\x82\x20ok", "\xef\xbf\xbd ok" },
	{ "utf-16le", "h\0i\0\x01", "hi\xef\xbf\xbd" },
};

START_TEST(test_charset)
{
	size_t n;
	char *out = mime_charset_to_utf8(charset_tests[_i].charset,
	    charset_tests[_i].in, strlen(charset_tests[_i].in) +
	    (charset_tests[_i].charset != NULL &&
	    strcmp(charset_tests[_i].charset, "utf-16le") == 0 ? 4 : 0), &n);

	ck_assert_str_eq(out, charset_tests[_i].want);
	ck_assert_uint_eq(n, strlen(out));
	free(out);
}
END_TEST

static const struct {
	const char	*raw;
	const char	*want;
} rfc2047_tests[] = {
	{ "plain text", "plain text" },
	{ "=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?=", "J\xc3\xb6rg M\xc3\xbcller" },
	{ "=?iso-8859-1?q?Fran=E7ois?=", "Fran\xc3\xa7ois" },
	{ "=?ISO-8859-1?Q?a_b?=", "a b" },
	/* whitespace between adjacent words dropped (RFC 2047 6.2) */
	{ "=?utf-8?q?caf=C3=A9?= =?utf-8?q?_cr=C3=A8me?=",
	  "caf\xc3\xa9 cr\xc3\xa8me" },
	{ "=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab" },
	/* but kept next to plain text */
	{ "Re: =?utf-8?q?caf=C3=A9?= ok", "Re: caf\xc3\xa9 ok" },
	{ "=?windows-1252?q?=93quotes=94?=",
	  "\xe2\x80\x9cquotes\xe2\x80\x9d" },
	{ "=?koi8-r?b?8NLJ18XU?=",
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
	{ "=?shift_jis?b?k/qWe4zq?=", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	/* a UTF-8 character split over two words */
	{ "=?utf-8?b?4oI=?= =?utf-8?b?rA==?=", "\xe2\x82\xac" },
	/* RFC 2231 language suffix */
	{ "=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore" },
	/* malformed words stay as they are */
	{ "=?utf-8?x?abc?=", "=?utf-8?x?abc?=" },
	{ "=?utf-8?q?no end", "=?utf-8?q?no end" },
	{ "=?utf-8?q?sp ace?=", "=?utf-8?q?sp ace?=" },
	{ "=??q?empty-charset?=", "=??q?empty-charset?=" },
	/* words glued to text are decoded anyway (real mail does this) */
	{ "x=?utf-8?q?y?=z", "xyz" },
	/* unknown charset: bytes as UTF-8 */
	{ "=?x-unknown?q?caf=C3=A9?=", "caf\xc3\xa9" },
	/* raw 8-bit header text is UTF-8 (or replaced) */
	{ "K\xc3\xa4se \xff", "K\xc3\xa4se \xef\xbf\xbd" },
	/* folding */
	{ "  folded\r\n\tvalue  ", "folded\tvalue" },
	{ "", "" },
};

START_TEST(test_rfc2047)
{
	char *out = mime_decode_header_value(rfc2047_tests[_i].raw,
	    strlen(rfc2047_tests[_i].raw));

	ck_assert_str_eq(out, rfc2047_tests[_i].want);
	free(out);
}
END_TEST

TCase *
mime_tcase_charset(void)
{
	TCase *tc = tcase_create("charset");

	tcase_add_loop_test(tc, test_charset, 0,
	    (int)(sizeof(charset_tests) / sizeof(charset_tests[0])));
	tcase_add_loop_test(tc, test_rfc2047, 0,
	    (int)(sizeof(rfc2047_tests) / sizeof(rfc2047_tests[0])));
	return tc;
}

/* ---- dates ---- */

static const struct {
	const char	*value;
	int		 ret;
	int64_t		 t;
	int		 tz;
} date_tests[] = {
	{ "Thu, 15 Feb 2007 01:02:03 +0200", 0, 1171494123, 120 },
	{ "15 Feb 2007 01:02:03 +0200", 0, 1171494123, 120 },
	{ "Thu,15 Feb 2007 01:02:03 +0200", 0, 1171494123, 120 },
	{ "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)", 0, 837595405, -420 },
	{ "Wed, 17 Jul 1996 02:23 -0700", 0, 837595380, -420 },
	{ "1 Jan 1970 00:00:00 +0000", 0, 0, 0 },
	{ "1 Jan 1970 00:00:00 GMT", 0, 0, 0 },
	{ "1 Jan 1970 00:00:00 UT", 0, 0, 0 },
	{ "31 Dec 1969 19:00:00 EST", 0, 0, -300 },
	{ "1 Jan 1970 00:00:00 Z", 0, 0, 0 },
	{ "1 Jan 1970 00:00:00", 0, 0, 0 },
	{ "1 Jan 70 00:00:00 +0000", 0, 0, 0 },
	{ "1 Jan 00 00:00:00 +0000", 0, 946684800, 0 },
	{ "1 Jan 100 00:00:00 +0000", 0, 946684800, 0 },
	{ "29 Feb 2024 12:00:00 +0000", 0, 1709208000, 0 },
	{ "(comment) Mon, (c) 1 (c) Jan (c) 2024 10:00:00 -0130", 0,
	  1704108600, -90 },
	{ "1 January 2024 00:00:00 +0000", 0, 1704067200, 0 },
	{ "", -1, 0, 0 },
	{ "garbage", -1, 0, 0 },
	{ "32 Jan 2024 00:00:00 +0000", -1, 0, 0 },
	{ "1 Foo 2024 00:00:00 +0000", -1, 0, 0 },
	{ "1 Jan 2024 24:00:00 +0000", -1, 0, 0 },
	{ "1 Jan 2024 10:60 +0000", -1, 0, 0 },
	{ "1 Jan 2024 10:00:00 +01", -1, 0, 0 },
	{ "1 Jan 2024 10:00:00 +0160", -1, 0, 0 },
	{ "1 Jan 2024 10:00:00 +2400", -1, 0, 0 },
	{ "1 Jan 2024 10:00:00 +1400", 0, 1704052800, 840 },
	{ "1 Jan 2024 10:00:00 JST", 0, 1704103200, 0 },
	{ "1 Jan 2024", -1, 0, 0 },
};

START_TEST(test_date)
{
	int64_t t = -1;
	int tz = 9999;
	int ret = mime_parse_date(date_tests[_i].value,
	    strlen(date_tests[_i].value), &t, &tz);

	ck_assert_msg(ret == date_tests[_i].ret, "%s: %d",
	    date_tests[_i].value, ret);
	if (ret == 0) {
		ck_assert_int_eq(t, date_tests[_i].t);
		ck_assert_int_eq(tz, date_tests[_i].tz);
	}
}
END_TEST

TCase *
mime_tcase_date(void)
{
	TCase *tc = tcase_create("date");

	tcase_add_loop_test(tc, test_date, 0,
	    (int)(sizeof(date_tests) / sizeof(date_tests[0])));
	return tc;
}
