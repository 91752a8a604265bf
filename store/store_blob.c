/*
 * store_blob.c: message bodies: one stored copy of a message's raw bytes
 * shared by every local recipient, with a reference count.
 *
 * blobs holds the bytes (LMDB puts large values on overflow pages, so a
 * blob is written once and read with one copy); blob_refs holds the count,
 * kept apart so that a flag-only change never rewrites a big value. A blob
 * is deleted, with its cache (store_cache.c), in the transaction that
 * drops its last reference. Blob ids come from the meta counter and are
 * never reused.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_internal.h"
#include "util.h"

/* Store data as a new blob with refs references (and its cache, if any). */
int
store_blob_put(struct store *s, MDB_txn *txn, const char *data, size_t len,
    uint32_t refs, const char *cache, size_t cache_len, uint64_t *blob_id_r)
{
	uint8_t key[8], count[4];
	MDB_val k = { sizeof(key), key }, v;
	uint64_t id;
	int rc;

	if (len > STORE_BLOB_MAX || refs == 0)
		return STORE_ETOOBIG;
	if ((rc = store_meta_next(s, txn, META_NEXT_BLOB_ID, &id)) != 0)
		return rc;
	store_put_be64(key, id);
	v.mv_size = len;
	v.mv_data = (void *)data;
	if ((rc = mdb_put(txn, s->dbi[DB_BLOBS], &k, &v, MDB_NOOVERWRITE)) != 0)
		return store_lmdb_error(rc);
	store_put_le32(count, refs);
	v.mv_size = sizeof(count);
	v.mv_data = count;
	if ((rc = mdb_put(txn, s->dbi[DB_BLOB_REFS], &k, &v,
	    MDB_NOOVERWRITE)) != 0)
		return store_lmdb_error(rc);
	if (cache != NULL && (rc = store_cache_put(s, txn, id, cache,
	    cache_len)) != 0)
		return rc;
	*blob_id_r = id;
	return 0;
}

/* One more message uses the blob (COPY). */
int
store_blob_ref(struct store *s, MDB_txn *txn, uint64_t blob_id)
{
	uint8_t key[8], count[4];
	MDB_val k = { sizeof(key), key }, v;
	uint32_t refs;
	int rc;

	store_put_be64(key, blob_id);
	rc = mdb_get(txn, s->dbi[DB_BLOB_REFS], &k, &v);
	if (rc == MDB_NOTFOUND) {
		/* A message without its blob: do not spread the damage. */
		log_warn("store: blob %llu has no reference count",
		    (unsigned long long)blob_id);
		return STORE_EIO;
	}
	if (rc != 0)
		return store_lmdb_error(rc);
	if (v.mv_size != sizeof(count))
		return STORE_EIO;
	refs = store_get_le32(v.mv_data);
	if (refs == UINT32_MAX)
		return STORE_ETOOBIG;
	store_put_le32(count, refs + 1);
	v.mv_size = sizeof(count);
	v.mv_data = count;
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_BLOB_REFS], &k, &v, 0));
}

/* Drop one reference; the blob goes with its last one. */
int
store_blob_unref(struct store *s, MDB_txn *txn, uint64_t blob_id)
{
	uint8_t key[8], count[4];
	MDB_val k = { sizeof(key), key }, v;
	uint32_t refs;
	int rc;

	store_put_be64(key, blob_id);
	rc = mdb_get(txn, s->dbi[DB_BLOB_REFS], &k, &v);
	if (rc == MDB_NOTFOUND) {
		/* Already inconsistent; `posthorn check` reports it. */
		log_warn("store: blob %llu has no reference count",
		    (unsigned long long)blob_id);
		return 0;
	}
	if (rc != 0)
		return store_lmdb_error(rc);
	if (v.mv_size != sizeof(count))
		return STORE_EIO;
	refs = store_get_le32(v.mv_data);
	if (refs > 1) {
		store_put_le32(count, refs - 1);
		v.mv_size = sizeof(count);
		v.mv_data = count;
		return store_lmdb_error(mdb_put(txn, s->dbi[DB_BLOB_REFS], &k,
		    &v, 0));
	}
	if ((rc = mdb_del(txn, s->dbi[DB_BLOB_REFS], &k, NULL)) != 0)
		return store_lmdb_error(rc);
	rc = mdb_del(txn, s->dbi[DB_BLOBS], &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_error(rc);
	rc = mdb_del(txn, s->dbi[DB_BLOB_CACHE], &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

int
store_blob_read(struct store *s, uint64_t blob_id, char **data_r,
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
	rc = mdb_get(txn, s->dbi[DB_BLOBS], &k, &v);
	if (rc == 0) {
		/* +1 so an empty blob still gets a buffer the caller frees. */
		*data_r = xmalloc(v.mv_size + 1);
		memcpy(*data_r, v.mv_data, v.mv_size);
		(*data_r)[v.mv_size] = '\0';
		*len_r = v.mv_size;
	}
	store_read_end(txn);
	return store_lmdb_error(rc);
}
