/*
 * smtp_header.c: find From, Date and Message-ID in a message's header
 * section, and take the addresses out of an RFC 5322 address-list.
 *
 * The address walk exists to stop From spoofing on submission, so when in
 * doubt it refuses (-1) rather than guesses: whatever a mail reader might
 * show as a sender must either be an address we extracted and checked, or
 * make the value invalid. It is no general RFC 5322 parser: it does not
 * decode encoded words (RFC 2047) or check domain syntax beyond the '@';
 * the store decides whether an address exists.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "smtp_header.h"

/* ------------------------------------------------------------ the scan */

/* RFC 5322 3.6.8: ftext = %d33-57 / %d59-126 */
static int
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

static int
name_is(const char *name, size_t n, const char *want)
{
	return n == strlen(want) && strncasecmp(name, want, n) == 0;
}

void
smtp_header_scan(const char *msg, size_t len, struct smtp_header_scan *r)
{
	size_t	 pos = 0, next, end, n, colon;
	int	 from = -1;	/* the From field being continued, if any */

	memset(r, 0, sizeof(*r));
	while (pos < len) {
		const char *nl = memchr(msg + pos, '\n', len - pos);

		end = nl != NULL ? (size_t)(nl - msg) : len;
		next = nl != NULL ? end + 1 : len;
		if (end > pos && msg[end - 1] == '\r')
			end--;
		if (end == pos)
			return;				/* the empty line */
		if (msg[pos] == ' ' || msg[pos] == '\t') {
			if (!r->has_header)
				return;			/* body text, not a header */
			if (from >= 0)
				r->from_len[from] = end - r->from_off[from];
			pos = next;
			continue;
		}
		for (n = 0; pos + n < end && is_ftext((unsigned char)msg[pos + n]); n++)
			;
		/* obs-optional: WSP before the colon (RFC 5322 4.5.8) */
		for (colon = pos + n; colon < end && (msg[colon] == ' ' || msg[colon] == '\t'); colon++)
			;
		if (n == 0 || colon >= end || msg[colon] != ':')
			return;				/* not a field: the body starts */
		r->has_header = 1;
		from = -1;
		if (name_is(msg + pos, n, "From")) {
			if (r->n_from < SMTP_HEADER_FROM_MAX) {
				from = r->n_from;
				r->from_off[from] = colon + 1;
				r->from_len[from] = end - (colon + 1);
			}
			r->n_from++;
		} else if (name_is(msg + pos, n, "Date"))
			r->has_date = 1;
		else if (name_is(msg + pos, n, "Message-ID"))
			r->has_message_id = 1;
		pos = next;
	}
}

/* ---------------------------------------------------------- the lexer */

enum tok {
	TOK_END = 0,
	TOK_WORD,	/* atom, quoted-string or domain-literal */
	TOK_SPECIAL,	/* one of < > @ , : ; . */
	TOK_ERROR
};

struct lexer {
	const char	*p, *end;
};

/* RFC 5322 3.2.3 atext, plus UTF-8 (RFC 6532). */
static int
is_atext(unsigned char c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Skip whitespace (folding included) and comments; -1 on a bad comment. */
static int
skip_cfws(struct lexer *lx)
{
	int	 depth;

	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' ||
		    *lx->p == '\r' || *lx->p == '\n'))
			lx->p++;
		if (lx->p == lx->end || *lx->p != '(')
			return 0;
		for (depth = 0; lx->p < lx->end; lx->p++) {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;	/* quoted-pair */
			else if (*lx->p == '\0')
				return -1;
			else if (*lx->p == '(')
				depth++;
			else if (*lx->p == ')' && --depth == 0)
				break;
		}
		if (lx->p == lx->end)
			return -1;		/* unterminated comment */
		lx->p++;
	}
}

/* RFC 5322 3.2.4: no NUL or control bytes in quotes; folding is fine. */
static int
is_bad_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

/* Scan a quoted-string or domain-literal ending in close; -1 if open. */
static int
scan_quoted(struct lexer *lx, char close)
{
	for (lx->p++; lx->p < lx->end; lx->p++) {
		if (is_bad_ctl((unsigned char)*lx->p))
			return -1;
		if (*lx->p == '\\' && lx->p + 1 < lx->end) {
			if (is_bad_ctl((unsigned char)lx->p[1]))
				return -1;
			lx->p++;
		}
		else if (*lx->p == close) {
			lx->p++;
			return 0;
		} else if (close == ']' && *lx->p == '[')
			return -1;
	}
	return -1;
}

static enum tok
lex(struct lexer *lx, const char **tok_r, size_t *len_r)
{
	const char	*start;

	if (skip_cfws(lx) < 0)
		return TOK_ERROR;
	start = *tok_r = lx->p;
	*len_r = 0;
	if (lx->p == lx->end)
		return TOK_END;
	if (*lx->p == '"' || *lx->p == '[') {
		if (scan_quoted(lx, *lx->p == '"' ? '"' : ']') < 0)
			return TOK_ERROR;
	} else if (*lx->p != '\0' && strchr("<>@,:;.", *lx->p) != NULL) {
		lx->p++;
		*len_r = 1;
		return TOK_SPECIAL;
	} else {
		while (lx->p < lx->end && is_atext((unsigned char)*lx->p))
			lx->p++;
		if (lx->p == start)
			return TOK_ERROR;	/* ')', '\', ']', a control byte */
	}
	*len_r = (size_t)(lx->p - start);
	return TOK_WORD;
}

/* --------------------------------------------------------- the walk */

/* One mailbox being collected: words before '<' and inside "<...>". */
struct mailbox {
	char	 plain[512];	/* tokens outside <>: the addr-spec or a display name */
	size_t	 plen;
	int	 plain_long;	/* plain overflowed (fine for a display name) */
	char	 angle[512];
	size_t	 alen;
	int	 phase;		/* 0 before '<', 1 inside, 2 after '>' */
	int	 route;		/* inside <>: an obs-route ("@a,@b:") is open */
	int	 last_word;	/* the previous token outside <> was a word */
	int	 phrase;	/* two words in a row: a display name, needs <> */
};

static void
mb_append(char *buf, size_t size, size_t *len, int *overflow, const char *p, size_t n)
{
	if (*len + n >= size) {
		*overflow = 1;
		return;
	}
	memcpy(buf + *len, p, n);
	*len += n;
	buf[*len] = '\0';
}

/*
 * local "@" domain with one '@' outside quotes and literals, both sides
 * set, and no control bytes (a folded quoted local part is no mailbox).
 */
static int
addr_valid(const char *a, size_t len)
{
	size_t	 i, at = 0, ats = 0;
	int	 quoted = 0, literal = 0;

	for (i = 0; i < len; i++)
		if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			return 0;
	for (i = 0; i < len; i++) {
		if ((quoted || literal) && a[i] == '\\')
			i++;
		else if (a[i] == '"' && !literal)
			quoted = !quoted;
		else if (a[i] == '[' && !quoted)
			literal = 1;
		else if (a[i] == ']' && !quoted)
			literal = 0;
		else if (a[i] == '@' && !quoted && !literal) {
			ats++;
			at = i;
		}
	}
	return ats == 1 && at > 0 && at + 1 < len;
}

/*
 * The collected mailbox is complete: check it and hand it to cb. Returns 0
 * (also for an empty element, RFC 5322 4.4 obs-mbox-list), 1 when an
 * address was passed on, -1 on error, or cb's stop value + 1.
 */
static int
mb_finish(struct mailbox *mb, size_t addrsize,
    int (*cb)(void *, const char *), void *arg)
{
	const char	*addr;
	size_t		 len;
	int		 overflow = 0, rc;

	if (mb->phase == 1)
		return -1;			/* "<" never closed */
	if (mb->phase == 2) {
		addr = mb->angle;
		len = mb->alen;
	} else {
		if (mb->plen == 0)
			return 0;
		if (mb->phrase)
			return -1;		/* "Name a@b" or "a@b c@d" */
		addr = mb->plain;
		len = mb->plen;
		overflow = mb->plain_long;
	}
	if (overflow || len >= addrsize || !addr_valid(addr, len))
		return -1;
	rc = cb(arg, addr);
	memset(mb, 0, sizeof(*mb));
	return rc > 0 ? rc + 1 : 1;
}

int
smtp_header_addresses(const char *value, size_t len, size_t addrsize,
    int (*cb)(void *arg, const char *addr), void *arg)
{
	struct lexer	 lx = { value, value + len };
	struct mailbox	 mb;
	const char	*tok;
	size_t		 n;
	enum tok	 t;
	int		 in_group = 0, count = 0, rc, over;

	memset(&mb, 0, sizeof(mb));
	for (;;) {
		t = lex(&lx, &tok, &n);
		if (t == TOK_ERROR)
			return -1;
		if (t == TOK_END || (t == TOK_SPECIAL && mb.phase != 1 &&
		    (*tok == ',' || *tok == ';'))) {
			if ((rc = mb_finish(&mb, addrsize, cb, arg)) < 0)
				return -1;
			if (rc > 1)
				return rc - 1;		/* cb stopped the walk */
			count += rc;
			if (t == TOK_END)
				return in_group ? -1 : count;
			if (*tok == ';') {
				if (!in_group)
					return -1;
				in_group = 0;
			}
			continue;
		}
		if (mb.phase == 2)
			return -1;			/* text after "<...>" */
		if (mb.phase == 1) {
			/* Inside <>: addr-spec, perhaps behind an obs-route. */
			if (t == TOK_SPECIAL && *tok == '>') {
				if (mb.route || mb.alen == 0)
					return -1;
				mb.phase = 2;
			} else if (t == TOK_SPECIAL && *tok == '<')
				return -1;
			else if (t == TOK_SPECIAL && *tok == ',')
				mb.route = 1;
			else if (t == TOK_SPECIAL && *tok == ':') {
				mb.alen = 0;		/* drop "@a,@b:" */
				mb.angle[0] = '\0';
				mb.route = 0;
			} else {
				over = 0;
				mb_append(mb.angle, sizeof(mb.angle), &mb.alen, &over, tok, n);
				if (over)
					return -1;
			}
			continue;
		}
		/* Before any '<': a display name or a bare addr-spec. */
		if (t == TOK_SPECIAL && *tok == '<')
			mb.phase = 1;
		else if (t == TOK_SPECIAL && *tok == '>')
			return -1;
		else if (t == TOK_SPECIAL && *tok == ':') {
			/* group = display-name ":" [group-list] ";" */
			if (in_group)
				return -1;
			in_group = 1;
			memset(&mb, 0, sizeof(mb));
		} else {
			if (t == TOK_WORD && mb.last_word)
				mb.phrase = 1;
			mb.last_word = t == TOK_WORD;
			mb_append(mb.plain, sizeof(mb.plain), &mb.plen,
			    &mb.plain_long, tok, n);
		}
	}
}
