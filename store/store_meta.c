/*
 * store_meta.c: the meta DB: schema version and the id counters.
 *
 * Counters live in the store, not in memory, and are read and bumped
 * inside the write transaction that uses them, so the daemon and the CLI
 * (another process, serialized by LMDB's write lock) never hand out the
 * same id twice. Values are u64 little-endian.
 */
#include <string.h>

#include "store_internal.h"

int
store_meta_get(struct store *s, MDB_txn *txn, const char *key, uint64_t *val_r)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc;

	rc = mdb_get(txn, s->dbi[DB_META], &k, &v);
	if (rc != 0)
		return store_lmdb_error(rc);
	if (v.mv_size != 8)
		return STORE_EIO;
	*val_r = store_get_le64(v.mv_data);
	return 0;
}

int
store_meta_put(struct store *s, MDB_txn *txn, const char *key, uint64_t val)
{
	uint8_t buf[8];
	MDB_val k = { strlen(key), (void *)key }, v = { sizeof(buf), buf };

	store_put_le64(buf, val);
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
}

/* Hand out the next id of a counter (ids start at 1 and are never reused). */
int
store_meta_next(struct store *s, MDB_txn *txn, const char *key, uint64_t *id_r)
{
	uint64_t next;
	int rc;

	rc = store_meta_get(s, txn, key, &next);
	if (rc == STORE_ENOTFOUND)
		next = 1;
	else if (rc != 0)
		return rc;
	if (next == 0 || next == UINT64_MAX)
		return STORE_EIO;
	rc = store_meta_put(s, txn, key, next + 1);
	if (rc != 0)
		return rc;
	*id_r = next;
	return 0;
}
