/*
 * check_mime_section.c: BODY[section] locations for every section form
 * (RFC 3501 6.4.5), including the message/rfc822 numbering rules, bad
 * syntax, and HEADER.FIELDS / HEADER.FIELDS.NOT filtering.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "check_mime_util.h"

/*
 * Sections of a message shaped like RFC 3501 6.4.5's example:
 *   HEADER, TEXT, 1 TEXT/PLAIN, 2 APPLICATION/OCTET-STREAM,
 *   3 MESSAGE/RFC822 (3.HEADER, 3.TEXT, 3.1 TEXT/PLAIN,
 *   3.2 APPLICATION/OCTET-STREAM), 4 MULTIPART/MIXED (4.1 IMAGE/GIF,
 *   4.1.MIME, 4.2 MESSAGE/RFC822 (4.2.HEADER, 4.2.TEXT, 4.2.1 TEXT/PLAIN,
 *   4.2.2 MULTIPART/ALTERNATIVE (4.2.2.1 TEXT/PLAIN, 4.2.2.2
 *   TEXT/RICHTEXT)))
 */
static const char rfc3501_msg[] =
	"Subject: top\n"
	"Content-Type: MULTIPART/MIXED; boundary=top\n"
	"\n"
	"--top\n"
	"\n"
	"part 1\n"
	"--top\n"
	"Content-Type: APPLICATION/OCTET-STREAM\n"
	"\n"
	"part 2\n"
	"--top\n"
	"Content-Type: MESSAGE/RFC822\n"
	"\n"
	"Subject: three\n"
	"Content-Type: multipart/mixed; boundary=three\n"
	"\n"
	"--three\n"
	"\n"
	"part 3.1\n"
	"--three\n"
	"Content-Type: APPLICATION/OCTET-STREAM\n"
	"\n"
	"part 3.2\n"
	"--three--\n"
	"--top\n"
	"Content-Type: MULTIPART/MIXED; boundary=four\n"
	"\n"
	"--four\n"
	"Content-Type: IMAGE/GIF\n"
	"\n"
	"part 4.1\n"
	"--four\n"
	"Content-Type: MESSAGE/RFC822\n"
	"\n"
	"Subject: four-two\n"
	"Content-Type: multipart/mixed; boundary=fourtwo\n"
	"\n"
	"--fourtwo\n"
	"\n"
	"part 4.2.1\n"
	"--fourtwo\n"
	"Content-Type: MULTIPART/ALTERNATIVE; boundary=alt\n"
	"\n"
	"--alt\n"
	"\n"
	"part 4.2.2.1\n"
	"--alt\n"
	"Content-Type: TEXT/RICHTEXT\n"
	"\n"
	"part 4.2.2.2\n"
	"--alt--\n"
	"--fourtwo--\n"
	"--four--\n"
	"--top--\n";

static const struct {
	const char		*spec;
	int			 ret;
	enum mime_section_what	 what;
	const char		*want;	/* prefix of the bytes (CRLF form) */
	size_t			 len;	/* exact length, or 0 to skip */
} section_tests[] = {
	{ "", 0, MIME_SECTION_ALL, "Subject: top\r\n", 0 },
	{ "HEADER", 0, MIME_SECTION_HEADER, "Subject: top\r\nContent-Type: MULTIPART/MIXED; boundary=top\r\n\r\n", 61 },
	{ "header", 0, MIME_SECTION_HEADER, "Subject: top\r\n", 61 },
	{ "HEADER.FIELDS", 0, MIME_SECTION_HEADER_FIELDS, "Subject: top\r\n", 61 },
	{ "HEADER.FIELDS.NOT", 0, MIME_SECTION_HEADER_FIELDS_NOT, "Subject", 61 },
	{ "TEXT", 0, MIME_SECTION_TEXT, "--top\r\n\r\npart 1\r\n", 0 },
	{ "1", 0, MIME_SECTION_ALL, "part 1", 6 },
	{ "1.MIME", 0, MIME_SECTION_MIME, "\r\n", 2 },
	{ "2", 0, MIME_SECTION_ALL, "part 2", 6 },
	{ "2.MIME", 0, MIME_SECTION_MIME, "Content-Type: APPLICATION/OCTET-STREAM\r\n\r\n", 42 },
	{ "3", 0, MIME_SECTION_ALL, "Subject: three\r\n", 0 },
	{ "3.HEADER", 0, MIME_SECTION_HEADER, "Subject: three\r\nContent-Type: multipart/mixed; boundary=three\r\n\r\n", 65 },
	{ "3.HEADER.FIELDS", 0, MIME_SECTION_HEADER_FIELDS, "Subject: three\r\n", 65 },
	{ "3.TEXT", 0, MIME_SECTION_TEXT, "--three\r\n\r\npart 3.1\r\n--three\r\n", 0 },
	{ "3.MIME", 0, MIME_SECTION_MIME, "Content-Type: MESSAGE/RFC822\r\n\r\n", 32 },
	{ "3.1", 0, MIME_SECTION_ALL, "part 3.1", 8 },
	{ "3.2", 0, MIME_SECTION_ALL, "part 3.2", 8 },
	{ "3.2.MIME", 0, MIME_SECTION_MIME, "Content-Type: APPLICATION/OCTET-STREAM\r\n\r\n", 42 },
	{ "4", 0, MIME_SECTION_ALL, "--four\r\n", 0 },
	{ "4.1", 0, MIME_SECTION_ALL, "part 4.1", 8 },
	{ "4.1.MIME", 0, MIME_SECTION_MIME, "Content-Type: IMAGE/GIF\r\n\r\n", 27 },
	{ "4.2", 0, MIME_SECTION_ALL, "Subject: four-two\r\n", 0 },
	{ "4.2.HEADER", 0, MIME_SECTION_HEADER, "Subject: four-two\r\n", 70 },
	{ "4.2.TEXT", 0, MIME_SECTION_TEXT, "--fourtwo\r\n", 0 },
	{ "4.2.1", 0, MIME_SECTION_ALL, "part 4.2.1", 10 },
	{ "4.2.2", 0, MIME_SECTION_ALL, "--alt\r\n", 0 },
	{ "4.2.2.1", 0, MIME_SECTION_ALL, "part 4.2.2.1", 12 },
	{ "4.2.2.2", 0, MIME_SECTION_ALL, "part 4.2.2.2", 12 },
	{ "4.2.2.2.MIME", 0, MIME_SECTION_MIME, "Content-Type: TEXT/RICHTEXT\r\n\r\n", 31 },
	/* a leaf has part 1: itself (RFC 3501 6.4.5) */
	{ "4.1.1", 0, MIME_SECTION_ALL, "part 4.1", 8 },
	/* leniency: HEADER/TEXT of a non-message part are its own */
	{ "2.HEADER", 0, MIME_SECTION_HEADER, "Content-Type: APPLICATION", 42 },
	{ "2.TEXT", 0, MIME_SECTION_TEXT, "part 2", 6 },
	/* nonexistent parts */
	{ "5", MIME_SECTION_NOTFOUND, MIME_SECTION_ALL, NULL, 0 },
	{ "4.3", MIME_SECTION_NOTFOUND, MIME_SECTION_ALL, NULL, 0 },
	{ "4.1.2", MIME_SECTION_NOTFOUND, MIME_SECTION_ALL, NULL, 0 },
	{ "3.3.HEADER", MIME_SECTION_NOTFOUND, MIME_SECTION_HEADER, NULL, 0 },
	{ "10000.MIME", MIME_SECTION_NOTFOUND, MIME_SECTION_MIME, NULL, 0 },
	{ "4294967295", MIME_SECTION_NOTFOUND, MIME_SECTION_ALL, NULL, 0 },
	/* bad syntax */
	{ "0", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "01", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "1.", MIME_SECTION_BAD, 0, NULL, 0 },
	{ ".1", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "1..2", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "1.2x", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "MIME", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "HEADERS", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "1.FOO", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "TEXT.1", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "99999999999999999999", MIME_SECTION_BAD, 0, NULL, 0 },
	{ "-1", MIME_SECTION_BAD, 0, NULL, 0 },
};

START_TEST(test_section)
{
	size_t len, off = 12345, slen = 12345;
	char *msg = crlf(rfc3501_msg, &len);
	struct mime_part *root = parse_str(msg, len);
	enum mime_section_what what = MIME_SECTION_ALL;
	int ret;

	ret = mime_section_find(root, section_tests[_i].spec, &off, &slen,
	    &what);
	ck_assert_msg(ret == section_tests[_i].ret, "[%s]: %d",
	    section_tests[_i].spec, ret);
	if (ret != MIME_SECTION_BAD)
		ck_assert_int_eq(what, section_tests[_i].what);
	if (ret == 0) {
		const char *want = section_tests[_i].want;

		ck_assert_uint_le(off + slen, len);
		ck_assert_uint_ge(slen, strlen(want));
		ck_assert_msg(memcmp(msg + off, want, strlen(want)) == 0,
		    "[%s]: %.*s", section_tests[_i].spec, (int)slen, msg + off);
		if (section_tests[_i].len != 0)
			ck_assert_uint_eq(slen, section_tests[_i].len);
	}
	mime_free(&root);
	free(msg);
}
END_TEST

START_TEST(test_part_find)
{
	size_t len;
	char *msg = crlf(rfc3501_msg, &len);
	struct mime_part *root = parse_str(msg, len);
	const struct mime_part *p;

	ck_assert_ptr_eq(mime_part_find(root, ""), root);
	p = mime_part_find(root, "4.2.2.2");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->subtype, "RICHTEXT");
	p = mime_part_find(root, "3");
	ck_assert_int_eq(p->kind, MIME_KIND_MESSAGE);
	/* 3.1 is inside the encapsulated message */
	ck_assert_ptr_eq(mime_part_find(root, "3.1"),
	    p->children->children);
	ck_assert_ptr_null(mime_part_find(root, "3.HEADER"));
	ck_assert_ptr_null(mime_part_find(root, "9"));
	ck_assert_ptr_null(mime_part_find(root, "x"));
	mime_free(&root);
	free(msg);
}
END_TEST

/* Non-multipart messages: part 1 is the body; a top-level
 * message/rfc822 leads into the encapsulated message. */
START_TEST(test_single_part)
{
	size_t len, off, slen;
	char *msg = crlf("Subject: s\n\nbody\n", &len);
	struct mime_part *root = parse_str(msg, len);

	ck_assert_int_eq(mime_section_find(root, "1", &off, &slen, NULL), 0);
	ck_assert_uint_eq(off, 14);
	ck_assert_uint_eq(slen, 6);
	ck_assert_int_eq(mime_section_find(root, "1.MIME", &off, &slen, NULL), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(slen, 14);
	ck_assert_int_eq(mime_section_find(root, "2", &off, &slen, NULL),
	    MIME_SECTION_NOTFOUND);
	ck_assert_int_eq(mime_section_find(root, "TEXT", &off, &slen, NULL), 0);
	ck_assert_uint_eq(slen, 6);
	mime_free(&root);
	free(msg);

	msg = crlf("Content-Type: message/rfc822\n\nSubject: in\n\ninner\n", &len);
	root = parse_str(msg, len);
	ck_assert_int_eq(mime_section_find(root, "HEADER", &off, &slen, NULL), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(slen, 32);
	ck_assert_int_eq(mime_section_find(root, "1", &off, &slen, NULL), 0);
	ck_assert_int_eq(memcmp(msg + off, "inner", 5), 0);
	mime_free(&root);
	free(msg);
}
END_TEST

TCase *
mime_tcase_section(void)
{
	TCase *tc = tcase_create("section");

	tcase_add_loop_test(tc, test_section, 0,
	    (int)(sizeof(section_tests) / sizeof(section_tests[0])));
	tcase_add_test(tc, test_part_find);
	tcase_add_test(tc, test_single_part);
	return tc;
}

static const char fields_hdr[] =
	"From: a@b\r\n"
	"Subject: folded\r\n"
	"\tcontinued\r\n"
	"to: x@y\r\n"
	"X-Mixed-Case: 1\r\n"
	"Subject: second\r\n"
	"broken line\r\n"
	"\r\n"
	"Not: in the header\r\n";

static const struct {
	const char	*fields[4];
	size_t		 nfields;
	int		 not;
	const char	*want;
} fields_tests[] = {
	{ { "SUBJECT" }, 1, 0,
	  "Subject: folded\r\n\tcontinued\r\nSubject: second\r\n\r\n" },
	{ { "From", "TO" }, 2, 0, "From: a@b\r\nto: x@y\r\n\r\n" },
	{ { "x-mixed-case" }, 1, 0, "X-Mixed-Case: 1\r\n\r\n" },
	{ { "Not" }, 1, 0, "\r\n" },
	{ { "Subj" }, 1, 0, "\r\n" },
	{ { NULL }, 0, 0, "\r\n" },
	{ { "subject", "from" }, 2, 1, "to: x@y\r\nX-Mixed-Case: 1\r\n\r\n" },
	{ { NULL }, 0, 1,
	  "From: a@b\r\nSubject: folded\r\n\tcontinued\r\nto: x@y\r\n"
	  "X-Mixed-Case: 1\r\nSubject: second\r\n\r\n" },
};

START_TEST(test_header_fields)
{
	size_t len;
	char *out = mime_header_fields(fields_hdr, sizeof(fields_hdr) - 1,
	    fields_tests[_i].fields, fields_tests[_i].nfields,
	    fields_tests[_i].not, &len);

	ck_assert_str_eq(out, fields_tests[_i].want);
	ck_assert_uint_eq(len, strlen(fields_tests[_i].want));
	free(out);
}
END_TEST

START_TEST(test_header_access)
{
	struct mime_header_field f;
	const char *hdr = "Subject: hi\r\nX-Empty:\r\nLast: no eol";
	char *s;

	ck_assert_int_eq(mime_header_get(hdr, strlen(hdr), "subject", &f), 1);
	ck_assert_int_eq((int)f.value_len, 2);
	ck_assert_int_eq(memcmp(f.value, "hi", 2), 0);
	ck_assert_uint_eq(f.line_len, 13);
	ck_assert_int_eq(mime_header_get(hdr, strlen(hdr), "x-empty", &f), 1);
	ck_assert_uint_eq(f.value_len, 0);
	ck_assert_int_eq(mime_header_get(hdr, strlen(hdr), "last", &f), 1);
	ck_assert_uint_eq(f.value_len, 6);
	ck_assert_int_eq(mime_header_get(hdr, strlen(hdr), "nope", &f), 0);
	/* HEADER.FIELDS of a header without its final line end */
	{
		const char *fl[] = { "last" };
		size_t n;
		char *out = mime_header_fields(hdr, strlen(hdr), fl, 1, 0, &n);

		ck_assert_str_eq(out, "Last: no eol\r\n\r\n");
		free(out);
	}
	s = mime_header_unfold(" a\r\n\tb  \r\n c ", 13);
	ck_assert_str_eq(s, "a\tb   c");
	free(s);
}
END_TEST

TCase *
mime_tcase_header_fields(void)
{
	TCase *tc = tcase_create("header_fields");

	tcase_add_loop_test(tc, test_header_fields, 0,
	    (int)(sizeof(fields_tests) / sizeof(fields_tests[0])));
	tcase_add_test(tc, test_header_access);
	return tc;
}
