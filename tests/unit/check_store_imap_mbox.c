/*
 * check_store_imap_mbox.c: the store's IMAP operations on mailboxes:
 * COPY and MOVE (shared blobs, counters, keywords by name, expunge log,
 * new UIDs in order, watchers of both sides), CREATE and DELETE (blobs
 * freed, expunges logged, children kept), RENAME (children, INBOX),
 * subscriptions of existing and missing names, and a batch in which
 * failing requests leave the others alone.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_store_imap.h"
#include "util.h"

static const char msg1[] = "From: a@example.org\r\nSubject: one\r\n\r\nHello\r\n";
static const char msg2[] = "From: b@example.org\r\nSubject: two\r\n\r\nWorld!\r\n";
static const char msg3[] = "Subject: three\r\n\r\n3\r\n";

/* ----------------------------------------------------------- COPY/MOVE */

/*
 * INBOX: UID 1 msg1 \Seen + $a, UID 2 msg2 + $b, UID 3 msg3 + $a $b.
 * Archive already holds one message with keyword $b (table: $b).
 */
static uint64_t
copy_fixture(uint64_t *user_r, uint64_t *archive_r)
{
	static const char *const a[] = { "$a" }, *const b[] = { "$b" };
	static const char *const ab[] = { "$a", "$b" };
	uint64_t u, ib, ar;

	u = add_user(t_st, "a@example.org");
	ib = inbox_id(t_st, u);
	ck_assert_uint_eq(append_msg(ib, msg1, STORE_FLAG_SEEN, a, 1), 1);
	ck_assert_uint_eq(append_msg(ib, msg2, 0, b, 1), 2);
	ck_assert_uint_eq(append_msg(ib, msg3, STORE_FLAG_FLAGGED, ab, 2), 3);
	ar = mbox(u, "Archive").id;
	ck_assert_uint_eq(append_msg(ar, msg2, STORE_FLAG_SEEN, b, 1), 1);
	*user_r = u;
	*archive_r = ar;
	return ib;
}

START_TEST(test_copy)
{
	uint32_t uids[] = { 3, 1, 99, 3 }, new_uids[4], uv = 0;
	struct store_mailbox src_before, src, dst;
	struct store_message m;
	struct watch_set w;
	uint64_t u, ib, ar, blob1, blob3;
	uint64_t h;
	uint32_t *claimed;
	size_t n;
	int status;

	ib = copy_fixture(&u, &ar);
	free(claim_recent(ar, &n, &status));	/* Archive's \Recent is gone */
	src_before = mbox(u, "INBOX");
	blob1 = msg(ib, 1).blob_id;
	blob3 = msg(ib, 3).blob_id;
	watch_set_init(&w);
	watch_barrier();	/* earlier commits notified before we watch */
	h = store_watch_add(t_st, u, watch_set_fn, &w);

	ck_assert_int_eq(copy_uids(ib, ar, uids, 4, 0, new_uids, &uv), 0);
	/* New UIDs ascend with the source UIDs, whatever the order given. */
	ck_assert_uint_eq(new_uids[0], 3);
	ck_assert_uint_eq(new_uids[1], 2);
	ck_assert_uint_eq(new_uids[2], 0);
	ck_assert_uint_eq(new_uids[3], 3);
	ck_assert_uint_eq(uv, mbox(u, "Archive").uidvalidity);

	/* Flags kept, \Recent set, keywords by name ($b is bit 0 here). */
	ck_assert_int_eq(kw_bit(ar, "$b"), 0);
	ck_assert_int_eq(kw_bit(ar, "$a"), 1);
	m = msg(ar, 2);
	ck_assert_uint_eq(m.flags, STORE_FLAG_SEEN | STORE_FLAG_RECENT);
	ck_assert_uint_eq(m.keywords, 2);
	ck_assert_uint_eq(m.blob_id, blob1);		/* shared, not copied */
	ck_assert_uint_eq(m.internaldate, msg(ib, 1).internaldate);
	m = msg(ar, 3);
	ck_assert_uint_eq(m.flags, STORE_FLAG_FLAGGED | STORE_FLAG_RECENT);
	ck_assert_uint_eq(m.keywords, 3);
	ck_assert_uint_eq(m.blob_id, blob3);
	ck_assert_uint_gt(m.modseq, msg(ar, 2).modseq);

	dst = mbox(u, "Archive");
	ck_assert_uint_eq(dst.messages, 3);
	ck_assert_uint_eq(dst.unseen, 1);
	ck_assert_uint_eq(dst.recent, 2);
	ck_assert_uint_eq(dst.size, strlen(msg2) + strlen(msg1) +
	    strlen(msg3));
	ck_assert_uint_eq(dst.uidnext, 4);
	ck_assert_uint_eq(dst.highestmodseq, m.modseq);
	/* COPY leaves the source as it was. */
	src = mbox(u, "INBOX");
	ck_assert_uint_eq(src.messages, 3);
	ck_assert_uint_eq(src.highestmodseq, src_before.highestmodseq);

	watch_barrier();
	ck_assert(watch_set_has(&w, ar));
	ck_assert(!watch_set_has(&w, ib));

	/* The recent copies go to one claimant. */
	claimed = claim_recent(ar, &n, &status);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(claimed[0], 2);
	ck_assert_uint_eq(claimed[1], 3);
	free(claimed);

	/* Refused: other user's mailbox, missing mailboxes, bad arguments. */
	{
		uint64_t v = add_user(t_st, "v@example.org");

		ck_assert_int_eq(copy_uids(ib, inbox_id(t_st, v), uids, 1, 0,
		    new_uids, &uv), STORE_EINVAL);
		ck_assert_uint_eq(new_uids[0], 0);
		ck_assert_uint_eq(uv, 0);
		ck_assert_int_eq(copy_uids(ib, 9999, uids, 1, 1, new_uids,
		    NULL), STORE_ENOTFOUND);
		ck_assert_int_eq(copy_uids(9999, ib, uids, 1, 0, new_uids,
		    NULL), STORE_ENOTFOUND);
		ck_assert_int_eq(copy_uids(ib, ar, NULL, 1, 0, new_uids,
		    NULL), STORE_EINVAL);
		ck_assert_int_eq(store_copy_wait(t_st, NULL), STORE_EINVAL);
	}
	ck_assert_uint_eq(mbox(u, "INBOX").messages, 3);

	store_watch_remove(t_st, h);
	watch_set_destroy(&w);
	ck_assert_int_eq(check_problems(t_st), 0);
	store_close(&t_st);
	ck_assert_int_eq(raw_blob_refs(t_dir, blob1), 2);
	ck_assert_int_eq(raw_blob_refs(t_dir, blob3), 2);
	t_st = open_store(t_dir);
}
END_TEST

START_TEST(test_move)
{
	uint32_t uids[] = { 2, 1 }, new_uids[2], uv, *gone, missing = 42;
	struct store_mailbox src_before, src, dst;
	struct store_message *list, m;
	struct watch_set w;
	uint64_t u, ib, ar, trash, blob2, h;
	int n;

	ib = copy_fixture(&u, &ar);
	src_before = mbox(u, "INBOX");
	blob2 = msg(ib, 2).blob_id;
	trash = mbox(u, "Trash").id;
	watch_set_init(&w);
	watch_barrier();	/* earlier commits notified before we watch */
	h = store_watch_add(t_st, u, watch_set_fn, &w);

	ck_assert_int_eq(copy_uids(ib, trash, uids, 2, 1, new_uids, &uv), 0);
	ck_assert_uint_eq(new_uids[0], 2);	/* source 2 -> 2, 1 -> 1 */
	ck_assert_uint_eq(new_uids[1], 1);
	ck_assert_uint_eq(uv, mbox(u, "Trash").uidvalidity);

	src = mbox(u, "INBOX");
	ck_assert_uint_eq(src.messages, 1);
	ck_assert_uint_eq(src.unseen, 1);
	ck_assert_uint_eq(src.recent, 1);
	ck_assert_uint_eq(src.size, strlen(msg3));
	ck_assert_uint_eq(src.uidnext, 4);
	ck_assert_uint_gt(src.highestmodseq, src_before.highestmodseq);
	n = store_message_list(t_st, ib, &list);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(list[0].uid, 3);
	free(list);
	/* The source side is an expunge (QRESYNC VANISHED). */
	n = store_expunged_since(t_st, ib, src_before.highestmodseq, &gone);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(gone[0], 1);
	ck_assert_uint_eq(gone[1], 2);
	free(gone);

	dst = mbox(u, "Trash");
	ck_assert_uint_eq(dst.messages, 2);
	ck_assert_uint_eq(dst.unseen, 1);
	ck_assert_uint_eq(dst.recent, 2);
	ck_assert_uint_eq(dst.size, strlen(msg1) + strlen(msg2));
	ck_assert_uint_eq(msg(trash, 1).flags, STORE_FLAG_SEEN |
	    STORE_FLAG_RECENT);
	ck_assert_int_eq(kw_bit(trash, "$a"), 0);	/* mapped in UID order */
	ck_assert_uint_eq(msg(trash, 2).keywords, 2);
	ck_assert_uint_eq(msg(trash, 2).blob_id, blob2);

	watch_barrier();
	ck_assert(watch_set_has(&w, ib));
	ck_assert(watch_set_has(&w, trash));

	/* Nothing to move: success, nothing changes, no MODSEQ taken. */
	src_before = mbox(u, "INBOX");
	ck_assert_int_eq(copy_uids(ib, trash, &missing, 1, 1, new_uids, &uv),
	    0);
	ck_assert_uint_eq(new_uids[0], 0);
	ck_assert_uint_eq(mbox(u, "INBOX").highestmodseq,
	    src_before.highestmodseq);

	/* MOVE inside one mailbox: a new UID, the old one expunged. */
	ck_assert_int_eq(copy_uids(trash, trash, &new_uids[1], 1, 1, uids,
	    NULL), 0);
	ck_assert_uint_eq(uids[0], 3);
	dst = mbox(u, "Trash");
	ck_assert_uint_eq(dst.messages, 2);
	ck_assert_uint_eq(dst.uidnext, 4);
	ck_assert_int_eq(store_message_get(t_st, trash, 1, &m),
	    STORE_ENOTFOUND);
	ck_assert_uint_eq(msg(trash, 3).keywords, 1);

	store_watch_remove(t_st, h);
	watch_set_destroy(&w);
	ck_assert_int_eq(check_problems(t_st), 0);
	store_close(&t_st);
	ck_assert_int_eq(raw_blob_refs(t_dir, blob2), 1);	/* moved, not copied */
	t_st = open_store(t_dir);
}
END_TEST

/* ------------------------------------------------------- CREATE/DELETE */

START_TEST(test_create_delete)
{
	static const char cache[] = "cached";
	uint32_t one = 1, new_uid, *gone;
	struct store_mailbox mb, old;
	struct store_message *list;
	struct store_delivery d;
	struct completions c;
	struct watch_set w;
	uint64_t u, ib, proj, blob_shared, blob_own, h;
	char names[STORE_KEYWORDS_MAX][STORE_KEYWORD_LEN];
	static const char *const kw[] = { "$x" };
	char *data;
	size_t len;
	int n;

	u = add_user(t_st, "a@example.org");
	ib = inbox_id(t_st, u);
	proj = mbox_create(u, "Projects", 1);
	mb = mbox(u, "Projects");
	ck_assert_int_eq(mb.subscribed, 1);
	ck_assert_int_eq(mb.special_use, SPECIAL_USE_NONE);
	(void)mbox_create(u, "Projects/2024", 0);
	ck_assert_int_eq(mbox(u, "Projects/2024").subscribed, 0);

	/* Create: exists, bad names, special use, unknown user. */
	completions_init(&c);
	store_mailbox_create_async(t_st, u, "projects", SPECIAL_USE_ALL, 0,
	    completions_done, &c);
	ck_assert_int_eq(wait_done(&c), 0);	/* names are case-sensitive */
	ck_assert_int_eq(mbox(u, "projects").special_use, SPECIAL_USE_ALL);
	completions_init(&c);
	store_mailbox_create_async(t_st, u, "Projects", 0, 0, completions_done,
	    &c);
	ck_assert_int_eq(wait_done(&c), STORE_EEXIST);
	completions_init(&c);
	store_mailbox_create_async(t_st, u, "a//b", 0, 0, completions_done, &c);
	ck_assert_int_eq(wait_done(&c), STORE_EINVAL);
	completions_init(&c);
	store_mailbox_create_async(t_st, 9999, "X", 0, 0, completions_done, &c);
	ck_assert_int_eq(wait_done(&c), STORE_ENOTFOUND);

	/* Projects: one message shared with INBOX, one of its own. */
	memset(&d, 0, sizeof(d));
	d.user_ids = &u;
	d.n_users = 1;
	d.data = msg1;
	d.len = strlen(msg1);
	d.cache = cache;
	d.cache_len = strlen(cache);
	ck_assert_int_eq(store_deliver_wait(t_st, &d), 0);
	ck_assert_int_eq(copy_uids(ib, proj, &one, 1, 0, &new_uid, NULL), 0);
	ck_assert_uint_eq(append_msg(proj, msg2, 0, kw, 1), 2);
	blob_shared = msg(ib, 1).blob_id;
	blob_own = msg(proj, 2).blob_id;
	ck_assert_int_eq(cache_set(blob_own, cache, strlen(cache)), 0);
	old = mbox(u, "Projects");

	watch_set_init(&w);
	watch_barrier();	/* earlier commits notified before we watch */
	h = store_watch_add(t_st, u, watch_set_fn, &w);
	ck_assert_int_eq(store_mailbox_delete_wait(t_st, u, "Projects"), 0);
	ck_assert_int_eq(store_mailbox_get(t_st, u, "Projects", &mb),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_mailbox_get_id(t_st, proj, &mb),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_message_list(t_st, proj, &list),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_keyword_list(t_st, proj, names),
	    STORE_ENOTFOUND);
	/* A session that had it selected learns both UIDs are gone. */
	n = store_expunged_since(t_st, proj, old.highestmodseq, &gone);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(gone[0], 1);
	ck_assert_uint_eq(gone[1], 2);
	free(gone);
	/* Children stay; INBOX's copy stays; the own blob is gone. */
	(void)mbox(u, "Projects/2024");
	assert_blob(t_st, blob_shared, msg1);
	ck_assert_int_eq(store_blob_cache_get(t_st, blob_shared, &data, &len),
	    0);
	free(data);
	ck_assert_int_eq(store_blob_read(t_st, blob_own, &data, &len),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_blob_cache_get(t_st, blob_own, &data, &len),
	    STORE_ENOTFOUND);
	watch_barrier();
	ck_assert(watch_set_has(&w, proj));
	store_watch_remove(t_st, h);
	watch_set_destroy(&w);

	/* Refused: INBOX (any case), a missing name, a bad name. */
	ck_assert_int_eq(store_mailbox_delete_wait(t_st, u, "inbox"),
	    STORE_EINVAL);
	ck_assert_int_eq(store_mailbox_delete_wait(t_st, u, "Projects"),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_mailbox_delete_wait(t_st, u, "/x"),
	    STORE_EINVAL);
	completions_init(&c);
	store_mailbox_delete(t_st, u, "Nope", completions_done, &c);
	ck_assert_int_eq(wait_done(&c), STORE_ENOTFOUND);

	/* Created again: a new id and UIDVALIDITY, still subscribed. */
	(void)mbox_create(u, "Projects", 0);
	mb = mbox(u, "Projects");
	ck_assert_uint_gt(mb.id, old.id);
	ck_assert_uint_gt(mb.uidvalidity, old.uidvalidity);
	ck_assert_uint_eq(mb.uidnext, 1);
	ck_assert_uint_eq(mb.messages, 0);
	ck_assert_int_eq(mb.subscribed, 1);
	ck_assert_int_eq(store_keyword_list(t_st, mb.id, names), 0);

	ck_assert_int_eq(check_problems(t_st), 0);
	store_close(&t_st);
	ck_assert_int_eq(raw_blob_refs(t_dir, blob_shared), 1);
	ck_assert_int_eq(raw_blob_refs(t_dir, blob_own), -1);
	ck_assert_uint_eq(raw_entries(t_dir, "blobs"), 1);
	ck_assert_uint_eq(raw_entries(t_dir, "blob_cache"), 1);
	t_st = open_store(t_dir);
}
END_TEST

/* -------------------------------------------------------------- RENAME */

struct names {
	char	 v[32][STORE_MAILBOX_NAME_MAX];
	int	 n;
};

static int
collect_name(void *arg, const char *name)
{
	struct names *l = arg;

	if (l->n < 32)
		str_copy(l->v[l->n++], name, STORE_MAILBOX_NAME_MAX);
	return 0;
}

static int
collect_mailbox(void *arg, const struct store_mailbox *mb)
{
	return collect_name(arg, mb->name);
}

/* "a,b,c": the user's mailbox names or subscriptions, in order. */
static void
assert_names(uint64_t u, int subscriptions, const char *want)
{
	struct names l;
	char got[4096];
	int i;

	memset(&l, 0, sizeof(l));
	if (subscriptions)
		ck_assert_int_eq(store_subscription_list(t_st, u, collect_name,
		    &l), 0);
	else
		ck_assert_int_eq(store_mailbox_list(t_st, u, collect_mailbox,
		    &l), 0);
	got[0] = '\0';
	for (i = 0; i < l.n; i++) {
		if (i > 0)
			str_append(got, ",", sizeof(got));
		str_append(got, l.v[i], sizeof(got));
	}
	ck_assert_str_eq(got, want);
}

START_TEST(test_rename)
{
	struct store_mailbox a, ax, axy, mb;
	struct store_message *list;
	struct watch_set w;
	uint64_t u, h;
	char longname[STORE_MAILBOX_NAME_MAX];

	u = add_user(t_st, "a@example.org");
	(void)mbox_create(u, "a", 1);
	(void)mbox_create(u, "a/x", 0);
	(void)mbox_create(u, "a/x/y", 1);
	(void)mbox_create(u, "ab", 0);
	a = mbox(u, "a");
	ax = mbox(u, "a/x");
	axy = mbox(u, "a/x/y");
	ck_assert_uint_eq(append_msg(ax.id, msg1, STORE_FLAG_SEEN, NULL, 0), 1);

	watch_set_init(&w);
	watch_barrier();	/* earlier commits notified before we watch */
	h = store_watch_add(t_st, u, watch_set_fn, &w);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "a", "b"), 0);
	assert_names(u, 0, "Archive,Drafts,INBOX,Junk,Sent,Trash,ab,b,b/x,"
	    "b/x/y");
	assert_names(u, 1, "Archive,Drafts,INBOX,Junk,Sent,Trash,b,b/x/y");
	/* Same mailboxes: ids, UIDVALIDITY, messages, counters kept. */
	mb = mbox(u, "b/x");
	ck_assert_uint_eq(mb.id, ax.id);
	ck_assert_uint_eq(mb.uidvalidity, ax.uidvalidity);
	ck_assert_uint_eq(mb.messages, 1);
	ck_assert_uint_eq(mb.uidnext, 2);
	ck_assert_int_eq(mb.subscribed, 0);
	ck_assert_int_eq(store_message_list(t_st, mb.id, &list), 1);
	assert_blob(t_st, list[0].blob_id, msg1);
	free(list);
	ck_assert_uint_eq(mbox(u, "b").id, a.id);
	ck_assert_int_eq(mbox(u, "b").subscribed, 1);
	ck_assert_uint_eq(mbox(u, "b/x/y").id, axy.id);
	mb = mbox(u, "b/x/y");
	ck_assert_int_eq(store_mailbox_get_id(t_st, axy.id, &mb), 0);
	ck_assert_str_eq(mb.name, "b/x/y");
	ck_assert_int_eq(mb.subscribed, 1);
	watch_barrier();
	ck_assert(watch_set_has(&w, a.id));
	ck_assert(watch_set_has(&w, ax.id));
	ck_assert(watch_set_has(&w, axy.id));
	ck_assert_uint_eq(watch_set_count(&w), 3);
	store_watch_remove(t_st, h);
	watch_set_destroy(&w);

	/* Refused, nothing changed. */
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "b", "ab"),
	    STORE_EEXIST);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "b", "b"),
	    STORE_EEXIST);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "b", "Inbox"),
	    STORE_EEXIST);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "b", "b/c"),
	    STORE_EINVAL);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "nope", "c"),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "b", "c//d"),
	    STORE_EINVAL);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, 9999, "b", "c"),
	    STORE_ENOTFOUND);
	/* A child's new name is taken: the whole rename fails. */
	(void)mbox_create(u, "c/x", 0);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "b", "c"),
	    STORE_EEXIST);
	/* A child's new name too long. */
	memset(longname, 'n', 500);
	longname[500] = '\0';
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "b", longname),
	    STORE_ETOOBIG);
	assert_names(u, 0, "Archive,Drafts,INBOX,Junk,Sent,Trash,ab,b,b/x,"
	    "b/x/y,c/x");

	/* Up one level: "b/x" -> "b" after "b" moved away; "b/x/y" -> "b/y". */
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "b", "z"), 0);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "z/x", "z"),
	    STORE_EEXIST);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "z/x", "y"), 0);
	assert_names(u, 0, "Archive,Drafts,INBOX,Junk,Sent,Trash,ab,c/x,y,"
	    "y/y,z");
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "z", "q/z"), 0);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "y", "q"), 0);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "q/z", "q/z/z"),
	    STORE_EINVAL);
	assert_names(u, 0, "Archive,Drafts,INBOX,Junk,Sent,Trash,ab,c/x,q,q/y,"
	    "q/z");
	ck_assert_uint_eq(mbox(u, "q").id, ax.id);
	ck_assert_uint_eq(mbox(u, "q").messages, 1);
	assert_names(u, 1, "Archive,Drafts,INBOX,Junk,Sent,Trash,q/y,q/z");
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

START_TEST(test_rename_inbox)
{
	struct store_mailbox inbox, old, fresh, sub;
	struct store_message *list;
	struct watch_set w;
	uint32_t *claimed;
	uint64_t u, h;
	size_t n;
	int status;

	u = add_user(t_st, "a@example.org");
	ck_assert_int_eq(deliver_text(t_st, &u, 1, msg1), 0);
	ck_assert_int_eq(deliver_text(t_st, &u, 1, msg2), 0);
	(void)mbox_create(u, "INBOX/sub", 1);
	inbox = mbox(u, "INBOX");
	sub = mbox(u, "INBOX/sub");

	watch_set_init(&w);
	watch_barrier();	/* earlier commits notified before we watch */
	h = store_watch_add(t_st, u, watch_set_fn, &w);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "inbox",
	    "Old mail"), 0);
	/* The messages moved with their UIDs and UIDVALIDITY. */
	old = mbox(u, "Old mail");
	ck_assert_uint_eq(old.id, inbox.id);
	ck_assert_uint_eq(old.uidvalidity, inbox.uidvalidity);
	ck_assert_uint_eq(old.messages, 2);
	ck_assert_uint_eq(old.unseen, 2);
	ck_assert_uint_eq(old.recent, 2);
	ck_assert_uint_eq(old.uidnext, 3);
	ck_assert_uint_eq(old.highestmodseq, inbox.highestmodseq);
	ck_assert_int_eq(old.subscribed, 1);
	/* INBOX is empty, a new incarnation; its children are untouched. */
	fresh = mbox(u, "INBOX");
	ck_assert_uint_ne(fresh.id, inbox.id);
	ck_assert_uint_gt(fresh.uidvalidity, inbox.uidvalidity);
	ck_assert_uint_eq(fresh.messages, 0);
	ck_assert_uint_eq(fresh.size, 0);
	ck_assert_uint_eq(fresh.uidnext, 1);
	ck_assert_int_eq(fresh.subscribed, 1);
	ck_assert_uint_eq(mbox(u, "INBOX/sub").id, sub.id);
	ck_assert_int_eq(store_message_list(t_st, fresh.id, &list), 0);
	watch_barrier();
	ck_assert(watch_set_has(&w, inbox.id));
	ck_assert(watch_set_has(&w, fresh.id));
	store_watch_remove(t_st, h);
	watch_set_destroy(&w);

	/* New mail goes to the new INBOX; \Recent of the old stays there. */
	ck_assert_int_eq(deliver_text(t_st, &u, 1, msg3), 0);
	ck_assert_uint_eq(mbox(u, "INBOX").messages, 1);
	ck_assert_uint_eq(msg(fresh.id, 1).size, strlen(msg3));
	claimed = claim_recent(old.id, &n, &status);
	ck_assert_uint_eq(n, 2);
	free(claimed);

	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "INBOX", "INBOX"),
	    STORE_EEXIST);
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "INBOX",
	    "Old mail"), STORE_EEXIST);
	ck_assert_uint_eq(mbox(u, "INBOX").id, fresh.id);
	/* Renaming INBOX into its own subtree is fine: children stay. */
	ck_assert_int_eq(store_mailbox_rename_wait(t_st, u, "INBOX",
	    "INBOX/2024"), 0);
	ck_assert_uint_eq(mbox(u, "INBOX/2024").messages, 1);
	ck_assert_uint_eq(mbox(u, "INBOX").messages, 0);
	assert_names(u, 0, "Archive,Drafts,INBOX,INBOX/2024,INBOX/sub,Junk,"
	    "Old mail,Sent,Trash");
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

/* ------------------------------------------------------- SUBSCRIBE/LSUB */

START_TEST(test_subscribe)
{
	struct store_mailbox mb;
	struct names l;
	struct completions c;
	uint64_t u;

	u = add_user(t_st, "a@example.org");
	/* user add subscribes the default folders. */
	assert_names(u, 1, "Archive,Drafts,INBOX,Junk,Sent,Trash");

	/* A name that does not exist (RFC 3501 6.3.6), twice. */
	ck_assert_int_eq(store_subscribe_wait(t_st, u, "Lists/ietf", 1), 0);
	ck_assert_int_eq(store_subscribe_wait(t_st, u, "Lists/ietf", 1), 0);
	ck_assert_int_eq(store_subscribe_wait(t_st, u, "inbox", 1), 0);
	assert_names(u, 1, "Archive,Drafts,INBOX,Junk,Lists/ietf,Sent,Trash");
	(void)mbox_create(u, "Lists/ietf", 0);
	ck_assert_int_eq(mbox(u, "Lists/ietf").subscribed, 1);

	completions_init(&c);
	store_subscribe(t_st, u, "Sent", 0, completions_done, &c);
	ck_assert_int_eq(wait_done(&c), 0);
	ck_assert_int_eq(mbox(u, "Sent").subscribed, 0);
	ck_assert_int_eq(store_subscribe_wait(t_st, u, "Sent", 0),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_subscribe_wait(t_st, u, "Ghost", 0),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_subscribe_wait(t_st, u, "Ghost", 1), 0);
	ck_assert_int_eq(store_subscribe_wait(t_st, u, "Ghost", 0), 0);
	assert_names(u, 1, "Archive,Drafts,INBOX,Junk,Lists/ietf,Trash");

	/* The mailbox list shows the attribute too. */
	ck_assert_int_eq(mbox(u, "Trash").subscribed, 1);
	ck_assert_int_eq(store_mailbox_get_id(t_st, mbox(u, "Sent").id, &mb),
	    0);
	ck_assert_int_eq(mb.subscribed, 0);

	ck_assert_int_eq(store_subscribe_wait(t_st, u, "a//b", 1),
	    STORE_EINVAL);
	ck_assert_int_eq(store_subscribe_wait(t_st, u, "", 1), STORE_EINVAL);
	ck_assert_int_eq(store_subscribe_wait(t_st, 9999, "x", 1),
	    STORE_ENOTFOUND);
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(store_subscription_list(t_st, 9999, collect_name, &l),
	    STORE_ENOTFOUND);

	/* Subscriptions persist, and go with the user. */
	imap_reopen();
	assert_names(u, 1, "Archive,Drafts,INBOX,Junk,Lists/ietf,Trash");
	ck_assert_int_eq(store_user_del(t_st, "a@example.org"), 0);
	ck_assert_int_eq(check_problems(t_st), 0);
	store_close(&t_st);
	ck_assert_uint_eq(raw_entries(t_dir, "subscriptions"), 0);
	t_st = open_store(t_dir);
}
END_TEST

/* ------------------------------------------------- a batch with failures */

START_TEST(test_batch_failure)
{
	static const char *const full[] = { "$x" };
	struct completions c[7];
	struct store_append ap;
	struct store_copy cp;
	struct store_flag_change fc;
	struct gate gate;
	uint64_t u, ib, ar, commits;
	uint32_t uid1 = 1, app_uid = 0, new_uid = 0, moved = 0, uv;
	int i;

	ib = copy_fixture(&u, &ar);
	for (i = 0; i < 7; i++)
		completions_init(&c[i]);
	gate_init(&gate);

	/* Hold the writer so that what follows forms one batch. */
	store_subscribe(t_st, u, "gate", 1, gate_done, &gate);
	gate_wait_entered(&gate);
	commits = store_commit_count(t_st);

	memset(&ap, 0, sizeof(ap));
	ap.mailbox_id = ar;
	ap.data = msg3;
	ap.len = strlen(msg3);
	ap.uid_r = &app_uid;
	store_append(t_st, &ap, completions_done, &c[0]);		/* ok */
	memset(&fc, 0, sizeof(fc));
	fc.mailbox_id = 9999;
	fc.uids = &uid1;
	fc.n = 1;
	fc.set_keywords = full;
	fc.n_set_keywords = 1;
	store_flags_change(t_st, &fc, completions_done, &c[1]);	/* fails */
	memset(&cp, 0, sizeof(cp));
	cp.src_mailbox_id = ib;
	cp.dst_mailbox_id = 9999;
	cp.uids = &uid1;
	cp.n = 1;
	cp.move = 1;
	cp.new_uids_r = &new_uid;
	store_copy(t_st, &cp, completions_done, &c[2]);		/* fails */
	store_mailbox_rename(t_st, u, "Sent", "Trash", completions_done,
	    &c[3]);							/* fails */
	cp.dst_mailbox_id = ar;
	cp.new_uids_r = &moved;
	cp.dst_uidvalidity_r = &uv;
	store_copy(t_st, &cp, completions_done, &c[4]);		/* ok */
	store_mailbox_delete(t_st, u, "INBOX", completions_done, &c[5]);
	store_mailbox_create_async(t_st, u, "Made", 0, 1, completions_done,
	    &c[6]);							/* ok */
	gate_release(&gate);
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(completions_wait(&c[i], 1, WAIT_SECONDS), 1);
	ck_assert_uint_eq(store_commit_count(t_st), commits + 1);

	ck_assert_int_eq(c[0].ok, 1);
	ck_assert_uint_eq(app_uid, 2);
	ck_assert_int_eq(c[1].last_error, STORE_ENOTFOUND);
	ck_assert_int_eq(c[2].last_error, STORE_ENOTFOUND);
	ck_assert_uint_eq(new_uid, 0);
	ck_assert_int_eq(c[3].last_error, STORE_EEXIST);
	ck_assert_int_eq(c[4].ok, 1);
	ck_assert_uint_eq(moved, 3);	/* after the append's UID 2 */
	ck_assert_int_eq(c[5].last_error, STORE_EINVAL);
	ck_assert_int_eq(c[6].ok, 1);
	for (i = 0; i < 7; i++)
		completions_destroy(&c[i]);
	gate_destroy(&gate);

	ck_assert_uint_eq(mbox(u, "INBOX").messages, 2);
	ck_assert_uint_eq(mbox(u, "Archive").messages, 3);
	ck_assert_int_eq(mbox(u, "Made").subscribed, 1);
	ck_assert_int_eq(mbox(u, "Sent").special_use, SPECIAL_USE_SENT);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

void
store_imap_mbox_tcases(Suite *s)
{
	TCase *tc;

	tc = tcase_create("COPY and MOVE");
	tcase_add_checked_fixture(tc, imap_setup, imap_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_copy);
	tcase_add_test(tc, test_move);
	suite_add_tcase(s, tc);

	tc = tcase_create("mailboxes");
	tcase_add_checked_fixture(tc, imap_setup, imap_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_delete);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_rename_inbox);
	tcase_add_test(tc, test_subscribe);
	suite_add_tcase(s, tc);

	tc = tcase_create("batches");
	tcase_add_checked_fixture(tc, imap_setup, imap_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_batch_failure);
	suite_add_tcase(s, tc);
}
