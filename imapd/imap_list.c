/*
 * imap_list.c: LIST and LSUB (RFC 3501 6.3.8/6.3.9), with LIST-EXTENDED
 * (RFC 5258: selection options SUBSCRIBED, REMOTE, RECURSIVEMATCH,
 * SPECIAL-USE; return options SUBSCRIBED, CHILDREN, SPECIAL-USE), LIST-STATUS
 * (RFC 5819), SPECIAL-USE (RFC 6154) and CHILDREN (RFC 3348).
 *
 * One listing of the user's mailboxes and one of the subscriptions are
 * merged into a sorted table, with the ancestors of every name added as
 * "implied" entries so that \HasChildren, \NonExistent/\Noselect parents
 * and CHILDINFO come out of one pass. Patterns are matched in UTF-8 after
 * decoding; '*' matches anything, '%' anything but the delimiter. Only the
 * logged-in user's names are ever listed: there is no other namespace.
 * Special-use attributes are sent in plain LIST and LSUB replies too
 * (Apple Mail maps folders only from those).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_core.h"
#include "util.h"

#define PATTERNS_MAX	32
#define PATTERN_LEN_MAX	(STORE_MAILBOX_NAME_MAX * 2)

#define SEL_SUBSCRIBED		0x01
#define SEL_RECURSIVEMATCH	0x02
#define SEL_SPECIAL_USE		0x04
#define RET_SUBSCRIBED		0x01
#define RET_CHILDREN		0x02
#define RET_SPECIAL_USE		0x04
#define RET_STATUS		0x08

struct list_entry {
	char			*name;
	int			 exists;
	int			 subscribed;
	int			 has_children;		/* existing descendants */
	int			 child_subscribed;	/* subscribed descendants */
	struct store_mailbox	 mb;			/* when exists */
};

struct list_table {
	struct list_entry	*e;
	size_t			 n, cap;
};

struct list_req {
	int			 lsub;
	int			 extended;
	unsigned		 sel, ret, status_items;
	char			*patterns[PATTERNS_MAX];
	size_t			 n_patterns;
};

/* ------------------------------------------------------------ matching */

/*
 * RFC 3501 6.3.8 wildcards, by dynamic programming over the name (no
 * backtracking blow-up on patterns like "*a*a*a*b").
 */
static int
list_match(const char *pat, const char *name)
{
	size_t k = strlen(name), i, j;
	unsigned char stackbuf[STORE_MAILBOX_NAME_MAX + 1], *cur = stackbuf;
	int ok;

	if (k + 1 > sizeof(stackbuf))
		return 0;
	/* cur[j]: the pattern so far matches name[0..j). */
	memset(cur, 0, k + 1);
	cur[0] = 1;
	for (i = 0; pat[i] != '\0'; i++) {
		char pc = pat[i];

		if (pc == '*') {
			for (j = 1; j <= k; j++)
				cur[j] = cur[j] || cur[j - 1];
		} else if (pc == '%') {
			for (j = 1; j <= k; j++)
				cur[j] = cur[j] || (cur[j - 1] && name[j - 1] != '/');
		} else {
			for (j = k; j > 0; j--)
				cur[j] = cur[j - 1] && name[j - 1] == pc;
			cur[0] = 0;
		}
	}
	ok = cur[k];
	return ok;
}

static int
list_match_any(const struct list_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_patterns; i++)
		if (list_match(req->patterns[i], name))
			return 1;
	return 0;
}

/* -------------------------------------------------------------- table */

static int
entry_cmp(const void *a, const void *b)
{
	const struct list_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static struct list_entry *
table_find(struct list_table *t, const char *name)
{
	struct list_entry key;

	key.name = (char *)name;
	return t->n == 0 ? NULL :
	    bsearch(&key, t->e, t->n, sizeof(*t->e), entry_cmp);
}

static struct list_entry *
table_add(struct list_table *t, const char *name)
{
	struct list_entry *e;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->e = xreallocarray(t->e, t->cap, sizeof(*t->e));
	}
	e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	return e;
}

static void
table_free(struct list_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].name);
	free(t->e);
}

static int
mailbox_cb(void *arg, const struct store_mailbox *mb)
{
	struct list_entry *e = table_add(arg, mb->name);

	e->exists = 1;
	e->mb = *mb;
	return 0;
}

static int
subscription_cb(void *arg, const char *name)
{
	struct list_entry *e = table_add(arg, name);

	e->subscribed = 1;
	return 0;
}

/* Merge duplicates (a mailbox that is also subscribed) after sorting. */
static void
table_merge(struct list_table *t)
{
	size_t i, w = 0;

	qsort(t->e, t->n, sizeof(*t->e), entry_cmp);
	for (i = 0; i < t->n; i++) {
		if (w > 0 && strcmp(t->e[w - 1].name, t->e[i].name) == 0) {
			struct list_entry *d = &t->e[w - 1];

			if (t->e[i].exists) {
				d->exists = 1;
				d->mb = t->e[i].mb;
			}
			d->subscribed |= t->e[i].subscribed;
			free(t->e[i].name);
			continue;
		}
		t->e[w++] = t->e[i];
	}
	t->n = w;
}

/* Every ancestor gets an entry, then learns about its descendants. */
static void
table_add_ancestors(struct list_table *t)
{
	char parent[STORE_MAILBOX_NAME_MAX];
	size_t i, n = t->n;
	char *p;

	for (i = 0; i < n; i++) {
		str_copy(parent, t->e[i].name, sizeof(parent));
		while ((p = strrchr(parent, '/')) != NULL) {
			*p = '\0';
			table_add(t, parent);
		}
	}
	table_merge(t);
	for (i = 0; i < t->n; i++) {
		struct list_entry *e = &t->e[i];

		if (!e->exists && !e->subscribed)
			continue;
		str_copy(parent, e->name, sizeof(parent));
		while ((p = strrchr(parent, '/')) != NULL) {
			struct list_entry *a;

			*p = '\0';
			a = table_find(t, parent);
			if (a == NULL)
				continue;
			if (e->exists)
				a->has_children = 1;
			if (e->subscribed)
				a->child_subscribed = 1;
		}
	}
}

/* ------------------------------------------------------------- options */

static int
parse_selection(const struct imap_arg *a, struct list_req *req)
{
	size_t i;

	for (i = 0; i < a->list_n; i++) {
		const struct imap_arg *o = &a->list[i];

		if (imap_arg_atom_is(o, "SUBSCRIBED"))
			req->sel |= SEL_SUBSCRIBED;
		else if (imap_arg_atom_is(o, "RECURSIVEMATCH"))
			req->sel |= SEL_RECURSIVEMATCH;
		else if (imap_arg_atom_is(o, "SPECIAL-USE"))
			req->sel |= SEL_SPECIAL_USE;
		else if (imap_arg_atom_is(o, "REMOTE"))
			continue;	/* no remote mailboxes here */
		else
			return -1;
	}
	/* RFC 5258 3.1: RECURSIVEMATCH alone is an error. */
	if ((req->sel & SEL_RECURSIVEMATCH) && !(req->sel & SEL_SUBSCRIBED))
		return -1;
	return 0;
}

static int
parse_return(const struct imap_arg *a, struct list_req *req)
{
	size_t i;

	if (a->type != IMAP_ARG_LIST)
		return -1;
	for (i = 0; i < a->list_n; i++) {
		const struct imap_arg *o = &a->list[i];

		if (imap_arg_atom_is(o, "SUBSCRIBED"))
			req->ret |= RET_SUBSCRIBED;
		else if (imap_arg_atom_is(o, "CHILDREN"))
			req->ret |= RET_CHILDREN;
		else if (imap_arg_atom_is(o, "SPECIAL-USE"))
			req->ret |= RET_SPECIAL_USE;
		else if (imap_arg_atom_is(o, "STATUS") && i + 1 < a->list_n) {
			if (imap_status_parse_items(&a->list[++i], &req->status_items) < 0)
				return -1;
			req->ret |= RET_STATUS;
		} else
			return -1;
	}
	return 0;
}

/* Reference + pattern into one UTF-8 pattern (mUTF-7 decoded). */
static int
pattern_add(struct imap_session *s, struct list_req *req, const char *ref,
    size_t rlen, const struct imap_arg *a)
{
	char joined[PATTERN_LEN_MAX], *out;
	const char *pat;
	size_t plen;

	pat = imap_arg_astring(a, &plen);
	if (pat == NULL || req->n_patterns >= PATTERNS_MAX)
		return -1;
	if (rlen + plen + 1 > sizeof(joined))
		return -1;
	memcpy(joined, ref, rlen);
	memcpy(joined + rlen, pat, plen);
	joined[rlen + plen] = '\0';
	out = xmalloc(sizeof(joined) * 2);
	if (imap_utf8_enabled(s)) {
		if (!imap_utf8_valid(joined, rlen + plen))
			out[0] = '\0';
		else
			str_copy(out, joined, sizeof(joined) * 2);
	} else if (imap_utf7_to_utf8(joined, rlen + plen, out, sizeof(joined) * 2) < 0) {
		/* Raw UTF-8 from a client that did not enable it. */
		if (imap_utf8_valid(joined, rlen + plen) && strchr(joined, '&') == NULL)
			str_copy(out, joined, sizeof(joined) * 2);
		else
			out[0] = '\1';	/* matches nothing */
	}
	/* INBOX is case-insensitive (RFC 3501 5.1). */
	if (strncasecmp(out, "INBOX", 5) == 0 && (out[5] == '\0' || out[5] == '/'))
		memcpy(out, "INBOX", 5);
	req->patterns[req->n_patterns++] = out;
	return 0;
}

/* --------------------------------------------------------------- output */

static const char *
special_use_attr(int su)
{
	switch (su) {
	case SPECIAL_USE_SENT:
		return "\\Sent";
	case SPECIAL_USE_DRAFTS:
		return "\\Drafts";
	case SPECIAL_USE_TRASH:
		return "\\Trash";
	case SPECIAL_USE_JUNK:
		return "\\Junk";
	case SPECIAL_USE_ARCHIVE:
		return "\\Archive";
	case SPECIAL_USE_ALL:
		return "\\All";
	case SPECIAL_USE_FLAGGED:
		return "\\Flagged";
	default:
		return NULL;
	}
}

static void
attr_add(char *buf, size_t size, const char *attr)
{
	if (buf[0] != '\0')
		str_append(buf, " ", size);
	str_append(buf, attr, size);
}

static void
list_send(struct imap_session *s, const struct list_req *req,
    const struct list_entry *e, int childinfo)
{
	char attrs[160];
	const char *su;

	attrs[0] = '\0';
	if (!e->exists)
		attr_add(attrs, sizeof(attrs), req->extended && !req->lsub ?
		    "\\NonExistent" : "\\Noselect");
	if (!req->lsub && (e->exists || e->has_children))
		attr_add(attrs, sizeof(attrs), e->has_children ?
		    "\\HasChildren" : "\\HasNoChildren");
	if (!req->lsub && e->subscribed &&
	    ((req->sel & SEL_SUBSCRIBED) || (req->ret & RET_SUBSCRIBED)))
		attr_add(attrs, sizeof(attrs), "\\Subscribed");
	if (e->exists && (su = special_use_attr(e->mb.special_use)) != NULL)
		attr_add(attrs, sizeof(attrs), su);
	imap_out_printf(s, "* %s (%s) \"/\" ", req->lsub ? "LSUB" : "LIST", attrs);
	imap_out_mailbox(s, e->name);
	if (childinfo)
		imap_out_printf(s, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	imap_out_crlf(s);
	if ((req->ret & RET_STATUS) && e->exists)
		imap_status_send(s, &e->mb, req->status_items);
}

/* Is some existing (or subscribed, for LSUB) descendant not matched itself? */
static int
descendant_unmatched(const struct list_req *req, const struct list_table *t,
    const struct list_entry *e, int want_subscribed)
{
	size_t i, l = strlen(e->name);

	for (i = 0; i < t->n; i++) {
		const struct list_entry *d = &t->e[i];

		if (strncmp(d->name, e->name, l) != 0 || d->name[l] != '/')
			continue;
		if (want_subscribed ? !d->subscribed : !d->exists)
			continue;
		if (!list_match_any(req, d->name))
			return 1;
	}
	return 0;
}

static void
list_entry_consider(struct imap_session *s, const struct list_req *req,
    const struct list_table *t, const struct list_entry *e)
{
	int childinfo = 0;

	if (!list_match_any(req, e->name))
		return;
	if (req->sel & SEL_SPECIAL_USE) {
		if (!e->exists || special_use_attr(e->mb.special_use) == NULL)
			return;
	}
	if (req->lsub) {
		/* RFC 3501 6.3.9: a parent of a subscribed name matched by '%'. */
		if (!e->subscribed &&
		    !(e->child_subscribed && descendant_unmatched(req, t, e, 1)))
			return;
		list_send(s, req, e, 0);
		return;
	}
	if (req->sel & SEL_SUBSCRIBED) {
		/* RFC 5258 4: RECURSIVEMATCH reports parents of subscribed names. */
		if (req->sel & SEL_RECURSIVEMATCH)
			childinfo = e->child_subscribed;
		if (!e->subscribed && !childinfo)
			return;
		list_send(s, req, e, childinfo);
		return;
	}
	if (!e->exists) {
		/* An implied parent, only where its children are not listed. */
		if (!e->has_children || !descendant_unmatched(req, t, e, 0))
			return;
	}
	list_send(s, req, e, 0);
}

/* ---------------------------------------------------------------- LIST */

static void
list_req_free(struct list_req *req)
{
	size_t i;

	for (i = 0; i < req->n_patterns; i++)
		free(req->patterns[i]);
}

static int
list_parse(struct imap_cmd *cmd, struct list_req *req)
{
	struct imap_session *s = cmd->s;
	const struct imap_arg *args = cmd->args;
	size_t n = cmd->n_args, i = 0, k;
	const char *ref;
	size_t rlen;

	if (!req->lsub && n > 0 && args[0].type == IMAP_ARG_LIST) {
		req->extended = 1;
		if (parse_selection(&args[0], req) < 0)
			return -1;
		i++;
	}
	if (n < i + 2)
		return -1;
	ref = imap_arg_astring(&args[i], &rlen);
	if (ref == NULL)
		return -1;
	i++;
	if (!req->lsub && args[i].type == IMAP_ARG_LIST) {
		req->extended = 1;
		if (args[i].list_n == 0)
			return -1;
		for (k = 0; k < args[i].list_n; k++)
			if (pattern_add(s, req, ref, rlen, &args[i].list[k]) < 0)
				return -1;
	} else if (pattern_add(s, req, ref, rlen, &args[i]) < 0)
		return -1;
	i++;
	if (!req->lsub && i + 2 == n && imap_arg_atom_is(&args[i], "RETURN")) {
		req->extended = 1;
		if (parse_return(&args[i + 1], req) < 0)
			return -1;
		i += 2;
	}
	return i == n ? 0 : -1;
}

int
cmd_list(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	struct list_req req;
	struct list_table t;
	size_t i;
	int r;

	memset(&req, 0, sizeof(req));
	req.lsub = strcmp(cmd->name, "LSUB") == 0;
	if (list_parse(cmd, &req) < 0) {
		list_req_free(&req);
		imap_send_tagged(cmd, "BAD", NULL, "Invalid %s arguments.", cmd->name);
		return 1;
	}
	/* RFC 3501 6.3.8: an empty pattern asks for the delimiter. */
	if (!req.lsub && req.n_patterns == 1 && req.patterns[0][0] == '\0' &&
	    !(req.sel & SEL_SUBSCRIBED)) {
		imap_send_untagged(s, "LIST (\\Noselect) \"/\" \"\"");
		list_req_free(&req);
		imap_send_tagged(cmd, "OK", NULL, "List completed.");
		return 1;
	}
	memset(&t, 0, sizeof(t));
	r = store_mailbox_list(s->store, s->user.id, mailbox_cb, &t);
	if (r >= 0)
		r = store_subscription_list(s->store, s->user.id, subscription_cb, &t);
	if (r < 0) {
		table_free(&t);
		list_req_free(&req);
		imap_send_store_error(cmd, r, cmd->name);
		return 1;
	}
	table_merge(&t);
	table_add_ancestors(&t);
	/* INBOX first, as clients show it. */
	{
		struct list_entry *inbox = table_find(&t, "INBOX");

		if (inbox != NULL)
			list_entry_consider(s, &req, &t, inbox);
	}
	for (i = 0; i < t.n; i++)
		if (strcmp(t.e[i].name, "INBOX") != 0)
			list_entry_consider(s, &req, &t, &t.e[i]);
	table_free(&t);
	list_req_free(&req);
	imap_send_tagged(cmd, "OK", NULL, "%s completed.",
	    req.lsub ? "Lsub" : "List");
	return 1;
}
