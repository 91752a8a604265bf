/*
 * mime_parse.c: builds the part tree of a message (RFC 2045, RFC 2046
 * 5.1 multipart, 5.2.1 message/rfc822) in one pass over its lines.
 *
 * One forward scan: a stack of the open multiparts' boundaries is checked
 * against every line starting with "--" (innermost first; an outer
 * boundary also closes the inner parts, RFC 2046 5.1.2), and a running
 * LF count gives every body's line count without rescanning. Recursion
 * follows the part nesting and is bounded by MIME_MAX_DEPTH; past it, or
 * past MIME_MAX_PARTS, content stays opaque leaf data.
 *
 * Does not decode anything (mime_decode.c, mime_charset.c) and does not
 * render IMAP syntax (mime_envelope.c, mime_bodystructure.c).
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

/* RFC 2046 5.1.1 allows 70; be lenient with what is out there. */
#define BOUNDARY_MAX	200

struct boundary {
	const char	*s;
	size_t		 len;
};

struct parse_ctx {
	const char	*msg;
	size_t		 len;
	size_t		 pos;		/* start of the current line */
	size_t		 lines;		/* LFs in msg[0..pos) */
	struct boundary	 stack[MIME_MAX_DEPTH + 1];
	unsigned int	 nb;
	unsigned int	 nparts;
	int		 hit;		/* stack index of the boundary at pos,
					   -1 at end of input */
	int		 hit_close;	/* it was a close-delimiter "--b--" */
};

static void	 parse_part(struct parse_ctx *, struct mime_part *,
		    int digest_child);

/* Innermost boundary the line at pos is a delimiter of, or -1. */
static int
boundary_match(struct parse_ctx *ctx, size_t linelen, int *close_r)
{
	const char *line = ctx->msg + ctx->pos;
	int i;

	if (linelen < 3 || line[0] != '-' || line[1] != '-')
		return -1;
	for (i = (int)ctx->nb - 1; i >= 0; i--) {
		const struct boundary *b = &ctx->stack[i];
		size_t k = 2 + b->len;

		if (linelen < k || memcmp(line + 2, b->s, b->len) != 0)
			continue;
		*close_r = 0;
		if (linelen >= k + 2 && line[k] == '-' && line[k + 1] == '-') {
			*close_r = 1;
			k += 2;
		}
		/* RFC 2046 5.1.1: only transport padding may follow */
		while (k < linelen && (line[k] == ' ' || line[k] == '\t' ||
		    line[k] == '\r' || line[k] == '\n'))
			k++;
		if (k == linelen)
			return i;
	}
	return -1;
}

static void
advance(struct parse_ctx *ctx, size_t linelen)
{
	ctx->pos += linelen;
	if (linelen > 0 && ctx->msg[ctx->pos - 1] == '\n')
		ctx->lines++;
}

/* Count LFs to the end of input when no boundary can stop us. */
static void
skip_to_end(struct parse_ctx *ctx)
{
	const char *p = ctx->msg + ctx->pos, *end = ctx->msg + ctx->len;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		ctx->lines++;
		p++;
	}
	ctx->pos = ctx->len;
	ctx->hit = -1;
}

/* Move line by line until a boundary line (left unconsumed) or the end. */
static void
scan_to_boundary(struct parse_ctx *ctx)
{
	const char *end = ctx->msg + ctx->len;

	if (ctx->nb == 0) {
		skip_to_end(ctx);
		return;
	}
	while (ctx->pos < ctx->len) {
		size_t linelen = mime_line_len(ctx->msg + ctx->pos, end);
		int close;
		int b = boundary_match(ctx, linelen, &close);

		if (b >= 0) {
			ctx->hit = b;
			ctx->hit_close = close;
			return;
		}
		advance(ctx, linelen);
	}
	ctx->hit = -1;
}

static int
is_blank_line(const char *p, size_t len)
{
	return (len == 1 && p[0] == '\n') ||
	    (len == 2 && p[0] == '\r' && p[1] == '\n');
}

/* Header: up to and including the blank line, or up to a boundary. */
static void
parse_header(struct parse_ctx *ctx, struct mime_part *part)
{
	const char *end = ctx->msg + ctx->len;

	part->hdr_off = ctx->pos;
	ctx->hit = -1;
	while (ctx->pos < ctx->len) {
		size_t linelen = mime_line_len(ctx->msg + ctx->pos, end);
		int close;
		int b = boundary_match(ctx, linelen, &close);

		if (b >= 0) {
			ctx->hit = b;
			ctx->hit_close = close;
			break;
		}
		advance(ctx, linelen);
		if (is_blank_line(ctx->msg + ctx->pos - linelen, linelen))
			break;
	}
	part->hdr_len = ctx->pos - part->hdr_off;
	part->body_off = ctx->pos;
}

/*
 * The body ends where scanning stopped; before a boundary line, the line
 * break preceding it belongs to the delimiter (RFC 2046 5.1.1).
 */
static void
set_body_end(struct parse_ctx *ctx, struct mime_part *part, size_t lines0)
{
	size_t end = ctx->pos, lines_end = ctx->lines;

	if (ctx->hit >= 0 && end > part->body_off &&
	    ctx->msg[end - 1] == '\n') {
		end--;
		lines_end--;
		if (end > part->body_off && ctx->msg[end - 1] == '\r')
			end--;
	}
	part->body_len = end - part->body_off;
	part->body_lines = lines_end - lines0;
}

static enum mime_encoding
encoding_of(const char *name)
{
	if (name == NULL || mime_strcaseeq(name, "7bit"))
		return MIME_ENC_7BIT;
	if (mime_strcaseeq(name, "8bit"))
		return MIME_ENC_8BIT;
	if (mime_strcaseeq(name, "binary"))
		return MIME_ENC_BINARY;
	if (mime_strcaseeq(name, "base64"))
		return MIME_ENC_BASE64;
	if (mime_strcaseeq(name, "quoted-printable"))
		return MIME_ENC_QP;
	return MIME_ENC_UNKNOWN;
}

static void
set_content_type(struct mime_part *part, const char *v, size_t len)
{
	char *type, *sub;
	struct mime_param *params;
	unsigned int n;

	if (mime_param_parse_field(v, len, 1, &type, &sub, &params, &n) < 0)
		return;
	free(part->type);
	free(part->subtype);
	part->type = type;
	part->subtype = sub;
	part->params = params;
	part->nparams = n;
	part->has_content_type = 1;
}

static void
set_encoding(struct mime_part *part, const char *v, size_t len)
{
	struct mime_lex l;
	struct mime_buf tok;

	mime_lex_init(&l, v, len);
	mime_buf_init(&tok);
	mime_lex_skip_cfws(&l, NULL);
	if (!mime_lex_token(&l, &tok))
		return;
	mime_lex_skip_cfws(&l, NULL);
	if (!mime_lex_eof(&l)) {
		/* "?invalid", "7bit foo": not a token; the default applies */
		mime_buf_free(&tok);
		return;
	}
	part->encoding_name = mime_buf_steal(&tok);
	part->encoding = encoding_of(part->encoding_name);
}

static void
set_disposition(struct mime_part *part, const char *v, size_t len)
{
	char *type;

	if (mime_param_parse_field(v, len, 0, &type, NULL, &part->disp_params,
	    &part->ndisp_params) == 0)
		part->disposition = type;
}

/* RFC 3282: Content-Language: 1#Language-tag */
static void
set_languages(struct mime_part *part, const char *v, size_t len)
{
	struct mime_lex l;
	struct mime_buf tag;

	mime_lex_init(&l, v, len);
	mime_buf_init(&tag);
	part->languages = xcalloc(MIME_MAX_PARAMS, sizeof(char *));
	for (;;) {
		mime_lex_skip_cfws(&l, NULL);
		if (!mime_lex_atom(&l, &tag, 0))
			break;
		if (part->nlanguages < MIME_MAX_PARAMS)
			part->languages[part->nlanguages++] =
			    mime_buf_steal(&tag);
		mime_buf_free(&tag);
		mime_lex_skip_cfws(&l, NULL);
		if (mime_lex_eof(&l) || *l.p != ',')
			break;
		l.p++;
	}
	if (part->nlanguages == 0) {
		free(part->languages);
		part->languages = NULL;
	}
}

static void
set_string(char **dst, const char *v, size_t len)
{
	if (*dst == NULL)
		*dst = mime_header_unfold_max(v, len, MIME_MAX_FIELD_VALUE);
}

/* The Content-* fields; the first of each kind counts. */
static void
parse_content_fields(struct parse_ctx *ctx, struct mime_part *part)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	int seen_type = 0, seen_enc = 0;

	mime_header_iter_init(&it, ctx->msg + part->hdr_off, part->hdr_len);
	while (mime_header_next(&it, &f)) {
		size_t vlen = f.value_len < MIME_MAX_FIELD_VALUE ?
		    f.value_len : MIME_MAX_FIELD_VALUE;

		if (f.name_len < 10 || !mime_name_eq(f.name, 8, "content-"))
			continue;
		if (mime_name_eq(f.name, f.name_len, "content-type")) {
			if (!seen_type++)
				set_content_type(part, f.value, vlen);
		} else if (mime_name_eq(f.name, f.name_len,
		    "content-transfer-encoding")) {
			if (!seen_enc++)
				set_encoding(part, f.value, vlen);
		} else if (mime_name_eq(f.name, f.name_len,
		    "content-disposition")) {
			if (part->disposition == NULL)
				set_disposition(part, f.value, vlen);
		} else if (mime_name_eq(f.name, f.name_len,
		    "content-language")) {
			if (part->languages == NULL)
				set_languages(part, f.value, vlen);
		} else if (mime_name_eq(f.name, f.name_len, "content-id"))
			set_string(&part->id, f.value, f.value_len);
		else if (mime_name_eq(f.name, f.name_len,
		    "content-description"))
			set_string(&part->description, f.value, f.value_len);
		else if (mime_name_eq(f.name, f.name_len, "content-location"))
			set_string(&part->location, f.value, f.value_len);
		else if (mime_name_eq(f.name, f.name_len, "content-md5"))
			set_string(&part->md5, f.value, f.value_len);
	}
}

static void
set_defaults(struct mime_part *part, int digest_child)
{
	if (part->has_content_type)
		return;
	/* RFC 2046 5.1.5: in a digest the default is message/rfc822 */
	part->type = xstrdup(digest_child ? "message" : "text");
	part->subtype = xstrdup(digest_child ? "rfc822" : "plain");
}

static enum mime_kind
kind_of(struct parse_ctx *ctx, const struct mime_part *part)
{
	const char *b;
	int room = part->depth < MIME_MAX_DEPTH &&
	    ctx->nparts < MIME_MAX_PARTS;

	if (mime_strcaseeq(part->type, "multipart")) {
		b = mime_param_get(part->params, part->nparams, "boundary");
		if (room && b != NULL && b[0] != '\0' &&
		    strlen(b) <= BOUNDARY_MAX)
			return MIME_KIND_MULTIPART;
		return MIME_KIND_BASIC;
	}
	if (mime_strcaseeq(part->type, "message") &&
	    (mime_strcaseeq(part->subtype, "rfc822") ||
	    mime_strcaseeq(part->subtype, "global")) &&
	    (part->encoding == MIME_ENC_7BIT ||
	    part->encoding == MIME_ENC_8BIT ||
	    part->encoding == MIME_ENC_BINARY))
		return room ? MIME_KIND_MESSAGE : MIME_KIND_BASIC;
	if (mime_strcaseeq(part->type, "text"))
		return MIME_KIND_TEXT;
	return MIME_KIND_BASIC;
}

static struct mime_part *
new_child(struct parse_ctx *ctx, struct mime_part *parent,
    struct mime_part **last)
{
	struct mime_part *c = xcalloc(1, sizeof(*c));

	c->parent = parent;
	c->depth = parent->depth + 1;
	if (*last == NULL)
		parent->children = c;
	else
		(*last)->next = c;
	*last = c;
	parent->nchildren++;
	ctx->nparts++;
	return c;
}

static void
parse_multipart_body(struct parse_ctx *ctx, struct mime_part *part)
{
	const char *end = ctx->msg + ctx->len;
	const char *b = mime_param_get(part->params, part->nparams,
	    "boundary");
	int mine = (int)ctx->nb, digest;
	struct mime_part *last = NULL, *child;

	digest = mime_strcaseeq(part->subtype, "digest");
	ctx->stack[ctx->nb].s = b;
	ctx->stack[ctx->nb].len = strlen(b);
	ctx->nb++;
	scan_to_boundary(ctx);		/* preamble */
	while (ctx->hit == mine && !ctx->hit_close) {
		advance(ctx, mime_line_len(ctx->msg + ctx->pos, end));
		if (ctx->nparts >= MIME_MAX_PARTS) {
			scan_to_boundary(ctx);	/* beyond the limit: opaque */
			continue;
		}
		child = new_child(ctx, part, &last);
		parse_part(ctx, child, digest);
	}
	ctx->nb--;
	if (ctx->hit == mine) {
		/* close-delimiter: the epilogue runs to an outer boundary */
		advance(ctx, mime_line_len(ctx->msg + ctx->pos, end));
		scan_to_boundary(ctx);
	}
}

/* Parse the part whose header starts at ctx->pos. */
static void
parse_part(struct parse_ctx *ctx, struct mime_part *part, int digest_child)
{
	size_t lines0;
	struct mime_part *last = NULL, *child;

	parse_header(ctx, part);
	parse_content_fields(ctx, part);
	set_defaults(part, digest_child);
	part->kind = kind_of(ctx, part);
	lines0 = ctx->lines;
	if (ctx->hit >= 0) {
		/* a boundary right inside the header: no body at all */
		set_body_end(ctx, part, lines0);
		if (part->kind == MIME_KIND_MESSAGE) {
			child = new_child(ctx, part, &last);
			parse_part(ctx, child, 0);
		}
		return;
	}
	switch (part->kind) {
	case MIME_KIND_MULTIPART:
		parse_multipart_body(ctx, part);
		break;
	case MIME_KIND_MESSAGE:
		child = new_child(ctx, part, &last);
		parse_part(ctx, child, 0);
		break;
	default:
		scan_to_boundary(ctx);
		break;
	}
	set_body_end(ctx, part, lines0);
}

int
mime_parse(const char *msg, size_t len, struct mime_part **root_r)
{
	struct parse_ctx ctx;
	struct mime_part *root;

	*root_r = NULL;
	if (len > SIZE_MAX / 2 || (msg == NULL && len > 0))
		return -1;
	memset(&ctx, 0, sizeof(ctx));
	ctx.msg = msg != NULL ? msg : "";
	ctx.len = len;
	ctx.hit = -1;
	root = xcalloc(1, sizeof(*root));
	ctx.nparts = 1;
	parse_part(&ctx, root, 0);
	*root_r = root;
	return 0;
}

static void
part_free(struct mime_part *p)
{
	unsigned int i;

	while (p != NULL) {
		struct mime_part *next = p->next;

		part_free(p->children);
		free(p->type);
		free(p->subtype);
		mime_param_free(p->params, p->nparams);
		free(p->id);
		free(p->description);
		free(p->encoding_name);
		free(p->md5);
		free(p->disposition);
		mime_param_free(p->disp_params, p->ndisp_params);
		for (i = 0; i < p->nlanguages; i++)
			free(p->languages[i]);
		free(p->languages);
		free(p->location);
		free(p);
		p = next;
	}
}

void
mime_free(struct mime_part **root)
{
	if (root == NULL || *root == NULL)
		return;
	part_free(*root);
	*root = NULL;
}
