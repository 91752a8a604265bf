/*
 * mime_search.c: SEARCH HEADER/FROM/SUBJECT/..., BODY and TEXT matching on
 * decoded text (RFC 3501 6.4.4): header values with RFC 2047 words
 * decoded, bodies with base64/quoted-printable removed and converted from
 * their charset to UTF-8, all case-folded (mime_fold.c) before a plain
 * substring test.
 *
 * Does not parse SEARCH programs or know about flags, dates and sizes
 * (imapd's cmd_search.c does). Non-text leaves (images, PDFs) are not
 * searched: their bytes are not text. Recursion follows the part tree
 * (bounded by MIME_MAX_DEPTH).
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

struct needle {
	char	*s;
	size_t	 len;
};

/* 1 when decoded, folded text contains the needle. */
static int
utf8_contains(const char *text, size_t len, const struct needle *n)
{
	size_t flen;
	char *f = mime_utf8_fold(text, len, &flen);
	int found = mime_folded_contains(f, flen, n->s, n->len);

	free(f);
	return found;
}

static int
field_matches(const struct mime_header_field *f, const struct needle *n,
    int with_name)
{
	char *v = mime_decode_header_value(f->value, f->value_len);
	int found;

	if (with_name) {
		struct mime_buf b;

		mime_buf_init(&b);
		mime_buf_add(&b, f->name, f->name_len);
		mime_buf_adds(&b, ": ");
		mime_buf_adds(&b, v);
		found = utf8_contains(b.data, b.len, n);
		mime_buf_free(&b);
	} else
		found = utf8_contains(v, strlen(v), n);
	free(v);
	return found;
}

/* Every field of a header block, "Name: decoded value" each. */
static int
header_block_matches(const char *hdr, size_t hdrlen, const struct needle *n)
{
	struct mime_header_iter it;
	struct mime_header_field f;

	mime_header_iter_init(&it, hdr, hdrlen);
	while (mime_header_next(&it, &f)) {
		if (field_matches(&f, n, 1))
			return 1;
	}
	return 0;
}

static int
leaf_matches(const char *msg, const struct mime_part *p,
    const struct needle *n)
{
	char *raw, *text;
	size_t rawlen, textlen;
	int found;

	if (p->kind != MIME_KIND_TEXT)
		return 0;
	if (mime_decode_part(p, msg, &raw, &rawlen) < 0) {
		/* unknown encoding: the raw bytes are the best guess */
		raw = xmalloc(p->body_len + 1);
		if (p->body_len > 0)
			memcpy(raw, msg + p->body_off, p->body_len);
		rawlen = p->body_len;
	}
	text = mime_charset_to_utf8(mime_param_get(p->params, p->nparams,
	    "charset"), raw, rawlen, &textlen);
	free(raw);
	found = utf8_contains(text, textlen, n);
	free(text);
	return found;
}

/* The body of part p: its leaves, and encapsulated messages whole. */
static int
body_matches(const char *msg, const struct mime_part *p,
    const struct needle *n, int mime_headers)
{
	const struct mime_part *c;

	switch (p->kind) {
	case MIME_KIND_MULTIPART:
		for (c = p->children; c != NULL; c = c->next) {
			if (mime_headers && header_block_matches(msg +
			    c->hdr_off, c->hdr_len, n))
				return 1;
			if (body_matches(msg, c, n, mime_headers))
				return 1;
		}
		return 0;
	case MIME_KIND_MESSAGE:
		c = p->children;
		if (c == NULL)
			return 0;
		return header_block_matches(msg + c->hdr_off, c->hdr_len, n) ||
		    body_matches(msg, c, n, mime_headers);
	default:
		return leaf_matches(msg, p, n);
	}
}

static void
needle_init(struct needle *n, const char *needle_utf8)
{
	n->s = mime_utf8_fold(needle_utf8, strlen(needle_utf8), &n->len);
}

int
mime_search_text(const char *msg, size_t len, const struct mime_part *root,
    enum mime_search_where where, const char *needle_utf8)
{
	struct needle n;
	int found = 0;

	(void)len;
	needle_init(&n, needle_utf8);
	if (n.len == 0) {
		free(n.s);
		return 1;
	}
	if (where != MIME_SEARCH_BODY)
		found = header_block_matches(msg + root->hdr_off,
		    root->hdr_len, &n);
	if (!found && where != MIME_SEARCH_HEADER)
		found = body_matches(msg, root, &n, where == MIME_SEARCH_TEXT);
	free(n.s);
	return found;
}

int
mime_search_header(const char *hdr, size_t hdrlen, const char *name,
    const char *needle_utf8)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	struct needle n;
	int found = 0;

	needle_init(&n, needle_utf8);
	mime_header_iter_init(&it, hdr, hdrlen);
	while (!found && mime_header_next(&it, &f)) {
		if (!mime_name_eq(f.name, f.name_len, name))
			continue;
		found = n.len == 0 || field_matches(&f, &n, 0);
	}
	free(n.s);
	return found;
}
