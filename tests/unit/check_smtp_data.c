/*
 * check_smtp_data.c: unit tests for smtpd/smtp_data.c, the DATA/BDAT
 * content decoder: end of data, dot-unstuffing, bare CR/LF normalization,
 * SMTP smuggling inputs (CVE-2023-51764), the size limit, BDAT chunks.
 *
 * Every input is decoded whole, byte by byte, and split at every pair of
 * points (three pieces); all must give the same message, the same end
 * point and the same counters.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"

struct result {
	struct smtp_buf	 out;
	size_t		 consumed;
	int		 done;
	int		 overflow;
	uint64_t	 size;
	uint64_t	 bare_lf;
	uint64_t	 bare_cr;
};

/* Feed in[0..len) as the pieces [0,a) [a,b) [b,len); like a socket would. */
static void
decode_split(const char *in, size_t len, size_t a, size_t b, uint64_t max,
    struct result *r)
{
	struct smtp_data	 d;
	size_t			 cuts[3] = { a, b, len }, start = 0, i, used;

	memset(r, 0, sizeof(*r));
	smtp_data_init(&d, &r->out, max);
	for (i = 0; i < 3; i++) {
		used = smtp_data_feed(&d, in + start, cuts[i] - start);
		r->consumed += used;
		if (d.done)
			break;
		ck_assert_uint_eq(used, cuts[i] - start);
		start = cuts[i];
	}
	r->done = d.done;
	r->overflow = d.overflow;
	r->size = d.size;
	r->bare_lf = d.bare_lf;
	r->bare_cr = d.bare_cr;
}

static void
decode_bytewise(const char *in, size_t len, uint64_t max, struct result *r)
{
	struct smtp_data	 d;
	size_t			 i;

	memset(r, 0, sizeof(*r));
	smtp_data_init(&d, &r->out, max);
	for (i = 0; i < len && !d.done; i++)
		r->consumed += smtp_data_feed(&d, in + i, 1);
	r->done = d.done;
	r->overflow = d.overflow;
	r->size = d.size;
	r->bare_lf = d.bare_lf;
	r->bare_cr = d.bare_cr;
}

static void
assert_same(const struct result *want, const struct result *got, size_t a, size_t b)
{
	ck_assert_msg(got->out.len == want->out.len && (want->out.len == 0 ||
	    memcmp(got->out.data, want->out.data, want->out.len) == 0),
	    "split %zu/%zu: output differs", a, b);
	ck_assert_msg(got->consumed == want->consumed, "split %zu/%zu: consumed %zu want %zu",
	    a, b, got->consumed, want->consumed);
	ck_assert_int_eq(got->done, want->done);
	ck_assert_int_eq(got->overflow, want->overflow);
	ck_assert_uint_eq(got->size, want->size);
	ck_assert_uint_eq(got->bare_lf, want->bare_lf);
	ck_assert_uint_eq(got->bare_cr, want->bare_cr);
}

/* Decode whole, byte by byte and at every pair of split points; all agree. */
static void
decode_everywhere(const char *in, size_t len, uint64_t max, struct result *whole)
{
	struct result	 r;
	size_t		 a, b;

	decode_split(in, len, len, len, max, whole);
	decode_bytewise(in, len, max, &r);
	assert_same(whole, &r, 1, 1);
	smtp_buf_free(&r.out);
	for (a = 0; a <= len; a++) {
		for (b = a; b <= len; b++) {
			decode_split(in, len, a, b, max, &r);
			assert_same(whole, &r, a, b);
			smtp_buf_free(&r.out);
		}
	}
}

#define S(lit)	lit, sizeof(lit) - 1
#define ALL	SIZE_MAX	/* consumed everything */

static const struct {
	const char	*in;
	size_t		 len;
	const char	*out;
	size_t		 outlen;
	int		 done;
	size_t		 consumed;	/* when done */
	unsigned	 bare_lf, bare_cr;
} data_cases[] = {
	/* plain messages */
	{ S("Subject: x\r\n\r\nbody\r\n.\r\n"), S("Subject: x\r\n\r\nbody\r\n"), 1, ALL, 0, 0 },
	{ S(".\r\n"), S(""), 1, ALL, 0, 0 },
	{ S("\r\n.\r\n"), S("\r\n"), 1, ALL, 0, 0 },
	{ S("a\r\n.\r\nMAIL FROM:<x@y>\r\n"), S("a\r\n"), 1, 6, 0, 0 },
	{ S("a\r\n.\r\n.\r\n"), S("a\r\n"), 1, 6, 0, 0 },
	/* dot-unstuffing (RFC 5321 4.5.2) */
	{ S("..x\r\n.\r\n"), S(".x\r\n"), 1, ALL, 0, 0 },
	{ S("a\r\n..\r\n.\r\n"), S("a\r\n.\r\n"), 1, ALL, 0, 0 },
	{ S("a\r\n...\r\n.\r\n"), S("a\r\n..\r\n"), 1, ALL, 0, 0 },
	{ S("a\r\n.b.\r\n.\r\n"), S("a\r\nb.\r\n"), 1, ALL, 0, 0 },
	{ S("a.\r\nb..\r\n.\r\n"), S("a.\r\nb..\r\n"), 1, ALL, 0, 0 },
	/* smuggling: none of these is an end of data (CVE-2023-51764) */
	{ S("a\n.\nb\r\n.\r\n"), S("a\r\n.\r\nb\r\n"), 1, ALL, 2, 0 },
	{ S("a\r.\rb\r\n.\r\n"), S("a\r\n.\r\nb\r\n"), 1, ALL, 0, 2 },
	{ S("a\n.\r\nb\r\n.\r\n"), S("a\r\n.\r\nb\r\n"), 1, ALL, 1, 0 },
	{ S("a\r\n.\nb\r\n.\r\n"), S("a\r\n.\r\nb\r\n"), 1, ALL, 1, 0 },
	{ S("a\r\n.\rb\r\n.\r\n"), S("a\r\n.\r\nb\r\n"), 1, ALL, 0, 1 },
	{ S("a\r\n.\r\r\n.\r\n"), S("a\r\n.\r\n\r\n"), 1, ALL, 0, 1 },
	{ S("x\r\n\n.\r\nMAIL FROM:<e@vil>\r\n.\r\n"),
	    S("x\r\n\r\n.\r\nMAIL FROM:<e@vil>\r\n"), 1, ALL, 1, 0 },
	{ S("x\n\n.\n\nMAIL\r\n.\r\n"), S("x\r\n\r\n.\r\n\r\nMAIL\r\n"), 1, ALL, 4, 0 },
	{ S("a\n.\n"), S("a\r\n.\r\n"), 0, 0, 2, 0 },
	{ S("a\r.\r"), S("a\r\n."), 0, 0, 0, 1 },
	{ S("a\n.\r\n"), S("a\r\n.\r\n"), 0, 0, 1, 0 },
	{ S("a\r\n.\n"), S("a\r\n.\r\n"), 0, 0, 1, 0 },
	{ S("a\r\n.\r"), S("a\r\n"), 0, 0, 0, 0 },
	{ S("a\r\n."), S("a\r\n"), 0, 0, 0, 0 },
	{ S("\n.\n"), S("\r\n.\r\n"), 0, 0, 2, 0 },
	{ S("\r.\r"), S("\r\n."), 0, 0, 0, 1 },
	/* bare CR / LF normalization */
	{ S("a\r\r\n.\r\n"), S("a\r\n\r\n"), 1, ALL, 0, 1 },
	{ S("a\n\n.\r\n"), S("a\r\n\r\n.\r\n"), 0, 0, 2, 0 },
	{ S("l1\nl2\rl3\r\n.\r\n"), S("l1\r\nl2\r\nl3\r\n"), 1, ALL, 1, 1 },
	{ S("\n..x\r\n.\r\n"), S("\r\n..x\r\n"), 1, ALL, 1, 0 },
	/* binary octets pass through */
	{ S("\0bin\xff\x80\r\n.\r\n"), S("\0bin\xff\x80\r\n"), 1, ALL, 0, 0 },
	{ S("8bit \xc3\xa9t\xc3\xa9\r\n.\r\n"), S("8bit \xc3\xa9t\xc3\xa9\r\n"), 1, ALL, 0, 0 },
};

START_TEST(test_data_cases)
{
	struct result	 r;

	decode_everywhere(data_cases[_i].in, data_cases[_i].len, 0, &r);
	ck_assert_msg(r.out.len == data_cases[_i].outlen &&
	    memcmp(r.out.data ? r.out.data : "", data_cases[_i].out, r.out.len) == 0,
	    "case %d: output %.*s", _i, (int)r.out.len, r.out.data ? r.out.data : "");
	ck_assert_int_eq(r.done, data_cases[_i].done);
	if (data_cases[_i].done && data_cases[_i].consumed != ALL)
		ck_assert_uint_eq(r.consumed, data_cases[_i].consumed);
	else
		ck_assert_uint_eq(r.consumed, data_cases[_i].len);
	ck_assert_uint_eq(r.bare_lf, data_cases[_i].bare_lf);
	ck_assert_uint_eq(r.bare_cr, data_cases[_i].bare_cr);
	ck_assert_uint_eq(r.size, data_cases[_i].outlen);
	ck_assert_int_eq(r.overflow, 0);
	smtp_buf_free(&r.out);
}
END_TEST

/* Each smuggling sequence, inside a message, must not end it. */
static const char *const smuggle[] = {
	"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r", "\n.\r",
	"\r\n.\r\r\n", "\r\n. \r\n",
};

START_TEST(test_smuggling)
{
	char		 msg[128];
	struct result	 r;
	int		 n;

	n = snprintf(msg, sizeof(msg), "Subject: a%sMAIL FROM:<evil@x>\r\nmore", smuggle[_i]);
	decode_everywhere(msg, (size_t)n, 0, &r);
	ck_assert_int_eq(r.done, 0);
	ck_assert_uint_eq(r.consumed, (size_t)n);
	smtp_buf_free(&r.out);

	/* and the real end after it still works */
	n = snprintf(msg, sizeof(msg), "a%sb\r\n.\r\nQUIT\r\n", smuggle[_i]);
	decode_everywhere(msg, (size_t)n, 0, &r);
	ck_assert_int_eq(r.done, 1);
	ck_assert_uint_eq(r.consumed, (size_t)n - 6);
	smtp_buf_free(&r.out);
}
END_TEST

START_TEST(test_feed_after_done)
{
	struct smtp_buf		 out = { NULL, 0, 0 };
	struct smtp_data	 d;

	smtp_data_init(&d, &out, 0);
	ck_assert_uint_eq(smtp_data_feed(&d, S("x\r\n.\r\n")), 6);
	ck_assert_int_eq(d.done, 1);
	ck_assert_uint_eq(smtp_data_feed(&d, S("more\r\n.\r\n")), 0);
	ck_assert_uint_eq(out.len, 3);
	smtp_buf_free(&out);
}
END_TEST

START_TEST(test_prepended_headers)
{
	struct smtp_buf		 out = { NULL, 0, 0 };
	struct smtp_data	 d;

	/* The session writes trace headers first; they do not count as size. */
	smtp_buf_append(&out, S("Received: x\r\n"));
	smtp_data_init(&d, &out, 4);
	smtp_data_feed(&d, S("ab\r\n.\r\n"));
	ck_assert_int_eq(d.done, 1);
	ck_assert_int_eq(d.overflow, 0);
	ck_assert_uint_eq(d.size, 4);
	ck_assert_uint_eq(out.len, 13 + 4);
	ck_assert_int_eq(memcmp(out.data, "Received: x\r\nab\r\n", 17), 0);
	smtp_buf_free(&out);
}
END_TEST

/* ---------------------------------------------------------------- size */

static const struct {
	const char	*in;
	size_t		 len;
	uint64_t	 max;
	int		 overflow;
	uint64_t	 size;
	size_t		 kept;	/* octets in the buffer */
} size_cases[] = {
	{ S("0123456789\r\n.\r\n"), 12, 0, 12, 12 },
	{ S("0123456789\r\n.\r\n"), 13, 0, 12, 12 },
	{ S("0123456789\r\n.\r\n"), 11, 1, 12, 11 },
	{ S("0123456789\r\n.\r\n"), 10, 1, 12, 10 },
	{ S("0123456789\r\n.\r\n"), 5, 1, 12, 5 },
	{ S("0123456789\r\n0123456789\r\n.\r\n"), 12, 1, 24, 12 },
	{ S("..\r\n.\r\n"), 3, 0, 3, 3 },
	{ S("\n\n\n\n\r\n.\r\n"), 8, 1, 10, 8 },
};

START_TEST(test_size_limit)
{
	struct result	 r;

	decode_everywhere(size_cases[_i].in, size_cases[_i].len, size_cases[_i].max, &r);
	ck_assert_int_eq(r.overflow, size_cases[_i].overflow);
	ck_assert_uint_eq(r.size, size_cases[_i].size);
	ck_assert_int_eq(r.done, 1);
	ck_assert_uint_le(r.out.len, size_cases[_i].max);
	ck_assert_uint_eq(r.out.len, size_cases[_i].kept);
	smtp_buf_free(&r.out);
}
END_TEST

START_TEST(test_size_limit_large)
{
	struct smtp_buf		 out = { NULL, 0, 0 };
	struct smtp_data	 d;
	char			 line[1000];
	int			 i;

	/* 10 MB of content against a 1 MB limit: the buffer stays at the limit. */
	memset(line, 'x', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\r';
	line[sizeof(line) - 1] = '\n';
	smtp_data_init(&d, &out, 1024 * 1024);
	for (i = 0; i < 10000; i++)
		ck_assert_uint_eq(smtp_data_feed(&d, line, sizeof(line)), sizeof(line));
	smtp_data_feed(&d, S(".\r\n"));
	ck_assert_int_eq(d.done, 1);
	ck_assert_int_eq(d.overflow, 1);
	ck_assert_uint_eq(d.size, 10000 * sizeof(line));
	ck_assert_uint_le(out.len, 1024 * 1024);
	smtp_buf_free(&out);
}
END_TEST

/* Long text lines are accepted (no per-line limit; smtp_data.h). */
START_TEST(test_long_line)
{
	struct smtp_buf		 out = { NULL, 0, 0 };
	struct smtp_data	 d;
	static char		 big[100000];

	memset(big, 'y', sizeof(big));
	smtp_data_init(&d, &out, 0);
	smtp_data_feed(&d, big, sizeof(big));
	smtp_data_feed(&d, S("\r\n.\r\n"));
	ck_assert_int_eq(d.done, 1);
	ck_assert_uint_eq(out.len, sizeof(big) + 2);
	smtp_buf_free(&out);
}
END_TEST

/* ---------------------------------------------------------------- BDAT */

/* Feed chunk bytes as the pieces [0,a) [a,len), then end the message. */
static void
chunks_split(const char *in, size_t len, size_t a, uint64_t max, struct result *r)
{
	struct smtp_data	 d;

	memset(r, 0, sizeof(*r));
	smtp_data_init(&d, &r->out, max);
	smtp_data_feed_chunk(&d, in, a);
	smtp_data_feed_chunk(&d, in + a, len - a);
	smtp_data_end_chunks(&d);
	r->done = d.done;
	r->overflow = d.overflow;
	r->size = d.size;
	r->bare_lf = d.bare_lf;
	r->bare_cr = d.bare_cr;
	r->consumed = len;
}

static const struct {
	const char	*in;
	size_t		 len;
	const char	*out;
	size_t		 outlen;
	unsigned	 bare_lf, bare_cr;
} chunk_cases[] = {
	{ S("Subject: x\r\n\r\nbody\r\n"), S("Subject: x\r\n\r\nbody\r\n"), 0, 0 },
	{ S(""), S(""), 0, 0 },
	/* no dot-stuffing and no end marker in BDAT (RFC 3030) */
	{ S(".\r\n..\r\n.\r\n"), S(".\r\n..\r\n.\r\n"), 0, 0 },
	{ S("abc\r\ndef"), S("abc\r\ndef"), 0, 0 },
	{ S("a\nb"), S("a\r\nb"), 1, 0 },
	{ S("a\rb"), S("a\r\nb"), 0, 1 },
	{ S("abc\r"), S("abc\r\n"), 0, 1 },
	{ S("\r\r\n\n"), S("\r\n\r\n\r\n"), 1, 1 },
	{ S("\0\xff\r\n"), S("\0\xff\r\n"), 0, 0 },
};

START_TEST(test_chunks)
{
	struct result	 whole, r;
	size_t		 a, len = chunk_cases[_i].len;

	chunks_split(chunk_cases[_i].in, len, len, 0, &whole);
	ck_assert_msg(whole.out.len == chunk_cases[_i].outlen &&
	    memcmp(whole.out.data ? whole.out.data : "", chunk_cases[_i].out,
	    whole.out.len) == 0, "chunk case %d", _i);
	ck_assert_uint_eq(whole.bare_lf, chunk_cases[_i].bare_lf);
	ck_assert_uint_eq(whole.bare_cr, chunk_cases[_i].bare_cr);
	ck_assert_int_eq(whole.done, 1);
	for (a = 0; a <= len; a++) {
		chunks_split(chunk_cases[_i].in, len, a, 0, &r);
		assert_same(&whole, &r, a, a);
		smtp_buf_free(&r.out);
	}
	smtp_buf_free(&whole.out);
}
END_TEST

START_TEST(test_chunk_size_limit)
{
	struct result	 r;

	chunks_split(S("0123456789"), 4, 8, &r);
	ck_assert_int_eq(r.overflow, 1);
	ck_assert_uint_eq(r.size, 10);
	ck_assert_uint_eq(r.out.len, 8);
	smtp_buf_free(&r.out);
	chunks_split(S("01234567"), 4, 8, &r);
	ck_assert_int_eq(r.overflow, 0);
	ck_assert_uint_eq(r.out.len, 8);
	smtp_buf_free(&r.out);
}
END_TEST

#define N(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
smtp_data_suite(void)
{
	Suite	*s = suite_create("smtp_data");
	TCase	*tc;

	tc = tcase_create("data");
	tcase_add_loop_test(tc, test_data_cases, 0, N(data_cases));
	tcase_add_test(tc, test_feed_after_done);
	tcase_add_test(tc, test_prepended_headers);
	tcase_add_test(tc, test_long_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("smuggling");
	tcase_add_loop_test(tc, test_smuggling, 0, N(smuggle));
	suite_add_tcase(s, tc);

	tc = tcase_create("size limit");
	tcase_add_loop_test(tc, test_size_limit, 0, N(size_cases));
	tcase_add_test(tc, test_size_limit_large);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("bdat");
	tcase_add_loop_test(tc, test_chunks, 0, N(chunk_cases));
	tcase_add_test(tc, test_chunk_size_limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(smtp_data_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
