/*
 * store_append.c: IMAP APPEND: one message into one mailbox, with the
 * client's flags, keywords and internal date, answering the new UID and
 * the mailbox's UIDVALIDITY (UIDPLUS APPENDUID, RFC 4315 3).
 *
 * The message gets \Recent as RFC 3501 6.3.11 requires, a blob of its own
 * (with the caller's blob cache, if any) and the next UID and MODSEQ.
 * A new keyword that does not fit the mailbox's table fails the append
 * with STORE_ELIMIT rather than silently dropping the client's keyword.
 * It does not check the message's syntax: that is the front-end's job.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"
#include "util.h"

struct append_req {
	struct store_req	 base;
	uint64_t		 mailbox_id;
	char			*data;
	size_t			 len;
	char			*cache;		/* NULL = none */
	size_t			 cache_len;
	int64_t			 internaldate;
	uint32_t		 flags;
	char			(*kw)[STORE_KEYWORD_LEN];
	size_t			 n_kw;

	uint32_t		 uid, uidvalidity;
	uint32_t		*uid_r, *uidvalidity_r;
};

static void
append_req_free(struct store_req *r)
{
	struct append_req *req = (struct append_req *)r;

	free(req->data);
	free(req->cache);
	free(req->kw);
	free(req);
}

static void
append_finish(struct store_req *r, int status)
{
	struct append_req *req = (struct append_req *)r;

	if (req->uid_r != NULL)
		*req->uid_r = status == 0 ? req->uid : 0;
	if (req->uidvalidity_r != NULL)
		*req->uidvalidity_r = status == 0 ? req->uidvalidity : 0;
}

static int
append_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct append_req *req = (struct append_req *)r;
	struct store_keywords *kw;
	struct store_mailbox mb;
	struct store_message m;
	unsigned int kw_before;
	int rc;

	if ((rc = store_mailbox_load_id(s, txn, req->mailbox_id, &mb)) != 0)
		return rc;
	kw = xmalloc(sizeof(*kw));
	memset(&m, 0, sizeof(m));
	if ((rc = store_keywords_load(s, txn, mb.id, kw)) != 0)
		goto done;
	kw_before = kw->n;
	if ((rc = store_keywords_mask(kw, req->kw, req->n_kw, 1,
	    &m.keywords)) != 0 ||
	    (rc = store_blob_put(s, txn, req->data, req->len, 1, req->cache,
	    req->cache_len, &m.blob_id)) != 0)
		goto done;
	m.flags = req->flags;
	m.size = req->len;
	m.internaldate = req->internaldate;
	if ((rc = store_msg_insert(s, txn, &mb, &m)) != 0 ||
	    (rc = store_mailbox_save(s, txn, &mb)) != 0 ||
	    (kw->n != kw_before &&
	    (rc = store_keywords_save(s, txn, mb.id, kw)) != 0))
		goto done;
	req->uid = m.uid;
	req->uidvalidity = mb.uidvalidity;
	store_req_changed(r, mb.user_id, mb.id);
done:
	free(kw);
	return rc;
}

static int
append_req_new(const struct store_append *a, struct append_req **req_r)
{
	struct append_req *req;
	int rc;

	if (a == NULL || (a->data == NULL && a->len > 0))
		return STORE_EINVAL;
	if (a->len > STORE_BLOB_MAX || a->cache_len > STORE_CACHE_MAX)
		return STORE_ETOOBIG;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, append_apply, append_req_free);
	req->base.finish = append_finish;
	req->uid_r = a->uid_r;
	req->uidvalidity_r = a->uidvalidity_r;
	if ((rc = store_keyword_args(a->keywords, a->n_keywords, &req->kw,
	    &req->n_kw)) != 0) {
		append_req_free(&req->base);
		return rc;
	}
	req->mailbox_id = a->mailbox_id;
	req->data = xmemdup(a->data, a->len);
	req->len = a->len;
	if (a->cache != NULL) {
		req->cache = xmemdup(a->cache, a->cache_len);
		req->cache_len = a->cache_len;
	}
	req->internaldate = a->internaldate != 0 ? a->internaldate :
	    (int64_t)time(NULL);
	/* RFC 3501 6.3.11: the Recent flag is also set. */
	req->flags = (a->flags & STORE_FLAGS_MASK) | STORE_FLAG_RECENT;
	req->base.cost = a->len + req->cache_len + 128;
	*req_r = req;
	return 0;
}

static void
append_refused(const struct store_append *a)
{
	if (a == NULL)
		return;
	if (a->uid_r != NULL)
		*a->uid_r = 0;
	if (a->uidvalidity_r != NULL)
		*a->uidvalidity_r = 0;
}

void
store_append(struct store *s, const struct store_append *a,
    store_done_fn done, void *arg)
{
	struct append_req *req;
	int rc;

	if ((rc = append_req_new(a, &req)) != 0) {
		append_refused(a);
		store_submit_error(s, rc, done, arg);
	} else
		store_submit(s, &req->base, done, arg);
}

int
store_append_wait(struct store *s, const struct store_append *a)
{
	struct append_req *req;
	int rc;

	if ((rc = append_req_new(a, &req)) != 0) {
		append_refused(a);
		return rc;
	}
	return store_submit_wait(s, &req->base);
}
