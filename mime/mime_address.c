/*
 * mime_address.c: RFC 5322 3.4 address lists (From, To, Cc, ...) into
 * (name, route, mailbox, host) entries for the IMAP ENVELOPE.
 *
 * Lenient like Dovecot: display names and comments are kept raw (RFC 2047
 * words stay encoded), "user@host (Real Name)" takes the comment as the
 * name, a missing local part or domain becomes MISSING_MAILBOX /
 * MISSING_DOMAIN (a NIL host would read as a group marker, RFC 3501
 * 7.4.2), junk is skipped up to the next comma. No recursion: groups do
 * not nest (RFC 5322 3.4).
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

struct addr_list {
	struct mime_address	*a;
	size_t			 n;
	size_t			 cap;
	size_t			 max;
};

static void
add_entry(struct addr_list *al, char *name, char *route, char *mailbox,
    char *host)
{
	if (al->n >= al->max) {
		free(name);
		free(route);
		free(mailbox);
		free(host);
		return;
	}
	if (al->n == al->cap) {
		al->cap = al->cap == 0 ? 4 : al->cap * 2;
		al->a = xreallocarray(al->a, al->cap, sizeof(*al->a));
	}
	al->a[al->n].name = name;
	al->a[al->n].route = route;
	al->a[al->n].mailbox = mailbox;
	al->a[al->n].host = host;
	al->n++;
}

/* phrase = 1*word (obs-phrase allows '.'); words joined by one space */
static int
parse_phrase(struct mime_lex *l, struct mime_buf *out)
{
	int words = 0;

	for (;;) {
		size_t before = out->len;

		mime_lex_skip_cfws(l, NULL);
		if (words > 0)
			mime_buf_addc(out, ' ');
		if (!mime_lex_eof(l) && *l->p == '"')
			(void)mime_lex_quoted(l, out);
		else if (!mime_lex_atom(l, out, 1)) {
			out->len = before;
			if (out->data != NULL)
				out->data[out->len] = '\0';
			break;
		}
		words++;
	}
	return words;
}

/* local-part = dot-atom / quoted-string / obs-local-part */
static int
parse_local(struct mime_lex *l, struct mime_buf *out)
{
	int got = 0;

	for (;;) {
		mime_lex_skip_cfws(l, NULL);
		if (!mime_lex_eof(l) && *l->p == '"')
			got |= mime_lex_quoted(l, out);
		else
			got |= mime_lex_atom(l, out, 1);
		mime_lex_skip_cfws(l, NULL);
		if (mime_lex_eof(l) || *l->p != '.')
			break;
		mime_buf_addc(out, '.');
		l->p++;
	}
	return got;
}

static void
parse_domain(struct mime_lex *l, struct mime_buf *out,
    struct mime_buf *comment)
{
	mime_lex_skip_cfws(l, comment);
	if (!mime_lex_eof(l) && *l->p == '[') {
		(void)mime_lex_domain_literal(l, out);
		mime_lex_skip_cfws(l, comment);
		return;
	}
	for (;;) {
		(void)mime_lex_atom(l, out, 1);
		mime_lex_skip_cfws(l, comment);
		if (mime_lex_eof(l) || *l->p != '.')
			break;
		mime_buf_addc(out, '.');
		l->p++;
		mime_lex_skip_cfws(l, comment);
	}
}

static char *
steal_or(struct mime_buf *b, const char *missing)
{
	if (b->len == 0) {
		mime_buf_free(b);
		return missing == NULL ? NULL : xstrdup(missing);
	}
	return mime_buf_steal(b);
}

/* obs-route "@a,@b:" inside angle brackets */
static char *
parse_route(struct mime_lex *l)
{
	struct mime_buf r;

	mime_buf_init(&r);
	while (!mime_lex_eof(l) && (*l->p == '@' || *l->p == ',')) {
		if (*l->p == ',') {
			l->p++;
			mime_lex_skip_cfws(l, NULL);
			continue;
		}
		if (r.len > 0)
			mime_buf_addc(&r, ',');
		mime_buf_addc(&r, '@');
		l->p++;
		parse_domain(l, &r, NULL);
	}
	if (!mime_lex_eof(l) && *l->p == ':')
		l->p++;
	return steal_or(&r, NULL);
}

/* "<" [route ":"] local "@" domain ">" */
static void
parse_angle(struct mime_lex *l, struct addr_list *al, char *name)
{
	struct mime_buf local, domain;
	char *route = NULL;

	mime_buf_init(&local);
	mime_buf_init(&domain);
	l->p++;
	mime_lex_skip_cfws(l, NULL);
	if (!mime_lex_eof(l) && *l->p == '@')
		route = parse_route(l);
	(void)parse_local(l, &local);
	if (!mime_lex_eof(l) && *l->p == '@') {
		l->p++;
		parse_domain(l, &domain, NULL);
	}
	while (!mime_lex_eof(l) && *l->p != '>' && *l->p != ',')
		l->p++;
	if (!mime_lex_eof(l) && *l->p == '>')
		l->p++;
	if (local.len == 0 && domain.len == 0 && route == NULL) {
		/* "<>" (a null sender): keep it visible, not as a group */
		add_entry(al, name, NULL, xstrdup(""), xstrdup(""));
		mime_buf_free(&local);
		mime_buf_free(&domain);
		return;
	}
	add_entry(al, name, route, steal_or(&local, "MISSING_MAILBOX"),
	    steal_or(&domain, "MISSING_DOMAIN"));
}

/* addr-spec with the name from a trailing comment */
static int
parse_addr_spec(struct mime_lex *l, struct addr_list *al)
{
	struct mime_buf local, domain, comment;

	mime_buf_init(&local);
	mime_buf_init(&domain);
	mime_buf_init(&comment);
	if (!parse_local(l, &local)) {
		mime_buf_free(&local);
		return 0;
	}
	if (!mime_lex_eof(l) && *l->p == '@') {
		l->p++;
		parse_domain(l, &domain, &comment);
	} else
		mime_lex_skip_cfws(l, &comment);
	add_entry(al, comment.len > 0 ? mime_buf_steal(&comment) : NULL, NULL,
	    steal_or(&local, "MISSING_MAILBOX"),
	    steal_or(&domain, "MISSING_DOMAIN"));
	mime_buf_free(&comment);
	return 1;
}

/* Skip what cannot be parsed, up to the next separator. */
static void
skip_junk(struct mime_lex *l, int in_group)
{
	struct mime_buf tmp;

	while (!mime_lex_eof(l) && *l->p != ',' && !(in_group && *l->p == ';')) {
		if (*l->p == '"') {
			mime_buf_init(&tmp);
			(void)mime_lex_quoted(l, &tmp);
			mime_buf_free(&tmp);
		} else if (*l->p == '(')
			mime_lex_skip_cfws(l, NULL);
		else
			l->p++;
	}
}

static void parse_list(struct mime_lex *, struct addr_list *, int);

static void
parse_address(struct mime_lex *l, struct addr_list *al, int in_group)
{
	const char *start = l->p;
	struct mime_buf phrase;

	mime_buf_init(&phrase);
	(void)parse_phrase(l, &phrase);
	mime_lex_skip_cfws(l, NULL);
	if (!mime_lex_eof(l) && *l->p == ':' && !in_group) {
		/* group: start marker, members, end marker (RFC 3501 7.4.2) */
		l->p++;
		add_entry(al, NULL, NULL, steal_or(&phrase, ""), NULL);
		parse_list(l, al, 1);
		if (!mime_lex_eof(l) && *l->p == ';')
			l->p++;
		add_entry(al, NULL, NULL, NULL, NULL);
		return;
	}
	if (!mime_lex_eof(l) && *l->p == '<') {
		parse_angle(l, al, steal_or(&phrase, NULL));
		return;
	}
	mime_buf_free(&phrase);
	l->p = start;
	if (!parse_addr_spec(l, al) && !mime_lex_eof(l))
		l->p++;		/* no progress otherwise */
}

static void
parse_list(struct mime_lex *l, struct addr_list *al, int in_group)
{
	for (;;) {
		const char *before;

		mime_lex_skip_cfws(l, NULL);
		if (mime_lex_eof(l) || (in_group && *l->p == ';'))
			return;
		if (*l->p == ',') {
			l->p++;
			continue;
		}
		before = l->p;
		parse_address(l, al, in_group);
		mime_lex_skip_cfws(l, NULL);
		if (l->p == before && !mime_lex_eof(l))
			l->p++;
		skip_junk(l, in_group);
	}
}

void
mime_address_parse(const char *value, size_t len, size_t max,
    struct mime_address **addrs_r, size_t *n_r)
{
	struct mime_lex l;
	struct addr_list al;

	memset(&al, 0, sizeof(al));
	al.max = max;
	mime_lex_init(&l, value, len);
	parse_list(&l, &al, 0);
	*addrs_r = al.a;
	*n_r = al.n;
}

void
mime_address_free(struct mime_address *addrs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(addrs[i].name);
		free(addrs[i].route);
		free(addrs[i].mailbox);
		free(addrs[i].host);
	}
	free(addrs);
}
