/*
 * store_queue_write.c: changes of the outbound queue inside a write
 * transaction: a new entry (from store_deliver), the record of a delivery
 * attempt (store_queue_update, with its optional bounce), and the removal
 * of an entry with its blob reference.
 *
 * Every change keeps three things exact together: the record, its key in
 * the queue_due schedule (one per entry, at its next_attempt) and the
 * meta counter of pending recipients. An entry with no pending recipient
 * left is removed in the same transaction. The bounce of an update runs
 * through store_deliver's transaction body in the update's own nested
 * transaction: both are committed, or neither. This file does not decide
 * when to retry or what a bounce says (outbound/ does).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"
#include "util.h"

/* ------------------------------------------------------------ helpers */

/* Add delta to the pending recipients counter (absent = 0). */
int
store_queue_rcpts_add(struct store *s, MDB_txn *txn, int64_t delta)
{
	uint64_t n;
	int rc;

	if (delta == 0)
		return 0;
	rc = store_meta_get(s, txn, META_QUEUE_RCPTS, &n);
	if (rc == STORE_ENOTFOUND)
		n = 0;
	else if (rc != 0)
		return rc;
	if (delta < 0 && (uint64_t)-delta > n)
		n = 0;	/* already off; `posthorn check` reports it */
	else
		n += (uint64_t)delta;
	return store_meta_put(s, txn, META_QUEUE_RCPTS, n);
}

int
store_queue_load(struct store *s, MDB_txn *txn, uint64_t id,
    struct store_queue_entry *e_r)
{
	uint8_t key[8];
	MDB_val k = { sizeof(key), key }, v;
	int rc;

	memset(e_r, 0, sizeof(*e_r));
	store_put_be64(key, id);
	if ((rc = mdb_get(txn, s->dbi[DB_QUEUE], &k, &v)) != 0)
		return store_lmdb_error(rc);
	return store_queue_decode(&k, &v, e_r);
}

static int
record_put(struct store *s, MDB_txn *txn, const struct store_queue_entry *e)
{
	uint8_t key[8], *rec;
	MDB_val k = { sizeof(key), key }, v;
	size_t len;
	int rc;

	if ((rc = store_queue_encode(e, &rec, &len)) != 0)
		return rc;
	store_put_be64(key, e->id);
	v.mv_size = len;
	v.mv_data = rec;
	rc = mdb_put(txn, s->dbi[DB_QUEUE], &k, &v, 0);
	free(rec);
	return store_lmdb_error(rc);
}

static int
due_put(struct store *s, MDB_txn *txn, int64_t when, uint64_t id)
{
	uint8_t key[STORE_QUEUE_DUE_KEY_LEN];
	MDB_val k = { sizeof(key), key }, v = { 0, "" };

	store_queue_due_key(key, when, id);
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_QUEUE_DUE], &k, &v, 0));
}

static int
due_del(struct store *s, MDB_txn *txn, int64_t when, uint64_t id)
{
	uint8_t key[STORE_QUEUE_DUE_KEY_LEN];
	MDB_val k = { sizeof(key), key };
	int rc;

	store_queue_due_key(key, when, id);
	rc = mdb_del(txn, s->dbi[DB_QUEUE_DUE], &k, NULL);
	/* A missing key is damage `posthorn check` reports; go on. */
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/*
 * Save e whose next_attempt was old_next (its due key moves when the
 * time changed).
 */
int
store_queue_save(struct store *s, MDB_txn *txn,
    const struct store_queue_entry *e, int64_t old_next)
{
	int rc;

	if (e->next_attempt != old_next &&
	    ((rc = due_del(s, txn, old_next, e->id)) != 0 ||
	    (rc = due_put(s, txn, e->next_attempt, e->id)) != 0))
		return rc;
	return record_put(s, txn, e);
}

/* Remove e (as loaded) with its due key, blob reference and counter. */
int
store_queue_remove(struct store *s, MDB_txn *txn,
    const struct store_queue_entry *e)
{
	uint8_t key[8];
	MDB_val k = { sizeof(key), key };
	int rc;

	store_put_be64(key, e->id);
	if ((rc = mdb_del(txn, s->dbi[DB_QUEUE], &k, NULL)) != 0)
		return store_lmdb_error(rc);
	if ((rc = due_del(s, txn, e->next_attempt, e->id)) != 0 ||
	    (rc = store_queue_rcpts_add(s, txn,
	    -(int64_t)store_queue_pending(e))) != 0)
		return rc;
	return store_blob_unref(s, txn, e->blob_id);
}

/* A new entry for blob_id (the caller counted its reference). */
int
store_queue_insert(struct store *s, MDB_txn *txn,
    const struct store_queue_copy *c, uint64_t blob_id, uint64_t size,
    int64_t created, uint64_t *id_r)
{
	struct store_queue_entry e;
	size_t i;
	int rc;

	memset(&e, 0, sizeof(e));
	if ((rc = store_meta_next(s, txn, META_NEXT_QUEUE_ID, &e.id)) != 0)
		return rc;
	e.blob_id = blob_id;
	e.size = size;
	e.created = created;
	e.next_attempt = c->next_attempt;
	e.flags = c->flags;
	str_copy(e.sender, c->sender, sizeof(e.sender));
	str_copy(e.domain, c->domain, sizeof(e.domain));
	e.n_rcpts = c->n_rcpts;
	e.rcpts = xcalloc(c->n_rcpts, sizeof(*e.rcpts));
	for (i = 0; i < c->n_rcpts; i++)
		str_copy(e.rcpts[i].address, c->rcpts[i],
		    sizeof(e.rcpts[i].address));
	if ((rc = record_put(s, txn, &e)) == 0 &&
	    (rc = due_put(s, txn, e.next_attempt, e.id)) == 0 &&
	    (rc = store_queue_rcpts_add(s, txn, (int64_t)e.n_rcpts)) == 0)
		*id_r = e.id;
	store_queue_entry_free(&e);
	return rc;
}

/* ------------------------------------------------------------ update */

struct rcpt_change {
	size_t		 index;
	int		 state;
	char		*reply;
};

struct update_req {
	struct store_req	 base;
	uint64_t		 id;
	struct rcpt_change	*changes;
	size_t			 n_changes;
	int			 count_attempt;
	int64_t			 now;
	int64_t			 next_attempt;
	struct store_deliver_job *bounce;	/* NULL: none */
};

static void
update_req_free(struct store_req *r)
{
	struct update_req *req = (struct update_req *)r;
	size_t i;

	for (i = 0; i < req->n_changes; i++)
		free(req->changes[i].reply);
	free(req->changes);
	store_deliver_job_free(req->bounce);
	free(req);
}

/* Apply the recipient changes to e; STORE_EINVAL for a bad index. */
static int
apply_changes(const struct update_req *req, struct store_queue_entry *e)
{
	const struct rcpt_change *c;
	size_t i;

	for (i = 0; i < req->n_changes; i++) {
		c = &req->changes[i];
		if (c->index >= e->n_rcpts)
			return STORE_EINVAL;
		e->rcpts[c->index].state = c->state;
		str_copy(e->rcpts[c->index].reply, c->reply,
		    sizeof(e->rcpts[c->index].reply));
	}
	return 0;
}

static int
update_entry(struct store *s, MDB_txn *txn, const struct update_req *req,
    struct store_queue_entry *e)
{
	size_t before = store_queue_pending(e), after;
	int64_t old_next = e->next_attempt;
	int rc;

	if ((rc = apply_changes(req, e)) != 0)
		return rc;
	if (req->count_attempt && e->attempts < UINT32_MAX)
		e->attempts++;
	e->last_attempt = req->now;
	e->next_attempt = req->next_attempt;
	if ((after = store_queue_pending(e)) == 0) {
		/*
		 * Finished: remove() finds the due key at the old time and
		 * subtracts nothing more (no recipient is pending now).
		 */
		e->next_attempt = old_next;
		if ((rc = store_queue_rcpts_add(s, txn,
		    -(int64_t)before)) != 0)
			return rc;
		return store_queue_remove(s, txn, e);
	}
	if ((rc = store_queue_rcpts_add(s, txn,
	    (int64_t)after - (int64_t)before)) != 0)
		return rc;
	return store_queue_save(s, txn, e, old_next);
}

static int
update_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct update_req *req = (struct update_req *)r;
	struct store_queue_entry e;
	int rc;

	/* Gone (delivered or deleted meanwhile): no write, no bounce. */
	if ((rc = store_queue_load(s, txn, req->id, &e)) != 0)
		return rc;
	rc = update_entry(s, txn, req, &e);
	store_queue_entry_free(&e);
	if (rc == 0 && req->bounce != NULL)
		rc = store_deliver_job_run(s, txn, r, req->bounce);
	return rc;
}

static int
update_req_new(const struct store_queue_update *u, struct update_req **req_r)
{
	struct update_req *req;
	struct store_deliver_job *bounce = NULL;
	const struct store_queue_rcpt_update *in;
	size_t i;
	int rc;

	if (u == NULL || u->id == 0 || u->n_rcpts > STORE_QUEUE_RCPTS_MAX ||
	    (u->n_rcpts > 0 && u->rcpts == NULL))
		return STORE_EINVAL;
	for (i = 0; i < u->n_rcpts; i++)
		if (u->rcpts[i].state < STORE_QUEUE_PENDING ||
		    u->rcpts[i].state > STORE_QUEUE_FAILED ||
		    u->rcpts[i].index >= STORE_QUEUE_RCPTS_MAX)
			return STORE_EINVAL;
	if (u->bounce != NULL &&
	    (rc = store_deliver_job_new(u->bounce, &bounce)) != 0)
		return rc;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, update_apply, update_req_free);
	req->id = u->id;
	req->count_attempt = u->count_attempt != 0;
	req->now = u->now != 0 ? u->now : (int64_t)time(NULL);
	req->next_attempt = u->next_attempt;
	req->bounce = bounce;
	req->changes = xcalloc(u->n_rcpts > 0 ? u->n_rcpts : 1,
	    sizeof(*req->changes));
	for (i = 0; i < u->n_rcpts; i++) {
		in = &u->rcpts[i];
		req->changes[i].index = in->index;
		req->changes[i].state = in->state;
		/* Truncated to what a recipient keeps (REPLY_MAX - 1). */
		req->changes[i].reply = xstrndup(in->reply != NULL ?
		    in->reply : "", STORE_QUEUE_REPLY_MAX - 1);
	}
	req->n_changes = u->n_rcpts;
	req->base.cost = 1024 + u->n_rcpts * STORE_QUEUE_REPLY_MAX +
	    (bounce != NULL ? store_deliver_job_cost(bounce) : 0);
	*req_r = req;
	return 0;
}

void
store_queue_update(struct store *s, const struct store_queue_update *u,
    store_done_fn done, void *arg)
{
	struct update_req *req;
	int rc;

	if ((rc = update_req_new(u, &req)) != 0)
		store_submit_error(s, rc, done, arg);
	else
		store_submit(s, &req->base, done, arg);
}

int
store_queue_update_wait(struct store *s, const struct store_queue_update *u)
{
	struct update_req *req;
	int rc;

	if ((rc = update_req_new(u, &req)) != 0)
		return rc;
	return store_submit_wait(s, &req->base);
}
