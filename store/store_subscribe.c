/*
 * store_subscribe.c: a user's subscriptions (IMAP SUBSCRIBE, UNSUBSCRIBE,
 * LSUB, LIST (SUBSCRIBED)): a set of mailbox names per user.
 *
 * Subscriptions are names, not mailboxes: RFC 3501 6.3.6 lets a client
 * subscribe to a name that does not exist and forbids the server to drop
 * a name because its mailbox went away, so deleting a mailbox keeps its
 * subscription (a mailbox created again under the name is subscribed).
 * Renames carry subscriptions along (store_rename.c). Names are stored
 * normalized like mailbox names ("INBOX" folded).
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

struct subscribe_req {
	struct store_req	 base;
	uint64_t		 user_id;
	int			 subscribe;
	char			 name[STORE_MAILBOX_NAME_MAX];
};

static void
subscription_key(MDB_val *k, uint8_t *buf, uint64_t user_id,
    const char *name)
{
	k->mv_size = store_mailbox_key(buf, user_id, name);
	k->mv_data = buf;
}

int
store_subscription_put(struct store *s, MDB_txn *txn, uint64_t user_id,
    const char *name)
{
	static const uint8_t one = 1;
	uint8_t key[STORE_MAILBOX_KEY_MAX];
	MDB_val k, v = { sizeof(one), (void *)&one };

	if (strlen(name) > STORE_MAILBOX_NAME_LEN)
		return STORE_ETOOBIG;
	subscription_key(&k, key, user_id, name);
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_SUBSCRIPTIONS], &k, &v,
	    0));
}

/* STORE_ENOTFOUND when the name was not subscribed. */
int
store_subscription_del(struct store *s, MDB_txn *txn, uint64_t user_id,
    const char *name)
{
	uint8_t key[STORE_MAILBOX_KEY_MAX];
	MDB_val k;

	if (strlen(name) > STORE_MAILBOX_NAME_LEN)
		return STORE_ENOTFOUND;
	subscription_key(&k, key, user_id, name);
	return store_lmdb_error(mdb_del(txn, s->dbi[DB_SUBSCRIPTIONS], &k,
	    NULL));
}

/* 0 when subscribed, STORE_ENOTFOUND when not. */
int
store_subscription_get(struct store *s, MDB_txn *txn, uint64_t user_id,
    const char *name)
{
	uint8_t key[STORE_MAILBOX_KEY_MAX];
	MDB_val k, v;

	if (strlen(name) > STORE_MAILBOX_NAME_LEN)
		return STORE_ENOTFOUND;
	subscription_key(&k, key, user_id, name);
	return store_lmdb_error(mdb_get(txn, s->dbi[DB_SUBSCRIPTIONS], &k, &v));
}

/* Every subscription of a user (user delete). */
int
store_subscriptions_drop(struct store *s, MDB_txn *txn, uint64_t user_id)
{
	uint8_t prefix[8];

	store_put_be64(prefix, user_id);
	return store_delete_prefix(s, txn, DB_SUBSCRIPTIONS, prefix);
}

static int
subscribe_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct subscribe_req *req = (struct subscribe_req *)r;
	struct store_mailbox mb;
	int rc;

	if ((rc = store_user_exists_txn(s, txn, req->user_id)) != 0)
		return rc;
	if (req->subscribe)
		rc = store_subscription_put(s, txn, req->user_id, req->name);
	else
		rc = store_subscription_del(s, txn, req->user_id, req->name);
	if (rc != 0)
		return rc;
	/* The mailbox's subscribed attribute changed (LIST, STATUS users). */
	if (store_mailbox_load(s, txn, req->user_id, req->name, &mb) == 0)
		store_req_changed(r, req->user_id, mb.id);
	return 0;
}

static void
subscribe_req_free(struct store_req *r)
{
	free(r);
}

static int
subscribe_req_new(uint64_t user_id, const char *name, int subscribe,
    struct subscribe_req **req_r)
{
	struct subscribe_req *req;
	char norm[STORE_MAILBOX_NAME_MAX];
	int rc;

	if ((rc = store_mailbox_name_normalize(name, norm)) != 0)
		return rc;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, subscribe_apply, subscribe_req_free);
	req->user_id = user_id;
	req->subscribe = subscribe != 0;
	str_copy(req->name, norm, sizeof(req->name));
	req->base.cost = 64;
	*req_r = req;
	return 0;
}

void
store_subscribe(struct store *s, uint64_t user_id, const char *name,
    int subscribe, store_done_fn done, void *arg)
{
	struct subscribe_req *req;
	int rc;

	if ((rc = subscribe_req_new(user_id, name, subscribe, &req)) != 0)
		store_submit_error(s, rc, done, arg);
	else
		store_submit(s, &req->base, done, arg);
}

int
store_subscribe_wait(struct store *s, uint64_t user_id, const char *name,
    int subscribe)
{
	struct subscribe_req *req;
	int rc;

	if ((rc = subscribe_req_new(user_id, name, subscribe, &req)) != 0)
		return rc;
	return store_submit_wait(s, &req->base);
}

int
store_subscription_list(struct store *s, uint64_t user_id,
    int (*cb)(void *arg, const char *name), void *arg)
{
	char name[STORE_MAILBOX_NAME_MAX];
	uint8_t prefix[8];
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, err;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((err = store_user_exists_txn(s, txn, user_id)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dbi[DB_SUBSCRIPTIONS], &c)) != 0) {
		store_read_end(txn);
		return err != 0 ? err : store_lmdb_error(rc);
	}
	store_put_be64(prefix, user_id);
	k.mv_size = sizeof(prefix);
	k.mv_data = prefix;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 8 || memcmp(k.mv_data, prefix, 8) != 0)
			break;
		if (k.mv_size == 8 || k.mv_size - 8 >= sizeof(name)) {
			err = STORE_EIO;
			break;
		}
		memcpy(name, (const char *)k.mv_data + 8, k.mv_size - 8);
		name[k.mv_size - 8] = '\0';
		if (cb(arg, name) != 0)
			break;
	}
	mdb_cursor_close(c);
	store_read_end(txn);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}
