/*
 * check_imap_search.c: unit tests for the SEARCH program parser
 * (imapd/imap_search_parse.c: every key, nesting, RETURN, CHARSET, bad
 * syntax, limits), the dates (imap_search_date.c) and the evaluator
 * (imap_search_eval.c) on real messages: flags, keywords, sizes, internal
 * and Date: header dates, and decoded content (RFC 2047 subjects, base64
 * and quoted-printable bodies, ISO-8859-1, case-insensitive). Commands
 * are parsed by the real IMAP parser (imap_parse_command_text).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_parser.h"
#include "imap_search.h"
#include "mime.h"
#include "util.h"

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ helpers */

static int
parse_search(const char *args, struct imap_search_program *prog,
    char *err, size_t errlen)
{
	struct imap_cmd cmd;
	const char *why = NULL;
	size_t len = strlen(args) + 16;
	char *text = xmalloc(len);
	int r;

	(void)str_format(text, len, "A1 SEARCH %s", args);
	memset(&cmd, 0, sizeof(cmd));
	r = imap_parse_command_text(text, strlen(text), &cmd, &why);
	free(text);
	ck_assert_msg(r == 0, "command did not parse: %s (%s)", args, why);
	r = imap_search_parse(cmd.args, cmd.n_args, prog, err, errlen);
	imap_cmd_free_args(&cmd);
	return r;
}

static void
dump_set(struct mime_buf *b, const struct imap_seqset *set)
{
	size_t i;

	if (set->last_result) {
		mime_buf_adds(b, "$");
		return;
	}
	for (i = 0; i < set->n; i++) {
		if (i > 0)
			mime_buf_addc(b, ',');
		if (set->r[i].lo == IMAP_SEQ_STAR)
			mime_buf_addc(b, '*');
		else
			mime_buf_addf(b, "%lu", (unsigned long)set->r[i].lo);
		if (set->r[i].hi != set->r[i].lo) {
			if (set->r[i].hi == IMAP_SEQ_STAR)
				mime_buf_adds(b, ":*");
			else
				mime_buf_addf(b, ":%lu", (unsigned long)set->r[i].hi);
		}
	}
}

/* A compact rendering of a program tree, to compare with the tables. */
static void
dump_key(struct mime_buf *b, const struct imap_search_key *k)
{
	const struct imap_search_key *c;
	static const char *const names[] = {
		[IMAP_SK_BEFORE] = "BEFORE", [IMAP_SK_ON] = "ON",
		[IMAP_SK_SINCE] = "SINCE", [IMAP_SK_SENTBEFORE] = "SENTBEFORE",
		[IMAP_SK_SENTON] = "SENTON", [IMAP_SK_SENTSINCE] = "SENTSINCE",
		[IMAP_SK_LARGER] = "LARGER", [IMAP_SK_SMALLER] = "SMALLER",
		[IMAP_SK_OLDER] = "OLDER", [IMAP_SK_YOUNGER] = "YOUNGER",
		[IMAP_SK_MODSEQ] = "MODSEQ",
	};

	switch (k->type) {
	case IMAP_SK_ALL:
		mime_buf_adds(b, "ALL");
		return;
	case IMAP_SK_AND:
		mime_buf_addc(b, '(');
		for (c = k->child; c != NULL; c = c->next) {
			if (c != k->child)
				mime_buf_addc(b, ' ');
			dump_key(b, c);
		}
		mime_buf_addc(b, ')');
		return;
	case IMAP_SK_OR:
		mime_buf_adds(b, "OR(");
		dump_key(b, k->child);
		mime_buf_addc(b, ',');
		dump_key(b, k->child->next);
		mime_buf_addc(b, ')');
		return;
	case IMAP_SK_NOT:
		mime_buf_adds(b, "NOT(");
		dump_key(b, k->child);
		mime_buf_addc(b, ')');
		return;
	case IMAP_SK_SEQSET:
	case IMAP_SK_UID:
		mime_buf_adds(b, k->type == IMAP_SK_UID ? "UID[" : "SEQ[");
		dump_set(b, &k->set);
		mime_buf_addc(b, ']');
		return;
	case IMAP_SK_FLAGS:
		mime_buf_addf(b, "FLAGS(%x,%x)", k->flags, k->noflags);
		return;
	case IMAP_SK_KEYWORD:
		mime_buf_addf(b, "KW(%s)", k->str);
		return;
	case IMAP_SK_HEADER:
		mime_buf_addf(b, "HDR(%s:%s)", k->str2, k->str);
		return;
	case IMAP_SK_BODY:
		mime_buf_addf(b, "BODY(%s)", k->str);
		return;
	case IMAP_SK_TEXT:
		mime_buf_addf(b, "TEXT(%s)", k->str);
		return;
	case IMAP_SK_BEFORE:
	case IMAP_SK_ON:
	case IMAP_SK_SINCE:
	case IMAP_SK_SENTBEFORE:
	case IMAP_SK_SENTON:
	case IMAP_SK_SENTSINCE:
		mime_buf_addf(b, "%s(%lld)", names[k->type], (long long)k->day);
		return;
	case IMAP_SK_LARGER:
	case IMAP_SK_SMALLER:
	case IMAP_SK_OLDER:
	case IMAP_SK_YOUNGER:
	case IMAP_SK_MODSEQ:
		mime_buf_addf(b, "%s(%llu)", names[k->type], (unsigned long long)k->num);
		return;
	}
	mime_buf_adds(b, "?");
}

/* ------------------------------------------------------------ parser */

struct parse_case {
	const char	*args;
	const char	*tree;
};

static const struct parse_case parse_cases[] = {
	{ "ALL", "(ALL)" },
	{ "all", "(ALL)" },
	{ "ANSWERED", "(FLAGS(2,0))" },
	{ "DELETED", "(FLAGS(8,0))" },
	{ "DRAFT", "(FLAGS(10,0))" },
	{ "FLAGGED", "(FLAGS(4,0))" },
	{ "SEEN", "(FLAGS(1,0))" },
	{ "RECENT", "(FLAGS(20,0))" },
	{ "NEW", "(FLAGS(20,1))" },
	{ "OLD", "(FLAGS(0,20))" },
	{ "UNANSWERED", "(FLAGS(0,2))" },
	{ "UNDELETED", "(FLAGS(0,8))" },
	{ "UNDRAFT", "(FLAGS(0,10))" },
	{ "UNFLAGGED", "(FLAGS(0,4))" },
	{ "UNSEEN", "(FLAGS(0,1))" },
	{ "KEYWORD $label1", "(KW($label1))" },
	{ "UNKEYWORD $Junk", "(NOT(KW($Junk)))" },
	{ "BEFORE 22-Nov-2026", "(BEFORE(20779))" },
	{ "ON \"1-Jan-2020\"", "(ON(18262))" },
	{ "SINCE 29-feb-2024", "(SINCE(19782))" },
	{ "SENTBEFORE 1-Mar-2000", "(SENTBEFORE(11017))" },
	{ "SENTON 01-Jan-1970", "(SENTON(0))" },
	{ "SENTSINCE 31-Dec-1969", "(SENTSINCE(-1))" },
	{ "LARGER 1000", "(LARGER(1000))" },
	{ "SMALLER 0", "(SMALLER(0))" },
	{ "LARGER 18446744073709551615", "(LARGER(18446744073709551615))" },
	{ "OLDER 3600 YOUNGER 60", "(OLDER(3600) YOUNGER(60))" },
	{ "FROM carol", "(HDR(From:carol))" },
	{ "TO \"alice smith\"", "(HDR(To:alice smith))" },
	{ "CC bob", "(HDR(Cc:bob))" },
	{ "BCC x", "(HDR(Bcc:x))" },
	{ "SUBJECT {5}\r\nhello", "(HDR(Subject:hello))" },
	{ "HEADER Message-ID \"<a@b>\"", "(HDR(Message-ID:<a@b>))" },
	{ "HEADER X-Spam \"\"", "(HDR(X-Spam:))" },
	{ "BODY report", "(BODY(report))" },
	{ "TEXT \"two words\"", "(TEXT(two words))" },
	{ "UID 1:3,5", "(UID[1:3,5])" },
	{ "UID 7:*", "(UID[7:*])" },
	{ "1:*", "(SEQ[1:*])" },
	{ "2,4:6", "(SEQ[2,4:6])" },
	{ "*", "(SEQ[*])" },
	{ "MODSEQ 620162338", "(MODSEQ(620162338))" },
	{ "MODSEQ \"/flags/\\\\draft\" all 620162338", "(MODSEQ(620162338))" },
	{ "MODSEQ \"/flags/\\\\seen\" priv 5", "(MODSEQ(5))" },
	{ "NOT SEEN", "(NOT(FLAGS(1,0)))" },
	{ "NOT NOT SEEN", "(NOT(NOT(FLAGS(1,0))))" },
	{ "OR SEEN FLAGGED", "(OR(FLAGS(1,0),FLAGS(4,0)))" },
	{ "OR (SEEN FLAGGED) NOT DELETED", "(OR((FLAGS(1,0) FLAGS(4,0)),NOT(FLAGS(8,0))))" },
	{ "OR OR SEEN DRAFT FLAGGED", "(OR(OR(FLAGS(1,0),FLAGS(10,0)),FLAGS(4,0)))" },
	{ "(SEEN)", "((FLAGS(1,0)))" },
	{ "((SEEN) (UNSEEN DELETED))", "(((FLAGS(1,0)) (FLAGS(0,1) FLAGS(8,0))))" },
	{ "SEEN FROM carol SINCE 1-Jan-2020 UNDELETED",
	    "(FLAGS(1,0) HDR(From:carol) SINCE(18262) FLAGS(0,8))" },
	{ "CHARSET UTF-8 SUBJECT caf\xc3\xa9", "(HDR(Subject:caf\xc3\xa9))" },
	{ "charset us-ascii TEXT x", "(TEXT(x))" },
	{ "CHARSET \"UTF-8\" ALL", "(ALL)" },
	{ "RETURN (MIN MAX) ALL", "(ALL)" },
	{ "RETURN () UNSEEN", "(FLAGS(0,1))" },
	{ "RETURN (COUNT) CHARSET UTF-8 ALL", "(ALL)" },
};

START_TEST(test_parse)
{
	const struct parse_case *tc = &parse_cases[_i];
	struct imap_search_program prog;
	struct mime_buf b;
	char err[160];

	ck_assert_msg(parse_search(tc->args, &prog, err, sizeof(err)) == IMAP_SEARCH_OK,
	    "%s: %s", tc->args, err);
	mime_buf_init(&b);
	dump_key(&b, prog.root);
	ck_assert_str_eq(b.data, tc->tree);
	mime_buf_free(&b);
	imap_search_program_free(&prog);
	ck_assert_ptr_null(prog.root);
}
END_TEST

struct flags_case {
	const char	*args;
	int		 esearch;
	unsigned	 ret;
	int		 has_modseq;
	int		 needs_content;
	int		 uses_last;
};

static const struct flags_case flags_cases[] = {
	{ "ALL", 0, 0, 0, 0, 0 },
	{ "RETURN (MIN MAX COUNT ALL) ALL", 1, IMAP_SEARCH_RET_MIN |
	    IMAP_SEARCH_RET_MAX | IMAP_SEARCH_RET_COUNT | IMAP_SEARCH_RET_ALL, 0, 0, 0 },
	{ "RETURN () ALL", 1, IMAP_SEARCH_RET_ALL, 0, 0, 0 },
	{ "RETURN (count) ALL", 1, IMAP_SEARCH_RET_COUNT, 0, 0, 0 },
	{ "RETURN (SAVE) ALL", 1, IMAP_SEARCH_RET_SAVE, 0, 0, 0 },
	{ "MODSEQ 5", 0, 0, 1, 0, 0 },
	{ "OR SEEN BODY x", 0, 0, 0, 1, 0 },
	{ "NOT SENTON 1-Jan-2020", 0, 0, 0, 1, 0 },
	{ "HEADER X y", 0, 0, 0, 1, 0 },
	{ "LARGER 5 SEEN", 0, 0, 0, 0, 0 },
	{ "$", 0, 0, 0, 0, 1 },
	{ "UID $", 0, 0, 0, 0, 1 },
};

START_TEST(test_parse_flags)
{
	const struct flags_case *tc = &flags_cases[_i];
	struct imap_search_program prog;
	char err[160];

	ck_assert_int_eq(parse_search(tc->args, &prog, err, sizeof(err)), IMAP_SEARCH_OK);
	ck_assert_int_eq(prog.esearch, tc->esearch);
	ck_assert_uint_eq(prog.ret, tc->ret);
	ck_assert_int_eq(prog.has_modseq, tc->has_modseq);
	ck_assert_int_eq(prog.needs_content, tc->needs_content);
	ck_assert_int_eq(prog.uses_last_result, tc->uses_last);
	imap_search_program_free(&prog);
}
END_TEST

struct bad_case {
	const char	*args;
	int		 result;
};

static const struct bad_case bad_cases[] = {
	{ "", IMAP_SEARCH_BAD },
	{ "FOO", IMAP_SEARCH_BAD },
	{ "\"ALL\"", IMAP_SEARCH_BAD },
	{ "SEEN FOO", IMAP_SEARCH_BAD },
	{ "FROM", IMAP_SEARCH_BAD },
	{ "HEADER Subject", IMAP_SEARCH_BAD },
	{ "HEADER \"Bad Name\" x", IMAP_SEARCH_BAD },
	{ "HEADER \"\" x", IMAP_SEARCH_BAD },
	{ "HEADER Subj:ect x", IMAP_SEARCH_BAD },
	{ "BEFORE", IMAP_SEARCH_BAD },
	{ "BEFORE 2026-11-22", IMAP_SEARCH_BAD },
	{ "BEFORE 32-Nov-2026", IMAP_SEARCH_BAD },
	{ "BEFORE 0-Nov-2026", IMAP_SEARCH_BAD },
	{ "BEFORE 1-Foo-2026", IMAP_SEARCH_BAD },
	{ "BEFORE 1-Nov-26", IMAP_SEARCH_BAD },
	{ "BEFORE 123-Nov-2026", IMAP_SEARCH_BAD },
	{ "BEFORE {10}\r\n1-Nov-2026", IMAP_SEARCH_BAD },
	{ "LARGER", IMAP_SEARCH_BAD },
	{ "LARGER -1", IMAP_SEARCH_BAD },
	{ "LARGER abc", IMAP_SEARCH_BAD },
	{ "LARGER 18446744073709551616", IMAP_SEARCH_BAD },
	{ "OLDER 0", IMAP_SEARCH_BAD },
	{ "KEYWORD", IMAP_SEARCH_BAD },
	{ "KEYWORD \\Seen", IMAP_SEARCH_BAD },
	{ "KEYWORD \"quoted\"", IMAP_SEARCH_BAD },
	{ "UID", IMAP_SEARCH_BAD },
	{ "UID abc", IMAP_SEARCH_BAD },
	{ "UID 0", IMAP_SEARCH_BAD },
	{ "UID 1:4294967296", IMAP_SEARCH_BAD },
	{ "1,,2", IMAP_SEARCH_BAD },
	{ "NOT", IMAP_SEARCH_BAD },
	{ "OR SEEN", IMAP_SEARCH_BAD },
	{ "OR", IMAP_SEARCH_BAD },
	{ "()", IMAP_SEARCH_BAD },
	{ "(SEEN FOO)", IMAP_SEARCH_BAD },
	{ "MODSEQ", IMAP_SEARCH_BAD },
	{ "MODSEQ \"/flags/x\" 5", IMAP_SEARCH_BAD },
	{ "MODSEQ \"/flags/x\" bogus 5", IMAP_SEARCH_BAD },
	{ "MODSEQ 9223372036854775808", IMAP_SEARCH_BAD },
	{ "CHARSET", IMAP_SEARCH_BAD },
	{ "CHARSET UTF-8", IMAP_SEARCH_BAD },
	{ "CHARSET ISO-8859-1 ALL", IMAP_SEARCH_BADCHARSET },
	{ "CHARSET KOI8-R TEXT x", IMAP_SEARCH_BADCHARSET },
	{ "RETURN", IMAP_SEARCH_BAD },
	{ "RETURN ALL", IMAP_SEARCH_BAD },
	{ "RETURN (BOGUS) ALL", IMAP_SEARCH_BAD },
	{ "RETURN (MIN)", IMAP_SEARCH_BAD },
	{ "ALL CHARSET UTF-8", IMAP_SEARCH_BAD },
	{ "ALL RETURN (MIN)", IMAP_SEARCH_BAD },
};

START_TEST(test_parse_bad)
{
	const struct bad_case *tc = &bad_cases[_i];
	struct imap_search_program prog;
	char err[160];

	ck_assert_int_eq(parse_search(tc->args, &prog, err, sizeof(err)), tc->result);
	ck_assert_ptr_null(prog.root);
	ck_assert_msg(err[0] != '\0', "no error text for %s", tc->args);
	imap_search_program_free(&prog);
}
END_TEST

/* ------------------------------------------------------------ limits */

START_TEST(test_depth_limit)
{
	struct imap_search_program prog;
	struct mime_buf b;
	char err[160];
	int i, n;

	/* NOT NOT ... SEEN: fine up to the limit, refused past it. */
	for (n = IMAP_SEARCH_DEPTH_MAX - 1; n <= IMAP_SEARCH_DEPTH_MAX + 1; n++) {
		mime_buf_init(&b);
		for (i = 0; i < n; i++)
			mime_buf_adds(&b, "NOT ");
		mime_buf_adds(&b, "SEEN");
		ck_assert_int_eq(parse_search(b.data, &prog, err, sizeof(err)),
		    n < IMAP_SEARCH_DEPTH_MAX ? IMAP_SEARCH_OK : IMAP_SEARCH_BAD);
		imap_search_program_free(&prog);
		mime_buf_free(&b);
	}
	/* Nested groups within the parser's own list depth limit. */
	ck_assert_int_eq(parse_search("((((((((SEEN))))))))", &prog, err, sizeof(err)),
	    IMAP_SEARCH_OK);
	imap_search_program_free(&prog);
}
END_TEST

START_TEST(test_keys_limit)
{
	struct imap_search_program prog;
	struct mime_buf b;
	char err[160];
	int i;

	mime_buf_init(&b);
	for (i = 0; i < IMAP_SEARCH_KEYS_MAX + 5; i++)
		mime_buf_adds(&b, i == 0 ? "SEEN" : " SEEN");
	ck_assert_int_eq(parse_search(b.data, &prog, err, sizeof(err)), IMAP_SEARCH_BAD);
	ck_assert_ptr_null(prog.root);
	mime_buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------ dates */

struct date_case {
	const char	*s;
	int		 ok;
	int64_t		 day;
};

static const struct date_case date_cases[] = {
	{ "22-Nov-2026", 1, 20779 },
	{ "1-Jan-1970", 1, 0 },
	{ "01-JAN-1970", 1, 0 },
	{ "31-Dec-1969", 1, -1 },
	{ "29-Feb-2024", 1, 19782 },
	{ "1-Mar-2000", 1, 11017 },
	{ "1-Jan-20", 0, 0 },
	{ "1 Jan 2020", 0, 0 },
	{ "1-Janu-2020", 0, 0 },
	{ "-Jan-2020", 0, 0 },
	{ "1-Jan-", 0, 0 },
	{ "", 0, 0 },
	{ "1-Jan-2020x", 0, 0 },
};

START_TEST(test_dates)
{
	const struct date_case *tc = &date_cases[_i];
	int64_t day = 12345;

	ck_assert_int_eq(imap_search_parse_date(tc->s, strlen(tc->s), &day) == 0, tc->ok);
	if (tc->ok)
		ck_assert_int_eq(day, tc->day);
}
END_TEST

START_TEST(test_day_of)
{
	ck_assert_int_eq(imap_search_day_of(0, 0), 0);
	ck_assert_int_eq(imap_search_day_of(86399, 0), 0);
	ck_assert_int_eq(imap_search_day_of(86400, 0), 1);
	ck_assert_int_eq(imap_search_day_of(-1, 0), -1);
	ck_assert_int_eq(imap_search_day_of(-86400, 0), -1);
	ck_assert_int_eq(imap_search_day_of(-86401, 0), -2);
	/* 2019-12-31 23:30 UTC is 2020-01-01 00:30 at +0100 */
	ck_assert_int_eq(imap_search_day_of(1577835000, 0), 18261);
	ck_assert_int_eq(imap_search_day_of(1577835000, 60), 18262);
	ck_assert_int_eq(imap_search_day_of(1577835000, -600), 18261);
	ck_assert_int_eq(imap_search_day(2026, 11, 22), 20779);
}
END_TEST

/* ------------------------------------------------------------ evaluation */

struct test_msg {
	const char	*raw;
	uint32_t	 uid;
	uint32_t	 flags;
	uint64_t	 keywords;
	uint64_t	 modseq;
	int64_t		 internaldate;
};

static const char msg0[] =
	"From: Carol Example <carol@example.net>\r\n"
	"To: Alice <alice@clientlab.test>\r\n"
	"Subject: Lab message 1\r\n"
	"Date: Sun, 22 Nov 2026 13:53:32 +0000\r\n"
	"Message-ID: <lab1.2624@example.net>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"Hello Alice, this is test message number 1.\r\n"
	"Second line.\r\n";

static const char msg1[] =
	"From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>\r\n"
	"To: alice@clientlab.test\r\n"
	"Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=\r\n"
	"Date: Wed, 1 Jan 2020 00:30:00 +0100\r\n"
	"X-Mailer: Example\r\n"
	" Mailer/1.0\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"U2Now7ZuZSBHcsO8w59lIHZvbSBCb2RlbnNlZQ0KWndlaXRlIFplaWxlDQo=\r\n";

static const char msg2[] =
	"From: Dave <dave@example.net>\r\n"
	"To: alice@clientlab.test\r\n"
	"Cc: Bob <bob@example.test>\r\n"
	"Bcc: secret@example.test\r\n"
	"Subject: =?ISO-8859-1?Q?Re:_caf=E9?=\r\n"
	"Date: 3 Mar 21 10:00 EST\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
	"\r\n"
	"preamble words\r\n"
	"--XX\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"Un caf=E9 cr=E8me, s'il vous pla=EEt.=\r\n"
	" Merci.\r\n"
	"--XX\r\n"
	"Content-Type: application/pdf\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"SGlkZGVuIFBERiB0ZXh0\r\n"
	"--XX--\r\n";

static const char msg3[] =
	"From: nobody@example.org\r\n"
	"Subject: no date here\r\n"
	"\r\n"
	"Short.\r\n";

static const struct test_msg test_msgs[] = {
	{ msg0, 1, STORE_FLAG_SEEN, 0, 5, 1795373612 },		/* 2026-11-22 18:53:32 */
	{ msg1, 2, STORE_FLAG_FLAGGED | STORE_FLAG_ANSWERED, 1, 7, 1577835000 },
	{ msg2, 5, STORE_FLAG_DELETED | STORE_FLAG_DRAFT | STORE_FLAG_RECENT, 0, 12,
	    1614859200 },					/* 2021-03-04 12:00 */
	{ msg3, 9, STORE_FLAG_RECENT, 2, 3, 1614859200 + 86400 },
};

static const char kw_names[][STORE_KEYWORD_LEN] = { "$label1", "$Junk" };

struct loader {
	const char	*raw;
	int		 calls;
	int		 fail;
};

static int
test_load(void *arg, const char **data_r, size_t *len_r)
{
	struct loader *l = arg;

	l->calls++;
	if (l->fail)
		return -1;
	*data_r = l->raw;
	*len_r = strlen(l->raw);
	return 0;
}

struct eval_case {
	const char	*args;
	unsigned	 expect;	/* bit i: test_msgs[i] matches */
};

static const struct eval_case eval_cases[] = {
	{ "ALL", 0xf },
	{ "SEEN", 0x1 },
	{ "UNSEEN", 0xe },
	{ "FLAGGED ANSWERED", 0x2 },
	{ "DELETED", 0x4 },
	{ "UNDELETED", 0xb },
	{ "DRAFT", 0x4 },
	{ "UNDRAFT", 0xb },
	{ "RECENT", 0xc },
	{ "NEW", 0xc },
	{ "OLD", 0x3 },
	{ "KEYWORD $label1", 0x2 },
	{ "KEYWORD $LABEL1", 0x2 },
	{ "KEYWORD $Junk", 0x8 },
	{ "KEYWORD $unknown", 0x0 },
	{ "UNKEYWORD $label1", 0xd },
	{ "UNKEYWORD $unknown", 0xf },
	{ "1", 0x1 },
	{ "2:3", 0x6 },
	{ "*", 0x8 },
	{ "3:*", 0xc },
	{ "9:*", 0x8 },
	{ "UID 5", 0x4 },
	{ "UID 2:5", 0x6 },
	{ "UID *", 0x8 },
	{ "UID 10:*", 0x8 },
	{ "UID 3:4", 0x0 },
	{ "MODSEQ 7", 0x6 },
	{ "LARGER 300", 0x6 },
	{ "SMALLER 100", 0x8 },
	{ "BEFORE 22-Nov-2026", 0xe },
	{ "ON 22-Nov-2026", 0x1 },
	{ "SINCE 4-Mar-2021", 0xd },
	{ "ON 31-Dec-2019", 0x2 },
	{ "SENTON 22-Nov-2026", 0x1 },
	{ "SENTON 1-Jan-2020", 0x2 },		/* the header's own zone */
	{ "SENTON 31-Dec-2019", 0x0 },
	{ "SENTON 3-Mar-2021", 0x4 },		/* 2-digit year, EST */
	{ "SENTON 5-Mar-2021", 0x8 },		/* no Date: the internal date */
	{ "SENTBEFORE 1-Jan-2021", 0x2 },
	{ "SENTSINCE 3-Mar-2021", 0xd },
	{ "FROM carol", 0x1 },
	{ "FROM CAROL@EXAMPLE.NET", 0x1 },
	{ "FROM j\xc3\xb6rg", 0x2 },		/* RFC 2047 Q display name */
	{ "FROM J\xc3\x96RG", 0x2 },		/* case-folded beyond ASCII */
	{ "SUBJECT m\xc3\xbcnchen", 0x2 },	/* RFC 2047 B subject */
	{ "SUBJECT \"GR\xc3\x9c\xc3\x9f" "E AUS\"", 0x2 },
	{ "SUBJECT caf\xc3\xa9", 0x4 },		/* ISO-8859-1 encoded word */
	{ "SUBJECT lab", 0x1 },
	{ "SUBJECT \"\"", 0xf },			/* every message has a Subject */
	{ "TO alice", 0x7 },
	{ "CC bob", 0x4 },
	{ "BCC secret", 0x4 },
	{ "HEADER Message-ID lab1.2624", 0x1 },
	{ "HEADER message-id \"\"", 0x1 },
	{ "HEADER X-Mailer \"Example Mailer\"", 0x2 },	/* unfolded */
	{ "HEADER X-Missing \"\"", 0x0 },
	{ "BODY \"test message\"", 0x1 },
	{ "BODY bodensee", 0x2 },			/* base64 body */
	{ "BODY \"zweite zeile\"", 0x2 },
	{ "BODY \"caf\xc3\xa9 cr\xc3\xa8me\"", 0x4 },	/* QP, ISO-8859-1 */
	{ "BODY \"pla\xc3\xaet. Merci\"", 0x4 },	/* soft line break */
	{ "BODY preamble", 0x0 },
	{ "BODY \"Hidden PDF\"", 0x0 },		/* non-text parts are skipped */
	{ "BODY carol", 0x0 },			/* header is not body */
	{ "TEXT carol", 0x1 },
	{ "TEXT bodensee", 0x2 },
	{ "TEXT \"\"", 0xf },
	{ "BODY \"\"", 0xf },
	{ "NOT SEEN", 0xe },
	{ "OR SEEN DELETED", 0x5 },
	{ "OR SEEN BODY bodensee", 0x3 },
	{ "NOT OR SEEN BODY bodensee", 0xc },
	{ "(SEEN) (FROM carol)", 0x1 },
	{ "OR (SEEN FROM dave) (DELETED FROM dave)", 0x4 },
	{ "UNSEEN NOT (OR KEYWORD $label1 KEYWORD $Junk)", 0x4 },
	{ "CHARSET UTF-8 TEXT m\xc3\xbcnchen", 0x2 },
	{ "SUBJECT {8}\r\nm\xc3\xbcnchen", 0x2 },	/* a literal */
};

static void
fill_msg(struct imap_search_msg *m, struct loader *l, size_t i)
{
	const struct test_msg *t = &test_msgs[i];

	memset(m, 0, sizeof(*m));
	m->msn = (uint32_t)i + 1;
	m->uid = t->uid;
	m->flags = t->flags;
	m->keywords = t->keywords;
	m->modseq = t->modseq;
	m->size = strlen(t->raw);
	m->internaldate = t->internaldate;
	m->now = t->internaldate + 1000;
	memset(l, 0, sizeof(*l));
	l->raw = t->raw;
	m->load = test_load;
	m->load_arg = l;
}

START_TEST(test_eval)
{
	const struct eval_case *tc = &eval_cases[_i];
	struct imap_search_program prog;
	struct imap_search_msg m;
	struct loader l;
	unsigned got = 0;
	char err[160];
	size_t i;
	int r;

	ck_assert_msg(parse_search(tc->args, &prog, err, sizeof(err)) == IMAP_SEARCH_OK,
	    "%s: %s", tc->args, err);
	imap_search_bind(&prog, N_ELEMS(test_msgs), 9, kw_names, 2);
	for (i = 0; i < N_ELEMS(test_msgs); i++) {
		fill_msg(&m, &l, i);
		r = imap_search_eval(&prog, &m);
		ck_assert_int_ge(r, 0);
		if (r)
			got |= 1u << i;
		/* The message is loaded at most once, and only for content keys. */
		ck_assert_int_le(l.calls, 1);
		if (!prog.needs_content)
			ck_assert_int_eq(l.calls, 0);
		imap_search_msg_clear(&m);
	}
	ck_assert_msg(got == tc->expect, "SEARCH %s: got 0x%x, expected 0x%x",
	    tc->args, got, tc->expect);
	imap_search_program_free(&prog);
}
END_TEST

START_TEST(test_eval_cheap_first)
{
	struct imap_search_program prog;
	struct imap_search_msg m;
	struct loader l;
	char err[160];

	/* SEEN fails for msg 1: BODY must not load it. */
	ck_assert_int_eq(parse_search("BODY bodensee SEEN", &prog, err, sizeof(err)), 0);
	imap_search_bind(&prog, 4, 9, kw_names, 2);
	fill_msg(&m, &l, 1);
	ck_assert_int_eq(imap_search_eval(&prog, &m), 0);
	ck_assert_int_eq(l.calls, 0);
	imap_search_msg_clear(&m);
	imap_search_program_free(&prog);

	/* OR with a true cheap side does not load either. */
	ck_assert_int_eq(parse_search("OR TEXT x FLAGGED", &prog, err, sizeof(err)), 0);
	imap_search_bind(&prog, 4, 9, kw_names, 2);
	fill_msg(&m, &l, 1);
	ck_assert_int_eq(imap_search_eval(&prog, &m), 1);
	ck_assert_int_eq(l.calls, 0);
	imap_search_msg_clear(&m);
	imap_search_program_free(&prog);
}
END_TEST

START_TEST(test_eval_load_failure)
{
	struct imap_search_program prog;
	struct imap_search_msg m;
	struct loader l;
	char err[160];

	ck_assert_int_eq(parse_search("BODY x", &prog, err, sizeof(err)), 0);
	imap_search_bind(&prog, 4, 9, kw_names, 2);
	fill_msg(&m, &l, 0);
	l.fail = 1;
	ck_assert_int_eq(imap_search_eval(&prog, &m), -1);
	imap_search_msg_clear(&m);
	/* No loader at all: content keys cannot match. */
	fill_msg(&m, &l, 0);
	m.load = NULL;
	ck_assert_int_eq(imap_search_eval(&prog, &m), -1);
	imap_search_msg_clear(&m);
	imap_search_program_free(&prog);
}
END_TEST

START_TEST(test_eval_within)
{
	struct imap_search_program prog;
	struct imap_search_msg m;
	struct loader l;
	char err[160];

	ck_assert_int_eq(parse_search("YOUNGER 1000", &prog, err, sizeof(err)), 0);
	fill_msg(&m, &l, 0);		/* now = internaldate + 1000 */
	ck_assert_int_eq(imap_search_eval(&prog, &m), 1);
	m.now++;
	ck_assert_int_eq(imap_search_eval(&prog, &m), 0);
	imap_search_program_free(&prog);
	ck_assert_int_eq(parse_search("OLDER 1000", &prog, err, sizeof(err)), 0);
	ck_assert_int_eq(imap_search_eval(&prog, &m), 1);
	m.now--;
	ck_assert_int_eq(imap_search_eval(&prog, &m), 0);
	imap_search_program_free(&prog);
}
END_TEST

static Suite *
imap_search_suite(void)
{
	Suite *s = suite_create("imap_search");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0, N_ELEMS(parse_cases));
	tcase_add_loop_test(tc, test_parse_flags, 0, N_ELEMS(flags_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_loop_test(tc, test_parse_bad, 0, N_ELEMS(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_keys_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("dates");
	tcase_add_loop_test(tc, test_dates, 0, N_ELEMS(date_cases));
	tcase_add_test(tc, test_day_of);
	suite_add_tcase(s, tc);

	tc = tcase_create("eval");
	tcase_add_loop_test(tc, test_eval, 0, N_ELEMS(eval_cases));
	tcase_add_test(tc, test_eval_cheap_first);
	tcase_add_test(tc, test_eval_load_failure);
	tcase_add_test(tc, test_eval_within);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(imap_search_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
