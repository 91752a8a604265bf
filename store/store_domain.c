/*
 * store_domain.c: the local domains: add, delete, test, list.
 *
 * A domain is local when it is in the domains DB; users and aliases may
 * only be created in a local domain. Deleting a domain that still has
 * users or aliases is refused (STORE_ENOTEMPTY) rather than leaving them
 * unreachable. Domain record, layout 1, 16 bytes: 0 u8 version (1),
 * 1..7 reserved, 8 i64 LE creation time.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"
#include "util.h"

enum domain_op { DOMAIN_ADD, DOMAIN_DEL };

struct domain_req {
	struct store_req	 base;
	enum domain_op		 op;
	char			 domain[STORE_DOMAIN_MAX + 1];
};

static int	domain_apply(struct store *s, MDB_txn *txn, struct store_req *r);

static void
domain_req_free(struct store_req *r)
{
	free(r);
}

/* 1 when domain (already lower-cased) is local, 0 when not, <0 on error. */
int
store_domain_is_local(struct store *s, MDB_txn *txn, const char *domain)
{
	MDB_val k = { strlen(domain), (void *)domain }, v;
	int rc;

	if (k.mv_size == 0 || k.mv_size > STORE_DOMAIN_MAX)
		return 0;
	rc = mdb_get(txn, s->dbi[DB_DOMAINS], &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc == 0 ? 1 : store_lmdb_error(rc);
}

/* 1 when some key of dbi ends in "@domain". */
static int
domain_in_use(struct store *s, MDB_txn *txn, enum store_db db,
    const char *domain)
{
	MDB_cursor *c;
	MDB_val k, v;
	size_t dlen = strlen(domain);
	const char *key;
	int rc, used = 0;

	if ((rc = mdb_cursor_open(txn, s->dbi[db], &c)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		key = k.mv_data;
		if (k.mv_size > dlen && key[k.mv_size - dlen - 1] == '@' &&
		    memcmp(key + k.mv_size - dlen, domain, dlen) == 0) {
			used = 1;
			break;
		}
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_error(rc);
	return used;
}

static int
domain_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct domain_req *req = (struct domain_req *)r;
	MDB_val k = { strlen(req->domain), req->domain }, v;
	uint8_t rec[STORE_DOMAIN_REC_LEN];
	int rc;

	if (req->op == DOMAIN_ADD) {
		memset(rec, 0, sizeof(rec));
		rec[0] = 1;
		store_put_le64(rec + 8, (uint64_t)time(NULL));
		v.mv_size = sizeof(rec);
		v.mv_data = rec;
		return store_lmdb_error(mdb_put(txn, s->dbi[DB_DOMAINS], &k,
		    &v, MDB_NOOVERWRITE));
	}
	if ((rc = store_domain_is_local(s, txn, req->domain)) <= 0)
		return rc == 0 ? STORE_ENOTFOUND : rc;
	if ((rc = domain_in_use(s, txn, DB_USERS, req->domain)) != 0 ||
	    (rc = domain_in_use(s, txn, DB_ALIASES, req->domain)) != 0)
		return rc == 1 ? STORE_ENOTEMPTY : rc;
	return store_lmdb_error(mdb_del(txn, s->dbi[DB_DOMAINS], &k, NULL));
}

static int
domain_write(struct store *s, const char *domain, enum domain_op op)
{
	struct domain_req *req;
	char norm[STORE_DOMAIN_MAX + 1];

	if (store_domain_normalize(domain, norm) != 0)
		return STORE_EINVAL;
	req = xmalloc(sizeof(*req));
	store_req_init(&req->base, domain_apply, domain_req_free);
	req->op = op;
	str_copy(req->domain, norm, sizeof(req->domain));
	return store_submit_wait(s, &req->base);
}

int
store_domain_add(struct store *s, const char *domain)
{
	return domain_write(s, domain, DOMAIN_ADD);
}

int
store_domain_del(struct store *s, const char *domain)
{
	return domain_write(s, domain, DOMAIN_DEL);
}

int
store_domain_exists(struct store *s, const char *domain)
{
	char norm[STORE_DOMAIN_MAX + 1];
	MDB_txn *txn;
	int rc;

	if (domain == NULL)
		return STORE_EINVAL;
	/* Adds are strict, so a name failing the check cannot be local. */
	if (store_domain_normalize(domain, norm) != 0)
		return 0;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = store_domain_is_local(s, txn, norm);
	store_read_end(txn);
	return rc;
}

int
store_domain_list(struct store *s, int (*cb)(void *arg, const char *domain),
    void *arg)
{
	char name[STORE_DOMAIN_MAX + 1];
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, err = 0;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_DOMAINS], &c)) != 0) {
		store_read_end(txn);
		return store_lmdb_error(rc);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size > STORE_DOMAIN_MAX) {
			err = STORE_EIO;
			break;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		if (cb(arg, name) != 0)
			break;
	}
	mdb_cursor_close(c);
	store_read_end(txn);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}
