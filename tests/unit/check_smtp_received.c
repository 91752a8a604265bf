/*
 * check_smtp_received.c: unit tests for smtpd/smtp_received.c, the
 * Return-Path and Received trace header fields (RFC 5321 4.4).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtp_data.h"
#include "smtp_received.h"

static char *
format(const struct smtp_trace *t)
{
	struct smtp_buf	 out = { NULL, 0, 0 };
	char		*s;

	smtp_received_format(&out, t);
	s = malloc(out.len + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, out.data, out.len);
	s[out.len] = '\0';
	smtp_buf_free(&out);
	return s;
}

static void
set_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

START_TEST(test_single_rcpt)
{
	struct smtp_trace	 t = {
		.reverse_path = "alice@example.org", .helo = "[127.0.0.1]",
		.peer_ip = "127.0.0.1", .hostname = "mail.example.test",
		.protocol = "ESMTP", .id = "0123456789ABCDEF",
		.for_rcpt = "bob@example.test", .tls = NULL, .when = 0,
	};
	char	*s;

	set_utc();
	s = format(&t);
	ck_assert_str_eq(s,
	    "Return-Path: <alice@example.org>\r\n"
	    "Received: from [127.0.0.1] ([127.0.0.1])\r\n"
	    "\tby mail.example.test (Posthorn) with ESMTP id 0123456789ABCDEF\r\n"
	    "\tfor <bob@example.test>; Thu, 1 Jan 1970 00:00:00 +0000\r\n");
	free(s);
}
END_TEST

START_TEST(test_many_rcpts_null_sender_ipv6)
{
	struct smtp_trace	 t = {
		.reverse_path = "", .helo = "testmsg.eml",
		.peer_ip = "::1", .hostname = "mx.example.test",
		.protocol = "UTF8SMTP", .id = "FEDCBA9876543210",
		.for_rcpt = NULL, .tls = NULL, .when = 1795374145,
	};
	char	*s;

	set_utc();
	s = format(&t);
	ck_assert_str_eq(s,
	    "Return-Path: <>\r\n"
	    "Received: from testmsg.eml ([IPv6:::1])\r\n"
	    "\tby mx.example.test (Posthorn) with UTF8SMTP id FEDCBA9876543210;\r\n"
	    "\tSun, 22 Nov 2026 19:02:25 +0000\r\n");
	free(s);
}
END_TEST

START_TEST(test_tls_comment)
{
	struct smtp_trace	 t = {
		.reverse_path = "a@b.example", .helo = "h", .peer_ip = "192.0.2.7",
		.hostname = "m", .protocol = "ESMTPS", .id = "0000000000000001",
		.for_rcpt = "c@d.example", .tls = "TLSv1.3", .when = 0,
	};
	char	*s;

	set_utc();
	s = format(&t);
	ck_assert_ptr_nonnull(strstr(s, "Received: from h ([192.0.2.7])\r\n\t(TLSv1.3)\r\n\tby m "));
	free(s);
}
END_TEST

START_TEST(test_hidden_ip_and_tls_comment)
{
	struct smtp_trace	 t = {
		.reverse_path = "alice@example.test", .helo = "[127.0.0.1]",
		.peer_ip = NULL, .hostname = "mail.example.test",
		.protocol = smtp_received_protocol(1, 0, 1, 1),
		.id = "0000000000000002", .for_rcpt = NULL, .when = 0,
	};
	char	 tls[128];
	char	*s;

	smtp_received_tls_comment(tls, sizeof(tls), "TLSv1.3 TLS_AES_256_GCM_SHA384");
	ck_assert_str_eq(tls, "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384");
	t.tls = tls;
	set_utc();
	s = format(&t);
	ck_assert_str_eq(s,
	    "Return-Path: <alice@example.test>\r\n"
	    "Received: from [127.0.0.1]\r\n"
	    "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n"
	    "\tby mail.example.test (Posthorn) with ESMTPSA id 0000000000000002;\r\n"
	    "\tThu, 1 Jan 1970 00:00:00 +0000\r\n");
	free(s);
	/* Whatever the library says, the comment cannot be closed early. */
	smtp_received_tls_comment(tls, sizeof(tls), "TLSv1.2 X)(\r\nY");
	ck_assert_str_eq(tls, "using TLSv1.2 with cipher X????Y");
	smtp_received_tls_comment(tls, sizeof(tls), "odd");
	ck_assert_str_eq(tls, "using odd");
}
END_TEST

START_TEST(test_protocol_names)
{
	/* RFC 3848 and RFC 6531 3.7.3 */
	ck_assert_str_eq(smtp_received_protocol(0, 0, 1, 1), "SMTP");
	ck_assert_str_eq(smtp_received_protocol(1, 0, 0, 0), "ESMTP");
	ck_assert_str_eq(smtp_received_protocol(1, 0, 0, 1), "ESMTPA");
	ck_assert_str_eq(smtp_received_protocol(1, 0, 1, 0), "ESMTPS");
	ck_assert_str_eq(smtp_received_protocol(1, 0, 1, 1), "ESMTPSA");
	ck_assert_str_eq(smtp_received_protocol(1, 1, 0, 0), "UTF8SMTP");
	ck_assert_str_eq(smtp_received_protocol(1, 1, 1, 1), "UTF8SMTPSA");
}
END_TEST

/* Every line is CRLF-terminated, no bare CR/LF, continuation lines folded. */
START_TEST(test_well_formed)
{
	char			 helo[256], rp[300];
	struct smtp_trace	 t = {
		.reverse_path = rp, .helo = helo, .peer_ip = "2001:db8::dead:beef",
		.hostname = "mail.example.test", .protocol = "ESMTP",
		.id = "0123456789ABCDEF", .for_rcpt = rp, .when = 1234567890,
	};
	char			*s, *p;
	size_t			 linelen = 0;

	memset(helo, 'h', 255);
	helo[255] = '\0';
	memset(rp, 'r', 254);
	rp[254] = '\0';
	s = format(&t);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\r') {
			ck_assert_int_eq(p[1], '\n');
			ck_assert_uint_lt(linelen, 998);
			linelen = 0;
			p++;
			if (p[1] != '\0' && strncmp(p + 1, "Received:", 9) != 0)
				ck_assert_int_eq(p[1], '\t');
			continue;
		}
		ck_assert_int_ne(*p, '\n');
		linelen++;
	}
	ck_assert_int_eq(p[-1], '\n');
	free(s);
}
END_TEST

static Suite *
smtp_received_suite(void)
{
	Suite	*s = suite_create("smtp_received");
	TCase	*tc = tcase_create("trace headers");

	tcase_add_test(tc, test_single_rcpt);
	tcase_add_test(tc, test_many_rcpts_null_sender_ipv6);
	tcase_add_test(tc, test_tls_comment);
	tcase_add_test(tc, test_hidden_ip_and_tls_comment);
	tcase_add_test(tc, test_protocol_names);
	tcase_add_test(tc, test_well_formed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(smtp_received_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
