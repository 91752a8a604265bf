/*
 * store_flags.c: IMAP STORE: system flags and keywords of messages by
 * UID, added, removed or replaced, optionally conditional on MODSEQ
 * (CONDSTORE UNCHANGEDSINCE, RFC 7162 3.1.3).
 *
 * A message whose flags or keywords really change gets a new MODSEQ; one
 * that would not change keeps its MODSEQ (RFC 7162 3.1: the mod-sequence
 * changes with the metadata). A message whose MODSEQ is above
 * UNCHANGEDSINCE is left alone and reported, so IMAP can answer
 * [MODIFIED uid-set]. \Recent is never changed here (RFC 3501 2.3.2: a
 * client cannot change it; store_recent.c clears it). Results go to the
 * caller's memory after the commit (finish hook).
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

struct flags_req {
	struct store_req	 base;
	uint64_t		 mailbox_id;
	uint32_t		*uids;
	size_t			 n;
	uint32_t		 set, clear;
	char			(*set_kw)[STORE_KEYWORD_LEN];
	size_t			 n_set_kw;
	char			(*clear_kw)[STORE_KEYWORD_LEN];
	size_t			 n_clear_kw;
	int			 replace;
	uint64_t		 unchangedsince;

	/* Results, copied to the caller's pointers by flags_finish. */
	uint32_t		*failed;	/* n entries when unchangedsince */
	size_t			 n_failed;
	uint64_t		*modseqs;	/* n entries when wanted */
	uint32_t		*failed_uids_r;
	size_t			*n_failed_r;
	uint64_t		*modseqs_r;
};

struct flags_masks {
	uint32_t	 set, clear;
	uint64_t	 kw_set, kw_clear;
	uint64_t	 start_modseq;	/* HIGHESTMODSEQ before this request */
};

static void
flags_req_free(struct store_req *r)
{
	struct flags_req *req = (struct flags_req *)r;

	free(req->uids);
	free(req->set_kw);
	free(req->clear_kw);
	free(req->failed);
	free(req->modseqs);
	free(req);
}

static void
flags_finish(struct store_req *r, int status)
{
	struct flags_req *req = (struct flags_req *)r;

	if (req->n_failed_r != NULL)
		*req->n_failed_r = status == 0 ? req->n_failed : 0;
	if (status != 0)
		return;
	if (req->failed_uids_r != NULL && req->n_failed > 0)
		memcpy(req->failed_uids_r, req->failed,
		    req->n_failed * sizeof(uint32_t));
	if (req->modseqs_r != NULL && req->n > 0)
		memcpy(req->modseqs_r, req->modseqs, req->n * sizeof(uint64_t));
}

/* The new flags and keywords of m; returns 1 when they differ. */
static int
new_state(const struct flags_req *req, const struct flags_masks *fm,
    const struct store_message *old, struct store_message *m)
{
	*m = *old;
	if (req->replace) {
		m->flags = fm->set | (old->flags & STORE_FLAG_RECENT);
		m->keywords = fm->kw_set;
	} else {
		m->flags = (old->flags & ~fm->clear) | fm->set;
		m->keywords = (old->keywords & ~fm->kw_clear) | fm->kw_set;
	}
	return m->flags != old->flags || m->keywords != old->keywords;
}

static int
change_one(struct store *s, MDB_txn *txn, struct flags_req *req,
    const struct flags_masks *fm, struct store_mailbox *mb, size_t i,
    int *changed)
{
	struct store_message old, m;
	int rc;

	rc = store_msg_get(s, txn, mb->id, req->uids[i], &old);
	if (rc == STORE_ENOTFOUND) {
		if (req->modseqs != NULL)
			req->modseqs[i] = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	/*
	 * A MODSEQ above the start is this request's own change (a UID
	 * listed twice), not a conflict.
	 */
	if (req->unchangedsince != 0 && old.modseq > req->unchangedsince &&
	    old.modseq <= fm->start_modseq) {
		req->failed[req->n_failed++] = old.uid;
		m = old;
	} else if (new_state(req, fm, &old, &m)) {
		if ((rc = store_msg_update(s, txn, mb, &old, &m, 1)) != 0)
			return rc;
		*changed = 1;
	}
	if (req->modseqs != NULL)
		req->modseqs[i] = m.modseq;
	return 0;
}

static int
flags_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct flags_req *req = (struct flags_req *)r;
	struct store_keywords *kw;
	struct store_mailbox mb;
	struct flags_masks fm;
	unsigned int kw_before;
	size_t i;
	int rc, changed = 0;

	req->n_failed = 0;
	if ((rc = store_mailbox_load_id(s, txn, req->mailbox_id, &mb)) != 0)
		return rc;
	kw = xmalloc(sizeof(*kw));
	if ((rc = store_keywords_load(s, txn, mb.id, kw)) != 0)
		goto done;
	kw_before = kw->n;
	memset(&fm, 0, sizeof(fm));
	fm.set = req->set;
	fm.clear = req->clear;
	fm.start_modseq = mb.highestmodseq;
	if ((rc = store_keywords_mask(kw, req->set_kw, req->n_set_kw, 1,
	    &fm.kw_set)) != 0 ||
	    (rc = store_keywords_mask(kw, req->clear_kw, req->n_clear_kw, 0,
	    &fm.kw_clear)) != 0)
		goto done;
	for (i = 0; i < req->n; i++)
		if ((rc = change_one(s, txn, req, &fm, &mb, i, &changed)) != 0)
			goto done;
	if (!changed)
		goto done;	/* new names unused: the table stays as it was */
	if ((rc = store_mailbox_save(s, txn, &mb)) != 0 ||
	    (kw->n != kw_before &&
	    (rc = store_keywords_save(s, txn, mb.id, kw)) != 0))
		goto done;
	store_req_changed(r, mb.user_id, mb.id);
done:
	free(kw);
	return rc;
}

static int
flags_req_new(const struct store_flag_change *fc, struct flags_req **req_r)
{
	struct flags_req *req;
	int rc;

	if (fc == NULL || (fc->uids == NULL && fc->n > 0) ||
	    fc->n > STORE_UIDS_MAX ||
	    (fc->unchangedsince != 0 && fc->n > 0 &&
	    fc->failed_uids_r == NULL))
		return STORE_EINVAL;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, flags_apply, flags_req_free);
	req->base.finish = flags_finish;
	if ((rc = store_keyword_args(fc->set_keywords, fc->n_set_keywords,
	    &req->set_kw, &req->n_set_kw)) != 0 ||
	    (rc = store_keyword_args(fc->clear_keywords, fc->n_clear_keywords,
	    &req->clear_kw, &req->n_clear_kw)) != 0) {
		flags_req_free(&req->base);
		return rc;
	}
	req->mailbox_id = fc->mailbox_id;
	req->uids = xreallocarray(NULL, fc->n > 0 ? fc->n : 1, sizeof(uint32_t));
	if (fc->n > 0)
		memcpy(req->uids, fc->uids, fc->n * sizeof(uint32_t));
	req->n = fc->n;
	req->set = fc->set & STORE_FLAGS_MASK & ~STORE_FLAG_RECENT;
	req->clear = fc->clear & STORE_FLAGS_MASK & ~STORE_FLAG_RECENT;
	req->replace = fc->replace != 0;
	req->unchangedsince = fc->unchangedsince;
	if (req->unchangedsince != 0)
		req->failed = xreallocarray(NULL, fc->n > 0 ? fc->n : 1,
		    sizeof(uint32_t));
	if (fc->modseqs_r != NULL)
		req->modseqs = xcalloc(fc->n > 0 ? fc->n : 1, sizeof(uint64_t));
	req->failed_uids_r = fc->failed_uids_r;
	req->n_failed_r = fc->n_failed_r;
	req->modseqs_r = fc->modseqs_r;
	req->base.cost = 64 * fc->n;
	*req_r = req;
	return 0;
}

void
store_flags_change(struct store *s, const struct store_flag_change *fc,
    store_done_fn done, void *arg)
{
	struct flags_req *req;
	int rc;

	if ((rc = flags_req_new(fc, &req)) != 0) {
		if (fc != NULL && fc->n_failed_r != NULL)
			*fc->n_failed_r = 0;
		store_submit_error(s, rc, done, arg);
	} else
		store_submit(s, &req->base, done, arg);
}

int
store_flags_change_wait(struct store *s, const struct store_flag_change *fc)
{
	struct flags_req *req;
	int rc;

	if ((rc = flags_req_new(fc, &req)) != 0) {
		if (fc != NULL && fc->n_failed_r != NULL)
			*fc->n_failed_r = 0;
		return rc;
	}
	return store_submit_wait(s, &req->base);
}
