/*
 * check_route.c: unit tests of outbound/route.c: route_sort_mx (order,
 * duplicates, shuffling of equal preferences with a deterministic
 * random source), then route_lookup and route_relayhost end to end
 * against the in-process fake DNS server (fake_dns.c): MX order, AAAA
 * before A, implicit MX, null MX, NXDOMAIN, SERVFAIL and timeouts,
 * MX hosts without addresses, domain literals, relayhost forms.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_dns.h"
#include "route.h"
#include "util.h"

/* ---- route_sort_mx ------------------------------------------------- */

static uint64_t
rnd_zero(void)
{
	return 0;
}

static uint64_t lcg_state;

static uint64_t
rnd_lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return lcg_state >> 33;
}

static size_t
mx_fill(struct dns_mx *mx, const char *spec)
{
	char buf[512], *save, *tok;
	size_t n = 0;

	(void)str_copy(buf, spec, sizeof(buf));
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		unsigned pref;
		char host[256];

		ck_assert_int_eq(sscanf(tok, "%u %255s", &pref, host), 2);
		mx[n].pref = (uint16_t)pref;
		(void)str_copy(mx[n].host, strcmp(host, ".") == 0 ? "" : host,
		    sizeof(mx[n].host));
		n++;
	}
	return n;
}

static void
mx_join(const struct dns_mx *mx, size_t n, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[300];

		(void)str_format(one, sizeof(one), "%s%u %s", i ? "," : "",
		    mx[i].pref, mx[i].host[0] ? mx[i].host : ".");
		(void)str_append(out, one, size);
	}
}

/* With rnd always 0, Fisher-Yates maps a run [a b c] to [b c a]. */
static const struct {
	const char	*in, *out;
} sort_cases[] = {
	{ "20 b,10 a,30 c", "10 a,20 b,30 c" },
	{ "10 a", "10 a" },
	{ "", "" },
	{ "10 a,10 b", "10 b,10 a" },
	{ "5 z,10 a,10 b,10 c,1 y", "1 y,5 z,10 b,10 c,10 a" },
	/* Duplicates go, the best preference stays; names ignore case. */
	{ "20 mx.test,10 MX.test,30 other", "10 MX.test,30 other" },
	{ "10 a,10 a,10 a", "10 a" },
	{ "0 .", "0 ." },
	{ "65535 last,0 first", "0 first,65535 last" },
};

START_TEST(test_sort_mx)
{
	struct dns_mx mx[16];
	char got[1024];
	size_t n;

	n = mx_fill(mx, sort_cases[_i].in);
	n = route_sort_mx(mx, n, rnd_zero);
	mx_join(mx, n, got, sizeof(got));
	ck_assert_str_eq(got, sort_cases[_i].out);
}
END_TEST

/* Each host of a run of equal preferences comes first sometimes, and
 * the runs never mix. */
START_TEST(test_sort_mx_shuffles)
{
	struct dns_mx mx[8];
	int first[3] = { 0, 0, 0 };
	size_t n;

	lcg_state = 42;
	for (int round = 0; round < 300; round++) {
		n = mx_fill(mx, "20 z,10 a,10 b,10 c,5 y");
		n = route_sort_mx(mx, n, rnd_lcg);
		ck_assert_uint_eq(n, 5);
		ck_assert_str_eq(mx[0].host, "y");
		ck_assert_str_eq(mx[4].host, "z");
		for (int i = 1; i <= 3; i++)
			ck_assert_uint_eq(mx[i].pref, 10);
		first[mx[1].host[0] - 'a']++;
	}
	for (int i = 0; i < 3; i++)
		ck_assert_msg(first[i] > 50, "host %c first %d times of 300",
		    'a' + i, first[i]);
}
END_TEST

/* ---- route_lookup against the fake server --------------------------- */

static const struct fake_rr zone[] = {
	{ "mx.test", DNS_TYPE_MX, "20 b.mx.test" },
	{ "mx.test", DNS_TYPE_MX, "10 a.mx.test" },
	{ "mx.test", DNS_TYPE_MX, "10 c.mx.test" },
	{ "a.mx.test", DNS_TYPE_A, "127.0.0.2" },
	{ "a.mx.test", DNS_TYPE_AAAA, "::1" },
	{ "b.mx.test", DNS_TYPE_A, "127.0.0.3" },
	{ "c.mx.test", DNS_TYPE_A, "127.0.0.4" },
	{ "implicit.test", DNS_TYPE_A, "127.0.0.5" },
	{ "implicit.test", DNS_TYPE_AAAA, "2001:db8::5" },
	{ "nullmx.test", DNS_TYPE_MX, "0 ." },
	{ "mixednull.test", DNS_TYPE_MX, "0 ." },
	{ "mixednull.test", DNS_TYPE_MX, "10 b.mx.test" },
	{ "noaddr.test", DNS_TYPE_MX, "10 nothere.test" },
	{ "noaddr.test", DNS_TYPE_MX, "20 nullmx.test" },
	{ "tempaddr.test", DNS_TYPE_MX, "10 servfail.h.test" },
	{ "tempaddr.test", DNS_TYPE_MX, "20 nothere.test" },
	{ "partial.test", DNS_TYPE_MX, "10 servfail.h.test" },
	{ "partial.test", DNS_TYPE_MX, "20 b.mx.test" },
	{ "cn.test", DNS_TYPE_MX, "10 alias.test" },
	{ "alias.test", DNS_TYPE_CNAME, "a.mx.test" },
	{ "v6only.test", DNS_TYPE_MX, "10 v6.test" },
	{ "v6.test", DNS_TYPE_AAAA, "2001:db8::25" },
	{ "relay.test", DNS_TYPE_A, "127.0.0.9" },
	{ "relay.test", DNS_TYPE_AAAA, "::1" },
	{ "relay.test", DNS_TYPE_MX, "10 wrong.test" },
	{ "many.test", DNS_TYPE_MX, "1 h1.test" },
	{ "many.test", DNS_TYPE_MX, "2 h2.test" },
	{ "many.test", DNS_TYPE_MX, "3 h3.test" },
	{ "many.test", DNS_TYPE_MX, "4 h4.test" },
	{ "many.test", DNS_TYPE_MX, "5 h5.test" },
	{ "many.test", DNS_TYPE_MX, "6 h6.test" },
	{ "many.test", DNS_TYPE_MX, "7 h7.test" },
	{ "many.test", DNS_TYPE_MX, "8 h8.test" },
	{ "many.test", DNS_TYPE_MX, "9 h9.test" },
	{ "many.test", DNS_TYPE_MX, "10 h10.test" },
	{ "many.test", DNS_TYPE_MX, "11 h11.test" },
	{ "many.test", DNS_TYPE_MX, "12 h12.test" },
	{ "h1.test", DNS_TYPE_A, "127.0.1.1" },
	{ "h2.test", DNS_TYPE_A, "127.0.1.2" },
	{ "h3.test", DNS_TYPE_A, "127.0.1.3" },
	{ "h4.test", DNS_TYPE_A, "127.0.1.4" },
	{ "h5.test", DNS_TYPE_A, "127.0.1.5" },
	{ "h6.test", DNS_TYPE_A, "127.0.1.6" },
	{ "h7.test", DNS_TYPE_A, "127.0.1.7" },
	{ "h8.test", DNS_TYPE_A, "127.0.1.8" },
	{ "h9.test", DNS_TYPE_A, "127.0.1.9" },
	{ "h10.test", DNS_TYPE_A, "127.0.1.10" },
	{ "h11.test", DNS_TYPE_A, "127.0.1.11" },
	{ "h12.test", DNS_TYPE_A, "127.0.1.12" },
};

static struct fake_dns *fake;
static struct dns_resolver *res;
static struct route_target t[ROUTE_MAX_TARGETS];
static char why[512];

static void
fake_setup(void)
{
	char err[200];

	fake = fake_dns_start(zone, sizeof(zone) / sizeof(zone[0]));
	res = dns_resolver_new(fake_dns_server(fake), 300, 2, err, sizeof(err));
	ck_assert_msg(res != NULL, "%s", err);
	memset(t, 0, sizeof(t));
	why[0] = '\0';
}

static void
fake_teardown(void)
{
	dns_resolver_free(res);
	fake_dns_stop(fake);
}

/* "host addr port" of target i. */
static const char *
target_str(size_t i)
{
	static char buf[400];
	char addr[64];
	uint16_t port = t[i].addr.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&t[i].addr)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&t[i].addr)->sin_port);

	sockaddr_ntop((struct sockaddr *)&t[i].addr, addr, sizeof(addr));
	(void)str_format(buf, sizeof(buf), "%s %s %u", t[i].host, addr, port);
	ck_assert_uint_eq(t[i].addrlen, t[i].addr.ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	return buf;
}

static int
lookup(const char *domain, size_t *n)
{
	return route_lookup(res, domain, 2525, t, ROUTE_MAX_TARGETS, n, why,
	    sizeof(why));
}

START_TEST(test_route_mx_order)
{
	int a_first = 0, c_first = 0;
	size_t n;

	for (int round = 0; round < 40; round++) {
		size_t a;

		ck_assert_int_eq(lookup("mx.test", &n), ROUTE_OK);
		ck_assert_uint_eq(n, 4);
		/* a (AAAA, then A) and c in either order, then b. */
		a = strcmp(t[0].host, "a.mx.test") == 0 ? 0 : 1;
		if (a == 0)
			a_first++;
		else
			c_first++;
		ck_assert_str_eq(target_str(a), "a.mx.test ::1 2525");
		ck_assert_str_eq(target_str(a + 1), "a.mx.test 127.0.0.2 2525");
		ck_assert_str_eq(target_str(a == 0 ? 2 : 0),
		    "c.mx.test 127.0.0.4 2525");
		ck_assert_uint_eq(t[a].pref, 10);
		ck_assert_str_eq(target_str(3), "b.mx.test 127.0.0.3 2525");
		ck_assert_uint_eq(t[3].pref, 20);
	}
	/* RFC 5321 5.1: equal preferences are randomized. */
	ck_assert_int_gt(a_first, 0);
	ck_assert_int_gt(c_first, 0);
}
END_TEST

START_TEST(test_route_implicit_mx)
{
	size_t n;

	ck_assert_int_eq(lookup("implicit.test", &n), ROUTE_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(target_str(0), "implicit.test 2001:db8::5 2525");
	ck_assert_str_eq(target_str(1), "implicit.test 127.0.0.5 2525");
	ck_assert_uint_eq(t[0].pref, 0);
}
END_TEST

static const struct {
	const char	*domain;
	int		 status;
	const char	*why;		/* a substring of why */
	const char	*first;		/* the first target, when ROUTE_OK */
} lookup_cases[] = {
	{ "nullmx.test", ROUTE_PERMFAIL,
	  "domain does not accept mail (null MX, RFC 7505)", NULL },
	{ "mixednull.test", ROUTE_OK, NULL, "b.mx.test 127.0.0.3 2525" },
	{ "nothere.test", ROUTE_PERMFAIL, "Host or domain name not found. Name "
	  "service error for name=nothere.test type=MX: Host not found", NULL },
	{ "servfail.test", ROUTE_TEMPFAIL, "name=servfail.test type=MX: Host "
	  "not found, try again", NULL },
	{ "refused.test", ROUTE_TEMPFAIL, "type=MX", NULL },
	{ "noaddr.test", ROUTE_PERMFAIL, "name=", NULL },
	{ "tempaddr.test", ROUTE_TEMPFAIL, "name=servfail.h.test type=", NULL },
	{ "partial.test", ROUTE_OK, NULL, "b.mx.test 127.0.0.3 2525" },
	{ "cn.test", ROUTE_OK, NULL, "alias.test ::1 2525" },
	{ "v6only.test", ROUTE_OK, NULL, "v6.test 2001:db8::25 2525" },
	{ "[127.0.0.1]", ROUTE_OK, NULL, "[127.0.0.1] 127.0.0.1 2525" },
	{ "[IPv6:::1]", ROUTE_OK, NULL, "[IPv6:::1] ::1 2525" },
	{ "[ipv6:2001:db8::1]", ROUTE_OK, NULL,
	  "[ipv6:2001:db8::1] 2001:db8::1 2525" },
	{ "[300.1.1.1]", ROUTE_PERMFAIL, "invalid domain literal", NULL },
	{ "[IPv6:zz]", ROUTE_PERMFAIL, "invalid domain literal", NULL },
	{ "[::1]", ROUTE_PERMFAIL, "invalid domain literal", NULL },
	{ "[127.0.0.1", ROUTE_PERMFAIL, "invalid domain literal", NULL },
	{ "a..b", ROUTE_PERMFAIL, "invalid domain name", NULL },
	{ "", ROUTE_PERMFAIL, "invalid domain name", NULL },
};

START_TEST(test_route_cases)
{
	size_t n = 99;
	int st;

	st = lookup(lookup_cases[_i].domain, &n);
	ck_assert_msg(st == lookup_cases[_i].status, "%s: status %d (%s)",
	    lookup_cases[_i].domain, st, why);
	if (st == ROUTE_OK) {
		ck_assert_uint_gt(n, 0);
		ck_assert_str_eq(target_str(0), lookup_cases[_i].first);
	} else {
		ck_assert_uint_eq(n, 0);
		ck_assert_msg(strstr(why, lookup_cases[_i].why) != NULL,
		    "%s: why \"%s\"", lookup_cases[_i].domain, why);
	}
}
END_TEST

/* No answer at all: TEMPFAIL after tries * timeout, not much more. */
START_TEST(test_route_timeout)
{
	uint64_t t0 = time_monotonic_ms(), dt;
	size_t n;

	ck_assert_int_eq(lookup("drop.test", &n), ROUTE_TEMPFAIL);
	dt = time_monotonic_ms() - t0;
	ck_assert_uint_ge(dt, 600);
	ck_assert_uint_lt(dt, 600 + 1500);
	ck_assert_ptr_nonnull(strstr(why, "try again"));
}
END_TEST

START_TEST(test_route_limits)
{
	size_t n;

	/* At most ROUTE_MAX_MX hosts, in preference order. */
	ck_assert_int_eq(lookup("many.test", &n), ROUTE_OK);
	ck_assert_uint_eq(n, ROUTE_MAX_MX);
	ck_assert_str_eq(target_str(0), "h1.test 127.0.1.1 2525");
	ck_assert_str_eq(target_str(ROUTE_MAX_MX - 1),
	    "h10.test 127.0.1.10 2525");
	/* At most max targets. */
	ck_assert_int_eq(route_lookup(res, "mx.test", 25, t, 2, &n, why,
	    sizeof(why)), ROUTE_OK);
	ck_assert_uint_eq(n, 2);
}
END_TEST

static const struct {
	const char	*relayhost;
	int		 status;
	const char	*targets;	/* "|"-joined, or a substring of why */
} relay_cases[] = {
	{ "127.0.0.1:2525", ROUTE_OK, "127.0.0.1 127.0.0.1 2525" },
	{ "[::1]:587", ROUTE_OK, "::1 ::1 587" },
	{ "[127.0.0.1]:465", ROUTE_OK, "127.0.0.1 127.0.0.1 465" },
	{ "127.0.0.1", ROUTE_OK, "127.0.0.1 127.0.0.1 25" },
	/* A name: AAAA then A, never its MX. */
	{ "relay.test:587", ROUTE_OK,
	  "relay.test ::1 587|relay.test 127.0.0.9 587" },
	{ "[relay.test]:588", ROUTE_OK,
	  "relay.test ::1 588|relay.test 127.0.0.9 588" },
	{ "v6.test:25", ROUTE_OK, "v6.test 2001:db8::25 25" },
	/* Our own configuration: keep the mail, whatever DNS says. */
	{ "nothere.test:25", ROUTE_TEMPFAIL, "relayhost nothere.test: " },
	{ "servfail.test:25", ROUTE_TEMPFAIL, "try again" },
	{ "relay.test:0", ROUTE_TEMPFAIL, "is not HOST:PORT" },
	{ "relay.test:x", ROUTE_TEMPFAIL, "is not HOST:PORT" },
	{ "::1:25", ROUTE_TEMPFAIL, "is not HOST:PORT" },
	{ ":25", ROUTE_TEMPFAIL, "is not HOST:PORT" },
	{ "[::1]x", ROUTE_TEMPFAIL, "is not HOST:PORT" },
};

START_TEST(test_relayhost)
{
	char got[1024];
	size_t n = 99;
	int st;

	st = route_relayhost(res, relay_cases[_i].relayhost, t,
	    ROUTE_MAX_TARGETS, &n, why, sizeof(why));
	ck_assert_msg(st == relay_cases[_i].status, "%s: status %d (%s)",
	    relay_cases[_i].relayhost, st, why);
	if (st != ROUTE_OK) {
		ck_assert_uint_eq(n, 0);
		ck_assert_msg(strstr(why, relay_cases[_i].targets) != NULL,
		    "%s: why \"%s\"", relay_cases[_i].relayhost, why);
		return;
	}
	got[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			(void)str_append(got, "|", sizeof(got));
		(void)str_append(got, target_str(i), sizeof(got));
	}
	ck_assert_str_eq(got, relay_cases[_i].targets);
}
END_TEST

static Suite *
route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc;

	tc = tcase_create("sort");
	tcase_add_loop_test(tc, test_sort_mx, 0,
	    sizeof(sort_cases) / sizeof(sort_cases[0]));
	tcase_add_test(tc, test_sort_mx_shuffles);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_route_mx_order);
	tcase_add_test(tc, test_route_implicit_mx);
	tcase_add_loop_test(tc, test_route_cases, 0,
	    sizeof(lookup_cases) / sizeof(lookup_cases[0]));
	tcase_add_test(tc, test_route_timeout);
	tcase_add_test(tc, test_route_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("relayhost");
	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_relayhost, 0,
	    sizeof(relay_cases) / sizeof(relay_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(route_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
