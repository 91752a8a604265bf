/*
 * store_resolve.c: envelope recipient resolution: an address to the local
 * users that receive its mail.
 *
 * Order (like Postfix's virtual maps): an exact user; else an exact alias,
 * whose targets are resolved the same way; else the "@domain" catch-all.
 * Expansion is depth-limited and every address is expanded at most once,
 * so alias loops end quietly instead of failing delivery. Targets in a
 * foreign domain are skipped for now (forwarding comes with the outbound
 * queue). It only reads; it never decides about relaying.
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
		if (rc == 0)
			continue;	/* foreign target: no forwarding yet */
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
 * Resolve a normalized address inside txn. catchall = 0 skips catch-alls
 * (logins). Returns 0 with *n_r >= 1, STORE_ENOTFOUND, 1 for a foreign
 * domain, or <0.
 */
int
store_resolve_txn(struct store *s, MDB_txn *txn, const char *address,
    int catchall, uint64_t *ids, size_t max, size_t *n_r)
{
	struct resolve r;
	size_t i;
	int rc;

	*n_r = 0;
	rc = store_domain_is_local(s, txn, strrchr(address, '@') + 1);
	if (rc <= 0)
		return rc == 0 ? 1 : rc;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.txn = txn;
	r.catchall = catchall;
	r.ids = ids;
	r.max = max;
	r.seen = xreallocarray(NULL, RESOLVE_NODES_MAX, sizeof(*r.seen));
	rc = expand(&r, address, 0);
	for (i = 0; i < r.n_seen; i++)
		free(r.seen[i]);
	free(r.seen);
	if (rc != 0)
		return rc;
	*n_r = r.n;
	return r.n > 0 ? 0 : STORE_ENOTFOUND;
}

int
store_resolve_rcpt(struct store *s, const char *address, uint64_t *ids,
    size_t max, size_t *n_r)
{
	char norm[STORE_ADDRESS_MAX];
	MDB_txn *txn;
	int rc;

	*n_r = 0;
	if (ids == NULL || max == 0 ||
	    store_address_normalize(address, norm, 0, NULL) != 0)
		return STORE_EINVAL;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = store_resolve_txn(s, txn, norm, 1, ids, max, n_r);
	store_read_end(txn);
	return rc;
}
