/*
 * store_cache.c: the per-blob cache: opaque bytes (envelope,
 * BODYSTRUCTURE, part offsets) that mime/ computes once per message so
 * that FETCH does not parse the message again.
 *
 * The store neither builds nor reads the format; it keeps one value per
 * blob, written at delivery/APPEND (store_blob_put) or later on the first
 * FETCH of an older message (store_blob_cache_set), and deletes it with
 * the blob (store_blob_unref).
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

struct cache_req {
	struct store_req	 base;
	uint64_t		 blob_id;
	char			*data;
	size_t			 len;
};

/* Write the cache of an existing blob (replacing an older one). */
int
store_cache_put(struct store *s, MDB_txn *txn, uint64_t blob_id,
    const char *data, size_t len)
{
	uint8_t key[8];
	MDB_val k = { sizeof(key), key }, v = { len, (void *)data };

	if (len > STORE_CACHE_MAX)
		return STORE_ETOOBIG;
	store_put_be64(key, blob_id);
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_BLOB_CACHE], &k, &v, 0));
}

int
store_blob_cache_get(struct store *s, uint64_t blob_id, char **data_r,
    size_t *len_r)
{
	uint8_t key[8];
	MDB_val k = { sizeof(key), key }, v;
	MDB_txn *txn;
	int rc;

	*data_r = NULL;
	*len_r = 0;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	store_put_be64(key, blob_id);
	rc = mdb_get(txn, s->dbi[DB_BLOB_CACHE], &k, &v);
	if (rc == 0) {
		*data_r = xmalloc(v.mv_size + 1);
		if (v.mv_size > 0)
			memcpy(*data_r, v.mv_data, v.mv_size);
		(*data_r)[v.mv_size] = '\0';
		*len_r = v.mv_size;
	}
	store_read_end(txn);
	return store_lmdb_error(rc);
}

static int
cache_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct cache_req *req = (struct cache_req *)r;
	uint8_t key[8];
	MDB_val k = { sizeof(key), key }, v;
	int rc;

	/* Only for a blob that (still) exists: no orphan caches. */
	store_put_be64(key, req->blob_id);
	if ((rc = mdb_get(txn, s->dbi[DB_BLOB_REFS], &k, &v)) != 0)
		return store_lmdb_error(rc);
	return store_cache_put(s, txn, req->blob_id, req->data, req->len);
}

static void
cache_req_free(struct store_req *r)
{
	struct cache_req *req = (struct cache_req *)r;

	free(req->data);
	free(req);
}

void
store_blob_cache_set(struct store *s, uint64_t blob_id, const char *data,
    size_t len, store_done_fn done, void *arg)
{
	struct cache_req *req;

	if (data == NULL && len > 0) {
		store_submit_error(s, STORE_EINVAL, done, arg);
		return;
	}
	if (len > STORE_CACHE_MAX) {
		store_submit_error(s, STORE_ETOOBIG, done, arg);
		return;
	}
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, cache_apply, cache_req_free);
	req->blob_id = blob_id;
	req->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(req->data, data, len);
	req->len = len;
	req->base.cost = len;
	store_submit(s, &req->base, done, arg);
}
