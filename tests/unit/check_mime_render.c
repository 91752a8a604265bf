/*
 * check_mime_render.c: FETCH renderings: ENVELOPE (Dovecot's imaptest
 * cases, groups, routes, defaults, 8-bit and folded values), BODY and
 * BODYSTRUCTURE (the RFC 3501 7.4.2 example reproduced exactly, Dovecot's
 * BODY string, defaults), and IMAP string quoting.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "check_mime_util.h"

/* Header -> ENVELOPE. The first five are Dovecot's test-imap-envelope
 * cases (from imaptest), with our outer parentheses. */
static const struct {
	const char	*hdr;
	const char	*envelope;
} env_tests[] = {
	{ "Message-ID: <msg@id>\n"
	  "In-Reply-To: <reply@to.id>\n"
	  "Date: Thu, 15 Feb 2007 01:02:03 +0200\n"
	  "Subject: subject header\n"
	  "From: From Real <fromuser@fromdomain.org>\n"
	  "To: To Real <touser@todomain.org>\n"
	  "Cc: Cc Real <ccuser@ccdomain.org>\n"
	  "Bcc: Bcc Real <bccuser@bccdomain.org>\n"
	  "Sender: Sender Real <senderuser@senderdomain.org>\n"
	  "Reply-To: ReplyTo Real <replytouser@replytodomain.org>\n\nbody\n",
	  "(\"Thu, 15 Feb 2007 01:02:03 +0200\" \"subject header\" "
	  "((\"From Real\" NIL \"fromuser\" \"fromdomain.org\")) "
	  "((\"Sender Real\" NIL \"senderuser\" \"senderdomain.org\")) "
	  "((\"ReplyTo Real\" NIL \"replytouser\" \"replytodomain.org\")) "
	  "((\"To Real\" NIL \"touser\" \"todomain.org\")) "
	  "((\"Cc Real\" NIL \"ccuser\" \"ccdomain.org\")) "
	  "((\"Bcc Real\" NIL \"bccuser\" \"bccdomain.org\")) "
	  "\"<reply@to.id>\" \"<msg@id>\")" },
	{ "Date: Thu, 15 Feb 2007 01:02:03 +0200\nFrom: user@domain\n\nbody\n",
	  "(\"Thu, 15 Feb 2007 01:02:03 +0200\" NIL "
	  "((NIL NIL \"user\" \"domain\")) ((NIL NIL \"user\" \"domain\")) "
	  "((NIL NIL \"user\" \"domain\")) NIL NIL NIL NIL NIL)" },
	{ "Date: Thu, 15 Feb 2007 01:02:03 +0200\n"
	  "From: user@domain (Real Name)\n"
	  "To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\n"
	  "Cc: group:;, group2: (foo) ;\n\nbody\n",
	  "(\"Thu, 15 Feb 2007 01:02:03 +0200\" NIL "
	  "((\"Real Name\" NIL \"user\" \"domain\")) "
	  "((\"Real Name\" NIL \"user\" \"domain\")) "
	  "((\"Real Name\" NIL \"user\" \"domain\")) "
	  "((NIL NIL \"group\" NIL)(NIL NIL \"g1\" \"d1.org\")"
	  "(NIL NIL \"g2\" \"d2.org\")(NIL NIL NIL NIL)"
	  "(NIL NIL \"group2\" NIL)(NIL NIL \"g3\" \"d3.org\")"
	  "(NIL NIL NIL NIL)) "
	  "((NIL NIL \"group\" NIL)(NIL NIL NIL NIL)"
	  "(NIL NIL \"group2\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL)" },
	{ "Date: Thu, 15 Feb 2007 01:02:03 +0200\n"
	  "From: user@domain (Real Name)\nSender: \nReply-To: \n\nbody\n",
	  "(\"Thu, 15 Feb 2007 01:02:03 +0200\" NIL "
	  "((\"Real Name\" NIL \"user\" \"domain\")) "
	  "((\"Real Name\" NIL \"user\" \"domain\")) "
	  "((\"Real Name\" NIL \"user\" \"domain\")) NIL NIL NIL NIL NIL)" },
	{ "Date: Thu, 15 Feb 2007 01:02:03 +0200\n"
	  "From: <@route:user@domain>\n\nbody\n",
	  "(\"Thu, 15 Feb 2007 01:02:03 +0200\" NIL "
	  "((NIL \"@route\" \"user\" \"domain\")) "
	  "((NIL \"@route\" \"user\" \"domain\")) "
	  "((NIL \"@route\" \"user\" \"domain\")) NIL NIL NIL NIL NIL)" },
	/* nothing at all */
	{ "\nbody\n", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" },
	/* folding removed, quoting, first field wins; an empty display
	 * name is none (as Dovecot) */
	{ "Subject: a \"quoted\"\n  and \\ folded\nSubject: second\n"
	  "To: \"Last, First\" <lf@x.org>, \"\" <empty@x.org>\n\n",
	  "(NIL \"a \\\"quoted\\\"  and \\\\ folded\" NIL NIL NIL "
	  "((\"Last, First\" NIL \"lf\" \"x.org\")(NIL NIL \"empty\" \"x.org\")) "
	  "NIL NIL NIL NIL)" },
	{ "Subject:\n\n", "(NIL \"\" NIL NIL NIL NIL NIL NIL NIL NIL)" },
	/* 8-bit: literals, byte counts exact */
	{ "Subject: caf\xc3\xa9\nFrom: J\xc3\xb6rg <j@x.de>\n\n",
	  "(NIL {5}\r\ncaf\xc3\xa9 (({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x.de\")) "
	  "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x.de\")) "
	  "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x.de\")) NIL NIL NIL NIL NIL)" },
	/* encoded words stay raw, obsolete phrase with dots, comments */
	{ "From: =?utf-8?q?J=C3=B6rg?= <j@x.de>\n"
	  "To: John Q. Public <jqp(comment)@(c2)example.com>, (only comment) a@b\n\n",
	  "(NIL NIL ((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x.de\")) "
	  "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x.de\")) "
	  "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x.de\")) "
	  "((\"John Q. Public\" NIL \"jqp\" \"example.com\")(NIL NIL \"a\" \"b\")) "
	  "NIL NIL NIL NIL)" },
	/* broken addresses never read as groups; junk skipped */
	{ "To: nodomain, <>, @@@, <x@y, \"unterminated\n\n",
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"nodomain\" \"MISSING_DOMAIN\")"
	  "(NIL NIL \"\" \"\")(NIL NIL \"x\" \"y\")"
	  "(NIL NIL \"unterminated\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	/* quoted local part, domain literal, unclosed group */
	{ "Cc: \"john doe\"@example.com, x@[127.0.0.1], grp: a@b\n\n",
	  "(NIL NIL NIL NIL NIL NIL ((NIL NIL \"john doe\" \"example.com\")"
	  "(NIL NIL \"x\" \"[127.0.0.1]\")(NIL NIL \"grp\" NIL)"
	  "(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL)) NIL NIL NIL)" },
};

START_TEST(test_envelope)
{
	size_t len;
	char *msg = crlf(env_tests[_i].hdr, &len);
	struct mime_part *root = parse_str(msg, len);
	char *env = mime_envelope(root, msg);
	char *env2;

	ck_assert_str_eq(env, env_tests[_i].envelope);
	env2 = mime_envelope_from_header(msg, root->hdr_len);
	ck_assert_str_eq(env2, env);
	free(env2);
	free(env);
	mime_free(&root);
	free(msg);
}
END_TEST

START_TEST(test_envelope_many_addresses)
{
	struct mime_buf b;
	char *env;
	size_t i, n = 0;
	const char *p;

	mime_buf_init(&b);
	mime_buf_adds(&b, "To: g: ");
	for (i = 0; i < 20000; i++)
		mime_buf_addf(&b, "u%zu@x, ", i);
	mime_buf_adds(&b, ";\r\n\r\n");
	env = mime_envelope_from_header(b.data, b.len);
	for (p = env; (p = strstr(p, "(NIL NIL NIL NIL)")) != NULL; p++)
		n++;
	ck_assert_uint_eq(n, 1);	/* the group is closed even when cut */
	free(env);
	mime_buf_free(&b);
}
END_TEST

TCase *
mime_tcase_envelope(void)
{
	TCase *tc = tcase_create("envelope");

	tcase_add_loop_test(tc, test_envelope, 0,
	    (int)(sizeof(env_tests) / sizeof(env_tests[0])));
	tcase_add_test(tc, test_envelope_many_addresses);
	return tc;
}

/* RFC 3501 7.4.2's example, reproduced from a rebuilt message. */
START_TEST(test_rfc3501_example)
{
	size_t len;
	char *msg = corpus_load("rfc3501.eml", &len);
	struct mime_part *root = parse_str(msg, len);
	char *body = mime_bodystructure(root, msg, 0);

	ck_assert_str_eq(body,
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 "
	    "23)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") "
	    "\"<960723163407.20117h@cac.washington.edu>\" \"Compiled diff\" "
	    "\"BASE64\" 4554 73) \"MIXED\")");
	free(body);
	mime_free(&root);
	free(msg);
}
END_TEST

/* Dovecot's test-imap-bodystructure BODY string (BODYSTRUCTURE is in
 * the corpus table). */
START_TEST(test_dovecot_body)
{
	size_t len;
	char *msg = corpus_load("dovecot.eml", &len);
	struct mime_part *root = parse_str(msg, len);
	char *body = mime_bodystructure(root, msg, 0);

	ck_assert_str_eq(body,
	    "((\"text\" \"x-myown\" (\"charset\" \"us-ascii\" \"foo\" "
	    "\"quoted\\\"string\") \"<foo@example.com>\" \"hellodescription\" "
	    "\"7bit\" 7 1)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 412 "
	    "(\"Sun, 12 Aug 2012 12:34:56 +0300\" \"submsg\" ((NIL NIL \"sub\" "
	    "\"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL "
	    "\"sub\" \"domain.org\")) ((NIL NIL \"sub-to1\" \"domain.org\")"
	    "(NIL NIL \"sub-to2\" \"domain.org\")) NIL NIL NIL NIL) "
	    "((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"8bit\" 20 "
	    "1)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 21 "
	    "1) \"alternative\") 21) \"mixed\")");
	free(body);
	mime_free(&root);
	free(msg);
}
END_TEST

static const struct {
	const char	*msg;
	int		 extended;
	const char	*want;
} bs_tests[] = {
	{ "\nhello\n", 1,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 "
	  "NIL NIL NIL NIL)" },
	{ "\nhello\n", 0,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1)" },
	/* non-text: no line count, NIL params */
	{ "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\nAAAA\n", 0,
	  "(\"image\" \"png\" NIL NIL NIL \"base64\" 6)" },
	/* text with other params gets the default charset appended */
	{ "Content-Type: text/plain; format=flowed\n\nx", 0,
	  "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" \"us-ascii\") "
	  "NIL NIL \"7bit\" 1 0)" },
	/* multipart extension data, disposition with and without params */
	{ "Content-Type: multipart/related; boundary=r; type=\"text/html\"\n"
	  "Content-Disposition: inline\nContent-Language: de\n"
	  "Content-Location: cid:x\n\n--r\n"
	  "Content-Disposition: attachment; filename=a.txt\n\nx\n--r--\n", 1,
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 "
	  "NIL (\"attachment\" (\"filename\" \"a.txt\")) NIL NIL) \"related\" "
	  "(\"boundary\" \"r\" \"type\" \"text/html\") (\"inline\" NIL) (\"de\") "
	  "\"cid:x\")" },
	/* a parameter value that needs a literal */
	{ "Content-Type: application/octet-stream; name=\"caf\xc3\xa9\"\n\nx", 0,
	  "(\"application\" \"octet-stream\" (\"name\" {5}\r\ncaf\xc3\xa9) NIL "
	  "NIL \"7bit\" 1)" },
	/* unknown encoding kept as written */
	{ "Content-Transfer-Encoding: x-uuencode\n\nbegin\n", 0,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"x-uuencode\" "
	  "7 1)" },
};

START_TEST(test_bodystructure)
{
	size_t len;
	char *msg = crlf(bs_tests[_i].msg, &len);
	struct mime_part *root = parse_str(msg, len);
	char *bs = mime_bodystructure(root, msg, bs_tests[_i].extended);

	ck_assert_str_eq(bs, bs_tests[_i].want);
	free(bs);
	mime_free(&root);
	free(msg);
}
END_TEST

TCase *
mime_tcase_bodystructure(void)
{
	TCase *tc = tcase_create("bodystructure");

	tcase_add_test(tc, test_rfc3501_example);
	tcase_add_test(tc, test_dovecot_body);
	tcase_add_loop_test(tc, test_bodystructure, 0,
	    (int)(sizeof(bs_tests) / sizeof(bs_tests[0])));
	return tc;
}

START_TEST(test_imapstr)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*want;
	} t[] = {
		{ "", 0, "\"\"" },
		{ "plain", 5, "\"plain\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "tab\there", 8, "\"tab\there\"" },
		{ "cr\rlf", 5, "{5}\r\ncr\rlf" },
		{ "caf\xc3\xa9", 5, "{5}\r\ncaf\xc3\xa9" },
		{ "nul\0x", 5, "\"nulx\"" },
		{ "\xff\0", 2, "{1}\r\n\xff" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mime_buf b;

		mime_buf_init(&b);
		mime_imap_string(&b, t[i].in, t[i].len);
		ck_assert_str_eq(b.data, t[i].want);
		mime_buf_free(&b);
	}
}
END_TEST

START_TEST(test_buf)
{
	struct mime_buf b;
	char *s;
	int i;

	mime_buf_init(&b);
	s = mime_buf_steal(&b);
	ck_assert_str_eq(s, "");
	free(s);
	mime_imap_nstr(&b, NULL);
	mime_buf_addc(&b, ' ');
	mime_imap_nstring(&b, NULL, 3);
	mime_buf_addf(&b, " %d-%s", 42, "x");
	for (i = 0; i < 1000; i++)
		mime_buf_adds(&b, "0123456789");
	ck_assert_uint_eq(b.len, 12 + 10000);
	ck_assert_int_eq(strncmp(b.data, "NIL NIL 42-x0", 13), 0);
	s = mime_buf_steal(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	free(s);
	mime_buf_free(&b);
}
END_TEST

TCase *
mime_tcase_imapstr(void)
{
	TCase *tc = tcase_create("imapstr");

	tcase_add_test(tc, test_imapstr);
	tcase_add_test(tc, test_buf);
	return tc;
}
