/*
 * imap_search_eval.c: does one message match a SEARCH program?
 *
 * Keys on metadata (flags, keywords, sizes, dates, MODSEQ, sequence sets)
 * are decided from struct imap_search_msg alone. Keys on content (HEADER,
 * FROM..., BODY, TEXT, SENT*) load the message once through the caller's
 * loader and match decoded text (RFC 2047 words, base64/QP bodies, other
 * charsets converted to UTF-8, case-insensitive) with mime/'s matchers.
 * Within AND and OR the cheap keys run first, so a content key is only
 * evaluated when the answer still depends on it.
 * It does not know about sessions or the store.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_search.h"
#include "mime.h"
#include "util.h"

struct imap_search_content {
	int			 state;		/* 0 not loaded, 1 loaded, -1 failed */
	const char		*data;
	size_t			 len;
	size_t			 hdr_len;	/* top-level header incl. blank line */
	struct mime_part	*root;		/* parsed on first BODY/TEXT */
	int			 sent_known;	/* 0 not computed, 1 yes, -1 none */
	int64_t			 sent_day;
};

static void	 bind_key(struct imap_search_key *k, uint32_t max_msn,
		    uint32_t max_uid, const char names[][STORE_KEYWORD_LEN],
		    int n_names);
static int	 eval_key(const struct imap_search_key *k, struct imap_search_msg *m);
static int	 eval_children(const struct imap_search_key *k,
		    struct imap_search_msg *m, int is_or);
static int	 eval_content(const struct imap_search_key *k, struct imap_search_msg *m);
static int	 content_load(struct imap_search_msg *m);
static size_t	 header_length(const char *data, size_t len);
static int	 sent_day(struct imap_search_msg *m, int64_t *day_r);

/* Recursion is bounded by the parser's IMAP_SEARCH_DEPTH_MAX. */
static void
bind_key(struct imap_search_key *k, uint32_t max_msn, uint32_t max_uid,
    const char names[][STORE_KEYWORD_LEN], int n_names)
{
	struct imap_search_key *c;
	int i;

	switch (k->type) {
	case IMAP_SK_SEQSET:
		imap_seqset_resolve(&k->set, max_msn);
		break;
	case IMAP_SK_UID:
		imap_seqset_resolve(&k->set, max_uid);
		break;
	case IMAP_SK_KEYWORD:
		k->kw_bit = -1;
		for (i = 0; i < n_names; i++)
			if (strcasecmp(names[i], k->str) == 0) {
				k->kw_bit = i;
				break;
			}
		break;
	default:
		break;
	}
	for (c = k->child; c != NULL; c = c->next)
		bind_key(c, max_msn, max_uid, names, n_names);
}

/* Recursion is bounded by the parser's IMAP_SEARCH_DEPTH_MAX. */
static void
bind_last_result(struct imap_search_key *k, const uint32_t *uids, size_t n)
{
	struct imap_search_key *c;
	size_t i;

	if ((k->type == IMAP_SK_SEQSET || k->type == IMAP_SK_UID) && k->set.last_result) {
		k->type = IMAP_SK_UID;
		k->set.last_result = 0;
		for (i = 0; i < n; i++)
			imap_seqset_add(&k->set, uids[i], uids[i]);
	}
	for (c = k->child; c != NULL; c = c->next)
		bind_last_result(c, uids, n);
}

void
imap_search_bind_last_result(struct imap_search_program *prog,
    const uint32_t *uids, size_t n)
{
	if (prog->root != NULL)
		bind_last_result(prog->root, uids, n);
}

void
imap_search_bind(struct imap_search_program *prog, uint32_t max_msn,
    uint32_t max_uid, const char names[][STORE_KEYWORD_LEN], int n_names)
{
	if (prog->root != NULL)
		bind_key(prog->root, max_msn, max_uid, names, n_names);
}

/*
 * The header ends at the first empty line (CRLF CRLF or LF LF); a message
 * without one is all header (RFC 5322 allows no body).
 */
static size_t
header_length(const char *data, size_t len)
{
	size_t i;

	if (len >= 2 && data[0] == '\r' && data[1] == '\n')
		return 2;
	if (len >= 1 && data[0] == '\n')
		return 1;
	for (i = 0; i + 1 < len; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return i + 2;
		if (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

static int
content_load(struct imap_search_msg *m)
{
	struct imap_search_content *c = m->content;

	if (c == NULL)
		c = m->content = xcalloc(1, sizeof(*c));
	if (c->state == 0) {
		if (m->load == NULL || m->load(m->load_arg, &c->data, &c->len) < 0) {
			c->state = -1;
			return -1;
		}
		c->hdr_len = header_length(c->data, c->len);
		c->state = 1;
	}
	return c->state;
}

/*
 * SENT*: the day of the Date: header in its own zone (RFC 3501 6.4.4
 * "disregarding time and timezone"); a message without a usable Date:
 * falls back to its internal date, as Dovecot does.
 */
static int
sent_day(struct imap_search_msg *m, int64_t *day_r)
{
	struct imap_search_content *c = m->content;
	struct mime_header_field f;
	int64_t t;
	int tz;

	if (c->sent_known == 0) {
		c->sent_known = -1;
		if (mime_header_get(c->data, c->hdr_len, "Date", &f) &&
		    mime_parse_date(f.value, f.value_len, &t, &tz) == 0) {
			c->sent_day = imap_search_day_of(t, tz);
			c->sent_known = 1;
		}
	}
	*day_r = c->sent_known == 1 ? c->sent_day :
	    imap_search_day_of(m->internaldate, 0);
	return 0;
}

static int
eval_content(const struct imap_search_key *k, struct imap_search_msg *m)
{
	struct imap_search_content *c;
	int64_t day;

	if (content_load(m) < 0)
		return -1;
	c = m->content;
	switch (k->type) {
	case IMAP_SK_SENTBEFORE:
		(void)sent_day(m, &day);
		return day < k->day;
	case IMAP_SK_SENTON:
		(void)sent_day(m, &day);
		return day == k->day;
	case IMAP_SK_SENTSINCE:
		(void)sent_day(m, &day);
		return day >= k->day;
	case IMAP_SK_HEADER:
		return mime_search_header(c->data, c->hdr_len, k->str2, k->str);
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		if (k->str_len == 0)
			return 1;
		if (c->root == NULL && mime_parse(c->data, c->len, &c->root) < 0)
			return -1;
		return mime_search_text(c->data, c->len, c->root,
		    k->type == IMAP_SK_BODY ? MIME_SEARCH_BODY : MIME_SEARCH_TEXT,
		    k->str);
	default:
		return 0;
	}
}

/* AND (is_or = 0) or OR of k's children: cheap ones first. */
static int
eval_children(const struct imap_search_key *k, struct imap_search_msg *m,
    int is_or)
{
	const struct imap_search_key *c;
	int pass, r;

	for (pass = 0; pass < 2; pass++) {
		for (c = k->child; c != NULL; c = c->next) {
			if (c->needs_content != pass)
				continue;
			if ((r = eval_key(c, m)) < 0)
				return r;
			if (r == is_or)
				return is_or;
		}
	}
	return !is_or;
}

static int
eval_key(const struct imap_search_key *k, struct imap_search_msg *m)
{
	int64_t day;
	int r;

	switch (k->type) {
	case IMAP_SK_ALL:
		return 1;
	case IMAP_SK_AND:
		return eval_children(k, m, 0);
	case IMAP_SK_OR:
		return eval_children(k, m, 1);
	case IMAP_SK_NOT:
		if (k->child == NULL)
			return 1;
		r = eval_key(k->child, m);
		return r < 0 ? r : !r;
	case IMAP_SK_SEQSET:
		return imap_seqset_contains(&k->set, m->msn);
	case IMAP_SK_UID:
		return imap_seqset_contains(&k->set, m->uid);
	case IMAP_SK_FLAGS:
		return (m->flags & k->flags) == k->flags &&
		    (m->flags & k->noflags) == 0;
	case IMAP_SK_KEYWORD:
		return k->kw_bit >= 0 && k->kw_bit < 64 &&
		    (m->keywords & ((uint64_t)1 << k->kw_bit)) != 0;
	case IMAP_SK_BEFORE:
	case IMAP_SK_ON:
	case IMAP_SK_SINCE:
		day = imap_search_day_of(m->internaldate, 0);
		if (k->type == IMAP_SK_BEFORE)
			return day < k->day;
		if (k->type == IMAP_SK_ON)
			return day == k->day;
		return day >= k->day;
	case IMAP_SK_LARGER:
		return m->size > k->num;
	case IMAP_SK_SMALLER:
		return m->size < k->num;
	case IMAP_SK_OLDER:
		/* RFC 5032: strictly older than num seconds */
		return m->now - m->internaldate > (int64_t)k->num;
	case IMAP_SK_YOUNGER:
		return m->now - m->internaldate <= (int64_t)k->num;
	case IMAP_SK_MODSEQ:
		return m->modseq >= k->num;
	case IMAP_SK_SENTBEFORE:
	case IMAP_SK_SENTON:
	case IMAP_SK_SENTSINCE:
	case IMAP_SK_HEADER:
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		return eval_content(k, m);
	}
	return 0;
}

int
imap_search_eval(const struct imap_search_program *prog,
    struct imap_search_msg *m)
{
	if (prog->root == NULL)
		return 0;
	return eval_key(prog->root, m);
}

void
imap_search_msg_clear(struct imap_search_msg *m)
{
	if (m->content != NULL) {
		mime_free(&m->content->root);
		free(m->content);
		m->content = NULL;
	}
}
