/*
 * check_dest_cache.c: the scheduler's id -> destination cache
 * (outbound/dest_cache.c): hits, misses, sequential ids, refill after it
 * empties itself, and that a full table never loses a fresh entry.
 */
#include <check.h>
#include <stdlib.h>

#include "dest_cache.h"

START_TEST(test_put_get)
{
	struct dest_cache dc = { 0 };
	uint64_t d = 0;

	ck_assert_int_eq(dest_cache_get(&dc, 7, &d), 0);	/* empty, unallocated */
	dest_cache_put(&dc, 7, dest_hash("example.org"));
	dest_cache_put(&dc, 8, dest_hash("example.net"));
	ck_assert_int_eq(dest_cache_get(&dc, 7, &d), 1);
	ck_assert(d == dest_hash("example.org"));
	ck_assert_int_eq(dest_cache_get(&dc, 8, &d), 1);
	ck_assert(d == dest_hash("example.net"));
	ck_assert_int_eq(dest_cache_get(&dc, 9, &d), 0);
	ck_assert_int_eq(dest_cache_get(&dc, 0, &d), 0);
	dest_cache_put(&dc, 7, dest_hash("relay.example:587"));	/* replaced */
	ck_assert_int_eq(dest_cache_get(&dc, 7, &d), 1);
	ck_assert(d == dest_hash("relay.example:587"));
	ck_assert(dest_hash("example.org") != dest_hash("example.net"));
	dest_cache_clear(&dc);
	ck_assert_int_eq(dest_cache_get(&dc, 8, &d), 0);
	dest_cache_free(&dc);
}
END_TEST

/* 100,000 sequential ids (a backlog): each lookup right after its put hits. */
START_TEST(test_many_ids)
{
	struct dest_cache dc = { 0 };
	uint64_t id, d, hits = 0;

	for (id = 1; id <= 100000; id++) {
		dest_cache_put(&dc, id, id * 3);
		ck_assert_int_eq(dest_cache_get(&dc, id, &d), 1);
		ck_assert(d == id * 3);
		ck_assert(dc.used <= DEST_CACHE_SLOTS / 4 * 3);
	}
	/* The most recent entries survive the last emptying. */
	for (id = 100000; id > 100000 - 1000; id--)
		hits += dest_cache_get(&dc, id, &d) && d == id * 3;
	ck_assert(hits == 1000);
	dest_cache_free(&dc);
}
END_TEST

static Suite *
dest_cache_suite(void)
{
	Suite *s = suite_create("dest_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_many_ids);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dest_cache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
