/*
 * check_mime.c: the mime/ library's unit test program: one Suite, TCases
 * by behaviour (each defined in its own check_mime_*.c file).
 */
#include <check.h>
#include <stdlib.h>

#include "check_mime_util.h"

/*
 * Generous timeouts: the suite also runs under valgrind on busy CI
 * machines (limits: a 50 MB message; cache: every byte flipped).
 */
static void
add(Suite *s, TCase *tc, double seconds)
{
	tcase_set_timeout(tc, seconds);
	suite_add_tcase(s, tc);
}

static Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");

	add(s, mime_tcase_parse(), 60);
	add(s, mime_tcase_limits(), 600);
	add(s, mime_tcase_params(), 60);
	add(s, mime_tcase_envelope(), 60);
	add(s, mime_tcase_bodystructure(), 60);
	add(s, mime_tcase_imapstr(), 60);
	add(s, mime_tcase_section(), 60);
	add(s, mime_tcase_header_fields(), 60);
	add(s, mime_tcase_decode(), 60);
	add(s, mime_tcase_charset(), 60);
	add(s, mime_tcase_date(), 60);
	add(s, mime_tcase_search(), 60);
	add(s, mime_tcase_cache(), 300);
	add(s, mime_tcase_corpus(), 60);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mime_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
