/*
 * check_mime_search.c: SEARCH on decoded text: RFC 2047 subjects and
 * names, base64 UTF-8 and quoted-printable Latin-1 bodies, nested parts
 * and encapsulated messages, case-insensitivity beyond ASCII, and the
 * case folding table itself.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "check_mime_util.h"

static const struct {
	const char		*file;
	enum mime_search_where	 where;
	const char		*needle;
	int			 found;
} text_tests[] = {
	/* encoded-word subject */
	{ "encoded_words.eml", MIME_SEARCH_HEADER, "caf\xc3\xa9 cr\xc3\xa8me", 1 },
	{ "encoded_words.eml", MIME_SEARCH_HEADER, "CAF\xc3\x89", 1 },
	{ "encoded_words.eml", MIME_SEARCH_HEADER, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", 1 },
	{ "encoded_words.eml", MIME_SEARCH_HEADER, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 1 },
	{ "encoded_words.eml", MIME_SEARCH_HEADER, "\xe2\x80\x9cquotes\xe2\x80\x9d", 1 },
	{ "encoded_words.eml", MIME_SEARCH_HEADER, "=?utf-8?q?", 0 },
	{ "encoded_words.eml", MIME_SEARCH_BODY, "caf\xc3\xa9", 0 },
	{ "encoded_words.eml", MIME_SEARCH_TEXT, "caf\xc3\xa9", 1 },
	{ "encoded_words.eml", MIME_SEARCH_BODY, "BODY", 1 },
	/* base64 UTF-8 body: Cyrillic, Greek, capital sharp s */
	{ "base64_utf8.eml", MIME_SEARCH_BODY, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", 1 },
	{ "base64_utf8.eml", MIME_SEARCH_BODY, "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2", 1 },
	{ "base64_utf8.eml", MIME_SEARCH_BODY, "\xce\x9a\xce\x91\xce\x9b\xce\x97\xce\x9c\xce\x88\xce\xa1\xce\x91", 1 },
	{ "base64_utf8.eml", MIME_SEARCH_BODY, "STRA\xe1\xba\x9e" "E", 1 },
	{ "base64_utf8.eml", MIME_SEARCH_BODY, "strasse", 0 },
	{ "base64_utf8.eml", MIME_SEARCH_TEXT, "base64", 1 },
	{ "base64_utf8.eml", MIME_SEARCH_BODY, "0J/RgNC4", 0 },	/* raw base64 */
	/* quoted-printable Latin-1 body, soft line break inside the match */
	{ "qp_latin1.eml", MIME_SEARCH_BODY, "r\xc3\xa9sum\xc3\xa9", 1 },
	{ "qp_latin1.eml", MIME_SEARCH_BODY, "R\xc3\x89SUM\xc3\x89", 1 },
	{ "qp_latin1.eml", MIME_SEARCH_BODY, "tr\xc3\xa8s int\xc3\xa9ressant", 1 },
	{ "qp_latin1.eml", MIME_SEARCH_BODY, "VOIL\xc3\x80", 1 },
	{ "qp_latin1.eml", MIME_SEARCH_BODY, "r=E9sum", 0 },
	{ "qp_latin1.eml", MIME_SEARCH_HEADER, "r\xc3\xa9sum\xc3\xa9", 1 },
	/* nested: QP inside alternative, encapsulated message, no binaries */
	{ "nested.eml", MIME_SEARCH_BODY, "gr\xc3\xbc\xc3\x9f" "e aus k\xc3\xb6ln", 1 },
	{ "nested.eml", MIME_SEARCH_BODY, "INNER BODY", 1 },
	{ "nested.eml", MIME_SEARCH_BODY, "inner message", 1 },
	{ "nested.eml", MIME_SEARCH_BODY, "fake pdf", 0 },
	{ "nested.eml", MIME_SEARCH_BODY, "report.pdf", 0 },
	{ "nested.eml", MIME_SEARCH_TEXT, "report.pdf", 1 },
	{ "nested.eml", MIME_SEARCH_HEADER, "nested parts", 1 },
	{ "nested.eml", MIME_SEARCH_HEADER, "inner message", 0 },
	/* raw 8-bit header text */
	{ "8bit_headers.eml", MIME_SEARCH_HEADER, "J\xc3\x96RG", 1 },
	{ "8bit_headers.eml", MIME_SEARCH_BODY, "K\xc3\x84SE", 1 },
	/* ASCII must be exact */
	{ "plain.eml", MIME_SEARCH_BODY, "LINE ONE", 1 },
	{ "plain.eml", MIME_SEARCH_BODY, "line one\r\nline two", 1 },
	{ "plain.eml", MIME_SEARCH_BODY, "line three", 0 },
	{ "plain.eml", MIME_SEARCH_HEADER, "SUBJECT: PLAIN", 1 },
	{ "plain.eml", MIME_SEARCH_BODY, "", 1 },
	{ "dovecot.eml", MIME_SEARCH_BODY, "another world", 1 },
	{ "dovecot.eml", MIME_SEARCH_BODY, "prologue", 0 },
};

START_TEST(test_search_text)
{
	size_t len;
	char *msg = corpus_load(text_tests[_i].file, &len);
	struct mime_part *root = parse_str(msg, len);
	int found = mime_search_text(msg, len, root, text_tests[_i].where,
	    text_tests[_i].needle);

	ck_assert_msg(found == text_tests[_i].found, "%s / %d / %s: %d",
	    text_tests[_i].file, (int)text_tests[_i].where,
	    text_tests[_i].needle, found);
	mime_free(&root);
	free(msg);
}
END_TEST

static const struct {
	const char	*file;
	const char	*name;
	const char	*needle;
	int		 found;
} header_tests[] = {
	{ "encoded_words.eml", "From", "j\xc3\xb6rg m\xc3\xbcller", 1 },
	{ "encoded_words.eml", "FROM", "joerg@example.de", 1 },
	{ "encoded_words.eml", "to", "FRAN\xc3\x87OIS", 1 },
	{ "encoded_words.eml", "to", "j\xc3\xb6rg", 0 },
	{ "encoded_words.eml", "subject", "caf\xc3\xa9", 1 },
	{ "encoded_words.eml", "subject", "", 1 },
	{ "encoded_words.eml", "x-nope", "", 0 },
	{ "groups.eml", "cc", "undisclosed", 1 },
	{ "groups.eml", "bcc", "nodomain", 1 },
	{ "groups.eml", "Message-ID", "<MSG@ID>", 1 },
	{ "rfc3501.eml", "cc", "klensin@mit", 1 },
};

START_TEST(test_search_header)
{
	size_t len;
	char *msg = corpus_load(header_tests[_i].file, &len);
	struct mime_part *root = parse_str(msg, len);
	int found = mime_search_header(msg + root->hdr_off, root->hdr_len,
	    header_tests[_i].name, header_tests[_i].needle);

	ck_assert_msg(found == header_tests[_i].found, "%s %s %s: %d",
	    header_tests[_i].file, header_tests[_i].name,
	    header_tests[_i].needle, found);
	mime_free(&root);
	free(msg);
}
END_TEST

static const struct {
	const char	*in;
	size_t		 len;
	const char	*want;
} fold_tests[] = {
	{ "ASCII Text 123", 14, "ascii text 123" },
	{ "\xc3\x80\xc3\x89\xc3\x96\xc3\x98\xc3\x9e\xc3\x97\xc3\x9f", 14,
	  "\xc3\xa0\xc3\xa9\xc3\xb6\xc3\xb8\xc3\xbe\xc3\x97\xc3\x9f" },
	/* Latin Extended-A: L-stroke, Z-caron, dotted I, Y-diaeresis */
	{ "\xc5\x81\xc5\xbd\xc4\xb0\xc5\xb8\xc4\xb9", 10,
	  "\xc5\x82\xc5\xbei\xc3\xbf\xc4\xba" },
	/* Greek: Sigma, final sigma, Alpha-tonos; micro sign */
	{ "\xce\xa3\xcf\x82\xce\x86\xc2\xb5", 8,
	  "\xcf\x83\xcf\x83\xce\xac\xce\xbc" },
	/* Cyrillic: Yo, Ya, Ghe-upturn */
	{ "\xd0\x81\xd0\xaf\xd2\x90", 6, "\xd1\x91\xd1\x8f\xd2\x91" },
	/* fullwidth A, Kelvin sign */
	{ "\xef\xbc\xa1\xe2\x84\xaa", 6, "\xef\xbd\x81k" },
	/* Vietnamese from Latin Extended Additional */
	{ "\xe1\xba\xa0", 3, "\xe1\xba\xa1" },
	/* invalid bytes become U+FFFD; NUL kept */
	{ "a\xff" "b\0c", 5, "a\xef\xbf\xbd" "b\0c" },
	{ "", 0, "" },
};

START_TEST(test_fold)
{
	size_t n, wantlen = fold_tests[_i].len == 5 ? 7 :
	    strlen(fold_tests[_i].want);
	char *out = mime_utf8_fold(fold_tests[_i].in, fold_tests[_i].len, &n);

	ck_assert_uint_eq(n, wantlen);
	ck_assert_int_eq(memcmp(out, fold_tests[_i].want, n), 0);
	free(out);
}
END_TEST

START_TEST(test_folded_contains)
{
	ck_assert_int_eq(mime_folded_contains("abc", 3, "", 0), 1);
	ck_assert_int_eq(mime_folded_contains("abc", 3, "bc", 2), 1);
	ck_assert_int_eq(mime_folded_contains("abc", 3, "abcd", 4), 0);
	ck_assert_int_eq(mime_folded_contains("", 0, "a", 1), 0);
}
END_TEST

TCase *
mime_tcase_search(void)
{
	TCase *tc = tcase_create("search");

	tcase_add_loop_test(tc, test_search_text, 0,
	    (int)(sizeof(text_tests) / sizeof(text_tests[0])));
	tcase_add_loop_test(tc, test_search_header, 0,
	    (int)(sizeof(header_tests) / sizeof(header_tests[0])));
	tcase_add_loop_test(tc, test_fold, 0,
	    (int)(sizeof(fold_tests) / sizeof(fold_tests[0])));
	tcase_add_test(tc, test_folded_contains);
	return tc;
}
