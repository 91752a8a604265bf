/*
 * check_linereader.c: the bounded line reader, fed whole and at every split
 * point, with CRLF/LF endings, over-long lines with and without LF, and
 * NUL/bare CR passed through for the caller to judge.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "linereader.h"

#define MAXLINES 16

/* Feed input in two parts split at `split`, collect every result. */
static int
read_all(const char *input, size_t len, size_t split, size_t linesize,
    char lines[][64], int *results)
{
	struct evbuffer *in = evbuffer_new();
	char line[64];
	size_t llen;
	int n = 0, skipping = 0, part;

	for (part = 0; part < 2; part++) {
		enum linereader_result r;

		if (part == 0)
			evbuffer_add(in, input, split);
		else
			evbuffer_add(in, input + split, len - split);
		while ((r = linereader_get(in, line, linesize, &llen, &skipping)) != LINE_NEED_MORE) {
			ck_assert_int_lt(n, MAXLINES);
			results[n] = r;
			if (r == LINE_OK) {
				ck_assert_uint_eq(strlen(line), llen);
				memcpy(lines[n], line, llen + 1);
			} else {
				lines[n][0] = '\0';
			}
			n++;
		}
	}
	evbuffer_free(in);
	return n;
}

START_TEST(test_every_split)
{
	static const char input[] = "EHLO a\r\nMAIL FROM:<x>\nNOOP\r\n\r\nQUIT\r\n";
	size_t len = sizeof(input) - 1, split;

	for (split = 0; split <= len; split++) {
		char lines[MAXLINES][64];
		int results[MAXLINES];
		int n = read_all(input, len, split, 32, lines, results);

		ck_assert_int_eq(n, 5);
		ck_assert_str_eq(lines[0], "EHLO a");
		ck_assert_str_eq(lines[1], "MAIL FROM:<x>");
		ck_assert_str_eq(lines[2], "NOOP");
		ck_assert_str_eq(lines[3], "");
		ck_assert_str_eq(lines[4], "QUIT");
	}
}
END_TEST

START_TEST(test_too_long_every_split)
{
	/* linesize 8: "1234567" fits, "12345678" does not. */
	static const char input[] = "1234567\r\n12345678\r\nabcdefghijklmnop\nok\r\n";
	size_t len = sizeof(input) - 1, split;

	for (split = 0; split <= len; split++) {
		char lines[MAXLINES][64];
		int results[MAXLINES];
		int n = read_all(input, len, split, 8, lines, results);

		ck_assert_int_eq(n, 4);
		ck_assert_int_eq(results[0], LINE_OK);
		ck_assert_str_eq(lines[0], "1234567");
		ck_assert_int_eq(results[1], LINE_TOO_LONG);
		ck_assert_int_eq(results[2], LINE_TOO_LONG);
		ck_assert_int_eq(results[3], LINE_OK);
		ck_assert_str_eq(lines[3], "ok");
	}
}
END_TEST

/* A line with no LF is refused as soon as it cannot fit, not when LF comes. */
START_TEST(test_too_long_without_lf)
{
	struct evbuffer *in = evbuffer_new();
	char line[16], junk[1000];
	size_t llen;
	int skipping = 0;

	memset(junk, 'x', sizeof(junk));
	evbuffer_add(in, junk, sizeof(junk));
	ck_assert_int_eq(linereader_get(in, line, sizeof(line), &llen, &skipping), LINE_TOO_LONG);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	ck_assert_int_eq(skipping, 1);
	evbuffer_add(in, junk, sizeof(junk));
	ck_assert_int_eq(linereader_get(in, line, sizeof(line), &llen, &skipping), LINE_NEED_MORE);
	evbuffer_add(in, "xx\r\nNEXT\r\n", 10);
	ck_assert_int_eq(linereader_get(in, line, sizeof(line), &llen, &skipping), LINE_OK);
	ck_assert_str_eq(line, "NEXT");
	ck_assert_int_eq(skipping, 0);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_nul_and_bare_cr_kept)
{
	struct evbuffer *in = evbuffer_new();
	char line[32];
	size_t llen;
	int skipping = 0;

	evbuffer_add(in, "A\0B\rC\r\n", 7);
	ck_assert_int_eq(linereader_get(in, line, sizeof(line), &llen, &skipping), LINE_OK);
	ck_assert_uint_eq(llen, 5);
	ck_assert_int_eq(memcmp(line, "A\0B\rC", 5), 0);
	evbuffer_free(in);
}
END_TEST

static Suite *
linereader_suite(void)
{
	Suite *s = suite_create("linereader");
	TCase *tc = tcase_create("partial input");

	tcase_add_test(tc, test_every_split);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_too_long_every_split);
	tcase_add_test(tc, test_too_long_without_lf);
	tcase_add_test(tc, test_nul_and_bare_cr_kept);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(linereader_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
