/*
 * mime_lex.c: RFC 5322 3.2 / RFC 2045 5.1 lexical tokens (CFWS, atoms,
 * MIME tokens, quoted strings, domain literals) over a bounded span.
 *
 * Knows no grammar above the token: mime_param.c and mime_address.c build
 * on it. Every loop advances toward l->end; comment nesting is a counter,
 * not recursion. 8-bit bytes are accepted inside atoms and tokens
 * (RFC 6532 mail) rather than ending them.
 */
#include <string.h>

#include "mime.h"
#include "mime_internal.h"

void
mime_lex_init(struct mime_lex *l, const char *s, size_t len)
{
	l->p = s;
	l->end = s + len;
}

int
mime_lex_eof(const struct mime_lex *l)
{
	return l->p >= l->end;
}

static int
lex_is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip one comment starting at '(' (RFC 5322 3.2.2), nesting counted. */
static void
lex_comment(struct mime_lex *l, struct mime_buf *comment)
{
	unsigned int depth = 0;

	if (comment != NULL)
		comment->len = 0;
	while (l->p < l->end) {
		char c = *l->p++;

		if (c == '\\' && l->p < l->end) {
			if (comment != NULL && depth == 1)
				mime_buf_addc(comment, *l->p);
			l->p++;
			continue;
		}
		if (c == '(') {
			if (depth++ == 0)
				continue;
		} else if (c == ')') {
			if (--depth == 0)
				break;
		}
		if (comment != NULL && depth >= 1 && c != '\r' && c != '\n')
			mime_buf_addc(comment, c);
	}
	if (comment != NULL && comment->data != NULL)
		comment->data[comment->len] = '\0';
}

void
mime_lex_skip_cfws(struct mime_lex *l, struct mime_buf *comment)
{
	while (l->p < l->end) {
		if (lex_is_wsp(*l->p))
			l->p++;
		else if (*l->p == '(')
			lex_comment(l, comment);
		else
			break;
	}
}

/* RFC 5322 3.2.3 atext, plus 8-bit. */
static int
lex_is_atext(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* RFC 2045 5.1 token: CHAR except SPACE, CTLs and tspecials. */
static int
lex_is_token(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if (c <= 0x20 || c == 0x7f)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int
mime_lex_token(struct mime_lex *l, struct mime_buf *out)
{
	const char *start = l->p;

	while (l->p < l->end && lex_is_token((unsigned char)*l->p))
		l->p++;
	if (l->p == start)
		return 0;
	mime_buf_add(out, start, (size_t)(l->p - start));
	return 1;
}

int
mime_lex_atom(struct mime_lex *l, struct mime_buf *out, int dots)
{
	const char *start = l->p;

	while (l->p < l->end && (lex_is_atext((unsigned char)*l->p) ||
	    (dots && *l->p == '.')))
		l->p++;
	if (l->p == start)
		return 0;
	mime_buf_add(out, start, (size_t)(l->p - start));
	return 1;
}

int
mime_lex_quoted(struct mime_lex *l, struct mime_buf *out)
{
	if (l->p >= l->end || *l->p != '"')
		return 0;
	l->p++;
	/* make sure out->data exists even for "" */
	mime_buf_add(out, "", 0);
	while (l->p < l->end) {
		char c = *l->p++;

		if (c == '"')
			return 1;
		if (c == '\\' && l->p < l->end)
			c = *l->p++;
		else if (c == '\r' || c == '\n')
			continue;	/* folding inside quotes: unfold */
		mime_buf_addc(out, c);
	}
	return 1;		/* unterminated: take what there is */
}

int
mime_lex_domain_literal(struct mime_lex *l, struct mime_buf *out)
{
	if (l->p >= l->end || *l->p != '[')
		return 0;
	while (l->p < l->end) {
		char c = *l->p++;

		if (c == '\\' && l->p < l->end)
			c = *l->p++;
		else if (c == '\r' || c == '\n')
			continue;
		mime_buf_addc(out, c);
		if (c == ']')
			break;
	}
	return 1;
}
