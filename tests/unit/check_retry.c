/*
 * check_retry.c: unit tests of outbound/retry.c: the default schedule
 * (1m, 5m, 15m, 30m, then hourly), the lifetime cut (the last attempt at
 * exactly arrival + lifetime, none after it), a one-entry schedule, and
 * the schedule as common/config.c parses it from queue_retry_schedule.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "retry.h"

#define T0	1795000000LL
#define DAY	(24 * 3600LL)

static void
default_schedule(struct config *cfg)
{
	static const int sched[] = { 60, 300, 900, 1800, 3600 };

	config_defaults(cfg);
	/* Filled by hand: the test must not depend on the parser's defaults. */
	memcpy(cfg->queue_retry, sched, sizeof(sched));
	cfg->queue_retry_count = 5;
	cfg->queue_lifetime = 5 * DAY;
}

static const struct {
	uint32_t	 attempts;
	int64_t		 delay;
} default_cases[] = {
	{ 0, 60 },	/* nothing failed yet: like the first failure */
	{ 1, 60 }, { 2, 300 }, { 3, 900 }, { 4, 1800 }, { 5, 3600 },
	{ 6, 3600 }, { 100, 3600 }, { UINT32_MAX, 3600 },
};

START_TEST(test_default_schedule)
{
	struct config	 cfg;
	int64_t		 now = T0 + 1000;

	default_schedule(&cfg);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, default_cases[_i].attempts,
	    now), now + default_cases[_i].delay);
}
END_TEST

START_TEST(test_lifetime_cut)
{
	struct config	 cfg;
	int64_t		 end = T0 + 5 * DAY;

	default_schedule(&cfg);
	/* well before the end: the schedule */
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 50, end - 7200), end - 3600);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 50, end - 3600), end);
	/* a delay that would pass the end is cut to the end */
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 50, end - 10), end);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 50, end - 1), end);
	/* the attempt at the end failed: no more (bounce) */
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 51, end), 0);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 51, end + 30), 0);
	/* a short lifetime cuts the first delay */
	cfg.queue_lifetime = 120;
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 1, T0), T0 + 60);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 2, T0 + 60), T0 + 120);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 3, T0 + 120), 0);
}
END_TEST

/* Walking the whole schedule: monotonic, ends at the lifetime, bounded. */
START_TEST(test_walk)
{
	struct config	 cfg;
	int64_t		 now = T0, next, last = 0;
	uint32_t	 attempts = 0;

	default_schedule(&cfg);
	while ((next = retry_next_attempt(&cfg, T0, ++attempts, now)) != 0) {
		ck_assert_int_gt(next, now);
		now = next;
		last = next;
		ck_assert_uint_lt(attempts, 200);
	}
	ck_assert_int_eq(last, T0 + 5 * DAY);
	/* 60+300+900+1800 = 3060 s, then hourly: 120 attempts in 5 days */
	ck_assert_uint_eq(attempts, 4 + (5 * DAY - 3060 + 3599) / 3600 + 1);
}
END_TEST

START_TEST(test_one_entry)
{
	struct config	 cfg;

	config_defaults(&cfg);
	cfg.queue_retry[0] = 10;
	cfg.queue_retry_count = 1;
	cfg.queue_lifetime = 35;
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 1, T0), T0 + 10);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 2, T0 + 10), T0 + 20);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 7, T0 + 20), T0 + 30);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 8, T0 + 30), T0 + 35);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 9, T0 + 35), 0);
}
END_TEST

/* The keys as the administrator writes them (common/config.c parses them). */
START_TEST(test_from_config)
{
	static const char text[] =
	    "queue_retry_schedule = 2m, 10m\n"
	    "queue_lifetime = 1h\n";
	struct config	 cfg;
	char		 err[256];

	ck_assert_msg(config_parse(text, sizeof(text) - 1, "test", &cfg, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.queue_retry_count, 2);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 1, T0), T0 + 120);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 2, T0 + 120), T0 + 720);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 3, T0 + 720), T0 + 1320);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 9, T0 + 3000), T0 + 3600);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 10, T0 + 3600), 0);
	/* and the defaults are the documented schedule */
	config_defaults(&cfg);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 1, T0), T0 + 60);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 5, T0), T0 + 3600);
	ck_assert_int_eq(retry_next_attempt(&cfg, T0, 5, T0 + 5 * DAY - 1),
	    T0 + 5 * DAY);
}
END_TEST

static Suite *
retry_suite(void)
{
	Suite	*s = suite_create("retry");
	TCase	*tc;

	tc = tcase_create("schedule");
	tcase_add_loop_test(tc, test_default_schedule, 0,
	    sizeof(default_cases) / sizeof(default_cases[0]));
	tcase_add_test(tc, test_one_entry);
	tcase_add_test(tc, test_from_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifetime");
	tcase_add_test(tc, test_lifetime_cut);
	tcase_add_test(tc, test_walk);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(retry_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
