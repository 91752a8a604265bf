/*
 * store_copy.c: IMAP COPY and MOVE between two mailboxes of one user.
 *
 * Each copied message shares its blob with the original (one more
 * reference), keeps its flags, internal date and keywords (re-mapped by
 * name into the destination's keyword table) and gets \Recent (RFC 3501
 * 6.4.7) and the destination's next UID and MODSEQ. Source UIDs are taken
 * in ascending order, so the new UIDs ascend with them, which is the
 * correspondence UIDPLUS COPYUID states (RFC 4315 3). MOVE removes the
 * sources in the same nested transaction, expunge log included, so no
 * session ever sees the message in both mailboxes or in neither (RFC 6851
 * 3.3: atomic). A keyword that no longer fits the destination's full table
 * is dropped rather than failing the copy (RFC 3501: flags SHOULD be kept).
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

struct uid_pair {
	uint32_t	 src;
	uint32_t	 dst;		/* 0: no such source message */
};

struct copy_req {
	struct store_req	 base;
	uint64_t		 src_id, dst_id;
	int			 move;
	uint32_t		*uids;		/* as the caller gave them */
	size_t			 n;
	struct uid_pair		*map;		/* sorted, unique sources */
	size_t			 n_map;

	uint32_t		 uidvalidity;
	uint32_t		*new_uids_r;
	uint32_t		*dst_uidvalidity_r;
};

/* Where the copy writes: one struct each, or the same for src == dst. */
struct copy_ctx {
	struct store_mailbox	 src_mb, dst_mb;
	struct store_mailbox	*src, *dst;
	struct store_keywords	*src_kw, *dst_kw;
	int			 remap[STORE_KEYWORDS_MAX];	/* -2 = unknown */
	unsigned int		 dst_kw_before;
};

static void
copy_req_free(struct store_req *r)
{
	struct copy_req *req = (struct copy_req *)r;

	free(req->uids);
	free(req->map);
	free(req);
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct uid_pair *x = a, *y = b;

	return x->src < y->src ? -1 : x->src > y->src;
}

static uint32_t
lookup(const struct copy_req *req, uint32_t uid)
{
	struct uid_pair key = { uid, 0 }, *p;

	p = bsearch(&key, req->map, req->n_map, sizeof(key), pair_cmp);
	return p != NULL ? p->dst : 0;
}

static void
copy_finish(struct store_req *r, int status)
{
	struct copy_req *req = (struct copy_req *)r;
	size_t i;

	if (req->dst_uidvalidity_r != NULL)
		*req->dst_uidvalidity_r = status == 0 ? req->uidvalidity : 0;
	if (req->new_uids_r == NULL)
		return;
	for (i = 0; i < req->n; i++)
		req->new_uids_r[i] = status == 0 ? lookup(req, req->uids[i]) : 0;
}

/* The destination's keyword mask for a source mask. */
static uint64_t
remap_keywords(struct copy_ctx *cx, uint64_t mask)
{
	uint64_t out = 0;
	int i;

	if (cx->src_kw == cx->dst_kw)
		return mask;
	for (i = 0; i < STORE_KEYWORDS_MAX; i++) {
		if (!(mask & (uint64_t)1 << i))
			continue;
		if (cx->remap[i] == -2)
			cx->remap[i] = (unsigned int)i < cx->src_kw->n ?
			    store_keywords_intern(cx->dst_kw,
			    cx->src_kw->names[i]) : -1;
		if (cx->remap[i] >= 0)
			out |= (uint64_t)1 << cx->remap[i];
	}
	return out;
}

static int
copy_one(struct store *s, MDB_txn *txn, struct copy_req *req,
    struct copy_ctx *cx, struct uid_pair *p)
{
	struct store_message m, nm;
	int rc;

	p->dst = 0;
	rc = store_msg_get(s, txn, cx->src->id, p->src, &m);
	if (rc == STORE_ENOTFOUND)
		return 0;	/* expunged meanwhile: COPYUID leaves it out */
	if (rc != 0)
		return rc;
	nm = m;
	nm.flags |= STORE_FLAG_RECENT;
	nm.keywords = remap_keywords(cx, m.keywords);
	/* MOVE hands the source's reference over; COPY takes another. */
	if ((!req->move && (rc = store_blob_ref(s, txn, m.blob_id)) != 0) ||
	    (rc = store_msg_insert(s, txn, cx->dst, &nm)) != 0)
		return rc;
	p->dst = nm.uid;
	if (req->move)
		return store_msg_remove(s, txn, cx->src, &m, 0);
	return 0;
}

static int
load_ctx(struct store *s, MDB_txn *txn, struct copy_req *req,
    struct copy_ctx *cx)
{
	int rc, i;

	if ((rc = store_mailbox_load_id(s, txn, req->src_id,
	    &cx->src_mb)) != 0 ||
	    (rc = store_mailbox_load_id(s, txn, req->dst_id,
	    &cx->dst_mb)) != 0)
		return rc;
	if (cx->src_mb.user_id != cx->dst_mb.user_id)
		return STORE_EINVAL;
	cx->src = &cx->src_mb;
	cx->dst = req->src_id == req->dst_id ? &cx->src_mb : &cx->dst_mb;
	if ((rc = store_keywords_load(s, txn, req->src_id, cx->src_kw)) != 0)
		return rc;
	if (req->src_id == req->dst_id)
		cx->dst_kw = cx->src_kw;
	else if ((rc = store_keywords_load(s, txn, req->dst_id,
	    cx->dst_kw)) != 0)
		return rc;
	cx->dst_kw_before = cx->dst_kw->n;
	for (i = 0; i < STORE_KEYWORDS_MAX; i++)
		cx->remap[i] = -2;
	return 0;
}

static int
copy_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct copy_req *req = (struct copy_req *)r;
	struct store_keywords *tables;
	struct copy_ctx cx;
	size_t i, copied = 0;
	int rc;

	tables = xcalloc(2, sizeof(*tables));
	cx.src_kw = &tables[0];
	cx.dst_kw = &tables[1];
	if ((rc = load_ctx(s, txn, req, &cx)) != 0)
		goto done;
	for (i = 0; i < req->n_map; i++) {
		if ((rc = copy_one(s, txn, req, &cx, &req->map[i])) != 0)
			goto done;
		copied += req->map[i].dst != 0;
	}
	req->uidvalidity = cx.dst->uidvalidity;
	if (copied == 0)
		goto done;
	if ((rc = store_mailbox_save(s, txn, cx.dst)) != 0 ||
	    (req->move && cx.src != cx.dst &&
	    (rc = store_mailbox_save(s, txn, cx.src)) != 0) ||
	    (cx.dst_kw->n != cx.dst_kw_before &&
	    (rc = store_keywords_save(s, txn, cx.dst->id, cx.dst_kw)) != 0))
		goto done;
	store_req_changed(r, cx.dst->user_id, cx.dst->id);
	if (req->move)
		store_req_changed(r, cx.src->user_id, cx.src->id);
done:
	free(tables);
	return rc;
}

static int
copy_req_new(const struct store_copy *cp, struct copy_req **req_r)
{
	struct copy_req *req;
	size_t i, n;

	if (cp == NULL || (cp->uids == NULL && cp->n > 0) ||
	    cp->n > STORE_UIDS_MAX)
		return STORE_EINVAL;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, copy_apply, copy_req_free);
	req->base.finish = copy_finish;
	req->src_id = cp->src_mailbox_id;
	req->dst_id = cp->dst_mailbox_id;
	req->move = cp->move != 0;
	req->n = cp->n;
	req->uids = xreallocarray(NULL, cp->n > 0 ? cp->n : 1,
	    sizeof(uint32_t));
	req->map = xreallocarray(NULL, cp->n > 0 ? cp->n : 1,
	    sizeof(*req->map));
	for (i = 0; i < cp->n; i++) {
		req->uids[i] = cp->uids[i];
		req->map[i].src = cp->uids[i];
		req->map[i].dst = 0;
	}
	if (cp->n > 0)
		qsort(req->map, cp->n, sizeof(*req->map), pair_cmp);
	for (i = n = 0; i < cp->n; i++)
		if (n == 0 || req->map[n - 1].src != req->map[i].src)
			req->map[n++] = req->map[i];
	req->n_map = n;
	req->new_uids_r = cp->new_uids_r;
	req->dst_uidvalidity_r = cp->dst_uidvalidity_r;
	req->base.cost = 128 * n;
	*req_r = req;
	return 0;
}

static void
copy_refused(const struct store_copy *cp)
{
	size_t i;

	if (cp == NULL)
		return;
	if (cp->dst_uidvalidity_r != NULL)
		*cp->dst_uidvalidity_r = 0;
	if (cp->new_uids_r != NULL && cp->uids != NULL &&
	    cp->n <= STORE_UIDS_MAX)
		for (i = 0; i < cp->n; i++)
			cp->new_uids_r[i] = 0;
}

void
store_copy(struct store *s, const struct store_copy *cp, store_done_fn done,
    void *arg)
{
	struct copy_req *req;
	int rc;

	if ((rc = copy_req_new(cp, &req)) != 0) {
		copy_refused(cp);
		store_submit_error(s, rc, done, arg);
	} else
		store_submit(s, &req->base, done, arg);
}

int
store_copy_wait(struct store *s, const struct store_copy *cp)
{
	struct copy_req *req;
	int rc;

	if ((rc = copy_req_new(cp, &req)) != 0) {
		copy_refused(cp);
		return rc;
	}
	return store_submit_wait(s, &req->base);
}
