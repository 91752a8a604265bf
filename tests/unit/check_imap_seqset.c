/*
 * check_imap_seqset.c: unit tests for imapd/imap_seqset.c: the sequence
 * set grammar (valid and invalid forms, overflow, limits), resolving "*"
 * (RFC 3501 "n:*" past the end names the last message), membership,
 * counting and compact formatting (COPYUID, ESEARCH ALL).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_seqset.h"
#include "util.h"

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ parse */

struct resolve_case {
	const char	*set;
	uint32_t	 max;
	const char	*expect;	/* imap_seqset_format() after resolving */
};

static const struct resolve_case resolve_cases[] = {
	{ "1", 10, "1" },
	{ "1:3", 10, "1:3" },
	{ "3:1", 10, "1:3" },
	{ "1:3,5,7:*", 10, "1:3,5,7:10" },
	{ "*", 10, "10" },
	{ "*:1", 10, "1:10" },
	{ "1:*", 10, "1:10" },
	{ "7:*", 6, "6:7" },		/* Thunderbird: UID FETCH uidnext:* */
	{ "100:*", 6, "6:100" },
	{ "*:100", 6, "6:100" },
	{ "5,4,3,2,1", 10, "1:5" },
	{ "1,3,2", 10, "1:3" },
	{ "1:5,3:8", 10, "1:8" },
	{ "1:2,4:5", 10, "1:2,4:5" },
	{ "1:2,3:4", 10, "1:4" },
	{ "10:20,1:5,6", 30, "1:6,10:20" },
	{ "4294967295", 10, "4294967295" },
	{ "1:4294967295", 10, "1:4294967295" },
	{ "4294967295:1,5", 10, "1:4294967295" },
	{ "4294967294,4294967295", 3, "4294967294:4294967295" },
	{ "1:*", 0, "" },		/* empty mailbox: a range with "*" names nothing */
	{ "*", 0, "" },
	{ "*:*", 0, "" },
	{ "01", 5, "1" },
	{ "2,2,2", 5, "2" },
};

START_TEST(test_resolve)
{
	const struct resolve_case *tc = &resolve_cases[_i];
	struct imap_seqset set;
	char *s;

	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_parse(&set, tc->set, strlen(tc->set)), IMAP_SEQSET_OK);
	imap_seqset_resolve(&set, tc->max);
	s = imap_seqset_format(&set);
	ck_assert_str_eq(s, tc->expect);
	free(s);
	/* Resolving again changes nothing. */
	imap_seqset_resolve(&set, tc->max);
	s = imap_seqset_format(&set);
	ck_assert_str_eq(s, tc->expect);
	free(s);
	imap_seqset_free(&set);
}
END_TEST

struct bad_case {
	const char	*set;
	int		 result;
};

static const struct bad_case bad_cases[] = {
	{ "", IMAP_SEQSET_SYNTAX },
	{ "0", IMAP_SEQSET_SYNTAX },
	{ "0:5", IMAP_SEQSET_SYNTAX },
	{ "1:0", IMAP_SEQSET_SYNTAX },
	{ "1,", IMAP_SEQSET_SYNTAX },
	{ ",1", IMAP_SEQSET_SYNTAX },
	{ "1,,2", IMAP_SEQSET_SYNTAX },
	{ "1:", IMAP_SEQSET_SYNTAX },
	{ ":1", IMAP_SEQSET_SYNTAX },
	{ "1:2:3", IMAP_SEQSET_SYNTAX },
	{ "a", IMAP_SEQSET_SYNTAX },
	{ "1a", IMAP_SEQSET_SYNTAX },
	{ "-1", IMAP_SEQSET_SYNTAX },
	{ "+1", IMAP_SEQSET_SYNTAX },
	{ "1 2", IMAP_SEQSET_SYNTAX },
	{ " 1", IMAP_SEQSET_SYNTAX },
	{ "**", IMAP_SEQSET_SYNTAX },
	{ "1.5", IMAP_SEQSET_SYNTAX },
	{ "$,1", IMAP_SEQSET_SYNTAX },
	{ "1,$", IMAP_SEQSET_SYNTAX },
	{ "$$", IMAP_SEQSET_SYNTAX },
	{ "4294967296", IMAP_SEQSET_RANGE },
	{ "1:4294967296", IMAP_SEQSET_RANGE },
	{ "99999999999999999999999", IMAP_SEQSET_RANGE },
	{ "18446744073709551617", IMAP_SEQSET_RANGE },
};

START_TEST(test_bad)
{
	const struct bad_case *tc = &bad_cases[_i];
	struct imap_seqset set;

	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_parse(&set, tc->set, strlen(tc->set)), tc->result);
	ck_assert_uint_eq(set.n, 0);
	ck_assert_ptr_null(set.r);
	ck_assert_ptr_nonnull(imap_seqset_strerror(tc->result));
	imap_seqset_free(&set);
}
END_TEST

START_TEST(test_not_nul_terminated)
{
	struct imap_seqset set;
	const char buf[] = "1:3,5xyz";
	char *s;

	/* Only len bytes are looked at. */
	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_parse(&set, buf, 5), IMAP_SEQSET_OK);
	imap_seqset_resolve(&set, 9);
	s = imap_seqset_format(&set);
	ck_assert_str_eq(s, "1:3,5");
	free(s);
	imap_seqset_free(&set);
}
END_TEST

START_TEST(test_last_result)
{
	struct imap_seqset set;

	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_parse(&set, "$", 1), IMAP_SEQSET_OK);
	ck_assert_int_eq(set.last_result, 1);
	ck_assert_uint_eq(set.n, 0);
	imap_seqset_free(&set);
}
END_TEST

START_TEST(test_star_and_max)
{
	struct imap_seqset set;

	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_parse(&set, "3,9:*", 5), IMAP_SEQSET_OK);
	ck_assert_int_eq(set.has_star, 1);
	ck_assert_uint_eq(set.max_number, 9);
	ck_assert_uint_eq(set.max_plain, 3);
	imap_seqset_resolve(&set, 4);
	ck_assert_int_eq(set.has_star, 0);
	imap_seqset_free(&set);
	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_parse(&set, "7:2,*", 5), IMAP_SEQSET_OK);
	ck_assert_uint_eq(set.max_plain, 7);
	imap_seqset_free(&set);
}
END_TEST

/* ------------------------------------------------------------ limits */

START_TEST(test_too_many_ranges)
{
	struct imap_seqset set;
	size_t n = IMAP_SEQSET_MAX_RANGES + 1, i, len = 0;
	char *buf = xmalloc(n * 2 + 1);

	for (i = 0; i < n; i++) {
		buf[len++] = '1';
		buf[len++] = ',';
	}
	len--;		/* no trailing comma */
	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_parse(&set, buf, len), IMAP_SEQSET_TOO_MANY);
	ck_assert_ptr_null(set.r);
	/* Exactly the limit is fine. */
	ck_assert_int_eq(imap_seqset_parse(&set, buf, len - 2), IMAP_SEQSET_OK);
	ck_assert_uint_eq(set.n, IMAP_SEQSET_MAX_RANGES);
	imap_seqset_resolve(&set, 5);
	ck_assert_uint_eq(set.n, 1);
	imap_seqset_free(&set);
	free(buf);
}
END_TEST

/* ------------------------------------------------------------ membership */

START_TEST(test_contains)
{
	struct imap_seqset set;
	const char *s = "2:4,10,20:*";
	uint32_t n;

	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_parse(&set, s, strlen(s)), IMAP_SEQSET_OK);
	imap_seqset_resolve(&set, 25);
	for (n = 0; n < 40; n++) {
		int expect = (n >= 2 && n <= 4) || n == 10 || (n >= 20 && n <= 25);

		ck_assert_int_eq(imap_seqset_contains(&set, n), expect);
	}
	ck_assert_uint_eq(imap_seqset_count(&set), 3 + 1 + 6);
	imap_seqset_free(&set);
}
END_TEST

START_TEST(test_count_full_range)
{
	struct imap_seqset set;

	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_parse(&set, "1:4294967295", 12), IMAP_SEQSET_OK);
	imap_seqset_resolve(&set, 1);
	ck_assert_uint_eq(imap_seqset_count(&set), (uint64_t)UINT32_MAX);
	ck_assert_int_eq(imap_seqset_contains(&set, UINT32_MAX), 1);
	ck_assert_int_eq(imap_seqset_contains(&set, 0), 0);
	imap_seqset_free(&set);
}
END_TEST

START_TEST(test_empty_contains)
{
	struct imap_seqset set;

	imap_seqset_init(&set);
	ck_assert_int_eq(imap_seqset_contains(&set, 1), 0);
	ck_assert_uint_eq(imap_seqset_count(&set), 0);
	imap_seqset_resolve(&set, 5);
	ck_assert_int_eq(imap_seqset_contains(&set, 1), 0);
	imap_seqset_free(&set);
}
END_TEST

START_TEST(test_add)
{
	struct imap_seqset set;
	char *s;
	uint32_t i;

	imap_seqset_init(&set);
	for (i = 100; i > 0; i -= 2)
		imap_seqset_add(&set, i, i);
	imap_seqset_add(&set, 51, 49);
	imap_seqset_resolve(&set, 0);
	s = imap_seqset_format(&set);
	ck_assert_str_eq(s, "2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,"
	    "38,40,42,44,46,48:52,54,56,58,60,62,64,66,68,70,72,74,76,78,80,82,"
	    "84,86,88,90,92,94,96,98,100");
	free(s);
	imap_seqset_free(&set);
}
END_TEST

/* ------------------------------------------------------------ format_list */

struct list_case {
	uint32_t	 v[8];
	size_t		 n;
	const char	*expect;
};

static const struct list_case list_cases[] = {
	{ { 0 }, 0, "" },
	{ { 5 }, 1, "5" },
	{ { 1, 2, 3 }, 3, "1:3" },
	{ { 5, 1, 2, 3 }, 4, "5,1:3" },
	{ { 3, 2, 1 }, 3, "3,2,1" },
	{ { 1, 2, 4, 5, 7 }, 5, "1:2,4:5,7" },
	{ { 1, 0, 2, 3 }, 4, "1:3" },
	{ { 0, 0 }, 2, "" },
	{ { 4294967294, 4294967295, 1 }, 3, "4294967294:4294967295,1" },
};

START_TEST(test_format_list)
{
	const struct list_case *tc = &list_cases[_i];
	char *s = imap_seqset_format_list(tc->v, tc->n);

	ck_assert_str_eq(s, tc->expect);
	free(s);
}
END_TEST

static Suite *
imap_seqset_suite(void)
{
	Suite *s = suite_create("imap_seqset");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_loop_test(tc, test_resolve, 0, N_ELEMS(resolve_cases));
	tcase_add_test(tc, test_not_nul_terminated);
	tcase_add_test(tc, test_last_result);
	tcase_add_test(tc, test_star_and_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_loop_test(tc, test_bad, 0, N_ELEMS(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_too_many_ranges);
	tcase_add_test(tc, test_count_full_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("membership");
	tcase_add_test(tc, test_contains);
	tcase_add_test(tc, test_empty_contains);
	tcase_add_test(tc, test_add);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format_list, 0, N_ELEMS(list_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(imap_seqset_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
