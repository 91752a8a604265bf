/*
 * check_store_imap_msg.c: the store's IMAP operations on messages:
 * keywords added, removed and replaced, the keyword limit, STORE with
 * UNCHANGEDSINCE, APPEND (flags, keywords, date, APPENDUID), \Recent
 * handed to one claimant only, CONDSTORE/QRESYNC reads, and the blob
 * cache (set later or given at delivery, freed with its blob).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_store_imap.h"
#include "util.h"

static const char msg1[] = "From: a@example.org\r\nSubject: one\r\n\r\nHello\r\n";
static const char msg2[] = "From: b@example.org\r\nSubject: two\r\n\r\nWorld!\r\n";

/* A user with n messages in INBOX (UIDs 1..n); returns the INBOX id. */
static uint64_t
inbox_with(uint64_t *user_r, int n)
{
	uint64_t u;
	int i;

	u = add_user(t_st, "a@example.org");
	for (i = 0; i < n; i++)
		ck_assert_int_eq(deliver_text(t_st, &u, 1, i % 2 ? msg2 : msg1),
		    0);
	if (user_r != NULL)
		*user_r = u;
	return inbox_id(t_st, u);
}

/* ------------------------------------------------------------ keywords */

START_TEST(test_keywords)
{
	static const char *const fwd_l1[] = { "$Forwarded", "$label1" };
	static const char *const fwd_upper[] = { "$FORWARDED" };
	static const char *const l1[] = { "$label1" };
	static const char *const nope[] = { "$nope" };
	static const char *const junk[] = { "$Junk" };
	uint32_t uids[] = { 1, 2 }, three = 3, all[] = { 1, 2, 3, 77 };
	uint64_t modseqs[4];
	char names[STORE_KEYWORDS_MAX][STORE_KEYWORD_LEN];
	struct store_flag_change fc;
	struct store_mailbox mb;
	struct store_message m1, m3;
	uint64_t u, ib, hms;

	ib = inbox_with(&u, 3);
	ck_assert_int_eq(store_keyword_list(t_st, ib, names), 0);
	m3 = msg(ib, 3);

	/* Two new names on UIDs 1 and 2: a table of two, bits 0 and 1. */
	ck_assert_int_eq(kw_change(ib, uids, 2, fwd_l1, 2, 1), 0);
	ck_assert_int_eq(store_keyword_list(t_st, ib, names), 2);
	ck_assert_str_eq(names[0], "$Forwarded");
	ck_assert_str_eq(names[1], "$label1");
	m1 = msg(ib, 1);
	ck_assert_uint_eq(m1.keywords, 3);
	ck_assert_uint_eq(msg(ib, 2).keywords, 3);
	ck_assert_uint_eq(msg(ib, 3).keywords, 0);
	ck_assert_uint_eq(msg(ib, 3).modseq, m3.modseq);
	mb = mbox(u, "INBOX");
	ck_assert_uint_eq(mb.highestmodseq, msg(ib, 2).modseq);
	ck_assert_uint_gt(msg(ib, 2).modseq, m1.modseq);
	ck_assert_uint_gt(m1.modseq, m3.modseq);

	/* Case-insensitive: the same keyword, first spelling kept. */
	ck_assert_int_eq(kw_change(ib, &three, 1, fwd_upper, 1, 1), 0);
	ck_assert_int_eq(store_keyword_list(t_st, ib, names), 2);
	ck_assert_str_eq(names[0], "$Forwarded");
	ck_assert_uint_eq(msg(ib, 3).keywords, 1);

	/* Removing: only messages that had it change; 77 is skipped. */
	m3 = msg(ib, 3);
	ck_assert_int_eq(kw_change(ib, all, 4, l1, 1, 0), 0);
	ck_assert_uint_eq(msg(ib, 1).keywords, 1);
	ck_assert_uint_eq(msg(ib, 2).keywords, 1);
	ck_assert_uint_eq(msg(ib, 3).modseq, m3.modseq);
	hms = mbox(u, "INBOX").highestmodseq;

	/* Removing or adding a name nobody has: no change, table as it was. */
	ck_assert_int_eq(kw_change(ib, all, 3, nope, 1, 0), 0);
	ck_assert_int_eq(kw_change(ib, NULL, 0, nope, 1, 1), 0);
	ck_assert_int_eq(kw_change(ib, &all[3], 1, nope, 1, 1), 0);
	ck_assert_int_eq(store_keyword_list(t_st, ib, names), 2);
	ck_assert_uint_eq(mbox(u, "INBOX").highestmodseq, hms);

	/* Replace (STORE FLAGS): exactly these; \Recent survives. */
	memset(&fc, 0, sizeof(fc));
	fc.mailbox_id = ib;
	fc.uids = all;
	fc.n = 4;
	fc.set = STORE_FLAG_FLAGGED | STORE_FLAG_SEEN;
	fc.set_keywords = junk;
	fc.n_set_keywords = 1;
	fc.replace = 1;
	fc.modseqs_r = modseqs;
	ck_assert_int_eq(store_flags_change_wait(t_st, &fc), 0);
	ck_assert_int_eq(kw_bit(ib, "$Junk"), 2);
	m1 = msg(ib, 1);
	ck_assert_uint_eq(m1.flags, STORE_FLAG_FLAGGED | STORE_FLAG_SEEN |
	    STORE_FLAG_RECENT);
	ck_assert_uint_eq(m1.keywords, 4);
	ck_assert_uint_eq(modseqs[0], m1.modseq);
	ck_assert_uint_eq(modseqs[2], msg(ib, 3).modseq);
	ck_assert_uint_eq(modseqs[3], 0);
	mb = mbox(u, "INBOX");
	ck_assert_uint_eq(mb.unseen, 0);
	ck_assert_uint_eq(mb.recent, 3);
	ck_assert_uint_eq(mb.highestmodseq, modseqs[2]);

	/* \Recent can be neither set nor cleared; replace with nothing. */
	fc.set = STORE_FLAG_RECENT;
	fc.n_set_keywords = 0;
	fc.modseqs_r = NULL;
	ck_assert_int_eq(store_flags_change_wait(t_st, &fc), 0);
	ck_assert_uint_eq(msg(ib, 2).flags, STORE_FLAG_RECENT);
	ck_assert_uint_eq(msg(ib, 2).keywords, 0);
	fc.replace = 0;
	fc.clear = STORE_FLAG_RECENT;
	fc.set = 0;
	hms = mbox(u, "INBOX").highestmodseq;
	ck_assert_int_eq(store_flags_change_wait(t_st, &fc), 0);
	ck_assert_uint_eq(mbox(u, "INBOX").recent, 3);
	ck_assert_uint_eq(mbox(u, "INBOX").highestmodseq, hms);
	ck_assert_uint_eq(mbox(u, "INBOX").unseen, 3);

	/* The table is per mailbox, and survives a reopen. */
	ck_assert_int_eq(store_keyword_list(t_st, mbox(u, "Sent").id, names),
	    0);
	imap_reopen();
	ck_assert_int_eq(store_keyword_list(t_st, ib, names), 3);
	ck_assert_int_eq(store_keyword_list(t_st, 9999, names),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

START_TEST(test_keyword_names)
{
	static const char *const bad[] = { "", "a b", "\\Seen", "a(b", "a)",
	    "a{", "%", "a*", "\"q\"", "back\\slash", "x]", "tab\there",
	    "\xc3\xa4", "del\x7f",
	    "0123456789012345678901234567890123456789012345678901234567890123" };
	static const char *const good[] = { "$MDNSent", "NonJunk",
	    "012345678901234567890123456789012345678901234567890123456789012",
	    "a.b-c_d!#&'+,/:;<=>?@^`|~" };
	uint32_t uid = 1;
	uint64_t ib;
	size_t i;

	ib = inbox_with(NULL, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(kw_change(ib, &uid, 1, &bad[i], 1, 1) ==
		    STORE_EINVAL, "keyword '%s' accepted", bad[i]);
		ck_assert_msg(kw_change(ib, &uid, 1, &bad[i], 1, 0) ==
		    STORE_EINVAL, "keyword '%s' accepted", bad[i]);
	}
	ck_assert_int_eq(kw_change(ib, &uid, 1, NULL, 1, 1), STORE_EINVAL);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(kw_change(ib, &uid, 1, &good[i], 1, 1) == 0,
		    "keyword '%s' refused", good[i]);
	ck_assert_uint_eq(msg(ib, 1).keywords, 0xf);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

START_TEST(test_keyword_limit)
{
	static const char *names[STORE_KEYWORDS_MAX + 1];
	static char buf[STORE_KEYWORDS_MAX + 1][16];
	static const char *const one_more[] = { "$overflow" };
	static const char *const mixed[] = { "$K0", "$OVERFLOW" };
	static const char *const again[] = { "$k63" };
	uint32_t uid = 1, two = 2, new_uid = 0;
	struct store_append a;
	uint64_t u, ib, hms, other;
	int i;

	ib = inbox_with(&u, 2);
	for (i = 0; i <= STORE_KEYWORDS_MAX; i++) {
		ck_assert_int_eq(str_format(buf[i], sizeof(buf[i]), "$k%d", i),
		    0);
		names[i] = buf[i];
	}
	/* 65 distinct names cannot fit one message's mask. */
	ck_assert_int_eq(kw_change(ib, &uid, 1, names, STORE_KEYWORDS_MAX + 1,
	    1), STORE_ELIMIT);
	ck_assert_int_eq(kw_bit(ib, "$k0"), -1);

	ck_assert_int_eq(kw_change(ib, &uid, 1, names, STORE_KEYWORDS_MAX, 1),
	    0);
	ck_assert_uint_eq(msg(ib, 1).keywords, UINT64_MAX);
	ck_assert_int_eq(kw_bit(ib, "$k63"), 63);

	/* The 65th name: refused, nothing changed. */
	hms = mbox(u, "INBOX").highestmodseq;
	ck_assert_int_eq(kw_change(ib, &two, 1, one_more, 1, 1), STORE_ELIMIT);
	ck_assert_int_eq(kw_change(ib, &two, 1, mixed, 2, 1), STORE_ELIMIT);
	ck_assert_uint_eq(msg(ib, 2).keywords, 0);
	ck_assert_uint_eq(mbox(u, "INBOX").highestmodseq, hms);
	ck_assert_int_eq(kw_bit(ib, "$overflow"), -1);

	/* Known names (any case) still work; clearing never needs room. */
	ck_assert_int_eq(kw_change(ib, &two, 1, again, 1, 1), 0);
	ck_assert_uint_eq(msg(ib, 2).keywords, (uint64_t)1 << 63);
	ck_assert_int_eq(kw_change(ib, &two, 1, one_more, 1, 0), 0);

	/* APPEND with a new name into a full table fails with ELIMIT. */
	memset(&a, 0, sizeof(a));
	a.mailbox_id = ib;
	a.data = msg1;
	a.len = strlen(msg1);
	a.keywords = one_more;
	a.n_keywords = 1;
	a.uid_r = &new_uid;
	ck_assert_int_eq(store_append_wait(t_st, &a), STORE_ELIMIT);
	ck_assert_uint_eq(new_uid, 0);
	ck_assert_uint_eq(mbox(u, "INBOX").messages, 2);

	/* Too many names in one request. */
	{
		const char **many = xcalloc(2000, sizeof(*many));

		for (i = 0; i < 2000; i++)
			many[i] = "$k1";
		ck_assert_int_eq(kw_change(ib, &two, 1, many, 2000, 1),
		    STORE_ELIMIT);
		free(many);
	}

	/*
	 * A copy into a mailbox whose table is full keeps the names the
	 * table has ($k0..$k31) and drops those it cannot take ($k32..).
	 */
	other = mbox_create(u, "Full", 0);
	for (i = 32; i < STORE_KEYWORDS_MAX; i++) {
		ck_assert_int_eq(str_format(buf[i], sizeof(buf[i]), "$f%d", i),
		    0);
		names[i] = buf[i];
	}
	ck_assert_uint_eq(append_msg(other, msg2, 0, names,
	    STORE_KEYWORDS_MAX), 1);
	ck_assert_int_eq(copy_uids(ib, other, &uid, 1, 0, &new_uid, NULL), 0);
	ck_assert_uint_eq(new_uid, 2);
	ck_assert_uint_eq(msg(other, 2).keywords, 0xffffffffu);
	ck_assert_int_eq(kw_bit(other, "$k40"), -1);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

/* --------------------------------------------------- CONDSTORE STORE */

START_TEST(test_unchangedsince)
{
	uint32_t all[] = { 1, 2, 3 }, two = 2, dup[] = { 1, 1 }, failed[3];
	uint64_t modseqs[3], u, ib, m0;
	struct store_flag_change fc;
	size_t n_failed = 99;

	ib = inbox_with(&u, 3);
	m0 = mbox(u, "INBOX").highestmodseq;
	/* Another session changes message 2 after our client looked. */
	ck_assert_int_eq(store_flags_update_wait(t_st, ib, &two, 1,
	    STORE_FLAG_ANSWERED, 0), 0);

	memset(&fc, 0, sizeof(fc));
	fc.mailbox_id = ib;
	fc.uids = all;
	fc.n = 3;
	fc.set = STORE_FLAG_DELETED;
	fc.unchangedsince = m0;
	fc.failed_uids_r = failed;
	fc.n_failed_r = &n_failed;
	fc.modseqs_r = modseqs;
	ck_assert_int_eq(store_flags_change_wait(t_st, &fc), 0);
	ck_assert_uint_eq(n_failed, 1);
	ck_assert_uint_eq(failed[0], 2);
	ck_assert_uint_eq(msg(ib, 1).flags & STORE_FLAG_DELETED,
	    STORE_FLAG_DELETED);
	ck_assert_uint_eq(msg(ib, 3).flags & STORE_FLAG_DELETED,
	    STORE_FLAG_DELETED);
	ck_assert_uint_eq(msg(ib, 2).flags, STORE_FLAG_ANSWERED |
	    STORE_FLAG_RECENT);
	ck_assert_uint_eq(modseqs[0], msg(ib, 1).modseq);
	ck_assert_uint_eq(modseqs[1], msg(ib, 2).modseq);
	ck_assert_uint_eq(modseqs[2], msg(ib, 3).modseq);
	ck_assert_uint_eq(modseqs[2], mbox(u, "INBOX").highestmodseq);

	/* Up to date: nothing fails; an unchanged message keeps its MODSEQ. */
	fc.unchangedsince = mbox(u, "INBOX").highestmodseq;
	fc.set = STORE_FLAG_SEEN;
	ck_assert_int_eq(store_flags_change_wait(t_st, &fc), 0);
	ck_assert_uint_eq(n_failed, 0);
	ck_assert_uint_eq(mbox(u, "INBOX").unseen, 0);

	/* A UID listed twice is one change, not a conflict with itself. */
	fc.uids = dup;
	fc.n = 2;
	fc.unchangedsince = mbox(u, "INBOX").highestmodseq;
	fc.set = STORE_FLAG_FLAGGED;
	ck_assert_int_eq(store_flags_change_wait(t_st, &fc), 0);
	ck_assert_uint_eq(n_failed, 0);
	ck_assert_uint_eq(modseqs[0], modseqs[1]);
	ck_assert_uint_eq(modseqs[0], msg(ib, 1).modseq);

	/* Conflicts need somewhere to go. */
	fc.failed_uids_r = NULL;
	ck_assert_int_eq(store_flags_change_wait(t_st, &fc), STORE_EINVAL);
	ck_assert_uint_eq(n_failed, 0);
	fc.failed_uids_r = failed;
	fc.mailbox_id = 9999;
	ck_assert_int_eq(store_flags_change_wait(t_st, &fc), STORE_ENOTFOUND);
	ck_assert_int_eq(store_flags_change_wait(t_st, NULL), STORE_EINVAL);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

/* -------------------------------------------------------------- APPEND */

struct append_seen {
	struct completions	 c;
	uint32_t		*uid_r, *uv_r;
	uint32_t		 uid_at_done, uv_at_done;
};

/* Records what the caller's memory held when done ran. */
static void
append_done(void *arg, int status)
{
	struct append_seen *as = arg;

	as->uid_at_done = *as->uid_r;
	as->uv_at_done = *as->uv_r;
	completions_done(&as->c, status);
}

START_TEST(test_append)
{
	static const char *const kw[] = { "$MDNSent", "Work" };
	static const char cache[] = "\001cache bytes\000with NUL";
	struct store_append a;
	struct store_mailbox mb, before;
	struct store_message m;
	struct append_seen as;
	uint32_t uid = 0, uv = 0;
	uint64_t u, sent;
	char *data;
	size_t len;
	time_t now;

	u = add_user(t_st, "a@example.org");
	sent = mbox(u, "Sent").id;
	before = mbox(u, "Sent");
	memset(&a, 0, sizeof(a));
	a.mailbox_id = sent;
	a.data = msg1;
	a.len = strlen(msg1);
	a.internaldate = 1234567890;
	a.flags = STORE_FLAG_SEEN | STORE_FLAG_DRAFT | 0x4000;
	a.keywords = kw;
	a.n_keywords = 2;
	a.uid_r = &uid;
	a.uidvalidity_r = &uv;
	a.cache = cache;
	a.cache_len = sizeof(cache) - 1;
	ck_assert_int_eq(store_append_wait(t_st, &a), 0);
	ck_assert_uint_eq(uid, 1);
	ck_assert_uint_eq(uv, before.uidvalidity);
	m = msg(sent, 1);
	ck_assert_uint_eq(m.flags, STORE_FLAG_SEEN | STORE_FLAG_DRAFT |
	    STORE_FLAG_RECENT);
	ck_assert_uint_eq(m.keywords, 3);
	ck_assert_int_eq(m.internaldate, 1234567890);
	ck_assert_uint_eq(m.size, strlen(msg1));
	assert_blob(t_st, m.blob_id, msg1);
	ck_assert_int_eq(store_blob_cache_get(t_st, m.blob_id, &data, &len), 0);
	ck_assert_uint_eq(len, sizeof(cache) - 1);
	ck_assert(memcmp(data, cache, len) == 0);
	free(data);
	mb = mbox(u, "Sent");
	ck_assert_uint_eq(mb.messages, 1);
	ck_assert_uint_eq(mb.unseen, 0);
	ck_assert_uint_eq(mb.recent, 1);
	ck_assert_uint_eq(mb.size, strlen(msg1));
	ck_assert_uint_eq(mb.uidnext, 2);
	ck_assert_uint_eq(mb.highestmodseq, m.modseq);
	ck_assert_uint_gt(m.modseq, before.highestmodseq);

	/* Async: APPENDUID is in the caller's memory when done runs. */
	memset(&as, 0, sizeof(as));
	completions_init(&as.c);
	as.uid_r = &uid;
	as.uv_r = &uv;
	uid = uv = 0;
	a.data = msg2;
	a.len = strlen(msg2);
	a.internaldate = 0;
	a.flags = 0;
	a.n_keywords = 0;
	a.cache = NULL;
	now = time(NULL);
	store_append(t_st, &a, append_done, &as);
	ck_assert_int_eq(wait_done(&as.c), 0);
	ck_assert_uint_eq(as.uid_at_done, 2);
	ck_assert_uint_eq(as.uv_at_done, before.uidvalidity);
	m = msg(sent, 2);
	ck_assert_int_ge(m.internaldate, now);
	ck_assert_int_le(m.internaldate, now + 60);
	ck_assert_uint_eq(m.flags, STORE_FLAG_RECENT);
	ck_assert_int_eq(store_blob_cache_get(t_st, m.blob_id, &data, &len),
	    STORE_ENOTFOUND);
	ck_assert_ptr_null(data);
	mb = mbox(u, "Sent");
	ck_assert_uint_eq(mb.unseen, 1);
	ck_assert_uint_eq(mb.size, strlen(msg1) + strlen(msg2));

	/* [TRYCREATE]: no such mailbox; bad arguments. */
	a.mailbox_id = 9999;
	ck_assert_int_eq(store_append_wait(t_st, &a), STORE_ENOTFOUND);
	ck_assert_uint_eq(uid, 0);
	a.mailbox_id = sent;
	a.data = NULL;
	ck_assert_int_eq(store_append_wait(t_st, &a), STORE_EINVAL);
	ck_assert_int_eq(store_append_wait(t_st, NULL), STORE_EINVAL);
	a.data = msg1;
	a.len = (size_t)1 << 32;
	ck_assert_int_eq(store_append_wait(t_st, &a), STORE_ETOOBIG);
	a.len = 0;
	ck_assert_int_eq(store_append_wait(t_st, &a), 0);	/* empty is fine */
	ck_assert_uint_eq(uid, 3);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

/* ------------------------------------------------------------- \Recent */

struct claim_race {
	struct completions	 c;
	uint32_t		*uids;
	size_t			 n;
};

START_TEST(test_recent_claim)
{
	struct claim_race race[2];
	struct store_mailbox mb;
	uint32_t *uids, two = 2;
	uint64_t u, ib, hms;
	size_t n, i, j;
	int status;

	ib = inbox_with(&u, 3);
	hms = mbox(u, "INBOX").highestmodseq;
	uids = claim_recent(ib, &n, &status);
	ck_assert_int_eq(status, 0);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(uids[i], i + 1);
	free(uids);
	mb = mbox(u, "INBOX");
	ck_assert_uint_eq(mb.recent, 0);
	ck_assert_uint_eq(mb.highestmodseq, hms);	/* not a MODSEQ change */
	ck_assert_uint_eq(msg(ib, 2).flags, 0);

	/* Once only. */
	uids = claim_recent(ib, &n, &status);
	ck_assert_int_eq(status, 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(uids);

	/* New mail is recent again; so is a \Recent set through the API. */
	ck_assert_int_eq(deliver_text(t_st, &u, 1, msg2), 0);
	ck_assert_int_eq(store_flags_update_wait(t_st, ib, &two, 1,
	    STORE_FLAG_RECENT, 0), 0);
	uids = claim_recent(ib, &n, &status);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(uids[0], 2);
	ck_assert_uint_eq(uids[1], 4);
	free(uids);

	/* Two sessions SELECT at once: each UID goes to exactly one. */
	ck_assert_int_eq(deliver_text(t_st, &u, 1, msg1), 0);
	ck_assert_int_eq(deliver_text(t_st, &u, 1, msg2), 0);
	for (i = 0; i < 2; i++) {
		completions_init(&race[i].c);
		store_recent_claim(t_st, ib, &race[i].uids, &race[i].n,
		    completions_done, &race[i].c);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(wait_done(&race[i].c), 0);
	ck_assert_uint_eq(race[0].n + race[1].n, 2);
	for (i = 0; i < 2; i++)
		for (j = 0; j < race[i].n; j++)
			ck_assert(race[i].uids[j] == 5 || race[i].uids[j] == 6);
	free(race[0].uids);
	free(race[1].uids);

	uids = claim_recent(9999, &n, &status);
	ck_assert_int_eq(status, STORE_ENOTFOUND);
	ck_assert_ptr_null(uids);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

/* ------------------------------------------------- CONDSTORE / QRESYNC */

START_TEST(test_changed_expunged)
{
	uint32_t flag[] = { 4, 2 }, gone[] = { 3, 5 }, *uids;
	struct store_message *msgs;
	uint64_t u, ib, m0, m1;
	int n, i;

	ib = inbox_with(&u, 5);
	m0 = mbox(u, "INBOX").highestmodseq;
	ck_assert_int_eq(store_message_list_changed(t_st, ib, m0, &msgs), 0);
	ck_assert_ptr_null(msgs);
	ck_assert_int_eq(store_expunged_since(t_st, ib, 0, &uids), 0);
	ck_assert_ptr_null(uids);

	ck_assert_int_eq(store_flags_update_wait(t_st, ib, flag, 2,
	    STORE_FLAG_SEEN, 0), 0);
	n = store_message_list_changed(t_st, ib, m0, &msgs);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(msgs[0].uid, 2);	/* UID order, not MODSEQ order */
	ck_assert_uint_eq(msgs[1].uid, 4);
	ck_assert_uint_gt(msgs[0].modseq, msgs[1].modseq);
	ck_assert_uint_eq(msgs[0].flags, STORE_FLAG_SEEN | STORE_FLAG_RECENT);
	free(msgs);
	m1 = mbox(u, "INBOX").highestmodseq;

	ck_assert_int_eq(store_expunge_wait(t_st, ib, gone, 2), 0);
	n = store_expunged_since(t_st, ib, m0, &uids);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(uids[0], 3);
	ck_assert_uint_eq(uids[1], 5);
	free(uids);
	ck_assert_int_eq(store_expunged_since(t_st, ib,
	    mbox(u, "INBOX").highestmodseq, &uids), 0);
	/* Expunges are not "changed" messages. */
	ck_assert_int_eq(store_message_list_changed(t_st, ib, m1, &msgs), 0);

	/* Everything since 0 is the whole mailbox, in UID order. */
	n = store_message_list_changed(t_st, ib, 0, &msgs);
	ck_assert_int_eq(n, 3);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(msgs[i].uid, i == 0 ? 1 : i == 1 ? 2 : 4);
	free(msgs);
	ck_assert_int_eq(store_message_list_changed(t_st, 9999, 0, &msgs),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_expunged_since(t_st, 9999, 0, &uids), 0);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

/* Many changes: the scan path gives the same answer as the index path. */
START_TEST(test_changed_many)
{
	struct store_message *msgs, *all;
	uint32_t *src, *dst, odd[3] = { 7, 1501, 99999 };
	uint64_t u, ib, m0;
	int n, total, i, j;

	ib = inbox_with(&u, 3);
	/* Double the mailbox by copying it into itself: 3 * 2^9 = 1536. */
	for (total = 3; total < 1500; total *= 2) {
		src = xcalloc(total, sizeof(*src));
		dst = xcalloc(total, sizeof(*dst));
		n = store_message_list(t_st, ib, &all);
		ck_assert_int_eq(n, total);
		for (i = 0; i < n; i++)
			src[i] = all[i].uid;
		ck_assert_int_eq(copy_uids(ib, ib, src, total, 0, dst, NULL),
		    0);
		for (i = 0; i < n; i++)
			ck_assert_uint_eq(dst[i], (uint32_t)(total + i + 1));
		free(all);
		free(src);
		free(dst);
	}
	ck_assert_int_eq(total, 1536);
	m0 = msg(ib, 3).modseq;
	n = store_message_list_changed(t_st, ib, m0, &msgs);
	ck_assert_int_eq(n, total - 3);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(msgs[i].uid, (uint32_t)(i + 4));
		ck_assert_uint_gt(msgs[i].modseq, m0);
	}
	free(msgs);
	/* Few changes in a big mailbox: the index path. */
	m0 = mbox(u, "INBOX").highestmodseq;
	ck_assert_int_eq(store_flags_update_wait(t_st, ib, odd, 3,
	    STORE_FLAG_FLAGGED, 0), 0);
	n = store_message_list_changed(t_st, ib, m0, &msgs);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(msgs[0].uid, 7);
	ck_assert_uint_eq(msgs[1].uid, 1501);
	free(msgs);
	j = store_message_list_changed(t_st, ib, 0, &msgs);
	ck_assert_int_eq(j, total);
	free(msgs);
	ck_assert_uint_eq(mbox(u, "INBOX").messages, (uint32_t)total);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

/* ------------------------------------------------------------ watchers */

/* Each write that changes a mailbox wakes its watchers; no-ops do not. */
START_TEST(test_watchers)
{
	static const char *const kw[] = { "$label1" };
	uint32_t one = 1, *uids;
	struct watch_set w;
	uint64_t u, ib, sent, h;
	size_t n;
	int status;

	ib = inbox_with(&u, 2);
	sent = mbox(u, "Sent").id;
	watch_set_init(&w);
	watch_barrier();
	h = store_watch_add(t_st, u, watch_set_fn, &w);

	ck_assert_int_eq(kw_change(ib, &one, 1, kw, 1, 1), 0);
	watch_barrier();
	ck_assert_uint_eq(watch_set_count(&w), 1);
	ck_assert(watch_set_has(&w, ib));

	watch_set_clear(&w);
	ck_assert_int_eq(kw_change(ib, &one, 1, kw, 1, 1), 0);	/* no-op */
	uids = claim_recent(ib, &n, &status);			/* session state */
	ck_assert_uint_eq(n, 2);
	free(uids);
	watch_barrier();
	ck_assert_uint_eq(watch_set_count(&w), 0);

	ck_assert_uint_eq(append_msg(sent, msg1, STORE_FLAG_SEEN, NULL, 0), 1);
	watch_barrier();
	ck_assert_uint_eq(watch_set_count(&w), 1);
	ck_assert(watch_set_has(&w, sent));

	store_watch_remove(t_st, h);
	watch_set_destroy(&w);
	ck_assert_int_eq(check_problems(t_st), 0);
}
END_TEST

/* ----------------------------------------------------------- the cache */

START_TEST(test_blob_cache)
{
	static const char c1[] = "envelope+bodystructure v1";
	static const char c2[] = "v2";
	struct store_delivery d;
	struct store_message *msgs;
	uint64_t u, ib, b1, b2;
	uint32_t uid = 1;
	char *data;
	size_t len;

	u = add_user(t_st, "a@example.org");
	ib = inbox_id(t_st, u);
	memset(&d, 0, sizeof(d));
	d.user_ids = &u;
	d.n_users = 1;
	d.data = msg1;
	d.len = strlen(msg1);
	d.cache = c1;
	d.cache_len = strlen(c1);
	ck_assert_int_eq(store_deliver_wait(t_st, &d), 0);
	ck_assert_int_eq(deliver_text(t_st, &u, 1, msg2), 0);
	ck_assert_int_eq(store_message_list(t_st, ib, &msgs), 2);
	b1 = msgs[0].blob_id;
	b2 = msgs[1].blob_id;
	free(msgs);

	ck_assert_int_eq(store_blob_cache_get(t_st, b1, &data, &len), 0);
	ck_assert_uint_eq(len, strlen(c1));
	ck_assert(memcmp(data, c1, len) == 0);
	free(data);
	ck_assert_int_eq(store_blob_cache_get(t_st, b2, &data, &len),
	    STORE_ENOTFOUND);

	/* Added on a first FETCH, replaced later. */
	ck_assert_int_eq(cache_set(b2, c1, strlen(c1)), 0);
	ck_assert_int_eq(cache_set(b2, c2, strlen(c2)), 0);
	ck_assert_int_eq(store_blob_cache_get(t_st, b2, &data, &len), 0);
	ck_assert_uint_eq(len, 2);
	ck_assert_str_eq(data, "v2");
	free(data);
	ck_assert_int_eq(cache_set(b2, "", 0), 0);
	ck_assert_int_eq(store_blob_cache_get(t_st, b2, &data, &len), 0);
	ck_assert_uint_eq(len, 0);
	free(data);

	ck_assert_int_eq(cache_set(4242, c2, 2), STORE_ENOTFOUND);
	ck_assert_int_eq(cache_set(b2, NULL, 2), STORE_EINVAL);
	ck_assert_int_eq(cache_set(b2, c2, ((size_t)16 << 20) + 1),
	    STORE_ETOOBIG);
	d.cache_len = ((size_t)16 << 20) + 1;
	ck_assert_int_eq(store_deliver_wait(t_st, &d), STORE_ETOOBIG);

	/* The cache goes with the blob's last reference. */
	ck_assert_int_eq(store_expunge_wait(t_st, ib, &uid, 1), 0);
	ck_assert_int_eq(store_blob_cache_get(t_st, b1, &data, &len),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(check_problems(t_st), 0);
	store_close(&t_st);
	ck_assert_uint_eq(raw_entries(t_dir, "blob_cache"), 1);
	t_st = open_store(t_dir);
}
END_TEST

void
store_imap_msg_tcases(Suite *s)
{
	TCase *tc;

	tc = tcase_create("keywords and STORE");
	tcase_add_checked_fixture(tc, imap_setup, imap_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_keywords);
	tcase_add_test(tc, test_keyword_names);
	tcase_add_test(tc, test_keyword_limit);
	tcase_add_test(tc, test_unchangedsince);
	tcase_add_test(tc, test_watchers);
	suite_add_tcase(s, tc);

	tc = tcase_create("APPEND and Recent");
	tcase_add_checked_fixture(tc, imap_setup, imap_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_recent_claim);
	suite_add_tcase(s, tc);

	tc = tcase_create("CONDSTORE reads and cache");
	tcase_add_checked_fixture(tc, imap_setup, imap_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_changed_expunged);
	tcase_add_test(tc, test_changed_many);
	tcase_add_test(tc, test_blob_cache);
	suite_add_tcase(s, tc);
}
