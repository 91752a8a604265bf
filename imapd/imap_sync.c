/*
 * imap_sync.c: the session's view of the selected mailbox and the
 * untagged updates that keep it in step with the store (RFC 3501 5.2, 7.3,
 * 7.4; RFC 7162 for MODSEQ and VANISHED).
 *
 * The view (struct imap_selected) is what the client has been told: the
 * messages in MSN order with their flags, keywords and MODSEQ. imap_sync()
 * reads what changed since the view's HIGHESTMODSEQ
 * (store_message_list_changed, store_expunged_since) and reports it:
 * FETCH FLAGS for changed messages (with MODSEQ under CONDSTORE, UID under
 * QRESYNC), EXPUNGE (highest MSN first, so every number sent is right when
 * it is read) or VANISHED under QRESYNC, then EXISTS/RECENT for new
 * messages. Expunges are held back while the command counts by MSN
 * (RFC 3501 7.4.1); the held messages stay in the view, marked.
 *
 * \Recent (RFC 3501 2.3.2.2) goes to exactly one session: the store hands
 * a mailbox's recent UIDs to whichever session claims them first
 * (store_recent_claim), and only that session's view carries the flag.
 *
 * Push: a store watcher (on the writer thread) posts to the session's
 * loop; the session is found again by connection id, never by pointer.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_core.h"
#include "imap_seqset.h"
#include "log.h"
#include "net.h"
#include "util.h"

struct imap_watch {
	atomic_int	 refs;		/* the session's + each posted notification */
	atomic_int	 pending;	/* a notification is posted and not yet run */
	struct loop	*loop;
	uint64_t	 conn_id;
	uint64_t	 mailbox_id;
};

struct claim_job {
	struct loop	*loop;
	uint64_t	 conn_id;
	uint64_t	 mailbox_id;
	uint32_t	*uids;
	size_t		 n;
	int		 status;
};

static void	watch_unref(struct imap_watch *w);
static void	claim_start(struct imap_session *s);

/* ---------------------------------------------------------------- view */

void
imap_view_free(struct imap_selected **selp)
{
	struct imap_selected *sel = *selp;

	if (sel == NULL)
		return;
	free(sel->msgs);
	free(sel->expunged);
	free(sel->keywords);
	free(sel);
	*selp = NULL;
}

struct imap_view_msg *
imap_view_find_uid(struct imap_selected *sel, uint32_t uid, uint32_t *msn_r)
{
	uint32_t lo = 0, hi = sel->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (sel->msgs[mid].uid < uid)
			lo = mid + 1;
		else if (sel->msgs[mid].uid > uid)
			hi = mid;
		else {
			if (msn_r != NULL)
				*msn_r = mid + 1;
			return &sel->msgs[mid];
		}
	}
	return NULL;
}

static void
view_reserve(struct imap_selected *sel, uint32_t n)
{
	uint32_t alloc;

	if (sel->count + n <= sel->alloc)
		return;
	alloc = sel->alloc ? sel->alloc : 64;
	while (alloc < sel->count + n)
		alloc *= 2;
	sel->msgs = xreallocarray(sel->msgs, alloc, sizeof(*sel->msgs));
	if (sel->expunged != NULL) {
		sel->expunged = xrealloc(sel->expunged, alloc);
		memset(sel->expunged + sel->alloc, 0, alloc - sel->alloc);
	}
	sel->alloc = alloc;
}

void
imap_view_add_recent(struct imap_selected *sel, const uint32_t *uids, size_t n)
{
	struct imap_view_msg *v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = imap_view_find_uid(sel, uids[i], NULL);
		if (v != NULL && !(v->flags & STORE_FLAG_RECENT)) {
			v->flags |= STORE_FLAG_RECENT;
			sel->recent++;
			sel->recent_dirty = 1;
		}
	}
}

/* ------------------------------------------------------------ keywords */

void
imap_keywords_load(struct imap_session *s)
{
	struct imap_selected *sel = s->sel;
	char names[STORE_KEYWORDS_MAX][STORE_KEYWORD_LEN];
	int n;

	if (sel == NULL)
		return;
	n = store_keyword_list(s->store, sel->mailbox_id, names);
	if (n < 0 || n > STORE_KEYWORDS_MAX)
		return;
	if (n != sel->n_keywords) {
		free(sel->keywords);
		sel->keywords = n > 0 ? xreallocarray(NULL, (size_t)n,
		    sizeof(*sel->keywords)) : NULL;
	}
	if (n > 0)
		memcpy(sel->keywords, names, (size_t)n * sizeof(*sel->keywords));
	sel->n_keywords = n;
}

void
imap_keywords_refresh(struct imap_session *s)
{
	struct imap_selected *sel = s->sel;
	char flags[STORE_KEYWORDS_MAX * (STORE_KEYWORD_LEN + 1) + 128];
	int i;

	if (sel == NULL)
		return;
	imap_keywords_load(s);
	if (sel->n_keywords <= sel->n_keywords_told)
		return;
	/* RFC 3501 7.2.6: FLAGS lists what may appear in FETCH FLAGS. */
	str_copy(flags, "\\Answered \\Flagged \\Deleted \\Seen \\Draft", sizeof(flags));
	for (i = 0; i < sel->n_keywords; i++) {
		str_append(flags, " ", sizeof(flags));
		str_append(flags, sel->keywords[i], sizeof(flags));
	}
	imap_send_untagged(s, "FLAGS (%s)", flags);
	/* "\*": new keywords may be created, until the mailbox's table is full. */
	if (!sel->readonly)
		imap_send_untagged(s, "OK [PERMANENTFLAGS (%s%s)] Flags permitted.", flags,
		    sel->n_keywords < STORE_KEYWORDS_MAX ? " \\*" : "");
	sel->n_keywords_told = sel->n_keywords;
}

int
imap_keyword_index(struct imap_session *s, const char *name)
{
	struct imap_selected *sel = s->sel;
	int i, pass;

	if (sel == NULL)
		return -1;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sel->n_keywords; i++)
			if (strcasecmp(sel->keywords[i], name) == 0)
				return i;
		if (pass == 0)
			imap_keywords_load(s);
	}
	return -1;
}

/* ---------------------------------------------------------------- sync */

static void
send_flags_fetch(struct imap_session *s, uint32_t msn, const struct imap_view_msg *v)
{
	char flags[STORE_KEYWORDS_MAX * (STORE_KEYWORD_LEN + 1) + 128];
	char uid[24], modseq[40];

	(void)imap_flags_format(s, v->flags, v->keywords, flags, sizeof(flags));
	uid[0] = modseq[0] = '\0';
	/* RFC 7162 3.2.4: with QRESYNC a FETCH carries the UID. */
	if (s->enabled & IMAP_ENABLED_QRESYNC)
		(void)str_format(uid, sizeof(uid), "UID %u ", v->uid);
	if (s->enabled & IMAP_ENABLED_CONDSTORE)
		(void)str_format(modseq, sizeof(modseq), " MODSEQ (%llu)",
		    (unsigned long long)v->modseq);
	imap_send_untagged(s, "%u FETCH (%sFLAGS %s%s)", msn, uid, flags, modseq);
}

/* Remove expunged UIDs (sorted) from the view and tell the client. */
static void
sync_expunge(struct imap_session *s, const uint32_t *uids, size_t n)
{
	struct imap_selected *sel = s->sel;
	uint32_t *msns, *gone, i, k = 0, w;
	size_t j;

	if (n == 0 || sel->count == 0)
		return;
	msns = xreallocarray(NULL, n, sizeof(*msns));
	gone = xreallocarray(NULL, n, sizeof(*gone));
	for (j = 0; j < n; j++) {
		uint32_t msn;

		if (imap_view_find_uid(sel, uids[j], &msn) != NULL) {
			msns[k] = msn;
			gone[k] = uids[j];
			k++;
		}
	}
	if (k > 0) {
		if (s->enabled & IMAP_ENABLED_QRESYNC) {
			/* RFC 7162 3.2.10: one VANISHED for the lot. */
			char *set = imap_seqset_format_list(gone, k);

			imap_send_untagged(s, "VANISHED %s", set);
			free(set);
		} else {
			/* Highest first: the numbers below stay valid. */
			for (i = k; i > 0; i--)
				imap_send_untagged(s, "%u EXPUNGE", msns[i - 1]);
		}
		/* Compact in one pass (a MOVE of 10,000 messages stays linear). */
		for (i = 0, j = 0, w = 0; i < sel->count; i++) {
			if (j < k && msns[j] == i + 1) {
				if (sel->msgs[i].flags & STORE_FLAG_RECENT)
					sel->recent--;
				j++;
				continue;
			}
			sel->msgs[w] = sel->msgs[i];
			if (sel->expunged != NULL)
				sel->expunged[w] = sel->expunged[i];
			w++;
		}
		sel->count = w;
	}
	free(msns);
	free(gone);
}

/* Mark messages gone from the store that the client may not hear of yet. */
static void
sync_mark_expunged(struct imap_session *s, const uint32_t *uids, size_t n)
{
	struct imap_selected *sel = s->sel;
	uint32_t msn;
	size_t j;

	for (j = 0; j < n; j++) {
		if (imap_view_find_uid(sel, uids[j], &msn) == NULL)
			continue;
		if (sel->expunged == NULL)
			sel->expunged = xcalloc(sel->alloc ? sel->alloc : 1, 1);
		sel->expunged[msn - 1] = 1;
	}
}

/* Flag changes of known messages; new ones are collected in *news. */
static void
sync_changes(struct imap_session *s, const struct store_message *msgs, int n,
    struct imap_view_msg **news_r, uint32_t *n_news_r, int *claim_r)
{
	struct imap_selected *sel = s->sel;
	struct imap_view_msg *news = NULL, *v;
	uint32_t n_news = 0, msn;
	int i, unknown = 0;

	for (i = 0; i < n; i++)
		if (sel->n_keywords < 64 && (msgs[i].keywords >> sel->n_keywords) != 0)
			unknown = 1;
	if (unknown || sel->n_keywords > sel->n_keywords_told)
		imap_keywords_refresh(s);
	for (i = 0; i < n; i++) {
		const struct store_message *m = &msgs[i];

		v = imap_view_find_uid(sel, m->uid, &msn);
		if (v != NULL) {
			uint32_t nf = (m->flags & ~STORE_FLAG_RECENT) |
			    (v->flags & STORE_FLAG_RECENT);
			int changed = nf != v->flags || m->keywords != v->keywords ||
			    ((s->enabled & IMAP_ENABLED_CONDSTORE) && m->modseq > v->modseq);

			v->flags = nf;
			v->keywords = m->keywords;
			if (m->modseq > v->modseq)
				v->modseq = m->modseq;
			if (changed && !(sel->expunged != NULL && sel->expunged[msn - 1]))
				send_flags_fetch(s, msn, v);
			continue;
		}
		if (m->uid < sel->uidnext)
			continue;	/* gone from the view already */
		news = xreallocarray(news, n_news + 1, sizeof(*news));
		news[n_news].uid = m->uid;
		news[n_news].flags = m->flags & ~STORE_FLAG_RECENT;
		news[n_news].keywords = m->keywords;
		news[n_news].modseq = m->modseq;
		n_news++;
		if ((m->flags & STORE_FLAG_RECENT) && !sel->readonly)
			*claim_r = 1;
	}
	*news_r = news;
	*n_news_r = n_news;
}

void
imap_sync(struct imap_session *s, unsigned flags)
{
	struct imap_selected *sel = s->sel;
	struct store_mailbox mb;
	struct store_message *msgs = NULL;
	struct imap_view_msg *news = NULL;
	uint32_t n_news = 0, *uids = NULL;
	int r, claim = 0, expunges;

	if (s->state != IMAP_STATE_SELECTED || sel == NULL ||
	    (s->flags & (IMAP_SF_CLOSING | IMAP_SF_CLOSED)))
		return;
	s->notified = 0;
	r = store_mailbox_get_id(s->store, sel->mailbox_id, &mb);
	if (r == STORE_ENOTFOUND || (r == 0 && mb.uidvalidity != sel->uidvalidity)) {
		/* Deleted (or re-created) under us: nothing consistent to say. */
		imap_send_untagged(s, "BYE Selected mailbox was deleted, closing.");
		imap_session_close(s, "selected mailbox deleted");
		return;
	}
	if (r < 0)
		return;		/* temporary; the next sync catches up */
	expunges = !(flags & IMAP_SYNC_NO_EXPUNGE) &&
	    mb.highestmodseq > sel->expunge_modseq;

	if (mb.highestmodseq > sel->highestmodseq) {
		r = store_message_list_changed(s->store, sel->mailbox_id,
		    sel->highestmodseq, &msgs);
		if (r < 0)
			return;
		sync_changes(s, msgs, r, &news, &n_news, &claim);
		free(msgs);
		if (flags & IMAP_SYNC_NO_EXPUNGE) {
			r = store_expunged_since(s->store, sel->mailbox_id,
			    sel->expunge_modseq, &uids);
			if (r > 0)
				sync_mark_expunged(s, uids, (size_t)r);
			free(uids);
			uids = NULL;
		}
		sel->highestmodseq = mb.highestmodseq;
	}
	if (expunges) {
		r = store_expunged_since(s->store, sel->mailbox_id,
		    sel->expunge_modseq, &uids);
		if (r >= 0) {
			sync_expunge(s, uids, (size_t)r);
			free(sel->expunged);
			sel->expunged = NULL;
			sel->expunge_modseq = mb.highestmodseq;
		}
		free(uids);
	}
	if (n_news > 0) {
		view_reserve(sel, n_news);
		memcpy(sel->msgs + sel->count, news, n_news * sizeof(*news));
		sel->count += n_news;
		if (news[n_news - 1].uid >= sel->uidnext)
			sel->uidnext = news[n_news - 1].uid + 1;
		imap_send_untagged(s, "%u EXISTS", sel->count);
		sel->recent_dirty = 1;
	}
	free(news);
	if (sel->recent_dirty) {
		/* IMAP4rev2 dropped RECENT (RFC 9051 appendix E). */
		if (!(s->enabled & IMAP_ENABLED_REV2))
			imap_send_untagged(s, "%u RECENT", sel->recent);
		sel->recent_dirty = 0;
	}
	if (claim)
		claim_start(s);
}

/* ------------------------------------------------------- recent claims */

static void
claim_done_loop(void *arg)
{
	struct claim_job *job = arg;
	struct conn *c = loop_find_conn(job->loop, job->conn_id);
	struct imap_session *s = c != NULL ? conn_session(c) : NULL;

	if (s != NULL && s->sel != NULL && s->sel->mailbox_id == job->mailbox_id) {
		s->sel->claiming = 0;
		if (job->status == 0 && job->n > 0) {
			imap_view_add_recent(s->sel, job->uids, job->n);
			if (s->sel->recent_dirty)
				imap_session_notified(s);
		}
	}
	free(job->uids);
	free(job);
}

static void
claim_done(void *arg, int status)
{
	struct claim_job *job = arg;

	job->status = status;
	loop_post(job->loop, claim_done_loop, job);
}

static void
claim_start(struct imap_session *s)
{
	struct claim_job *job;

	if (s->sel->claiming || s->sel->readonly)
		return;
	job = xcalloc(1, sizeof(*job));
	job->loop = conn_loop(s->conn);
	job->conn_id = s->id;
	job->mailbox_id = s->sel->mailbox_id;
	s->sel->claiming = 1;
	store_recent_claim(s->store, job->mailbox_id, &job->uids, &job->n,
	    claim_done, job);
}

/* ------------------------------------------------------------- watching */

static void
watch_unref(struct imap_watch *w)
{
	if (atomic_fetch_sub(&w->refs, 1) == 1)
		free(w);
}

/* On the session's loop. */
static void
watch_notify(void *arg)
{
	struct imap_watch *w = arg;
	struct conn *c;
	struct imap_session *s;

	atomic_store(&w->pending, 0);
	c = loop_find_conn(w->loop, w->conn_id);
	s = c != NULL ? conn_session(c) : NULL;
	if (s != NULL && s->sel != NULL && s->sel->watch_ctx == w)
		imap_session_notified(s);
	watch_unref(w);
}

/* On the store's writer thread: hand over and return at once. */
static void
watch_fn(void *arg, uint64_t user_id, uint64_t mailbox_id)
{
	struct imap_watch *w = arg;

	(void)user_id;
	if (mailbox_id != w->mailbox_id)
		return;
	/* One notification in flight is enough: the sync reads everything. */
	if (atomic_exchange(&w->pending, 1))
		return;
	atomic_fetch_add(&w->refs, 1);
	loop_post(w->loop, watch_notify, w);
}

void
imap_watch_start(struct imap_session *s)
{
	struct imap_watch *w;

	if (s->sel == NULL || s->sel->watch != 0)
		return;
	w = xcalloc(1, sizeof(*w));
	atomic_init(&w->refs, 1);
	atomic_init(&w->pending, 0);
	w->loop = conn_loop(s->conn);
	w->conn_id = s->id;
	w->mailbox_id = s->sel->mailbox_id;
	s->sel->watch = store_watch_add(s->store, s->user.id, watch_fn, w);
	if (s->sel->watch == 0) {
		free(w);
		return;
	}
	s->sel->watch_ctx = w;
}

void
imap_watch_stop(struct imap_session *s)
{
	if (s->sel == NULL || s->sel->watch == 0)
		return;
	/* After this, watch_fn neither runs nor will run. */
	store_watch_remove(s->store, s->sel->watch);
	s->sel->watch = 0;
	watch_unref(s->sel->watch_ctx);
	s->sel->watch_ctx = NULL;
}

void
imap_session_notified(struct imap_session *s)
{
	s->notified = 1;
	if (s->flags & IMAP_SF_IDLE)
		imap_idle_push(s);
}
