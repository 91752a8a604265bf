/*
 * store_resolve.c: envelope recipient resolution: an address to the local
 * users that receive its mail.
 *
 * Order (like Postfix's virtual maps): an exact user; else an exact alias,
 * whose targets are resolved the same way; else the "@domain" catch-all.
 * Expansion is depth-limited and every address is expanded at most once,
 * so alias loops end quietly instead of failing delivery. Targets in a
 * foreign domain are collected (deduplicated) when the caller asks for
 * them (store_resolve_rcpt_targets: forwarding through the outbound
 * queue) and skipped otherwise (store_resolve_rcpt, logins). It only
 * reads; it never decides about relaying.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

#define RESOLVE_DEPTH_MAX	16
#define RESOLVE_NODES_MAX	1024	/* addresses expanded per lookup */

struct resolve {
	struct store	*s;
	MDB_txn		*txn;
	int		 catchall;
	uint64_t	*ids;
	size_t		 max;
	size_t		 n;
	char		(*foreign)[STORE_ADDRESS_MAX];	/* NULL: skip them */
	size_t		 max_foreign;
	size_t		 n_foreign;
	char		**seen;
	size_t		 n_seen;
};

static int	expand(struct resolve *r, const char *address, int depth);

/* Mark address as expanded; 0 when it already was (or the budget is spent). */
static int
mark_seen(struct resolve *r, const char *address)
{
	size_t i;

	for (i = 0; i < r->n_seen; i++)
		if (strcmp(r->seen[i], address) == 0)
			return 0;
	if (r->n_seen == RESOLVE_NODES_MAX)
		return 0;
	r->seen[r->n_seen++] = xstrdup(address);
	return 1;
}

static void
add_id(struct resolve *r, uint64_t id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->ids[i] == id)
			return;
	if (r->n < r->max)
		r->ids[r->n++] = id;
}

static void
add_foreign(struct resolve *r, const char *address)
{
	size_t i;

	if (r->foreign == NULL)
		return;
	for (i = 0; i < r->n_foreign; i++)
		if (strcmp(r->foreign[i], address) == 0)
			return;
	if (r->n_foreign < r->max_foreign)
		str_copy(r->foreign[r->n_foreign++], address,
		    STORE_ADDRESS_MAX);
}

static int
expand_targets(struct resolve *r, char *targets, int depth)
{
	char *tok, *save = NULL;
	const char *domain;
	int rc;

	for (tok = strtok_r(targets, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		domain = strrchr(tok, '@');
		if (domain == NULL)
			continue;
		rc = store_domain_is_local(r->s, r->txn, domain + 1);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			add_foreign(r, tok);	/* stored normalized */
			continue;
		}
		if ((rc = expand(r, tok, depth + 1)) != 0)
			return rc;
	}
	return 0;
}

/* Expand one normalized address of a local domain into r->ids. */
static int
expand(struct resolve *r, const char *address, int depth)
{
	char catchall[STORE_ADDRESS_MAX], *targets;
	uint64_t id;
	int rc;

	if (depth > RESOLVE_DEPTH_MAX || !mark_seen(r, address))
		return 0;
	rc = store_user_get_txn(r->s, r->txn, address, &id, NULL, 0);
	if (rc == 0) {
		add_id(r, id);
		return 0;
	}
	if (rc != STORE_ENOTFOUND)
		return rc;
	rc = store_alias_get_txn(r->s, r->txn, address, &targets);
	if (rc == STORE_ENOTFOUND && r->catchall && address[0] != '@') {
		str_copy(catchall, strrchr(address, '@'), sizeof(catchall));
		if (!mark_seen(r, catchall))
			return 0;
		rc = store_alias_get_txn(r->s, r->txn, catchall, &targets);
	}
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	rc = expand_targets(r, targets, depth);
	free(targets);
	return rc;
}

/*
 * Resolve a normalized address inside txn, collecting foreign alias
 * targets into foreign[] (NULL: skip them). Returns 0 when a local user
 * or a foreign target was found, STORE_ENOTFOUND, 1 for a foreign domain,
 * or <0.
 */
static int
resolve_txn(struct resolve *r, const char *address)
{
	size_t i;
	int rc;

	rc = store_domain_is_local(r->s, r->txn, strrchr(address, '@') + 1);
	if (rc <= 0)
		return rc == 0 ? 1 : rc;
	r->seen = xreallocarray(NULL, RESOLVE_NODES_MAX, sizeof(*r->seen));
	rc = expand(r, address, 0);
	for (i = 0; i < r->n_seen; i++)
		free(r->seen[i]);
	free(r->seen);
	if (rc != 0)
		return rc;
	return r->n > 0 || r->n_foreign > 0 ? 0 : STORE_ENOTFOUND;
}

/*
 * Resolve a normalized address inside txn. catchall = 0 skips catch-alls
 * (logins). Returns 0 with *n_r >= 1, STORE_ENOTFOUND, 1 for a foreign
 * domain, or <0.
 */
int
store_resolve_txn(struct store *s, MDB_txn *txn, const char *address,
    int catchall, uint64_t *ids, size_t max, size_t *n_r)
{
	struct resolve r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.s = s;
	r.txn = txn;
	r.catchall = catchall;
	r.ids = ids;
	r.max = max;
	rc = resolve_txn(&r, address);
	*n_r = rc == 0 ? r.n : 0;
	return rc;
}

int
store_resolve_rcpt_targets(struct store *s, const char *address,
    uint64_t *ids, size_t max, size_t *n_r,
    char (*foreign)[STORE_ADDRESS_MAX], size_t max_foreign,
    size_t *n_foreign_r)
{
	char norm[STORE_ADDRESS_MAX];
	struct resolve r;
	int rc;

	*n_r = 0;
	if (n_foreign_r != NULL)
		*n_foreign_r = 0;
	if (ids == NULL || max == 0 || (foreign == NULL && max_foreign > 0) ||
	    store_address_normalize(address, norm, 0, NULL) != 0)
		return STORE_EINVAL;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.catchall = 1;
	r.ids = ids;
	r.max = max;
	r.foreign = max_foreign > 0 ? foreign : NULL;
	r.max_foreign = max_foreign;
	if ((rc = store_read_begin(s, &r.txn)) != 0)
		return rc;
	rc = resolve_txn(&r, norm);
	store_read_end(r.txn);
	if (rc != 0)
		return rc;
	*n_r = r.n;
	if (n_foreign_r != NULL)
		*n_foreign_r = r.n_foreign;
	return 0;
}

/* Local users only: foreign alias targets are not asked for. */
int
store_resolve_rcpt(struct store *s, const char *address, uint64_t *ids,
    size_t max, size_t *n_r)
{
	return store_resolve_rcpt_targets(s, address, ids, max, n_r, NULL, 0,
	    NULL);
}
