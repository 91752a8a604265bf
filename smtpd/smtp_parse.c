/*
 * smtp_parse.c: SMTP command line parser (RFC 5321 4.1, 4.1.2 grammar).
 *
 * Splits a command line into verb and arguments and parses the arguments of
 * MAIL, RCPT and BDAT: paths with dot-string or quoted local parts, domains
 * and address literals, UTF-8 addresses (RFC 6531), source routes (ignored),
 * and the ESMTP parameters we advertise. Every function works on one line
 * that the line reader already bounded, writes only into fixed-size fields
 * whose limits come from RFC 5321 4.5.3.1, and reports errors as codes the
 * session maps to replies.
 *
 * It deliberately knows nothing about sessions, states or the store: whether
 * a command is allowed now, or a recipient exists, is decided elsewhere.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "smtp_parse.h"

static const struct {
	const char	*name;
	enum smtp_verb	 verb;
} verbs[] = {
	{ "HELO", SMTP_CMD_HELO },
	{ "EHLO", SMTP_CMD_EHLO },
	{ "MAIL", SMTP_CMD_MAIL },
	{ "RCPT", SMTP_CMD_RCPT },
	{ "DATA", SMTP_CMD_DATA },
	{ "BDAT", SMTP_CMD_BDAT },
	{ "RSET", SMTP_CMD_RSET },
	{ "NOOP", SMTP_CMD_NOOP },
	{ "QUIT", SMTP_CMD_QUIT },
	{ "VRFY", SMTP_CMD_VRFY },
	{ "EXPN", SMTP_CMD_EXPN },
	{ "HELP", SMTP_CMD_HELP },
	{ "STARTTLS", SMTP_CMD_STARTTLS },
	{ "AUTH", SMTP_CMD_AUTH },
};

static int	 is_alpha(int c);
static int	 is_digit(int c);
static int	 is_atext(int c);
static int	 ascii_casecmp_n(const char *a, const char *b, size_t n);
static int	 utf8_seq_len(const unsigned char *s, size_t len);
static int	 is_dot_string(const char *s, size_t len);
static int	 parse_domain(const char **pp, char *dst, int *utf8_r);
static int	 parse_address_literal(const char **pp, char *dst);
static int	 parse_source_route(const char **pp);
static int	 parse_local_part(const char **pp, char *dst, int *utf8_r);
static int	 parse_path(const char **pp, int is_rcpt, struct smtp_path *r,
		    const char **err_r);
static int	 parse_mail_param(const char *kw, size_t kwlen, const char *val,
		    size_t vallen, int has_val, struct smtp_mail_args *r,
		    const char **err_r);
static int	 parse_u64(const char *s, size_t len, uint64_t *val_r);

/* ------------------------------------------------------------ characters */

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5322 atext (RFC 5321 4.1.2 Atom). */
static int
is_atext(int c)
{
	return is_alpha(c) || is_digit(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
ascii_casecmp_n(const char *a, const char *b, size_t n)
{
	size_t	 i;
	int	 ca, cb;

	for (i = 0; i < n; i++) {
		ca = (unsigned char)a[i];
		cb = (unsigned char)b[i];
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return 1;
	}
	return 0;
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629 section 4 table),
 * or 0 when it is not one. Only called for bytes >= 0x80.
 */
static int
utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char	 c = s[0];
	unsigned char	 lo = 0x80, hi = 0xbf;
	int		 n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;		/* no overlongs */
		else if (c == 0xed)
			hi = 0x9f;		/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;		/* <= U+10FFFF */
	} else
		return 0;
	if ((size_t)n > len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

int
smtp_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0;
	int			 n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq_len(p + i, len - i)) == 0)
			return 0;
		i += (size_t)n;
	}
	return 1;
}

/*
 * Dot-string = Atom *("." Atom), where an Atom is 1*atext; with SMTPUTF8
 * (RFC 6531 3.3) atext also takes UTF-8 non-ASCII, checked by the caller.
 */
static int
is_dot_string(const char *s, size_t len)
{
	size_t	 i;
	int	 atom_len = 0;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (atom_len == 0)
				return 0;
			atom_len = 0;
		} else if (is_atext(c) || c >= 0x80)
			atom_len++;
		else
			return 0;
	}
	return atom_len > 0;
}

/* ------------------------------------------------------------- commands */

int
smtp_parse_command(char *line, size_t len, struct smtp_command *cmd_r)
{
	size_t	 i, vlen, end;
	char	*args;

	memset(cmd_r, 0, sizeof(*cmd_r));
	cmd_r->args = "";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		/* Bytes no command may carry; a bare CR is a smuggling attempt or noise. */
		if (c == 0 || c == '\r' || c == 0x7f || (c < 0x20 && c != '\t'))
			return SMTP_PARSE_EBYTES;
	}
	for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++)
		;
	cmd_r->name = line;
	cmd_r->name_len = vlen;
	cmd_r->verb = SMTP_CMD_UNKNOWN;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].name) == vlen &&
		    ascii_casecmp_n(line, verbs[i].name, vlen) == 0) {
			cmd_r->verb = verbs[i].verb;
			break;
		}
	}
	i = vlen;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	end = len;
	while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	args = line + i;
	line[end] = '\0';
	cmd_r->args = args;
	cmd_r->args_len = end - i;
	return SMTP_PARSE_OK;
}

const char *
smtp_verb_name(enum smtp_verb verb)
{
	size_t	 i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == verb)
			return verbs[i].name;
	return "UNKNOWN";
}

/* ---------------------------------------------------------------- paths */

/*
 * Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]
 * (RFC 5321 4.1.2), with U-labels of UTF-8 octets under SMTPUTF8 (RFC 6531
 * 3.3). We also take '_' inside labels: it is common in real host names and
 * harmless here. Stops at the first byte that cannot continue the domain.
 */
static int
parse_domain(const char **pp, char *dst, int *utf8_r)
{
	const char	*p = *pp, *start = *pp;
	size_t		 label = 0, len;
	unsigned char	 c, prev = 0;

	for (;;) {
		c = (unsigned char)*p;
		if (c == '.') {
			if (label == 0 || prev == '-')
				return SMTP_PARSE_EADDR;
			label = 0;
		} else if (is_alpha(c) || is_digit(c) || c >= 0x80) {
			if (c >= 0x80)
				*utf8_r = 1;
			label++;
		} else if (c == '-' || c == '_') {
			if (label == 0)
				return SMTP_PARSE_EADDR;
			label++;
		} else
			break;
		prev = c;
		p++;
		if ((size_t)(p - start) > SMTP_DOMAIN_MAX)
			return SMTP_PARSE_ETOOLONG;
	}
	if (label == 0 || prev == '-')
		return SMTP_PARSE_EADDR;
	len = (size_t)(p - start);
	if (!smtp_utf8_valid(start, len))
		return SMTP_PARSE_EADDR;
	memcpy(dst, start, len);
	dst[len] = '\0';
	*pp = p;
	return SMTP_PARSE_OK;
}

/*
 * address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
 * General-address-literal ) "]" (RFC 5321 4.1.3).
 */
static int
parse_address_literal(const char **pp, char *dst)
{
	const char	*p = *pp + 1, *start = *pp, *colon;
	char		 inner[SMTP_DOMAIN_MAX + 1];
	unsigned char	 buf[16];
	size_t		 len, i;
	int		 all_v4 = 1;

	while (*p != ']') {
		unsigned char c = (unsigned char)*p;

		/* dcontent = %d33-90 / %d94-126 */
		if (c < 33 || c > 126 || c == '[' || c == '\\')
			return SMTP_PARSE_EADDR;
		if (!is_digit(c) && c != '.')
			all_v4 = 0;
		p++;
		if ((size_t)(p - start) > SMTP_DOMAIN_MAX - 1)
			return SMTP_PARSE_ETOOLONG;
	}
	len = (size_t)(p - start - 1);
	if (len == 0)
		return SMTP_PARSE_EADDR;
	memcpy(inner, start + 1, len);
	inner[len] = '\0';
	if (all_v4) {
		if (inet_pton(AF_INET, inner, buf) != 1)
			return SMTP_PARSE_EADDR;
	} else if (len > 5 && ascii_casecmp_n(inner, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, inner + 5, buf) != 1)
			return SMTP_PARSE_EADDR;
	} else {
		/* General-address-literal = Standardized-tag ":" 1*dcontent */
		if ((colon = strchr(inner, ':')) == NULL || colon == inner ||
		    colon[1] == '\0')
			return SMTP_PARSE_EADDR;
		for (i = 0; inner + i < colon; i++)
			if (!is_alpha(inner[i]) && !is_digit(inner[i]) &&
			    inner[i] != '-')
				return SMTP_PARSE_EADDR;
	}
	memcpy(dst, start, len + 2);
	dst[len + 2] = '\0';
	*pp = p + 1;
	return SMTP_PARSE_OK;
}

/* A-d-l = At-domain *( "," At-domain ) ":"; parsed for syntax, then ignored. */
static int
parse_source_route(const char **pp)
{
	const char	*p = *pp;
	char		 dom[SMTP_DOMAIN_MAX + 1];
	int		 utf8 = 0, rc;

	for (;;) {
		if (*p != '@')
			return SMTP_PARSE_EADDR;
		p++;
		if (*p == '[')
			rc = parse_address_literal(&p, dom);
		else
			rc = parse_domain(&p, dom, &utf8);
		if (rc != SMTP_PARSE_OK)
			return rc;
		if (*p == ':')
			break;
		if (*p != ',')
			return SMTP_PARSE_EADDR;
		p++;
	}
	*pp = p + 1;
	return SMTP_PARSE_OK;
}

/*
 * Local-part = Dot-string / Quoted-string (RFC 5321 4.1.2), written in its
 * canonical form into dst (SMTP_LOCAL_MAX + 3 bytes).
 */
static int
parse_local_part(const char **pp, char *dst, int *utf8_r)
{
	const char	*p = *pp, *start = *pp;
	char		 content[SMTP_LOCAL_MAX + 1];
	size_t		 clen = 0, i, o = 0;
	unsigned char	 c;
	int		 n;

	if (*p != '"') {
		while (is_atext((unsigned char)*p) || *p == '.' ||
		    (unsigned char)*p >= 0x80) {
			if ((unsigned char)*p >= 0x80) {
				if ((n = utf8_seq_len((const unsigned char *)p,
				    strnlen(p, 4))) == 0)
					return SMTP_PARSE_EADDR;
				*utf8_r = 1;
				p += n;
			} else
				p++;
			if ((size_t)(p - start) > SMTP_LOCAL_MAX)
				return SMTP_PARSE_ETOOLONG;
		}
		if (!is_dot_string(start, (size_t)(p - start)))
			return SMTP_PARSE_EADDR;
		memcpy(dst, start, (size_t)(p - start));
		dst[p - start] = '\0';
		*pp = p;
		return SMTP_PARSE_OK;
	}

	/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE */
	p++;
	for (;;) {
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c == '\\') {
			/* quoted-pairSMTP = %d92 %d32-126 */
			c = (unsigned char)p[1];
			if (c < 32 || c > 126)
				return SMTP_PARSE_EADDR;
			p += 2;
		} else if (c >= 0x80) {
			if ((n = utf8_seq_len((const unsigned char *)p,
			    strnlen(p, 4))) == 0)
				return SMTP_PARSE_EADDR;
			if (clen + (size_t)n > SMTP_LOCAL_MAX)
				return SMTP_PARSE_ETOOLONG;
			memcpy(content + clen, p, (size_t)n);
			clen += (size_t)n;
			*utf8_r = 1;
			p += n;
			goto check_len;
		} else if (c >= 32 && c <= 126)	/* qtextSMTP */
			p++;
		else
			return SMTP_PARSE_EADDR;
		if (clen >= SMTP_LOCAL_MAX)
			return SMTP_PARSE_ETOOLONG;
		content[clen++] = (char)c;
check_len:
		if ((size_t)(p - start) > SMTP_LOCAL_MAX)
			return SMTP_PARSE_ETOOLONG;
	}
	p++;
	if ((size_t)(p - start) > SMTP_LOCAL_MAX)
		return SMTP_PARSE_ETOOLONG;
	if (is_dot_string(content, clen)) {
		memcpy(dst, content, clen);
		dst[clen] = '\0';
	} else {
		/* Re-quoted: never longer than what was sent (<= 64 + NUL). */
		dst[o++] = '"';
		for (i = 0; i < clen; i++) {
			if (content[i] == '"' || content[i] == '\\')
				dst[o++] = '\\';
			dst[o++] = content[i];
		}
		dst[o++] = '"';
		dst[o] = '\0';
	}
	*pp = p;
	return SMTP_PARSE_OK;
}

/*
 * Path = "<" [ A-d-l ":" ] Mailbox ">"; Reverse-path also "<>" (MAIL);
 * "<Postmaster>" is a valid forward-path (RCPT, RFC 5321 4.1.1.3).
 */
static int
parse_path(const char **pp, int is_rcpt, struct smtp_path *r,
    const char **err_r)
{
	const char	*p = *pp, *start = *pp;
	int		 rc;

	memset(r, 0, sizeof(*r));
	if (*p != '<') {
		*err_r = "Path must be enclosed in <>";
		return SMTP_PARSE_EADDR;
	}
	p++;
	if (*p == '>') {
		if (is_rcpt) {
			*err_r = "Null path not allowed as recipient";
			return SMTP_PARSE_EADDR;
		}
		r->null = 1;
		*pp = p + 1;
		return SMTP_PARSE_OK;
	}
	if (*p == '@' && (rc = parse_source_route(&p)) != SMTP_PARSE_OK) {
		*err_r = "Bad source route";
		return rc;
	}
	if ((rc = parse_local_part(&p, r->local, &r->utf8)) != SMTP_PARSE_OK) {
		*err_r = rc == SMTP_PARSE_ETOOLONG ? "Local part too long" :
		    "Bad local part syntax";
		return rc;
	}
	if (*p == '>' && is_rcpt && strlen(r->local) == 10 &&
	    ascii_casecmp_n(r->local, "postmaster", 10) == 0)
		goto postmaster;
	if (*p != '@') {
		*err_r = "Address must be local-part@domain";
		return SMTP_PARSE_EADDR;
	}
	p++;
	if (*p == '[')
		rc = parse_address_literal(&p, r->domain);
	else
		rc = parse_domain(&p, r->domain, &r->utf8);
	if (rc != SMTP_PARSE_OK) {
		*err_r = rc == SMTP_PARSE_ETOOLONG ? "Domain too long" :
		    "Bad domain syntax";
		return rc;
	}
	if (*p != '>') {
		*err_r = "Bad address syntax";
		return SMTP_PARSE_EADDR;
	}
	p++;
	if ((size_t)(p - start) > SMTP_PATH_MAX) {
		*err_r = "Path too long";
		return SMTP_PARSE_ETOOLONG;
	}
	/* local (<= 64) + '@' + domain (<= 255) can exceed the path buffer only
	 * when the path itself was over 256, which was refused above. */
	memcpy(r->addr, r->local, strlen(r->local));
	r->addr[strlen(r->local)] = '@';
	memcpy(r->addr + strlen(r->local) + 1, r->domain, strlen(r->domain) + 1);
	*pp = p;
	return SMTP_PARSE_OK;

postmaster:
	r->postmaster = 1;
	memcpy(r->local, "postmaster", 11);
	memcpy(r->addr, "postmaster", 11);
	*pp = p + 1;
	return SMTP_PARSE_OK;
}

/* --------------------------------------------------------- parameters */

/* 1*20DIGIT; a value over 2^64-1 saturates (it is "too big" whatever the limit). */
static int
parse_u64(const char *s, size_t len, uint64_t *val_r)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*val_r = v;
	return 0;
}

static int
parse_mail_param(const char *kw, size_t kwlen, const char *val, size_t vallen,
    int has_val, struct smtp_mail_args *r, const char **err_r)
{
	if (kwlen == 4 && ascii_casecmp_n(kw, "SIZE", 4) == 0) {
		/* RFC 1870: size-value = 1*20DIGIT */
		if (r->has_size || !has_val || parse_u64(val, vallen, &r->size) < 0) {
			*err_r = "Bad SIZE parameter";
			return SMTP_PARSE_EPARAMVAL;
		}
		r->has_size = 1;
		return SMTP_PARSE_OK;
	}
	if (kwlen == 4 && ascii_casecmp_n(kw, "BODY", 4) == 0) {
		if (r->body != SMTP_BODY_NONE || !has_val)
			goto bad_body;
		if (vallen == 4 && ascii_casecmp_n(val, "7BIT", 4) == 0)
			r->body = SMTP_BODY_7BIT;
		else if (vallen == 8 && ascii_casecmp_n(val, "8BITMIME", 8) == 0)
			r->body = SMTP_BODY_8BITMIME;
		else if (vallen == 10 && ascii_casecmp_n(val, "BINARYMIME", 10) == 0)
			r->body = SMTP_BODY_BINARYMIME;
		else
			goto bad_body;
		return SMTP_PARSE_OK;
	}
	if (kwlen == 8 && ascii_casecmp_n(kw, "SMTPUTF8", 8) == 0) {
		/* RFC 6531 3.4: the parameter has no value. */
		if (r->smtputf8 || has_val) {
			*err_r = "Bad SMTPUTF8 parameter";
			return SMTP_PARSE_EPARAMVAL;
		}
		r->smtputf8 = 1;
		return SMTP_PARSE_OK;
	}
	*err_r = "Unsupported parameter";
	return SMTP_PARSE_EPARAM;

bad_body:
	*err_r = "Bad BODY parameter";
	return SMTP_PARSE_EPARAMVAL;
}

/*
 * Mail-parameters = esmtp-param *(SP esmtp-param); esmtp-param =
 * esmtp-keyword ["=" esmtp-value] (RFC 5321 4.1.2). Parameters are
 * separated by one or more spaces (tolerated), keywords case-insensitive.
 */
static int
parse_params(const char *p, struct smtp_mail_args *r, const char **err_r)
{
	const char	*kw, *val;
	size_t		 kwlen, vallen;
	int		 has_val, rc;

	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return SMTP_PARSE_OK;
		kw = p;
		if (!is_alpha(*p) && !is_digit(*p)) {
			*err_r = "Bad parameter syntax";
			return SMTP_PARSE_ESYNTAX;
		}
		while (is_alpha(*p) || is_digit(*p) || *p == '-')
			p++;
		kwlen = (size_t)(p - kw);
		has_val = 0;
		val = p;
		vallen = 0;
		if (*p == '=') {
			has_val = 1;
			val = ++p;
			/* esmtp-value = 1*(%d33-60 / %d62-126) */
			while ((unsigned char)*p >= 33 && (unsigned char)*p <= 126 &&
			    *p != '=')
				p++;
			vallen = (size_t)(p - val);
			if (vallen == 0) {
				*err_r = "Empty parameter value";
				return SMTP_PARSE_EPARAMVAL;
			}
		}
		if (*p != ' ' && *p != '\0') {
			*err_r = "Bad parameter syntax";
			return SMTP_PARSE_ESYNTAX;
		}
		if (r == NULL) {
			*err_r = "No parameters supported here";
			return SMTP_PARSE_EPARAM;
		}
		rc = parse_mail_param(kw, kwlen, val, vallen, has_val, r, err_r);
		if (rc != SMTP_PARSE_OK)
			return rc;
	}
}

/* Match "FROM:" / "TO:" case-insensitively, then tolerate spaces. */
static const char *
skip_keyword(const char *args, const char *kw)
{
	size_t	 n = strlen(kw);

	if (strlen(args) < n || ascii_casecmp_n(args, kw, n) != 0)
		return NULL;
	args += n;
	while (*args == ' ')
		args++;
	return args;
}

int
smtp_parse_mail(const char *args, struct smtp_mail_args *r, const char **err_r)
{
	const char	*p;
	int		 rc;

	memset(r, 0, sizeof(*r));
	*err_r = "Syntax: MAIL FROM:<address> [parameters]";
	if ((p = skip_keyword(args, "FROM:")) == NULL)
		return SMTP_PARSE_ESYNTAX;
	if ((rc = parse_path(&p, 0, &r->path, err_r)) != SMTP_PARSE_OK)
		return rc;
	if (*p != ' ' && *p != '\0') {
		*err_r = "Bad characters after the path";
		return SMTP_PARSE_ESYNTAX;
	}
	if ((rc = parse_params(p, r, err_r)) != SMTP_PARSE_OK)
		return rc;
	/* RFC 6531 3.4: an internationalized path needs SMTPUTF8. */
	if (r->path.utf8 && !r->smtputf8) {
		*err_r = "Non-ASCII address needs the SMTPUTF8 parameter";
		return SMTP_PARSE_EUTF8;
	}
	return SMTP_PARSE_OK;
}

int
smtp_parse_rcpt(const char *args, int smtputf8, struct smtp_path *r,
    const char **err_r)
{
	const char	*p;
	int		 rc;

	memset(r, 0, sizeof(*r));
	*err_r = "Syntax: RCPT TO:<address>";
	if ((p = skip_keyword(args, "TO:")) == NULL)
		return SMTP_PARSE_ESYNTAX;
	if ((rc = parse_path(&p, 1, r, err_r)) != SMTP_PARSE_OK)
		return rc;
	if (*p != ' ' && *p != '\0') {
		*err_r = "Bad characters after the path";
		return SMTP_PARSE_ESYNTAX;
	}
	if ((rc = parse_params(p, NULL, err_r)) != SMTP_PARSE_OK)
		return rc;
	if (r->utf8 && !smtputf8) {
		*err_r = "Non-ASCII address needs SMTPUTF8 in MAIL FROM";
		return SMTP_PARSE_EUTF8;
	}
	return SMTP_PARSE_OK;
}

int
smtp_parse_bdat(const char *args, uint64_t *size_r, int *last_r)
{
	const char	*p = args;
	uint64_t	 v = 0;
	size_t		 n = 0;

	*last_r = 0;
	while (is_digit(*p)) {
		if (++n > 20 || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return SMTP_PARSE_ESYNTAX;	/* not a size we can skip */
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (n == 0)
		return SMTP_PARSE_ESYNTAX;
	if (*p == ' ') {
		while (*p == ' ')
			p++;
		if (ascii_casecmp_n(p, "LAST", 4) != 0 || strlen(p) < 4)
			return SMTP_PARSE_ESYNTAX;
		p += 4;
		*last_r = 1;
	}
	if (*p != '\0')
		return SMTP_PARSE_ESYNTAX;
	*size_r = v;
	return SMTP_PARSE_OK;
}

void
smtp_helo_sanitize(char *dst, const char *src, size_t len)
{
	size_t	 i;

	if (len > SMTP_HELO_MAX)
		len = SMTP_HELO_MAX;
	for (i = 0; i < len; i++) {
		char c = src[i];

		dst[i] = (is_alpha(c) || is_digit(c) || strchr(".-_:[]", c) != NULL) &&
		    c != '\0' ? c : '?';
	}
	dst[len] = '\0';
}
