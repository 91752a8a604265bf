/*
 * mime_internal.h: declarations shared by the mime/ files only (lexical
 * helpers, parameter and address parsing, line scanning). Not for other
 * modules: they use mime.h.
 */
#ifndef POSTHORN_MIME_INTERNAL_H
#define POSTHORN_MIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mime.h"

/* ---- mime_lex.c: RFC 5322 3.2 lexical tokens over a bounded span ---- */

struct mime_lex {
	const char	*p;
	const char	*end;
};

void	 mime_lex_init(struct mime_lex *l, const char *s, size_t len);
/*
 * Skip whitespace, line breaks and (nested) comments. When comment is not
 * NULL, the text of the last comment seen is stored there (replacing what
 * it held), for "user@host (Real Name)".
 */
void	 mime_lex_skip_cfws(struct mime_lex *l, struct mime_buf *comment);
/* 1 when at end (after nothing). */
int	 mime_lex_eof(const struct mime_lex *l);
/* RFC 2045 token (no tspecials): appended to out; 1 if one was read. */
int	 mime_lex_token(struct mime_lex *l, struct mime_buf *out);
/* RFC 5322 atom (atext run, dots excluded unless dots != 0). */
int	 mime_lex_atom(struct mime_lex *l, struct mime_buf *out, int dots);
/* Quoted string at l->p (which is '"'): content unescaped, appended. */
int	 mime_lex_quoted(struct mime_lex *l, struct mime_buf *out);
/* Domain literal "[...]" appended with its brackets. */
int	 mime_lex_domain_literal(struct mime_lex *l, struct mime_buf *out);

/* ---- mime_param.c: Content-Type / Content-Disposition values ---- */

/*
 * Parse "type/subtype *(; param)" (slash != 0) or "token *(; param)"
 * (Content-Disposition). Returns 0 with *type_r (and *subtype_r)
 * malloc'ed and the parameters (RFC 2231 continuations merged), or -1
 * when the leading token(s) are bad (nothing allocated).
 */
int	 mime_param_parse_field(const char *value, size_t len, int slash,
	    char **type_r, char **subtype_r, struct mime_param **params_r,
	    unsigned int *nparams_r);
void	 mime_param_free(struct mime_param *params, unsigned int n);

/* ---- mime_address.c: RFC 5322 3.4 address lists ---- */

struct mime_address {
	char	*name;		/* display name (raw), NULL when none */
	char	*route;		/* obsolete source route "@a,@b", or NULL */
	char	*mailbox;	/* local part, or group name, or NULL */
	char	*host;		/* domain; NULL marks a group start/end */
};

/*
 * Parse an address-list header value. Groups become a start entry
 * (mailbox = name, host NULL) and an end entry (all NULL). Never fails;
 * *n_r may be 0. At most max addresses are kept.
 */
void	 mime_address_parse(const char *value, size_t len, size_t max,
	    struct mime_address **addrs_r, size_t *n_r);
void	 mime_address_free(struct mime_address *addrs, size_t n);

/* ---- mime_header.c ---- */

/* Length of the line at p (up to and including LF, or to end). */
size_t	 mime_line_len(const char *p, const char *end);
/* Case-insensitive compare of a field name against a NUL-terminated name. */
int	 mime_name_eq(const char *name, size_t len, const char *want);
/* malloc'ed copy of an unfolded, trimmed value, capped at max bytes. */
char	*mime_header_unfold_max(const char *value, size_t len, size_t max);

/* ---- mime_charset.c ---- */

/* Append in[0..len) as valid UTF-8 (invalid bytes -> U+FFFD). */
void	 mime_utf8_sanitize(struct mime_buf *out, const char *in, size_t len);
/* Convert and append; charset NULL/""/ascii/utf-8 go through sanitize. */
void	 mime_charset_append_utf8(struct mime_buf *out, const char *charset,
	    const char *in, size_t len);
/* Decode the RFC 2231 "charset'lang'%XX" value to UTF-8. */
char	*mime_rfc2231_decode(const char *value);

/* ---- mime_envelope.c ---- */

void	 mime_envelope_append(struct mime_buf *b, const char *hdr,
	    size_t hdrlen);

/* ---- misc ---- */

/* ASCII lower-case of c. */
static inline int
mime_tolower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive ASCII equality of two NUL-terminated strings. */
int	 mime_strcaseeq(const char *a, const char *b);

#endif
