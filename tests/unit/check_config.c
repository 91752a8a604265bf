/*
 * check_config.c: the posthorn.conf parser: every key type, defaults,
 * listen lists, and line-numbered errors for bad input.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static int
parse(const char *text, struct config *cfg, char *err, size_t errlen)
{
	return config_parse(text, strlen(text), "t.conf", cfg, err, errlen);
}

START_TEST(test_defaults)
{
	struct config cfg;
	char err[256];

	ck_assert_int_eq(parse("", &cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.max_message_size, 50ULL * 1024 * 1024);
	ck_assert_int_eq(cfg.smtp_max_recipients, 100);
	ck_assert_int_eq(cfg.plaintext_auth, PLAINTEXT_AUTH_LOOPBACK);
	ck_assert_int_eq(cfg.listen_count[LISTEN_SMTP], 0);
}
END_TEST

START_TEST(test_contract_keys)
{
	static const char text[] =
	    "# comment\n"
	    "hostname   = mail.example.org   # trailing comment\n"
	    "data_dir   = /var/lib/posthorn\n"
	    "\n"
	    "user       = posthorn\n"
	    "tls_cert   = /etc/posthorn/fullchain.pem\n"
	    "tls_key    = /etc/posthorn/privkey.pem\n"
	    "listen_smtp        = 0.0.0.0:25, [::]:25\n"
	    "listen_submission  = 0.0.0.0:587\n"
	    "listen_submissions = none\n"
	    "listen_pop3        = 127.0.0.1:110\n"
	    "listen_imap        = [::1]:143 127.0.0.1:143\n"
	    "max_message_size   = 25M\n"
	    "plaintext_auth     = never\n"
	    "dns_server         = 127.0.0.1:53\n"
	    "relayhost          = smtp.provider.net:587\n"
	    "relayhost_user     = me\n"
	    "relayhost_password = pass#word\n"
	    "log_level = debug\r\n"
	    "syslog = yes\n"
	    "smtp_max_recipients = 7\n"
	    "smtp_max_line = 2K\n";
	struct config cfg;
	char err[256];

	ck_assert_msg(parse(text, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.hostname, "mail.example.org");
	ck_assert_str_eq(cfg.data_dir, "/var/lib/posthorn");
	ck_assert_str_eq(cfg.user, "posthorn");
	ck_assert_int_eq(cfg.listen_count[LISTEN_SMTP], 2);
	ck_assert_str_eq(cfg.listen[LISTEN_SMTP][0], "0.0.0.0:25");
	ck_assert_str_eq(cfg.listen[LISTEN_SMTP][1], "[::]:25");
	ck_assert_int_eq(cfg.listen_count[LISTEN_SUBMISSIONS], 0);
	ck_assert_int_eq(cfg.listen_count[LISTEN_IMAP], 2);
	ck_assert_uint_eq(cfg.max_message_size, 25ULL * 1024 * 1024);
	ck_assert_int_eq(cfg.plaintext_auth, PLAINTEXT_AUTH_NEVER);
	ck_assert_str_eq(cfg.relayhost_password, "pass#word");
	ck_assert_int_eq(cfg.log_level, 3);
	ck_assert_int_eq(cfg.syslog, 1);
	ck_assert_int_eq(cfg.smtp_max_recipients, 7);
	ck_assert_uint_eq(cfg.smtp_max_line, 2048);	/* a size_t field */
}
END_TEST

/* Each bad input must fail and name the right line. */
static const struct {
	const char	*text;
	const char	*expect;	/* substring of the error */
} bad_configs[] = {
	{ "hostname = a\nbogus_key = 1\n", "t.conf:2: unknown key 'bogus_key'" },
	{ "\n\n\nmax_message_size = 12Q\n", "t.conf:4: bad size" },
	{ "max_message_size = 99999999999999999999999\n", "t.conf:1: bad size" },
	{ "smtp_max_recipients = -1\n", "t.conf:1: bad number" },
	{ "smtp_max_recipients = 0\n", "t.conf:1: bad number" },
	{ "listen_smtp = 127.0.0.1\n", "t.conf:1: bad address" },
	{ "listen_smtp = 127.0.0.1:0\n", "t.conf:1: bad address" },
	{ "listen_smtp = 127.0.0.1:65536\n", "t.conf:1: bad address" },
	{ "listen_smtp = ::1:25\n", "t.conf:1: bad address" },
	{ "listen_smtp = localhost:25\n", "t.conf:1: bad address" },
	{ "plaintext_auth = sometimes\n", "t.conf:1: bad plaintext_auth" },
	{ "log_level = loud\n", "t.conf:1: bad log_level" },
	{ "syslog = maybe\n", "t.conf:1: bad boolean" },
	{ "just some words\n", "t.conf:1: expected 'key = value'" },
	{ "hostname = two words\n", "t.conf:1: value must not contain spaces" },
	{ "hostname =\n", "hostname and data_dir must not be empty" },
	{ "outbound_tls = always\n", "t.conf:1: bad outbound_tls 'always' (may, encrypt or none)" },
	{ "relayhost_tls = ssl\n", "t.conf:1: bad relayhost_tls" },
	{ "queue_lifetime = 5w\n", "t.conf:1: bad duration" },
	{ "queue_lifetime = 0\n", "t.conf:1: bad duration" },
	{ "outbound_timeout = 0\n", "t.conf:1: bad duration" },
	{ "queue_retry_schedule = 1m,,x\n", "t.conf:1: bad delay 'x'" },
	{ "queue_retry_schedule = 0s\n", "t.conf:1: bad delay" },
	{ "queue_retry_schedule = ,\n", "t.conf:1: empty schedule" },
	{ "queue_retry_schedule = 1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s\n", "more than 16 delays" },
	{ "dns_server = resolver.example:53\n", "t.conf:1: bad address" },
	{ "relayhost = smtp.example.net\n", "t.conf:1: bad relayhost" },
	{ "relayhost = ::1:587\n", "t.conf:1: bad relayhost" },
	{ "relayhost = [::1]587\n", "t.conf:1: bad relayhost" },
};

/* The outbound keys of issue 5: defaults, durations, schedule, enums. */
START_TEST(test_outbound_keys)
{
	struct config cfg;
	char err[256] = "";

	ck_assert_int_eq(parse("", &cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.outbound_port, 25);
	ck_assert_int_eq(cfg.queue_retry_count, 5);
	ck_assert_int_eq(cfg.queue_retry[0], 60);
	ck_assert_int_eq(cfg.queue_retry[4], 3600);
	ck_assert(cfg.queue_lifetime == 5 * 86400);
	ck_assert_int_eq(cfg.outbound_tls, OUTBOUND_TLS_MAY);
	ck_assert_int_eq(cfg.relayhost_tls_verify, 1);
	ck_assert_int_eq(cfg.dkim_sign, 1);
	ck_assert_int_eq(parse(
	    "outbound_port = 2525\n"
	    "queue_retry_schedule = 1s, 2m,3h ,1d\n"
	    "queue_lifetime = 2d\n"
	    "outbound_timeout = 3\n"
	    "outbound_connect_timeout = 2m\n"
	    "outbound_tls = Encrypt\n"
	    "relayhost = [2001:db8::1]:465\n"
	    "relayhost_tls = tls\n"
	    "relayhost_tls_verify = no\n"
	    "dns_server = [::1]:5353\n"
	    "dkim_sign = off\n", &cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.outbound_port, 2525);
	ck_assert_int_eq(cfg.queue_retry_count, 4);
	ck_assert_int_eq(cfg.queue_retry[0], 1);
	ck_assert_int_eq(cfg.queue_retry[1], 120);
	ck_assert_int_eq(cfg.queue_retry[2], 3 * 3600);
	ck_assert_int_eq(cfg.queue_retry[3], 86400);
	ck_assert(cfg.queue_lifetime == 2 * 86400);
	ck_assert_int_eq(cfg.outbound_timeout, 3);
	ck_assert_int_eq(cfg.outbound_connect_timeout, 120);
	ck_assert_int_eq(cfg.outbound_tls, OUTBOUND_TLS_ENCRYPT);
	ck_assert_str_eq(cfg.relayhost, "[2001:db8::1]:465");
	ck_assert_int_eq(cfg.relayhost_tls, RELAYHOST_TLS_IMPLICIT);
	ck_assert_int_eq(cfg.relayhost_tls_verify, 0);
	ck_assert_int_eq(cfg.dkim_sign, 0);
	ck_assert_int_eq(parse("relayhost = smtp.provider.net:587\n", &cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.relayhost, "smtp.provider.net:587");
}
END_TEST

START_TEST(test_bad)
{
	struct config cfg;
	char err[256] = "";

	ck_assert_int_eq(parse(bad_configs[_i].text, &cfg, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, bad_configs[_i].expect) != NULL,
	    "config %d: error '%s' lacks '%s'", _i, err, bad_configs[_i].expect);
}
END_TEST

START_TEST(test_long_line_and_nul)
{
	struct config cfg;
	char err[256];
	char *big = malloc(10000);

	memset(big, 'a', 9999);
	big[9999] = '\0';
	ck_assert_int_eq(parse(big, &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:1: line too long"));
	free(big);
	ck_assert_int_eq(config_parse("a\0b = c\n", 8, "t.conf", &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
}
END_TEST

START_TEST(test_load_missing_file)
{
	struct config cfg;
	char err[256];

	ck_assert_int_eq(config_load("/nonexistent/posthorn.conf", &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/posthorn.conf"));
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("valid");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_contract_keys);
	suite_add_tcase(s, tc);
	tc = tcase_create("invalid");
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad_configs) / sizeof(bad_configs[0])));
	tcase_add_test(tc, test_outbound_keys);
	tcase_add_test(tc, test_long_line_and_nul);
	tcase_add_test(tc, test_load_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
