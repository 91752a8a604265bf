/*
 * store_deliver.c: delivery of one message to the mailbox (INBOX by
 * default) of one or more local users.
 *
 * The bytes are stored once as a blob with one reference per recipient;
 * each recipient's mailbox gets a message with the next UID and a new
 * MODSEQ. All of it happens in the request's nested transaction: if any
 * recipient cannot take the message (no such user or mailbox, UIDs
 * exhausted), nothing of the delivery is stored. It does not parse the
 * message (headers such as Received: are the front-end's business); a
 * blob cache built by the caller (mime/) is stored with the blob.
 *
 * Outbound entries (struct store_delivery.queue) share the blob: one more
 * reference per queue entry, written in the same transaction as the
 * local copies so one commit (one 250) covers both. The body of the
 * transaction (store_deliver_job_run) is also how store_queue_update
 * commits a bounce atomically with the attempt it reports.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"
#include "util.h"

/* A delivery copied out of the caller's memory. */
struct store_deliver_job {
	uint64_t		*user_ids;	/* sorted, unique */
	size_t			 n_users;
	char			*data;
	size_t			 len;
	char			*cache;		/* NULL = none */
	size_t			 cache_len;
	int64_t			 internaldate;
	int64_t			 created;	/* of the queue entries */
	uint32_t		 flags;
	char			 mailbox[STORE_MAILBOX_NAME_MAX];
	struct store_queue_copy	*queue;
	size_t			 n_queue;
	uint64_t		*queue_ids;	/* n_queue, set by run */
	size_t			 cost;
};

struct deliver_req {
	struct store_req	 base;
	struct store_deliver_job *job;
	uint64_t		*queue_ids_r;
};

void
store_deliver_job_free(struct store_deliver_job *job)
{
	size_t i;

	if (job == NULL)
		return;
	for (i = 0; i < job->n_queue; i++)
		store_queue_copy_free(&job->queue[i]);
	free(job->queue);
	free(job->queue_ids);
	free(job->user_ids);
	free(job->data);
	free(job->cache);
	free(job);
}

size_t
store_deliver_job_cost(const struct store_deliver_job *job)
{
	return job->cost;
}

const uint64_t *
store_deliver_job_queue_ids(const struct store_deliver_job *job)
{
	return job->queue_ids;
}

static void
deliver_req_free(struct store_req *r)
{
	struct deliver_req *req = (struct deliver_req *)r;

	store_deliver_job_free(req->job);
	free(req);
}

/* The new queue ids go to the caller only once they are durable. */
static void
deliver_finish(struct store_req *r, int status)
{
	struct deliver_req *req = (struct deliver_req *)r;

	if (status == 0 && req->queue_ids_r != NULL && req->job->n_queue > 0)
		memcpy(req->queue_ids_r, req->job->queue_ids,
		    req->job->n_queue * sizeof(uint64_t));
}

/* Append the message to one user's mailbox. */
static int
deliver_one(struct store *s, MDB_txn *txn, struct store_req *req,
    const struct store_deliver_job *job, uint64_t user_id, uint64_t blob_id)
{
	struct store_mailbox mb;
	struct store_message m;
	int rc;

	if ((rc = store_mailbox_load(s, txn, user_id, job->mailbox, &mb)) != 0)
		return rc;
	memset(&m, 0, sizeof(m));
	m.flags = job->flags;
	m.blob_id = blob_id;
	m.size = job->len;
	m.internaldate = job->internaldate;
	if ((rc = store_msg_insert(s, txn, &mb, &m)) != 0 ||
	    (rc = store_mailbox_save(s, txn, &mb)) != 0)
		return rc;
	store_req_changed(req, user_id, mb.id);
	return 0;
}

/* The transaction body: blob, local copies, queue entries. */
int
store_deliver_job_run(struct store *s, MDB_txn *txn, struct store_req *req,
    struct store_deliver_job *job)
{
	uint64_t blob_id;
	size_t i;
	int rc;

	rc = store_blob_put(s, txn, job->data, job->len,
	    (uint32_t)(job->n_users + job->n_queue), job->cache,
	    job->cache_len, &blob_id);
	if (rc != 0)
		return rc;
	for (i = 0; i < job->n_users; i++)
		if ((rc = deliver_one(s, txn, req, job, job->user_ids[i],
		    blob_id)) != 0)
			return rc;
	for (i = 0; i < job->n_queue; i++)
		if ((rc = store_queue_insert(s, txn, &job->queue[i], blob_id,
		    job->len, job->created, &job->queue_ids[i])) != 0)
			return rc;
	return 0;
}

static int
deliver_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct deliver_req *req = (struct deliver_req *)r;

	return store_deliver_job_run(s, txn, r, req->job);
}

static int
id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Copy the local recipients, sorted and without duplicates. */
static void
job_users(struct store_deliver_job *job, const struct store_delivery *d)
{
	size_t i, n;

	if (d->n_users == 0)
		return;
	job->user_ids = xreallocarray(NULL, d->n_users, sizeof(uint64_t));
	memcpy(job->user_ids, d->user_ids, d->n_users * sizeof(uint64_t));
	qsort(job->user_ids, d->n_users, sizeof(uint64_t), id_cmp);
	/* A user listed twice gets the message once. */
	for (i = n = 0; i < d->n_users; i++)
		if (n == 0 || job->user_ids[n - 1] != job->user_ids[i])
			job->user_ids[n++] = job->user_ids[i];
	job->n_users = n;
}

/* Copy and check the queue entries; STORE_EINVAL for a bad one. */
static int
job_queue(struct store_deliver_job *job, const struct store_delivery *d,
    int64_t now)
{
	size_t i, j;
	int rc;

	if (d->n_queue == 0)
		return 0;
	job->queue = xcalloc(d->n_queue, sizeof(*job->queue));
	job->queue_ids = xcalloc(d->n_queue, sizeof(uint64_t));
	for (i = 0; i < d->n_queue; i++) {
		if ((rc = store_queue_new_copy(&d->queue[i], now,
		    &job->queue[i])) != 0)
			return rc;
		job->n_queue = i + 1;
		for (j = 0; j < job->queue[i].n_rcpts; j++)
			job->cost += 64 + strlen(job->queue[i].rcpts[j]);
	}
	return 0;
}

/* Copy and check a delivery; STORE_E* when it is refused outright. */
int
store_deliver_job_new(const struct store_delivery *d,
    struct store_deliver_job **job_r)
{
	struct store_deliver_job *job;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (d == NULL || (d->n_users == 0 && d->n_queue == 0) ||
	    (d->n_users > 0 && d->user_ids == NULL) ||
	    d->n_users > STORE_MAX_RCPT_USERS ||
	    (d->n_queue > 0 && d->queue == NULL) ||
	    d->n_queue > STORE_MAX_RCPT_USERS || (d->data == NULL && d->len))
		return STORE_EINVAL;
	if (d->len > STORE_BLOB_MAX || d->cache_len > STORE_CACHE_MAX)
		return STORE_ETOOBIG;
	job = xcalloc(1, sizeof(*job));
	if ((rc = store_mailbox_name_normalize(d->mailbox != NULL ?
	    d->mailbox : "INBOX", job->mailbox)) != 0) {
		free(job);
		return STORE_EINVAL;
	}
	if ((rc = job_queue(job, d, now)) != 0) {
		store_deliver_job_free(job);
		return rc;
	}
	job_users(job, d);
	job->data = xmemdup(d->data, d->len);
	job->len = d->len;
	if (d->cache != NULL) {
		job->cache = xmemdup(d->cache, d->cache_len);
		job->cache_len = d->cache_len;
	}
	job->internaldate = d->internaldate != 0 ? d->internaldate : now;
	job->created = now;
	job->flags = (d->flags & STORE_FLAGS_MASK) | STORE_FLAG_RECENT;
	job->cost += d->len + job->cache_len + 128 * job->n_users;
	*job_r = job;
	return 0;
}

static int
deliver_req_new(const struct store_delivery *d, struct deliver_req **req_r)
{
	struct deliver_req *req;
	struct store_deliver_job *job;
	int rc;

	if ((rc = store_deliver_job_new(d, &job)) != 0)
		return rc;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, deliver_apply, deliver_req_free);
	req->base.finish = deliver_finish;
	req->base.cost = job->cost;
	req->job = job;
	req->queue_ids_r = d->queue_ids_r;
	*req_r = req;
	return 0;
}

void
store_deliver(struct store *s, const struct store_delivery *d,
    store_done_fn done, void *arg)
{
	struct deliver_req *req;
	int rc;

	if ((rc = deliver_req_new(d, &req)) != 0)
		store_submit_error(s, rc, done, arg);
	else
		store_submit(s, &req->base, done, arg);
}

int
store_deliver_wait(struct store *s, const struct store_delivery *d)
{
	struct deliver_req *req;
	int rc;

	if ((rc = deliver_req_new(d, &req)) != 0)
		return rc;
	return store_submit_wait(s, &req->base);
}
