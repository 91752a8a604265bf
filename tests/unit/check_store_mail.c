/*
 * check_store_mail.c: delivery (one blob for many recipients), flags and
 * MODSEQ, expunge and blob freeing, UID/MODSEQ monotonicity across
 * expunge and reopen, mailbox creation, persistence after reopen.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_store_util.h"
#include "util.h"

void	store_mail_tcases(Suite *s);

static char		*dir;
static struct store	*st;

static const char msg1[] = "From: a@example.org\r\nSubject: one\r\n\r\nHello\r\n";
static const char msg2[] = "From: b@example.org\r\nSubject: two\r\n\r\nWorld\r\n";

static void
setup(void)
{
	dir = tmp_dir_create();
	st = open_store(dir);
}

static void
teardown(void)
{
	store_close(&st);
	tmp_dir_remove(dir);
}

static void
reopen(void)
{
	store_close(&st);
	st = open_store(dir);
}

static struct store_mailbox
mailbox(uint64_t user_id, const char *name)
{
	struct store_mailbox mb;

	ck_assert_int_eq(store_mailbox_get(st, user_id, name, &mb), 0);
	return mb;
}

static struct store_message
message(uint64_t mailbox_id, uint32_t uid)
{
	struct store_message m;

	ck_assert_int_eq(store_message_get(st, mailbox_id, uid, &m), 0);
	return m;
}

START_TEST(test_deliver_many)
{
	uint64_t ids[4], blob;
	struct store_mailbox mb;
	struct store_message *msgs;
	int i, n;

	ids[0] = add_user(st, "a@example.org");
	ids[1] = add_user(st, "b@example.org");
	ids[2] = add_user(st, "c@example.org");
	ids[3] = ids[0];	/* listed twice, delivered once */
	ck_assert_int_eq(deliver_text(st, ids, 4, msg1), 0);

	for (i = 0, blob = 0; i < 3; i++) {
		mb = mailbox(ids[i], "inbox");
		ck_assert_uint_eq(mb.messages, 1);
		ck_assert_uint_eq(mb.unseen, 1);
		ck_assert_uint_eq(mb.recent, 1);
		ck_assert_uint_eq(mb.size, strlen(msg1));
		ck_assert_uint_eq(mb.uidnext, 2);
		n = store_message_list(st, mb.id, &msgs);
		ck_assert_int_eq(n, 1);
		ck_assert_uint_eq(msgs[0].uid, 1);
		ck_assert_uint_eq(msgs[0].flags, STORE_FLAG_RECENT);
		ck_assert_uint_eq(msgs[0].size, strlen(msg1));
		ck_assert_uint_eq(msgs[0].modseq, mb.highestmodseq);
		ck_assert_int_gt(msgs[0].internaldate, 0);
		if (i == 0)
			blob = msgs[0].blob_id;
		ck_assert_uint_eq(msgs[0].blob_id, blob);	/* one copy */
		assert_blob(st, msgs[0].blob_id, msg1);
		free(msgs);
	}
	ck_assert_int_eq(check_problems(st), 0);

	store_close(&st);
	ck_assert_int_eq(raw_blob_refs(dir, blob), 3);
	ck_assert_uint_eq(raw_entries(dir, "blobs"), 1);
	st = open_store(dir);

	/* Each expunge drops one reference; the last frees the blob. */
	for (i = 0; i < 3; i++) {
		uint32_t uid = 1;

		ck_assert_int_eq(store_expunge_wait(st, inbox_id(st, ids[i]),
		    &uid, 1), 0);
		ck_assert_uint_eq(mailbox(ids[i], "INBOX").messages, 0);
		ck_assert_uint_eq(mailbox(ids[i], "INBOX").size, 0);
		if (i < 2)
			assert_blob(st, blob, msg1);
	}
	{
		char *data;
		size_t len;

		ck_assert_int_eq(store_blob_read(st, blob, &data, &len),
		    STORE_ENOTFOUND);
		ck_assert_ptr_null(data);
	}
	ck_assert_int_eq(check_problems(st), 0);
	store_close(&st);
	ck_assert_int_eq(raw_blob_refs(dir, blob), -1);
	ck_assert_uint_eq(raw_entries(dir, "blobs"), 0);
	ck_assert_uint_eq(raw_entries(dir, "expunges"), 3);
	st = open_store(dir);
}
END_TEST

START_TEST(test_flags_modseq)
{
	uint32_t uids[] = { 1, 2, 77 }, all[] = { 1, 2, 3 };
	struct store_mailbox mb, mb2;
	struct store_message m1, m2, m3;
	uint64_t u, ib;

	u = add_user(st, "a@example.org");
	ib = inbox_id(st, u);
	ck_assert_int_eq(deliver_text(st, &u, 1, msg1), 0);
	ck_assert_int_eq(deliver_text(st, &u, 1, msg2), 0);
	ck_assert_int_eq(deliver_text(st, &u, 1, msg1), 0);
	mb = mailbox(u, "INBOX");
	m3 = message(ib, 3);
	ck_assert_uint_eq(mb.unseen, 3);

	/* \Seen on 1 and 2 (77 does not exist and is skipped). */
	ck_assert_int_eq(store_flags_update_wait(st, ib, uids, 3,
	    STORE_FLAG_SEEN, 0), 0);
	m1 = message(ib, 1);
	m2 = message(ib, 2);
	ck_assert_uint_eq(m1.flags, STORE_FLAG_SEEN | STORE_FLAG_RECENT);
	ck_assert_uint_gt(m1.modseq, mb.highestmodseq);
	ck_assert_uint_gt(m2.modseq, m1.modseq);
	ck_assert_uint_eq(message(ib, 3).modseq, m3.modseq);
	mb2 = mailbox(u, "INBOX");
	ck_assert_uint_eq(mb2.highestmodseq, m2.modseq);
	ck_assert_uint_eq(mb2.unseen, 1);

	/* No change, no new MODSEQ (RFC 7162). */
	ck_assert_int_eq(store_flags_update_wait(st, ib, uids, 2,
	    STORE_FLAG_SEEN, 0), 0);
	ck_assert_uint_eq(mailbox(u, "INBOX").highestmodseq, mb2.highestmodseq);
	ck_assert_uint_eq(message(ib, 1).modseq, m1.modseq);

	/* Clear \Recent everywhere, set \Flagged | unknown bits (masked). */
	ck_assert_int_eq(store_flags_update_wait(st, ib, all, 3,
	    STORE_FLAG_FLAGGED | 0x8000, STORE_FLAG_RECENT), 0);
	mb = mailbox(u, "INBOX");
	ck_assert_uint_eq(mb.recent, 0);
	ck_assert_uint_eq(mb.unseen, 1);
	ck_assert_uint_eq(message(ib, 3).flags, STORE_FLAG_FLAGGED);
	ck_assert_uint_eq(message(ib, 1).flags,
	    STORE_FLAG_FLAGGED | STORE_FLAG_SEEN);
	ck_assert_uint_eq(mb.highestmodseq, message(ib, 3).modseq);

	ck_assert_int_eq(store_flags_update_wait(st, 9999, all, 3,
	    STORE_FLAG_SEEN, 0), STORE_ENOTFOUND);
	ck_assert_int_eq(store_flags_update_wait(st, ib, NULL, 3,
	    STORE_FLAG_SEEN, 0), STORE_EINVAL);
	ck_assert_int_eq(store_flags_update_wait(st, ib, NULL, 0,
	    STORE_FLAG_SEEN, 0), 0);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

START_TEST(test_uid_modseq_monotonic)
{
	uint32_t uids[] = { 3, 2 }, all[] = { 1, 4, 5 };
	struct store_mailbox mb;
	uint64_t u, ib, modseq;

	u = add_user(st, "a@example.org");
	ib = inbox_id(st, u);
	ck_assert_int_eq(deliver_text(st, &u, 1, msg1), 0);
	ck_assert_int_eq(deliver_text(st, &u, 1, msg1), 0);
	ck_assert_int_eq(deliver_text(st, &u, 1, msg1), 0);
	modseq = mailbox(u, "INBOX").highestmodseq;
	ck_assert_int_eq(store_expunge_wait(st, ib, uids, 2), 0);
	mb = mailbox(u, "INBOX");
	ck_assert_uint_gt(mb.highestmodseq, modseq);
	modseq = mb.highestmodseq;
	ck_assert_uint_eq(mb.messages, 1);
	ck_assert_uint_eq(mb.uidnext, 4);

	/* The highest UID was expunged: it is still never reused. */
	ck_assert_int_eq(deliver_text(st, &u, 1, msg2), 0);
	ck_assert_uint_gt(message(ib, 4).modseq, modseq);
	reopen();
	ck_assert_int_eq(deliver_text(st, &u, 1, msg2), 0);
	mb = mailbox(u, "INBOX");
	ck_assert_uint_eq(mb.uidnext, 6);
	ck_assert_uint_gt(message(ib, 5).modseq, message(ib, 4).modseq);
	modseq = mb.highestmodseq;

	ck_assert_int_eq(store_expunge_wait(st, ib, all, 3), 0);
	mb = mailbox(u, "INBOX");
	ck_assert_uint_eq(mb.messages, 0);
	ck_assert_uint_eq(mb.unseen, 0);
	ck_assert_uint_eq(mb.recent, 0);
	ck_assert_uint_eq(mb.size, 0);
	ck_assert_uint_gt(mb.highestmodseq, modseq);
	modseq = mb.highestmodseq;
	reopen();
	ck_assert_int_eq(deliver_text(st, &u, 1, msg2), 0);
	mb = mailbox(u, "INBOX");
	ck_assert_uint_eq(mb.uidnext, 7);
	ck_assert_uint_eq(message(ib, 6).uid, 6);
	ck_assert_uint_gt(mb.highestmodseq, modseq);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

static int
count_cb(void *arg, const char *s)
{
	(*(int *)arg)++;
	return 0;
}

START_TEST(test_reopen)
{
	struct store_message *msgs;
	struct store_mailbox before, after;
	struct store_user u;
	uint64_t a, ids[8];
	size_t n;
	int count = 0;

	a = add_user(st, "a@example.org");
	ck_assert_int_eq(store_alias_add(st, "al@example.org",
	    "a@example.org"), 0);
	ck_assert_int_eq(deliver_text(st, &a, 1, msg1), 0);
	ck_assert_int_eq(deliver_text(st, &a, 1, msg2), 0);
	before = mailbox(a, "INBOX");

	reopen();
	ck_assert_int_eq(store_schema_version(st), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_domain_list(st, count_cb, &count), 0);
	ck_assert_int_eq(count, 1);
	ck_assert_int_eq(store_user_lookup(st, "a@example.org", &u), 0);
	ck_assert_uint_eq(u.id, a);
	ck_assert_int_eq(store_resolve_rcpt(st, "al@example.org", ids, 8, &n),
	    0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ids[0], a);
	ck_assert_int_eq(store_user_verify(st, "a@example.org", TEST_PASSWORD,
	    &u), 1);
	after = mailbox(a, "INBOX");
	ck_assert_uint_eq(after.id, before.id);
	ck_assert_uint_eq(after.uidvalidity, before.uidvalidity);
	ck_assert_uint_eq(after.uidnext, before.uidnext);
	ck_assert_uint_eq(after.highestmodseq, before.highestmodseq);
	ck_assert_uint_eq(after.messages, 2);
	ck_assert_uint_eq(after.unseen, before.unseen);
	ck_assert_uint_eq(after.recent, before.recent);
	ck_assert_uint_eq(after.size, before.size);
	ck_assert_int_eq(store_message_list(st, after.id, &msgs), 2);
	assert_blob(st, msgs[0].blob_id, msg1);
	assert_blob(st, msgs[1].blob_id, msg2);
	free(msgs);
	ck_assert_uint_eq(store_commit_count(st), 0);
}
END_TEST

START_TEST(test_mailboxes)
{
	static const struct {
		const char	*name;
		int		 rc;
	} names[] = {
		{ "Projects/2024", 0 }, { "Projects/2024", STORE_EEXIST },
		{ "inbox", STORE_EEXIST }, { "Äpfel", 0 }, { "", STORE_EINVAL },
		{ "/a", STORE_EINVAL }, { "a/", STORE_EINVAL },
		{ "a//b", STORE_EINVAL }, { "a\001b", STORE_EINVAL },
		{ "bad\xff", STORE_EINVAL }, { "\xc0\xaf", STORE_EINVAL },
		{ "\xed\xa0\x80", STORE_EINVAL },
	};
	char longname[600];
	struct store_mailbox mb;
	struct store_delivery d;
	uint32_t uv;
	uint64_t u;
	size_t i;

	u = add_user(st, "a@example.org");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(store_mailbox_create(st, u, names[i].name,
		    SPECIAL_USE_NONE) == names[i].rc, "mailbox '%s'",
		    names[i].name);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(store_mailbox_create(st, u, longname, 0),
	    STORE_ETOOBIG);
	ck_assert_int_eq(store_mailbox_get(st, u, longname, &mb),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_mailbox_create(st, 999, "X", 0), STORE_ENOTFOUND);
	ck_assert_int_eq(store_mailbox_create(st, u, "X", 99), STORE_EINVAL);
	ck_assert_int_eq(store_mailbox_create(st, u, "All", SPECIAL_USE_ALL), 0);
	mb = mailbox(u, "All");
	ck_assert_int_eq(mb.special_use, SPECIAL_USE_ALL);
	ck_assert_int_eq(mb.subscribed, 0);
	ck_assert_int_eq(store_mailbox_get_id(st, mb.id, &mb), 0);
	ck_assert_str_eq(mb.name, "All");
	ck_assert_int_eq(store_mailbox_get_id(st, 9999, &mb), STORE_ENOTFOUND);
	ck_assert_int_eq(store_mailbox_get(st, u, "Nope", &mb),
	    STORE_ENOTFOUND);

	/* Delivery into another mailbox, and into a missing one. */
	memset(&d, 0, sizeof(d));
	d.user_ids = &u;
	d.n_users = 1;
	d.data = msg1;
	d.len = strlen(msg1);
	d.mailbox = "Projects/2024";
	d.flags = STORE_FLAG_SEEN;
	d.internaldate = 1000000000;
	ck_assert_int_eq(store_deliver_wait(st, &d), 0);
	mb = mailbox(u, "Projects/2024");
	ck_assert_uint_eq(mb.messages, 1);
	ck_assert_uint_eq(mb.unseen, 0);
	ck_assert_uint_eq(message(mb.id, 1).flags,
	    STORE_FLAG_SEEN | STORE_FLAG_RECENT);
	ck_assert_int_eq(message(mb.id, 1).internaldate, 1000000000);
	d.mailbox = "Missing";
	ck_assert_int_eq(store_deliver_wait(st, &d), STORE_ENOTFOUND);
	ck_assert_uint_eq(mailbox(u, "INBOX").messages, 0);

	/* A recreated name never gets an old UIDVALIDITY. */
	uv = mailbox(u, "Projects/2024").uidvalidity;
	ck_assert_int_eq(store_user_del(st, "a@example.org"), 0);
	u = add_user(st, "a@example.org");
	ck_assert_int_eq(store_mailbox_create(st, u, "Projects/2024", 0), 0);
	ck_assert_uint_gt(mailbox(u, "Projects/2024").uidvalidity, uv);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

START_TEST(test_user_del_frees_blobs)
{
	uint64_t ids[2], blob;
	struct store_message *msgs;

	ids[0] = add_user(st, "a@example.org");
	ids[1] = add_user(st, "b@example.org");
	ck_assert_int_eq(deliver_text(st, ids, 2, msg1), 0);
	ck_assert_int_eq(store_message_list(st, inbox_id(st, ids[1]), &msgs), 1);
	blob = msgs[0].blob_id;
	free(msgs);
	ck_assert_int_eq(store_user_del(st, "a@example.org"), 0);
	assert_blob(st, blob, msg1);
	ck_assert_int_eq(check_problems(st), 0);
	ck_assert_int_eq(store_user_del(st, "b@example.org"), 0);
	store_close(&st);
	ck_assert_int_eq(raw_blob_refs(dir, blob), -1);
	ck_assert_uint_eq(raw_entries(dir, "blobs"), 0);
	ck_assert_uint_eq(raw_entries(dir, "messages"), 0);
	ck_assert_uint_eq(raw_entries(dir, "mailboxes"), 0);
	ck_assert_uint_eq(raw_entries(dir, "mailbox_ids"), 0);
	st = open_store(dir);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

START_TEST(test_bad_requests)
{
	uint64_t many[STORE_MAX_RCPT_USERS + 1], u;
	struct store_delivery d;
	struct store_message *msgs, m;
	char *data;
	size_t len;

	u = add_user(st, "a@example.org");
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(store_deliver_wait(st, NULL), STORE_EINVAL);
	ck_assert_int_eq(store_deliver_wait(st, &d), STORE_EINVAL);
	d.user_ids = &u;
	ck_assert_int_eq(store_deliver_wait(st, &d), STORE_EINVAL); /* 0 users */
	d.n_users = 1;
	d.len = 5;
	ck_assert_int_eq(store_deliver_wait(st, &d), STORE_EINVAL); /* NULL data */
	memset(many, 0, sizeof(many));
	d.user_ids = many;
	d.n_users = STORE_MAX_RCPT_USERS + 1;
	d.data = "x";
	d.len = 1;
	ck_assert_int_eq(store_deliver_wait(st, &d), STORE_EINVAL);
	d.n_users = 1;
	d.mailbox = "a//b";
	d.user_ids = &u;
	ck_assert_int_eq(store_deliver_wait(st, &d), STORE_EINVAL);

	/* An empty message is still a message. */
	d.mailbox = NULL;
	d.len = 0;
	ck_assert_int_eq(store_deliver_wait(st, &d), 0);
	ck_assert_int_eq(store_message_list(st, inbox_id(st, u), &msgs), 1);
	ck_assert_int_eq(store_blob_read(st, msgs[0].blob_id, &data, &len), 0);
	ck_assert_uint_eq(len, 0);
	free(data);
	free(msgs);

	ck_assert_int_eq(store_message_list(st, 9999, &msgs), STORE_ENOTFOUND);
	ck_assert_int_eq(store_message_get(st, inbox_id(st, u), 42, &m),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_blob_read(st, 4242, &data, &len),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_expunge_wait(st, 9999, NULL, 0),
	    STORE_ENOTFOUND);
	ck_assert_str_eq(store_strerror(STORE_EFULL),
	    "store is full (map size or disk)");
}
END_TEST

struct problems {
	int	 n;
	char	 text[2048];
};

static void
collect_problem(void *arg, const char *msg)
{
	struct problems *p = arg;

	p->n++;
	str_append(p->text, msg, sizeof(p->text));
	str_append(p->text, "\n", sizeof(p->text));
}

/* store_check finds damage: a wrong refcount, a lost message, a leak. */
START_TEST(test_check_finds_damage)
{
	static const uint8_t refs5[4] = { 5, 0, 0, 0 };
	struct problems p;
	uint64_t ids[2], blob, ib;
	uint8_t key[12];
	int i;

	ids[0] = add_user(st, "a@example.org");
	ids[1] = add_user(st, "b@example.org");
	ck_assert_int_eq(deliver_text(st, ids, 2, msg1), 0);
	ck_assert_int_eq(deliver_text(st, &ids[0], 1, msg2), 0);
	blob = message(inbox_id(st, ids[0]), 1).blob_id;
	ib = inbox_id(st, ids[1]);
	store_close(&st);

	for (i = 0; i < 8; i++)
		key[i] = (uint8_t)(blob >> (56 - 8 * i));
	raw_write(dir, "blob_refs", key, 8, refs5, sizeof(refs5));
	for (i = 0; i < 8; i++)
		key[i] = (uint8_t)(ib >> (56 - 8 * i));
	memcpy(key + 8, "\0\0\0\1", 4);		/* b's UID 1 vanishes */
	raw_write(dir, "messages", key, 12, NULL, 0);
	raw_write(dir, "blobs", "\0\0\0\0\0\0\0\x63", 8, "leak", 4);

	st = open_store(dir);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(store_check(st, collect_problem, &p), p.n);
	ck_assert_int_ge(p.n, 3);
	ck_assert_msg(strstr(p.text, "reference count 5, used by 1") != NULL,
	    "%s", p.text);
	ck_assert_msg(strstr(p.text, "counters say 1 messages") != NULL,
	    "%s", p.text);
	ck_assert_msg(strstr(p.text, "blob 99 has no reference count") != NULL,
	    "%s", p.text);
	ck_assert_msg(strstr(p.text, "next_blob_id") != NULL, "%s", p.text);
}
END_TEST

void
store_mail_tcases(Suite *s)
{
	TCase *tc;

	tc = tcase_create("delivery and blobs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_deliver_many);
	tcase_add_test(tc, test_user_del_frees_blobs);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_check_finds_damage);
	suite_add_tcase(s, tc);

	tc = tcase_create("flags, expunge, UID and MODSEQ");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_flags_modseq);
	tcase_add_test(tc, test_uid_modseq_monotonic);
	suite_add_tcase(s, tc);

	tc = tcase_create("mailboxes and persistence");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mailboxes);
	tcase_add_test(tc, test_reopen);
	suite_add_tcase(s, tc);
}
