/*
 * dsn.c: build delivery status notifications (RFC 3464) as a
 * multipart/report (RFC 6522): a human-readable text/plain part, the
 * message/delivery-status part, and the original message (or only its
 * header when it is large), marked Auto-Submitted: auto-replied (RFC 3834)
 * so that well-behaved responders do not answer it.
 *
 * Pure formatting over memory. It does not decide whether to bounce (the
 * runner never bounces a null sender), does not deliver, and does not
 * produce message/global-delivery-status (RFC 6533): non-ASCII addresses
 * go into the ASCII report as utf-8 address-type xtext (RFC 6533 3.2),
 * non-ASCII in a remote reply becomes '?' there, and the human-readable
 * part carries the UTF-8 text.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsn.h"
#include "log.h"
#include "util.h"

#define DSN_LINE_MAX	998	/* RFC 5322 2.1.1, without CRLF */
#define DSN_FOLD_AT	76	/* where we like to fold or wrap */
#define DSN_HARD_AT	900	/* break a word longer than this (< 998) */
#define DSN_DATE_MAX	64
#define DSN_BOUNDARY_TRIES 16

/* A growing byte buffer: every append cannot fail (xrealloc dies on OOM). */
struct dsn_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void	 buf_add(struct dsn_buf *b, const char *s, size_t n);
static void	 buf_adds(struct dsn_buf *b, const char *s);
static void	 buf_addf(struct dsn_buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 utf8_seq_len(const unsigned char *s, size_t n, uint32_t *cp_r);
static void	 add_ascii_text(struct dsn_buf *b, const char *s);
static void	 add_addr_field(struct dsn_buf *b, const char *name,
		    const char *addr);
static void	 add_folded(struct dsn_buf *b, const char *start,
		    const char *value);
static void	 add_wrapped_utf8(struct dsn_buf *b, const char *indent,
		    const char *text);
static int	 all_delayed(const struct dsn_rcpt *rcpts, size_t n);
static void	 build_text(struct dsn_buf *b, const struct dsn_info *info,
		    const struct dsn_rcpt *rcpts, size_t n, int delayed);
static void	 build_status(struct dsn_buf *b, const struct dsn_info *info,
		    const struct dsn_rcpt *rcpts, size_t n);
static size_t	 header_end(const char *msg, size_t len);
static void	 add_original(struct dsn_buf *b, const char *msg, size_t len);
static int	 has_8bit(const char *s, size_t len);
static int	 contains(const struct dsn_buf *b, const char *needle);

static void
buf_add(struct dsn_buf *b, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (b->cap - b->len < n + 1) {
		size_t	cap = b->cap ? b->cap : 1024;

		while (cap - b->len < n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_adds(struct dsn_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_addf(struct dsn_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[256], *big;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("dsn: vsnprintf failed");
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, (size_t)n);
		return;
	}
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	if (vsnprintf(big, (size_t)n + 1, fmt, ap) != n)
		fatalx("dsn: vsnprintf changed its mind");
	va_end(ap);
	buf_add(b, big, (size_t)n);
	free(big);
}

/*
 * Length of the well-formed UTF-8 sequence at s (1..4, no overlongs, no
 * surrogates), its code point in *cp_r; 0 when s does not start one.
 */
static int
utf8_seq_len(const unsigned char *s, size_t n, uint32_t *cp_r)
{
	uint32_t	 cp, min;
	int		 len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if ((size_t)len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return len;
}

/* Text for an ASCII-only field: controls (CR/LF: a space) and 8-bit as '?'. */
static void
add_ascii_text(struct dsn_buf *b, const char *s)
{
	const unsigned char	*p;
	char			 c;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n' || *p == '\t')
			c = ' ';
		else if (*p < 0x20 || *p > 0x7e)
			c = '?';
		else
			c = (char)*p;
		buf_add(b, &c, 1);
	}
}

/*
 * "NAME: rfc822; addr", or for an address with non-ASCII (SMTPUTF8) or
 * characters xtext must escape "NAME: utf-8; " with \x{HEX} for them
 * (RFC 6533 3.2, utf-8-addr-xtext, the form for message/delivery-status).
 * Addresses are short (store limits), so no folding.
 */
static void
add_addr_field(struct dsn_buf *b, const char *name, const char *addr)
{
	const unsigned char	*p = (const unsigned char *)addr;
	size_t			 n = strlen(addr), i;
	int			 plain = 1;

	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e || p[i] == '+' || p[i] == '=' ||
		    p[i] == '\\')
			plain = 0;
	if (plain) {
		buf_addf(b, "%s: rfc822; %s\r\n", name, addr);
		return;
	}
	buf_addf(b, "%s: utf-8; ", name);
	for (i = 0; i < n; ) {
		uint32_t	 cp;
		int		 l = utf8_seq_len(p + i, n - i, &cp);

		if (l == 0) {
			cp = 0xfffd;	/* an invalid byte: the replacement character */
			l = 1;
		}
		if (cp >= 0x21 && cp <= 0x7e && cp != '+' && cp != '=' &&
		    cp != '\\')
			buf_add(b, (const char *)p + i, 1);
		else
			buf_addf(b, "\\x{%X}", (unsigned int)cp);
		i += (size_t)l;
	}
	buf_adds(b, "\r\n");
}

/*
 * A header field "start value" (start is "Name: type; "), ASCII only,
 * folded at whitespace before DSN_FOLD_AT where possible (RFC 5322 2.2.3:
 * the continuation lines start with a space), and a word longer than
 * DSN_HARD_AT broken with a fold so that no line passes 998.
 */
static void
add_folded(struct dsn_buf *b, const char *start, const char *value)
{
	struct dsn_buf	 v = { 0 };
	size_t		 col, i, word, take;
	const char	*s;
	int		 cont, empty_line = 1;	/* nothing after start/fold yet */

	add_ascii_text(&v, value);
	buf_adds(b, start);
	col = strlen(start);
	s = v.p != NULL ? v.p : "";
	for (i = 0; s[i] != '\0'; ) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		for (word = 0; s[i + word] != '\0' && s[i + word] != ' '; word++)
			;
		/* The fold's own space separates the words (RFC 5322 2.2.3);
		 * a word too long for a line is broken by a fold. */
		for (cont = 0; word > 0; cont = 1) {
			take = word > DSN_HARD_AT ? DSN_HARD_AT : word;
			if (!empty_line) {
				if (cont || col + 1 + take > DSN_FOLD_AT) {
					buf_adds(b, "\r\n ");
					col = 1;
				} else {
					buf_add(b, " ", 1);
					col++;
				}
			}
			buf_add(b, s + i, take);
			col += take;
			i += take;
			word -= take;
			empty_line = 0;
		}
	}
	buf_adds(b, "\r\n");
	free(v.p);
}

/*
 * UTF-8 text for the human-readable part: each line of text (CR/LF
 * separated) prefixed by indent, wrapped at spaces near DSN_FOLD_AT and
 * hard-broken (at a character boundary) past DSN_HARD_AT bytes; invalid
 * UTF-8 and control characters become '?'.
 */
static void
add_wrapped_utf8(struct dsn_buf *b, const char *indent, const char *text)
{
	struct dsn_buf		 clean = { 0 };
	const unsigned char	*p = (const unsigned char *)text;
	size_t			 n = strlen(text), i, col, ind = strlen(indent);
	const char		*s;

	/* First make it valid UTF-8 with only LF as a control character. */
	for (i = 0; i < n; ) {
		uint32_t	 cp;
		int		 l = utf8_seq_len(p + i, n - i, &cp);

		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
			i++;
			continue;
		}
		if (p[i] == '\r' || p[i] == '\n')
			buf_add(&clean, "\n", 1);
		else if (p[i] == '\t')
			buf_add(&clean, " ", 1);
		else if (l == 0 || cp < 0x20 || cp == 0x7f)
			buf_add(&clean, "?", 1);
		else
			buf_add(&clean, (const char *)p + i, (size_t)l);
		i += l == 0 ? 1 : (size_t)l;
	}
	s = clean.p != NULL ? clean.p : "";
	n = clean.len;
	buf_adds(b, indent);
	col = ind;
	for (i = 0; i < n; ) {
		size_t	word, cut;

		if (s[i] == '\n') {
			buf_adds(b, "\r\n");
			buf_adds(b, indent);
			col = ind;
			i++;
			continue;
		}
		if (s[i] == ' ') {
			if (col + 1 > DSN_FOLD_AT) {
				buf_adds(b, "\r\n");
				buf_adds(b, indent);
				col = ind;
			} else {
				buf_add(b, " ", 1);
				col++;
			}
			i++;
			continue;
		}
		for (word = 0; i + word < n && s[i + word] != ' ' &&
		    s[i + word] != '\n'; word++)
			;
		if (col > ind && col + word > DSN_FOLD_AT) {
			buf_adds(b, "\r\n");
			buf_adds(b, indent);
			col = ind;
		}
		while (word > 0) {
			cut = word;
			if (col + cut > DSN_HARD_AT) {
				cut = DSN_HARD_AT > col ? DSN_HARD_AT - col : 1;
				/* back to the start of a UTF-8 character */
				while (cut > 1 &&
				    ((unsigned char)s[i + cut] & 0xc0) == 0x80)
					cut--;
			}
			buf_add(b, s + i, cut);
			col += cut;
			i += cut;
			word -= cut;
			if (word > 0) {
				buf_adds(b, "\r\n");
				buf_adds(b, indent);
				col = ind;
			}
		}
	}
	buf_adds(b, "\r\n");
	free(clean.p);
}

static int
all_delayed(const struct dsn_rcpt *rcpts, size_t n)
{
	size_t	i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (rcpts[i].action == NULL ||
		    strcmp(rcpts[i].action, "delayed") != 0)
			return 0;
	return 1;
}

/* The text/plain part's body (RFC 6522 3: first part, for people). */
static void
build_text(struct dsn_buf *b, const struct dsn_info *info,
    const struct dsn_rcpt *rcpts, size_t n, int delayed)
{
	size_t	i;

	buf_adds(b, "This is the mail system at host ");
	add_ascii_text(b, info->hostname);
	buf_adds(b, ".\r\n\r\n");
	if (delayed) {
		buf_adds(b,
		    "Your message could not be delivered yet to one or more\r\n"
		    "recipients. The mail system will keep trying; this is a\r\n"
		    "warning only and you do not need to resend the message.\r\n");
	} else {
		buf_adds(b,
		    "Your message could not be delivered to one or more\r\n"
		    "recipients. It is attached below, with the reason for each\r\n"
		    "recipient and, where a remote server refused it, that\r\n"
		    "server's reply.\r\n");
	}
	buf_adds(b, "\r\nFor further assistance, please send mail to "
	    "postmaster.\r\n");
	if (info->queue_id != NULL && info->queue_id[0] != '\0') {
		buf_adds(b, "\r\nQueue ID: ");
		add_ascii_text(b, info->queue_id);
		buf_adds(b, "\r\n");
	}
	buf_adds(b, "\r\n                   The mail system\r\n");
	for (i = 0; i < n; i++) {
		const struct dsn_rcpt	*r = &rcpts[i];
		struct dsn_buf		 line = { 0 };

		buf_add(&line, "<", 1);
		buf_adds(&line, r->address != NULL ? r->address : "");
		buf_adds(&line, ">: ");
		if (r->action != NULL && strcmp(r->action, "delayed") == 0)
			buf_adds(&line, "(delayed) ");
		if (r->remote && r->remote_mta != NULL && r->remote_mta[0] != '\0') {
			buf_adds(&line, "host ");
			buf_adds(&line, r->remote_mta);
			buf_adds(&line, " said:");
		} else if (r->remote)
			buf_adds(&line, "the remote server said:");
		buf_adds(b, "\r\n");
		add_wrapped_utf8(b, "", line.p);
		free(line.p);
		add_wrapped_utf8(b, "    ", r->diagnostic != NULL &&
		    r->diagnostic[0] != '\0' ? r->diagnostic :
		    "(no reason recorded)");
	}
}

/* The message/delivery-status part's body (RFC 3464 2.2, 2.3). */
static void
build_status(struct dsn_buf *b, const struct dsn_info *info,
    const struct dsn_rcpt *rcpts, size_t n)
{
	char	 date[DSN_DATE_MAX], status[16];
	size_t	 i;

	buf_adds(b, "Reporting-MTA: dns; ");
	add_ascii_text(b, info->hostname);
	buf_adds(b, "\r\n");
	if (info->queue_id != NULL && info->queue_id[0] != '\0')
		add_folded(b, "X-Posthorn-Queue-ID: ", info->queue_id);
	rfc5322_date(date, sizeof(date), (time_t)info->arrival, 1);
	buf_addf(b, "Arrival-Date: %s\r\n", date);
	rfc5322_date(date, sizeof(date), (time_t)info->now, 1);
	for (i = 0; i < n; i++) {
		const struct dsn_rcpt	*r = &rcpts[i];
		const char		*action = r->action != NULL &&
		    r->action[0] != '\0' ? r->action : "failed";
		const char		*diag = r->diagnostic != NULL ?
		    r->diagnostic : "";
		int			 fallback = strcmp(action, "delayed") == 0 ?
		    4 : 5;

		buf_adds(b, "\r\n");
		add_addr_field(b, "Final-Recipient",
		    r->address != NULL ? r->address : "");
		buf_adds(b, "Action: ");
		add_ascii_text(b, action);
		buf_adds(b, "\r\n");
		if (r->status != NULL && r->status[0] != '\0')
			str_copy(status, r->status, sizeof(status));
		else
			dsn_status_from_reply(r->remote ? diag : "", fallback,
			    status, sizeof(status));
		buf_adds(b, "Status: ");
		add_ascii_text(b, status);
		buf_adds(b, "\r\n");
		if (r->remote_mta != NULL && r->remote_mta[0] != '\0') {
			buf_adds(b, "Remote-MTA: dns; ");
			add_ascii_text(b, r->remote_mta);
			buf_adds(b, "\r\n");
		}
		if (diag[0] != '\0')
			add_folded(b, r->remote ? "Diagnostic-Code: smtp; " :
			    "Diagnostic-Code: X-Posthorn; ", diag);
		buf_addf(b, "Last-Attempt-Date: %s\r\n", date);
	}
}

/*
 * Length of the header: up to and including the CRLF of its last field,
 * without the blank line that ends it (len when there is no body).
 */
static size_t
header_end(const char *msg, size_t len)
{
	size_t	i;

	if (len > 0 && (msg[0] == '\n' || msg[0] == '\r'))
		return 0;
	for (i = 0; i + 1 < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (msg[i + 1] == '\n' || msg[i + 1] == '\r')
			return i + 1;
	}
	return len;
}

/*
 * msg with every line ending in CRLF (bare LF or CR converted), ending in
 * CRLF, and lines cut at 998 bytes: the original was accepted by us under
 * the same limit, so a cut only guards against a caller's surprise.
 */
static void
add_original(struct dsn_buf *b, const char *msg, size_t len)
{
	size_t	i = 0, start, end;

	while (i < len) {
		start = i;
		while (i < len && msg[i] != '\r' && msg[i] != '\n')
			i++;
		end = i;
		if (end - start > DSN_LINE_MAX)
			end = start + DSN_LINE_MAX;
		buf_add(b, msg + start, end - start);
		buf_adds(b, "\r\n");
		if (i < len && msg[i] == '\r')
			i++;
		if (i < len && msg[i] == '\n')
			i++;
	}
}

static int
has_8bit(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] > 0x7e)
			return 1;
	return 0;
}

static int
contains(const struct dsn_buf *b, const char *needle)
{
	return b->len > 0 && memmem(b->p, b->len, needle, strlen(needle)) != NULL;
}

char *
dsn_build(const struct dsn_info *info, const struct dsn_rcpt *rcpts,
    size_t n, size_t *len_r)
{
	struct dsn_buf	 text = { 0 }, status = { 0 }, orig = { 0 }, out = { 0 };
	char		 boundary[80], date[DSN_DATE_MAX];
	const char	*hostname = info->hostname != NULL ? info->hostname : "";
	const char	*orig_type = NULL;
	int		 delayed = all_delayed(rcpts, n), tries;

	build_text(&text, info, rcpts, n, delayed);
	build_status(&status, info, rcpts, n);
	if (info->original != NULL && info->original_len > 0) {
		if (info->original_len <= DSN_RETURN_FULL_MAX) {
			add_original(&orig, info->original, info->original_len);
			orig_type = "message/rfc822";
		} else {
			add_original(&orig, info->original,
			    header_end(info->original, info->original_len));
			orig_type = "text/rfc822-headers";
		}
	}

	/* A boundary found in no part (RFC 2046 5.1.1); random, so the loop
	 * ends at once unless the original was made to collide. */
	for (tries = 0; ; tries++) {
		if (str_format(boundary, sizeof(boundary), "=_posthorn_%016llx%016llx",
		    (unsigned long long)random_u64(),
		    (unsigned long long)random_u64()) < 0)
			fatalx("dsn: boundary too long");
		if (!contains(&text, boundary) && !contains(&status, boundary) &&
		    !contains(&orig, boundary))
			break;
		if (tries >= DSN_BOUNDARY_TRIES)
			fatalx("dsn: no unique boundary after %d tries", tries);
	}

	rfc5322_date(date, sizeof(date), (time_t)info->now, 1);
	buf_addf(&out, "Date: %s\r\n", date);
	buf_adds(&out, "From: Mail Delivery System <MAILER-DAEMON@");
	add_ascii_text(&out, hostname);
	buf_adds(&out, ">\r\nTo: <");
	/* An SMTPUTF8 sender stays UTF-8 (RFC 6532); CR/LF cannot sneak in. */
	{
		const char	*s = info->sender != NULL ? info->sender : "";

		for (; *s != '\0'; s++)
			buf_add(&out, (unsigned char)*s < 0x20 ||
			    *s == 0x7f ? "?" : s, 1);
	}
	buf_adds(&out, ">\r\n");
	buf_addf(&out, "Subject: %s\r\n", delayed ?
	    "Delayed Mail (still being retried)" :
	    "Undelivered Mail Returned to Sender");
	buf_addf(&out, "Message-ID: <%016llx.%016llx@",
	    (unsigned long long)random_u64(), (unsigned long long)random_u64());
	add_ascii_text(&out, hostname);
	buf_adds(&out, ">\r\n");
	buf_adds(&out, "Auto-Submitted: auto-replied\r\n");
	buf_adds(&out, "MIME-Version: 1.0\r\n");
	buf_addf(&out, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n", boundary);
	if (has_8bit(text.p, text.len) || has_8bit(orig.p, orig.len))
		buf_adds(&out, "Content-Transfer-Encoding: 8bit\r\n");
	buf_adds(&out, "\r\nThis is a MIME-encapsulated message.\r\n\r\n");

	buf_addf(&out, "--%s\r\n", boundary);
	buf_adds(&out, "Content-Description: Notification\r\n");
	buf_addf(&out, "Content-Type: text/plain; charset=%s\r\n",
	    has_8bit(text.p, text.len) ? "utf-8" : "us-ascii");
	if (has_8bit(text.p, text.len))
		buf_adds(&out, "Content-Transfer-Encoding: 8bit\r\n");
	buf_adds(&out, "\r\n");
	buf_add(&out, text.p, text.len);

	buf_addf(&out, "\r\n--%s\r\n", boundary);
	buf_adds(&out, "Content-Description: Delivery report\r\n");
	buf_adds(&out, "Content-Type: message/delivery-status\r\n\r\n");
	buf_add(&out, status.p, status.len);

	if (orig_type != NULL) {
		buf_addf(&out, "\r\n--%s\r\n", boundary);
		buf_addf(&out, "Content-Description: %s\r\n",
		    strcmp(orig_type, "message/rfc822") == 0 ?
		    "Undelivered Message" : "Undelivered Message Headers");
		buf_addf(&out, "Content-Type: %s\r\n", orig_type);
		if (has_8bit(orig.p, orig.len))
			buf_adds(&out, "Content-Transfer-Encoding: 8bit\r\n");
		buf_adds(&out, "\r\n");
		buf_add(&out, orig.p, orig.len);
	}
	buf_addf(&out, "\r\n--%s--\r\n", boundary);

	free(text.p);
	free(status.p);
	free(orig.p);
	*len_r = out.len;
	return out.p;
}

/* "c.s.d" at s (RFC 3463 2: class 2/4/5, 1..3 digit subject and detail)
 * followed by a space or the end: its length, else 0. */
static size_t	 enhanced_len(const char *s);

static size_t
enhanced_len(const char *s)
{
	size_t	i = 0, d;
	int	part;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	i = 1;
	for (part = 0; part < 2; part++) {
		if (s[i] != '.')
			return 0;
		i++;
		for (d = 0; d < 3 && s[i] >= '0' && s[i] <= '9'; d++)
			i++;
		if (d == 0)
			return 0;
	}
	if (s[i] != '\0' && s[i] != ' ' && s[i] != '\r' && s[i] != '\n' &&
	    s[i] != '\t')
		return 0;
	return i;
}

void
dsn_status_from_reply(const char *reply, int fallback_class, char *buf,
    size_t bufsize)
{
	int	cls = fallback_class == 4 ? 4 : 5;
	size_t	l;

	if (reply != NULL && (reply[0] == '4' || reply[0] == '5') &&
	    reply[1] >= '0' && reply[1] <= '9' && reply[2] >= '0' &&
	    reply[2] <= '9' && (reply[3] == ' ' || reply[3] == '-' ||
	    reply[3] == '\0' || reply[3] == '\r' || reply[3] == '\n')) {
		cls = reply[0] - '0';
		if (reply[3] == ' ' || reply[3] == '-') {
			l = enhanced_len(reply + 4);
			/* RFC 3463 2: the class agrees with the reply code;
			 * a server that disagrees gets its reply code's class. */
			if (l > 0 && l < bufsize && reply[4] - '0' == cls) {
				memcpy(buf, reply + 4, l);
				buf[l] = '\0';
				return;
			}
		}
	}
	/* A local reason may open with its enhanced code ("5.6.3 8-bit message..."). */
	if (reply != NULL && (l = enhanced_len(reply)) > 0 && l < bufsize &&
	    reply[0] - '0' == cls) {
		memcpy(buf, reply, l);
		buf[l] = '\0';
		return;
	}
	if (str_format(buf, bufsize, "%d.0.0", cls) < 0 && bufsize > 0)
		buf[0] = '\0';
}
