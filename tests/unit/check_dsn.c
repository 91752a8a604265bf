/*
 * check_dsn.c: unit tests of outbound/dsn.c. Every DSN built here is
 * parsed back with mime/ (the IMAP parser): the multipart/report with its
 * report-type and a boundary found in no part, the three parts and their
 * Content-Types, the delivery-status fields (unfolded), the remote reply
 * quoted in both the report and the text, the original whole or only its
 * header over DSN_RETURN_FULL_MAX, CRLF everywhere and no line over 998.
 * Python's email parser reads DSNs in the runner's integration test.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "mime.h"
#include "util.h"

#define ARRIVAL	1795000000
#define NOW	(ARRIVAL + 3600)

static const char original[] =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@remote.example\r\n"
    "Subject: hello\r\n"
    "Message-ID: <1@example.org>\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "this is the body.\r\n";

/* A parsed DSN with the pieces tests look at. */
struct parsed {
	char			*msg;
	size_t			 len;
	struct mime_part	*root;
	const struct mime_part	*part[4];
	unsigned int		 nparts;
};

static void
parse_dsn(struct parsed *p, const struct dsn_info *info,
    const struct dsn_rcpt *rcpts, size_t n)
{
	const struct mime_part	*c;

	memset(p, 0, sizeof(*p));
	p->msg = dsn_build(info, rcpts, n, &p->len);
	ck_assert_ptr_nonnull(p->msg);
	ck_assert_uint_eq(strlen(p->msg), p->len);
	ck_assert_int_eq(mime_parse(p->msg, p->len, &p->root), 0);
	for (c = p->root->children; c != NULL && p->nparts < 4; c = c->next)
		p->part[p->nparts++] = c;
}

static void
parsed_free(struct parsed *p)
{
	mime_free(&p->root);
	free(p->msg);
}

/* A part's body as a NUL-terminated copy. */
static char *
part_body(const struct parsed *p, const struct mime_part *part)
{
	return xmemdup(p->msg + part->body_off, part->body_len);
}

/* The message header (before the first blank line) as a copy. */
static char *
top_header(const struct parsed *p)
{
	const char	*e = strstr(p->msg, "\r\n\r\n");

	ck_assert_ptr_nonnull(e);
	return xmemdup(p->msg, (size_t)(e - p->msg) + 2);
}

/*
 * The unfolded value of the first field name in a header block (text
 * starts at a line), CRLF+WSP removed (RFC 5322 2.2.3); NULL if absent.
 */
static char *
field(const char *text, const char *name)
{
	size_t		 nl = strlen(name);
	const char	*line = text, *v, *e;
	char		*out, *o;

	while (line != NULL && *line != '\0') {
		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			v = line + nl + 1;
			while (*v == ' ')
				v++;
			out = o = xmalloc(strlen(v) + 1);
			for (e = v; *e != '\0'; e++) {
				if (e[0] == '\r' && e[1] == '\n') {
					if (e[2] != ' ' && e[2] != '\t')
						break;
					e++;
					continue;
				}
				*o++ = *e;
			}
			*o = '\0';
			return out;
		}
		line = strstr(line, "\r\n");
		if (line != NULL)
			line += 2;
	}
	return NULL;
}

static void
assert_field(const char *text, const char *name, const char *want)
{
	char	*v = field(text, name);

	ck_assert_msg(v != NULL, "field %s missing", name);
	ck_assert_str_eq(v, want);
	free(v);
}

/* CRLF line ends only, no line longer than 998 bytes (RFC 5322 2.1.1). */
static void
assert_lines(const char *msg, size_t len)
{
	size_t	i, col = 0;

	/* plain loop, one assertion at the fault: messages here are large */
	for (i = 0; i < len; i++) {
		if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n') {
			if (col > 998)
				break;
			col = 0;
			i++;
		} else if (msg[i] == '\r' || msg[i] == '\n')
			break;
		else
			col++;
	}
	ck_assert_msg(i == len, "bare CR/LF or a line of %zu bytes at %zu",
	    col, i);
	ck_assert_uint_eq(col, 0);	/* ends with CRLF */
}

static void
base_info(struct dsn_info *info)
{
	memset(info, 0, sizeof(*info));
	info->hostname = "mail.example.org";
	info->sender = "alice@example.org";
	info->queue_id = "1234567890";
	info->arrival = ARRIVAL;
	info->now = NOW;
	info->original = original;
	info->original_len = sizeof(original) - 1;
}

static const struct dsn_rcpt rcpt_550 = {
	"bob@remote.example", "failed", "", "mx.remote.example",
	"550 5.1.1 <bob@remote.example>: no such user", 1
};

/* ---- structure -------------------------------------------------------- */

START_TEST(test_structure)
{
	struct dsn_info	 info;
	struct parsed	 p;
	const char	*boundary;
	char		*hdr, *v;

	base_info(&info);
	parse_dsn(&p, &info, &rcpt_550, 1);
	assert_lines(p.msg, p.len);

	ck_assert_str_eq(p.root->type, "multipart");
	ck_assert_str_eq(p.root->subtype, "report");
	ck_assert_str_eq(mime_param_get(p.root->params, p.root->nparams,
	    "report-type"), "delivery-status");
	boundary = mime_param_get(p.root->params, p.root->nparams, "boundary");
	ck_assert_ptr_nonnull(boundary);
	ck_assert_ptr_null(strstr(original, boundary));
	ck_assert_uint_eq(p.nparts, 3);
	ck_assert_str_eq(p.part[0]->type, "text");
	ck_assert_str_eq(p.part[0]->subtype, "plain");
	ck_assert_str_eq(p.part[1]->type, "message");
	ck_assert_str_eq(p.part[1]->subtype, "delivery-status");
	ck_assert_str_eq(p.part[2]->type, "message");
	ck_assert_str_eq(p.part[2]->subtype, "rfc822");
	ck_assert_int_eq(p.part[2]->kind, MIME_KIND_MESSAGE);
	/* The boundary occurs only as delimiter lines: 3 + the close. */
	{
		const char	*s = p.msg;
		int		 count = 0;

		while ((s = strstr(s, boundary)) != NULL) {
			count++;
			s++;
		}
		ck_assert_int_eq(count, 1 + 3 + 1);	/* param + parts + close */
	}

	hdr = top_header(&p);
	assert_field(hdr, "From", "Mail Delivery System <MAILER-DAEMON@mail.example.org>");
	assert_field(hdr, "To", "<alice@example.org>");
	assert_field(hdr, "Subject", "Undelivered Mail Returned to Sender");
	assert_field(hdr, "Auto-Submitted", "auto-replied");
	assert_field(hdr, "MIME-Version", "1.0");
	assert_field(hdr, "Date", "Wed, 18 Nov 2026 12:06:40 +0000");
	v = field(hdr, "Message-ID");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v[0], '<');
	ck_assert_ptr_nonnull(strstr(v, "@mail.example.org>"));
	free(v);
	free(hdr);
	parsed_free(&p);
}
END_TEST

START_TEST(test_status_fields)
{
	struct dsn_info	 info;
	struct parsed	 p;
	char		*st, *rcpt;

	base_info(&info);
	parse_dsn(&p, &info, &rcpt_550, 1);
	st = part_body(&p, p.part[1]);
	/* per-message fields, then a blank line, then the recipient's */
	assert_field(st, "Reporting-MTA", "dns; mail.example.org");
	assert_field(st, "X-Posthorn-Queue-ID", "1234567890");
	assert_field(st, "Arrival-Date", "Wed, 18 Nov 2026 11:06:40 +0000");
	rcpt = strstr(st, "\r\n\r\n");
	ck_assert_ptr_nonnull(rcpt);
	rcpt += 4;
	ck_assert(strstr(st, "Final-Recipient") >= rcpt);
	assert_field(rcpt, "Final-Recipient", "rfc822; bob@remote.example");
	assert_field(rcpt, "Action", "failed");
	assert_field(rcpt, "Status", "5.1.1");
	assert_field(rcpt, "Remote-MTA", "dns; mx.remote.example");
	assert_field(rcpt, "Diagnostic-Code",
	    "smtp; 550 5.1.1 <bob@remote.example>: no such user");
	assert_field(rcpt, "Last-Attempt-Date", "Wed, 18 Nov 2026 12:06:40 +0000");
	free(st);
	parsed_free(&p);
}
END_TEST

START_TEST(test_text_part)
{
	struct dsn_info	 info;
	struct parsed	 p;
	char		*t;

	base_info(&info);
	parse_dsn(&p, &info, &rcpt_550, 1);
	t = part_body(&p, p.part[0]);
	ck_assert_ptr_nonnull(strstr(t,
	    "This is the mail system at host mail.example.org."));
	ck_assert_ptr_nonnull(strstr(t, "could not be delivered"));
	ck_assert_ptr_nonnull(strstr(t, "<bob@remote.example>: host "
	    "mx.remote.example said:"));
	ck_assert_ptr_nonnull(strstr(t,
	    "    550 5.1.1 <bob@remote.example>: no such user"));
	ck_assert_ptr_nonnull(strstr(t, "1234567890"));
	ck_assert_str_eq(mime_param_get(p.part[0]->params, p.part[0]->nparams,
	    "charset"), "us-ascii");
	free(t);
	parsed_free(&p);
}
END_TEST

/* ---- the original: whole, or its header only --------------------------- */

START_TEST(test_original_whole)
{
	struct dsn_info	 info;
	struct parsed	 p;
	const struct mime_part *m;

	base_info(&info);
	parse_dsn(&p, &info, &rcpt_550, 1);
	m = p.part[2]->children;
	ck_assert_ptr_nonnull(m);
	/* the encapsulated message is the original, byte for byte */
	ck_assert_uint_eq(m->hdr_len + m->body_len, sizeof(original) - 1);
	ck_assert_int_eq(memcmp(p.msg + m->hdr_off, original,
	    sizeof(original) - 1), 0);
	parsed_free(&p);
}
END_TEST

/* A message of exactly size bytes (CRLF lines of 78 + 2). */
static char *
big_message(size_t size)
{
	static const char hdr[] = "From: a@example.org\r\nSubject: big\r\n\r\n";
	char	*m = xmalloc(size + 1);
	size_t	 i;

	memcpy(m, hdr, sizeof(hdr) - 1);
	for (i = sizeof(hdr) - 1; i < size; i++)
		m[i] = (i - (sizeof(hdr) - 1)) % 80 == 78 ? '\r' :
		    (i - (sizeof(hdr) - 1)) % 80 == 79 ? '\n' : 'x';
	m[size - 2] = '\r';
	m[size - 1] = '\n';
	m[size] = '\0';
	return m;
}

static const struct {
	size_t		 size;
	const char	*subtype;
} limit_cases[] = {
	{ DSN_RETURN_FULL_MAX, "rfc822" },
	{ DSN_RETURN_FULL_MAX + 1, "rfc822-headers" },
	{ 2 * DSN_RETURN_FULL_MAX, "rfc822-headers" },
};

START_TEST(test_original_limit)
{
	struct dsn_info	 info;
	struct parsed	 p;
	char		*m = big_message(limit_cases[_i].size), *body;

	base_info(&info);
	info.original = m;
	info.original_len = limit_cases[_i].size;
	parse_dsn(&p, &info, &rcpt_550, 1);
	assert_lines(p.msg, p.len);
	ck_assert_uint_eq(p.nparts, 3);
	ck_assert_str_eq(p.part[2]->subtype, limit_cases[_i].subtype);
	body = part_body(&p, p.part[2]);
	if (strcmp(limit_cases[_i].subtype, "rfc822-headers") == 0) {
		ck_assert_str_eq(p.part[2]->type, "text");
		ck_assert_str_eq(body, "From: a@example.org\r\nSubject: big\r\n");
		ck_assert_uint_lt(p.len, 8192);
	} else {
		ck_assert_str_eq(p.part[2]->type, "message");
		ck_assert_uint_gt(p.len, limit_cases[_i].size);
		ck_assert_int_eq(memcmp(body, m, limit_cases[_i].size), 0);
	}
	free(body);
	free(m);
	parsed_free(&p);
}
END_TEST

START_TEST(test_original_none_and_lf)
{
	static const char lf[] = "Subject: lf\n\nline one\nline two";
	struct dsn_info	 info;
	struct parsed	 p;
	char		*body;

	base_info(&info);
	info.original = NULL;
	info.original_len = 0;
	parse_dsn(&p, &info, &rcpt_550, 1);
	ck_assert_uint_eq(p.nparts, 2);
	parsed_free(&p);

	info.original = lf;
	info.original_len = sizeof(lf) - 1;
	parse_dsn(&p, &info, &rcpt_550, 1);
	assert_lines(p.msg, p.len);
	body = part_body(&p, p.part[2]);
	ck_assert_str_eq(body, "Subject: lf\r\n\r\nline one\r\nline two\r\n");
	free(body);
	parsed_free(&p);
}
END_TEST

/* ---- recipients, folding, status ------------------------------------------ */

START_TEST(test_long_diagnostic)
{
	struct dsn_info	 info;
	struct dsn_rcpt	 r = rcpt_550;
	struct parsed	 p;
	char		*diag, *want, *st, *v, *t;
	size_t		 i, n = 0;

	/* 3000 bytes of words, then a 2000-byte word, then more words */
	diag = xmalloc(8000);
	str_copy(diag, "550 5.7.1", 8000);
	for (i = 0; i < 300; i++)
		str_append(diag, " word", 8000);
	str_append(diag, " ", 8000);
	for (i = 0; i < 2000; i++)
		str_append(diag, "z", 8000);
	str_append(diag, " tail end", 8000);
	r.diagnostic = diag;
	base_info(&info);
	parse_dsn(&p, &info, &r, 1);
	assert_lines(p.msg, p.len);
	st = part_body(&p, p.part[1]);
	v = field(st, "Diagnostic-Code");
	ck_assert_ptr_nonnull(v);
	/* Unfolding gives the reply back, but for the breaks in the long word. */
	want = xmalloc(strlen(diag) + 16);
	str_copy(want, "smtp; ", strlen(diag) + 16);
	str_append(want, diag, strlen(diag) + 16);
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] == ' ')
			n++;
	ck_assert_uint_eq(strlen(v), strlen(want) + 2);	/* 2000 = 900+900+200 */
	ck_assert_int_eq(strncmp(v, want, 2400), 0);
	ck_assert_str_eq(v + strlen(v) - 9, " tail end");
	ck_assert_uint_eq(n, 2 + 300 + 1 + 2 + 2);
	/* folded lines are short where there is whitespace */
	ck_assert_ptr_nonnull(strstr(st, " word word\r\n word"));
	t = part_body(&p, p.part[0]);
	ck_assert_ptr_nonnull(strstr(t, "    550 5.7.1 word"));
	ck_assert_str_eq(r.status, "");
	ck_assert_ptr_nonnull(strstr(st, "Status: 5.7.1\r\n"));
	free(t);
	free(want);
	free(v);
	free(st);
	free(diag);
	parsed_free(&p);
}
END_TEST

START_TEST(test_multi_rcpt_local)
{
	struct dsn_rcpt	 r[3] = {
		rcpt_550,
		{ "carol@nx.example", "failed", "5.1.2", "",
		    "domain nx.example has no mail server (NXDOMAIN)", 0 },
		{ "dave@slow.example", "failed", "", "",
		    "delivery time expired: connection refused", 0 },
	};
	struct dsn_info	 info;
	struct parsed	 p;
	char		*st, *rc, *t;

	base_info(&info);
	parse_dsn(&p, &info, r, 3);
	assert_lines(p.msg, p.len);
	st = part_body(&p, p.part[1]);
	rc = strstr(st, "carol@nx.example");
	ck_assert_ptr_nonnull(rc);
	rc = strstr(rc - strlen("Final-Recipient: rfc822; "), "Final");
	assert_field(rc, "Status", "5.1.2");
	assert_field(rc, "Diagnostic-Code",
	    "X-Posthorn; domain nx.example has no mail server (NXDOMAIN)");
	ck_assert_ptr_null(strstr(rc, "Remote-MTA: dns; \r\n"));
	rc = strstr(rc, "Final-Recipient: rfc822; dave@slow.example");
	ck_assert_ptr_nonnull(rc);
	assert_field(rc, "Status", "5.0.0");
	/* three recipient blocks, each after a blank line */
	ck_assert_ptr_nonnull(strstr(st, "\r\n\r\nFinal-Recipient: rfc822; bob@"));
	ck_assert_ptr_nonnull(strstr(st, "\r\n\r\nFinal-Recipient: rfc822; carol@"));
	ck_assert_ptr_nonnull(strstr(st, "\r\n\r\nFinal-Recipient: rfc822; dave@"));
	t = part_body(&p, p.part[0]);
	ck_assert_ptr_nonnull(strstr(t, "<carol@nx.example>:"));
	ck_assert_ptr_nonnull(strstr(t, "    domain nx.example has no mail server"));
	free(t);
	free(st);
	parsed_free(&p);
}
END_TEST

START_TEST(test_delayed_subject)
{
	struct dsn_rcpt	 r[2] = {
		{ "a@x.example", "delayed", "", "mx.x.example",
		    "451 4.3.0 try later", 1 },
		{ "b@x.example", "delayed", "", "", "connection refused", 0 },
	};
	struct dsn_info	 info;
	struct parsed	 p;
	char		*hdr, *st;

	base_info(&info);
	parse_dsn(&p, &info, r, 2);
	hdr = top_header(&p);
	assert_field(hdr, "Subject", "Delayed Mail (still being retried)");
	free(hdr);
	st = part_body(&p, p.part[1]);
	ck_assert_ptr_nonnull(strstr(st, "Action: delayed\r\nStatus: 4.3.0\r\n"));
	ck_assert_ptr_nonnull(strstr(st, "Action: delayed\r\nStatus: 4.0.0\r\n"));
	free(st);
	parsed_free(&p);

	/* one failed among delayed: it is a bounce */
	r[1].action = "failed";
	parse_dsn(&p, &info, r, 2);
	hdr = top_header(&p);
	assert_field(hdr, "Subject", "Undelivered Mail Returned to Sender");
	free(hdr);
	parsed_free(&p);
}
END_TEST

START_TEST(test_utf8)
{
	struct dsn_rcpt	 r = {
		"j\xc3\xb6rg@b\xc3\xbc" "cher.example", "failed", "",
		"mx.b\xc3\xbc" "cher.example",
		"550 5.1.1 Benutzer unbekannt: j\xc3\xb6rg \xff\xfe bad\r\n"
		"550 5.1.1 second line", 1
	};
	struct dsn_info	 info;
	struct parsed	 p;
	char		*t, *st, *hdr;

	base_info(&info);
	info.sender = "m\xc3\xa4x@example.org";
	parse_dsn(&p, &info, &r, 1);
	assert_lines(p.msg, p.len);
	hdr = top_header(&p);
	assert_field(hdr, "To", "<m\xc3\xa4x@example.org>");
	free(hdr);
	ck_assert_str_eq(mime_param_get(p.part[0]->params, p.part[0]->nparams,
	    "charset"), "utf-8");
	t = part_body(&p, p.part[0]);
	ck_assert_ptr_nonnull(strstr(t, "<j\xc3\xb6rg@b\xc3\xbc" "cher.example>:"));
	/* invalid bytes replaced, the reply's lines kept as lines */
	ck_assert_ptr_nonnull(strstr(t,
	    "    550 5.1.1 Benutzer unbekannt: j\xc3\xb6rg ?? bad\r\n"
	    "    550 5.1.1 second line\r\n"));
	st = part_body(&p, p.part[1]);
	/* the report part is ASCII: RFC 6533 utf-8 xtext address */
	assert_field(st + (strstr(st, "\r\n\r\n") - st) + 4, "Final-Recipient",
	    "utf-8; j\\x{F6}rg@b\\x{FC}cher.example");
	ck_assert_ptr_nonnull(strstr(st,
	    "Diagnostic-Code: smtp; 550 5.1.1 Benutzer unbekannt: j??rg ?? bad"));
	{
		size_t	i;

		for (i = 0; st[i] != '\0'; i++)
			ck_assert_uint_lt((unsigned char)st[i], 0x80);
	}
	free(st);
	free(t);
	parsed_free(&p);
}
END_TEST

START_TEST(test_boundary_unique)
{
	struct dsn_info	 info;
	struct parsed	 p1, p2;
	const char	*b1, *b2;

	base_info(&info);
	parse_dsn(&p1, &info, &rcpt_550, 1);
	parse_dsn(&p2, &info, &rcpt_550, 1);
	b1 = mime_param_get(p1.root->params, p1.root->nparams, "boundary");
	b2 = mime_param_get(p2.root->params, p2.root->nparams, "boundary");
	ck_assert_str_ne(b1, b2);
	/* a DSN of a DSN: the inner boundary is in the original, not reused */
	info.original = p1.msg;
	info.original_len = p1.len;
	parsed_free(&p2);
	parse_dsn(&p2, &info, &rcpt_550, 1);
	b2 = mime_param_get(p2.root->params, p2.root->nparams, "boundary");
	ck_assert_ptr_null(strstr(p1.msg, b2));
	ck_assert_uint_eq(p2.nparts, 3);
	ck_assert_int_eq(p2.part[2]->kind, MIME_KIND_MESSAGE);
	parsed_free(&p2);
	parsed_free(&p1);
}
END_TEST

/* ---- dsn_status_from_reply ------------------------------------------------ */

static const struct {
	const char	*reply;
	int		 fallback;
	const char	*want;
} status_cases[] = {
	{ "550 5.1.1 no such user", 5, "5.1.1" },
	{ "550-5.1.1 first line\r\n550 5.1.1 second", 5, "5.1.1" },
	{ "452 4.2.2 mailbox full", 5, "4.2.2" },
	{ "554 5.7.1", 4, "5.7.1" },
	{ "550 no enhanced code", 4, "5.0.0" },
	{ "421 service not available", 5, "4.0.0" },
	{ "550 4.1.1 class disagrees", 5, "5.0.0" },
	{ "550 5.1.1x not a code", 5, "5.0.0" },
	{ "550 5.1234.1 too long", 5, "5.0.0" },
	{ "550 5.100.999 three digits", 5, "5.100.999" },
	{ "550", 5, "5.0.0" },
	{ "", 4, "4.0.0" },
	{ "", 5, "5.0.0" },
	{ "connection refused", 4, "4.0.0" },
	{ "250 2.0.0 ok?", 5, "5.0.0" },
	{ "", 0, "5.0.0" },
};

START_TEST(test_status_from_reply)
{
	char	buf[16];

	dsn_status_from_reply(status_cases[_i].reply, status_cases[_i].fallback,
	    buf, sizeof(buf));
	ck_assert_str_eq(buf, status_cases[_i].want);
}
END_TEST

static Suite *
dsn_suite(void)
{
	Suite	*s = suite_create("dsn");
	TCase	*tc;

	tc = tcase_create("structure");
	tcase_add_test(tc, test_structure);
	tcase_add_test(tc, test_status_fields);
	tcase_add_test(tc, test_text_part);
	tcase_add_test(tc, test_boundary_unique);
	suite_add_tcase(s, tc);

	tc = tcase_create("original");
	tcase_set_timeout(tc, 30);	/* 256 KiB messages on a loaded machine */
	tcase_add_test(tc, test_original_whole);
	tcase_add_loop_test(tc, test_original_limit, 0,
	    sizeof(limit_cases) / sizeof(limit_cases[0]));
	tcase_add_test(tc, test_original_none_and_lf);
	suite_add_tcase(s, tc);

	tc = tcase_create("recipients");
	tcase_add_test(tc, test_long_diagnostic);
	tcase_add_test(tc, test_multi_rcpt_local);
	tcase_add_test(tc, test_delayed_subject);
	tcase_add_test(tc, test_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_add_loop_test(tc, test_status_from_reply, 0,
	    sizeof(status_cases) / sizeof(status_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(dsn_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
