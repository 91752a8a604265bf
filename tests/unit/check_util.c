/*
 * check_util.c: bounded strings, size and address parsing, loopback test.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "util.h"

START_TEST(test_str_copy_append)
{
	char buf[8];

	ck_assert_uint_eq(str_copy(buf, "abc", sizeof(buf)), 3);
	ck_assert_str_eq(buf, "abc");
	ck_assert_uint_eq(str_copy(buf, "abcdefghij", sizeof(buf)), 10);
	ck_assert_str_eq(buf, "abcdefg");
	str_copy(buf, "ab", sizeof(buf));
	ck_assert_uint_eq(str_append(buf, "cdefghij", sizeof(buf)), 10);
	ck_assert_str_eq(buf, "abcdefg");
	ck_assert_int_eq(str_format(buf, sizeof(buf), "%d", 1234567), 0);
	ck_assert_int_eq(str_format(buf, sizeof(buf), "%d", 12345678), -1);
}
END_TEST

START_TEST(test_parse_size)
{
	uint64_t v;

	ck_assert_int_eq(parse_size("50M", &v), 0);
	ck_assert_uint_eq(v, 50ULL << 20);
	ck_assert_int_eq(parse_size("1k", &v), 0);
	ck_assert_uint_eq(v, 1024);
	ck_assert_int_eq(parse_size("7", &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(parse_size("", &v), -1);
	ck_assert_int_eq(parse_size("M", &v), -1);
	ck_assert_int_eq(parse_size("-1", &v), -1);
	ck_assert_int_eq(parse_size("18446744073709551615G", &v), -1);
	ck_assert_int_eq(parse_size("1.5M", &v), -1);
}
END_TEST

START_TEST(test_parse_duration)
{
	static const struct { const char *s; int ok; uint64_t v; } cases[] = {
		{ "90", 1, 90 }, { "90s", 1, 90 }, { "5m", 1, 300 },
		{ "2h", 1, 7200 }, { "5d", 1, 432000 }, { "0", 1, 0 },
		{ "", 0, 0 }, { "m", 0, 0 }, { "5w", 0, 0 }, { "-1s", 0, 0 },
		{ "1.5h", 0, 0 }, { "5M", 0, 0 }, { "307445734561825861d", 0, 0 },
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		ck_assert_msg((parse_duration(cases[i].s, &v) == 0) == cases[i].ok,
		    "'%s'", cases[i].s);
		if (cases[i].ok)
			ck_assert_uint_eq(v, cases[i].v);
	}
}
END_TEST

START_TEST(test_split_hostport)
{
	static const struct { const char *s; int ok; const char *host; unsigned port; } cases[] = {
		{ "smtp.example.net:587", 1, "smtp.example.net", 587 },
		{ "smtp.example.net", 1, "smtp.example.net", 0 },
		{ "[2001:db8::1]:465", 1, "2001:db8::1", 465 },
		{ "[192.0.2.1]", 1, "192.0.2.1", 0 },
		{ "192.0.2.1:25", 1, "192.0.2.1", 25 },
		{ "::1:587", 0, "", 0 }, { "[::1]587", 0, "", 0 }, { "[::1", 0, "", 0 },
		{ ":25", 0, "", 0 }, { "[]:25", 0, "", 0 }, { "h:0", 0, "", 0 },
		{ "h:65536", 0, "", 0 }, { "h:x", 0, "", 0 }, { "", 0, "", 0 },
	};
	char host[64];
	uint16_t port;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		port = 7;
		ck_assert_msg((split_hostport(cases[i].s, host, sizeof(host), &port) == 0) ==
		    cases[i].ok, "'%s'", cases[i].s);
		if (cases[i].ok) {
			ck_assert_str_eq(host, cases[i].host);
			ck_assert_uint_eq(port, cases[i].port);
		}
	}
	ck_assert_int_eq(split_hostport("averylonghostname:25", host, 8, &port), -1);
}
END_TEST

START_TEST(test_rfc5322_date)
{
	char	 buf[64];

	setenv("TZ", "CET-1", 1);	/* POSIX: one hour east of UTC */
	tzset();
	rfc5322_date(buf, sizeof(buf), 0, 0);
	ck_assert_str_eq(buf, "Thu, 1 Jan 1970 01:00:00 +0100");
	rfc5322_date(buf, sizeof(buf), 0, 1);		/* UTC whatever TZ says */
	ck_assert_str_eq(buf, "Thu, 1 Jan 1970 00:00:00 +0000");
	setenv("TZ", "EST+5", 1);
	tzset();
	rfc5322_date(buf, sizeof(buf), 0, 0);
	ck_assert_str_eq(buf, "Wed, 31 Dec 1969 19:00:00 -0500");
	rfc5322_date(buf, sizeof(buf), 1795000000, 1);
	ck_assert_str_eq(buf, "Wed, 18 Nov 2026 11:06:40 +0000");
}
END_TEST

START_TEST(test_fd_wait)
{
	int p[2];
	uint64_t t0;

	ck_assert_int_eq(pipe(p), 0);
	t0 = time_monotonic_ms();
	ck_assert_int_eq(fd_wait(p[0], POLLIN, t0 + 100), 0);	/* times out */
	ck_assert(time_monotonic_ms() - t0 >= 100);
	ck_assert(time_monotonic_ms() - t0 < 2000);
	ck_assert_int_eq(fd_wait(p[1], POLLOUT, t0 + 1000), 1);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(fd_wait(p[0], POLLIN, time_monotonic_ms() + 1000), 1);
	ck_assert_int_eq(fd_wait(p[0], POLLIN, 0), 0);		/* deadline passed */
	/* After the stop switch every wait fails at once, however long its deadline. */
	fd_wait_cancel_all();
	t0 = time_monotonic_ms();
	errno = 0;
	ck_assert_int_eq(fd_wait(p[1], POLLOUT, t0 + 60000), -1);
	ck_assert_int_eq(errno, ECANCELED);
	ck_assert(time_monotonic_ms() - t0 < 1000);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_parse_hostport)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	ck_assert_int_eq(parse_hostport("127.0.0.1:25", &ss, &sl), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(sockaddr_is_loopback((struct sockaddr *)&ss), 1);
	ck_assert_int_eq(parse_hostport("[::1]:993", &ss, &sl), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_int_eq(sockaddr_is_loopback((struct sockaddr *)&ss), 1);
	ck_assert_int_eq(parse_hostport("*:25", &ss, &sl), 0);
	ck_assert_int_eq(sockaddr_is_loopback((struct sockaddr *)&ss), 0);
	ck_assert_int_eq(parse_hostport("192.0.2.1:25", &ss, &sl), 0);
	ck_assert_int_eq(sockaddr_is_loopback((struct sockaddr *)&ss), 0);
	ck_assert_int_eq(parse_hostport("::1:25", &ss, &sl), -1);
	ck_assert_int_eq(parse_hostport("[::1]25", &ss, &sl), -1);
	ck_assert_int_eq(parse_hostport("1.2.3.4:0", &ss, &sl), -1);
	ck_assert_int_eq(parse_hostport("1.2.3.4:", &ss, &sl), -1);
	ck_assert_int_eq(parse_hostport("host:25", &ss, &sl), -1);
	ck_assert_int_eq(parse_hostport("[]:25", &ss, &sl), -1);
}
END_TEST

START_TEST(test_trim_lower)
{
	char s[] = "  MiXeD Case\t\r\n";

	str_trim(s);
	ck_assert_str_eq(s, "MiXeD Case");
	str_lower(s);
	ck_assert_str_eq(s, "mixed case");
	ck_assert_int_eq(str_has_prefix_ci("Mail From:", "MAIL FROM:"), 1);
	ck_assert_int_eq(str_has_prefix_ci("Mai", "MAIL"), 0);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("valid and invalid");

	tcase_add_test(tc, test_str_copy_append);
	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_parse_duration);
	tcase_add_test(tc, test_fd_wait);
	tcase_add_test(tc, test_rfc5322_date);
	tcase_add_test(tc, test_split_hostport);
	tcase_add_test(tc, test_parse_hostport);
	tcase_add_test(tc, test_trim_lower);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
