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
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"
#include "util.h"

struct deliver_req {
	struct store_req	 base;
	uint64_t		*user_ids;	/* sorted, unique */
	size_t			 n_users;
	char			*data;
	size_t			 len;
	char			*cache;		/* NULL = none */
	size_t			 cache_len;
	int64_t			 internaldate;
	uint32_t		 flags;
	char			 mailbox[STORE_MAILBOX_NAME_MAX];
};

static void
deliver_req_free(struct store_req *r)
{
	struct deliver_req *req = (struct deliver_req *)r;

	free(req->user_ids);
	free(req->data);
	free(req->cache);
	free(req);
}

/* Append the message to one user's mailbox. */
static int
deliver_one(struct store *s, MDB_txn *txn, struct deliver_req *req,
    uint64_t user_id, uint64_t blob_id)
{
	struct store_mailbox mb;
	struct store_message m;
	int rc;

	if ((rc = store_mailbox_load(s, txn, user_id, req->mailbox, &mb)) != 0)
		return rc;
	memset(&m, 0, sizeof(m));
	m.flags = req->flags;
	m.blob_id = blob_id;
	m.size = req->len;
	m.internaldate = req->internaldate;
	if ((rc = store_msg_insert(s, txn, &mb, &m)) != 0 ||
	    (rc = store_mailbox_save(s, txn, &mb)) != 0)
		return rc;
	store_req_changed(&req->base, user_id, mb.id);
	return 0;
}

static int
deliver_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct deliver_req *req = (struct deliver_req *)r;
	uint64_t blob_id;
	size_t i;
	int rc;

	rc = store_blob_put(s, txn, req->data, req->len,
	    (uint32_t)req->n_users, req->cache, req->cache_len, &blob_id);
	if (rc != 0)
		return rc;
	for (i = 0; i < req->n_users; i++)
		if ((rc = deliver_one(s, txn, req, req->user_ids[i],
		    blob_id)) != 0)
			return rc;
	return 0;
}

static int
id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Copy and check a delivery; STORE_E* when it is refused outright. */
static int
deliver_req_new(const struct store_delivery *d, struct deliver_req **req_r)
{
	struct deliver_req *req;
	size_t i, n;

	if (d == NULL || d->user_ids == NULL || d->n_users == 0 ||
	    d->n_users > STORE_MAX_RCPT_USERS || (d->data == NULL && d->len))
		return STORE_EINVAL;
	if (d->len > STORE_BLOB_MAX || d->cache_len > STORE_CACHE_MAX)
		return STORE_ETOOBIG;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, deliver_apply, deliver_req_free);
	if (store_mailbox_name_normalize(d->mailbox != NULL ? d->mailbox :
	    "INBOX", req->mailbox) != 0) {
		free(req);
		return STORE_EINVAL;
	}
	req->user_ids = xreallocarray(NULL, d->n_users, sizeof(uint64_t));
	memcpy(req->user_ids, d->user_ids, d->n_users * sizeof(uint64_t));
	qsort(req->user_ids, d->n_users, sizeof(uint64_t), id_cmp);
	/* A user listed twice gets the message once. */
	for (i = n = 0; i < d->n_users; i++)
		if (n == 0 || req->user_ids[n - 1] != req->user_ids[i])
			req->user_ids[n++] = req->user_ids[i];
	req->n_users = n;
	req->data = xmemdup(d->data, d->len);
	req->len = d->len;
	if (d->cache != NULL) {
		req->cache = xmemdup(d->cache, d->cache_len);
		req->cache_len = d->cache_len;
	}
	req->internaldate = d->internaldate != 0 ? d->internaldate :
	    (int64_t)time(NULL);
	req->flags = (d->flags & STORE_FLAGS_MASK) | STORE_FLAG_RECENT;
	req->base.cost = d->len + req->cache_len + 128 * n;
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
