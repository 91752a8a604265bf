/*
 * imap_fetch_parse.c: FETCH's data items and modifiers -> a request.
 *
 * Grammar: RFC 3501 section 9 "fetch-att" and "section", RFC 9051 (the
 * 64-bit partial), RFC 3516 (BINARY, BINARY.PEEK, BINARY.SIZE), RFC 7162
 * (MODSEQ, CHANGEDSINCE, VANISHED), plus RFC822.PEEK, which Outlook sends
 * though no RFC defines it (go-imap#658). The core parser hands a
 * bracketed item to us as one atom, spaces and all; the section and the
 * HEADER.FIELDS list are parsed here. Field names are echoed upper-cased
 * as Dovecot does (Thunderbird asks in mixed case and accepts that).
 * It does not look at messages; imap_fetch_body.c does.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_fetch.h"
#include "mime.h"
#include "util.h"

static int	 fetch_fail(char *err, size_t errlen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 fetch_parse_section(const char *s, size_t len, int binary,
		    struct imap_fetch_item *it, char *err, size_t errlen);
static int	 fetch_parse_fields(const char *s, size_t len,
		    struct imap_fetch_item *it, char *err, size_t errlen);
static int	 fetch_parse_partial(const char *s, size_t len,
		    struct imap_fetch_item *it, char *err, size_t errlen);
static int	 fetch_parse_number(const char *s, size_t len, size_t *pos,
		    uint64_t max, uint64_t *v_r);
static void	 fetch_build_name(struct imap_fetch_item *it, const char *prefix);
static int	 fetch_add_item(struct imap_fetch_request *req,
		    const char *s, size_t len, char *err, size_t errlen);
static int	 fetch_add_macro(struct imap_fetch_request *req, const char *name);
static void	 fetch_add_simple(struct imap_fetch_request *req,
		    enum imap_fetch_type type);
static int	 fetch_parse_modifiers(const struct imap_arg *m,
		    struct imap_fetch_request *req, char *err, size_t errlen);
static void	 fetch_summarize(struct imap_fetch_request *req);

struct fetch_simple {
	const char		*name;
	enum imap_fetch_type	 type;
};

static const struct fetch_simple fetch_simple_items[] = {
	{ "UID", IMAP_FETCH_UID },
	{ "FLAGS", IMAP_FETCH_FLAGS },
	{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE },
	{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE },
	{ "ENVELOPE", IMAP_FETCH_ENVELOPE },
	{ "BODY", IMAP_FETCH_BODY },
	{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE },
	{ "MODSEQ", IMAP_FETCH_MODSEQ },
};

static int
fetch_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A decimal number at s[*pos] no larger than max. */
static int
fetch_parse_number(const char *s, size_t len, size_t *pos, uint64_t max,
    uint64_t *v_r)
{
	uint64_t v = 0;
	size_t i = *pos;

	if (i >= len || !isdigit((unsigned char)s[i]))
		return -1;
	for (; i < len && isdigit((unsigned char)s[i]); i++) {
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*pos = i;
	*v_r = v;
	return 0;
}

/*
 * header-list = "(" header-fld-name *(SP header-fld-name) ")", names are
 * astrings: atoms or quoted strings (a literal cannot be inside an atom).
 */
static int
fetch_parse_fields(const char *s, size_t len, struct imap_fetch_item *it,
    char *err, size_t errlen)
{
	size_t i = 0;
	char name[256];

	if (len < 2 || s[0] != '(' || s[len - 1] != ')')
		return fetch_fail(err, errlen, "Invalid header field list");
	i = 1;
	len--;			/* the closing ')' */
	while (i < len) {
		size_t n = 0;

		if (it->n_fields >= IMAP_FETCH_FIELDS_MAX)
			return fetch_fail(err, errlen, "Too many header fields");
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				if (n + 1 >= sizeof(name))
					return fetch_fail(err, errlen, "Header field name too long");
				name[n++] = s[i];
			}
			if (i >= len)
				return fetch_fail(err, errlen, "Unterminated quoted field name");
			i++;
		} else {
			for (; i < len && s[i] != ' '; i++) {
				if (n + 1 >= sizeof(name))
					return fetch_fail(err, errlen, "Header field name too long");
				name[n++] = s[i];
			}
		}
		name[n] = '\0';
		/* RFC 5322 2.2: printable US-ASCII except ':' */
		if (n == 0)
			return fetch_fail(err, errlen, "Empty header field name");
		for (size_t j = 0; j < n; j++) {
			unsigned char ch = (unsigned char)name[j];

			if (ch <= 0x20 || ch >= 0x7f || ch == ':' || ch == '(' ||
			    ch == ')' || ch == '"')
				return fetch_fail(err, errlen, "Invalid header field name");
			name[j] = (char)toupper(ch);
		}
		it->fields = xreallocarray(it->fields, it->n_fields + 1,
		    sizeof(*it->fields));
		it->fields[it->n_fields++] = xstrdup(name);
		if (i < len) {
			if (s[i] != ' ' || i + 1 >= len || s[i + 1] == ' ')
				return fetch_fail(err, errlen, "Invalid header field list");
			i++;
		}
	}
	if (it->n_fields == 0)
		return fetch_fail(err, errlen, "Empty header field list");
	return 0;
}

/*
 * section-spec = section-msgtext / (section-part ["." section-text]);
 * s is the text between '[' and ']'. BINARY takes only section-part.
 */
static int
fetch_parse_section(const char *s, size_t len, int binary,
    struct imap_fetch_item *it, char *err, size_t errlen)
{
	size_t i = 0, plen, tlen;
	const char *text, *sp;

	/* section-part = nz-number *("." nz-number) */
	while (i < len && isdigit((unsigned char)s[i])) {
		uint64_t v;

		if (s[i] == '0')
			return fetch_fail(err, errlen, "Invalid section part number");
		if (fetch_parse_number(s, len, &i, UINT32_MAX, &v) < 0)
			return fetch_fail(err, errlen, "Invalid section part number");
		if (i < len && s[i] == '.' && i + 1 < len &&
		    isdigit((unsigned char)s[i + 1]))
			i++;
		else
			break;
	}
	plen = i;
	if (plen >= sizeof(it->part))
		return fetch_fail(err, errlen, "Section too long");
	memcpy(it->part, s, plen);
	it->part[plen] = '\0';
	if (plen > 0 && i < len) {
		/* "1.2." would name nothing: the dot needs a section-text */
		if (s[i] != '.' || i + 1 == len)
			return fetch_fail(err, errlen, "Invalid section");
		i++;
	}
	text = s + i;
	tlen = len - i;
	it->section = IMAP_SECTION_ALL;
	if (binary) {
		if (tlen != 0)
			return fetch_fail(err, errlen, "Invalid BINARY section");
	} else if (tlen == 0) {
		/* [] or [1.2]: the whole message or part */
	} else if (tlen == 6 && strncasecmp(text, "HEADER", 6) == 0) {
		it->section = IMAP_SECTION_HEADER;
	} else if (tlen == 4 && strncasecmp(text, "TEXT", 4) == 0) {
		it->section = IMAP_SECTION_TEXT;
	} else if (tlen == 4 && strncasecmp(text, "MIME", 4) == 0) {
		if (plen == 0)
			return fetch_fail(err, errlen, "MIME needs a part number");
		it->section = IMAP_SECTION_MIME;
	} else if ((sp = memchr(text, ' ', tlen)) != NULL &&
	    (((size_t)(sp - text) == 13 && strncasecmp(text, "HEADER.FIELDS", 13) == 0) ||
	    ((size_t)(sp - text) == 17 && strncasecmp(text, "HEADER.FIELDS.NOT", 17) == 0))) {
		it->section = sp - text == 13 ? IMAP_SECTION_HEADER_FIELDS :
		    IMAP_SECTION_HEADER_FIELDS_NOT;
		if (fetch_parse_fields(sp + 1, tlen - (size_t)(sp + 1 - text),
		    it, err, errlen) < 0)
			return -1;
	} else
		return fetch_fail(err, errlen, "Invalid section");

	/* The spec for mime_section_find: part numbers and the text keyword. */
	{
		static const char *const names[] = {
			"", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT",
			"TEXT", "MIME"
		};
		const char *kw = names[it->section];

		if (str_format(it->spec, sizeof(it->spec), "%s%s%s", it->part,
		    plen > 0 && *kw != '\0' ? "." : "", kw) < 0)
			return fetch_fail(err, errlen, "Section too long");
	}
	return 0;
}

/* partial = "<" number64 "." nz-number64 ">" (RFC 9051). */
static int
fetch_parse_partial(const char *s, size_t len, struct imap_fetch_item *it,
    char *err, size_t errlen)
{
	size_t i = 1;

	if (len < 5 || s[0] != '<' || s[len - 1] != '>')
		return fetch_fail(err, errlen, "Invalid partial");
	if (fetch_parse_number(s, len - 1, &i, INT64_MAX, &it->offset) < 0 ||
	    i >= len - 1 || s[i] != '.')
		return fetch_fail(err, errlen, "Invalid partial offset");
	i++;
	if (fetch_parse_number(s, len - 1, &i, INT64_MAX, &it->count) < 0 ||
	    i != len - 1 || it->count == 0)
		return fetch_fail(err, errlen, "Invalid partial length");
	it->partial = 1;
	return 0;
}

/* "BODY[" section "]" as the response names it (fields upper-cased). */
static void
fetch_build_name(struct imap_fetch_item *it, const char *prefix)
{
	struct mime_buf b;
	size_t i;

	mime_buf_init(&b);
	mime_buf_adds(&b, prefix);
	mime_buf_addc(&b, '[');
	mime_buf_adds(&b, it->spec);
	if (it->n_fields > 0) {
		mime_buf_adds(&b, " (");
		for (i = 0; i < it->n_fields; i++) {
			if (i > 0)
				mime_buf_addc(&b, ' ');
			mime_buf_adds(&b, it->fields[i]);
		}
		mime_buf_addc(&b, ')');
	}
	mime_buf_addc(&b, ']');
	it->name = mime_buf_steal(&b);
}

int
imap_fetch_parse_item(const char *s, size_t len, struct imap_fetch_item *it,
    char *err, size_t errlen)
{
	static const struct {
		const char		*word;
		enum imap_fetch_type	 type;
		int			 peek;
		const char		*prefix;
	} bracketed[] = {
		{ "BODY", IMAP_FETCH_SECTION, 0, "BODY" },
		{ "BODY.PEEK", IMAP_FETCH_SECTION, 1, "BODY" },
		{ "BINARY", IMAP_FETCH_BINARY, 0, "BINARY" },
		{ "BINARY.PEEK", IMAP_FETCH_BINARY, 1, "BINARY" },
		{ "BINARY.SIZE", IMAP_FETCH_BINARY_SIZE, 1, "BINARY.SIZE" },
	};
	const char *lb, *rb;
	size_t i, wlen;

	memset(it, 0, sizeof(*it));
	for (i = 0; i < sizeof(fetch_simple_items) / sizeof(fetch_simple_items[0]); i++)
		if (strlen(fetch_simple_items[i].name) == len &&
		    strncasecmp(s, fetch_simple_items[i].name, len) == 0) {
			it->type = fetch_simple_items[i].type;
			it->peek = 1;
			return 0;
		}
	/* RFC822* (RFC 3501 6.4.5): equivalents of BODY[...] with their own names */
	if ((len == 6 && strncasecmp(s, "RFC822", 6) == 0) ||
	    (len == 11 && strncasecmp(s, "RFC822.PEEK", 11) == 0)) {
		it->type = IMAP_FETCH_SECTION;
		it->peek = len == 11;
		it->name = xstrdup("RFC822");
		return 0;
	}
	if (len == 13 && strncasecmp(s, "RFC822.HEADER", 13) == 0) {
		it->type = IMAP_FETCH_SECTION;
		it->peek = 1;
		it->section = IMAP_SECTION_HEADER;
		(void)str_copy(it->spec, "HEADER", sizeof(it->spec));
		it->name = xstrdup("RFC822.HEADER");
		return 0;
	}
	if (len == 11 && strncasecmp(s, "RFC822.TEXT", 11) == 0) {
		it->type = IMAP_FETCH_SECTION;
		it->section = IMAP_SECTION_TEXT;
		(void)str_copy(it->spec, "TEXT", sizeof(it->spec));
		it->name = xstrdup("RFC822.TEXT");
		return 0;
	}
	if ((lb = memchr(s, '[', len)) == NULL)
		return fetch_fail(err, errlen, "Unknown FETCH item %.*s",
		    (int)(len > 40 ? 40 : len), s);
	wlen = (size_t)(lb - s);
	for (i = 0; i < sizeof(bracketed) / sizeof(bracketed[0]); i++)
		if (strlen(bracketed[i].word) == wlen &&
		    strncasecmp(s, bracketed[i].word, wlen) == 0)
			break;
	if (i == sizeof(bracketed) / sizeof(bracketed[0]))
		return fetch_fail(err, errlen, "Unknown FETCH item %.*s",
		    (int)(wlen > 40 ? 40 : wlen), s);
	it->type = bracketed[i].type;
	it->peek = bracketed[i].peek;
	/* The section ends at the last ']' (quoted field names may hold one). */
	for (rb = s + len - 1; rb > lb && *rb != ']'; rb--)
		;
	if (rb == lb)
		return fetch_fail(err, errlen, "Missing ']' in FETCH item");
	if (fetch_parse_section(lb + 1, (size_t)(rb - lb - 1),
	    it->type != IMAP_FETCH_SECTION, it, err, errlen) < 0)
		goto fail;
	if (rb + 1 < s + len) {
		if (it->type == IMAP_FETCH_BINARY_SIZE) {
			fetch_fail(err, errlen, "BINARY.SIZE takes no partial");
			goto fail;
		}
		if (fetch_parse_partial(rb + 1, (size_t)(s + len - rb - 1), it,
		    err, errlen) < 0)
			goto fail;
	}
	fetch_build_name(it, bracketed[i].prefix);
	return 0;
fail:
	imap_fetch_item_free(it);
	return -1;
}

void
imap_fetch_item_free(struct imap_fetch_item *it)
{
	size_t i;

	for (i = 0; i < it->n_fields; i++)
		free(it->fields[i]);
	free(it->fields);
	free(it->name);
	memset(it, 0, sizeof(*it));
}

static void
fetch_add_simple(struct imap_fetch_request *req, enum imap_fetch_type type)
{
	req->items = xreallocarray(req->items, req->n + 1, sizeof(*req->items));
	memset(&req->items[req->n], 0, sizeof(req->items[req->n]));
	req->items[req->n].type = type;
	req->items[req->n].peek = 1;
	req->n++;
}

/* RFC 3501 6.4.5 macros; they may not be combined with other items. */
static int
fetch_add_macro(struct imap_fetch_request *req, const char *name)
{
	if (strcasecmp(name, "ALL") != 0 && strcasecmp(name, "FAST") != 0 &&
	    strcasecmp(name, "FULL") != 0)
		return 0;
	fetch_add_simple(req, IMAP_FETCH_FLAGS);
	fetch_add_simple(req, IMAP_FETCH_INTERNALDATE);
	fetch_add_simple(req, IMAP_FETCH_RFC822_SIZE);
	if (strcasecmp(name, "FAST") != 0)
		fetch_add_simple(req, IMAP_FETCH_ENVELOPE);
	if (strcasecmp(name, "FULL") == 0)
		fetch_add_simple(req, IMAP_FETCH_BODY);
	return 1;
}

static int
fetch_add_item(struct imap_fetch_request *req, const char *s, size_t len,
    char *err, size_t errlen)
{
	struct imap_fetch_item it;

	if (req->n >= IMAP_FETCH_ITEMS_MAX)
		return fetch_fail(err, errlen, "Too many FETCH items");
	if (imap_fetch_parse_item(s, len, &it, err, errlen) < 0)
		return -1;
	req->items = xreallocarray(req->items, req->n + 1, sizeof(*req->items));
	req->items[req->n++] = it;
	return 0;
}

/* fetch-modifiers (RFC 4466 2.4, RFC 7162 3.1.4.1 and 3.2.6). */
static int
fetch_parse_modifiers(const struct imap_arg *m, struct imap_fetch_request *req,
    char *err, size_t errlen)
{
	size_t i;

	if (m->type != IMAP_ARG_LIST || m->list_n == 0)
		return fetch_fail(err, errlen, "Invalid FETCH modifiers");
	for (i = 0; i < m->list_n; i++) {
		if (imap_arg_atom_is(&m->list[i], "CHANGEDSINCE")) {
			if (req->changedsince_given || i + 1 >= m->list_n ||
			    !imap_arg_number(&m->list[i + 1], INT64_MAX,
			    &req->changedsince))
				return fetch_fail(err, errlen, "Invalid CHANGEDSINCE");
			req->changedsince_given = 1;
			i++;
		} else if (imap_arg_atom_is(&m->list[i], "VANISHED")) {
			if (req->vanished)
				return fetch_fail(err, errlen, "VANISHED given twice");
			req->vanished = 1;
		} else
			return fetch_fail(err, errlen, "Unknown FETCH modifier");
	}
	/* RFC 7162 3.2.6: VANISHED only together with CHANGEDSINCE. */
	if (req->vanished && !req->changedsince_given)
		return fetch_fail(err, errlen, "VANISHED needs CHANGEDSINCE");
	return 0;
}

static void
fetch_summarize(struct imap_fetch_request *req)
{
	size_t i;

	for (i = 0; i < req->n; i++) {
		const struct imap_fetch_item *it = &req->items[i];

		switch (it->type) {
		case IMAP_FETCH_UID:
			req->has_uid = 1;
			break;
		case IMAP_FETCH_FLAGS:
			req->has_flags = 1;
			break;
		case IMAP_FETCH_MODSEQ:
			req->has_modseq = 1;
			break;
		case IMAP_FETCH_INTERNALDATE:
		case IMAP_FETCH_RFC822_SIZE:
			req->needs |= IMAP_FETCH_NEED_RECORD;
			break;
		case IMAP_FETCH_ENVELOPE:
		case IMAP_FETCH_BODY:
		case IMAP_FETCH_BODYSTRUCTURE:
			req->needs |= IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_CACHE;
			break;
		case IMAP_FETCH_SECTION:
		case IMAP_FETCH_BINARY:
		case IMAP_FETCH_BINARY_SIZE:
			req->needs |= IMAP_FETCH_NEED_RECORD | IMAP_FETCH_NEED_BLOB;
			/* BODY[] needs no structure; everything else does. */
			if (it->spec[0] != '\0' || it->type != IMAP_FETCH_SECTION)
				req->needs |= IMAP_FETCH_NEED_CACHE;
			if (!it->peek)
				req->sets_seen = 1;
			break;
		}
	}
	/* RFC 7162 3.1.4.1: CHANGEDSINCE implies MODSEQ in the response. */
	if (req->changedsince_given && !req->has_modseq) {
		fetch_add_simple(req, IMAP_FETCH_MODSEQ);
		req->has_modseq = 1;
	}
}

int
imap_fetch_parse(const struct imap_arg *items, const struct imap_arg *modifiers,
    struct imap_fetch_request *req, char *err, size_t errlen)
{
	size_t i;

	memset(req, 0, sizeof(*req));
	if (items->type == IMAP_ARG_ATOM) {
		if (!fetch_add_macro(req, items->str) &&
		    fetch_add_item(req, items->str, items->len, err, errlen) < 0)
			goto fail;
	} else if (items->type == IMAP_ARG_LIST && items->list_n > 0) {
		for (i = 0; i < items->list_n; i++) {
			const struct imap_arg *a = &items->list[i];

			if (a->type != IMAP_ARG_ATOM) {
				fetch_fail(err, errlen, "Invalid FETCH item");
				goto fail;
			}
			if (fetch_add_item(req, a->str, a->len, err, errlen) < 0)
				goto fail;
		}
	} else {
		fetch_fail(err, errlen, "Invalid FETCH items");
		goto fail;
	}
	if (modifiers != NULL &&
	    fetch_parse_modifiers(modifiers, req, err, errlen) < 0)
		goto fail;
	fetch_summarize(req);
	return 0;
fail:
	imap_fetch_request_free(req);
	return -1;
}

void
imap_fetch_request_free(struct imap_fetch_request *req)
{
	size_t i;

	for (i = 0; i < req->n; i++)
		imap_fetch_item_free(&req->items[i]);
	free(req->items);
	memset(req, 0, sizeof(*req));
}

void
imap_fetch_partial(const struct imap_fetch_item *it, size_t len,
    size_t *off_r, size_t *len_r)
{
	*off_r = 0;
	*len_r = len;
	if (!it->partial)
		return;
	if (it->offset >= len) {
		*off_r = len;
		*len_r = 0;
		return;
	}
	*off_r = (size_t)it->offset;
	*len_r = len - *off_r;
	if (it->count < *len_r)
		*len_r = (size_t)it->count;
}
