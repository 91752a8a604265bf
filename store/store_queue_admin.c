/*
 * store_queue_admin.c: `posthorn queue retry [ID]` and `posthorn queue
 * delete ID`: reschedule entries to now, or drop an entry with its blob
 * reference and without a bounce.
 *
 * Both go through the writer thread like every other write, so they are
 * ordered with the daemon's own updates (a delete between an attempt and
 * its store_queue_update makes the update fail with STORE_ENOTFOUND, and
 * its bounce is not stored). Retry of every entry walks the queue's ids
 * first and rewrites afterwards, so no cursor walks a tree being changed.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"
#include "util.h"

enum queue_admin_op { QUEUE_RETRY, QUEUE_DELETE };

struct queue_admin_req {
	struct store_req	 base;
	enum queue_admin_op	 op;
	uint64_t		 id;	/* 0: every entry (retry only) */
	int64_t			 now;
};

static void
queue_admin_req_free(struct store_req *r)
{
	free(r);
}

static int
retry_one(struct store *s, MDB_txn *txn, uint64_t id, int64_t now)
{
	struct store_queue_entry e;
	int64_t old_next;
	int rc;

	if ((rc = store_queue_load(s, txn, id, &e)) != 0)
		return rc;
	old_next = e.next_attempt;
	e.next_attempt = now;
	rc = old_next == now ? 0 : store_queue_save(s, txn, &e, old_next);
	store_queue_entry_free(&e);
	return rc;
}

/* The ids of every entry (malloc'ed, *n_r of them). */
static int
all_ids(struct store *s, MDB_txn *txn, uint64_t **ids_r, size_t *n_r)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t *ids = NULL;
	size_t n = 0, max = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->dbi[DB_QUEUE], &c)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8)
			continue;
		if (n == max) {
			max = max ? max * 2 : 64;
			ids = xreallocarray(ids, max, sizeof(*ids));
		}
		ids[n++] = store_get_be64(k.mv_data);
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND) {
		free(ids);
		return store_lmdb_error(rc);
	}
	*ids_r = ids;
	*n_r = n;
	return 0;
}

static int
retry_all(struct store *s, MDB_txn *txn, int64_t now)
{
	uint64_t *ids = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = all_ids(s, txn, &ids, &n)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = retry_one(s, txn, ids[i], now);
	free(ids);
	return rc;
}

static int
queue_admin_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct queue_admin_req *req = (struct queue_admin_req *)r;
	struct store_queue_entry e;
	int rc;

	if (req->op == QUEUE_RETRY)
		return req->id == 0 ? retry_all(s, txn, req->now) :
		    retry_one(s, txn, req->id, req->now);
	if ((rc = store_queue_load(s, txn, req->id, &e)) != 0)
		return rc;
	rc = store_queue_remove(s, txn, &e);
	store_queue_entry_free(&e);
	return rc;
}

static int
queue_admin(struct store *s, enum queue_admin_op op, uint64_t id, int64_t now)
{
	struct queue_admin_req *req;

	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, queue_admin_apply, queue_admin_req_free);
	req->op = op;
	req->id = id;
	req->now = now;
	req->base.cost = 1024;
	return store_submit_wait(s, &req->base);
}

int
store_queue_retry_wait(struct store *s, uint64_t id, int64_t now)
{
	return queue_admin(s, QUEUE_RETRY, id, now != 0 ? now :
	    (int64_t)time(NULL));
}

int
store_queue_delete_wait(struct store *s, uint64_t id)
{
	if (id == 0)
		return STORE_ENOTFOUND;	/* ids start at 1 */
	return queue_admin(s, QUEUE_DELETE, id, 0);
}
