/*
 * store_message.c: changes to stored messages: flag updates and expunge.
 *
 * Each message whose flags really change gets a new MODSEQ (RFC 7162 3.1:
 * the mod-sequence changes only with the metadata); each expunged message
 * takes a MODSEQ too and leaves an (mailbox, modseq) -> uid record in the
 * expunge log for QRESYNC VANISHED (RFC 7162 3.2.10). UIDs that are not in
 * the mailbox are skipped: another session may have expunged them first.
 * Counters (messages, unseen, recent, size) are kept in step here.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

enum message_op { MESSAGE_FLAGS, MESSAGE_EXPUNGE };

struct message_req {
	struct store_req	 base;
	enum message_op		 op;
	uint64_t		 mailbox_id;
	uint32_t		*uids;
	size_t			 n;
	uint32_t		 set;
	uint32_t		 clear;
};

static void
message_req_free(struct store_req *r)
{
	struct message_req *req = (struct message_req *)r;

	free(req->uids);
	free(req);
}

/* Keep unseen/recent in step with a flag change of one message. */
static void
count_flags(struct store_mailbox *mb, uint32_t flags, int sign)
{
	if (!(flags & STORE_FLAG_SEEN))
		mb->unseen += sign;
	if (flags & STORE_FLAG_RECENT)
		mb->recent += sign;
}

static int
flags_one(struct store *s, MDB_txn *txn, struct message_req *req,
    struct store_mailbox *mb, uint32_t uid, int *changed)
{
	struct store_message m;
	uint8_t key[12], rec[STORE_MESSAGE_REC_LEN];
	MDB_val k = { sizeof(key), key }, v;
	uint32_t flags;
	int rc;

	store_message_key(key, mb->id, uid);
	rc = mdb_get(txn, s->dbi[DB_MESSAGES], &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return store_lmdb_error(rc);
	if ((rc = store_message_decode(&k, &v, &m)) != 0)
		return rc;
	flags = ((m.flags & ~req->clear) | req->set) & STORE_FLAGS_MASK;
	if (flags == m.flags)
		return 0;
	count_flags(mb, m.flags, -1);
	count_flags(mb, flags, 1);
	m.flags = flags;
	m.modseq = ++mb->highestmodseq;
	store_message_encode(&m, rec);
	v.mv_size = sizeof(rec);
	v.mv_data = rec;
	*changed = 1;
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_MESSAGES], &k, &v, 0));
}

static int
expunge_one(struct store *s, MDB_txn *txn, struct store_mailbox *mb,
    uint32_t uid, int *changed)
{
	struct store_message m;
	uint8_t key[12], ekey[16], uidval[4];
	MDB_val k = { sizeof(key), key }, v;
	int rc;

	store_message_key(key, mb->id, uid);
	rc = mdb_get(txn, s->dbi[DB_MESSAGES], &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return store_lmdb_error(rc);
	if ((rc = store_message_decode(&k, &v, &m)) != 0)
		return rc;
	if ((rc = mdb_del(txn, s->dbi[DB_MESSAGES], &k, NULL)) != 0)
		return store_lmdb_error(rc);
	if ((rc = store_blob_unref(s, txn, m.blob_id)) != 0)
		return rc;
	mb->messages--;
	mb->size -= m.size;
	count_flags(mb, m.flags, -1);
	store_put_be64(ekey, mb->id);
	store_put_be64(ekey + 8, ++mb->highestmodseq);
	store_put_le32(uidval, uid);
	k.mv_size = sizeof(ekey);
	k.mv_data = ekey;
	v.mv_size = sizeof(uidval);
	v.mv_data = uidval;
	*changed = 1;
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_EXPUNGES], &k, &v, 0));
}

static int
message_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct message_req *req = (struct message_req *)r;
	struct store_mailbox mb;
	size_t i;
	int rc, changed = 0;

	if ((rc = store_mailbox_load_id(s, txn, req->mailbox_id, &mb)) != 0)
		return rc;
	for (i = 0; i < req->n; i++) {
		if (req->op == MESSAGE_FLAGS)
			rc = flags_one(s, txn, req, &mb, req->uids[i], &changed);
		else
			rc = expunge_one(s, txn, &mb, req->uids[i], &changed);
		if (rc != 0)
			return rc;
	}
	if (!changed)
		return 0;
	if ((rc = store_mailbox_save(s, txn, &mb)) != 0)
		return rc;
	store_req_changed(r, mb.user_id, mb.id);
	return 0;
}

static int
message_req_new(enum message_op op, uint64_t mailbox_id,
    const uint32_t *uids, size_t n, uint32_t set, uint32_t clear,
    struct message_req **req_r)
{
	struct message_req *req;

	if ((uids == NULL && n > 0) || n > STORE_UIDS_MAX)
		return STORE_EINVAL;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, message_apply, message_req_free);
	req->op = op;
	req->mailbox_id = mailbox_id;
	req->uids = xreallocarray(NULL, n > 0 ? n : 1, sizeof(uint32_t));
	if (n > 0)
		memcpy(req->uids, uids, n * sizeof(uint32_t));
	req->n = n;
	req->set = set & STORE_FLAGS_MASK;
	req->clear = clear & STORE_FLAGS_MASK;
	req->base.cost = 64 * n;
	*req_r = req;
	return 0;
}

void
store_flags_update(struct store *s, uint64_t mailbox_id, const uint32_t *uids,
    size_t n, uint32_t set, uint32_t clear, store_done_fn done, void *arg)
{
	struct message_req *req;
	int rc;

	rc = message_req_new(MESSAGE_FLAGS, mailbox_id, uids, n, set, clear,
	    &req);
	if (rc != 0)
		store_submit_error(s, rc, done, arg);
	else
		store_submit(s, &req->base, done, arg);
}

int
store_flags_update_wait(struct store *s, uint64_t mailbox_id,
    const uint32_t *uids, size_t n, uint32_t set, uint32_t clear)
{
	struct message_req *req;
	int rc;

	rc = message_req_new(MESSAGE_FLAGS, mailbox_id, uids, n, set, clear,
	    &req);
	if (rc != 0)
		return rc;
	return store_submit_wait(s, &req->base);
}

void
store_expunge(struct store *s, uint64_t mailbox_id, const uint32_t *uids,
    size_t n, store_done_fn done, void *arg)
{
	struct message_req *req;
	int rc;

	rc = message_req_new(MESSAGE_EXPUNGE, mailbox_id, uids, n, 0, 0, &req);
	if (rc != 0)
		store_submit_error(s, rc, done, arg);
	else
		store_submit(s, &req->base, done, arg);
}

int
store_expunge_wait(struct store *s, uint64_t mailbox_id, const uint32_t *uids,
    size_t n)
{
	struct message_req *req;
	int rc;

	rc = message_req_new(MESSAGE_EXPUNGE, mailbox_id, uids, n, 0, 0, &req);
	if (rc != 0)
		return rc;
	return store_submit_wait(s, &req->base);
}
