/*
 * store_mailbox_ops.c: creating and deleting single mailboxes (IMAP
 * CREATE and DELETE, the CLI's mailbox create).
 *
 * Create never implies parents (a session may CREATE "a/b" without "a";
 * LIST shows the gap). Delete removes the mailbox, its keyword table and
 * its messages, dropping their blob references; each message is logged
 * as expunged under the old mailbox id so that a session that still has
 * the mailbox selected learns through store_expunged_since() what
 * vanished. Children stay (RFC 3501 6.3.4: DELETE MUST NOT remove
 * inferior names); INBOX cannot be deleted; the subscription stays (RFC
 * 3501 6.3.6). Renames are in store_rename.c.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

enum mailbox_op { MAILBOX_CREATE, MAILBOX_DELETE };

struct mailbox_req {
	struct store_req	 base;
	enum mailbox_op		 op;
	uint64_t		 user_id;
	int			 special_use;
	int			 subscribe;
	char			 name[STORE_MAILBOX_NAME_MAX];
};

static int
create_apply(struct store *s, MDB_txn *txn, struct mailbox_req *req)
{
	struct store_mailbox mb;
	int rc;

	if ((rc = store_user_exists_txn(s, txn, req->user_id)) != 0)
		return rc;
	rc = store_mailbox_create_txn(s, txn, req->user_id, req->name,
	    req->special_use, req->subscribe, &mb);
	if (rc == 0)
		store_req_changed(&req->base, req->user_id, mb.id);
	return rc;
}

/* Expunge (and log) every message of mb, lowest UID first. */
static int
expunge_all(struct store *s, MDB_txn *txn, struct store_mailbox *mb)
{
	struct store_message m;
	uint8_t prefix[12];
	MDB_cursor *c;
	MDB_val k, v;
	int rc, err = 0;

	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MESSAGES], &c)) != 0)
		return store_lmdb_error(rc);
	store_message_key(prefix, mb->id, 0);
	for (;;) {
		/* Seek again after each removal: the tree changed under us. */
		k.mv_size = sizeof(prefix);
		k.mv_data = prefix;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc != 0 || k.mv_size != 12 || memcmp(k.mv_data, prefix, 8))
			break;
		if ((err = store_message_decode(&k, &v, &m)) != 0 ||
		    (err = store_msg_remove(s, txn, mb, &m, 1)) != 0)
			break;
	}
	mdb_cursor_close(c);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

static int
delete_apply(struct store *s, MDB_txn *txn, struct mailbox_req *req)
{
	uint8_t key[STORE_MAILBOX_KEY_MAX], idkey[8];
	struct store_mailbox mb;
	MDB_val k;
	int rc;

	/* RFC 3501 6.3.4: it is an error to attempt to delete INBOX. */
	if (strcmp(req->name, "INBOX") == 0)
		return STORE_EINVAL;
	if ((rc = store_mailbox_load(s, txn, req->user_id, req->name,
	    &mb)) != 0)
		return rc;
	store_put_be64(idkey, mb.id);
	if ((rc = expunge_all(s, txn, &mb)) != 0 ||
	    (rc = store_delete_prefix(s, txn, DB_MODSEQS, idkey)) != 0 ||
	    (rc = store_delete_prefix(s, txn, DB_KEYWORDS, idkey)) != 0)
		return rc;
	k.mv_size = sizeof(idkey);
	k.mv_data = idkey;
	if ((rc = mdb_del(txn, s->dbi[DB_MAILBOX_IDS], &k, NULL)) != 0 &&
	    rc != MDB_NOTFOUND)
		return store_lmdb_error(rc);
	k.mv_size = store_mailbox_key(key, mb.user_id, mb.name);
	k.mv_data = key;
	if ((rc = mdb_del(txn, s->dbi[DB_MAILBOXES], &k, NULL)) != 0)
		return store_lmdb_error(rc);
	store_req_changed(&req->base, mb.user_id, mb.id);
	return 0;
}

static int
mailbox_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct mailbox_req *req = (struct mailbox_req *)r;

	if (req->op == MAILBOX_CREATE)
		return create_apply(s, txn, req);
	return delete_apply(s, txn, req);
}

static void
mailbox_req_free(struct store_req *r)
{
	free(r);
}

static int
mailbox_req_new(enum mailbox_op op, uint64_t user_id, const char *name,
    int special_use, int subscribe, struct mailbox_req **req_r)
{
	struct mailbox_req *req;
	char norm[STORE_MAILBOX_NAME_MAX];
	int rc;

	if ((rc = store_mailbox_name_normalize(name, norm)) != 0)
		return op == MAILBOX_DELETE && rc == STORE_ETOOBIG ?
		    STORE_ENOTFOUND : rc;
	if (special_use < SPECIAL_USE_NONE || special_use > SPECIAL_USE_FLAGGED)
		return STORE_EINVAL;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, mailbox_apply, mailbox_req_free);
	req->op = op;
	req->user_id = user_id;
	req->special_use = special_use;
	req->subscribe = subscribe != 0;
	str_copy(req->name, norm, sizeof(req->name));
	req->base.cost = 256;
	*req_r = req;
	return 0;
}

int
store_mailbox_create(struct store *s, uint64_t user_id, const char *name,
    int special_use)
{
	struct mailbox_req *req;
	int rc;

	if ((rc = mailbox_req_new(MAILBOX_CREATE, user_id, name, special_use,
	    0, &req)) != 0)
		return rc;
	return store_submit_wait(s, &req->base);
}

void
store_mailbox_create_async(struct store *s, uint64_t user_id,
    const char *name, int special_use, int subscribe, store_done_fn done,
    void *arg)
{
	struct mailbox_req *req;
	int rc;

	if ((rc = mailbox_req_new(MAILBOX_CREATE, user_id, name, special_use,
	    subscribe, &req)) != 0)
		store_submit_error(s, rc, done, arg);
	else
		store_submit(s, &req->base, done, arg);
}

void
store_mailbox_delete(struct store *s, uint64_t user_id, const char *name,
    store_done_fn done, void *arg)
{
	struct mailbox_req *req;
	int rc;

	if ((rc = mailbox_req_new(MAILBOX_DELETE, user_id, name, 0, 0,
	    &req)) != 0)
		store_submit_error(s, rc, done, arg);
	else
		store_submit(s, &req->base, done, arg);
}

int
store_mailbox_delete_wait(struct store *s, uint64_t user_id, const char *name)
{
	struct mailbox_req *req;
	int rc;

	if ((rc = mailbox_req_new(MAILBOX_DELETE, user_id, name, 0, 0,
	    &req)) != 0)
		return rc;
	return store_submit_wait(s, &req->base);
}
