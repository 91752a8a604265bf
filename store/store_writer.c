/*
 * store_writer.c: the one thread that writes to the store, with group
 * commit.
 *
 * Any thread queues a request (store_submit). The writer takes every
 * request queued while it was busy, opens one write transaction, runs each
 * request in its own nested transaction (a failing request is aborted
 * alone and the others stay), commits once (one fsync for the whole
 * batch), then calls each request's finish hook (results into the
 * caller's memory) and done callback with its status and finally the
 * watchers of the mailboxes the batch changed. If the commit
 * fails, every request of the batch gets the error and nothing of the
 * batch is on disk. This file knows nothing of what a request does.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_internal.h"
#include "util.h"

/*
 * Bytes of payload one batch may carry. LMDB caps the dirty pages of one
 * transaction (MDB_TXN_FULL around 512 MiB); far below that, a batch
 * still amortizes its fsync over many messages.
 */
#define BATCH_COST_MAX	((size_t)64 << 20)

struct waiter {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 done;
	int		 status;
};

static void		*writer_main(void *arg);
static struct store_req	*take_batch(struct store *s);
static void		 run_batch(struct store *s, struct store_req *batch);
static void		 apply_one(struct store *s, MDB_txn *txn,
			    struct store_req *req);
static void		 notify_watchers(struct store *s,
			    struct store_req *batch);

void
store_req_init(struct store_req *req, store_apply_fn apply,
    void (*destroy)(struct store_req *))
{
	memset(req, 0, sizeof(*req));
	req->apply = apply;
	req->destroy = destroy;
}

/* Record that the request changed a mailbox (watchers run after commit). */
void
store_req_changed(struct store_req *req, uint64_t user_id, uint64_t mailbox_id)
{
	size_t i;

	for (i = 0; i < req->n_changes; i++)
		if (req->changes[i].user_id == user_id &&
		    req->changes[i].mailbox_id == mailbox_id)
			return;
	if (req->n_changes == req->max_changes) {
		req->max_changes = req->max_changes ? req->max_changes * 2 : 4;
		req->changes = xreallocarray(req->changes, req->max_changes,
		    sizeof(*req->changes));
	}
	req->changes[req->n_changes].user_id = user_id;
	req->changes[req->n_changes].mailbox_id = mailbox_id;
	req->n_changes++;
}

/* Hand the final status to the request's finish hook, then to done. */
static void
req_complete(struct store_req *req, int status)
{
	if (req->finish != NULL)
		req->finish(req, status);
	if (req->done != NULL)
		req->done(req->arg, status);
}

static void
req_free(struct store_req *req)
{
	free(req->changes);
	req->destroy(req);
}

int
store_on_writer(struct store *s)
{
	return s->writer_running && pthread_equal(pthread_self(), s->writer);
}

int
store_writer_start(struct store *s)
{
	if (pthread_create(&s->writer, NULL, writer_main, s) != 0)
		return STORE_EIO;
	s->writer_running = 1;
	return 0;
}

/* Drain the queue (every callback runs), then join the writer. */
void
store_writer_stop(struct store *s)
{
	if (!s->writer_running)
		return;
	pthread_mutex_lock(&s->queue_lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->queue_cond);
	pthread_mutex_unlock(&s->queue_lock);
	pthread_join(s->writer, NULL);
	s->writer_running = 0;
}

/*
 * Queue req; done(arg, status) runs on the writer thread after commit.
 * Once the store is closing, done(arg, STORE_ESHUTDOWN) runs at once on
 * the calling thread.
 */
void
store_submit(struct store *s, struct store_req *req, store_done_fn done,
    void *arg)
{
	req->done = done;
	req->arg = arg;
	req->next = NULL;
	pthread_mutex_lock(&s->queue_lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->queue_lock);
		req_complete(req, STORE_ESHUTDOWN);
		req_free(req);
		return;
	}
	if (s->queue_tail != NULL)
		s->queue_tail->next = req;
	else
		s->queue_head = req;
	s->queue_tail = req;
	pthread_cond_signal(&s->queue_cond);
	pthread_mutex_unlock(&s->queue_lock);
}

struct error_req {
	struct store_req	 base;
	int			 error;
};

static int
error_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	return ((struct error_req *)r)->error;
}

static void
error_req_free(struct store_req *r)
{
	free(r);
}

/*
 * Report a request refused before it was queued (bad arguments) through
 * the writer like any other, so done always runs on the writer thread.
 */
void
store_submit_error(struct store *s, int status, store_done_fn done, void *arg)
{
	struct error_req *req;

	req = xmalloc(sizeof(*req));
	store_req_init(&req->base, error_apply, error_req_free);
	req->error = status;
	store_submit(s, &req->base, done, arg);
}

static void
waiter_done(void *arg, int status)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	w->status = status;
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Queue req and block until it is durable or failed; returns its status. */
int
store_submit_wait(struct store *s, struct store_req *req)
{
	struct waiter w;

	/* Waiting on the writer for the writer would never return. */
	if (store_on_writer(s)) {
		log_error("store: a synchronous write from the writer thread");
		req->done = NULL;
		req_complete(req, STORE_EINVAL);
		req_free(req);
		return STORE_EINVAL;
	}
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	w.done = 0;
	w.status = STORE_EIO;
	store_submit(s, req, waiter_done, &w);
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	return w.status;
}

/* Everything queued (up to BATCH_COST_MAX), or NULL once stopping and empty. */
static struct store_req *
take_batch(struct store *s)
{
	struct store_req *batch, *last;
	size_t cost;

	pthread_mutex_lock(&s->queue_lock);
	while (s->queue_head == NULL && !s->stopping)
		pthread_cond_wait(&s->queue_cond, &s->queue_lock);
	batch = last = s->queue_head;
	if (batch != NULL) {
		cost = last->cost;
		while (last->next != NULL &&
		    cost + last->next->cost <= BATCH_COST_MAX) {
			last = last->next;
			cost += last->cost;
		}
		s->queue_head = last->next;
		if (s->queue_head == NULL)
			s->queue_tail = NULL;
		last->next = NULL;
	}
	pthread_mutex_unlock(&s->queue_lock);
	return batch;
}

static void
apply_one(struct store *s, MDB_txn *txn, struct store_req *req)
{
	MDB_txn *child;
	int rc;

	rc = mdb_txn_begin(s->env, txn, 0, &child);
	if (rc != 0) {
		req->status = store_lmdb_error(rc);
		return;
	}
	rc = req->apply(s, child, req);
	if (rc == 0) {
		/* A failed nested commit aborts the child alone. */
		if ((rc = mdb_txn_commit(child)) != 0)
			rc = store_lmdb_error(rc);
	} else
		mdb_txn_abort(child);
	if (rc != 0)
		req->n_changes = 0;
	req->status = rc;
}

static void
fail_batch(struct store_req *batch, int status)
{
	struct store_req *req;

	for (req = batch; req != NULL; req = req->next) {
		req->status = status;
		req->n_changes = 0;
	}
}

static void
run_batch(struct store *s, struct store_req *batch)
{
	struct store_req *req, *next;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc != 0) {
		log_error("store: cannot begin a write transaction: %s",
		    mdb_strerror(rc));
		fail_batch(batch, store_lmdb_error(rc));
	} else {
		for (req = batch; req != NULL; req = req->next)
			apply_one(s, txn, req);
		rc = mdb_txn_commit(txn);
		if (rc != 0) {
			log_error("store: commit failed: %s", mdb_strerror(rc));
			fail_batch(batch, store_lmdb_error(rc));
		} else
			atomic_fetch_add(&s->commits, 1);
	}
	for (req = batch; req != NULL; req = req->next)
		req_complete(req, req->status);
	notify_watchers(s, batch);
	for (req = batch; req != NULL; req = next) {
		next = req->next;
		req_free(req);
	}
}

static int
change_cmp(const void *a, const void *b)
{
	const struct store_change *x = a, *y = b;

	if (x->user_id != y->user_id)
		return x->user_id < y->user_id ? -1 : 1;
	if (x->mailbox_id != y->mailbox_id)
		return x->mailbox_id < y->mailbox_id ? -1 : 1;
	return 0;
}

/* Call the watchers once per changed (user, mailbox) of the batch. */
static void
notify_watchers(struct store *s, struct store_req *batch)
{
	struct store_change *all = NULL;
	struct store_req *req;
	size_t n = 0, i;

	for (req = batch; req != NULL; req = req->next)
		n += req->n_changes;
	if (n == 0)
		return;
	all = xreallocarray(NULL, n, sizeof(*all));
	n = 0;
	for (req = batch; req != NULL; req = req->next) {
		if (req->n_changes == 0)
			continue;
		memcpy(all + n, req->changes, req->n_changes * sizeof(*all));
		n += req->n_changes;
	}
	qsort(all, n, sizeof(*all), change_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || change_cmp(&all[i - 1], &all[i]) != 0)
			store_watch_notify(s, all[i].user_id,
			    all[i].mailbox_id);
	free(all);
}

static void *
writer_main(void *arg)
{
	struct store *s = arg;
	struct store_req *batch;

	while ((batch = take_batch(s)) != NULL)
		run_batch(s, batch);
	return NULL;
}
