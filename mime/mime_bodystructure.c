/*
 * mime_bodystructure.c: FETCH BODY and BODYSTRUCTURE (RFC 3501 7.4.2,
 * RFC 9051 7.5.2) from a part tree, rendered the way Dovecot does:
 * type strings as written, ("charset" "us-ascii") for text without a
 * charset, "7bit" when no encoding is given, complete extension data,
 * one empty text/plain body inside a multipart that has no parts.
 *
 * Recursion follows the tree, so it is bounded by MIME_MAX_DEPTH.
 * Does not parse (mime_parse.c) and does not decode anything.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

#define EMPTY_BODY \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)"

static void	 append_part(struct mime_buf *, const struct mime_part *,
		    const char *, int);

static void
append_params(struct mime_buf *b, const struct mime_param *params,
    unsigned int n, int default_charset)
{
	unsigned int i;
	int charset = 0;

	if (n == 0 && !default_charset) {
		mime_buf_adds(b, "NIL");
		return;
	}
	mime_buf_addc(b, '(');
	for (i = 0; i < n; i++) {
		if (i > 0)
			mime_buf_addc(b, ' ');
		mime_imap_nstr(b, params[i].name);
		mime_buf_addc(b, ' ');
		mime_imap_nstr(b, params[i].value);
		if (mime_strcaseeq(params[i].name, "charset"))
			charset = 1;
	}
	if (default_charset && !charset) {
		if (n > 0)
			mime_buf_addc(b, ' ');
		mime_buf_adds(b, "\"charset\" \"us-ascii\"");
	}
	mime_buf_addc(b, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void
append_dsp_lang_loc(struct mime_buf *b, const struct mime_part *p)
{
	unsigned int i;

	mime_buf_addc(b, ' ');
	if (p->disposition == NULL)
		mime_buf_adds(b, "NIL");
	else {
		mime_buf_addc(b, '(');
		mime_imap_nstr(b, p->disposition);
		mime_buf_addc(b, ' ');
		append_params(b, p->disp_params, p->ndisp_params, 0);
		mime_buf_addc(b, ')');
	}
	mime_buf_addc(b, ' ');
	if (p->nlanguages == 0)
		mime_buf_adds(b, "NIL");
	else {
		mime_buf_addc(b, '(');
		for (i = 0; i < p->nlanguages; i++) {
			if (i > 0)
				mime_buf_addc(b, ' ');
			mime_imap_nstr(b, p->languages[i]);
		}
		mime_buf_addc(b, ')');
	}
	mime_buf_addc(b, ' ');
	mime_imap_nstr(b, p->location);
}

static void
append_multipart(struct mime_buf *b, const struct mime_part *p,
    const char *msg, int extended)
{
	const struct mime_part *c;

	if (p->children == NULL)
		mime_buf_adds(b, EMPTY_BODY);
	for (c = p->children; c != NULL; c = c->next)
		append_part(b, c, msg, extended);
	mime_buf_addc(b, ' ');
	mime_imap_nstr(b, p->subtype);
	if (!extended)
		return;
	mime_buf_addc(b, ' ');
	append_params(b, p->params, p->nparams, 0);
	append_dsp_lang_loc(b, p);
}

static void
append_single(struct mime_buf *b, const struct mime_part *p,
    const char *msg, int extended)
{
	int text = mime_strcaseeq(p->type, "text");

	mime_imap_nstr(b, p->type);
	mime_buf_addc(b, ' ');
	mime_imap_nstr(b, p->subtype);
	mime_buf_addc(b, ' ');
	append_params(b, p->params, p->nparams, text);
	mime_buf_addc(b, ' ');
	mime_imap_nstr(b, p->id);
	mime_buf_addc(b, ' ');
	mime_imap_nstr(b, p->description);
	mime_buf_addc(b, ' ');
	mime_imap_nstr(b, p->encoding_name != NULL ? p->encoding_name : "7bit");
	mime_buf_addf(b, " %zu", p->body_len);
	if (p->kind == MIME_KIND_MESSAGE && p->children != NULL) {
		/* RFC 3501 7.4.2: envelope, body and lines of the message */
		mime_buf_addc(b, ' ');
		mime_envelope_append(b, msg + p->children->hdr_off,
		    p->children->hdr_len);
		mime_buf_addc(b, ' ');
		append_part(b, p->children, msg, extended);
		mime_buf_addf(b, " %zu", p->body_lines);
	} else if (text)
		mime_buf_addf(b, " %zu", p->body_lines);
	if (!extended)
		return;
	mime_buf_addc(b, ' ');
	mime_imap_nstr(b, p->md5);
	append_dsp_lang_loc(b, p);
}

/*
 * A part in parentheses. The root of a message (and the encapsulated
 * message of a message/rfc822 part) is rendered in parentheses too: RFC
 * 3501's "body" production always has them.
 */
static void
append_part(struct mime_buf *b, const struct mime_part *p, const char *msg,
    int extended)
{
	mime_buf_addc(b, '(');
	if (p->kind == MIME_KIND_MULTIPART)
		append_multipart(b, p, msg, extended);
	else
		append_single(b, p, msg, extended);
	mime_buf_addc(b, ')');
}

char *
mime_bodystructure(const struct mime_part *p, const char *msg, int extended)
{
	struct mime_buf b;

	mime_buf_init(&b);
	append_part(&b, p, msg, extended);
	return mime_buf_steal(&b);
}
