/*
 * check_smtp_parse.c: unit tests for smtpd/smtp_parse.c, the SMTP command
 * line parser: verbs, MAIL/RCPT paths (dot-string, quoted and UTF-8 local
 * parts, address literals, source routes, <Postmaster>, <>), ESMTP
 * parameters, BDAT arguments, RFC 5321 length limits and bad input.
 * Table-driven; every table entry is one loop iteration of its TCase.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_parse.h"

/* ------------------------------------------------------------ commands */

static const struct {
	const char	*line;
	enum smtp_verb	 verb;
	const char	*args;
} command_cases[] = {
	{ "EHLO example.org", SMTP_CMD_EHLO, "example.org" },
	{ "ehlo [127.0.0.1]", SMTP_CMD_EHLO, "[127.0.0.1]" },
	{ "EHLO testmsg.eml", SMTP_CMD_EHLO, "testmsg.eml" },
	{ "HELO vm", SMTP_CMD_HELO, "vm" },
	{ "MAIL FROM:<a@b.example>  ", SMTP_CMD_MAIL, "FROM:<a@b.example>" },
	{ "mail FROM:<alice@clientlab.test> size=81", SMTP_CMD_MAIL,
	    "FROM:<alice@clientlab.test> size=81" },
	{ "RCPT TO:<b@c.example>", SMTP_CMD_RCPT, "TO:<b@c.example>" },
	{ "DATA", SMTP_CMD_DATA, "" },
	{ "Bdat 10 last", SMTP_CMD_BDAT, "10 last" },
	{ "RSET", SMTP_CMD_RSET, "" },
	{ "NOOP", SMTP_CMD_NOOP, "" },
	{ "NOOP   hello  ", SMTP_CMD_NOOP, "hello" },
	{ "QUIT", SMTP_CMD_QUIT, "" },
	{ "quit   ", SMTP_CMD_QUIT, "" },
	{ "VRFY alice", SMTP_CMD_VRFY, "alice" },
	{ "EXPN list", SMTP_CMD_EXPN, "list" },
	{ "HELP", SMTP_CMD_HELP, "" },
	{ "STARTTLS", SMTP_CMD_STARTTLS, "" },
	{ "AUTH PLAIN AGFsaWNlAHNlY3JldA==", SMTP_CMD_AUTH, "PLAIN AGFsaWNlAHNlY3JldA==" },
	{ "XYZZY foo", SMTP_CMD_UNKNOWN, "foo" },
	{ "MAILFROM:<a@b>", SMTP_CMD_UNKNOWN, "" },
	{ "", SMTP_CMD_UNKNOWN, "" },
	{ "GET / HTTP/1.1", SMTP_CMD_UNKNOWN, "/ HTTP/1.1" },
	{ "DAT", SMTP_CMD_UNKNOWN, "" },
	{ "DATAX", SMTP_CMD_UNKNOWN, "" },
	{ "EHLO \xc3\xa9t\xc3\xa9.example", SMTP_CMD_EHLO, "\xc3\xa9t\xc3\xa9.example" },
};

START_TEST(test_command_valid)
{
	struct smtp_command	 cmd;
	char			 line[128];
	size_t			 len = strlen(command_cases[_i].line);

	memcpy(line, command_cases[_i].line, len + 1);
	ck_assert_int_eq(smtp_parse_command(line, len, &cmd), SMTP_PARSE_OK);
	ck_assert_int_eq(cmd.verb, command_cases[_i].verb);
	ck_assert_str_eq(cmd.args, command_cases[_i].args);
	ck_assert_uint_eq(cmd.args_len, strlen(command_cases[_i].args));
}
END_TEST

static const struct {
	const char	*line;
	size_t		 len;
} bad_bytes_cases[] = {
	{ "NOOP\r", 5 },
	{ "NO\0OP", 5 },
	{ "NOOP \x01", 6 },
	{ "\x7f", 1 },
	{ "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>", 30 },
	{ "EHLO x\x1b[31m", 11 },
};

START_TEST(test_command_bad_bytes)
{
	struct smtp_command	 cmd;
	char			 line[64];

	memcpy(line, bad_bytes_cases[_i].line, bad_bytes_cases[_i].len);
	line[bad_bytes_cases[_i].len] = '\0';
	ck_assert_int_eq(smtp_parse_command(line, bad_bytes_cases[_i].len, &cmd),
	    SMTP_PARSE_EBYTES);
}
END_TEST

START_TEST(test_verb_names)
{
	ck_assert_str_eq(smtp_verb_name(SMTP_CMD_MAIL), "MAIL");
	ck_assert_str_eq(smtp_verb_name(SMTP_CMD_STARTTLS), "STARTTLS");
	ck_assert_str_eq(smtp_verb_name(SMTP_CMD_UNKNOWN), "UNKNOWN");
}
END_TEST

/* ---------------------------------------------------------------- MAIL */

static const struct {
	const char	*args;
	const char	*addr;
	int		 null;
	int		 has_size;
	uint64_t	 size;
	enum smtp_body	 body;
	int		 smtputf8;
} mail_valid[] = {
	{ "FROM:<alice@example.org>", "alice@example.org", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "from:<alice@example.org>", "alice@example.org", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "From: <alice@example.org>", "alice@example.org", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<>", "", 1, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<> SIZE=10", "", 1, 1, 10, SMTP_BODY_NONE, 0 },
	{ "FROM:<Alice.Smith+tag@Sub.Example.ORG>", "Alice.Smith+tag@Sub.Example.ORG",
	    0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<!#$%&'*+-/=?^_`{|}~@example.org>", "!#$%&'*+-/=?^_`{|}~@example.org",
	    0, 0, 0, SMTP_BODY_NONE, 0 },
	/* quoted local parts: canonical form */
	{ "FROM:<\"john doe\"@example.org>", "\"john doe\"@example.org", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<\"john.doe\"@example.org>", "john.doe@example.org", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<\"a\\\\b\"@x.example>", "\"a\\\\b\"@x.example", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<\"a\\\"b\"@x.example>", "\"a\\\"b\"@x.example", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<\"a\\b\"@x.example>", "ab@x.example", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<\"\"@x.example>", "\"\"@x.example", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<\"a..b\"@x.example>", "\"a..b\"@x.example", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<\"@\"@x.example>", "\"@\"@x.example", 0, 0, 0, SMTP_BODY_NONE, 0 },
	/* source routes are ignored (RFC 5321 4.1.2, C.6) */
	{ "FROM:<@relay.example,@other.example:user@example.org>", "user@example.org",
	    0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<@[192.0.2.1]:user@example.org>", "user@example.org", 0, 0, 0, SMTP_BODY_NONE, 0 },
	/* address literals */
	{ "FROM:<user@[192.0.2.1]>", "user@[192.0.2.1]", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<user@[IPv6:2001:db8::1]>", "user@[IPv6:2001:db8::1]", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<user@[x-tag:stuff]>", "user@[x-tag:stuff]", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<x@b_c.example>", "x@b_c.example", 0, 0, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<x@123.example>", "x@123.example", 0, 0, 0, SMTP_BODY_NONE, 0 },
	/* parameters */
	{ "FROM:<a@b.example> SIZE=1000", "a@b.example", 0, 1, 1000, SMTP_BODY_NONE, 0 },
	{ "FROM:<a@b.example> size=0", "a@b.example", 0, 1, 0, SMTP_BODY_NONE, 0 },
	{ "FROM:<a@b.example> BODY=8BITMIME SIZE=422", "a@b.example", 0, 1, 422,
	    SMTP_BODY_8BITMIME, 0 },
	{ "FROM:<a@b.example> body=7bit", "a@b.example", 0, 0, 0, SMTP_BODY_7BIT, 0 },
	{ "FROM:<a@b.example> BODY=BINARYMIME", "a@b.example", 0, 0, 0, SMTP_BODY_BINARYMIME, 0 },
	{ "FROM:<a@b.example>   SIZE=5    SMTPUTF8", "a@b.example", 0, 1, 5, SMTP_BODY_NONE, 1 },
	{ "FROM:<a@b.example> SIZE=18446744073709551615", "a@b.example", 0, 1, UINT64_MAX,
	    SMTP_BODY_NONE, 0 },
	{ "FROM:<a@b.example> SIZE=99999999999999999999", "a@b.example", 0, 1, UINT64_MAX,
	    SMTP_BODY_NONE, 0 },
	/* SMTPUTF8 (RFC 6531) */
	{ "FROM:<\xc3\xbcser@ex\xc3\xa4mple.org> SMTPUTF8", "\xc3\xbcser@ex\xc3\xa4mple.org",
	    0, 0, 0, SMTP_BODY_NONE, 1 },
	{ "FROM:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8> smtputf8",
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8",
	    0, 0, 0, SMTP_BODY_NONE, 1 },
	{ "FROM:<\"\xc3\xbc \xc3\xbc\"@example.org> SMTPUTF8", "\"\xc3\xbc \xc3\xbc\"@example.org",
	    0, 0, 0, SMTP_BODY_NONE, 1 },
	{ "FROM:<\xf0\x9f\x93\xaf@example.org> SMTPUTF8", "\xf0\x9f\x93\xaf@example.org",
	    0, 0, 0, SMTP_BODY_NONE, 1 },
};

static int
has_high_byte(const char *str)
{
	for (; *str != '\0'; str++)
		if ((unsigned char)*str >= 0x80)
			return 1;
	return 0;
}

START_TEST(test_mail_valid)
{
	struct smtp_mail_args	 ma;
	const char		*err = NULL;

	ck_assert_msg(smtp_parse_mail(mail_valid[_i].args, &ma, &err) == SMTP_PARSE_OK,
	    "%s: %s", mail_valid[_i].args, err);
	ck_assert_str_eq(ma.path.addr, mail_valid[_i].addr);
	ck_assert_int_eq(ma.path.null, mail_valid[_i].null);
	ck_assert_int_eq(ma.has_size, mail_valid[_i].has_size);
	ck_assert_uint_eq(ma.size, mail_valid[_i].size);
	ck_assert_int_eq(ma.body, mail_valid[_i].body);
	ck_assert_int_eq(ma.smtputf8, mail_valid[_i].smtputf8);
	ck_assert_int_eq(ma.path.utf8, has_high_byte(mail_valid[_i].addr));
}
END_TEST

static const struct {
	const char	*args;
	int		 rc;
} mail_invalid[] = {
	{ "", SMTP_PARSE_ESYNTAX },
	{ "FROM", SMTP_PARSE_ESYNTAX },
	{ "FROM <a@b.example>", SMTP_PARSE_ESYNTAX },
	{ "TO:<a@b.example>", SMTP_PARSE_ESYNTAX },
	{ "FROM:alice@example.org", SMTP_PARSE_EADDR },
	{ "FROM:", SMTP_PARSE_EADDR },
	{ "FROM:<a@b.example", SMTP_PARSE_EADDR },
	{ "FROM:<a@>", SMTP_PARSE_EADDR },
	{ "FROM:<@b.example>", SMTP_PARSE_EADDR },
	{ "FROM:<a>", SMTP_PARSE_EADDR },
	{ "FROM:<postmaster>", SMTP_PARSE_EADDR },
	{ "FROM:<a..b@c.example>", SMTP_PARSE_EADDR },
	{ "FROM:<.a@c.example>", SMTP_PARSE_EADDR },
	{ "FROM:<a.@c.example>", SMTP_PARSE_EADDR },
	{ "FROM:<a@b..c>", SMTP_PARSE_EADDR },
	{ "FROM:<a@.b.c>", SMTP_PARSE_EADDR },
	{ "FROM:<a@-b.c>", SMTP_PARSE_EADDR },
	{ "FROM:<a@b-.c>", SMTP_PARSE_EADDR },
	{ "FROM:<a@b.>", SMTP_PARSE_EADDR },
	{ "FROM:<a b@c.example>", SMTP_PARSE_EADDR },
	{ "FROM:<a@b c>", SMTP_PARSE_EADDR },
	{ "FROM:<a@@b.example>", SMTP_PARSE_EADDR },
	{ "FROM:<a(b)@c.example>", SMTP_PARSE_EADDR },
	{ "FROM:<\"a@c.example>", SMTP_PARSE_EADDR },
	{ "FROM:<\"a\"b@c.example>", SMTP_PARSE_EADDR },
	{ "FROM:<\"a\tb\"@c.example>", SMTP_PARSE_EADDR },
	{ "FROM:<a@[300.1.1.1]>", SMTP_PARSE_EADDR },
	{ "FROM:<a@[1.2.3]>", SMTP_PARSE_EADDR },
	{ "FROM:<a@[IPv6:zz]>", SMTP_PARSE_EADDR },
	{ "FROM:<a@[]>", SMTP_PARSE_EADDR },
	{ "FROM:<a@[tag:]>", SMTP_PARSE_EADDR },
	{ "FROM:<a@[:x]>", SMTP_PARSE_EADDR },
	{ "FROM:<a@[1.2.3.4>", SMTP_PARSE_EADDR },
	{ "FROM:<@relay.example user@example.org>", SMTP_PARSE_EADDR },
	{ "FROM:<@relay.example:>", SMTP_PARSE_EADDR },
	{ "FROM:<a@b.example>x", SMTP_PARSE_ESYNTAX },
	{ "FROM:<a@b.example> =x", SMTP_PARSE_ESYNTAX },
	{ "FROM:<a@b.example> SIZE=1=2", SMTP_PARSE_ESYNTAX },
	{ "FROM:<a@b.example> FOO=bar", SMTP_PARSE_EPARAM },
	{ "FROM:<a@b.example> AUTH=<>", SMTP_PARSE_EPARAM },
	{ "FROM:<a@b.example> RET=FULL", SMTP_PARSE_EPARAM },
	{ "FROM:<a@b.example> SIZE=abc", SMTP_PARSE_EPARAMVAL },
	{ "FROM:<a@b.example> SIZE=", SMTP_PARSE_EPARAMVAL },
	{ "FROM:<a@b.example> SIZE", SMTP_PARSE_EPARAMVAL },
	{ "FROM:<a@b.example> SIZE=-1", SMTP_PARSE_EPARAMVAL },
	{ "FROM:<a@b.example> SIZE=123456789012345678901", SMTP_PARSE_EPARAMVAL },
	{ "FROM:<a@b.example> SIZE=1 SIZE=2", SMTP_PARSE_EPARAMVAL },
	{ "FROM:<a@b.example> BODY=9BIT", SMTP_PARSE_EPARAMVAL },
	{ "FROM:<a@b.example> BODY=8BITMIME BODY=7BIT", SMTP_PARSE_EPARAMVAL },
	{ "FROM:<a@b.example> SMTPUTF8=yes", SMTP_PARSE_EPARAMVAL },
	{ "FROM:<a@b.example> SMTPUTF8 SMTPUTF8", SMTP_PARSE_EPARAMVAL },
	/* UTF-8 */
	{ "FROM:<\xc3\xbcser@example.org>", SMTP_PARSE_EUTF8 },
	{ "FROM:<user@ex\xc3\xa4mple.org> SIZE=1", SMTP_PARSE_EUTF8 },
	{ "FROM:<\xff@example.org> SMTPUTF8", SMTP_PARSE_EADDR },
	{ "FROM:<\xc0\xaf@example.org> SMTPUTF8", SMTP_PARSE_EADDR },	/* overlong */
	{ "FROM:<\xed\xa0\x80@example.org> SMTPUTF8", SMTP_PARSE_EADDR },	/* surrogate */
	{ "FROM:<\xf4\x90\x80\x80@example.org> SMTPUTF8", SMTP_PARSE_EADDR },	/* > U+10FFFF */
	{ "FROM:<\xc3@example.org> SMTPUTF8", SMTP_PARSE_EADDR },		/* truncated */
	{ "FROM:<a@ex\xc3mple.org> SMTPUTF8", SMTP_PARSE_EADDR },
	{ "FROM:<\"\xc3\"@example.org> SMTPUTF8", SMTP_PARSE_EADDR },
};

START_TEST(test_mail_invalid)
{
	struct smtp_mail_args	 ma;
	const char		*err = NULL;
	int			 rc;

	rc = smtp_parse_mail(mail_invalid[_i].args, &ma, &err);
	ck_assert_msg(rc == mail_invalid[_i].rc, "%s: got %d want %d",
	    mail_invalid[_i].args, rc, mail_invalid[_i].rc);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_gt(strlen(err), 0);
}
END_TEST

/* ---------------------------------------------------------------- RCPT */

static const struct {
	const char	*args;
	int		 smtputf8;
	const char	*addr;
	int		 postmaster;
} rcpt_valid[] = {
	{ "TO:<bob@example.org>", 0, "bob@example.org", 0 },
	{ "to:<Bob@Example.ORG>", 0, "Bob@Example.ORG", 0 },
	{ "To: <bob@example.org>", 0, "bob@example.org", 0 },
	{ "TO:<\"bob\"@example.org>", 0, "bob@example.org", 0 },
	{ "TO:<\"b o b\"@example.org>", 0, "\"b o b\"@example.org", 0 },
	{ "TO:<postmaster>", 0, "postmaster", 1 },
	{ "TO:<PostMaster>", 0, "postmaster", 1 },
	{ "TO:<postmaster@example.org>", 0, "postmaster@example.org", 0 },
	{ "TO:<@hop.example:bob@example.org>", 0, "bob@example.org", 0 },
	{ "TO:<\xc3\xbcser@example.org>", 1, "\xc3\xbcser@example.org", 0 },
	{ "TO:<bob@[127.0.0.1]>", 0, "bob@[127.0.0.1]", 0 },
};

START_TEST(test_rcpt_valid)
{
	struct smtp_path	 p;
	const char		*err = NULL;

	ck_assert_msg(smtp_parse_rcpt(rcpt_valid[_i].args, rcpt_valid[_i].smtputf8,
	    &p, &err) == SMTP_PARSE_OK, "%s: %s", rcpt_valid[_i].args, err);
	ck_assert_str_eq(p.addr, rcpt_valid[_i].addr);
	ck_assert_int_eq(p.postmaster, rcpt_valid[_i].postmaster);
	ck_assert_int_eq(p.null, 0);
}
END_TEST

static const struct {
	const char	*args;
	int		 smtputf8;
	int		 rc;
} rcpt_invalid[] = {
	{ "", 0, SMTP_PARSE_ESYNTAX },
	{ "FROM:<a@b.example>", 0, SMTP_PARSE_ESYNTAX },
	{ "TO:<>", 0, SMTP_PARSE_EADDR },
	{ "TO:bob@example.org", 0, SMTP_PARSE_EADDR },
	{ "TO:<bob>", 0, SMTP_PARSE_EADDR },
	{ "TO:<postmaster@>", 0, SMTP_PARSE_EADDR },
	{ "TO:<bob@example.org> NOTIFY=NEVER", 0, SMTP_PARSE_EPARAM },
	{ "TO:<postmaster> ORCPT=rfc822;x@y", 0, SMTP_PARSE_EPARAM },
	{ "TO:<bob@example.org> SIZE=1", 0, SMTP_PARSE_EPARAM },
	{ "TO:<bob@example.org>>", 0, SMTP_PARSE_ESYNTAX },
	{ "TO:<\xc3\xbcser@example.org>", 0, SMTP_PARSE_EUTF8 },
	{ "TO:<bob@\xc3\xa9.example>", 0, SMTP_PARSE_EUTF8 },
};

START_TEST(test_rcpt_invalid)
{
	struct smtp_path	 p;
	const char		*err = NULL;
	int			 rc;

	rc = smtp_parse_rcpt(rcpt_invalid[_i].args, rcpt_invalid[_i].smtputf8, &p, &err);
	ck_assert_msg(rc == rcpt_invalid[_i].rc, "%s: got %d want %d",
	    rcpt_invalid[_i].args, rc, rcpt_invalid[_i].rc);
	ck_assert_ptr_nonnull(err);
}
END_TEST

/* -------------------------------------------------------------- limits */

static void
make_mail(char *buf, size_t buflen, size_t local_len, size_t domain_len)
{
	size_t	 i, o = 0;

	o += (size_t)snprintf(buf, buflen, "FROM:<");
	for (i = 0; i < local_len; i++)
		buf[o++] = 'l';
	buf[o++] = '@';
	for (i = 0; i < domain_len; i++)
		buf[o++] = (i % 10 == 9) ? '.' : 'd';
	if (buf[o - 1] == '.')
		buf[o - 1] = 'd';
	buf[o++] = '>';
	buf[o] = '\0';
}

static const struct {
	size_t	 local_len;
	size_t	 domain_len;
	int	 rc;
} limit_cases[] = {
	{ 64, 20, SMTP_PARSE_OK },		/* local part at the limit */
	{ 65, 20, SMTP_PARSE_ETOOLONG },	/* RFC 5321 4.5.3.1.1 */
	{ 1, 252, SMTP_PARSE_OK },		/* "<" 1 "@" 252 ">" = 256 octets */
	{ 1, 253, SMTP_PARSE_ETOOLONG },	/* path over 256 (4.5.3.1.3) */
	{ 64, 189, SMTP_PARSE_OK },		/* 64 + 189 + 3 = 256 */
	{ 64, 190, SMTP_PARSE_ETOOLONG },
	{ 1, 256, SMTP_PARSE_ETOOLONG },	/* domain over 255 (4.5.3.1.2) */
	{ 1, 400, SMTP_PARSE_ETOOLONG },
	{ 300, 10, SMTP_PARSE_ETOOLONG },
};

START_TEST(test_limits)
{
	struct smtp_mail_args	 ma;
	const char		*err = NULL;
	char			 buf[1024];
	int			 rc;

	make_mail(buf, sizeof(buf), limit_cases[_i].local_len, limit_cases[_i].domain_len);
	rc = smtp_parse_mail(buf, &ma, &err);
	ck_assert_msg(rc == limit_cases[_i].rc, "local %zu domain %zu: got %d (%s)",
	    limit_cases[_i].local_len, limit_cases[_i].domain_len, rc, err);
	if (rc == SMTP_PARSE_OK)
		ck_assert_uint_lt(strlen(ma.path.addr), SMTP_ADDR_MAX);
}
END_TEST

START_TEST(test_quoted_limit)
{
	struct smtp_mail_args	 ma;
	const char		*err = NULL;
	char			 content[80], buf[256];

	/* 62 characters in quotes = 64 octets: allowed; 63 = 65: too long. */
	memset(content, 'a', sizeof(content));
	content[10] = ' ';
	content[62] = '\0';
	snprintf(buf, sizeof(buf), "FROM:<\"%s\"@x.example>", content);
	ck_assert_int_eq(smtp_parse_mail(buf, &ma, &err), SMTP_PARSE_OK);
	ck_assert_uint_eq(strlen(ma.path.local), 64);
	content[62] = 'a';
	content[63] = '\0';
	snprintf(buf, sizeof(buf), "FROM:<\"%s\"@x.example>", content);
	ck_assert_int_eq(smtp_parse_mail(buf, &ma, &err), SMTP_PARSE_ETOOLONG);
}
END_TEST

/* ---------------------------------------------------------------- BDAT */

static const struct {
	const char	*args;
	int		 rc;
	uint64_t	 size;
	int		 last;
} bdat_cases[] = {
	{ "100", SMTP_PARSE_OK, 100, 0 },
	{ "0 LAST", SMTP_PARSE_OK, 0, 1 },
	{ "100 last", SMTP_PARSE_OK, 100, 1 },
	{ "7   LAST", SMTP_PARSE_OK, 7, 1 },
	{ "18446744073709551615", SMTP_PARSE_OK, UINT64_MAX, 0 },
	{ "00000000000000000001", SMTP_PARSE_OK, 1, 0 },
	{ "18446744073709551616", SMTP_PARSE_ESYNTAX, 0, 0 },
	{ "123456789012345678901", SMTP_PARSE_ESYNTAX, 0, 0 },
	{ "", SMTP_PARSE_ESYNTAX, 0, 0 },
	{ "-1", SMTP_PARSE_ESYNTAX, 0, 0 },
	{ "10x", SMTP_PARSE_ESYNTAX, 0, 0 },
	{ "10 LASTX", SMTP_PARSE_ESYNTAX, 0, 0 },
	{ "10 LAS", SMTP_PARSE_ESYNTAX, 0, 0 },
	{ "10 FIRST", SMTP_PARSE_ESYNTAX, 0, 0 },
	{ "LAST", SMTP_PARSE_ESYNTAX, 0, 0 },
	{ "10 LAST LAST", SMTP_PARSE_ESYNTAX, 0, 0 },
};

START_TEST(test_bdat)
{
	uint64_t	 size = 12345;
	int		 last = 7;

	ck_assert_int_eq(smtp_parse_bdat(bdat_cases[_i].args, &size, &last),
	    bdat_cases[_i].rc);
	if (bdat_cases[_i].rc == SMTP_PARSE_OK) {
		ck_assert_uint_eq(size, bdat_cases[_i].size);
		ck_assert_int_eq(last, bdat_cases[_i].last);
	}
}
END_TEST

/* ---------------------------------------------------------- HELO, UTF-8 */

static const struct {
	const char	*in;
	const char	*out;
} helo_cases[] = {
	{ "[127.0.0.1]", "[127.0.0.1]" },
	{ "testmsg.eml", "testmsg.eml" },
	{ "client.example", "client.example" },
	{ "[IPv6:::1]", "[IPv6:::1]" },
	{ "a(b);c", "a?b??c" },
	{ "x\"y<z>", "x?y?z?" },
	{ "\xc3\xa9", "??" },
};

START_TEST(test_helo_sanitize)
{
	char	 out[SMTP_HELO_MAX + 1];

	smtp_helo_sanitize(out, helo_cases[_i].in, strlen(helo_cases[_i].in));
	ck_assert_str_eq(out, helo_cases[_i].out);
}
END_TEST

START_TEST(test_helo_truncated)
{
	char	 in[400], out[SMTP_HELO_MAX + 1];

	memset(in, 'h', sizeof(in));
	smtp_helo_sanitize(out, in, sizeof(in));
	ck_assert_uint_eq(strlen(out), SMTP_HELO_MAX);
}
END_TEST

static const struct {
	const char	*s;
	int		 valid;
} utf8_cases[] = {
	{ "plain ascii", 1 },
	{ "\xc3\xa9", 1 },
	{ "\xe2\x82\xac", 1 },
	{ "\xf0\x9f\x98\x80", 1 },
	{ "\xf4\x8f\xbf\xbf", 1 },		/* U+10FFFF */
	{ "\xc3", 0 },
	{ "\xc0\x80", 0 },			/* overlong NUL */
	{ "\xe0\x80\xaf", 0 },			/* overlong */
	{ "\xed\xbf\xbf", 0 },			/* surrogate */
	{ "\xf4\x90\x80\x80", 0 },
	{ "\xf5\x80\x80\x80", 0 },
	{ "\x80", 0 },
	{ "\xe2\x82", 0 },
	{ "\xe2\x28\xa1", 0 },
};

START_TEST(test_utf8)
{
	ck_assert_int_eq(smtp_utf8_valid(utf8_cases[_i].s, strlen(utf8_cases[_i].s)),
	    utf8_cases[_i].valid);
}
END_TEST

#define N(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
smtp_parse_suite(void)
{
	Suite	*s = suite_create("smtp_parse");
	TCase	*tc;

	tc = tcase_create("commands");
	tcase_add_loop_test(tc, test_command_valid, 0, N(command_cases));
	tcase_add_loop_test(tc, test_command_bad_bytes, 0, N(bad_bytes_cases));
	tcase_add_test(tc, test_verb_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("mail");
	tcase_add_loop_test(tc, test_mail_valid, 0, N(mail_valid));
	tcase_add_loop_test(tc, test_mail_invalid, 0, N(mail_invalid));
	suite_add_tcase(s, tc);

	tc = tcase_create("rcpt");
	tcase_add_loop_test(tc, test_rcpt_valid, 0, N(rcpt_valid));
	tcase_add_loop_test(tc, test_rcpt_invalid, 0, N(rcpt_invalid));
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_loop_test(tc, test_limits, 0, N(limit_cases));
	tcase_add_test(tc, test_quoted_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("bdat");
	tcase_add_loop_test(tc, test_bdat, 0, N(bdat_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("helo and utf8");
	tcase_add_loop_test(tc, test_helo_sanitize, 0, N(helo_cases));
	tcase_add_test(tc, test_helo_truncated);
	tcase_add_loop_test(tc, test_utf8, 0, N(utf8_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(smtp_parse_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
