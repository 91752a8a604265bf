/*
 * store_queue.c: reads of the outbound queue: one entry, every entry,
 * the due entries from the schedule, and the counts.
 *
 * Each read is one short read-only transaction, like every store read.
 * store_queue_due walks the queue_due index from its first key and stops
 * at the first entry not yet due (or at max): its cost does not grow with
 * the size of the queue. Writes are in store_queue_write.c and
 * store_queue_admin.c.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

int
store_queue_get(struct store *s, uint64_t id, struct store_queue_entry *e_r)
{
	MDB_txn *txn;
	int rc;

	if (e_r == NULL)
		return STORE_EINVAL;
	memset(e_r, 0, sizeof(*e_r));
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = store_queue_load(s, txn, id, e_r);
	store_read_end(txn);
	return rc;
}

int
store_queue_list(struct store *s,
    int (*cb)(void *arg, const struct store_queue_entry *e), void *arg)
{
	struct store_queue_entry e;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, err = 0, n = 0, stop;

	if (cb == NULL)
		return STORE_EINVAL;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_QUEUE], &c)) != 0) {
		store_read_end(txn);
		return store_lmdb_error(rc);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if ((err = store_queue_decode(&k, &v, &e)) != 0)
			break;
		n++;
		stop = cb(arg, &e);
		store_queue_entry_free(&e);
		if (stop)
			break;
	}
	mdb_cursor_close(c);
	store_read_end(txn);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? n : store_lmdb_error(rc);
}

/*
 * The schedule is ordered by (next_attempt, id): the due entries are a
 * prefix. *next_r is the time of the first entry not returned: after now
 * when every due entry fit, otherwise (more than max due) at most now,
 * telling the caller to ask again at once.
 */
int
store_queue_due(struct store *s, int64_t now, uint64_t *ids, size_t max,
    int64_t *next_r)
{
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int64_t when;
	size_t n = 0;
	int rc;

	if (next_r != NULL)
		*next_r = 0;
	if (ids == NULL && max > 0)
		return STORE_EINVAL;
	if (max > INT32_MAX)
		max = INT32_MAX;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_QUEUE_DUE], &c)) != 0) {
		store_read_end(txn);
		return store_lmdb_error(rc);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != STORE_QUEUE_DUE_KEY_LEN)
			continue;	/* damage; `posthorn check` reports it */
		when = store_queue_due_time(k.mv_data);
		if (when > now || n == max) {
			if (next_r != NULL)
				*next_r = when;
			break;
		}
		ids[n++] = store_get_be64((const uint8_t *)k.mv_data + 8);
	}
	mdb_cursor_close(c);
	store_read_end(txn);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_error(rc);
	return (int)n;
}

int
store_queue_count(struct store *s, uint64_t *entries_r, uint64_t *rcpts_r)
{
	MDB_txn *txn;
	MDB_stat st;
	uint64_t rcpts = 0;
	int rc;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_stat(txn, s->dbi[DB_QUEUE], &st)) != 0)
		rc = store_lmdb_error(rc);
	else if ((rc = store_meta_get(s, txn, META_QUEUE_RCPTS, &rcpts)) ==
	    STORE_ENOTFOUND)
		rc = 0;
	store_read_end(txn);
	if (rc != 0)
		return rc;
	if (entries_r != NULL)
		*entries_r = st.ms_entries;
	if (rcpts_r != NULL)
		*rcpts_r = rcpts;
	return 0;
}
