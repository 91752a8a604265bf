/*
 * store_message.c: the original message writes: flag updates by bit mask
 * (POP3's \Seen, IMAP's simple case) and expunge.
 *
 * Each message whose flags really change gets a new MODSEQ (RFC 7162 3.1:
 * the mod-sequence changes only with the metadata); each expunged message
 * takes a MODSEQ too and leaves an (mailbox, modseq) -> uid record in the
 * expunge log for QRESYNC VANISHED (RFC 7162 3.2.10). UIDs that are not in
 * the mailbox are skipped: another session may have expunged them first.
 * The record writes and counters are store_message_txn.c's; keywords and
 * conditional stores are store_flags.c's.
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

static int
flags_one(struct store *s, MDB_txn *txn, struct message_req *req,
    struct store_mailbox *mb, uint32_t uid, int *changed)
{
	struct store_message old, m;
	int rc;

	rc = store_msg_get(s, txn, mb->id, uid, &old);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	m = old;
	m.flags = ((old.flags & ~req->clear) | req->set) & STORE_FLAGS_MASK;
	if (m.flags == old.flags)
		return 0;
	*changed = 1;
	return store_msg_update(s, txn, mb, &old, &m, 1);
}

static int
expunge_one(struct store *s, MDB_txn *txn, struct store_mailbox *mb,
    uint32_t uid, int *changed)
{
	struct store_message m;
	int rc;

	rc = store_msg_get(s, txn, mb->id, uid, &m);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	*changed = 1;
	return store_msg_remove(s, txn, mb, &m, 1);
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
