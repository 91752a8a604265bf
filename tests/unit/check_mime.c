/*
 * check_mime.c: the mime/ library's unit test program: one Suite, TCases
 * by behaviour (each defined in its own check_mime_*.c file).
 */
#include <check.h>
#include <stdlib.h>

#include "check_mime_util.h"

static Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");

	suite_add_tcase(s, mime_tcase_parse());
	suite_add_tcase(s, mime_tcase_limits());
	suite_add_tcase(s, mime_tcase_params());
	suite_add_tcase(s, mime_tcase_envelope());
	suite_add_tcase(s, mime_tcase_bodystructure());
	suite_add_tcase(s, mime_tcase_imapstr());
	suite_add_tcase(s, mime_tcase_section());
	suite_add_tcase(s, mime_tcase_header_fields());
	suite_add_tcase(s, mime_tcase_decode());
	suite_add_tcase(s, mime_tcase_charset());
	suite_add_tcase(s, mime_tcase_date());
	suite_add_tcase(s, mime_tcase_search());
	suite_add_tcase(s, mime_tcase_cache());
	suite_add_tcase(s, mime_tcase_corpus());
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
