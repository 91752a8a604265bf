/*
 * mime_param.c: Content-Type and Content-Disposition values: the leading
 * type[/subtype] and the parameter list (RFC 2045 5.1, RFC 2183), with
 * RFC 2231 continuations (name*0, name*1*, ...) merged into one value.
 *
 * Extended values ("name*") stay charset'lang'%XX-encoded, as Dovecot
 * sends them in BODYSTRUCTURE; mime_param_get_utf8 decodes them on
 * request. At most MIME_MAX_PARAMS parameters are kept.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

/* One raw parameter before continuations are merged. */
struct raw_param {
	char		*name;		/* base name, without "*N" or "*" */
	char		*value;
	unsigned int	 section;	/* N of name*N, 0 otherwise */
	int		 continued;	/* had *N */
	int		 extended;	/* had a trailing '*' */
	unsigned int	 order;		/* position in the field */
};

#define RAW_PARAMS_MAX	(MIME_MAX_PARAMS * 4)
#define SECTION_MAX	999

/* Split "name*12*" into base name, section and flags. */
static void
raw_param_split(struct raw_param *rp, char *name)
{
	char *star = strchr(name, '*');
	char *p;
	unsigned long n = 0;

	rp->name = name;
	if (star == NULL)
		return;
	p = star + 1;
	if (*p >= '0' && *p <= '9') {
		while (*p >= '0' && *p <= '9' && n <= SECTION_MAX)
			n = n * 10 + (unsigned long)(*p++ - '0');
		if (n > SECTION_MAX)
			return;
		rp->continued = 1;
		rp->section = (unsigned int)n;
		if (*p == '*') {
			rp->extended = 1;
			p++;
		}
	} else if (*p == '*') {
		return;
	} else if (*p == '\0') {
		rp->extended = 1;
	}
	if (*p != '\0') {
		/* not RFC 2231 syntax: keep the name as written */
		rp->continued = 0;
		rp->extended = 0;
		rp->section = 0;
		return;
	}
	*star = '\0';
}

/* Parse "; name=value" pairs; stops quietly at garbage. */
static size_t
parse_raw_params(struct mime_lex *l, struct raw_param **rawp, size_t max)
{
	struct mime_buf name, value;
	struct raw_param *raw = NULL;
	size_t n = 0, cap = 0;

	mime_buf_init(&name);
	mime_buf_init(&value);
	while (n < max) {
		mime_lex_skip_cfws(l, NULL);
		if (mime_lex_eof(l))
			break;
		if (*l->p != ';') {
			/* junk between parameters: skip to the next ';' */
			while (!mime_lex_eof(l) && *l->p != ';') {
				if (*l->p == '"') {
					(void)mime_lex_quoted(l, &value);
					mime_buf_free(&value);
				} else
					l->p++;
			}
			continue;
		}
		l->p++;
		mime_lex_skip_cfws(l, NULL);
		if (!mime_lex_token(l, &name))
			continue;
		mime_lex_skip_cfws(l, NULL);
		if (mime_lex_eof(l) || *l->p != '=') {
			mime_buf_free(&name);
			continue;
		}
		l->p++;
		mime_lex_skip_cfws(l, NULL);
		if (!mime_lex_eof(l) && *l->p == '"')
			(void)mime_lex_quoted(l, &value);
		else if (!mime_lex_token(l, &value))
			mime_buf_add(&value, "", 0);
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			raw = xreallocarray(raw, cap, sizeof(*raw));
		}
		memset(&raw[n], 0, sizeof(raw[n]));
		raw_param_split(&raw[n], mime_buf_steal(&name));
		raw[n].value = mime_buf_steal(&value);
		raw[n].order = (unsigned int)n;
		n++;
	}
	mime_buf_free(&name);
	mime_buf_free(&value);
	*rawp = raw;
	return n;
}

static int
raw_param_cmp(const void *a, const void *b)
{
	const struct raw_param *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);

	if (c != 0)
		return c;
	if (x->continued != y->continued)
		return x->continued - y->continued;
	if (!x->continued && x->extended != y->extended)
		return x->extended - y->extended;
	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order);
}

/* RFC 2231 4.1: a plain segment inside an extended value is %-escaped. */
static void
append_escaped(struct mime_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '%')
			mime_buf_adds(b, "%25");
		else
			mime_buf_addc(b, *s);
	}
}

/*
 * Merge the sorted run raw[i..j) of one base name into one parameter.
 * Continuations must run 0,1,2...; a gap ends the value (RFC 2231 3).
 */
static void
merge_run(struct raw_param *raw, size_t i, size_t j, struct mime_param *out)
{
	struct mime_buf v;
	int extended = 0;
	size_t k;
	unsigned int expect = 0;

	if (!raw[i].continued) {
		/* plain "name" or "name*": the first one wins */
		mime_buf_init(&v);
		mime_buf_adds(&v, raw[i].name);
		if (raw[i].extended)
			mime_buf_addc(&v, '*');
		out->name = mime_buf_steal(&v);
		out->value = xstrdup(raw[i].value);
		return;
	}
	for (k = i; k < j && raw[k].section == expect; k++, expect++)
		extended |= raw[k].extended;
	mime_buf_init(&v);
	/* RFC 2231 4.1: charset'lang' comes first; empty when segment 0
	 * was not extended */
	if (extended && !raw[i].extended)
		mime_buf_adds(&v, "''");
	for (k = i, expect = 0; k < j && raw[k].section == expect;
	    k++, expect++) {
		if (extended && !raw[k].extended)
			append_escaped(&v, raw[k].value);
		else
			mime_buf_adds(&v, raw[k].value);
	}
	out->value = mime_buf_steal(&v);
	mime_buf_init(&v);
	mime_buf_adds(&v, raw[i].name);
	if (extended)
		mime_buf_addc(&v, '*');
	out->name = mime_buf_steal(&v);
}

struct merged {
	struct mime_param p;
	unsigned int	  order;
};

static int
merged_cmp(const void *a, const void *b)
{
	const struct merged *x = a, *y = b;

	return x->order < y->order ? -1 : (x->order > y->order);
}

static void
merge_params(struct raw_param *raw, size_t nraw, struct mime_param **params_r,
    unsigned int *n_r)
{
	struct merged *m;
	size_t i, j, n = 0;

	*params_r = NULL;
	*n_r = 0;
	if (nraw == 0)
		return;
	qsort(raw, nraw, sizeof(*raw), raw_param_cmp);
	m = xcalloc(nraw, sizeof(*m));
	for (i = 0; i < nraw; i = j) {
		unsigned int first = raw[i].order;

		/* a run: same base name, both continuations or both the
		 * same plain kind ("name" and "name*" differ) */
		for (j = i + 1; j < nraw && strcasecmp(raw[j].name,
		    raw[i].name) == 0 && raw[j].continued == raw[i].continued &&
		    (raw[i].continued || raw[j].extended == raw[i].extended);
		    j++) {
			if (raw[j].order < first)
				first = raw[j].order;
		}
		if (n >= MIME_MAX_PARAMS)
			continue;
		merge_run(raw, i, j, &m[n].p);
		m[n].order = first;
		n++;
	}
	/* BODYSTRUCTURE lists parameters in the order they were written */
	qsort(m, n, sizeof(*m), merged_cmp);
	*params_r = xcalloc(n, sizeof(**params_r));
	for (i = 0; i < n; i++)
		(*params_r)[i] = m[i].p;
	*n_r = (unsigned int)n;
	free(m);
}

int
mime_param_parse_field(const char *value, size_t len, int slash,
    char **type_r, char **subtype_r, struct mime_param **params_r,
    unsigned int *nparams_r)
{
	struct mime_lex l;
	struct mime_buf type, sub;
	struct raw_param *raw;
	size_t nraw, i;

	mime_lex_init(&l, value, len);
	mime_buf_init(&type);
	mime_buf_init(&sub);
	mime_lex_skip_cfws(&l, NULL);
	if (!mime_lex_token(&l, &type))
		goto fail;
	if (slash) {
		mime_lex_skip_cfws(&l, NULL);
		if (mime_lex_eof(&l) || *l.p != '/')
			goto fail;
		l.p++;
		mime_lex_skip_cfws(&l, NULL);
		if (!mime_lex_token(&l, &sub))
			goto fail;
	}
	nraw = parse_raw_params(&l, &raw, RAW_PARAMS_MAX);
	merge_params(raw, nraw, params_r, nparams_r);
	for (i = 0; i < nraw; i++) {
		free(raw[i].name);
		free(raw[i].value);
	}
	free(raw);
	*type_r = mime_buf_steal(&type);
	if (subtype_r != NULL)
		*subtype_r = mime_buf_steal(&sub);
	mime_buf_free(&sub);
	return 0;
fail:
	mime_buf_free(&type);
	mime_buf_free(&sub);
	return -1;
}

void
mime_param_free(struct mime_param *params, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		free(params[i].name);
		free(params[i].value);
	}
	free(params);
}

const char *
mime_param_get(const struct mime_param *params, unsigned int n,
    const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (mime_strcaseeq(params[i].name, name))
			return params[i].value;
	}
	return NULL;
}

char *
mime_param_get_utf8(const struct mime_param *params, unsigned int n,
    const char *name)
{
	struct mime_buf ext;
	const char *v;

	mime_buf_init(&ext);
	mime_buf_adds(&ext, name);
	mime_buf_addc(&ext, '*');
	v = mime_param_get(params, n, ext.data);
	mime_buf_free(&ext);
	if (v != NULL)
		return mime_rfc2231_decode(v);
	v = mime_param_get(params, n, name);
	if (v == NULL)
		return NULL;
	return mime_decode_header_value(v, strlen(v));
}
