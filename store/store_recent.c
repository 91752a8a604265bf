/*
 * store_recent.c: handing out \Recent (RFC 3501 2.3.2): a message is
 * recent for exactly one session, the first to SELECT its mailbox after
 * it arrived.
 *
 * The claim runs on the writer thread, so two sessions selecting at once
 * are serialized and the second finds nothing left: the UIDs go to one
 * claimant only. The \Recent flag is cleared without a new MODSEQ (it is
 * session state, not message metadata others must sync). Recent messages
 * are found from the highest UID down, stopping once the mailbox's recent
 * counter is reached: new mail sits at the top, so a claim costs the
 * number of recent messages, not the mailbox size.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

struct recent_req {
	struct store_req	 base;
	uint64_t		 mailbox_id;
	uint32_t		*uids;		/* ascending once found */
	size_t			 n;
	uint32_t		**uids_r;
	size_t			*n_r;
};

static void
recent_req_free(struct store_req *r)
{
	struct recent_req *req = (struct recent_req *)r;

	free(req->uids);
	free(req);
}

/* The array passes to the caller only when the claim is durable. */
static void
recent_finish(struct store_req *r, int status)
{
	struct recent_req *req = (struct recent_req *)r;

	if (status == 0 && req->n > 0) {
		*req->uids_r = req->uids;
		*req->n_r = req->n;
		req->uids = NULL;
	} else {
		*req->uids_r = NULL;
		*req->n_r = 0;
	}
}

/* Collect the UIDs with \Recent, highest first, at most mb->recent. */
static int
find_recent(struct store *s, MDB_txn *txn, struct recent_req *req,
    const struct store_mailbox *mb)
{
	struct store_message m;
	uint8_t key[12];
	MDB_cursor *c;
	MDB_val k, v;
	uint32_t max;
	int rc, err = 0;

	/* A damaged counter must not size the array beyond the mailbox. */
	max = mb->recent < mb->messages ? mb->recent : mb->messages;
	req->uids = xreallocarray(NULL, max > 0 ? max : 1, sizeof(uint32_t));
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MESSAGES], &c)) != 0)
		return store_lmdb_error(rc);
	/* The first key after this mailbox, then step back into it. */
	store_message_key(key, mb->id + 1, 0);
	k.mv_size = sizeof(key);
	k.mv_data = key;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	rc = mdb_cursor_get(c, &k, &v, rc == 0 ? MDB_PREV : MDB_LAST);
	for (; rc == 0 && req->n < max;
	    rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		if (k.mv_size != 12 || store_get_be64(k.mv_data) != mb->id)
			break;
		if ((err = store_message_decode(&k, &v, &m)) != 0)
			break;
		if (m.flags & STORE_FLAG_RECENT)
			req->uids[req->n++] = m.uid;
	}
	mdb_cursor_close(c);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

static int
recent_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct recent_req *req = (struct recent_req *)r;
	struct store_mailbox mb;
	struct store_message old, m;
	size_t i;
	uint32_t t;
	int rc;

	if ((rc = store_mailbox_load_id(s, txn, req->mailbox_id, &mb)) != 0)
		return rc;
	if (mb.recent == 0)
		return 0;
	if ((rc = find_recent(s, txn, req, &mb)) != 0)
		return rc;
	for (i = 0; i < req->n / 2; i++) {
		t = req->uids[i];
		req->uids[i] = req->uids[req->n - 1 - i];
		req->uids[req->n - 1 - i] = t;
	}
	for (i = 0; i < req->n; i++) {
		if ((rc = store_msg_get(s, txn, mb.id, req->uids[i], &old)) != 0)
			return rc;
		m = old;
		m.flags &= ~STORE_FLAG_RECENT;
		if ((rc = store_msg_update(s, txn, &mb, &old, &m, 0)) != 0)
			return rc;
	}
	return store_mailbox_save(s, txn, &mb);
}

void
store_recent_claim(struct store *s, uint64_t mailbox_id, uint32_t **uids_r,
    size_t *n_r, store_done_fn done, void *arg)
{
	struct recent_req *req;

	if (uids_r == NULL || n_r == NULL) {
		store_submit_error(s, STORE_EINVAL, done, arg);
		return;
	}
	*uids_r = NULL;
	*n_r = 0;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, recent_apply, recent_req_free);
	req->base.finish = recent_finish;
	req->mailbox_id = mailbox_id;
	req->uids_r = uids_r;
	req->n_r = n_r;
	req->base.cost = 64;
	store_submit(s, &req->base, done, arg);
}
