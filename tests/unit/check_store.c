/*
 * check_store.c: the store's unit test suite: one Suite, with TCases by
 * behaviour defined in check_store_admin.c (domains, users, aliases,
 * resolution, logins), check_store_mail.c (delivery, flags, expunge,
 * UID/MODSEQ, reopen), check_store_writer.c (group commit, failures in a
 * batch, map full, watchers) and check_store_schema.c (versions,
 * migration). Every test works on a fresh store in its own directory.
 */
#include <check.h>
#include <stdlib.h>

#include "check_store_util.h"
#include "log.h"

void	store_admin_tcases(Suite *s);
void	store_mail_tcases(Suite *s);
void	store_writer_tcases(Suite *s);
void	store_schema_tcases(Suite *s);

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");

	store_admin_tcases(s);
	store_mail_tcases(s);
	store_writer_tcases(s);
	store_schema_tcases(s);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	log_init("check_store", LOG_LEVEL_WARN, 0);
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
