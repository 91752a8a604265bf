/*
 * check_pop3.c: unit tests for the pure parts of pop3d/: the command-line
 * parser, the RETR/TOP byte-stuffer (fed at every split point), UIDL
 * strings and the maildrop lock set. Sessions are tested over real sockets
 * in tests/integration/test_pop3.py.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "pop3_lock.h"
#include "pop3_output.h"
#include "pop3_parse.h"

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ parser */

struct parse_ok_case {
	const char	*line;
	const char	*verb;
	int		 argc;
	const char	*arg0;
	const char	*arg1;
};

static const struct parse_ok_case parse_ok_cases[] = {
	{ "USER alice@example.test", "USER", 1, "alice@example.test", NULL },
	{ "user alice", "USER", 1, "alice", NULL },
	{ "PASS secret", "PASS", 1, "secret", NULL },
	{ "PASS with  two spaces ", "PASS", 1, "with  two spaces ", NULL },
	{ "PASS  lead", "PASS", 1, " lead", NULL },
	{ "PASS", "PASS", 0, NULL, NULL },
	{ "PASS ", "PASS", 0, NULL, NULL },
	{ "PASS p\xc3\xa4ss", "PASS", 1, "p\xc3\xa4ss", NULL },
	{ "QUIT", "QUIT", 0, NULL, NULL },
	{ "quit", "QUIT", 0, NULL, NULL },
	{ "CAPA", "CAPA", 0, NULL, NULL },
	{ "STAT", "STAT", 0, NULL, NULL },
	{ "LIST", "LIST", 0, NULL, NULL },
	{ "LIST 1", "LIST", 1, "1", NULL },
	{ "LIST 1 ", "LIST", 1, "1", NULL },
	{ "UIDL", "UIDL", 0, NULL, NULL },
	{ "UIDL 42", "UIDL", 1, "42", NULL },
	{ "RETR 7", "RETR", 1, "7", NULL },
	{ "TOP 1 0", "TOP", 2, "1", "0" },
	{ "TOP  1   10  ", "TOP", 2, "1", "10" },
	{ "Top 3 5", "TOP", 2, "3", "5" },
	{ "DELE 2", "DELE", 1, "2", NULL },
	{ "RSET", "RSET", 0, NULL, NULL },
	{ "NOOP", "NOOP", 0, NULL, NULL },
	{ "  NOOP", "NOOP", 0, NULL, NULL },
	{ "APOP a b", "APOP", 2, "a", "b" },
	{ "STLS", "STLS", 0, NULL, NULL },
	{ "X", "X", 0, NULL, NULL },
	{ "USER j\xc3\xb6rg@example.test", "USER", 1, "j\xc3\xb6rg@example.test", NULL },
};

START_TEST(test_parse_ok)
{
	const struct parse_ok_case *tc = &parse_ok_cases[_i];
	struct pop3_request req;

	ck_assert_int_eq(pop3_parse(tc->line, strlen(tc->line), &req), POP3_PARSE_OK);
	ck_assert_str_eq(req.verb, tc->verb);
	ck_assert_int_eq(req.argc, tc->argc);
	if (tc->arg0 != NULL)
		ck_assert_str_eq(req.argv[0], tc->arg0);
	if (tc->arg1 != NULL)
		ck_assert_str_eq(req.argv[1], tc->arg1);
}
END_TEST

struct parse_bad_case {
	const char	*line;
	size_t		 len;		/* 0: strlen(line) */
	int		 result;
};

static const struct parse_bad_case parse_bad_cases[] = {
	{ "", 0, POP3_PARSE_EMPTY },
	{ "   ", 0, POP3_PARSE_EMPTY },
	{ "HELLO", 0, POP3_PARSE_BAD_VERB },
	{ "EHLO x", 0, POP3_PARSE_OK },		/* syntax fine; unknown to the table */
	{ "RE7R 1", 0, POP3_PARSE_BAD_VERB },
	{ "GET / HTTP/1.1", 0, POP3_PARSE_OK },
	{ "<html>", 0, POP3_PARSE_BAD_VERB },
	{ "LIST\t1", 0, POP3_PARSE_BAD_CHAR },
	{ "LIST 1\r", 0, POP3_PARSE_BAD_CHAR },
	{ "LI\x01T", 0, POP3_PARSE_BAD_CHAR },
	{ "LIST 1\0002", 8, POP3_PARSE_BAD_CHAR },
	{ "USER a\x7f", 0, POP3_PARSE_BAD_CHAR },
	{ "PASS a\tb", 0, POP3_PARSE_BAD_CHAR },
	{ "PASS a\000b", 8, POP3_PARSE_BAD_CHAR },
	{ "TOP 1 2 3", 0, POP3_PARSE_TOO_MANY_ARGS },
	{ "USER a b c d", 0, POP3_PARSE_TOO_MANY_ARGS },
	{ "\xc3\xa4", 0, POP3_PARSE_BAD_VERB },
};

START_TEST(test_parse_bad)
{
	const struct parse_bad_case *tc = &parse_bad_cases[_i];
	struct pop3_request req;
	size_t len = tc->len ? tc->len : strlen(tc->line);

	ck_assert_int_eq(pop3_parse(tc->line, len, &req), tc->result);
	ck_assert_ptr_nonnull(pop3_parse_strerror(tc->result));
}
END_TEST

START_TEST(test_parse_limits)
{
	char line[POP3_LINE_MAX + 16];
	struct pop3_request req;
	size_t len;

	/* 253 octets + CRLF = 255: the longest legal line (RFC 2449 4). */
	memcpy(line, "USER ", 5);
	memset(line + 5, 'a', sizeof(line) - 5);
	len = POP3_LINE_MAX - 2;
	ck_assert_int_eq(pop3_parse(line, len, &req), POP3_PARSE_OK);
	ck_assert_uint_eq(strlen(req.argv[0]), len - 5);
	ck_assert_int_eq(pop3_parse(line, len + 1, &req), POP3_PARSE_TOO_LONG);
	ck_assert_int_eq(pop3_parse(line, sizeof(line), &req), POP3_PARSE_TOO_LONG);
	/* The request is a copy: the caller's buffer may be reused. */
	ck_assert_int_eq(pop3_parse("TOP 1 2", 7, &req), POP3_PARSE_OK);
	ck_assert(req.argv[0] >= req.buf &&
	    req.argv[1] < req.buf + sizeof(req.buf));
}
END_TEST

struct number_case {
	const char	*s;
	uint64_t	 min, max;
	int		 ret;
	uint64_t	 val;
};

static const struct number_case number_cases[] = {
	{ "1", 1, UINT32_MAX, 0, 1 },
	{ "0", 1, UINT32_MAX, -1, 0 },
	{ "0", 0, UINT64_MAX, 0, 0 },
	{ "007", 1, UINT32_MAX, 0, 7 },
	{ "4294967295", 1, UINT32_MAX, 0, 4294967295u },
	{ "4294967296", 1, UINT32_MAX, -1, 0 },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, -1, 0 },
	{ "99999999999999999999999", 0, UINT64_MAX, -1, 0 },
	{ "", 0, UINT64_MAX, -1, 0 },
	{ "-1", 0, UINT64_MAX, -1, 0 },
	{ "+1", 0, UINT64_MAX, -1, 0 },
	{ "1a", 0, UINT64_MAX, -1, 0 },
	{ " 1", 0, UINT64_MAX, -1, 0 },
};

START_TEST(test_parse_number)
{
	const struct number_case *tc = &number_cases[_i];
	uint64_t v = 12345;

	ck_assert_int_eq(pop3_parse_number(tc->s, tc->min, tc->max, &v), tc->ret);
	if (tc->ret == 0)
		ck_assert_uint_eq(v, tc->val);
	else
		ck_assert_uint_eq(v, 12345);	/* untouched on error */
}
END_TEST

/* ------------------------------------------------------- byte-stuffing */

struct stuff_case {
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	uint64_t	 lines;		/* POP3_LINES_ALL for RETR */
	const char	*out;
	size_t		 outlen;	/* 0: strlen(out) */
};

#define HDR	"From: a@b\r\nSubject: s\r\n\r\n"

static const struct stuff_case stuff_cases[] = {
	/* plain message */
	{ HDR "body\r\n", 0, POP3_LINES_ALL, HDR "body\r\n.\r\n", 0 },
	/* empty message */
	{ "", 0, POP3_LINES_ALL, ".\r\n", 0 },
	/* a line starting with '.' is stuffed; in the middle it is not */
	{ HDR ".hidden\r\na.b\r\n.\r\n..\r\n", 0, POP3_LINES_ALL,
	  HDR "..hidden\r\na.b\r\n..\r\n...\r\n.\r\n", 0 },
	/* '.' as the very first byte */
	{ ".x\r\n", 0, POP3_LINES_ALL, "..x\r\n.\r\n", 0 },
	/* the last line lacks CRLF */
	{ HDR "no newline", 0, POP3_LINES_ALL, HDR "no newline\r\n.\r\n", 0 },
	{ HDR ".", 0, POP3_LINES_ALL, HDR "..\r\n.\r\n", 0 },
	/* ends in a bare CR */
	{ HDR "x\r", 0, POP3_LINES_ALL, HDR "x\r\n.\r\n", 0 },
	/* bare LF becomes CRLF, and a '.' after it is stuffed */
	{ "a\n.b\nc", 0, POP3_LINES_ALL, "a\r\n..b\r\nc\r\n.\r\n", 0 },
	/* a bare CR is data and does not start a line */
	{ "a\r.b\r\n", 0, POP3_LINES_ALL, "a\r.b\r\n.\r\n", 0 },
	{ "a\r\r\n", 0, POP3_LINES_ALL, "a\r\r\n.\r\n", 0 },
	/* NUL bytes never go out */
	{ "a\0b\r\n\0\r\n", 8, POP3_LINES_ALL, "a\x80" "b\r\n\x80\r\n.\r\n", 0 },
	/* an embedded terminator cannot end the response early */
	{ "x\r\n.\r\ny\r\n", 0, POP3_LINES_ALL, "x\r\n..\r\ny\r\n.\r\n", 0 },
	/* TOP n 0: the header and the empty line */
	{ HDR "b1\r\nb2\r\n", 0, 0, HDR ".\r\n", 0 },
	/* TOP n 1 */
	{ HDR "b1\r\nb2\r\n", 0, 1, HDR "b1\r\n.\r\n", 0 },
	/* TOP with more lines than the body has */
	{ HDR "b1\r\nb2\r\n", 0, 10, HDR "b1\r\nb2\r\n.\r\n", 0 },
	/* TOP: stuffing applies to the body lines sent */
	{ HDR ".b1\r\n.b2\r\n", 0, 1, HDR "..b1\r\n.\r\n", 0 },
	/* TOP: the last body line lacks CRLF */
	{ HDR "b1", 0, 3, HDR "b1\r\n.\r\n", 0 },
	/* TOP on a message without a body: all header lines */
	{ "A: 1\r\nB: 2", 0, 0, "A: 1\r\nB: 2\r\n.\r\n", 0 },
	/* TOP: a header line that only holds a bare CR is not the end */
	{ "A: 1\r\n\r\r\nB\r\n\r\nbody\r\n", 0, 0,
	  "A: 1\r\n\r\r\nB\r\n\r\n.\r\n", 0 },
	/* TOP with bare LF line ends */
	{ "A: 1\n\nb1\nb2\n", 0, 1, "A: 1\r\n\r\nb1\r\n.\r\n", 0 },
};

static char *
stuff_run(const struct stuff_case *tc, size_t split_every, size_t first,
    size_t *len_r)
{
	struct pop3_dotstuff ds;
	struct evbuffer *out = evbuffer_new();
	size_t inlen = tc->inlen ? tc->inlen : strlen(tc->in);
	size_t off = 0, n;
	char *res;

	ck_assert_ptr_nonnull(out);
	pop3_dotstuff_init(&ds, tc->lines);
	/* first chunk of `first` bytes, then chunks of split_every */
	n = first < inlen ? first : inlen;
	pop3_dotstuff_feed(&ds, tc->in, n, out);
	off = n;
	while (off < inlen) {
		n = inlen - off < split_every ? inlen - off : split_every;
		pop3_dotstuff_feed(&ds, tc->in + off, n, out);
		off += n;
	}
	pop3_dotstuff_finish(&ds, out);
	*len_r = evbuffer_get_length(out);
	res = malloc(*len_r + 1);
	ck_assert_ptr_nonnull(res);
	evbuffer_remove(out, res, *len_r);
	res[*len_r] = '\0';
	evbuffer_free(out);
	return res;
}

static void
stuff_check(const struct stuff_case *tc, size_t split_every, size_t first)
{
	size_t outlen = tc->outlen ? tc->outlen : strlen(tc->out), len;
	char *res = stuff_run(tc, split_every, first, &len);

	ck_assert_msg(len == outlen && memcmp(res, tc->out, len) == 0,
	    "case '%s' split %zu/%zu: got %zu bytes '%s'", tc->in, first,
	    split_every, len, res);
	ck_assert_ptr_null(memchr(res, '\0', len));
	free(res);
}

START_TEST(test_stuff_whole)
{
	stuff_check(&stuff_cases[_i], SIZE_MAX, SIZE_MAX);
}
END_TEST

/* Every two-chunk split and byte-at-a-time give the same bytes. */
START_TEST(test_stuff_splits)
{
	const struct stuff_case *tc = &stuff_cases[_i];
	size_t inlen = tc->inlen ? tc->inlen : strlen(tc->in), k;

	for (k = 0; k <= inlen; k++)
		stuff_check(tc, SIZE_MAX, k);
	stuff_check(tc, 1, 0);
	stuff_check(tc, 2, 1);
	stuff_check(tc, 3, 0);
}
END_TEST

/* A big message: output ends CRLF.CRLF exactly once, and only at the end. */
START_TEST(test_stuff_big)
{
	struct stuff_case tc = { NULL, 0, POP3_LINES_ALL, NULL, 0 };
	size_t n = 100000, i, len;
	char *in = malloc(n), *res;
	const char *pat = "\r\n.\r\n";

	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++)
		in[i] = pat[(i * 7) % 5];	/* lots of lines starting with '.' */
	tc.in = in;
	tc.inlen = n;
	res = stuff_run(&tc, 4096, 17, &len);
	ck_assert_uint_ge(len, 5);
	ck_assert_int_eq(memcmp(res + len - 5, "\r\n.\r\n", 5), 0);
	for (i = 0; i + 5 < len; i++)
		if (memcmp(res + i, "\r\n.\r\n", 5) == 0)
			ck_abort_msg("terminator inside the body at %zu", i);
	free(res);
	free(in);
}
END_TEST

START_TEST(test_stuff_done)
{
	struct pop3_dotstuff ds;
	struct evbuffer *out = evbuffer_new();
	static const char msg[] = HDR "b1\r\nb2\r\n";

	pop3_dotstuff_init(&ds, 0);
	ck_assert_int_eq(pop3_dotstuff_done(&ds), 0);
	pop3_dotstuff_feed(&ds, msg, sizeof(msg) - 1, out);
	ck_assert_int_eq(pop3_dotstuff_done(&ds), 1);
	evbuffer_free(out);
}
END_TEST

/* ---------------------------------------------------------------- UIDL */

struct uidl_case {
	uint32_t	 uidvalidity, uid;
	const char	*expect;
};

static const struct uidl_case uidl_cases[] = {
	{ 1, 1, "1.1" },
	{ 1700000000u, 42, "1700000000.42" },
	{ UINT32_MAX, UINT32_MAX, "4294967295.4294967295" },
};

START_TEST(test_uidl_format)
{
	const struct uidl_case *tc = &uidl_cases[_i];
	char buf[POP3_UIDL_MAX];
	size_t i;

	pop3_uidl_format(buf, sizeof(buf), tc->uidvalidity, tc->uid);
	ck_assert_str_eq(buf, tc->expect);
	/* RFC 1939 7: 1 to 70 characters in 0x21..0x7E. */
	ck_assert_uint_ge(strlen(buf), 1);
	ck_assert_uint_le(strlen(buf), 70);
	for (i = 0; buf[i] != '\0'; i++)
		ck_assert(buf[i] >= 0x21 && buf[i] <= 0x7e);
}
END_TEST

/* Different (uidvalidity, uid) pairs never give the same string. */
START_TEST(test_uidl_unique)
{
	char a[POP3_UIDL_MAX], b[POP3_UIDL_MAX];

	pop3_uidl_format(a, sizeof(a), 11, 1);
	pop3_uidl_format(b, sizeof(b), 1, 11);
	ck_assert_str_ne(a, b);
	pop3_uidl_format(a, sizeof(a), 1, 2);
	pop3_uidl_format(b, sizeof(b), 1, 3);
	ck_assert_str_ne(a, b);
}
END_TEST

/* --------------------------------------------------------------- locks */

START_TEST(test_lock)
{
	ck_assert_uint_eq(pop3_lock_count(), 0);
	ck_assert_int_eq(pop3_lock_acquire(7), 0);
	ck_assert_int_eq(pop3_lock_acquire(7), -1);	/* [IN-USE] */
	ck_assert_int_eq(pop3_lock_acquire(8), 0);
	ck_assert_uint_eq(pop3_lock_count(), 2);
	pop3_lock_release(7);
	ck_assert_int_eq(pop3_lock_acquire(7), 0);
	pop3_lock_release(7);
	pop3_lock_release(8);
	ck_assert_uint_eq(pop3_lock_count(), 0);
}
END_TEST

START_TEST(test_lock_many)
{
	uint64_t i;

	for (i = 1; i <= 1000; i++)
		ck_assert_int_eq(pop3_lock_acquire(i), 0);
	for (i = 1; i <= 1000; i++)
		ck_assert_int_eq(pop3_lock_acquire(i), -1);
	for (i = 1000; i >= 1; i--)
		pop3_lock_release(i);
	ck_assert_uint_eq(pop3_lock_count(), 0);
}
END_TEST

static Suite *
pop3_suite(void)
{
	Suite *s = suite_create("pop3");
	TCase *tc;

	tc = tcase_create("parse valid");
	tcase_add_loop_test(tc, test_parse_ok, 0, N_ELEMS(parse_ok_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse invalid");
	tcase_add_loop_test(tc, test_parse_bad, 0, N_ELEMS(parse_bad_cases));
	tcase_add_test(tc, test_parse_limits);
	tcase_add_loop_test(tc, test_parse_number, 0, N_ELEMS(number_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("byte-stuffing");
	tcase_add_loop_test(tc, test_stuff_whole, 0, N_ELEMS(stuff_cases));
	tcase_add_loop_test(tc, test_stuff_splits, 0, N_ELEMS(stuff_cases));
	tcase_add_test(tc, test_stuff_big);
	tcase_add_test(tc, test_stuff_done);
	suite_add_tcase(s, tc);

	tc = tcase_create("uidl");
	tcase_add_loop_test(tc, test_uidl_format, 0, N_ELEMS(uidl_cases));
	tcase_add_test(tc, test_uidl_unique);
	suite_add_tcase(s, tc);

	tc = tcase_create("lock");
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_lock_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pop3_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
