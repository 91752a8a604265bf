/*
 * imap_search_parse.c: the SEARCH command's arguments -> a tree of keys.
 *
 * Grammar: RFC 3501 section 9 "search", RFC 9051 ("search-program"),
 * RFC 4731 ("search-return-opts"), RFC 7162 ("search-modsequence"),
 * RFC 5032 (OLDER/YOUNGER). Recursion (groups, NOT, OR) is bounded by
 * IMAP_SEARCH_DEPTH_MAX and the number of keys by IMAP_SEARCH_KEYS_MAX, so
 * a hostile program costs no more than its arguments. It does not look at
 * messages or the mailbox: imap_search_bind() and the evaluator do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_search.h"
#include "util.h"

enum search_argtype {
	ARG_NONE,		/* ALL, SEEN ... */
	ARG_ASTRING,		/* BODY, TEXT, FROM ...: the string */
	ARG_HEADER,		/* HEADER field-name string */
	ARG_DATE,
	ARG_NUMBER,
	ARG_NZNUMBER,
	ARG_SEQSET,		/* UID */
	ARG_KEYWORD,		/* KEYWORD, UNKEYWORD */
	ARG_NOT,
	ARG_OR,
	ARG_MODSEQ
};

struct search_keydef {
	const char		*name;
	enum imap_search_type	 type;
	enum search_argtype	 arg;
	uint32_t		 flags;		/* FLAGS: must be set */
	uint32_t		 noflags;	/* FLAGS: must be clear */
	const char		*field;		/* FROM/TO/...: the header name */
	int			 negate;	/* UNKEYWORD */
};

static const struct search_keydef search_keys[] = {
	{ "ALL", IMAP_SK_ALL, ARG_NONE, 0, 0, NULL, 0 },
	{ "ANSWERED", IMAP_SK_FLAGS, ARG_NONE, STORE_FLAG_ANSWERED, 0, NULL, 0 },
	{ "BCC", IMAP_SK_HEADER, ARG_ASTRING, 0, 0, "Bcc", 0 },
	{ "BEFORE", IMAP_SK_BEFORE, ARG_DATE, 0, 0, NULL, 0 },
	{ "BODY", IMAP_SK_BODY, ARG_ASTRING, 0, 0, NULL, 0 },
	{ "CC", IMAP_SK_HEADER, ARG_ASTRING, 0, 0, "Cc", 0 },
	{ "DELETED", IMAP_SK_FLAGS, ARG_NONE, STORE_FLAG_DELETED, 0, NULL, 0 },
	{ "DRAFT", IMAP_SK_FLAGS, ARG_NONE, STORE_FLAG_DRAFT, 0, NULL, 0 },
	{ "FLAGGED", IMAP_SK_FLAGS, ARG_NONE, STORE_FLAG_FLAGGED, 0, NULL, 0 },
	{ "FROM", IMAP_SK_HEADER, ARG_ASTRING, 0, 0, "From", 0 },
	{ "HEADER", IMAP_SK_HEADER, ARG_HEADER, 0, 0, NULL, 0 },
	{ "KEYWORD", IMAP_SK_KEYWORD, ARG_KEYWORD, 0, 0, NULL, 0 },
	{ "LARGER", IMAP_SK_LARGER, ARG_NUMBER, 0, 0, NULL, 0 },
	{ "MODSEQ", IMAP_SK_MODSEQ, ARG_MODSEQ, 0, 0, NULL, 0 },
	{ "NEW", IMAP_SK_FLAGS, ARG_NONE, STORE_FLAG_RECENT, STORE_FLAG_SEEN, NULL, 0 },
	{ "NOT", IMAP_SK_NOT, ARG_NOT, 0, 0, NULL, 0 },
	{ "OLD", IMAP_SK_FLAGS, ARG_NONE, 0, STORE_FLAG_RECENT, NULL, 0 },
	{ "OLDER", IMAP_SK_OLDER, ARG_NZNUMBER, 0, 0, NULL, 0 },
	{ "ON", IMAP_SK_ON, ARG_DATE, 0, 0, NULL, 0 },
	{ "OR", IMAP_SK_OR, ARG_OR, 0, 0, NULL, 0 },
	{ "RECENT", IMAP_SK_FLAGS, ARG_NONE, STORE_FLAG_RECENT, 0, NULL, 0 },
	{ "SEEN", IMAP_SK_FLAGS, ARG_NONE, STORE_FLAG_SEEN, 0, NULL, 0 },
	{ "SENTBEFORE", IMAP_SK_SENTBEFORE, ARG_DATE, 0, 0, NULL, 0 },
	{ "SENTON", IMAP_SK_SENTON, ARG_DATE, 0, 0, NULL, 0 },
	{ "SENTSINCE", IMAP_SK_SENTSINCE, ARG_DATE, 0, 0, NULL, 0 },
	{ "SINCE", IMAP_SK_SINCE, ARG_DATE, 0, 0, NULL, 0 },
	{ "SMALLER", IMAP_SK_SMALLER, ARG_NUMBER, 0, 0, NULL, 0 },
	{ "SUBJECT", IMAP_SK_HEADER, ARG_ASTRING, 0, 0, "Subject", 0 },
	{ "TEXT", IMAP_SK_TEXT, ARG_ASTRING, 0, 0, NULL, 0 },
	{ "TO", IMAP_SK_HEADER, ARG_ASTRING, 0, 0, "To", 0 },
	{ "UID", IMAP_SK_UID, ARG_SEQSET, 0, 0, NULL, 0 },
	{ "UNANSWERED", IMAP_SK_FLAGS, ARG_NONE, 0, STORE_FLAG_ANSWERED, NULL, 0 },
	{ "UNDELETED", IMAP_SK_FLAGS, ARG_NONE, 0, STORE_FLAG_DELETED, NULL, 0 },
	{ "UNDRAFT", IMAP_SK_FLAGS, ARG_NONE, 0, STORE_FLAG_DRAFT, NULL, 0 },
	{ "UNFLAGGED", IMAP_SK_FLAGS, ARG_NONE, 0, STORE_FLAG_FLAGGED, NULL, 0 },
	{ "UNKEYWORD", IMAP_SK_KEYWORD, ARG_KEYWORD, 0, 0, NULL, 1 },
	{ "UNSEEN", IMAP_SK_FLAGS, ARG_NONE, 0, STORE_FLAG_SEEN, NULL, 0 },
	{ "YOUNGER", IMAP_SK_YOUNGER, ARG_NZNUMBER, 0, 0, NULL, 0 },
};

struct search_parser {
	struct imap_search_program *prog;
	int			 depth;
	char			*err;
	size_t			 errlen;
};

static int	 search_fail(struct search_parser *p, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static struct imap_search_key *search_key_new(struct search_parser *p,
		    enum imap_search_type type);
static void	 search_key_free(struct imap_search_key *k);
static void	 search_key_append(struct imap_search_key *parent,
		    struct imap_search_key *k);
static const struct search_keydef *search_keydef_find(const char *name);
static int	 search_parse_keys(struct search_parser *p,
		    const struct imap_arg *args, size_t n, size_t *i,
		    struct imap_search_key *parent);
static int	 search_parse_key(struct search_parser *p,
		    const struct imap_arg *args, size_t n, size_t *i,
		    struct imap_search_key **key_r);
static int	 search_parse_arg(struct search_parser *p,
		    const struct search_keydef *def, const struct imap_arg *args,
		    size_t n, size_t *i, struct imap_search_key *k);
static int	 search_parse_string(struct search_parser *p,
		    const struct imap_arg *a, const char *what, char **str_r,
		    size_t *len_r);
static int	 search_parse_seqset(struct search_parser *p,
		    const struct imap_arg *a, struct imap_search_key *k);
static int	 search_parse_return(struct search_parser *p,
		    const struct imap_arg *a);
static int	 search_is_atom_char_ok(const char *s, size_t len);
static void	 search_mark_content(struct imap_search_key *k);

static int
search_fail(struct search_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return IMAP_SEARCH_BAD;
}

static struct imap_search_key *
search_key_new(struct search_parser *p, enum imap_search_type type)
{
	struct imap_search_key *k;

	if (p->prog->n_keys >= IMAP_SEARCH_KEYS_MAX)
		return NULL;
	p->prog->n_keys++;
	k = xcalloc(1, sizeof(*k));
	k->type = type;
	k->kw_bit = -1;
	imap_seqset_init(&k->set);
	return k;
}

static void
search_key_free(struct imap_search_key *k)
{
	struct imap_search_key *c, *next;

	if (k == NULL)
		return;
	for (c = k->child; c != NULL; c = next) {
		next = c->next;
		search_key_free(c);
	}
	imap_seqset_free(&k->set);
	free(k->str);
	free(k->str2);
	free(k);
}

static void
search_key_append(struct imap_search_key *parent, struct imap_search_key *k)
{
	struct imap_search_key **pp = &parent->child;

	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = k;
}

static const struct search_keydef *
search_keydef_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(search_keys) / sizeof(search_keys[0]); i++)
		if (strcasecmp(search_keys[i].name, name) == 0)
			return &search_keys[i];
	return NULL;
}

/* flag-keyword = atom (RFC 3501): no specials, no '\'. */
static int
search_is_atom_char_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f || strchr("(){%*\"\\]", ch) != NULL)
			return 0;
	}
	return 1;
}

static int
search_parse_string(struct search_parser *p, const struct imap_arg *a,
    const char *what, char **str_r, size_t *len_r)
{
	const char *s;
	size_t len;

	if (a == NULL)
		return search_fail(p, "Missing %s argument", what);
	if ((s = imap_arg_astring(a, &len)) == NULL)
		return search_fail(p, "Invalid %s argument", what);
	*str_r = xstrndup(s, len);
	*len_r = len;
	return IMAP_SEARCH_OK;
}

static int
search_parse_seqset(struct search_parser *p, const struct imap_arg *a,
    struct imap_search_key *k)
{
	int r;

	if (a == NULL || a->type != IMAP_ARG_ATOM)
		return search_fail(p, "Invalid sequence set");
	if ((r = imap_seqset_parse(&k->set, a->str, a->len)) != IMAP_SEQSET_OK)
		return search_fail(p, "%s", imap_seqset_strerror(r));
	if (k->set.last_result)
		p->prog->uses_last_result = 1;
	return IMAP_SEARCH_OK;
}

static int
search_parse_arg(struct search_parser *p, const struct search_keydef *def,
    const struct imap_arg *args, size_t n, size_t *i,
    struct imap_search_key *k)
{
	const struct imap_arg *a = *i < n ? &args[*i] : NULL;
	uint64_t v;
	size_t len;
	int r;

	switch (def->arg) {
	case ARG_NONE:
		return IMAP_SEARCH_OK;
	case ARG_ASTRING:
		if (def->field != NULL)
			k->str2 = xstrdup(def->field);
		(*i)++;
		return search_parse_string(p, a, def->name, &k->str, &k->str_len);
	case ARG_HEADER:
		if ((r = search_parse_string(p, a, "HEADER field", &k->str2,
		    &len)) != IMAP_SEARCH_OK)
			return r;
		/* RFC 5322 2.2 field names: printable ASCII but ':'. */
		for (size_t j = 0; j < len; j++)
			if ((unsigned char)k->str2[j] <= 0x20 ||
			    (unsigned char)k->str2[j] >= 0x7f || k->str2[j] == ':')
				return search_fail(p, "Invalid HEADER field name");
		if (len == 0)
			return search_fail(p, "Invalid HEADER field name");
		(*i)++;
		a = *i < n ? &args[*i] : NULL;
		(*i)++;
		return search_parse_string(p, a, "HEADER", &k->str, &k->str_len);
	case ARG_DATE:
		(*i)++;
		if (a == NULL)
			return search_fail(p, "Missing %s date", def->name);
		if ((a->type != IMAP_ARG_ATOM && a->type != IMAP_ARG_QUOTED) ||
		    imap_search_parse_date(a->str, a->len, &k->day) < 0)
			return search_fail(p, "Invalid %s date", def->name);
		return IMAP_SEARCH_OK;
	case ARG_NUMBER:
	case ARG_NZNUMBER:
		(*i)++;
		if (a == NULL || !imap_arg_number(a, UINT64_MAX, &v) ||
		    (def->arg == ARG_NZNUMBER && v == 0))
			return search_fail(p, "Invalid %s number", def->name);
		k->num = v;
		return IMAP_SEARCH_OK;
	case ARG_SEQSET:
		(*i)++;
		return search_parse_seqset(p, a, k);
	case ARG_KEYWORD:
		(*i)++;
		if (a == NULL || a->type != IMAP_ARG_ATOM ||
		    !search_is_atom_char_ok(a->str, a->len) ||
		    a->len >= STORE_KEYWORD_LEN)
			return search_fail(p, "Invalid %s keyword", def->name);
		k->str = xstrndup(a->str, a->len);
		k->str_len = a->len;
		return IMAP_SEARCH_OK;
	case ARG_MODSEQ:
		/*
		 * RFC 7162 3.1.5: MODSEQ [entry-name entry-type-req] value.
		 * We keep one MODSEQ per message, so the entry is checked
		 * for syntax and otherwise ignored.
		 */
		if (a != NULL && (a->type == IMAP_ARG_QUOTED ||
		    a->type == IMAP_ARG_LITERAL)) {
			(*i)++;
			a = *i < n ? &args[*i] : NULL;
			if (a == NULL || !(imap_arg_atom_is(a, "priv") ||
			    imap_arg_atom_is(a, "shared") || imap_arg_atom_is(a, "all")))
				return search_fail(p, "Invalid MODSEQ entry type");
			(*i)++;
			a = *i < n ? &args[*i] : NULL;
		}
		(*i)++;
		if (a == NULL || !imap_arg_number(a, INT64_MAX, &v))
			return search_fail(p, "Invalid MODSEQ value");
		k->num = v;
		p->prog->has_modseq = 1;
		return IMAP_SEARCH_OK;
	case ARG_NOT:
	case ARG_OR:
		break;
	}
	return search_fail(p, "Internal error");
}

static int
search_parse_key(struct search_parser *p, const struct imap_arg *args,
    size_t n, size_t *i, struct imap_search_key **key_r)
{
	const struct imap_arg *a = &args[*i];
	const struct search_keydef *def;
	struct imap_search_key *k, *child;
	int r, j;

	*key_r = NULL;
	if (p->depth >= IMAP_SEARCH_DEPTH_MAX)
		return search_fail(p, "Search program nested too deeply");
	if (a->type == IMAP_ARG_LIST) {
		size_t li = 0;

		if (a->list_n == 0)
			return search_fail(p, "Empty search key group");
		if ((k = search_key_new(p, IMAP_SK_AND)) == NULL)
			return search_fail(p, "Too many search keys");
		p->depth++;
		r = search_parse_keys(p, a->list, a->list_n, &li, k);
		p->depth--;
		if (r != IMAP_SEARCH_OK) {
			search_key_free(k);
			return r;
		}
		(*i)++;
		*key_r = k;
		return IMAP_SEARCH_OK;
	}
	if (a->type != IMAP_ARG_ATOM)
		return search_fail(p, "Search key expected, got a string");
	if ((def = search_keydef_find(a->str)) == NULL) {
		/* sequence-set: starts with a digit, '*' or '$' */
		if (a->len == 0 || !(a->str[0] == '*' || a->str[0] == '$' ||
		    (a->str[0] >= '0' && a->str[0] <= '9')))
			return search_fail(p, "Unknown search key %.40s", a->str);
		if ((k = search_key_new(p, IMAP_SK_SEQSET)) == NULL)
			return search_fail(p, "Too many search keys");
		if ((r = search_parse_seqset(p, a, k)) != IMAP_SEARCH_OK) {
			search_key_free(k);
			return r;
		}
		(*i)++;
		*key_r = k;
		return IMAP_SEARCH_OK;
	}
	(*i)++;
	if (def->arg == ARG_NOT || def->arg == ARG_OR) {
		if ((k = search_key_new(p, def->type)) == NULL)
			return search_fail(p, "Too many search keys");
		p->depth++;
		for (j = 0; j < (def->arg == ARG_OR ? 2 : 1); j++) {
			if (*i >= n) {
				r = search_fail(p, "Missing search key after %s", def->name);
				break;
			}
			if ((r = search_parse_key(p, args, n, i, &child)) != IMAP_SEARCH_OK)
				break;
			search_key_append(k, child);
		}
		p->depth--;
		if (r != IMAP_SEARCH_OK) {
			search_key_free(k);
			return r;
		}
		*key_r = k;
		return IMAP_SEARCH_OK;
	}
	if ((k = search_key_new(p, def->type)) == NULL)
		return search_fail(p, "Too many search keys");
	k->flags = def->flags;
	k->noflags = def->noflags;
	if ((r = search_parse_arg(p, def, args, n, i, k)) != IMAP_SEARCH_OK) {
		search_key_free(k);
		return r;
	}
	if (def->negate) {
		struct imap_search_key *not = search_key_new(p, IMAP_SK_NOT);

		if (not == NULL) {
			search_key_free(k);
			return search_fail(p, "Too many search keys");
		}
		not->child = k;
		k = not;
	}
	*key_r = k;
	return IMAP_SEARCH_OK;
}

static int
search_parse_keys(struct search_parser *p, const struct imap_arg *args,
    size_t n, size_t *i, struct imap_search_key *parent)
{
	struct imap_search_key *k;
	int r;

	while (*i < n) {
		if ((r = search_parse_key(p, args, n, i, &k)) != IMAP_SEARCH_OK)
			return r;
		search_key_append(parent, k);
	}
	return IMAP_SEARCH_OK;
}

/* RFC 4731 3.1: RETURN (MIN MAX ALL COUNT [SAVE]); "()" means ALL. */
static int
search_parse_return(struct search_parser *p, const struct imap_arg *a)
{
	size_t j;

	if (a == NULL || a->type != IMAP_ARG_LIST)
		return search_fail(p, "RETURN needs a list of options");
	p->prog->esearch = 1;
	for (j = 0; j < a->list_n; j++) {
		const struct imap_arg *o = &a->list[j];

		if (imap_arg_atom_is(o, "MIN"))
			p->prog->ret |= IMAP_SEARCH_RET_MIN;
		else if (imap_arg_atom_is(o, "MAX"))
			p->prog->ret |= IMAP_SEARCH_RET_MAX;
		else if (imap_arg_atom_is(o, "ALL"))
			p->prog->ret |= IMAP_SEARCH_RET_ALL;
		else if (imap_arg_atom_is(o, "COUNT"))
			p->prog->ret |= IMAP_SEARCH_RET_COUNT;
		else if (imap_arg_atom_is(o, "SAVE"))
			p->prog->ret |= IMAP_SEARCH_RET_SAVE;
		else
			return search_fail(p, "Unknown RETURN option");
	}
	if ((p->prog->ret & ~IMAP_SEARCH_RET_SAVE) == 0 &&
	    (p->prog->ret & IMAP_SEARCH_RET_SAVE) == 0)
		p->prog->ret = IMAP_SEARCH_RET_ALL;
	return IMAP_SEARCH_OK;
}

static void
search_mark_content(struct imap_search_key *k)
{
	struct imap_search_key *c;

	switch (k->type) {
	case IMAP_SK_SENTBEFORE:
	case IMAP_SK_SENTON:
	case IMAP_SK_SENTSINCE:
	case IMAP_SK_HEADER:
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		k->needs_content = 1;
		break;
	default:
		break;
	}
	for (c = k->child; c != NULL; c = c->next) {
		search_mark_content(c);
		if (c->needs_content)
			k->needs_content = 1;
	}
}

int
imap_search_parse(const struct imap_arg *args, size_t n_args,
    struct imap_search_program *prog, char *err, size_t errlen)
{
	struct search_parser p;
	size_t i = 0;
	int r;

	memset(prog, 0, sizeof(*prog));
	memset(&p, 0, sizeof(p));
	p.prog = prog;
	p.err = err;
	p.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (i < n_args && imap_arg_atom_is(&args[i], "RETURN")) {
		i++;
		if ((r = search_parse_return(&p, i < n_args ? &args[i] : NULL)) != 0)
			goto fail;
		i++;
	}
	if (i < n_args && imap_arg_atom_is(&args[i], "CHARSET")) {
		const char *cs;
		size_t len;

		i++;
		if (i >= n_args || (cs = imap_arg_astring(&args[i], &len)) == NULL) {
			r = search_fail(&p, "Missing CHARSET name");
			goto fail;
		}
		if (strcasecmp(cs, "UTF-8") != 0 && strcasecmp(cs, "US-ASCII") != 0) {
			(void)str_format(err, errlen, "Unsupported charset");
			r = IMAP_SEARCH_BADCHARSET;
			goto fail;
		}
		i++;
	}
	if (i >= n_args) {
		r = search_fail(&p, "Missing search key");
		goto fail;
	}
	if ((prog->root = search_key_new(&p, IMAP_SK_AND)) == NULL) {
		r = search_fail(&p, "Too many search keys");
		goto fail;
	}
	if ((r = search_parse_keys(&p, args, n_args, &i, prog->root)) != 0)
		goto fail;
	search_mark_content(prog->root);
	prog->needs_content = prog->root->needs_content;
	return IMAP_SEARCH_OK;
fail:
	imap_search_program_free(prog);
	return r;
}

void
imap_search_program_free(struct imap_search_program *prog)
{
	search_key_free(prog->root);
	memset(prog, 0, sizeof(*prog));
}
