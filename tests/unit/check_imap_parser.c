/*
 * check_imap_parser.c: unit tests for the pure parts of imapd/'s core:
 * the incremental command parser (every command's syntax, literals
 * synchronizing and not, input split at every byte position, bad syntax,
 * limits), typed argument access, modified UTF-7 and mailbox name checks.
 * Sessions are tested over real sockets in
 * tests/integration/test_imap_core.py.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "imap.h"
#include "imap_core.h"
#include "imap_parser.h"
#include "util.h"

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define DUMP_MAX	(256 * 1024)

/* ------------------------------------------------------------ helpers */

static void
dump_args(const struct imap_arg *a, size_t n, char *out, size_t size)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			str_append(out, " ", size);
		switch (a[i].type) {
		case IMAP_ARG_ATOM:
			str_append(out, a[i].str, size);
			break;
		case IMAP_ARG_QUOTED:
			str_append(out, "\"", size);
			str_append(out, a[i].str, size);
			str_append(out, "\"", size);
			break;
		case IMAP_ARG_LITERAL: {
			char hdr[40];

			(void)str_format(hdr, sizeof(hdr), "%s{%zu%s}",
			    (a[i].flags & IMAP_ARGF_LITERAL8) ? "~" : "", a[i].len,
			    (a[i].flags & IMAP_ARGF_NONSYNC) ? "+" : "");
			str_append(out, hdr, size);
			/* NULs shown as '@' so the dump stays a string */
			{
				char *t = xmalloc(a[i].len + 1);

				for (size_t k = 0; k < a[i].len; k++)
					t[k] = a[i].str[k] ? a[i].str[k] : '@';
				t[a[i].len] = '\0';
				str_append(out, t, size);
				free(t);
			}
			break;
		}
		case IMAP_ARG_LIST:
			str_append(out, "(", size);
			dump_args(a[i].list, a[i].list_n, out, size);
			str_append(out, ")", size);
			break;
		}
	}
}

/* Run the parser over chunks of input; events joined by '|'. */
static void
run_parser(const char *input, size_t len, size_t chunk, size_t split,
    int preauth, uint64_t append_max, char *out, size_t size)
{
	struct imap_parser_limits lim;
	struct imap_parser *p = imap_parser_new();
	struct evbuffer *in = evbuffer_new();
	size_t pos = 0;
	int stop = 0;

	imap_parser_limits_default(&lim, preauth, append_max);
	imap_parser_set_limits(p, &lim);
	out[0] = '\0';
	while (!stop && pos < len) {
		size_t n = chunk;

		if (split > 0)
			n = pos < split ? split - pos : len - pos;
		if (n > len - pos)
			n = len - pos;
		evbuffer_add(in, input + pos, n);
		pos += n;
		for (;;) {
			enum imap_parse_status st = imap_parser_read(p, in);
			char ev[DUMP_MAX];

			if (st == IMAP_PARSE_MORE)
				break;
			ev[0] = '\0';
			if (st == IMAP_PARSE_CONTINUE) {
				str_copy(ev, "+", sizeof(ev));
			} else if (st == IMAP_PARSE_COMMAND) {
				struct imap_cmd cmd;

				memset(&cmd, 0, sizeof(cmd));
				imap_parser_take(p, &cmd);
				(void)str_format(ev, sizeof(ev), "%s %s%s", cmd.tag,
				    cmd.uid ? "UID " : "", cmd.name);
				if (cmd.n_args > 0) {
					str_append(ev, " ", sizeof(ev));
					dump_args(cmd.args, cmd.n_args, ev, sizeof(ev));
				}
				imap_cmd_free_args(&cmd);
			} else {
				const struct imap_parse_error *e = imap_parser_error(p);

				(void)str_format(ev, sizeof(ev), "%s %s%s%s%s", e->tag,
				    e->status, e->code ? " " : "", e->code ? e->code : "",
				    e->fatal ? " FATAL" : "");
				if (e->fatal)
					stop = 1;
			}
			if (out[0] != '\0')
				str_append(out, "|", size);
			str_append(out, ev, size);
			if (stop)
				break;
		}
	}
	evbuffer_free(in);
	imap_parser_free(&p);
}

/* ------------------------------------------------------- syntax table */

struct parse_case {
	const char	*input;
	size_t		 len;		/* 0 = strlen */
	const char	*expect;
};

#define L(s)	s, sizeof(s) - 1

static const struct parse_case parse_cases[] = {
	/* every command of RFC 3501/9051 and the extensions we serve */
	{ "a1 CAPABILITY\r\n", 0, "a1 CAPABILITY" },
	{ "a1 noop\r\n", 0, "a1 NOOP" },
	{ "a1 NOOP\n", 0, "a1 NOOP" },		/* bare LF */
	{ "x LOGOUT\r\n", 0, "x LOGOUT" },
	{ "a STARTTLS\r\n", 0, "a STARTTLS" },
	{ "a LOGIN alice@example.test \"se cr\\\"et\\\\\"\r\n", 0,
	    "a LOGIN alice@example.test \"se cr\"et\\\"" },
	{ "a LOGIN \"alice\" \"p\"\r\n", 0, "a LOGIN \"alice\" \"p\"" },
	{ "a LOGIN {5}\r\nalice {6}\r\nsecret\r\n", 0,
	    "+|+|a LOGIN {5}alice {6}secret" },
	{ "a LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n", 0,
	    "a LOGIN {5+}alice {6+}secret" },
	{ "a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n", 0,
	    "a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==" },
	{ "a AUTHENTICATE PLAIN =\r\n", 0, "a AUTHENTICATE PLAIN =" },
	{ "a ENABLE UTF8=ACCEPT CONDSTORE\r\n", 0, "a ENABLE UTF8=ACCEPT CONDSTORE" },
	{ "a ID (\"name\" \"Thunderbird\" \"version\" \"153.7.0\")\r\n", 0,
	    "a ID (\"name\" \"Thunderbird\" \"version\" \"153.7.0\")" },
	{ "a ID NIL\r\n", 0, "a ID NIL" },
	{ "a SELECT \"INBOX\"\r\n", 0, "a SELECT \"INBOX\"" },
	{ "a SELECT INBOX (CONDSTORE)\r\n", 0, "a SELECT INBOX (CONDSTORE)" },
	{ "a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n", 0,
	    "a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))" },
	{ "a EXAMINE \"Projects/2024\"\r\n", 0, "a EXAMINE \"Projects/2024\"" },
	{ "a CREATE \"Entw&APw-rfe/\"\r\n", 0, "a CREATE \"Entw&APw-rfe/\"" },
	{ "a DELETE foo\r\n", 0, "a DELETE foo" },
	{ "a RENAME INBOX old-mail\r\n", 0, "a RENAME INBOX old-mail" },
	{ "a SUBSCRIBE \"a b\"\r\n", 0, "a SUBSCRIBE \"a b\"" },
	{ "a UNSUBSCRIBE x\r\n", 0, "a UNSUBSCRIBE x" },
	{ "a LIST \"\" \"\"\r\n", 0, "a LIST \"\" \"\"" },
	{ "a LIST \"\" *\r\n", 0, "a LIST \"\" *" },
	{ "a LIST \"\" %/%\r\n", 0, "a LIST \"\" %/%" },
	{ "61 list (subscribed) \"\" \"*\" return (special-use)\r\n", 0,
	    "61 LIST (subscribed) \"\" \"*\" return (special-use)" },
	{ "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"a*\" b%) RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n", 0,
	    "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"a*\" b%) RETURN (CHILDREN STATUS (MESSAGES UNSEEN))" },
	{ "a LSUB \"\" \"*\"\r\n", 0, "a LSUB \"\" \"*\"" },
	{ "a NAMESPACE\r\n", 0, "a NAMESPACE" },
	{ "a STATUS \"Drafts\" (UIDNEXT MESSAGES UNSEEN RECENT)\r\n", 0,
	    "a STATUS \"Drafts\" (UIDNEXT MESSAGES UNSEEN RECENT)" },
	{ "a APPEND \"Sent\" (\\Seen) \"22-Nov-2026 19:02:15 +0000\" {5}\r\nhello\r\n", 0,
	    "+|a APPEND \"Sent\" (\\Seen) \"22-Nov-2026 19:02:15 +0000\" {5}hello" },
	{ "x append \"Sent\" (\\Seen) {5+}\r\nhello\r\n", 0,
	    "x APPEND \"Sent\" (\\Seen) {5+}hello" },
	{ L("a APPEND x ~{3}\r\n\0\1\x7f\r\n"), "+|a APPEND x ~{3}@\1\x7f" },
	{ "a APPEND x {0}\r\n\r\n", 0, "+|a APPEND x {0}" },
	{ "a IDLE\r\n", 0, "a IDLE" },
	{ "a CHECK\r\n", 0, "a CHECK" },
	{ "a CLOSE\r\n", 0, "a CLOSE" },
	{ "a UNSELECT\r\n", 0, "a UNSELECT" },
	{ "a EXPUNGE\r\n", 0, "a EXPUNGE" },
	{ "a UID EXPUNGE 3:5,7\r\n", 0, "a UID EXPUNGE 3:5,7" },
	{ "a UID fetch 1:* (FLAGS)\r\n", 0, "a UID FETCH 1:* (FLAGS)" },
	{ "a UID fetch 1:6 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc)])\r\n", 0,
	    "a UID FETCH 1:6 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc)])" },
	{ "a FETCH 1 BODY.PEEK[1]<0.393216>\r\n", 0, "a FETCH 1 BODY.PEEK[1]<0.393216>" },
	{ "a FETCH 1 (BODY[HEADER.FIELDS (\"X-a]b\")])\r\n", 0,
	    "a FETCH 1 (BODY[HEADER.FIELDS (\"X-a]b\")])" },
	{ "a FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n", 0,
	    "a FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)" },
	{ "a UID STORE 3:6 +FLAGS.SILENT (Old $label1 \\Seen)\r\n", 0,
	    "a UID STORE 3:6 +FLAGS.SILENT (Old $label1 \\Seen)" },
	{ "a STORE 1 (UNCHANGEDSINCE 5) FLAGS ()\r\n", 0,
	    "a STORE 1 (UNCHANGEDSINCE 5) FLAGS ()" },
	{ "a UID SEARCH CHARSET UTF-8 OR FROM {5}\r\nj\xc3\xb6rg SUBJECT \"x y\" NOT (DELETED)\r\n", 0,
	    "+|a UID SEARCH CHARSET UTF-8 OR FROM {5}j\xc3\xb6rg SUBJECT \"x y\" NOT (DELETED)" },
	{ "a SEARCH RETURN (MIN MAX COUNT) UNSEEN\r\n", 0,
	    "a SEARCH RETURN (MIN MAX COUNT) UNSEEN" },
	{ "a COPY 1:3 \"Trash\"\r\n", 0, "a COPY 1:3 \"Trash\"" },
	{ "a UID MOVE 4,2 Archive\r\n", 0, "a UID MOVE 4,2 Archive" },
	/* shapes */
	{ "a X () (()) (a (b (c)) NIL)\r\n", 0, "a X () (()) (a (b (c)) NIL)" },
	{ "a X \"\" \"{5}\"\r\n", 0, "a X \"\" \"{5}\"" },
	{ "a X \"caf\xc3\xa9\" caf\xc3\xa9\r\n", 0, "a X \"caf\xc3\xa9\" caf\xc3\xa9" },
	{ "a X  two  spaces \r\n", 0, "a X two spaces" },
	{ "a.b-c]:1 NOOP\r\n", 0, "a.b-c]:1 NOOP" },
	{ "a X (a {2}\r\nbc d)\r\n", 0, "+|a X (a {2}bc d)" },
	{ "a X {3}\r\n)(\"\r\n", 0, "+|a X {3})(\"" },
	{ "a X {2}\r\n\r\n\r\n", 0, "+|a X {2}\r\n" },
	/* pipelined */
	{ "a0004 ENABLE UTF8=ACCEPT\r\na0005 LIST \"\" \"\"\r\na0006 LSUB \"\" \"*\"\r\n", 0,
	    "a0004 ENABLE UTF8=ACCEPT|a0005 LIST \"\" \"\"|a0006 LSUB \"\" \"*\"" },
	/* bad syntax: BAD with the tag when it is readable, then recovery */
	{ "\r\nb NOOP\r\n", 0, "* BAD|b NOOP" },
	{ "a\r\n", 0, "a BAD" },
	{ "+a NOOP\r\n", 0, "* BAD" },
	{ "a{ NOOP\r\n", 0, "* BAD" },
	{ "a NO*OP\r\n", 0, "a BAD" },
	{ "a UID\r\n", 0, "a BAD" },
	{ "a X (b\r\nc NOOP\r\n", 0, "a BAD|c NOOP" },
	{ "a X b)\r\n", 0, "a BAD" },
	{ "a X (b)c\r\n", 0, "a BAD" },
	{ "a X b(c)\r\n", 0, "a BAD" },
	{ "a X \"abc\r\n", 0, "a BAD" },
	{ "a X \"a\\bc\"\r\n", 0, "a BAD" },
	{ "a X a\"b\"\r\n", 0, "a BAD" },
	{ "a X BODY[HEADER\r\n", 0, "a BAD" },
	{ "a X BODY[a[b]]\r\n", 0, "a BAD" },
	{ L("a X a\0b\r\nb NOOP\r\n"), "a BAD|b NOOP" },
	{ L("a X \"a\0b\"\r\n"), "a BAD" },
	{ "a X a\rb\r\n", 0, "a BAD" },
	{ "a X {3} x\r\n", 0, "a BAD" },
	/* a literal marker where the grammar refuses it is still a literal: no injection */
	{ "a X foo{5+}\r\nb NOO\r\nc NOOP\r\n", 0, "a BAD|c NOOP" },
	{ "a X {3}\r\nabc{2+}\r\nzz\r\nc NOOP\r\n", 0, "+|a BAD|c NOOP" },
	/* nesting limit */
	{ "a X ((((((((((((((((((x))))))))))))))))))\r\n", 0, "a BAD" },
	/* unusable literal sizes: the rest of the stream cannot be trusted */
	{ "a X {99999999999999999999999}\r\n", 0, "a BAD FATAL" },
};

static void
check_case(const struct parse_case *c, size_t chunk, size_t split)
{
	static char got[DUMP_MAX];
	char expect[DUMP_MAX];
	size_t len = c->len ? c->len : strlen(c->input);

	run_parser(c->input, len, chunk, split, 0, 1024 * 1024, got, sizeof(got));
	/* Error texts vary; the table compares tag, status and code. */
	str_copy(expect, c->expect, sizeof(expect));
	ck_assert_msg(strcmp(got, expect) == 0,
	    "input %s (chunk %zu split %zu): got [%s] want [%s]",
	    c->input, chunk, split, got, expect);
}

START_TEST(test_syntax_whole)
{
	check_case(&parse_cases[_i], 1 << 20, 0);
}
END_TEST

START_TEST(test_syntax_bytewise)
{
	check_case(&parse_cases[_i], 1, 0);
}
END_TEST

/* Every split of the input into two reads gives the same events. */
START_TEST(test_syntax_every_split)
{
	const struct parse_case *c = &parse_cases[_i];
	size_t len = c->len ? c->len : strlen(c->input), k;

	for (k = 1; k < len; k++)
		check_case(c, 0, k);
}
END_TEST

/* ---------------------------------------------------------------- limits */

static char *
repeat(const char *head, char ch, size_t n, const char *tail, size_t *len_r)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = xmalloc(hl + n + tl + 1);

	memcpy(s, head, hl);
	memset(s + hl, ch, n);
	memcpy(s + hl + n, tail, tl + 1);
	*len_r = hl + n + tl;
	return s;
}

START_TEST(test_line_too_long)
{
	static char got[DUMP_MAX];
	size_t len;
	char *in = repeat("a X ", 'x', IMAP_LINE_MAX + 10, "\r\nb NOOP\r\n", &len);

	run_parser(in, len, 4096, 0, 0, 1 << 20, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD|b NOOP");
	free(in);
}
END_TEST

/* A too-long line that ends with {n+}: its literal is skipped too. */
START_TEST(test_line_too_long_nonsync_literal)
{
	static char got[DUMP_MAX];
	size_t len;
	char *in = repeat("a X ", 'x', IMAP_LINE_MAX + 10,
	    " {8+}\r\nc NOOP\r\n\r\nb NOOP\r\n", &len);

	run_parser(in, len, 1000, 0, 0, 1 << 20, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD|b NOOP");
	free(in);
}
END_TEST

START_TEST(test_preauth_limits)
{
	static char got[DUMP_MAX];
	size_t len;
	char *in = repeat("a LOGIN ", 'x', IMAP_PREAUTH_MAX, "\r\nb NOOP\r\n", &len);

	run_parser(in, len, 512, 0, 1, 0, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD|b NOOP");
	free(in);
	/* A synchronizing literal over the limit is refused before "+". */
	run_parser("a LOGIN {9000}\r\nb NOOP\r\n", strlen("a LOGIN {9000}\r\nb NOOP\r\n"), 1, 0, 1, 0, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD TOOBIG|b NOOP");
	/* Non-synchronizing before login: LITERAL-'s 4096 at most, else close (RFC 7888). */
	{
		size_t l4;
		char *lit = repeat("a LOGIN {4096+}\r\n", 'u', 4096, " p\r\nb NOOP\r\n", &l4);

		run_parser(lit, l4, 100, 0, 1, 0, got, sizeof(got));
		ck_assert_msg(strncmp(got, "a LOGIN {4096+}uuu", 18) == 0, "%.30s", got);
		ck_assert_msg(strstr(got, " p|b NOOP") != NULL, "%s", got + strlen(got) - 20);
		free(lit);
	}
	run_parser("a LOGIN {4097+}\r\nxx", strlen("a LOGIN {4097+}\r\nxx"), 1, 0, 1, 0, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD TOOBIG FATAL");
	/* A non-synchronizing one before login closes (RFC 7888 LITERAL-). */
	run_parser("a LOGIN {9000+}\r\nxx", strlen("a LOGIN {9000+}\r\nxx"), 1, 0, 1, 0, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD TOOBIG FATAL");
	/* No APPEND-sized literal before login. */
	run_parser("a APPEND x {9000}\r\n", strlen("a APPEND x {9000}\r\n"), 1, 0, 1, 0, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD TOOBIG");
}
END_TEST

START_TEST(test_literal_limits)
{
	static char got[DUMP_MAX];
	char line[128];
	size_t len;
	char *in;

	/* Outside APPEND: IMAP_LITERAL_MAX. */
	(void)str_format(line, sizeof(line), "a X {%d}\r\nb NOOP\r\n", IMAP_LITERAL_MAX + 1);
	run_parser(line, strlen(line), 7, 0, 0, 1 << 20, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD TOOBIG|b NOOP");
	/* Non-synchronizing: refused, its bytes read and dropped, not buffered. */
	(void)str_format(line, sizeof(line), "a X {%d+}\r\n", IMAP_LITERAL_MAX + 1);
	in = repeat(line, 'q', IMAP_LITERAL_MAX + 1, " y\r\nb NOOP\r\n", &len);
	run_parser(in, len, 4000, 0, 0, 1 << 20, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD TOOBIG|b NOOP");
	free(in);
	/* APPEND: up to APPENDLIMIT, then NO [TOOBIG] (RFC 7889). */
	in = repeat("a APPEND x {200000}\r\n", 'm', 200000, "\r\n", &len);
	run_parser(in, len, 65536, 0, 0, 200000, got, sizeof(got));
	ck_assert_msg(strncmp(got, "+|a APPEND x {200000}mmm", 24) == 0, "%.40s", got);
	free(in);
	run_parser("a APPEND x {200001}\r\nb NOOP\r\n", strlen("a APPEND x {200001}\r\nb NOOP\r\n"), 3, 0, 0, 200000, got, sizeof(got));
	ck_assert_str_eq(got, "a NO TOOBIG|b NOOP");
	in = repeat("a APPEND x {200001+}\r\n", 'm', 200001, "\r\nb NOOP\r\n", &len);
	run_parser(in, len, 65536, 0, 0, 200000, got, sizeof(got));
	ck_assert_str_eq(got, "a NO TOOBIG|b NOOP");
	free(in);
	/* Absurd non-synchronizing sizes close rather than read gigabytes. */
	run_parser("a APPEND x {99999999999+}\r\n", strlen("a APPEND x {99999999999+}\r\n"), 3, 0, 0, 200000, got, sizeof(got));
	ck_assert_str_eq(got, "a BAD TOOBIG FATAL");
	/* The whole command is bounded too, however it is split into literals. */
	{
		char *big = xmalloc(IMAP_COMMAND_MAX + 100000);
		size_t o = 0, i;

		o += (size_t)sprintf(big, "a X");
		for (i = 0; o < IMAP_COMMAND_MAX + 1000; i++) {
			o += (size_t)sprintf(big + o, " {60000+}\r\n");
			memset(big + o, 'z', 60000);
			o += 60000;
		}
		o += (size_t)sprintf(big + o, "\r\nb NOOP\r\n");
		run_parser(big, o, 8192, 0, 0, 1 << 20, got, sizeof(got));
		ck_assert_str_eq(got, "a BAD TOOBIG|b NOOP");
		free(big);
	}
}
END_TEST

START_TEST(test_text_helper)
{
	struct imap_cmd cmd;
	const char *why;

	memset(&cmd, 0, sizeof(cmd));
	ck_assert_int_eq(imap_parse_command_text("t1 LOGIN {1}\r\nu p", 17, &cmd, &why), 0);
	ck_assert_str_eq(cmd.tag, "t1");
	ck_assert_int_eq((int)cmd.n_args, 2);
	ck_assert_int_eq(cmd.args[0].type, IMAP_ARG_LITERAL);
	imap_cmd_free_args(&cmd);
	ck_assert_int_eq(imap_parse_command_text("t1 X (", 6, &cmd, &why), -1);
	ck_assert_ptr_nonnull(why);
}
END_TEST

/* ------------------------------------------------------------- args */

START_TEST(test_arg_access)
{
	struct imap_cmd cmd;
	const char *why, *s;
	uint64_t v;
	size_t len;
	int nil;
	const char *text = "a X NIL \"q\" {2}\r\nli 42 4294967296 007 (l) 1a";

	memset(&cmd, 0, sizeof(cmd));
	ck_assert_int_eq(imap_parse_command_text(text, strlen(text), &cmd, &why), 0);
	ck_assert_int_eq((int)cmd.n_args, 8);
	ck_assert(imap_arg_is_nil(&cmd.args[0]));
	ck_assert(!imap_arg_is_nil(&cmd.args[1]));
	ck_assert_ptr_null(imap_arg_string(&cmd.args[0], NULL));
	ck_assert_str_eq(imap_arg_astring(&cmd.args[0], NULL), "NIL");
	ck_assert_ptr_null(imap_arg_nstring(&cmd.args[0], &len, &nil));
	ck_assert_int_eq(nil, 1);
	s = imap_arg_nstring(&cmd.args[1], &len, &nil);
	ck_assert_str_eq(s, "q");
	ck_assert_int_eq(nil, 0);
	s = imap_arg_string(&cmd.args[2], &len);
	ck_assert_int_eq((int)len, 2);
	ck_assert(imap_arg_number(&cmd.args[3], UINT32_MAX, &v) && v == 42);
	ck_assert(!imap_arg_number(&cmd.args[4], UINT32_MAX, &v));
	ck_assert(imap_arg_number(&cmd.args[4], UINT64_MAX, &v) && v == 4294967296ULL);
	ck_assert(imap_arg_number(&cmd.args[5], 10, &v) && v == 7);
	ck_assert(!imap_arg_number(&cmd.args[6], 10, &v));
	ck_assert_ptr_null(imap_arg_astring(&cmd.args[6], NULL));
	ck_assert(!imap_arg_number(&cmd.args[7], 100, &v));
	ck_assert(imap_arg_atom_is(&cmd.args[7], "1A"));
	imap_cmd_free_args(&cmd);
}
END_TEST

/* ---------------------------------------------------------------- mUTF-7 */

struct utf7_case {
	const char	*utf7;
	const char	*utf8;
};

static const struct utf7_case utf7_ok[] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "&-", "&" },
	{ "a&-b", "a&b" },
	{ "Entw&APw-rfe", "Entw\xc3\xbc" "rfe" },
	{ "~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	{ "&2D3eAA-", "\xf0\x9f\x98\x80" },		/* U+1F600: a surrogate pair */
	{ "Gesendete Objekte", "Gesendete Objekte" },
	{ "&AOQA9gD8-", "\xc3\xa4\xc3\xb6\xc3\xbc" },
};

static const char *const utf7_bad[] = {
	"&U,BTFw",	/* no '-' */
	"&AGE-",	/* 'a' must not be encoded */
	"&U,BTFw-&ZeVnLIqe-",	/* two adjacent runs: not canonical */
	"&2D0-",	/* lone high surrogate */
	"&3gA-",	/* lone low surrogate */
	"&AOQ-x&AOQA-",	/* non-zero padding bits in the second run */
	"caf\xc3\xa9",	/* 8-bit is not mUTF-7 */
	"a\tb",		/* control */
	"&Jjo!-",	/* '!' is not base64 */
};

static const char *const utf8_bad[] = {
	"\xc0\xaf",		/* overlong '/' */
	"\xed\xa0\x80",		/* surrogate */
	"\xf4\x90\x80\x80",	/* > U+10FFFF */
	"\xe2\x82",		/* truncated */
	"\x80",
};

START_TEST(test_utf7_roundtrip)
{
	const struct utf7_case *c = &utf7_ok[_i];
	char out[512];

	ck_assert_int_eq(imap_utf7_to_utf8(c->utf7, strlen(c->utf7), out, sizeof(out)), 0);
	ck_assert_str_eq(out, c->utf8);
	ck_assert_int_eq(imap_utf8_to_utf7(c->utf8, strlen(c->utf8), out, sizeof(out)), 0);
	ck_assert_str_eq(out, c->utf7);
	ck_assert(imap_utf8_valid(c->utf8, strlen(c->utf8)));
}
END_TEST

START_TEST(test_utf7_bad)
{
	char out[512];

	ck_assert_int_eq(imap_utf7_to_utf8(utf7_bad[_i], strlen(utf7_bad[_i]),
	    out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_utf8_bad)
{
	char out[512];

	ck_assert(!imap_utf8_valid(utf8_bad[_i], strlen(utf8_bad[_i])));
	ck_assert_int_eq(imap_utf8_to_utf7(utf8_bad[_i], strlen(utf8_bad[_i]),
	    out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_utf7_small_buffer)
{
	char out[6];

	ck_assert_int_eq(imap_utf8_to_utf7("\xc3\xa4\xc3\xb6", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(imap_utf7_to_utf8("abcdefgh", 8, out, sizeof(out)), -1);
}
END_TEST

/* Every BMP code point survives UTF-8 -> mUTF-7 -> UTF-8. */
START_TEST(test_utf7_all_bmp)
{
	char in[8], mid[64], back[16];
	uint32_t cp;

	for (cp = 0x20; cp < 0x10000; cp++) {
		size_t n;

		if (cp == 0x7f || (cp >= 0xd800 && cp <= 0xdfff) || (cp > 0x7f && cp < 0xa0))
			continue;
		if (cp < 0x80) {
			in[0] = (char)cp;
			n = 1;
		} else if (cp < 0x800) {
			in[0] = (char)(0xc0 | (cp >> 6));
			in[1] = (char)(0x80 | (cp & 0x3f));
			n = 2;
		} else {
			in[0] = (char)(0xe0 | (cp >> 12));
			in[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			in[2] = (char)(0x80 | (cp & 0x3f));
			n = 3;
		}
		in[n] = '\0';
		ck_assert_int_eq(imap_utf8_to_utf7(in, n, mid, sizeof(mid)), 0);
		ck_assert_int_eq(imap_utf7_to_utf8(mid, strlen(mid), back, sizeof(back)), 0);
		ck_assert_str_eq(back, in);
	}
}
END_TEST

/* ------------------------------------------------------------ names */

struct name_case {
	const char	*name;
	int		 valid;
};

static const struct name_case name_cases[] = {
	{ "INBOX", 1 },
	{ "a/b/c", 1 },
	{ "Entw\xc3\xbcrfe", 1 },
	{ "a b", 1 },
	{ "..x", 1 },
	{ "", 0 },
	{ "/etc", 0 },
	{ "a/", 0 },
	{ "a//b", 0 },
	{ "..", 0 },
	{ "a/../b", 0 },
	{ "a/./b", 0 },
	{ ".", 0 },
	{ "a*", 0 },
	{ "a%b", 0 },
	{ "a\tb", 0 },
	{ "a\x7f", 0 },
	{ "\xc0\xaf", 0 },
};

START_TEST(test_name_valid)
{
	ck_assert_msg(imap_mailbox_name_valid(name_cases[_i].name) == name_cases[_i].valid,
	    "%s", name_cases[_i].name);
}
END_TEST

START_TEST(test_mailbox_arg)
{
	struct imap_session s;
	struct imap_cmd cmd;
	char name[STORE_MAILBOX_NAME_MAX];
	const char *why;
	const char *text = "a X inbox Inbox/sub \"Entw&APw-rfe\" caf\xc3\xa9 &AGE- ../x \"\" (l) \"a&b\"";

	memset(&s, 0, sizeof(s));
	memset(&cmd, 0, sizeof(cmd));
	ck_assert_int_eq(imap_parse_command_text(text, strlen(text), &cmd, &why), 0);
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[0], name, sizeof(name), &why), 0);
	ck_assert_str_eq(name, "INBOX");
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[1], name, sizeof(name), &why), 0);
	ck_assert_str_eq(name, "INBOX/sub");
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[2], name, sizeof(name), &why), 0);
	ck_assert_str_eq(name, "Entw\xc3\xbcrfe");
	/* raw UTF-8 from a client that did not enable it is taken as is */
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[3], name, sizeof(name), &why), 0);
	ck_assert_str_eq(name, "caf\xc3\xa9");
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[4], name, sizeof(name), &why), -1);
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[5], name, sizeof(name), &why), -1);
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[6], name, sizeof(name), &why), -1);
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[7], name, sizeof(name), &why), -1);
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[8], name, sizeof(name), &why), -1);
	/* With UTF8=ACCEPT names are UTF-8 and '&' is just '&'. */
	s.enabled = IMAP_ENABLED_UTF8;
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[8], name, sizeof(name), &why), 0);
	ck_assert_str_eq(name, "a&b");
	ck_assert_int_eq(imap_mailbox_arg(&s, &cmd.args[2], name, sizeof(name), &why), 0);
	ck_assert_str_eq(name, "Entw&APw-rfe");
	ck_assert_int_eq(imap_mailbox_external(&s, "a&b", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "a&b");
	s.enabled = 0;
	ck_assert_int_eq(imap_mailbox_external(&s, "a&b", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "a&-b");
	imap_cmd_free_args(&cmd);
}
END_TEST

/* ------------------------------------------------------------- suite */

static Suite *
imap_parser_suite(void)
{
	Suite *s = suite_create("imap_parser");
	TCase *tc;

	tc = tcase_create("syntax");
	tcase_add_loop_test(tc, test_syntax_whole, 0, N_ELEMS(parse_cases));
	tcase_add_loop_test(tc, test_syntax_bytewise, 0, N_ELEMS(parse_cases));
	tcase_add_loop_test(tc, test_syntax_every_split, 0, N_ELEMS(parse_cases));
	tcase_add_test(tc, test_text_helper);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_line_too_long_nonsync_literal);
	tcase_add_test(tc, test_preauth_limits);
	tcase_add_test(tc, test_literal_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("args");
	tcase_add_test(tc, test_arg_access);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf7");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_utf7_roundtrip, 0, N_ELEMS(utf7_ok));
	tcase_add_loop_test(tc, test_utf7_bad, 0, N_ELEMS(utf7_bad));
	tcase_add_loop_test(tc, test_utf8_bad, 0, N_ELEMS(utf8_bad));
	tcase_add_test(tc, test_utf7_small_buffer);
	tcase_add_test(tc, test_utf7_all_bmp);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_name_valid, 0, N_ELEMS(name_cases));
	tcase_add_test(tc, test_mailbox_arg);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(imap_parser_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
