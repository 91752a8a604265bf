/*
 * check_smtp_client.c: the outbound SMTP client against a scripted server
 * (fake_smtpd.c) over real loopback sockets: greetings, EHLO/HELO and
 * extensions, reply parsing limits, pipelined and one-at-a-time
 * transactions with per-recipient results, dot-stuffing and CRLF,
 * SIZE/BODY/SMTPUTF8, STARTTLS/implicit TLS with and without
 * verification, AUTH, timeouts and reuse of a connection.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_smtpd.h"
#include "smtp_client.h"
#include "util.h"

static SSL_CTX	*server_ctx;
static char	 cert_dir[64] = "/tmp/check_smtpc.XXXXXX";
static char	 cert_path[128];

#define GREET		"S:220 mx.test ESMTP fake"
#define EHLO		"C=EHLO client.test"
#define EXT_ALL		"S:250-mx.test hello\r\n250-PIPELINING\r\n250-SIZE 100000\r\n" \
			"250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES"
#define EXT_NOPIPE	"S:250-mx.test hello\r\n250-SIZE\r\n250 8BITMIME"
#define EXT_NONE	"S:250 mx.test"
#define EXT_TLS		"S:250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS"
#define MSG		"Subject: t\r\n\r\nhi\r\n"

static const char *const rcpt1[] = { "b@remote.test" };
static const char *const rcpt3[] = { "b@remote.test", "c@remote.test", "d@remote.test" };

struct run {
	struct fake_smtpd	 f;
	struct smtpc		*c;
	struct smtpc_reply	 fail;
	int			 st;
};

static struct smtpc_options
opts(void)
{
	struct smtpc_options o = {
		.helo = "client.test", .server_name = "mx.test",
		.connect_timeout = 5, .command_timeout = 5, .data_timeout = 5,
		.tls = SMTPC_TLS_NONE, .ssl_ctx = NULL,
	};

	return o;
}

static struct smtpc_envelope
env1(const char *const *rcpts, size_t n)
{
	struct smtpc_envelope e = {
		.sender = "a@local.test", .rcpts = rcpts, .n_rcpts = n,
		.data = MSG, .len = sizeof(MSG) - 1,
	};

	return e;
}

static void
run_open(struct run *r, const char *const *script, const struct smtpc_options *o)
{
	struct sockaddr_storage ss;
	socklen_t len;

	fake_smtpd_start(&r->f, script, server_ctx);
	fake_smtpd_addr(&r->f, &ss, &len);
	r->c = NULL;
	r->st = smtpc_open(&r->c, (struct sockaddr *)&ss, len, o, &r->fail);
}

/* Close the client, let the server finish, check it saw what the script says. */
static void
run_end(struct run *r)
{
	smtpc_close(r->c);
	r->c = NULL;
	fake_smtpd_wait(&r->f);
	ck_assert_msg(r->f.error[0] == '\0', "server: %s", r->f.error);
}

static int
has(const struct run *r, const char *s)
{
	return strstr(r->f.transcript, s) != NULL;
}

/* ---- greeting, EHLO, HELO ---- */

static const struct {
	const char	*greeting;
	int		 status;
	int		 code;
	int		 quit;		/* the client still sends QUIT */
} greetings[] = {
	{ "S:220 mx.test ESMTP", SMTPC_OK, 0, 1 },
	{ "S:220-mx.test first\r\n220-second\r\n220 third", SMTPC_OK, 0, 1 },
	{ "S:421 4.3.2 too busy", SMTPC_TEMP, 421, 0 },
	{ "S:554 5.7.1 go away", SMTPC_PERM, 554, 1 },
	{ "S:hello there", SMTPC_TEMP, 0, 0 },
	{ "S:220-mx.test\r\n250 mixed codes", SMTPC_TEMP, 0, 0 },
	{ "S:220", SMTPC_OK, 0, 1 },
};

START_TEST(test_greeting)
{
	const char *script_ok[] = { greetings[_i].greeting, EHLO, EXT_ALL, "C=QUIT", "S:221 bye", NULL };
	const char *script_bad[] = { greetings[_i].greeting, NULL };
	struct smtpc_options o = opts();
	struct run r;

	run_open(&r, greetings[_i].status == SMTPC_OK ? script_ok : script_bad, &o);
	ck_assert_int_eq(r.st, greetings[_i].status);
	if (r.st != SMTPC_OK) {
		ck_assert_ptr_null(r.c);
		ck_assert_int_eq(r.fail.code, greetings[_i].code);
		if (r.fail.code != 0)
			ck_assert_int_eq(atoi(r.fail.text), r.fail.code);
		else
			ck_assert_msg(strstr(r.fail.text, "malformed") != NULL, "%s", r.fail.text);
	}
	run_end(&r);
	ck_assert_int_eq(has(&r, "QUIT\r\n"), greetings[_i].quit);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_greeting_text)
{
	const char *script[] = { "S:554-5.7.1 one\r\n554 5.7.1 two", NULL };
	struct smtpc_options o = opts();
	struct run r;

	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_PERM);
	ck_assert_str_eq(r.fail.text, "554 5.7.1 one 5.7.1 two");
	ck_assert_int_eq(r.fail.tls_failed, 0);
	run_end(&r);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_ehlo_extensions)
{
	const char *script[] = { GREET, EHLO,
		"S:250-mx.test\r\n250-pipelining\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n"
		"250-AUTH=PLAIN\r\n250-AUTH LOGIN CRAM-MD5\r\n250-X-UNKNOWN 1\r\n250 SMTPUTF8",
		NULL };
	struct smtpc_options o = opts();
	struct run r;

	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_OK);
	ck_assert_int_eq(smtpc_has_ext(r.c, "PIPELINING"), 1);
	ck_assert_int_eq(smtpc_has_ext(r.c, "size"), 1);
	ck_assert_int_eq(smtpc_has_ext(r.c, "8BITMIME"), 1);
	ck_assert_int_eq(smtpc_has_ext(r.c, "SMTPUTF8"), 1);
	ck_assert_int_eq(smtpc_has_ext(r.c, "AUTH"), 1);
	ck_assert_int_eq(smtpc_has_ext(r.c, "STARTTLS"), 0);
	ck_assert_int_eq(smtpc_has_ext(r.c, "CHUNKING"), 0);
	ck_assert_int_eq(smtpc_usable(r.c), 1);
	ck_assert_str_eq(smtpc_tls_info(r.c), "");
	run_end(&r);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_helo_fallback)
{
	const char *script[] = { GREET, EHLO, "S:502 5.5.1 what?", "C=HELO client.test",
		"S:250 mx.test", "C=MAIL FROM:<a@local.test>", "P", "S:250 ok",
		"C=RCPT TO:<b@remote.test>", "P", "S:250 ok", "C=DATA", "P", "S:354 go",
		"D", "S:250 queued", "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	struct run r;

	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_OK);
	ck_assert_int_eq(smtpc_has_ext(r.c, "PIPELINING"), 0);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	ck_assert_int_eq(reply.code, 250);
	run_end(&r);
	ck_assert_str_eq(r.f.data, MSG);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_ehlo_refused)
{
	const char *script[] = { GREET, EHLO, "S:550 5.7.1 not you", "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct run r;

	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_PERM);
	ck_assert_int_eq(r.fail.code, 550);
	run_end(&r);
	ck_assert(!has(&r, "HELO"));
	fake_smtpd_free(&r.f);
}
END_TEST

/* ---- reply parsing limits ---- */

START_TEST(test_reply_long_line)
{
	static char greeting[8192], refusal[4096];
	const char *script[] = { greeting, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C=DATA",
		refusal, "S:503 5.5.1 no mail", "S:503 5.5.1 no valid rcpt", "C=RSET",
		"S:250 ok", "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	struct run r;

	/* A 6000-byte greeting line is consumed and cut, the next line parsed. */
	memcpy(greeting, "S:220-", 6);
	memset(greeting + 6, 'x', 6000);
	memcpy(greeting + 6006, "\r\n220 ok", 9);
	memcpy(refusal, "S:550 5.7.1 ", 12);
	memset(refusal + 12, 'y', 2000);
	refusal[2012] = '\0';
	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_OK);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_PERM);
	ck_assert_int_eq(reply.code, 550);
	ck_assert_uint_eq(strlen(reply.text), SMTPC_REPLY_MAX - 1);
	ck_assert(strncmp(reply.text, "550 5.7.1 yyyy", 14) == 0);
	ck_assert_int_eq(rr[0].code, 550);
	ck_assert_int_eq(smtpc_usable(r.c), 1);
	run_end(&r);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_reply_too_many_lines)
{
	static char greeting[2048];
	const char *script[] = { greeting, NULL };
	struct smtpc_options o = opts();
	struct run r;
	int i;

	str_copy(greeting, "S:", sizeof(greeting));
	for (i = 0; i < 100; i++)
		str_append(greeting, "220-x\r\n", sizeof(greeting));
	str_append(greeting, "220 last", sizeof(greeting));
	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_TEMP);
	ck_assert_int_eq(r.fail.code, 0);
	ck_assert_msg(strstr(r.fail.text, "more than 100 lines") != NULL, "%s", r.fail.text);
	run_end(&r);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_reply_control_bytes)
{
	const char *script[] = { "R:554 bad\x01\x80text\r\n", NULL };
	struct smtpc_options o = opts();
	struct run r;

	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_PERM);
	ck_assert_str_eq(r.fail.text, "554 bad??text");
	run_end(&r);
	fake_smtpd_free(&r.f);
}
END_TEST

/* ---- transactions ---- */

START_TEST(test_pipelined_mix)
{
	/* No reply until DATA: a client that waits for MAIL's reply times out here. */
	const char *script[] = { GREET, EHLO, EXT_ALL,
		"C=MAIL FROM:<a@local.test> SIZE=18", "C=RCPT TO:<b@remote.test>",
		"C=RCPT TO:<c@remote.test>", "C=RCPT TO:<d@remote.test>", "C=DATA",
		"S:250 2.1.0 ok", "S:250 2.1.5 ok", "S:550 5.1.1 no such user",
		"S:451 4.3.0 try later", "S:354 go ahead", "D", "S:250 2.0.0 queued as X",
		"C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt3, 3);
	struct smtpc_reply rr[3], reply;
	struct run r;

	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_OK);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	ck_assert_int_eq(rr[0].code, 250);
	ck_assert_int_eq(rr[1].code, 550);
	ck_assert_str_eq(rr[1].text, "550 5.1.1 no such user");
	ck_assert_int_eq(rr[2].code, 451);
	ck_assert_str_eq(reply.text, "250 2.0.0 queued as X");
	run_end(&r);
	ck_assert_str_eq(r.f.data, MSG);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_unpipelined_mix)
{
	const char *script[] = { GREET, EHLO, EXT_NOPIPE,
		"C=MAIL FROM:<a@local.test> SIZE=18", "P", "S:250 ok",
		"C=RCPT TO:<b@remote.test>", "P", "S:451 4.7.1 greylisted",
		"C=RCPT TO:<c@remote.test>", "P", "S:250 ok",
		"C=RCPT TO:<d@remote.test>", "P", "S:550 5.1.1 unknown",
		"C=DATA", "P", "S:354 go", "D", "S:250 ok",
		"C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt3, 3);
	struct smtpc_reply rr[3], reply;
	struct run r;

	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_OK);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	ck_assert_int_eq(rr[0].code, 451);
	ck_assert_int_eq(rr[1].code, 250);
	ck_assert_int_eq(rr[2].code, 550);
	run_end(&r);
	fake_smtpd_free(&r.f);
}
END_TEST

/* Every RCPT refused, pipelined (DATA fails, RFC 2920) or not (no DATA). */
static const struct {
	int		 pipelined;
	const char	*reply1, *reply2;
	int		 status;
	int		 code;		/* reply_r */
} all_refused[] = {
	{ 1, "S:550 5.1.1 no", "S:550 5.1.1 neither", SMTPC_PERM, 550 },
	{ 1, "S:550 5.1.1 no", "S:452 4.2.2 full", SMTPC_TEMP, 452 },
	{ 0, "S:550 5.1.1 no", "S:553 5.1.3 bad", SMTPC_PERM, 550 },
	{ 0, "S:450 4.2.1 busy", "S:550 5.1.1 no", SMTPC_TEMP, 450 },
};

START_TEST(test_all_rcpts_refused)
{
	const char *pipe_script[] = { GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C:RCPT",
		"C=DATA", "S:250 ok", all_refused[_i].reply1, all_refused[_i].reply2,
		"S:554 5.5.1 no valid recipients", "C=RSET", "S:250 ok",
		/* the connection carries the next transaction */
		"C:MAIL", "C:RCPT", "C=DATA", "S:250 ok", "S:250 ok", "S:354 go", "D",
		"S:250 ok", "C=QUIT", "S:221 bye", NULL };
	const char *step_script[] = { GREET, EHLO, EXT_NOPIPE, "C:MAIL", "S:250 ok",
		"C:RCPT", all_refused[_i].reply1, "C:RCPT", all_refused[_i].reply2,
		"C=RSET", "S:250 ok", "C:MAIL", "S:250 ok", "C:RCPT", "S:250 ok",
		"C=DATA", "S:354 go", "D", "S:250 ok", "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt3, 2);
	struct smtpc_reply rr[2], reply;
	struct run r;

	run_open(&r, all_refused[_i].pipelined ? pipe_script : step_script, &o);
	ck_assert_int_eq(r.st, SMTPC_OK);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), all_refused[_i].status);
	ck_assert_int_eq(reply.code, all_refused[_i].code);
	ck_assert_int_eq(rr[0].code, atoi(all_refused[_i].reply1 + 2));
	ck_assert_int_eq(rr[1].code, atoi(all_refused[_i].reply2 + 2));
	ck_assert_int_eq(smtpc_usable(r.c), 1);
	e.n_rcpts = 1;
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	run_end(&r);
	ck_assert(!has(&r, "\r\n.\r\n"));	/* no message went out with the failed one */
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_mail_refused)
{
	const char *script[] = { GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C:RCPT", "C=DATA",
		"S:553 5.1.8 bad sender", "S:503 5.5.1 need MAIL", "S:503 5.5.1 need MAIL",
		"S:503 5.5.1 need RCPT", "C=RSET", "S:250 ok", "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt3, 2);
	struct smtpc_reply rr[2], reply;
	struct run r;

	run_open(&r, script, &o);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_PERM);
	ck_assert_str_eq(reply.text, "553 5.1.8 bad sender");
	ck_assert_int_eq(rr[0].code, 553);
	ck_assert_int_eq(rr[1].code, 553);
	run_end(&r);
	fake_smtpd_free(&r.f);
}
END_TEST

/* DATA refused, and the final "." answered 4xx/5xx. */
static const struct {
	const char	*data_reply;
	const char	*final_reply;	/* NULL: DATA refused */
	int		 status;
	int		 code;
} data_cases[] = {
	{ "S:554 5.3.0 no data today", NULL, SMTPC_PERM, 554 },
	{ "S:451 4.3.0 no data now", NULL, SMTPC_TEMP, 451 },
	{ "S:354 go", "S:451 4.3.0 local error", SMTPC_TEMP, 451 },
	{ "S:354 go", "S:554 5.7.1 spam", SMTPC_PERM, 554 },
	{ "S:354 go", "S:250-2.0.0 ok\r\n250 2.0.0 queued", SMTPC_OK, 250 },
};

START_TEST(test_data_replies)
{
	const char *refused[] = { GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C=DATA",
		"S:250 ok", "S:250 ok", data_cases[_i].data_reply, "C=RSET", "S:250 ok",
		"C=QUIT", "S:221 bye", NULL };
	const char *final[] = { GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C=DATA",
		"S:250 ok", "S:250 ok", data_cases[_i].data_reply, "D",
		data_cases[_i].final_reply, "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	struct run r;

	run_open(&r, data_cases[_i].final_reply == NULL ? refused : final, &o);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), data_cases[_i].status);
	ck_assert_int_eq(reply.code, data_cases[_i].code);
	ck_assert_int_eq(rr[0].code, 250);
	ck_assert_int_eq(smtpc_usable(r.c), 1);
	run_end(&r);
	if (data_cases[_i].final_reply == NULL)
		ck_assert(!has(&r, "RSET") || !has(&r, "\r\n.\r\n"));
	fake_smtpd_free(&r.f);
}
END_TEST

/* Dot-stuffing (RFC 5321 4.5.2) and CRLF line ends. */
static const struct {
	const char	*in;
	const char	*wire;
} stuffing[] = {
	{ "", "" },
	{ "a\r\n", "a\r\n" },
	{ "no final newline", "no final newline\r\n" },
	{ ".\r\n", "..\r\n" },
	{ ".hidden\r\n..two\r\nmid.dle\r\n", "..hidden\r\n...two\r\nmid.dle\r\n" },
	{ "bare\nlf\n.dot\n", "bare\r\nlf\r\n..dot\r\n" },
	{ "bare\rcr\r.dot", "bare\r\ncr\r\n..dot\r\n" },
	{ "x\r\n.", "x\r\n..\r\n" },
	{ "\r\n\r\n", "\r\n\r\n" },
};

START_TEST(test_dot_stuffing)
{
	const char *script[] = { GREET, EHLO, EXT_NONE, "C:MAIL", "S:250 ok", "C:RCPT",
		"S:250 ok", "C=DATA", "S:354 go", "D", "S:250 ok", "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	struct run r;

	e.data = stuffing[_i].in;
	e.len = strlen(stuffing[_i].in);
	run_open(&r, script, &o);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	run_end(&r);
	ck_assert_str_eq(r.f.data, stuffing[_i].wire);
	fake_smtpd_free(&r.f);
}
END_TEST

/* A big message crosses the 64 KiB write chunks; undo the stuffing and compare. */
START_TEST(test_big_message)
{
	const char *script[] = { GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C=DATA",
		"S:250 ok", "S:250 ok", "S:354 go", "D", "S:250 ok", "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	size_t size = 99000, i, j, n = 0;
	char *msg = xmalloc(size), *back;
	struct run r;

	for (i = 0; i < size; i++) {
		/* lines of 1..79 bytes, about a third starting with "." */
		msg[i] = (i % 79 == 78) ? '\n' : (i % 79 == 0 && i % 3 == 0) ? '.' : (char)('a' + i % 26);
	}
	msg[size - 1] = '\n';
	e.data = msg;
	e.len = size;
	run_open(&r, script, &o);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	run_end(&r);
	back = xmalloc(r.f.dlen + 1);
	for (i = 0; i < r.f.dlen; i++) {
		if ((i == 0 || r.f.data[i - 1] == '\n') && r.f.data[i] == '.')
			continue;	/* undo stuffing: first dot of a line */
		if (r.f.data[i] == '\r')
			continue;
		back[n++] = r.f.data[i];
	}
	ck_assert_uint_eq(n, size);
	ck_assert(memcmp(back, msg, size) == 0);
	for (i = j = 0; i < r.f.dlen; i++)
		if (r.f.data[i] == '\n')
			ck_assert(i > 0 && r.f.data[i - 1] == '\r');
	(void)j;
	free(back);
	free(msg);
	fake_smtpd_free(&r.f);
}
END_TEST

/* MAIL parameters only when offered; PERM when required and missing. */
static const struct {
	const char	*ext;
	int		 need_8bit, need_utf8;
	const char	*sender;
	int		 status;
	const char	*mail;		/* the MAIL command, or the PERM reason */
} params[] = {
	{ EXT_ALL, 0, 0, "a@local.test", SMTPC_OK, "MAIL FROM:<a@local.test> SIZE=18\r\n" },
	{ EXT_ALL, 1, 1, "a@local.test", SMTPC_OK,
	  "MAIL FROM:<a@local.test> SIZE=18 BODY=8BITMIME SMTPUTF8\r\n" },
	{ EXT_ALL, 0, 0, "\xc3\xa4@local.test", SMTPC_OK,
	  "MAIL FROM:<\xc3\xa4@local.test> SIZE=18 SMTPUTF8\r\n" },
	{ EXT_ALL, 0, 0, "", SMTPC_OK, "MAIL FROM:<> SIZE=18\r\n" },
	{ EXT_NONE, 0, 0, "a@local.test", SMTPC_OK, "MAIL FROM:<a@local.test>\r\n" },
	{ EXT_NONE, 1, 0, "a@local.test", SMTPC_PERM, "5.6.3 " },
	{ EXT_NONE, 0, 1, "a@local.test", SMTPC_PERM, "5.6.7 " },
	{ EXT_NONE, 0, 0, "\xc3\xa4@local.test", SMTPC_PERM, "5.6.7 " },
	{ "S:250-mx.test\r\n250 SIZE 10", 0, 0, "a@local.test", SMTPC_PERM, "5.3.4 " },
	{ EXT_ALL, 0, 0, "a@local.test\r\nRSET", SMTPC_PERM, "5.1.7 " },
};

START_TEST(test_mail_params)
{
	const char *ok[] = { GREET, EHLO, params[_i].ext, "C:MAIL", "S:250 ok", "C:RCPT",
		"S:250 ok", "C=DATA", "S:354 go", "D", "S:250 ok", "C=QUIT", "S:221 bye", NULL };
	const char *perm[] = { GREET, EHLO, params[_i].ext, "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	struct run r;

	e.sender = params[_i].sender;
	e.need_8bitmime = params[_i].need_8bit;
	e.need_smtputf8 = params[_i].need_utf8;
	run_open(&r, params[_i].status == SMTPC_OK ? ok : perm, &o);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), params[_i].status);
	if (params[_i].status == SMTPC_PERM) {
		ck_assert_int_eq(reply.code, 0);
		ck_assert_msg(strncmp(reply.text, params[_i].mail, 6) == 0, "%s", reply.text);
		ck_assert_str_eq(rr[0].text, reply.text);
		ck_assert_int_eq(smtpc_usable(r.c), 1);
	}
	run_end(&r);
	if (params[_i].status == SMTPC_OK)
		ck_assert_msg(has(&r, params[_i].mail), "%s", r.f.transcript);
	else
		ck_assert(!has(&r, "MAIL"));
	fake_smtpd_free(&r.f);
}
END_TEST

/* Many recipients, pipelined in several writes: each reply lands on its RCPT. */
START_TEST(test_many_rcpts)
{
	enum { NR = 600 };
	static char names[NR][48], replies[NR][32];
	const char *rcpts[NR], *script[2 * NR + 16];
	struct smtpc_options o = opts();
	struct smtpc_envelope e;
	struct smtpc_reply *rr = xcalloc(NR, sizeof(*rr)), reply;
	struct run r;
	size_t n = 0, i;

	script[n++] = GREET;
	script[n++] = EHLO;
	script[n++] = EXT_ALL;
	script[n++] = "C:MAIL";
	script[n++] = "S:250 ok";
	for (i = 0; i < NR; i++) {
		(void)str_format(names[i], sizeof(names[i]), "user%zu.with.a.long.name@remote.test", i);
		(void)str_format(replies[i], sizeof(replies[i]), "S:%s %zu",
		    i % 7 == 3 ? "550 5.1.1" : "250 2.1.5", i);
		rcpts[i] = names[i];
		script[n++] = "C:RCPT TO:<user";
		script[n++] = replies[i];
	}
	script[n++] = "C=DATA";
	script[n++] = "S:354 go";
	script[n++] = "D";
	script[n++] = "S:250 ok";
	script[n] = NULL;
	e = env1(rcpts, NR);
	run_open(&r, script, &o);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	for (i = 0; i < NR; i++) {
		ck_assert_int_eq(rr[i].code, i % 7 == 3 ? 550 : 250);
		ck_assert_uint_eq(strtoul(strrchr(rr[i].text, ' ') + 1, NULL, 10), i);
	}
	run_end(&r);
	free(rr);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_two_transactions)
{
	const char *script[] = { GREET, EHLO, EXT_ALL,
		"C=MAIL FROM:<a@local.test> SIZE=18", "C:RCPT", "C=DATA", "S:250 ok", "S:250 ok",
		"S:354 go", "D", "S:250 first",
		"C=MAIL FROM:<> SIZE=5", "C=RCPT TO:<b@remote.test>", "C=RCPT TO:<c@remote.test>",
		"C=DATA", "S:250 ok", "S:250 ok", "S:250 ok", "S:354 go", "D", "S:250 second",
		"C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[3], reply;
	struct run r;

	run_open(&r, script, &o);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	ck_assert_str_eq(reply.text, "250 first");
	e = env1(rcpt3, 2);
	e.sender = "";
	e.data = "x\r\n.\r\n";
	e.len = 5;
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	ck_assert_str_eq(reply.text, "250 second");
	ck_assert_int_eq(rr[1].code, 250);
	run_end(&r);
	ck_assert_str_eq(r.f.data, "x\r\n..\r\n");
	fake_smtpd_free(&r.f);
}
END_TEST

/* ---- failures of the connection ---- */

START_TEST(test_connect_refused)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct fake_smtpd f;
	const char *script[] = { NULL };
	struct smtpc_options o = opts();
	struct smtpc_reply fail;
	struct smtpc *c = NULL;
	int fd;

	/* A port nobody listens on: take one, close it. */
	fake_smtpd_start(&f, script, NULL);
	fake_smtpd_addr(&f, &ss, &len);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, len), 0);
	close(fd);
	fake_smtpd_wait(&f);
	fake_smtpd_free(&f);
	ck_assert_int_eq(smtpc_open(&c, (struct sockaddr *)&ss, len, &o, &fail), SMTPC_TEMP);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(fail.code, 0);
	ck_assert_msg(strstr(fail.text, "Connection refused") != NULL, "%s", fail.text);
}
END_TEST

/* The server goes silent at a stage: TEMP within the timeout plus 1 s. */
static const struct {
	const char	*script[12];
	int		 at_open;
	const char	*what;
} silent[] = {
	{ { "Z:3000", NULL }, 1, "greeting" },
	{ { GREET, EHLO, "Z:3000", NULL }, 1, "EHLO" },
	{ { GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C=DATA", "Z:3000", NULL }, 0, "MAIL FROM" },
	{ { GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C=DATA", "S:250 ok\r\n250 ok\r\n354 go",
	    "D", "Z:3000", NULL }, 0, "end of data" },
	{ { GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C=DATA", "S:250 ok\r\n250-ok", "Z:3000",
	    NULL }, 0, "RCPT TO" },
};

START_TEST(test_timeouts)
{
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	struct run r;
	uint64_t t0;

	o.command_timeout = 1;
	o.data_timeout = 1;
	t0 = time_monotonic_ms();
	run_open(&r, silent[_i].script, &o);
	if (silent[_i].at_open) {
		ck_assert_int_eq(r.st, SMTPC_TEMP);
		reply = r.fail;
	} else {
		ck_assert_int_eq(r.st, SMTPC_OK);
		t0 = time_monotonic_ms();
		ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_TEMP);
		ck_assert_int_eq(smtpc_usable(r.c), 0);
	}
	ck_assert_uint_lt(time_monotonic_ms() - t0, 2000);
	ck_assert_int_eq(reply.code, 0);
	ck_assert_msg(strstr(reply.text, "timed out") != NULL &&
	    strstr(reply.text, silent[_i].what) != NULL, "%s", reply.text);
	run_end(&r);
	ck_assert(!has(&r, "QUIT"));	/* an unusable connection just closes */
	fake_smtpd_free(&r.f);
}
END_TEST

/*
 * A server that stops reading: the message write gives up after the
 * timeout. (The client's FIN cannot pass the full window, so the server
 * sleeps its whole Z.)
 */
START_TEST(test_write_timeout)
{
	const char *script[] = { GREET, EHLO, EXT_NONE, "C:MAIL", "S:250 ok", "C:RCPT",
		"S:250 ok", "C=DATA", "S:354 go", "Z:2500", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	size_t size = 32 * 1024 * 1024;
	char *msg = xmalloc(size);
	struct run r;
	uint64_t t0;

	memset(msg, 'x', size);
	e.data = msg;
	e.len = size;
	o.command_timeout = 1;
	run_open(&r, script, &o);
	ck_assert_int_eq(r.st, SMTPC_OK);
	t0 = time_monotonic_ms();
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_TEMP);
	ck_assert_uint_lt(time_monotonic_ms() - t0, 2500);
	ck_assert_msg(strstr(reply.text, "timed out sending the message") != NULL, "%s", reply.text);
	ck_assert_int_eq(smtpc_usable(r.c), 0);
	run_end(&r);
	free(msg);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_lost_and_421)
{
	const char *lost[] = { GREET, EHLO, EXT_NOPIPE, "C:MAIL", "S:250 ok", "C:RCPT", "X", NULL };
	const char *closing[] = { GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C=DATA", "S:250 ok",
		"S:421 4.4.2 shutting down", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	struct run r;

	run_open(&r, _i == 0 ? lost : closing, &o);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_TEMP);
	ck_assert_int_eq(smtpc_usable(r.c), 0);
	if (_i == 0)
		ck_assert_msg(strstr(reply.text, "connection closed") != NULL, "%s", reply.text);
	else
		ck_assert_str_eq(reply.text, "421 4.4.2 shutting down");
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_TEMP);
	run_end(&r);
	fake_smtpd_free(&r.f);
}
END_TEST

/* ---- TLS ---- */

static SSL_CTX *
client_ctx(void)
{
	char err[256];
	SSL_CTX *ctx = smtpc_tls_ctx_new(cert_path, err, sizeof(err));

	ck_assert_msg(ctx != NULL, "%s", err);
	return ctx;
}

static const struct {
	int		 tls;
	int		 verify;
	const char	*server_name;
	const char	*ext;
	int		 status;	/* of smtpc_open */
	int		 handshake;	/* the server gets STARTTLS and the handshake */
	const char	*reason;
} tls_cases[] = {
	{ SMTPC_TLS_MAY, 0, "other.test", EXT_TLS, SMTPC_OK, 1, NULL },
	{ SMTPC_TLS_REQUIRE, 1, "mx.test", EXT_TLS, SMTPC_OK, 1, NULL },
	{ SMTPC_TLS_REQUIRE, 1, "127.0.0.1", EXT_TLS, SMTPC_OK, 1, NULL },
	{ SMTPC_TLS_MAY, 1, "other.test", EXT_TLS, SMTPC_TEMP, 1, "certificate verification failed" },
	{ SMTPC_TLS_REQUIRE, 1, "127.0.0.2", EXT_TLS, SMTPC_TEMP, 1, "certificate verification failed" },
	{ SMTPC_TLS_REQUIRE, 0, "mx.test", EXT_ALL, SMTPC_TEMP, 0, "does not offer STARTTLS" },
	{ SMTPC_TLS_MAY, 0, "mx.test", EXT_ALL, SMTPC_OK, 0, NULL },
	{ SMTPC_TLS_NONE, 0, "mx.test", EXT_TLS, SMTPC_OK, 0, NULL },
};

START_TEST(test_starttls)
{
	/* Only PIPELINING after TLS: the earlier list must be forgotten. */
	const char *tls_script[] = { GREET, EHLO, tls_cases[_i].ext, "C=STARTTLS",
		"S:220 2.0.0 go ahead", "T", EHLO, "S:250-mx.test\r\n250 PIPELINING",
		"C=QUIT", "S:221 bye", NULL };
	const char *tls_fail_script[] = { GREET, EHLO, tls_cases[_i].ext, "C=STARTTLS",
		"S:220 2.0.0 go ahead", "T", NULL };
	const char *plain_script[] = { GREET, EHLO, tls_cases[_i].ext, "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct run r;

	o.tls = tls_cases[_i].tls;
	o.tls_verify = tls_cases[_i].verify;
	o.server_name = tls_cases[_i].server_name;
	o.ssl_ctx = client_ctx();
	run_open(&r, !tls_cases[_i].handshake ? plain_script :
	    tls_cases[_i].status == SMTPC_OK ? tls_script : tls_fail_script, &o);
	ck_assert_msg(r.st == tls_cases[_i].status, "%d %s", r.st, r.fail.text);
	if (r.st == SMTPC_OK) {
		ck_assert_int_eq(smtpc_has_ext(r.c, "STARTTLS"), !tls_cases[_i].handshake &&
		    strstr(tls_cases[_i].ext, "STARTTLS") != NULL);
		ck_assert_int_eq(smtpc_has_ext(r.c, "PIPELINING"), 1);
		ck_assert_int_eq(smtpc_has_ext(r.c, "SIZE"), !tls_cases[_i].handshake &&
		    strstr(tls_cases[_i].ext, "SIZE") != NULL);
		if (tls_cases[_i].handshake)
			ck_assert_msg(strncmp(smtpc_tls_info(r.c), "TLSv1.", 6) == 0, "%s",
			    smtpc_tls_info(r.c));
		else
			ck_assert_str_eq(smtpc_tls_info(r.c), "");
	} else {
		ck_assert_int_eq(r.fail.tls_failed, 1);
		ck_assert_msg(strstr(r.fail.text, tls_cases[_i].reason) != NULL, "%s", r.fail.text);
	}
	smtpc_close(r.c);
	r.c = NULL;
	fake_smtpd_wait(&r.f);
	/* A refused certificate also fails the server's handshake. */
	if (tls_cases[_i].status == SMTPC_OK || !tls_cases[_i].handshake)
		ck_assert_msg(r.f.error[0] == '\0', "server: %s", r.f.error);
	ck_assert_int_eq(strstr(r.f.transcript, "STARTTLS") != NULL, tls_cases[_i].handshake);
	SSL_CTX_free(o.ssl_ctx);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_starttls_failures)
{
	/* 0: not TLS after 220; 1: declined 454 under MAY goes on in plaintext;
	   2: declined under REQUIRE; 3: plaintext injected after 220. */
	const char *garbage[] = { GREET, EHLO, EXT_TLS, "C=STARTTLS", "S:220 go",
		"S:this is not TLS at all, sorry", NULL };
	const char *declined[] = { GREET, EHLO, EXT_TLS, "C=STARTTLS", "S:454 4.7.0 no TLS today",
		"C=QUIT", "S:221 bye", NULL };
	const char *declined_req[] = { GREET, EHLO, EXT_TLS, "C=STARTTLS", "S:454 4.7.0 no TLS",
		"C=QUIT", "S:221 bye", NULL };
	const char *inject[] = { GREET, EHLO, EXT_TLS, "C=STARTTLS",
		"R:220 go\r\n250 injected\r\n", NULL };
	const char *const *scripts[] = { garbage, declined, declined_req, inject };
	static const int status[] = { SMTPC_TEMP, SMTPC_OK, SMTPC_TEMP, SMTPC_TEMP };
	struct smtpc_options o = opts();
	struct run r;

	o.tls = _i == 2 ? SMTPC_TLS_REQUIRE : SMTPC_TLS_MAY;
	o.ssl_ctx = client_ctx();
	run_open(&r, scripts[_i], &o);
	ck_assert_msg(r.st == status[_i], "%s", r.fail.text);
	if (r.st != SMTPC_OK) {
		ck_assert_int_eq(r.fail.tls_failed, 1);
		ck_assert_ptr_null(r.c);
	} else
		ck_assert_str_eq(smtpc_tls_info(r.c), "");
	run_end(&r);
	SSL_CTX_free(o.ssl_ctx);
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_implicit_tls)
{
	const char *script[] = { "T", GREET, EHLO, EXT_ALL, "C:MAIL", "C:RCPT", "C=DATA",
		"S:250 ok", "S:250 ok", "S:354 go", "D", "S:250 ok", "C=QUIT", "S:221 bye", NULL };
	struct smtpc_options o = opts();
	struct smtpc_envelope e = env1(rcpt1, 1);
	struct smtpc_reply rr[1], reply;
	struct run r;

	o.tls = SMTPC_TLS_IMPLICIT;
	o.tls_verify = 1;
	o.ssl_ctx = client_ctx();
	run_open(&r, script, &o);
	ck_assert_msg(r.st == SMTPC_OK, "%s", r.fail.text);
	ck_assert(strncmp(smtpc_tls_info(r.c), "TLSv1.", 6) == 0);
	ck_assert_int_eq(smtpc_send(r.c, &e, rr, &reply), SMTPC_OK);
	run_end(&r);
	ck_assert_str_eq(r.f.data, MSG);
	SSL_CTX_free(o.ssl_ctx);
	fake_smtpd_free(&r.f);
}
END_TEST

/* ---- AUTH (RFC 4954) ---- */

static const struct {
	const char	*script[16];
	int		 tls;
	int		 status;
	int		 code;
	const char	*reason;
} auth_cases[] = {
	/* PLAIN with an initial response: base64("\0user\0pass") */
	{ { GREET, EHLO, "S:250-mx.test\r\n250 AUTH LOGIN PLAIN", "C=AUTH PLAIN AHVzZXIAcGFzcw==",
	    "S:235 2.7.0 ok", "C=QUIT", "S:221 bye", NULL }, SMTPC_TLS_NONE, SMTPC_OK, 0, NULL },
	{ { GREET, EHLO, "S:250-mx.test\r\n250 AUTH LOGIN", "C=AUTH LOGIN", "S:334 VXNlcm5hbWU6",
	    "C=dXNlcg==", "S:334 UGFzc3dvcmQ6", "C=cGFzcw==", "S:235 2.7.0 ok", "C=QUIT",
	    "S:221 bye", NULL }, SMTPC_TLS_NONE, SMTPC_OK, 0, NULL },
	{ { GREET, EHLO, "S:250-mx.test\r\n250 AUTH PLAIN", "C=AUTH PLAIN AHVzZXIAcGFzcw==",
	    "S:535 5.7.8 bad credentials", "C=QUIT", "S:221 bye", NULL }, SMTPC_TLS_NONE,
	  SMTPC_TEMP, 535, "535 5.7.8 bad credentials" },
	{ { GREET, EHLO, "S:250-mx.test\r\n250 AUTH LOGIN", "C=AUTH LOGIN", "S:334 VXNlcm5hbWU6",
	    "C=dXNlcg==", "S:535 5.7.8 no such user", "C=QUIT", "S:221 bye", NULL },
	  SMTPC_TLS_NONE, SMTPC_TEMP, 535, "no such user" },
	{ { GREET, EHLO, "S:250 mx.test", "C=QUIT", "S:221 bye", NULL }, SMTPC_TLS_NONE,
	  SMTPC_TEMP, 0, "does not offer AUTH" },
	{ { GREET, EHLO, "S:250-mx.test\r\n250 AUTH CRAM-MD5", "C=QUIT", "S:221 bye", NULL },
	  SMTPC_TLS_NONE, SMTPC_TEMP, 0, "no AUTH mechanism" },
	/* MAY without STARTTLS offered: the password stays home */
	{ { GREET, EHLO, "S:250-mx.test\r\n250 AUTH PLAIN", "C=QUIT", "S:221 bye", NULL },
	  SMTPC_TLS_MAY, SMTPC_TEMP, 0, "without TLS" },
	/* over STARTTLS */
	{ { GREET, EHLO, "S:250-mx.test\r\n250 STARTTLS", "C=STARTTLS", "S:220 go", "T", EHLO,
	    "S:250-mx.test\r\n250 AUTH PLAIN LOGIN", "C=AUTH PLAIN AHVzZXIAcGFzcw==",
	    "S:235 ok", "C=QUIT", "S:221 bye", NULL }, SMTPC_TLS_REQUIRE, SMTPC_OK, 0, NULL },
};

START_TEST(test_auth)
{
	struct smtpc_options o = opts();
	struct run r;

	o.tls = auth_cases[_i].tls;
	o.ssl_ctx = o.tls != SMTPC_TLS_NONE ? client_ctx() : NULL;
	o.auth_user = "user";
	o.auth_password = "pass";
	run_open(&r, auth_cases[_i].script, &o);
	ck_assert_msg(r.st == auth_cases[_i].status, "%s", r.fail.text);
	if (r.st != SMTPC_OK) {
		ck_assert_int_eq(r.fail.code, auth_cases[_i].code);
		ck_assert_msg(strstr(r.fail.text, auth_cases[_i].reason) != NULL, "%s", r.fail.text);
	}
	run_end(&r);
	if (r.st != SMTPC_OK && auth_cases[_i].code == 0)
		ck_assert(!has(&r, "AUTH"));
	if (o.ssl_ctx != NULL)
		SSL_CTX_free(o.ssl_ctx);
	fake_smtpd_free(&r.f);
}
END_TEST

/* TLS asked for without a client context: refused before STARTTLS is sent. */
START_TEST(test_tls_no_ctx)
{
	const char *starttls[] = { GREET, EHLO, EXT_TLS, "C=QUIT", "S:221 bye", NULL };
	const char *implicit[] = { NULL };
	struct smtpc_options o = opts();
	struct run r;

	o.tls = _i == 0 ? SMTPC_TLS_REQUIRE : SMTPC_TLS_IMPLICIT;
	run_open(&r, _i == 0 ? starttls : implicit, &o);
	ck_assert_int_eq(r.st, SMTPC_TEMP);
	ck_assert_int_eq(r.fail.tls_failed, 1);
	ck_assert_msg(strstr(r.fail.text, "no TLS client context") != NULL, "%s", r.fail.text);
	run_end(&r);
	ck_assert(!has(&r, "STARTTLS"));
	fake_smtpd_free(&r.f);
}
END_TEST

START_TEST(test_tls_ctx_bad_ca)
{
	char err[256];

	ck_assert_ptr_null(smtpc_tls_ctx_new("/nonexistent/ca.pem", err, sizeof(err)));
	ck_assert_msg(strstr(err, "/nonexistent/ca.pem") != NULL, "%s", err);
}
END_TEST

static Suite *
smtp_client_suite(void)
{
	Suite *s = suite_create("smtp_client");
	TCase *tc;

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
	tc = tcase_create("session");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_greeting, 0, N(greetings));
	tcase_add_test(tc, test_greeting_text);
	tcase_add_test(tc, test_ehlo_extensions);
	tcase_add_test(tc, test_helo_fallback);
	tcase_add_test(tc, test_ehlo_refused);
	tcase_add_test(tc, test_connect_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("replies");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_reply_long_line);
	tcase_add_test(tc, test_reply_too_many_lines);
	tcase_add_test(tc, test_reply_control_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("transaction");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_pipelined_mix);
	tcase_add_test(tc, test_unpipelined_mix);
	tcase_add_loop_test(tc, test_all_rcpts_refused, 0, N(all_refused));
	tcase_add_test(tc, test_mail_refused);
	tcase_add_loop_test(tc, test_data_replies, 0, N(data_cases));
	tcase_add_loop_test(tc, test_dot_stuffing, 0, N(stuffing));
	tcase_add_test(tc, test_big_message);
	tcase_add_loop_test(tc, test_mail_params, 0, N(params));
	tcase_add_test(tc, test_many_rcpts);
	tcase_add_test(tc, test_two_transactions);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_timeouts, 0, N(silent));
	tcase_add_test(tc, test_write_timeout);
	tcase_add_loop_test(tc, test_lost_and_421, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_starttls, 0, N(tls_cases));
	tcase_add_loop_test(tc, test_starttls_failures, 0, 4);
	tcase_add_test(tc, test_implicit_tls);
	tcase_add_loop_test(tc, test_tls_no_ctx, 0, 2);
	tcase_add_test(tc, test_tls_ctx_bad_ca);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_auth, 0, N(auth_cases));
	suite_add_tcase(s, tc);
#undef N
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	/* OpenSSL writes with write(2): a peer that closed must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(cert_dir) == NULL)
		return 1;
	(void)str_format(cert_path, sizeof(cert_path), "%s/cert.pem", cert_dir);
	server_ctx = fake_tls_server_ctx(cert_path);
	sr = srunner_create(smtp_client_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	SSL_CTX_free(server_ctx);
	unlink(cert_path);
	rmdir(cert_dir);
	return failed == 0 ? 0 : 1;
}
