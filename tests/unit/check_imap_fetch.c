/*
 * check_imap_fetch.c: unit tests for the FETCH data item parser
 * (imapd/imap_fetch_parse.c: every item, section form, HEADER.FIELDS
 * lists, partials, macros, modifiers, bad syntax), partial ranges, the
 * bytes each section names in a real multipart message
 * (imap_fetch_body.c) and the INTERNALDATE format. Commands are parsed by
 * the real IMAP parser, so bracketed items arrive as the core hands them.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_fetch.h"
#include "imap_parser.h"
#include "mime.h"
#include "util.h"

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Parse "A1 FETCH 1 <items> [<modifiers>]" and then the items. */
static int
parse_fetch(const char *items, struct imap_fetch_request *req, char *err,
    size_t errlen)
{
	struct imap_cmd cmd;
	const char *why = NULL;
	size_t len = strlen(items) + 16;
	char *text = xmalloc(len);
	int r;

	(void)str_format(text, len, "A1 FETCH 1 %s", items);
	memset(&cmd, 0, sizeof(cmd));
	r = imap_parse_command_text(text, strlen(text), &cmd, &why);
	free(text);
	ck_assert_msg(r == 0, "command did not parse: %s (%s)", items, why);
	ck_assert_uint_ge(cmd.n_args, 2);
	r = imap_fetch_parse(&cmd.args[1], cmd.n_args > 2 ? &cmd.args[2] : NULL,
	    req, err, errlen);
	imap_cmd_free_args(&cmd);
	return r;
}

/* ------------------------------------------------------------ items */

struct item_case {
	const char		*item;
	enum imap_fetch_type	 type;
	int			 peek;
	const char		*spec;
	const char		*name;		/* NULL for simple items */
	int			 partial;
	uint64_t		 offset, count;
	size_t			 n_fields;
};

static const struct item_case item_cases[] = {
	{ "UID", IMAP_FETCH_UID, 1, "", NULL, 0, 0, 0, 0 },
	{ "flags", IMAP_FETCH_FLAGS, 1, "", NULL, 0, 0, 0, 0 },
	{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE, 1, "", NULL, 0, 0, 0, 0 },
	{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE, 1, "", NULL, 0, 0, 0, 0 },
	{ "ENVELOPE", IMAP_FETCH_ENVELOPE, 1, "", NULL, 0, 0, 0, 0 },
	{ "BODY", IMAP_FETCH_BODY, 1, "", NULL, 0, 0, 0, 0 },
	{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE, 1, "", NULL, 0, 0, 0, 0 },
	{ "MODSEQ", IMAP_FETCH_MODSEQ, 1, "", NULL, 0, 0, 0, 0 },
	{ "RFC822", IMAP_FETCH_SECTION, 0, "", "RFC822", 0, 0, 0, 0 },
	{ "RFC822.PEEK", IMAP_FETCH_SECTION, 1, "", "RFC822", 0, 0, 0, 0 },
	{ "RFC822.HEADER", IMAP_FETCH_SECTION, 1, "HEADER", "RFC822.HEADER", 0, 0, 0, 0 },
	{ "rfc822.text", IMAP_FETCH_SECTION, 0, "TEXT", "RFC822.TEXT", 0, 0, 0, 0 },
	{ "BODY[]", IMAP_FETCH_SECTION, 0, "", "BODY[]", 0, 0, 0, 0 },
	{ "BODY.PEEK[]", IMAP_FETCH_SECTION, 1, "", "BODY[]", 0, 0, 0, 0 },
	{ "body.peek[header]", IMAP_FETCH_SECTION, 1, "HEADER", "BODY[HEADER]", 0, 0, 0, 0 },
	{ "BODY[TEXT]", IMAP_FETCH_SECTION, 0, "TEXT", "BODY[TEXT]", 0, 0, 0, 0 },
	{ "BODY[1]", IMAP_FETCH_SECTION, 0, "1", "BODY[1]", 0, 0, 0, 0 },
	{ "BODY[1.2.3]", IMAP_FETCH_SECTION, 0, "1.2.3", "BODY[1.2.3]", 0, 0, 0, 0 },
	{ "BODY[2.MIME]", IMAP_FETCH_SECTION, 0, "2.MIME", "BODY[2.MIME]", 0, 0, 0, 0 },
	{ "BODY[3.header]", IMAP_FETCH_SECTION, 0, "3.HEADER", "BODY[3.HEADER]", 0, 0, 0, 0 },
	{ "BODY[3.1.TEXT]", IMAP_FETCH_SECTION, 0, "3.1.TEXT", "BODY[3.1.TEXT]", 0, 0, 0, 0 },
	{ "BODY[10]", IMAP_FETCH_SECTION, 0, "10", "BODY[10]", 0, 0, 0, 0 },
	{ "BODY[]<0.100>", IMAP_FETCH_SECTION, 0, "", "BODY[]", 1, 0, 100, 0 },
	{ "BODY.PEEK[1]<0.393216>", IMAP_FETCH_SECTION, 1, "1", "BODY[1]", 1, 0, 393216, 0 },
	{ "BODY[TEXT]<5.1>", IMAP_FETCH_SECTION, 0, "TEXT", "BODY[TEXT]", 1, 5, 1, 0 },
	{ "BODY[]<4294967296.8589934592>", IMAP_FETCH_SECTION, 0, "", "BODY[]", 1,
	    4294967296ULL, 8589934592ULL, 0 },
	{ "BODY.PEEK[HEADER.FIELDS (From To)]", IMAP_FETCH_SECTION, 1, "HEADER.FIELDS",
	    "BODY[HEADER.FIELDS (FROM TO)]", 0, 0, 0, 2 },
	{ "BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority "
	    "X-Priority References Newsgroups In-Reply-To Content-Type Reply-To Received)]",
	    IMAP_FETCH_SECTION, 1, "HEADER.FIELDS",
	    "BODY[HEADER.FIELDS (FROM TO CC BCC SUBJECT DATE MESSAGE-ID PRIORITY "
	    "X-PRIORITY REFERENCES NEWSGROUPS IN-REPLY-TO CONTENT-TYPE REPLY-TO RECEIVED)]",
	    0, 0, 0, 15 },
	{ "BODY[header.fields.not (X-Spam \"Received\")]", IMAP_FETCH_SECTION, 0,
	    "HEADER.FIELDS.NOT", "BODY[HEADER.FIELDS.NOT (X-SPAM RECEIVED)]", 0, 0, 0, 2 },
	{ "BODY[2.HEADER.FIELDS (subject)]<0.10>", IMAP_FETCH_SECTION, 0,
	    "2.HEADER.FIELDS", "BODY[2.HEADER.FIELDS (SUBJECT)]", 1, 0, 10, 1 },
	{ "BINARY[]", IMAP_FETCH_BINARY, 0, "", "BINARY[]", 0, 0, 0, 0 },
	{ "BINARY.PEEK[1]", IMAP_FETCH_BINARY, 1, "1", "BINARY[1]", 0, 0, 0, 0 },
	{ "BINARY[1.2]<0.5>", IMAP_FETCH_BINARY, 0, "1.2", "BINARY[1.2]", 1, 0, 5, 0 },
	{ "BINARY.SIZE[2]", IMAP_FETCH_BINARY_SIZE, 1, "2", "BINARY.SIZE[2]", 0, 0, 0, 0 },
};

START_TEST(test_item)
{
	const struct item_case *tc = &item_cases[_i];
	struct imap_fetch_item it;
	char err[160];

	ck_assert_msg(imap_fetch_parse_item(tc->item, strlen(tc->item), &it, err,
	    sizeof(err)) == 0, "%s: %s", tc->item, err);
	ck_assert_int_eq(it.type, tc->type);
	ck_assert_int_eq(it.peek, tc->peek);
	ck_assert_str_eq(it.spec, tc->spec);
	if (tc->name != NULL)
		ck_assert_str_eq(it.name, tc->name);
	else
		ck_assert_ptr_null(it.name);
	ck_assert_int_eq(it.partial, tc->partial);
	ck_assert_uint_eq(it.offset, tc->offset);
	ck_assert_uint_eq(it.count, tc->count);
	ck_assert_uint_eq(it.n_fields, tc->n_fields);
	imap_fetch_item_free(&it);
}
END_TEST

static const char *const bad_items[] = {
	"",
	"FOO",
	"BODY.PEEK",
	"RFC822.BOGUS",
	"BODY[",
	"BODY]",
	"BODYX[]",
	"BODY[FOO]",
	"BODY[0]",
	"BODY[01]",
	"BODY[1.0]",
	"BODY[1.]",
	"BODY[.1]",
	"BODY[1..2]",
	"BODY[MIME]",
	"BODY[1.FOO]",
	"BODY[HEADER.FIELDS]",
	"BODY[HEADER.FIELDS ()]",
	"BODY[HEADER.FIELDS (a  b)]",
	"BODY[HEADER.FIELDS (a b]",
	"BODY[HEADER.FIELDS (Sub:ject)]",
	"BODY[HEADER.FIELDS (\"a b\")]",
	"BODY[HEADER.FIELDS (\"unterminated)]",
	"BODY[HEADER.FIELDS.NOTX (a)]",
	"BODY[TEXT (a)]",
	"BODY[]<>",
	"BODY[]<0>",
	"BODY[]<0.0>",
	"BODY[]<1.x>",
	"BODY[]<a.1>",
	"BODY[]<0.1",
	"BODY[]0.1>",
	"BODY[]<-1.5>",
	"BODY[]<0.99999999999999999999>",
	"BODY[4294967296]",
	"BINARY[TEXT]",
	"BINARY[1.MIME]",
	"BINARY.SIZE[1]<0.5>",
	"BINARY.BOGUS[1]",
};

START_TEST(test_item_bad)
{
	const char *s = bad_items[_i];
	struct imap_fetch_item it;
	char err[160];

	err[0] = '\0';
	ck_assert_msg(imap_fetch_parse_item(s, strlen(s), &it, err, sizeof(err)) < 0,
	    "accepted %s", s);
	ck_assert_msg(err[0] != '\0', "no reason for %s", s);
	ck_assert_ptr_null(it.name);
	ck_assert_ptr_null(it.fields);
}
END_TEST

/* ------------------------------------------------------------ requests */

struct request_case {
	const char	*args;
	size_t		 n;
	const char	*types;		/* one letter per item */
	unsigned	 needs;
	int		 sets_seen;
	int		 changedsince;
	int		 vanished;
};

/*
 * Letters: U UID, F FLAGS, I INTERNALDATE, Z RFC822.SIZE, E ENVELOPE,
 * B BODY, S BODYSTRUCTURE, M MODSEQ, X section, Y BINARY, W BINARY.SIZE.
 */
static const struct request_case request_cases[] = {
	{ "ALL", 4, "FIZE", IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_CACHE, 0, 0, 0 },
	{ "FAST", 3, "FIZ", IMAP_FETCH_NEED_RECORD, 0, 0, 0 },
	{ "full", 5, "FIZEB", IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_CACHE, 0, 0, 0 },
	{ "FLAGS", 1, "F", 0, 0, 0, 0 },
	{ "(FLAGS)", 1, "F", 0, 0, 0, 0 },
	{ "(UID FLAGS)", 2, "UF", 0, 0, 0, 0 },
	{ "(FLAGS UID INTERNALDATE)", 3, "FUI", IMAP_FETCH_NEED_RECORD, 0, 0, 0 },
	{ "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date "
	    "Message-ID Priority X-Priority References Newsgroups In-Reply-To "
	    "Content-Type Reply-To Received)])", 4, "UZFX",
	    IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_CACHE | IMAP_FETCH_NEED_BLOB, 0, 0, 0 },
	{ "(UID RFC822.SIZE BODY.PEEK[])", 3, "UZX",
	    IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_BLOB, 0, 0, 0 },
	{ "BODY[]", 1, "X", IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_BLOB, 1, 0, 0 },
	{ "RFC822", 1, "X", IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_BLOB, 1, 0, 0 },
	{ "RFC822.PEEK", 1, "X", IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_BLOB, 0, 0, 0 },
	{ "RFC822.HEADER", 1, "X", IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_CACHE |
	    IMAP_FETCH_NEED_BLOB, 0, 0, 0 },
	{ "RFC822.TEXT", 1, "X", IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_CACHE |
	    IMAP_FETCH_NEED_BLOB, 1, 0, 0 },
	{ "(BINARY.PEEK[1] BINARY.SIZE[1])", 2, "YW", IMAP_FETCH_NEED_RECORD |
	    IMAP_FETCH_NEED_CACHE | IMAP_FETCH_NEED_BLOB, 0, 0, 0 },
	{ "(BODYSTRUCTURE ENVELOPE)", 2, "SE", IMAP_FETCH_NEED_RECORD |
	    IMAP_FETCH_NEED_CACHE, 0, 0, 0 },
	{ "(FLAGS) (CHANGEDSINCE 12345)", 2, "FM", 0, 0, 1, 0 },
	{ "(FLAGS MODSEQ) (CHANGEDSINCE 1)", 2, "FM", 0, 0, 1, 0 },
	{ "(FLAGS) (CHANGEDSINCE 1 VANISHED)", 2, "FM", 0, 0, 1, 1 },
	{ "(FLAGS) (VANISHED CHANGEDSINCE 1)", 2, "FM", 0, 0, 1, 1 },
};

static char
type_letter(enum imap_fetch_type t)
{
	switch (t) {
	case IMAP_FETCH_UID:		return 'U';
	case IMAP_FETCH_FLAGS:		return 'F';
	case IMAP_FETCH_INTERNALDATE:	return 'I';
	case IMAP_FETCH_RFC822_SIZE:	return 'Z';
	case IMAP_FETCH_ENVELOPE:	return 'E';
	case IMAP_FETCH_BODY:		return 'B';
	case IMAP_FETCH_BODYSTRUCTURE:	return 'S';
	case IMAP_FETCH_MODSEQ:		return 'M';
	case IMAP_FETCH_SECTION:	return 'X';
	case IMAP_FETCH_BINARY:		return 'Y';
	case IMAP_FETCH_BINARY_SIZE:	return 'W';
	}
	return '?';
}

START_TEST(test_request)
{
	const struct request_case *tc = &request_cases[_i];
	struct imap_fetch_request req;
	char err[160], types[32];
	size_t i;

	ck_assert_msg(parse_fetch(tc->args, &req, err, sizeof(err)) == 0, "%s: %s",
	    tc->args, err);
	ck_assert_uint_eq(req.n, tc->n);
	for (i = 0; i < req.n && i + 1 < sizeof(types); i++)
		types[i] = type_letter(req.items[i].type);
	types[i] = '\0';
	ck_assert_str_eq(types, tc->types);
	ck_assert_uint_eq(req.needs, tc->needs);
	ck_assert_int_eq(req.sets_seen, tc->sets_seen);
	ck_assert_int_eq(req.changedsince_given, tc->changedsince);
	ck_assert_int_eq(req.vanished, tc->vanished);
	imap_fetch_request_free(&req);
	ck_assert_ptr_null(req.items);
}
END_TEST

static const char *const bad_requests[] = {
	"FOO",
	"()",
	"(FLAGS FOO)",
	"(ALL)",			/* macros stand alone */
	"(FLAGS ALL)",
	"\"FLAGS\"",
	"(\"FLAGS\")",
	"(FLAGS (UID))",
	"(FLAGS) ()",
	"(FLAGS) (CHANGEDSINCE)",
	"(FLAGS) (CHANGEDSINCE x)",
	"(FLAGS) (CHANGEDSINCE 9223372036854775808)",
	"(FLAGS) (CHANGEDSINCE 1 CHANGEDSINCE 2)",
	"(FLAGS) (VANISHED)",
	"(FLAGS) (CHANGEDSINCE 1 VANISHED VANISHED)",
	"(FLAGS) (BOGUS 1)",
	"(FLAGS) CHANGEDSINCE",
};

START_TEST(test_request_bad)
{
	struct imap_fetch_request req;
	char err[160];

	err[0] = '\0';
	ck_assert_msg(parse_fetch(bad_requests[_i], &req, err, sizeof(err)) < 0,
	    "accepted %s", bad_requests[_i]);
	ck_assert(err[0] != '\0');
	ck_assert_ptr_null(req.items);
	ck_assert_uint_eq(req.n, 0);
}
END_TEST

START_TEST(test_too_many_items)
{
	struct imap_fetch_request req;
	struct mime_buf b;
	char err[160];
	int i;

	mime_buf_init(&b);
	mime_buf_addc(&b, '(');
	for (i = 0; i < IMAP_FETCH_ITEMS_MAX + 1; i++)
		mime_buf_adds(&b, i == 0 ? "UID" : " UID");
	mime_buf_addc(&b, ')');
	ck_assert_int_lt(parse_fetch(b.data, &req, err, sizeof(err)), 0);
	mime_buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------ partial */

struct partial_case {
	int		 partial;
	uint64_t	 offset, count;
	size_t		 len;
	size_t		 off, n;
};

static const struct partial_case partial_cases[] = {
	{ 0, 0, 0, 100, 0, 100 },
	{ 1, 0, 10, 100, 0, 10 },
	{ 1, 90, 10, 100, 90, 10 },
	{ 1, 95, 10, 100, 95, 5 },
	{ 1, 99, 1, 100, 99, 1 },
	{ 1, 100, 1, 100, 100, 0 },
	{ 1, 1000, 5, 100, 100, 0 },
	{ 1, 0, 393216, 52, 0, 52 },
	{ 1, 0, UINT64_MAX / 2, 7, 0, 7 },
	{ 1, 0, 5, 0, 0, 0 },
};

START_TEST(test_partial)
{
	const struct partial_case *tc = &partial_cases[_i];
	struct imap_fetch_item it;
	size_t off = 77, n = 77;

	memset(&it, 0, sizeof(it));
	it.partial = tc->partial;
	it.offset = tc->offset;
	it.count = tc->count;
	imap_fetch_partial(&it, tc->len, &off, &n);
	ck_assert_uint_eq(off, tc->off);
	ck_assert_uint_eq(n, tc->n);
}
END_TEST

/* ------------------------------------------------------------ sections */

static const char mp_msg[] =
	"From: Dave <dave@example.net>\r\n"
	"To: alice@clientlab.test\r\n"
	"Subject: Multipart with attachment\r\n"
	"X-Spam: no\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"B1\"\r\n"
	"\r\n"
	"--B1\r\n"
	"Content-Type: text/plain; charset=\"utf-8\"\r\n"
	"Content-Transfer-Encoding: 7bit\r\n"
	"\r\n"
	"Plain body\r\n"
	"--B1\r\n"
	"Content-Type: application/octet-stream\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"AAECAw==\r\n"
	"--B1\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"Subject: inner\r\n"
	"From: x@example.org\r\n"
	"\r\n"
	"Inner text\r\n"
	"--B1\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Transfer-Encoding: x-weird\r\n"
	"\r\n"
	"odd\r\n"
	"--B1--\r\n";

struct section_case {
	const char	*item;
	int		 result;	/* imap_fetch_section_data */
	const char	*data;		/* expected bytes (before partial) */
	size_t		 len;		/* when data holds NULs */
};

#define S(x)	x, sizeof(x) - 1

static const struct section_case section_cases[] = {
	{ "BODY[HEADER.FIELDS (subject FROM)]", 0,
	    S("From: Dave <dave@example.net>\r\nSubject: Multipart with attachment\r\n\r\n") },
	{ "BODY[HEADER.FIELDS (x-nothing)]", 0, S("\r\n") },
	{ "BODY[HEADER.FIELDS.NOT (From To Subject Mime-Version Content-Type)]", 0,
	    S("X-Spam: no\r\n\r\n") },
	{ "BODY[1]", 0, S("Plain body") },
	{ "BODY[1.MIME]", 0,
	    S("Content-Type: text/plain; charset=\"utf-8\"\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n\r\n") },
	{ "BODY[2]", 0, S("AAECAw==") },
	{ "BINARY[2]", 0, "\0\1\2\3", 4 },
	{ "BINARY.SIZE[2]", 0, "\0\1\2\3", 4 },
	{ "BINARY[1]", 0, S("Plain body") },
	{ "BODY[3.HEADER]", 0, S("Subject: inner\r\nFrom: x@example.org\r\n\r\n") },
	{ "BODY[3.TEXT]", 0, S("Inner text") },
	{ "BODY[3.1]", 0, S("Inner text") },
	{ "BODY[3.HEADER.FIELDS (FROM)]", 0, S("From: x@example.org\r\n\r\n") },
	{ "BODY[5]", 1, NULL, 0 },
	{ "BODY[1.2]", 1, NULL, 0 },
	{ "BINARY[7]", 1, NULL, 0 },
	{ "BINARY[4]", -1, NULL, 0 },		/* unknown CTE */
};

START_TEST(test_section_data)
{
	const struct section_case *tc = &section_cases[_i];
	struct mime_part *root = NULL;
	struct imap_fetch_item it;
	const char *data;
	size_t len;
	char *owned, err[160];
	int r;

	ck_assert_int_eq(imap_fetch_parse_item(tc->item, strlen(tc->item), &it, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(mime_parse(mp_msg, sizeof(mp_msg) - 1, &root), 0);
	r = imap_fetch_section_data(&it, mp_msg, sizeof(mp_msg) - 1, root, &data,
	    &len, &owned);
	ck_assert_int_eq(r, tc->result);
	if (r == 0) {
		ck_assert_uint_eq(len, tc->len);
		ck_assert(memcmp(data, tc->data, len) == 0);
	}
	free(owned);
	mime_free(&root);
	imap_fetch_item_free(&it);
}
END_TEST

/* The same answers from the per-blob cache's part tree. */
START_TEST(test_section_data_cache)
{
	const struct section_case *tc = &section_cases[_i];
	struct mime_cache_view cv;
	struct imap_fetch_item it;
	const char *data;
	char *cache, *owned, err[160];
	size_t clen, len;
	int r;

	ck_assert_int_eq(imap_fetch_parse_item(tc->item, strlen(tc->item), &it, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(mime_cache_build(mp_msg, sizeof(mp_msg) - 1, &cache, &clen), 0);
	ck_assert_int_eq(mime_cache_open(cache, clen, &cv), 0);
	r = imap_fetch_section_data(&it, mp_msg, sizeof(mp_msg) - 1, cv.root, &data,
	    &len, &owned);
	ck_assert_int_eq(r, tc->result);
	if (r == 0) {
		ck_assert_uint_eq(len, tc->len);
		ck_assert(memcmp(data, tc->data, len) == 0);
	}
	free(owned);
	mime_cache_close(&cv);
	free(cache);
	imap_fetch_item_free(&it);
}
END_TEST

START_TEST(test_section_whole)
{
	struct imap_fetch_item it;
	const char *data;
	size_t len;
	char *owned, err[160];

	/* BODY[] and BINARY[] need no part tree. */
	ck_assert_int_eq(imap_fetch_parse_item("BODY[]", 6, &it, err, sizeof(err)), 0);
	ck_assert_int_eq(imap_fetch_section_data(&it, mp_msg, sizeof(mp_msg) - 1, NULL,
	    &data, &len, &owned), 0);
	ck_assert_ptr_eq(data, mp_msg);
	ck_assert_uint_eq(len, sizeof(mp_msg) - 1);
	ck_assert_ptr_null(owned);
	imap_fetch_item_free(&it);
	ck_assert_int_eq(imap_fetch_parse_item("BINARY[]", 8, &it, err, sizeof(err)), 0);
	ck_assert_int_eq(imap_fetch_section_data(&it, mp_msg, sizeof(mp_msg) - 1, NULL,
	    &data, &len, &owned), 0);
	ck_assert_uint_eq(len, sizeof(mp_msg) - 1);
	imap_fetch_item_free(&it);
	/* Without a tree, other sections are "not found", never a crash. */
	ck_assert_int_eq(imap_fetch_parse_item("BODY[TEXT]", 10, &it, err, sizeof(err)), 0);
	ck_assert_int_eq(imap_fetch_section_data(&it, mp_msg, sizeof(mp_msg) - 1, NULL,
	    &data, &len, &owned), 1);
	imap_fetch_item_free(&it);
}
END_TEST

/* ------------------------------------------------------------ dates */

START_TEST(test_format_date)
{
	char buf[40];

	imap_fetch_format_date(1795373612, buf, sizeof(buf));
	ck_assert_str_eq(buf, "22-Nov-2026 18:53:32 +0000");
	imap_fetch_format_date(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "01-Jan-1970 00:00:00 +0000");
	imap_fetch_format_date(951782400, buf, sizeof(buf));
	ck_assert_str_eq(buf, "29-Feb-2000 00:00:00 +0000");
}
END_TEST

static Suite *
imap_fetch_suite(void)
{
	Suite *s = suite_create("imap_fetch");
	TCase *tc;

	tc = tcase_create("items");
	tcase_add_loop_test(tc, test_item, 0, N_ELEMS(item_cases));
	tcase_add_loop_test(tc, test_item_bad, 0, N_ELEMS(bad_items));
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_loop_test(tc, test_request, 0, N_ELEMS(request_cases));
	tcase_add_loop_test(tc, test_request_bad, 0, N_ELEMS(bad_requests));
	tcase_add_test(tc, test_too_many_items);
	suite_add_tcase(s, tc);

	tc = tcase_create("partial");
	tcase_add_loop_test(tc, test_partial, 0, N_ELEMS(partial_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("sections");
	tcase_add_loop_test(tc, test_section_data, 0, N_ELEMS(section_cases));
	tcase_add_loop_test(tc, test_section_data_cache, 0, N_ELEMS(section_cases));
	tcase_add_test(tc, test_section_whole);
	suite_add_tcase(s, tc);

	tc = tcase_create("dates");
	tcase_add_test(tc, test_format_date);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(imap_fetch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
