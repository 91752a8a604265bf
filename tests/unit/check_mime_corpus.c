/*
 * check_mime_corpus.c: ENVELOPE and BODYSTRUCTURE of every message in
 * tests/unit/mime_corpus/ (nested multiparts, missing and lookalike
 * boundaries, malformed and 8-bit headers, encoded words, RFC 2231
 * parameters, empty and header-only messages, bare LF, digests, groups),
 * plus structural invariants of each parse tree.
 *
 * dovecot.eml is Dovecot's own test-imap-bodystructure message and the
 * expected strings are Dovecot's; rfc3501.eml rebuilds the message of RFC
 * 3501's sample session, whose BODY is its BODYSTRUCTURE example exactly
 * (see check_mime_render.c). The others were checked by hand against RFC
 * 3501 7.4.2 and Dovecot's rules.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_mime_util.h"

static const struct {
	const char	*file;
	const char	*envelope;
	const char	*bodystructure;
} corpus_tests[] = {
	{ "dovecot.eml",
	    "(\"Sat, 24 Mar 2007 23:00:00 +0200\" NIL ((NIL NIL \"user\" "
	    "\"domain.org\")) ((NIL NIL \"user\" \"domain.org\")) ((NIL "
	    "NIL \"user\" \"domain.org\")) NIL NIL NIL NIL NIL)",
	    "((\"text\" \"x-myown\" (\"charset\" \"us-ascii\" \"foo\" \"quoted\\\"string\") "
	    "\"<foo@example.com>\" \"hellodescription\" \"7bit\" 7 1 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
	    "(\"inline\" (\"foo\" \"bar\")) (\"en\" \"fi\" \"se\") \"http://example.com/test.txt\")(\"message\" "
	    "\"rfc822\" NIL NIL NIL \"7bit\" 412 (\"Sun, 12 Aug 2012 12:34:56 "
	    "+0300\" \"submsg\" ((NIL NIL \"sub\" \"domain.org\")) ((NIL "
	    "NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) "
	    "((NIL NIL \"sub-to1\" \"domain.org\")(NIL NIL \"sub-to2\" "
	    "\"domain.org\")) NIL NIL NIL NIL) ((\"text\" \"html\" (\"charset\" "
	    "\"us-ascii\") NIL NIL \"8bit\" 20 1 NIL NIL NIL NIL)(\"text\" "
	    "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 21 1 "
	    "NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"sub1\") NIL "
	    "NIL NIL) 21 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"foo "
	    "bar\") NIL NIL NIL)" },
	{ "rfc3501.eml",
	    "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG "
	    "mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry "
	    "Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" "
	    "\"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John "
	    "Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\")",
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
	    "1152 23 NIL NIL NIL NIL)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" "
	    "\"NAME\" \"cc.diff\") \"<960723163407.20117h@cac.washington.edu>\" "
	    "\"Compiled diff\" \"BASE64\" 4554 73 NIL NIL NIL NIL) \"MIXED\" "
	    "(\"BOUNDARY\" \"4Ml2RVrUcZ\") NIL NIL NIL)" },
	{ "nested.eml",
	    "(\"Mon, 2 Jan 2023 10:00:00 +0100\" \"Nested parts\" ((\"Alice "
	    "Example\" NIL \"alice\" \"example.org\")) ((\"Alice Example\" "
	    "NIL \"alice\" \"example.org\")) ((\"Alice Example\" NIL \"alice\" "
	    "\"example.org\")) ((\"Bob\" NIL \"bob\" \"example.net\")(NIL "
	    "NIL \"carol\" \"example.com\")) NIL NIL NIL \"<nested@example.org>\")",
	    "(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" "
	    "29 0 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") "
	    "NIL NIL \"7bit\" 14 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
	    "\"alt\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"report.pdf\") "
	    "NIL NIL \"base64\" 328 NIL (\"attachment\" (\"filename\" \"report.pdf\" "
	    "\"size\" \"250\")) NIL NIL)(\"message\" \"rfc822\" NIL NIL "
	    "NIL \"7bit\" 343 (\"Sun, 1 Jan 2023 09:00:00 +0000\" \"Inner "
	    "message\" ((\"Dave\" NIL \"dave\" \"example.com\")) ((\"Dave\" "
	    "NIL \"dave\" \"example.com\")) ((\"Dave\" NIL \"dave\" \"example.com\")) "
	    "((NIL NIL \"alice\" \"example.org\")) NIL NIL NIL \"<inner@example.com>\") "
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "10 0 NIL NIL NIL NIL)(\"image\" \"png\" NIL NIL NIL \"base64\" "
	    "12 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"inner\") NIL "
	    "NIL NIL) 17 NIL (\"inline\" NIL) NIL NIL) \"mixed\" (\"boundary\" "
	    "\"outer\") NIL NIL NIL)" },
	{ "missing_boundary.eml",
	    "(NIL \"truncated\" ((NIL NIL \"a\" \"example.org\")) ((NIL "
	    "NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	    "NIL NIL NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "5 0 NIL NIL NIL NIL)((\"text\" \"plain\" (\"charset\" \"us-ascii\") "
	    "NIL NIL \"7bit\" 22 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
	    "\"b2\") NIL NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL "
	    "NIL)" },
	{ "lookalike.eml",
	    "(NIL NIL ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" "
	    "\"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL "
	    "NIL NIL NIL)",
	    "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "81 2 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") "
	    "NIL NIL \"7bit\" 21 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
	    "\"abcdef\") NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") "
	    "NIL NIL \"7bit\" 24 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
	    "\"abc\") NIL NIL NIL)" },
	{ "malformed.eml",
	    "(NIL \"space before colon\" ((NIL NIL \"a\" \"example.org\")) "
	    "((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	    "((NIL NIL \"broken\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"unterminated\") NIL NIL "
	    "\"7bit\" 6 1 NIL NIL NIL NIL)" },
	{ "plain.eml",
	    "(NIL \"plain old mail\" ((NIL NIL \"someone\" \"example.org\")) "
	    "((NIL NIL \"someone\" \"example.org\")) ((NIL NIL \"someone\" "
	    "\"example.org\")) ((NIL NIL \"you\" \"example.net\")) NIL "
	    "NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "20 2 NIL NIL NIL NIL)" },
	{ "8bit_headers.eml",
	    "(NIL {17}\r\nGr\303\274\303\237e \342\200\223 \303\251t\303\251 "
	    "(({13}\r\nJ\303\266rg M\303\274ller NIL \"joerg\" \"example.de\")) "
	    "(({13}\r\nJ\303\266rg M\303\274ller NIL \"joerg\" \"example.de\")) "
	    "(({13}\r\nJ\303\266rg M\303\274ller NIL \"joerg\" \"example.de\")) "
	    "(({4}\r\nZo\303\253 NIL \"zoe\" \"example.com\")) NIL NIL "
	    "NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" "
	    "7 1 NIL NIL NIL NIL)" },
	{ "encoded_words.eml",
	    "(NIL \"=?utf-8?q?caf=C3=A9?= =?utf-8?q?_cr=C3=A8me?= and =?windows-1252?q?=93quotes=94?= "
	    "=?koi8-r?b?8NLJ18XU?= =?shift_jis?b?k/qWe4zq?=\" ((\"=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?=\" "
	    "NIL \"joerg\" \"example.de\")) ((\"=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?=\" "
	    "NIL \"joerg\" \"example.de\")) ((\"=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?=\" "
	    "NIL \"joerg\" \"example.de\")) ((\"=?ISO-8859-1?Q?Fran=E7ois?=\" "
	    "NIL \"fr\" \"example.fr\")) NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "6 1 NIL NIL NIL NIL)" },
	{ "rfc2231.eml",
	    "(NIL NIL ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" "
	    "\"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL "
	    "NIL NIL NIL)",
	    "((\"application\" \"x-stuff\" (\"title*\" \"us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't "
	    "it!\") NIL NIL \"7bit\" 4 NIL (\"attachment\" (\"filename*\" "
	    "\"UTF-8''%E2%82%AC%20rates.txt\")) NIL NIL)(\"text\" \"plain\" "
	    "(\"name\" \"longname.txt\" \"charset\" \"us-ascii\") NIL NIL "
	    "\"7bit\" 1 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"zz\") "
	    "NIL NIL NIL)" },
	{ "empty_body.eml",
	    "(NIL \"empty\" ((NIL NIL \"a\" \"example.org\")) ((NIL NIL "
	    "\"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	    "NIL NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "0 0 NIL NIL NIL NIL)" },
	{ "header_only.eml",
	    "(NIL \"no blank line\" ((NIL NIL \"a\" \"example.org\")) ((NIL "
	    "NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	    "NIL NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "0 0 NIL NIL NIL NIL)" },
	{ "bare_lf.lf.eml",
	    "(NIL NIL ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" "
	    "\"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL "
	    "NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "7 1 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"lf\") NIL NIL "
	    "NIL)" },
	{ "digest.eml",
	    "(NIL \"digest\" ((NIL NIL \"list\" \"example.org\")) ((NIL "
	    "NIL \"list\" \"example.org\")) ((NIL NIL \"list\" \"example.org\")) "
	    "NIL NIL NIL NIL NIL)",
	    "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 44 (NIL \"first\" "
	    "((NIL NIL \"one\" \"example.org\")) ((NIL NIL \"one\" \"example.org\")) "
	    "((NIL NIL \"one\" \"example.org\")) NIL NIL NIL NIL NIL) (\"text\" "
	    "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 "
	    "NIL NIL NIL NIL) 3 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" "
	    "\"us-ascii\") NIL NIL \"7bit\" 13 0 NIL NIL NIL NIL) \"digest\" "
	    "(\"boundary\" \"d\") NIL NIL NIL)" },
	{ "groups.eml",
	    "(\"Thu, 15 Feb 2007 01:02:03 +0200\" NIL ((\"Real Name\" NIL "
	    "\"user\" \"domain\")) ((NIL \"@route1,@route2\" \"sender\" "
	    "\"domain\")) ((\"Real Name\" NIL \"user\" \"domain\")) ((NIL "
	    "NIL \"group\" NIL)(NIL NIL \"g1\" \"d1.org\")(\"Quoted \\\"Name\\\"\" "
	    "NIL \"g2\" \"d2.org\")(NIL NIL NIL NIL)(NIL NIL \"group2\" "
	    "NIL)(NIL NIL \"g3\" \"d3.org\")(NIL NIL NIL NIL)) ((NIL NIL "
	    "\"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) ((NIL NIL "
	    "\"nodomain\" \"MISSING_DOMAIN\")(NIL NIL \"\" \"\")) \"<parent@id>\" "
	    "\"<msg@id>\")",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "6 1 NIL NIL NIL NIL)" },
	{ "qp_latin1.eml",
	    "(NIL \"=?iso-8859-1?q?R=E9sum=E9?=\" ((NIL NIL \"a\" \"example.org\")) "
	    "((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	    "NIL NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL \"quoted-printable\" "
	    "65 2 NIL NIL NIL NIL)" },
	{ "base64_utf8.eml",
	    "(NIL \"base64\" ((NIL NIL \"a\" \"example.org\")) ((NIL NIL "
	    "\"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	    "NIL NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"base64\" "
	    "58 1 NIL NIL NIL NIL)" },
	{ "rfc822_base64.eml",
	    "(NIL NIL ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" "
	    "\"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL "
	    "NIL NIL NIL)",
	    "((\"message\" \"rfc822\" NIL NIL NIL \"base64\" 24 NIL NIL "
	    "NIL NIL) \"mixed\" (\"boundary\" \"q\") NIL NIL NIL)" },
	{ "multipart_noboundary.eml",
	    "(NIL NIL ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" "
	    "\"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL "
	    "NIL NIL NIL)",
	    "(\"multipart\" \"mixed\" NIL NIL NIL \"7bit\" 11 NIL NIL NIL "
	    "NIL)" },
	{ "multipart_empty.eml",
	    "(NIL NIL ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" "
	    "\"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL "
	    "NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "0 0) \"mixed\" (\"boundary\" \"nothing\") NIL NIL NIL)" },
};

START_TEST(test_corpus_render)
{
	size_t len;
	char *msg = corpus_load(corpus_tests[_i].file, &len);
	struct mime_part *root = parse_str(msg, len);
	char *env = mime_envelope(root, msg);
	char *bs = mime_bodystructure(root, msg, 1);

	ck_assert_msg(strcmp(env, corpus_tests[_i].envelope) == 0,
	    "%s: envelope\n got %s\nwant %s", corpus_tests[_i].file, env,
	    corpus_tests[_i].envelope);
	ck_assert_msg(strcmp(bs, corpus_tests[_i].bodystructure) == 0,
	    "%s: bodystructure\n got %s\nwant %s", corpus_tests[_i].file, bs,
	    corpus_tests[_i].bodystructure);
	free(env);
	free(bs);
	mime_free(&root);
	ck_assert_ptr_null(root);
	free(msg);
}
END_TEST

/* Offsets nest, siblings are ordered, counts agree with the bytes. */
static void
check_part(const struct mime_part *p, const char *msg, size_t len)
{
	const struct mime_part *c;
	size_t lines = 0, i, prev_end;
	unsigned int n = 0;

	ck_assert_uint_le(p->hdr_off + p->hdr_len, p->body_off);
	ck_assert_uint_le(p->body_off + p->body_len, len);
	for (i = 0; i < p->body_len; i++)
		lines += msg[p->body_off + i] == '\n';
	ck_assert_uint_eq(lines, p->body_lines);
	ck_assert_ptr_nonnull(p->type);
	ck_assert_ptr_nonnull(p->subtype);
	prev_end = p->body_off;
	for (c = p->children; c != NULL; c = c->next, n++) {
		ck_assert_ptr_eq(c->parent, p);
		ck_assert_uint_eq(c->depth, p->depth + 1);
		ck_assert_uint_ge(c->hdr_off, prev_end);
		ck_assert_uint_le(c->body_off + c->body_len,
		    p->body_off + p->body_len);
		prev_end = c->body_off + c->body_len;
		check_part(c, msg, len);
	}
	ck_assert_uint_eq(n, p->nchildren);
	if (p->kind == MIME_KIND_MESSAGE) {
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(p->children->hdr_off, p->body_off);
	}
}

START_TEST(test_corpus_invariants)
{
	size_t len, off, blen;
	const char *name = corpus_files[_i];
	char *msg = corpus_load(name, &len);
	struct mime_part *root = parse_str(msg, len);

	ck_assert_uint_eq(root->hdr_off, 0);
	ck_assert_uint_eq(root->body_off + root->body_len, len);
	check_part(root, msg, len);
	ck_assert_int_eq(mime_section_find(root, "", &off, &blen, NULL), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(blen, len);
	mime_free(&root);
	free(msg);
}
END_TEST

TCase *
mime_tcase_corpus(void)
{
	TCase *tc = tcase_create("corpus");
	size_t n = 0;

	while (corpus_files[n] != NULL)
		n++;
	tcase_add_loop_test(tc, test_corpus_render, 0,
	    (int)(sizeof(corpus_tests) / sizeof(corpus_tests[0])));
	tcase_add_loop_test(tc, test_corpus_invariants, 0, (int)n);
	return tc;
}
