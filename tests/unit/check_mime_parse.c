/*
 * check_mime_parse.c: the part tree (mime_parse): shapes, offsets and
 * line counts, boundary rules (RFC 2046 5.1.1), defaults, limits (depth,
 * part count, huge inputs in linear time) and Content-* parameter parsing
 * with RFC 2231 continuations.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "check_mime_util.h"

/* The body bytes of a part as a fresh string. */
static char *
body_of(const struct mime_part *p, const char *msg)
{
	return xstrndup(msg + p->body_off, p->body_len);
}

START_TEST(test_nested_shape)
{
	size_t len;
	char *msg = corpus_load("nested.eml", &len);
	struct mime_part *root = parse_str(msg, len);
	const struct mime_part *alt, *pdf, *rfc, *inner;
	char *s;

	ck_assert_int_eq(root->kind, MIME_KIND_MULTIPART);
	ck_assert_uint_eq(root->nchildren, 3);
	alt = root->children;
	pdf = alt->next;
	rfc = pdf->next;
	ck_assert_int_eq(alt->kind, MIME_KIND_MULTIPART);
	ck_assert_str_eq(alt->subtype, "alternative");
	ck_assert_uint_eq(alt->nchildren, 2);
	ck_assert_int_eq(alt->children->encoding, MIME_ENC_QP);
	s = body_of(alt->children, msg);
	ck_assert_str_eq(s, "Gr=C3=BC=C3=9Fe aus K=C3=B6ln");
	free(s);
	ck_assert_int_eq(pdf->kind, MIME_KIND_BASIC);
	ck_assert_int_eq(pdf->encoding, MIME_ENC_BASE64);
	ck_assert_str_eq(pdf->disposition, "attachment");
	ck_assert_str_eq(mime_param_get(pdf->disp_params, pdf->ndisp_params,
	    "FILENAME"), "report.pdf");
	ck_assert_int_eq(rfc->kind, MIME_KIND_MESSAGE);
	ck_assert_uint_eq(rfc->nchildren, 1);
	inner = rfc->children;
	ck_assert_uint_eq(inner->hdr_off, rfc->body_off);
	ck_assert_uint_eq(inner->body_off + inner->body_len,
	    rfc->body_off + rfc->body_len);
	ck_assert_int_eq(inner->kind, MIME_KIND_MULTIPART);
	ck_assert_uint_eq(inner->nchildren, 2);
	ck_assert_str_eq(inner->children->next->type, "image");
	ck_assert_uint_eq(inner->children->next->depth, 3);
	mime_free(&root);
	free(msg);
}
END_TEST

/* Body bytes of each part of multipart messages: table. */
static const struct {
	const char	*msg;
	unsigned int	 nparts;	/* children of the root */
	const char	*bodies[3];	/* bodies of the first children */
} body_tests[] = {
	/* the CRLF before a boundary belongs to the boundary */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nabc\n--b--\n",
	    1, { "abc" } },
	/* an empty body; two CRLFs keep one */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n\n--b\n\n\n\n--b--\n",
	    2, { "", "\r\n" } },
	/* boundary right after the part's header: no body */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n--b--\n",
	    1, { "" } },
	/* transport padding after boundaries */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\nx\n--b-- \n",
	    1, { "x" } },
	/* quoted boundary with specials; preamble and epilogue ignored */
	{ "Content-Type: multipart/mixed; boundary=\"=_a b:c\"\n\npre\n--=_a b:c\n\none\n--=_a b:c\n\ntwo\n--=_a b:c--\nepi\n",
	    2, { "one", "two" } },
	/* missing close-delimiter: the last part runs to the end */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nlast\nline\n",
	    1, { "last\r\nline\r\n" } },
	/* an outer boundary closes the inner multipart (RFC 2046 5.1.2) */
	{ "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\ninner\n--o\n\nsecond\n--o--\n",
	    2, { NULL, "second" } },
	/* boundary lookalikes are body text */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bb\n--b-\n-- b\n--b--x\n--b--\n",
	    1, { "--bb\r\n--b-\r\n-- b\r\n--b--x" } },
	/* parameters are case-insensitive, the boundary value is not */
	{ "Content-Type: MULTIPART/Mixed; BOUNDARY=Bb\n\n--bb\n\n--Bb\n\nx\n--Bb--\n",
	    1, { "x" } },
};

START_TEST(test_bodies)
{
	size_t len;
	char *msg = crlf(body_tests[_i].msg, &len);
	struct mime_part *root = parse_str(msg, len);
	const struct mime_part *c = root->children;
	unsigned int i;
	char *s;

	ck_assert_int_eq(root->kind, MIME_KIND_MULTIPART);
	ck_assert_uint_eq(root->nchildren, body_tests[_i].nparts);
	for (i = 0; i < body_tests[_i].nparts && i < 3; i++, c = c->next) {
		if (body_tests[_i].bodies[i] == NULL)
			continue;
		s = body_of(c, msg);
		ck_assert_str_eq(s, body_tests[_i].bodies[i]);
		free(s);
	}
	mime_free(&root);
	free(msg);
}
END_TEST

START_TEST(test_defaults)
{
	static const char *const msgs[] = {
		"",
		"Subject: x\r\n\r\nbody",
		"Content-Type: garbage\r\n\r\nbody",
		"Content-Type: /plain\r\n\r\nbody",
		"Content-Type: text/\r\n\r\nbody",
	};
	size_t i;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct mime_part *root = parse_str(msgs[i], strlen(msgs[i]));

		ck_assert_str_eq(root->type, "text");
		ck_assert_str_eq(root->subtype, "plain");
		ck_assert_int_eq(root->has_content_type, 0);
		ck_assert_int_eq(root->kind, MIME_KIND_TEXT);
		ck_assert_int_eq(root->encoding, MIME_ENC_7BIT);
		ck_assert_ptr_null(root->encoding_name);
		mime_free(&root);
	}
}
END_TEST

START_TEST(test_empty_and_null)
{
	struct mime_part *root = NULL;

	ck_assert_int_eq(mime_parse(NULL, 0, &root), 0);
	ck_assert_uint_eq(root->hdr_len, 0);
	ck_assert_uint_eq(root->body_len, 0);
	mime_free(&root);
	mime_free(&root);		/* NULL-safe */
	mime_free(NULL);
	ck_assert_int_eq(mime_parse(NULL, 5, &root), -1);
	ck_assert_ptr_null(root);
}
END_TEST

START_TEST(test_header_forms)
{
	size_t len;
	char *msg;
	struct mime_part *root;

	/* header only, no blank line: everything is header */
	msg = crlf("From: a@b\nSubject: x\n", &len);
	root = parse_str(msg, len);
	ck_assert_uint_eq(root->hdr_len, len);
	ck_assert_uint_eq(root->body_len, 0);
	mime_free(&root);
	free(msg);
	/* header without a final line end */
	root = parse_str("Subject: x", 10);
	ck_assert_uint_eq(root->hdr_len, 10);
	mime_free(&root);
	/* bare LF and mixed line ends */
	root = parse_str("Subject: x\n\r\nbody\n", 18);
	ck_assert_uint_eq(root->hdr_len, 13);
	ck_assert_uint_eq(root->body_off, 13);
	mime_free(&root);
	root = parse_str("Subject: x\r\n\nbody", 17);
	ck_assert_uint_eq(root->hdr_len, 13);
	ck_assert_uint_eq(root->body_len, 4);
	mime_free(&root);
	/* NUL bytes do not end anything */
	root = parse_str("Subject: a\0b\r\n\r\nx\0y", 19);
	ck_assert_uint_eq(root->hdr_len, 16);
	ck_assert_uint_eq(root->body_len, 3);
	mime_free(&root);
	/* an mbox From_ line is not a field but does not end the header */
	msg = crlf("From a@b Mon Jan  1 00:00:00 2024\nContent-Type: text/html\n\nx", &len);
	root = parse_str(msg, len);
	ck_assert_str_eq(root->subtype, "html");
	mime_free(&root);
	free(msg);
}
END_TEST

START_TEST(test_encodings)
{
	static const struct {
		const char		*value;
		enum mime_encoding	 enc;
		const char		*name;
	} t[] = {
		{ "base64", MIME_ENC_BASE64, "base64" },
		{ " BASE64 (comment)", MIME_ENC_BASE64, "BASE64" },
		{ "Quoted-Printable", MIME_ENC_QP, "Quoted-Printable" },
		{ "8bit", MIME_ENC_8BIT, "8bit" },
		{ "binary", MIME_ENC_BINARY, "binary" },
		{ "7BIT", MIME_ENC_7BIT, "7BIT" },
		{ "x-uuencode", MIME_ENC_UNKNOWN, "x-uuencode" },
		{ "?invalid", MIME_ENC_7BIT, NULL },
		{ "base64 junk", MIME_ENC_7BIT, NULL },
		{ "", MIME_ENC_7BIT, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char msg[256];
		struct mime_part *root;

		ck_assert_int_eq(str_format(msg, sizeof(msg),
		    "Content-Transfer-Encoding: %s\r\n\r\nx", t[i].value), 0);
		root = parse_str(msg, strlen(msg));
		ck_assert_int_eq(root->encoding, t[i].enc);
		if (t[i].name == NULL)
			ck_assert_ptr_null(root->encoding_name);
		else
			ck_assert_str_eq(root->encoding_name, t[i].name);
		mime_free(&root);
	}
}
END_TEST

START_TEST(test_content_fields)
{
	size_t len;
	char *msg = crlf("Content-Type: text/plain\n"
	    "Content-ID:   <id@x>  \n"
	    "Content-Description: folded\n"
	    "  description\n"
	    "Content-Language: en-GB, (comment) de\n"
	    "Content-Location: http://x/y\n"
	    "Content-MD5: abc=\n"
	    "Content-ID: <second@x>\n"
	    "Content-Disposition: INLINE\n\nbody", &len);
	struct mime_part *root = parse_str(msg, len);

	ck_assert_str_eq(root->id, "<id@x>");
	ck_assert_str_eq(root->description, "folded  description");
	ck_assert_uint_eq(root->nlanguages, 2);
	ck_assert_str_eq(root->languages[0], "en-GB");
	ck_assert_str_eq(root->languages[1], "de");
	ck_assert_str_eq(root->location, "http://x/y");
	ck_assert_str_eq(root->md5, "abc=");
	ck_assert_str_eq(root->disposition, "INLINE");
	ck_assert_uint_eq(root->ndisp_params, 0);
	mime_free(&root);
	free(msg);
}
END_TEST

START_TEST(test_message_rules)
{
	size_t len;
	char *msg;
	struct mime_part *root;

	/* message/rfc822 in base64 is opaque */
	msg = crlf("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogeA==\n", &len);
	root = parse_str(msg, len);
	ck_assert_int_eq(root->kind, MIME_KIND_BASIC);
	ck_assert_ptr_null(root->children);
	mime_free(&root);
	free(msg);
	/* message/global (RFC 6532) is parsed like message/rfc822 */
	msg = crlf("Content-Type: message/global\n\nSubject: inner\n\nbody\n", &len);
	root = parse_str(msg, len);
	ck_assert_int_eq(root->kind, MIME_KIND_MESSAGE);
	ck_assert_uint_eq(root->children->hdr_len, 18);
	mime_free(&root);
	free(msg);
	/* an empty message/rfc822 part still has its (empty) message */
	msg = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n--b--\n", &len);
	root = parse_str(msg, len);
	ck_assert_int_eq(root->children->kind, MIME_KIND_MESSAGE);
	ck_assert_uint_eq(root->children->children->hdr_len, 0);
	ck_assert_uint_eq(root->children->children->body_len, 0);
	mime_free(&root);
	free(msg);
}
END_TEST

TCase *
mime_tcase_parse(void)
{
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_nested_shape);
	tcase_add_loop_test(tc, test_bodies, 0,
	    (int)(sizeof(body_tests) / sizeof(body_tests[0])));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_empty_and_null);
	tcase_add_test(tc, test_header_forms);
	tcase_add_test(tc, test_encodings);
	tcase_add_test(tc, test_content_fields);
	tcase_add_test(tc, test_message_rules);
	return tc;
}

/* ---- limits ---- */

static unsigned int
count_parts(const struct mime_part *p)
{
	unsigned int n = 0;

	for (; p != NULL; p = p->next)
		n += 1 + count_parts(p->children);
	return n;
}

static unsigned int
max_depth(const struct mime_part *p)
{
	unsigned int d = 0, c;

	for (; p != NULL; p = p->next) {
		if (p->depth > d)
			d = p->depth;
		c = max_depth(p->children);
		if (c > d)
			d = c;
	}
	return d;
}

/* n nested multiparts (or message/rfc822 when messages != 0) */
static char *
deep_message(unsigned int n, int messages, size_t *len_r)
{
	struct mime_buf b;
	unsigned int i;

	mime_buf_init(&b);
	for (i = 0; i < n; i++) {
		if (messages)
			mime_buf_adds(&b, "Content-Type: message/rfc822\r\n\r\n");
		else
			mime_buf_addf(&b, "Content-Type: multipart/mixed; "
			    "boundary=b%u\r\n\r\n--b%u\r\n", i, i);
	}
	mime_buf_adds(&b, "\r\ndeepest\r\n");
	for (i = n; !messages && i-- > 0;)
		mime_buf_addf(&b, "--b%u--\r\n", i);
	*len_r = b.len;
	return mime_buf_steal(&b);
}

START_TEST(test_depth_limit)
{
	size_t len;
	char *msg = deep_message(200, _i, &len);
	struct mime_part *root = parse_str(msg, len);
	char *bs = mime_bodystructure(root, msg, 1);

	ck_assert_uint_le(max_depth(root), MIME_MAX_DEPTH);
	ck_assert_uint_ge(max_depth(root), MIME_MAX_DEPTH - 1);
	ck_assert_ptr_nonnull(bs);
	ck_assert_uint_eq(root->body_off + root->body_len, len);
	free(bs);
	mime_free(&root);
	free(msg);
}
END_TEST

START_TEST(test_part_limit)
{
	struct mime_buf b;
	struct mime_part *root;
	char *msg, *bs;
	size_t len, off, plen;
	unsigned int i;

	mime_buf_init(&b);
	mime_buf_adds(&b, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (i = 0; i < 3 * MIME_MAX_PARTS; i++)
		mime_buf_addf(&b, "--p\r\n\r\npart %u\r\n", i);
	mime_buf_adds(&b, "--p--\r\n");
	len = b.len;
	msg = mime_buf_steal(&b);
	root = parse_str(msg, len);
	ck_assert_uint_eq(count_parts(root), MIME_MAX_PARTS);
	ck_assert_int_eq(mime_section_find(root, "9999", &off, &plen, NULL), 0);
	ck_assert_int_eq(mime_section_find(root, "10000", &off, &plen, NULL),
	    MIME_SECTION_NOTFOUND);
	bs = mime_bodystructure(root, msg, 1);
	ck_assert_ptr_nonnull(strstr(bs, "\"mixed\" (\"boundary\" \"p\")"));
	free(bs);
	mime_free(&root);
	free(msg);
}
END_TEST

static double
elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 50 MB, 10,000 parts: linear work (a generous bound that also holds
 * under valgrind). */
START_TEST(test_huge_message)
{
	const size_t part_body = 5000;
	struct mime_buf b;
	struct mime_part *root;
	struct timespec t0;
	char *msg, *line, *bs;
	size_t len, i;

	line = xmalloc(78);
	memset(line, 'A', 76);
	line[76] = '\r';
	line[77] = '\n';
	mime_buf_init(&b);
	mime_buf_adds(&b, "Content-Type: multipart/mixed; boundary=big\r\n\r\n");
	for (i = 0; i < MIME_MAX_PARTS - 1; i++) {
		size_t k;

		mime_buf_adds(&b, "--big\r\nContent-Type: application/octet-stream\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
		for (k = 0; k < part_body / 78; k++)
			mime_buf_add(&b, line, 78);
	}
	mime_buf_adds(&b, "--big--\r\n");
	len = b.len;
	msg = mime_buf_steal(&b);
	ck_assert_uint_gt(len, 48u << 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	root = parse_str(msg, len);
	bs = mime_bodystructure(root, msg, 1);
	ck_assert_msg(elapsed(&t0) < 60.0, "parse took %.1f s", elapsed(&t0));
	ck_assert_uint_eq(root->nchildren, MIME_MAX_PARTS - 1);
	free(bs);
	mime_free(&root);
	free(msg);
	free(line);
}
END_TEST

/* Many lines that look like boundaries under 49 open multiparts. */
START_TEST(test_boundary_storm)
{
	struct mime_buf b;
	struct mime_part *root;
	struct timespec t0;
	char *msg;
	size_t len, i;

	mime_buf_init(&b);
	for (i = 0; i < MIME_MAX_DEPTH - 1; i++)
		mime_buf_addf(&b, "Content-Type: multipart/mixed; "
		    "boundary=boundary-number-%zu\r\n\r\n--boundary-number-%zu\r\n",
		    i, i);
	mime_buf_adds(&b, "\r\n");
	for (i = 0; i < 200000; i++)
		mime_buf_adds(&b, "--boundary-number-1x\r\n");
	len = b.len;
	msg = mime_buf_steal(&b);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	root = parse_str(msg, len);
	ck_assert_msg(elapsed(&t0) < 30.0, "parse took %.1f s", elapsed(&t0));
	ck_assert_uint_eq(max_depth(root), MIME_MAX_DEPTH - 1);
	mime_free(&root);
	free(msg);
}
END_TEST

START_TEST(test_long_fields)
{
	struct mime_buf b;
	struct mime_part *root;
	char *msg, *env;
	size_t len, i;

	mime_buf_init(&b);
	mime_buf_adds(&b, "Subject: ");
	for (i = 0; i < 200000; i++)
		mime_buf_addc(&b, 'a' + (char)(i % 26));
	mime_buf_adds(&b, "\r\nContent-Type: text/plain; name=\"");
	for (i = 0; i < 2 * MIME_MAX_FIELD_VALUE; i++)
		mime_buf_addc(&b, 'n');
	mime_buf_adds(&b, "\"");
	for (i = 0; i < 1000; i++)
		mime_buf_addf(&b, ";p%zu=v", i);
	mime_buf_adds(&b, "\r\n\r\nbody\r\n");
	len = b.len;
	msg = mime_buf_steal(&b);
	root = parse_str(msg, len);
	env = mime_envelope(root, msg);
	ck_assert_uint_gt(strlen(env), 200000);
	ck_assert_uint_le(root->nparams, MIME_MAX_PARAMS);
	ck_assert_uint_lt(strlen(mime_param_get(root->params, root->nparams,
	    "name")), MIME_MAX_FIELD_VALUE);
	ck_assert_uint_eq(root->body_len, 6);
	free(env);
	mime_free(&root);
	free(msg);
}
END_TEST

TCase *
mime_tcase_limits(void)
{
	TCase *tc = tcase_create("limits");

	tcase_add_loop_test(tc, test_depth_limit, 0, 2);
	tcase_add_test(tc, test_part_limit);
	tcase_add_test(tc, test_huge_message);
	tcase_add_test(tc, test_boundary_storm);
	tcase_add_test(tc, test_long_fields);
	return tc;
}

/* ---- parameters ---- */

static const struct {
	const char	*ctype;		/* Content-Type value */
	const char	*type, *subtype;
	const char	*params;	/* "name=value|name=value" */
} param_tests[] = {
	{ "text/plain", "text", "plain", "" },
	{ "text/plain; charset=utf-8", "text", "plain", "charset=utf-8" },
	{ " TEXT / HTML ; CHARSET = \"UTF-8\" (c)", "TEXT", "HTML",
	    "CHARSET=UTF-8" },
	{ "text/plain; a=\"x\\\"y\\\\z\"; b=tok", "text", "plain",
	    "a=x\"y\\z|b=tok" },
	{ "text/plain;;; a=1 ; ; b=2;", "text", "plain", "a=1|b=2" },
	{ "text/plain; a=1 junk here; b=2", "text", "plain", "a=1|b=2" },
	{ "text/plain; a=\"semi;colon\"; b=2", "text", "plain",
	    "a=semi;colon|b=2" },
	{ "text/plain; a=", "text", "plain", "a=" },
	{ "text/plain; =x; b=2", "text", "plain", "b=2" },
	/* RFC 2231 3: continuations, in any order */
	{ "application/x; url*1=\"/b\"; url*0=\"ftp://a\"; url*2=\".txt\"",
	    "application", "x", "url=ftp://a/b.txt" },
	/* RFC 2231 4: charset'lang'value */
	{ "application/x; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
	    "application", "x",
	    "title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A" },
	/* RFC 2231 4.1: mixed segments, plain ones %-escaped */
	{ "application/x; t*0*=us-ascii'en'a%20b; t*1=\"100%\"; t*2*=%21",
	    "application", "x", "t*=us-ascii'en'a%20b100%25%21" },
	/* extended later segment only: empty charset'lang' prefix */
	{ "application/x; t*0=\"plain \"; t*1*=%E2%82%AC", "application", "x",
	    "t*=''plain %E2%82%AC" },
	/* a gap ends the value */
	{ "application/x; u*0=a; u*2=c", "application", "x", "u=a" },
	/* "name" and "name*" are different parameters */
	{ "application/x; f=plain; f*=utf-8''%C3%A9", "application", "x",
	    "f=plain|f*=utf-8''%C3%A9" },
	/* huge section numbers are not continuations */
	{ "application/x; z*99999999999=x", "application", "x",
	    "z*99999999999=x" },
};

static void
params_join(const struct mime_part *p, struct mime_buf *b)
{
	unsigned int i;

	mime_buf_add(b, "", 0);
	for (i = 0; i < p->nparams; i++) {
		if (i > 0)
			mime_buf_addc(b, '|');
		mime_buf_adds(b, p->params[i].name);
		mime_buf_addc(b, '=');
		mime_buf_adds(b, p->params[i].value);
	}
}

START_TEST(test_params)
{
	struct mime_buf m, got;
	struct mime_part *root;

	mime_buf_init(&m);
	mime_buf_init(&got);
	mime_buf_addf(&m, "Content-Type: %s\r\n\r\nx", param_tests[_i].ctype);
	root = parse_str(m.data, m.len);
	ck_assert_int_eq(root->has_content_type, 1);
	ck_assert_str_eq(root->type, param_tests[_i].type);
	ck_assert_str_eq(root->subtype, param_tests[_i].subtype);
	params_join(root, &got);
	ck_assert_str_eq(got.data, param_tests[_i].params);
	mime_free(&root);
	mime_buf_free(&m);
	mime_buf_free(&got);
}
END_TEST

START_TEST(test_param_utf8)
{
	static const struct {
		const char *ctype, *name, *want;
	} t[] = {
		{ "a/b; title*=iso-8859-1'fr'R%E9sum%E9", "title", "R\xc3\xa9sum\xc3\xa9" },
		{ "a/b; t*0*=utf-8''%E2%82; t*1*=%AC%20x", "t", "\xe2\x82\xac x" },
		{ "a/b; name=\"=?utf-8?b?w6k=?=.txt\"", "name", "\xc3\xa9.txt" },
		{ "a/b; name=plain.txt", "NAME", "plain.txt" },
		{ "a/b; f=old; f*=utf-8''new", "f", "new" },
		{ "a/b; f*=no-quotes%41", "f", "no-quotesA" },
		{ "a/b; f*=x-unknown''%FF", "f", "\xef\xbf\xbd" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mime_buf m;
		struct mime_part *root;
		char *v;

		mime_buf_init(&m);
		mime_buf_addf(&m, "Content-Type: %s\r\n\r\n", t[i].ctype);
		root = parse_str(m.data, m.len);
		v = mime_param_get_utf8(root->params, root->nparams, t[i].name);
		ck_assert_ptr_nonnull(v);
		ck_assert_str_eq(v, t[i].want);
		free(v);
		ck_assert_ptr_null(mime_param_get_utf8(root->params,
		    root->nparams, "absent"));
		mime_free(&root);
		mime_buf_free(&m);
	}
}
END_TEST

TCase *
mime_tcase_params(void)
{
	TCase *tc = tcase_create("params");

	tcase_add_loop_test(tc, test_params, 0,
	    (int)(sizeof(param_tests) / sizeof(param_tests[0])));
	tcase_add_test(tc, test_param_utf8);
	return tc;
}
