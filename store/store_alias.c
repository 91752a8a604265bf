/*
 * store_alias.c: aliases and catch-alls: add, delete, list, and the raw
 * lookup used by recipient resolution (store_resolve.c).
 *
 * An alias maps local@domain, or "@domain" for the domain's catch-all, to
 * a list of target addresses, kept normalized (lower-case, no spaces,
 * comma-separated). Targets need not exist when the alias is added (they
 * may be added later or live in a foreign domain). Alias record, layout
 * 1: 0 u8 version (1), then the target list (no NUL).
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

#define ALIAS_LAYOUT	1

enum alias_op { ALIAS_ADD, ALIAS_DEL };

struct alias_req {
	struct store_req	 base;
	enum alias_op		 op;
	char			 address[STORE_ADDRESS_MAX];
	char			*targets;	/* normalized, ALIAS_ADD only */
};

static void
alias_req_free(struct store_req *r)
{
	struct alias_req *req = (struct alias_req *)r;

	free(req->targets);
	free(req);
}

/* The targets of an alias as a malloc'ed string, or STORE_ENOTFOUND. */
int
store_alias_get_txn(struct store *s, MDB_txn *txn, const char *address,
    char **targets_r)
{
	MDB_val k = { strlen(address), (void *)address }, v;
	const uint8_t *p;
	int rc;

	rc = mdb_get(txn, s->dbi[DB_ALIASES], &k, &v);
	if (rc != 0)
		return store_lmdb_error(rc);
	p = v.mv_data;
	if (v.mv_size < 2 || p[0] != ALIAS_LAYOUT)
		return STORE_EIO;
	*targets_r = xstrndup((const char *)p + 1, v.mv_size - 1);
	return 0;
}

/* Normalize "a@x, B@Y" into "a@x,b@y"; STORE_EINVAL on a bad target. */
static int
targets_normalize(const char *in, char **out_r)
{
	char *copy, *tok, *save = NULL, *out;
	char norm[STORE_ADDRESS_MAX];
	size_t n = 0, len;

	len = strlen(in);
	if (len == 0 || len > STORE_TARGETS_MAX)
		return STORE_EINVAL;
	copy = xstrdup(in);
	out = xmalloc(len + 1);
	out[0] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (tok[0] == '\0')
			continue;
		if (store_address_normalize(tok, norm, STORE_ADDR_STRICT,
		    NULL) != 0 || ++n > STORE_MAX_RCPT_USERS)
			goto fail;
		if (out[0] != '\0')
			str_append(out, ",", len + 1);
		/* Normalizing never lengthens a target, so it fits. */
		str_append(out, norm, len + 1);
	}
	free(copy);
	if (n == 0) {
		free(out);
		return STORE_EINVAL;
	}
	*out_r = out;
	return 0;
fail:
	free(copy);
	free(out);
	return STORE_EINVAL;
}

static int
alias_add_txn(struct store *s, MDB_txn *txn, struct alias_req *req)
{
	MDB_val k = { strlen(req->address), req->address }, v;
	const char *domain = strrchr(req->address, '@') + 1;
	size_t tlen = strlen(req->targets);
	uint8_t *rec;
	int rc;

	if ((rc = store_domain_is_local(s, txn, domain)) <= 0)
		return rc == 0 ? STORE_ENOTFOUND : rc;
	rc = store_user_get_txn(s, txn, req->address, NULL, NULL, 0);
	if (rc != STORE_ENOTFOUND)
		return rc == 0 ? STORE_EEXIST : rc;
	rec = xmalloc(tlen + 1);
	rec[0] = ALIAS_LAYOUT;
	memcpy(rec + 1, req->targets, tlen);
	v.mv_size = tlen + 1;
	v.mv_data = rec;
	rc = mdb_put(txn, s->dbi[DB_ALIASES], &k, &v, MDB_NOOVERWRITE);
	free(rec);
	return store_lmdb_error(rc);
}

static int
alias_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct alias_req *req = (struct alias_req *)r;
	MDB_val k = { strlen(req->address), req->address };

	if (req->op == ALIAS_ADD)
		return alias_add_txn(s, txn, req);
	return store_lmdb_error(mdb_del(txn, s->dbi[DB_ALIASES], &k, NULL));
}

static int
alias_write(struct store *s, enum alias_op op, const char *address,
    const char *targets)
{
	struct alias_req *req;
	char norm[STORE_ADDRESS_MAX];
	char *tnorm = NULL;
	int rc;

	if (store_address_normalize(address, norm,
	    STORE_ADDR_STRICT | STORE_ADDR_CATCHALL, NULL) != 0)
		return STORE_EINVAL;
	if (op == ALIAS_ADD) {
		if (targets == NULL)
			return STORE_EINVAL;
		if ((rc = targets_normalize(targets, &tnorm)) != 0)
			return rc;
	}
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, alias_apply, alias_req_free);
	req->op = op;
	str_copy(req->address, norm, sizeof(req->address));
	req->targets = tnorm;
	return store_submit_wait(s, &req->base);
}

int
store_alias_add(struct store *s, const char *address, const char *targets)
{
	return alias_write(s, ALIAS_ADD, address, targets);
}

int
store_alias_del(struct store *s, const char *address)
{
	return alias_write(s, ALIAS_DEL, address, NULL);
}

int
store_alias_list(struct store *s,
    int (*cb)(void *arg, const char *address, const char *targets), void *arg)
{
	char address[STORE_ADDRESS_MAX], *targets;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, err = 0, stop;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_ALIASES], &c)) != 0) {
		store_read_end(txn);
		return store_lmdb_error(rc);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size >= STORE_ADDRESS_MAX || v.mv_size < 2 ||
		    ((const uint8_t *)v.mv_data)[0] != ALIAS_LAYOUT) {
			err = STORE_EIO;
			break;
		}
		memcpy(address, k.mv_data, k.mv_size);
		address[k.mv_size] = '\0';
		targets = xstrndup((const char *)v.mv_data + 1, v.mv_size - 1);
		stop = cb(arg, address, targets);
		free(targets);
		if (stop)
			break;
	}
	mdb_cursor_close(c);
	store_read_end(txn);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}
