/*
 * check_smtp_header.c: unit tests for smtpd/smtp_header.c: the header
 * section scan (From/Date/Message-ID) and the address-list walk that the
 * submission server uses against From spoofing.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_header.h"

/* ------------------------------------------------------------ addresses */

struct addr_case {
	const char	*value;
	int		 rc;		/* count, or -1 */
	const char	*addrs;		/* the addresses, joined by '|' */
};

static const struct addr_case addr_cases[] = {
	{ " alice@example.test", 1, "alice@example.test" },
	{ " Alice <alice@example.test>", 1, "alice@example.test" },
	{ " \"Doe, John\" <john.doe@example.test>", 1, "john.doe@example.test" },
	{ " Probe User <alice@clientlab.test>", 1, "alice@clientlab.test" },
	{ " Mutt Probe <alice@clientlab.test>", 1, "alice@clientlab.test" },
	{ " =?utf-8?q?J=C3=B6rg?= <j@example.test>", 1, "j@example.test" },
	{ " J\xc3\xb6rg <j@example.test>", 1, "j@example.test" },
	{ " John Q. Public <jqp@example.test>", 1, "jqp@example.test" },
	{ " a@example.test (Alice)", 1, "a@example.test" },
	{ " (comment (nested)) a @ example . test", 1, "a@example.test" },
	{ " \"quoted local\"@example.test", 1, "\"quoted local\"@example.test" },
	{ " a@[192.0.2.1]", 1, "a@[192.0.2.1]" },
	{ " a@example.test, b@example.test", 2, "a@example.test|b@example.test" },
	{ " A <a@x.test>,\r\n\tB <b@x.test>", 2, "a@x.test|b@x.test" },
	{ " Team: a@x.test, b@x.test;", 2, "a@x.test|b@x.test" },
	{ " Undisclosed recipients:;", 0, "" },
	{ " <@route1,@route2:a@x.test>", 1, "a@x.test" },
	{ " a@x.test,, b@x.test", 2, "a@x.test|b@x.test" },
	{ "", 0, "" },
	/* Refused: anything a reader might show that we did not check. */
	{ " bob alice@example.test", -1, "" },		/* two words, no <> */
	{ " a@x.test b@y.test", -1, "" },
	{ " a@x.test <b@y.test>", 1, "b@y.test" },	/* a display name with '@'... */
	{ " <a@x.test> <b@y.test>", -1, "" },		/* ...but two angle-addrs */
	{ " <a@x.test> trailing", -1, "" },
	{ " <a@x.test", -1, "" },
	{ " a@x.test>", -1, "" },
	{ " <>", -1, "" },
	{ " alice", -1, "" },
	{ " @example.test", -1, "" },
	{ " alice@", -1, "" },
	{ " a@b@c", -1, "" },
	{ " \"unterminated@x.test", -1, "" },
	{ " (unterminated a@x.test", -1, "" },
	{ " a@x.test)", -1, "" },
	{ " a@[1.2.3.4", -1, "" },
	{ " Team: a@x.test", -1, "" },			/* group not closed */
	{ " a@x.test;", -1, "" },			/* ';' outside a group */
	{ " G: H: a@x.test;;", -1, "" },		/* nested groups */
	{ " <a@x.test\x01>", -1, "" },
	{ " \"a\x01b\"@x.test", -1, "" },		/* control bytes in quotes */
	{ " \"a\\\x01b\"@x.test", -1, "" },
	{ " (c\x7f) a@x.test", 1, "a@x.test" },	/* comments are skipped whole */
	{ " \"Long\r\n name\" <a@x.test>", 1, "a@x.test" },	/* folded in quotes */
	{ " \"a\r\n b\"@x.test", -1, "" },		/* ...but no such mailbox */
};

struct collect {
	char	 buf[1024];
};

static int
collect_cb(void *arg, const char *addr)
{
	struct collect *c = arg;

	if (c->buf[0] != '\0')
		strcat(c->buf, "|");
	strcat(c->buf, addr);
	return 0;
}

START_TEST(test_addresses)
{
	const struct addr_case *ac = &addr_cases[_i];
	struct collect c;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = smtp_header_addresses(ac->value, strlen(ac->value), 256, collect_cb, &c);
	ck_assert_msg(rc == ac->rc, "case %d \"%s\": rc %d, want %d", _i,
	    ac->value, rc, ac->rc);
	if (rc >= 0)
		ck_assert_str_eq(c.buf, ac->addrs);
}
END_TEST

static int
stop_cb(void *arg, const char *addr)
{
	(void)addr;
	return ++*(int *)arg == 2 ? 7 : 0;
}

START_TEST(test_addresses_stop_and_limit)
{
	char big[600];
	struct collect c;
	int calls = 0;

	/* cb stops the walk: its value comes back. */
	ck_assert_int_eq(smtp_header_addresses("a@x.test, b@x.test, c@x.test", 28,
	    256, stop_cb, &calls), 7);
	ck_assert_int_eq(calls, 2);
	/* An address that does not fit addrsize is refused. */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(smtp_header_addresses("abcdef@x.test", 13, 13, collect_cb, &c), -1);
	ck_assert_int_eq(smtp_header_addresses("abcdef@x.test", 13, 14, collect_cb, &c), 1);
	/* A long display name is fine, a long bare address is not. */
	memset(big, 'n', sizeof(big));
	memcpy(big + 550, " <a@x.test>", 11);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(smtp_header_addresses(big, 561, 256, collect_cb, &c), 1);
	memcpy(big + 550, "@x.test", 7);
	ck_assert_int_eq(smtp_header_addresses(big, 557, 1024, collect_cb, &c), -1);
}
END_TEST

/* ---------------------------------------------------------------- scan */

START_TEST(test_scan_fields)
{
	static const char msg[] =
	    "Received: from x\r\n"
	    "\tby y\r\n"
	    "from: Alice\r\n"
	    " <alice@example.test>\r\n"
	    "Subject: From: bob@example.test\r\n"
	    "DATE : Sun, 22 Nov 2026 19:02:25 +0000\r\n"
	    "Message-Id: <1@x>\r\n"
	    "\r\n"
	    "From: body@example.test\r\n";
	struct smtp_header_scan r;
	char value[128];

	smtp_header_scan(msg, sizeof(msg) - 1, &r);
	ck_assert_int_eq(r.has_header, 1);
	ck_assert_int_eq(r.has_date, 1);
	ck_assert_int_eq(r.has_message_id, 1);
	ck_assert_int_eq(r.n_from, 1);
	ck_assert_uint_lt(r.from_len[0], sizeof(value));
	memcpy(value, msg + r.from_off[0], r.from_len[0]);
	value[r.from_len[0]] = '\0';
	ck_assert_str_eq(value, " Alice\r\n <alice@example.test>");
}
END_TEST

START_TEST(test_scan_missing_and_body_only)
{
	struct smtp_header_scan r;

	/* Python's smtplib test: only a Subject. */
	smtp_header_scan("Subject: smtps test\r\n\r\nbody\r\n", 29, &r);
	ck_assert_int_eq(r.has_header, 1);
	ck_assert_int_eq(r.has_date, 0);
	ck_assert_int_eq(r.has_message_id, 0);
	ck_assert_int_eq(r.n_from, 0);
	/* No header section at all. */
	smtp_header_scan("hello world\r\nFrom: x@y\r\n", 24, &r);
	ck_assert_int_eq(r.has_header, 0);
	ck_assert_int_eq(r.n_from, 0);
	smtp_header_scan(" From: x@y\r\n", 12, &r);
	ck_assert_int_eq(r.has_header, 0);
	smtp_header_scan("", 0, &r);
	ck_assert_int_eq(r.has_header, 0);
	/* Headers only, no blank line, no final CRLF. */
	smtp_header_scan("Date: x\r\nFrom: a@b", 18, &r);
	ck_assert_int_eq(r.has_date, 1);
	ck_assert_int_eq(r.n_from, 1);
	ck_assert_uint_eq(r.from_len[0], 4);
}
END_TEST

START_TEST(test_scan_many_from)
{
	char msg[512] = "";
	struct smtp_header_scan r;
	int i;

	for (i = 0; i < 6; i++)
		strcat(msg, "From: a@b\r\n");
	smtp_header_scan(msg, strlen(msg), &r);
	ck_assert_int_eq(r.n_from, 6);
}
END_TEST

static Suite *
smtp_header_suite(void)
{
	Suite *s = suite_create("smtp_header");
	TCase *tc;

	tc = tcase_create("addresses");
	tcase_add_loop_test(tc, test_addresses, 0,
	    (int)(sizeof(addr_cases) / sizeof(addr_cases[0])));
	tcase_add_test(tc, test_addresses_stop_and_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("scan");
	tcase_add_test(tc, test_scan_fields);
	tcase_add_test(tc, test_scan_missing_and_body_only);
	tcase_add_test(tc, test_scan_many_from);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(smtp_header_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
