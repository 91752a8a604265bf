/*
 * check_store_queue.c: the store's outbound queue (schema v4): entries
 * added by store_deliver (alone or with local copies, one transaction),
 * reads (get, list, due with its schedule, counts), attempts recorded by
 * store_queue_update (entries finished and removed with their blob, a
 * bounce committed atomically or not at all), retry and delete, big
 * entries and a big queue, durability across reopen, recipient
 * resolution with foreign alias targets, the v3 -> v4 migration and what
 * store_check says about the queue. Every test works on a fresh store.
 */
#include <check.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_store_util.h"
#include "log.h"
#include "util.h"

static char		*dir;
static struct store	*st;

static const char msg[] = "From: a@local.example\r\nSubject: out\r\n\r\nhi\r\n";
static const char dsn[] = "From: MAILER-DAEMON\r\nSubject: failed\r\n\r\nx\r\n";

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

/* ------------------------------------------------------------ helpers */

/* One entry (and local copies for users), synchronously; returns status. */
static int
enqueue_users(const uint64_t *users, size_t n_users, const char *sender,
    const char *domain, const char *const *rcpts, size_t n_rcpts,
    int64_t next_attempt, uint64_t *id_r)
{
	struct store_queue_new q;
	struct store_delivery d;

	memset(&q, 0, sizeof(q));
	q.sender = sender;
	q.domain = domain;
	q.rcpts = rcpts;
	q.n_rcpts = n_rcpts;
	q.flags = STORE_QUEUE_F_8BITMIME;
	q.next_attempt = next_attempt;
	memset(&d, 0, sizeof(d));
	d.user_ids = users;
	d.n_users = n_users;
	d.data = msg;
	d.len = strlen(msg);
	d.queue = &q;
	d.n_queue = 1;
	d.queue_ids_r = id_r;
	return store_deliver_wait(st, &d);
}

static uint64_t
enqueue(const char *rcpt, int64_t next_attempt)
{
	const char *domain = strrchr(rcpt, '@') + 1;
	uint64_t id = 0;

	ck_assert_int_eq(enqueue_users(NULL, 0, "a@local.example", domain,
	    &rcpt, 1, next_attempt, &id), 0);
	ck_assert_uint_gt(id, 0);
	return id;
}

static void
assert_count(uint64_t entries, uint64_t rcpts)
{
	uint64_t e = 99, r = 99;

	ck_assert_int_eq(store_queue_count(st, &e, &r), 0);
	ck_assert_uint_eq(e, entries);
	ck_assert_uint_eq(r, rcpts);
}

static int
due(int64_t now, uint64_t *ids, size_t max, int64_t *next_r)
{
	int n = store_queue_due(st, now, ids, max, next_r);

	ck_assert_int_ge(n, 0);
	return n;
}

static size_t
inbox_messages(uint64_t user)
{
	struct store_mailbox mb;

	ck_assert_int_eq(store_mailbox_get(st, user, "INBOX", &mb), 0);
	return mb.messages;
}

/* ------------------------------------------------------------ enqueue */

START_TEST(test_enqueue_foreign_only)
{
	static const char *const rcpts[] = { "X@Foreign.example",
	    "y@foreign.example" };
	struct store_queue_entry e;
	int64_t before = (int64_t)time(NULL);
	uint64_t id = 0;

	assert_count(0, 0);
	ck_assert_int_eq(enqueue_users(NULL, 0, "a@local.example",
	    "Foreign.Example", rcpts, 2, 0, &id), 0);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_eq(store_queue_get(st, id, &e), 0);
	ck_assert_uint_eq(e.id, id);
	ck_assert_str_eq(e.sender, "a@local.example");
	ck_assert_str_eq(e.domain, "foreign.example");	/* lower-cased */
	ck_assert_uint_eq(e.flags, STORE_QUEUE_F_8BITMIME);
	ck_assert_uint_eq(e.size, strlen(msg));
	ck_assert_int_ge(e.created, before);
	ck_assert_int_ge(e.next_attempt, before);	/* 0 = now */
	ck_assert_int_le(e.next_attempt, (int64_t)time(NULL));
	ck_assert_int_eq(e.last_attempt, 0);
	ck_assert_uint_eq(e.attempts, 0);
	ck_assert_uint_eq(e.n_rcpts, 2);
	/* A foreign local part is the remote host's business: kept. */
	ck_assert_str_eq(e.rcpts[0].address, "X@Foreign.example");
	ck_assert_str_eq(e.rcpts[1].address, "y@foreign.example");
	ck_assert_int_eq(e.rcpts[0].state, STORE_QUEUE_PENDING);
	ck_assert_str_eq(e.rcpts[1].reply, "");
	assert_blob(st, e.blob_id, msg);
	store_queue_entry_free(&e);
	ck_assert_ptr_null(e.rcpts);
	assert_count(1, 2);
	ck_assert_int_eq(check_problems(st), 0);
	ck_assert_int_eq(store_queue_get(st, 99, &e), STORE_ENOTFOUND);
}
END_TEST

/* Local copies and two entries share one blob, in one commit. */
START_TEST(test_enqueue_with_local)
{
	static const char *const r1[] = { "x@one.example" };
	static const char *const r2[] = { "y@two.example", "z@two.example" };
	struct store_queue_new q[2];
	struct store_delivery d;
	struct store_message *msgs;
	struct store_queue_entry e;
	uint64_t users[2], ids[2] = { 0, 0 }, blob, commits;

	users[0] = add_user(st, "a@local.example");
	users[1] = add_user(st, "b@local.example");
	memset(q, 0, sizeof(q));
	q[0].sender = "a@local.example";
	q[0].domain = "one.example";
	q[0].rcpts = r1;
	q[0].n_rcpts = 1;
	q[1] = q[0];
	q[1].domain = "two.example";
	q[1].rcpts = r2;
	q[1].n_rcpts = 2;
	q[1].flags = STORE_QUEUE_F_SMTPUTF8 | 0xf0;	/* unknown bits dropped */
	memset(&d, 0, sizeof(d));
	d.user_ids = users;
	d.n_users = 2;
	d.data = msg;
	d.len = strlen(msg);
	d.queue = q;
	d.n_queue = 2;
	d.queue_ids_r = ids;
	commits = store_commit_count(st);
	ck_assert_int_eq(store_deliver_wait(st, &d), 0);
	ck_assert_uint_eq(store_commit_count(st), commits + 1);
	ck_assert_uint_gt(ids[0], 0);
	ck_assert_uint_gt(ids[1], ids[0]);

	ck_assert_int_eq(store_message_list(st, inbox_id(st, users[1]), &msgs),
	    1);
	blob = msgs[0].blob_id;
	free(msgs);
	ck_assert_int_eq(store_queue_get(st, ids[1], &e), 0);
	ck_assert_uint_eq(e.blob_id, blob);
	ck_assert_uint_eq(e.flags, STORE_QUEUE_F_SMTPUTF8);
	ck_assert_str_eq(e.rcpts[1].address, "z@two.example");
	store_queue_entry_free(&e);
	assert_count(2, 3);
	ck_assert_int_eq(check_problems(st), 0);
	store_close(&st);
	ck_assert_int_eq(raw_blob_refs(dir, blob), 4);	/* 2 users + 2 entries */
	st = open_store(dir);
}
END_TEST

/* Bad entries are refused before anything is written. */
START_TEST(test_enqueue_invalid)
{
	static char long_rcpt[STORE_ADDRESS_MAX + 8];
	static const char *many[STORE_QUEUE_RCPTS_MAX + 1];
	static const char *const one[] = { "x@f.example" };
	static const char *const other[] = { "x@f.example", "y@g.example" };
	static const char *const no_at[] = { "xf.example" };
	static const char *const no_local[] = { "@f.example" };
	static const char *const ctl[] = { "x\r\n@f.example" };
	static const char *const null_rcpt[] = { NULL };
	static const struct {
		const char		*what;
		const char		*sender;
		const char		*domain;
		const char *const	*rcpts;
		size_t			 n;
	} cases[] = {
		{ "no rcpts", "a@l.example", "f.example", one, 0 },
		{ "too many", "a@l.example", "f.example", many,
		    STORE_QUEUE_RCPTS_MAX + 1 },
		{ "empty domain", "a@l.example", "", one, 1 },
		{ "NULL domain", "a@l.example", NULL, one, 1 },
		{ "domain with @", "a@l.example", "x@f.example", one, 1 },
		{ "other domain", "a@l.example", "f.example", other, 2 },
		{ "no @", "a@l.example", "f.example", no_at, 1 },
		{ "no local part", "a@l.example", "f.example", no_local, 1 },
		{ "control", "a@l.example", "f.example", ctl, 1 },
		{ "NULL rcpt", "a@l.example", "f.example", null_rcpt, 1 },
		{ "NULL rcpts", "a@l.example", "f.example", NULL, 1 },
		{ "NULL sender", NULL, "f.example", one, 1 },
		{ "sender CRLF", "a\r\n@l.example", "f.example", one, 1 },
		{ "long rcpt", "a@l.example", "f.example", NULL, 1 },
	};
	const char *long_rcpts[1] = { long_rcpt };
	const char *const *rcpts;
	struct store_delivery d;
	uint64_t user, id;
	size_t i;

	for (i = 0; i < STORE_QUEUE_RCPTS_MAX + 1; i++)
		many[i] = "x@f.example";
	memset(long_rcpt, 'x', sizeof(long_rcpt) - 1);
	memcpy(long_rcpt + sizeof(long_rcpt) - 12, "@f.example", 11);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rcpts = strcmp(cases[i].what, "long rcpt") == 0 ?
		    long_rcpts : cases[i].rcpts;
		id = 77;
		ck_assert_msg(enqueue_users(NULL, 0, cases[i].sender,
		    cases[i].domain, rcpts, cases[i].n, 0, &id) ==
		    STORE_EINVAL, "case %s", cases[i].what);
		ck_assert_uint_eq(id, 77);	/* not written on failure */
	}
	/* Nothing to do at all, or entries promised but missing. */
	memset(&d, 0, sizeof(d));
	d.data = msg;
	d.len = strlen(msg);
	ck_assert_int_eq(store_deliver_wait(st, &d), STORE_EINVAL);
	d.n_queue = 1;
	ck_assert_int_eq(store_deliver_wait(st, &d), STORE_EINVAL);

	/* A failing local copy takes the entry with it (one transaction). */
	user = 4242;
	ck_assert_int_eq(enqueue_users(&user, 1, "", "f.example", one, 1, 0,
	    &id), STORE_ENOTFOUND);
	/* A user without the entry's failure: the old path, unchanged. */
	user = add_user(st, "u@l.example");
	ck_assert_int_eq(deliver_text(st, &user, 1, msg), 0);
	assert_count(0, 0);
	ck_assert_int_eq(due(INT64_MAX, &id, 1, NULL), 0);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

/* ------------------------------------------------------------ reads */

struct listing {
	uint64_t	 ids[8];
	size_t		 n;
	size_t		 stop_after;
};

static int
list_cb(void *arg, const struct store_queue_entry *e)
{
	struct listing *l = arg;

	ck_assert_uint_eq(e->n_rcpts, 1);
	l->ids[l->n++] = e->id;
	return l->n == l->stop_after;
}

START_TEST(test_list)
{
	struct listing l;
	uint64_t ids[3];
	size_t i;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(store_queue_list(st, list_cb, &l), 0);
	ids[0] = enqueue("x@c.example", 300);
	ids[1] = enqueue("x@a.example", 100);
	ids[2] = enqueue("x@b.example", 200);
	ck_assert_int_eq(store_queue_list(st, list_cb, &l), 3);
	for (i = 0; i < 3; i++)		/* id order, not time order */
		ck_assert_uint_eq(l.ids[i], ids[i]);
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	ck_assert_int_eq(store_queue_list(st, list_cb, &l), 2);
	ck_assert_uint_eq(l.n, 2);
}
END_TEST

/* The schedule: earliest first, ties by id, negative times, next_r. */
START_TEST(test_due_order)
{
	static const int64_t when[] = { 500, 100, 300, -5, 1000, 300 };
	static const struct {
		int64_t	 now;
		size_t	 max;
		size_t	 n;
		size_t	 first[6];	/* indexes into when[] */
		int64_t	 next;
	} cases[] = {
		{ -10, 8, 0, { 0 }, -5 },
		{ 0, 8, 1, { 3 }, 100 },
		{ 300, 8, 4, { 3, 1, 2, 5 }, 500 },
		{ 300, 2, 2, { 3, 1 }, 300 },	/* more due: ask again now */
		{ 999, 0, 0, { 0 }, -5 },
		{ 1000, 8, 6, { 3, 1, 2, 5, 0, 4 }, 0 },
	};
	uint64_t ids[6], got[8];
	int64_t next;
	size_t i, j;
	int n;

	ck_assert_int_eq(due(1000, got, 8, &next), 0);
	ck_assert_int_eq(next, 0);
	for (i = 0; i < 6; i++)
		ids[i] = enqueue("x@f.example", when[i]);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		next = 12345;
		n = due(cases[i].now, got, cases[i].max, &next);
		ck_assert_msg((size_t)n == cases[i].n, "case %zu: %d", i, n);
		for (j = 0; j < cases[i].n; j++)
			ck_assert_uint_eq(got[j], ids[cases[i].first[j]]);
		ck_assert_msg(next == cases[i].next, "case %zu: next %" PRId64,
		    i, next);
	}
	ck_assert_int_eq(due(1000, got, 8, NULL), 6);
	ck_assert_int_eq(store_queue_due(st, 0, NULL, 1, NULL), STORE_EINVAL);
}
END_TEST

/* ------------------------------------------------------------ update */

static int
update(uint64_t id, const struct store_queue_rcpt_update *r, size_t n,
    int64_t now, int64_t next, const struct store_delivery *bounce)
{
	struct store_queue_update u;

	memset(&u, 0, sizeof(u));
	u.id = id;
	u.rcpts = r;
	u.n_rcpts = n;
	u.count_attempt = 1;
	u.now = now;
	u.next_attempt = next;
	u.bounce = bounce;
	return store_queue_update_wait(st, &u);
}

START_TEST(test_update_partial_then_final)
{
	static const char *const rcpts[] = { "a@f.example", "b@f.example",
	    "c@f.example" };
	static const struct store_queue_rcpt_update first[] = {
		{ 0, STORE_QUEUE_DELIVERED, "250 2.0.0 ok" },
		{ 1, STORE_QUEUE_FAILED, "550 5.1.1 no such user" },
		{ 2, STORE_QUEUE_PENDING, "451 4.3.0 try later" },
	};
	static const struct store_queue_rcpt_update last[] = {
		{ 2, STORE_QUEUE_DELIVERED, NULL },
	};
	struct store_queue_entry e;
	uint64_t id, got[4], blob;
	char *data;
	size_t len;
	int64_t next;

	ck_assert_int_eq(enqueue_users(NULL, 0, "", "f.example", rcpts, 3,
	    900, &id), 0);
	ck_assert_int_eq(update(id, first, 3, 1000, 1300, NULL), 0);
	ck_assert_int_eq(store_queue_get(st, id, &e), 0);
	ck_assert_uint_eq(e.attempts, 1);
	ck_assert_int_eq(e.last_attempt, 1000);
	ck_assert_int_eq(e.next_attempt, 1300);
	ck_assert_int_eq(e.rcpts[0].state, STORE_QUEUE_DELIVERED);
	ck_assert_int_eq(e.rcpts[1].state, STORE_QUEUE_FAILED);
	ck_assert_int_eq(e.rcpts[2].state, STORE_QUEUE_PENDING);
	ck_assert_str_eq(e.rcpts[1].reply, "550 5.1.1 no such user");
	ck_assert_str_eq(e.rcpts[2].reply, "451 4.3.0 try later");
	blob = e.blob_id;
	store_queue_entry_free(&e);
	assert_count(1, 1);
	/* The schedule moved with next_attempt. */
	ck_assert_int_eq(due(1200, got, 4, &next), 0);
	ck_assert_int_eq(next, 1300);
	ck_assert_int_eq(due(1300, got, 4, &next), 1);
	ck_assert_uint_eq(got[0], id);
	ck_assert_int_eq(check_problems(st), 0);

	/* The last pending recipient: the entry and its blob go. */
	ck_assert_int_eq(update(id, last, 1, 1400, 2000, NULL), 0);
	ck_assert_int_eq(store_queue_get(st, id, &e), STORE_ENOTFOUND);
	ck_assert_int_eq(store_blob_read(st, blob, &data, &len),
	    STORE_ENOTFOUND);
	ck_assert_ptr_null(data);
	assert_count(0, 0);
	ck_assert_int_eq(due(INT64_MAX, got, 4, &next), 0);
	ck_assert_int_eq(next, 0);
	ck_assert_int_eq(check_problems(st), 0);
	/* Gone: a late update writes nothing. */
	ck_assert_int_eq(update(id, last, 1, 1500, 2000, NULL),
	    STORE_ENOTFOUND);
}
END_TEST

/* An attempt that is not counted (e.g. the runner's shutdown). */
START_TEST(test_update_no_attempt)
{
	struct store_queue_update u;
	struct store_queue_entry e;
	uint64_t id = enqueue("x@f.example", 10);

	memset(&u, 0, sizeof(u));
	u.id = id;
	u.now = 20;
	u.next_attempt = 10;	/* unchanged: the schedule stays */
	ck_assert_int_eq(store_queue_update_wait(st, &u), 0);
	ck_assert_int_eq(store_queue_get(st, id, &e), 0);
	ck_assert_uint_eq(e.attempts, 0);
	ck_assert_int_eq(e.last_attempt, 20);
	store_queue_entry_free(&e);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

static void
bounce_to(struct store_delivery *b, const uint64_t *user)
{
	memset(b, 0, sizeof(*b));
	b->user_ids = user;
	b->n_users = 1;
	b->data = dsn;
	b->len = strlen(dsn);
}

/* The failure and its DSN are one commit; the DSN is in the INBOX. */
START_TEST(test_update_with_bounce)
{
	static const struct store_queue_rcpt_update fail[] = {
		{ 0, STORE_QUEUE_FAILED, "550 5.7.1 rejected" },
	};
	struct store_delivery b;
	struct store_message *msgs;
	uint64_t sender, id, commits;

	sender = add_user(st, "a@local.example");
	id = enqueue("x@f.example", 0);
	bounce_to(&b, &sender);
	commits = store_commit_count(st);
	ck_assert_int_eq(update(id, fail, 1, 1000, 0, &b), 0);
	ck_assert_uint_eq(store_commit_count(st), commits + 1);
	ck_assert_int_eq(store_message_list(st, inbox_id(st, sender), &msgs),
	    1);
	assert_blob(st, msgs[0].blob_id, dsn);
	free(msgs);
	assert_count(0, 0);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

/* A bounce that cannot be stored leaves the entry as it was. */
START_TEST(test_update_bounce_fails)
{
	static const struct store_queue_rcpt_update fail[] = {
		{ 0, STORE_QUEUE_FAILED, "550 no" },
	};
	struct store_queue_entry e;
	struct store_delivery b;
	uint64_t nobody = 999, id;

	id = enqueue("x@f.example", 0);
	bounce_to(&b, &nobody);
	ck_assert_int_eq(update(id, fail, 1, 1000, 2000, &b), STORE_ENOTFOUND);
	ck_assert_int_eq(store_queue_get(st, id, &e), 0);
	ck_assert_uint_eq(e.attempts, 0);
	ck_assert_int_eq(e.rcpts[0].state, STORE_QUEUE_PENDING);
	store_queue_entry_free(&e);
	assert_count(1, 1);
	b.len = 5;
	b.data = NULL;	/* refused before it is queued */
	ck_assert_int_eq(update(id, fail, 1, 1000, 2000, &b), STORE_EINVAL);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

/* Deleted meanwhile (`posthorn queue delete`): no write, no bounce. */
START_TEST(test_update_deleted)
{
	static const struct store_queue_rcpt_update fail[] = {
		{ 0, STORE_QUEUE_FAILED, "550 no" },
	};
	struct store_delivery b;
	uint64_t sender, id;

	sender = add_user(st, "a@local.example");
	id = enqueue("x@f.example", 0);
	ck_assert_int_eq(store_queue_delete_wait(st, id), 0);
	bounce_to(&b, &sender);
	ck_assert_int_eq(update(id, fail, 1, 1000, 0, &b), STORE_ENOTFOUND);
	ck_assert_uint_eq(inbox_messages(sender), 0);
	assert_count(0, 0);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

START_TEST(test_update_invalid)
{
	static const struct {
		size_t	 index;
		int	 state;
	} cases[] = {
		{ 1, STORE_QUEUE_DELIVERED },	/* one recipient only */
		{ STORE_QUEUE_RCPTS_MAX, STORE_QUEUE_DELIVERED },
		{ 0, 3 },
		{ 0, -1 },
	};
	struct store_queue_rcpt_update r;
	struct store_queue_entry e;
	uint64_t id = enqueue("x@f.example", 0);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.index = cases[i].index;
		r.state = cases[i].state;
		r.reply = "x";
		ck_assert_msg(update(id, &r, 1, 1, 1, NULL) == STORE_EINVAL,
		    "case %zu", i);
	}
	ck_assert_int_eq(update(0, NULL, 0, 1, 1, NULL), STORE_EINVAL);
	ck_assert_int_eq(update(id, NULL, 1, 1, 1, NULL), STORE_EINVAL);
	ck_assert_int_eq(store_queue_update_wait(st, NULL), STORE_EINVAL);
	ck_assert_int_eq(store_queue_get(st, id, &e), 0);
	ck_assert_uint_eq(e.attempts, 0);
	ck_assert_int_eq(e.rcpts[0].state, STORE_QUEUE_PENDING);
	store_queue_entry_free(&e);
}
END_TEST

/* The asynchronous forms report on the writer thread. */
START_TEST(test_async)
{
	static const char *const rcpt[] = { "x@f.example" };
	static const struct store_queue_rcpt_update ok[] = {
		{ 0, STORE_QUEUE_DELIVERED, "250 ok" },
	};
	struct completions c;
	struct store_queue_new q;
	struct store_queue_update u;
	struct store_delivery d;
	uint64_t id = 0;

	completions_init(&c);
	memset(&q, 0, sizeof(q));
	q.sender = "";
	q.domain = "f.example";
	q.rcpts = rcpt;
	q.n_rcpts = 1;
	memset(&d, 0, sizeof(d));
	d.data = msg;
	d.len = strlen(msg);
	d.queue = &q;
	d.n_queue = 1;
	d.queue_ids_r = &id;
	store_deliver(st, &d, completions_done, &c);
	ck_assert_int_eq(completions_wait(&c, 1, 10), 1);
	ck_assert_int_eq(c.ok, 1);
	ck_assert_uint_gt(id, 0);
	memset(&u, 0, sizeof(u));
	u.id = id;
	u.rcpts = ok;
	u.n_rcpts = 1;
	store_queue_update(st, &u, completions_done, &c);
	u.id = id + 100;
	store_queue_update(st, &u, completions_done, &c);
	store_queue_update(st, NULL, completions_done, &c);
	ck_assert_int_eq(completions_wait(&c, 4, 10), 4);
	ck_assert_int_eq(c.ok, 2);
	ck_assert_int_eq(c.failed, 2);
	assert_count(0, 0);
	completions_destroy(&c);
}
END_TEST

/* ------------------------------------------------------------ admin */

START_TEST(test_retry_delete)
{
	struct store_queue_entry e;
	uint64_t ids[3], got[4], blob;
	int64_t next;
	size_t i;

	for (i = 0; i < 3; i++)
		ids[i] = enqueue("x@f.example", 1000 + (int64_t)i);
	ck_assert_int_eq(store_queue_retry_wait(st, ids[1], 50), 0);
	ck_assert_int_eq(due(50, got, 4, &next), 1);
	ck_assert_uint_eq(got[0], ids[1]);
	ck_assert_int_eq(next, 1000);
	ck_assert_int_eq(store_queue_retry_wait(st, 0, 60), 0);
	ck_assert_int_eq(due(60, got, 4, &next), 3);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(got[i], ids[i]);
	ck_assert_int_eq(store_queue_retry_wait(st, 77, 60), STORE_ENOTFOUND);
	ck_assert_int_eq(check_problems(st), 0);

	ck_assert_int_eq(store_queue_get(st, ids[0], &e), 0);
	blob = e.blob_id;
	store_queue_entry_free(&e);
	ck_assert_int_eq(store_queue_delete_wait(st, ids[0]), 0);
	ck_assert_int_eq(store_queue_delete_wait(st, ids[0]), STORE_ENOTFOUND);
	ck_assert_int_eq(store_queue_delete_wait(st, 0), STORE_ENOTFOUND);
	ck_assert_int_eq(store_queue_get(st, ids[0], &e), STORE_ENOTFOUND);
	assert_count(2, 2);
	ck_assert_int_eq(due(60, got, 4, &next), 2);
	ck_assert_uint_eq(got[0], ids[1]);
	ck_assert_int_eq(check_problems(st), 0);
	store_close(&st);
	ck_assert_int_eq(raw_blob_refs(dir, blob), -1);
	st = open_store(dir);
	/* retry of every entry on an empty queue is fine */
	ck_assert_int_eq(store_queue_delete_wait(st, ids[1]), 0);
	ck_assert_int_eq(store_queue_delete_wait(st, ids[2]), 0);
	ck_assert_int_eq(store_queue_retry_wait(st, 0, 60), 0);
	assert_count(0, 0);
}
END_TEST

/* ------------------------------------------------------------ size */

START_TEST(test_many_rcpts)
{
	static char addr[STORE_QUEUE_RCPTS_MAX][64];
	static const char *rcpts[STORE_QUEUE_RCPTS_MAX];
	static struct store_queue_rcpt_update upd[STORE_QUEUE_RCPTS_MAX];
	char reply[700];
	struct store_queue_entry e;
	uint64_t id;
	size_t i, n = STORE_QUEUE_RCPTS_MAX;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(str_format(addr[i], sizeof(addr[i]),
		    "recipient-number-%04zu@big.example", i), 0);
		rcpts[i] = addr[i];
	}
	ck_assert_int_eq(enqueue_users(NULL, 0, "a@local.example",
	    "big.example", rcpts, n, 5, &id), 0);
	assert_count(1, n);
	memset(reply, 'r', sizeof(reply) - 1);
	reply[sizeof(reply) - 1] = '\0';
	for (i = 0; i + 1 < n; i++) {
		upd[i].index = n - 1 - i;	/* any order */
		upd[i].state = STORE_QUEUE_DELIVERED;
		upd[i].reply = reply;
	}
	ck_assert_int_eq(update(id, upd, n - 1, 10, 20, NULL), 0);
	ck_assert_int_eq(store_queue_get(st, id, &e), 0);
	ck_assert_uint_eq(e.n_rcpts, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(e.rcpts[i].address, addr[i]);
	ck_assert_int_eq(e.rcpts[0].state, STORE_QUEUE_PENDING);
	ck_assert_int_eq(e.rcpts[n - 1].state, STORE_QUEUE_DELIVERED);
	ck_assert_uint_eq(strlen(e.rcpts[n - 1].reply),
	    STORE_QUEUE_REPLY_MAX - 1);
	store_queue_entry_free(&e);
	assert_count(1, 1);
	ck_assert_int_eq(check_problems(st), 0);
	upd[0].index = 0;
	ck_assert_int_eq(update(id, upd, 1, 30, 40, NULL), 0);
	assert_count(0, 0);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

#define BIG_QUEUE	10000
#define BIG_BATCH	1000	/* entries per delivery (STORE_MAX_RCPT_USERS) */
#define DUE_MAX		256

/* 10,000 entries in scrambled time order: due() reads only its prefix. */
START_TEST(test_big_queue)
{
	static struct store_queue_new q[BIG_BATCH];
	static uint64_t ids[BIG_QUEUE], got[DUE_MAX];
	static const char *const rcpt[] = { "x@f.example" };
	struct store_queue_entry e;
	struct store_delivery d;
	uint64_t t0;
	int64_t next, prev;
	size_t i, b;
	int n;

	memset(&d, 0, sizeof(d));
	d.data = msg;
	d.len = strlen(msg);
	d.queue = q;
	d.n_queue = BIG_BATCH;
	for (b = 0; b < BIG_QUEUE / BIG_BATCH; b++) {
		for (i = 0; i < BIG_BATCH; i++) {
			memset(&q[i], 0, sizeof(q[i]));
			q[i].sender = "a@local.example";
			q[i].domain = "f.example";
			q[i].rcpts = rcpt;
			q[i].n_rcpts = 1;
			/* A permutation of 1000 .. 10999 (7919 is prime). */
			q[i].next_attempt = 1000 + (int64_t)(((b * BIG_BATCH +
			    i) * 7919) % BIG_QUEUE);
		}
		d.queue_ids_r = ids + b * BIG_BATCH;
		ck_assert_int_eq(store_deliver_wait(st, &d), 0);
	}
	assert_count(BIG_QUEUE, BIG_QUEUE);

	t0 = time_monotonic_ms();
	n = due(INT64_MAX, got, DUE_MAX, &next);
	ck_assert_uint_lt(time_monotonic_ms() - t0, 1000);
	ck_assert_int_eq(n, DUE_MAX);
	ck_assert_int_eq(next, 1000 + DUE_MAX);	/* more due: the next one */
	prev = 0;
	for (i = 0; i < DUE_MAX; i++) {
		ck_assert_int_eq(store_queue_get(st, got[i], &e), 0);
		ck_assert_int_eq(e.next_attempt, 1000 + (int64_t)i);
		ck_assert_int_gt(e.next_attempt, prev);
		prev = e.next_attempt;
		store_queue_entry_free(&e);
	}
	ck_assert_int_eq(due(1099, got, DUE_MAX, &next), 100);
	ck_assert_int_eq(next, 1100);
	/* Repeated polling stays cheap. */
	t0 = time_monotonic_ms();
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(due(1099, got, DUE_MAX, NULL), 100);
	ck_assert_uint_lt(time_monotonic_ms() - t0, 2000);
	ck_assert_int_eq(store_queue_retry_wait(st, 0, 7), 0);
	ck_assert_int_eq(due(7, got, DUE_MAX, &next), DUE_MAX);
	ck_assert_uint_eq(got[0], ids[0]);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

/* ------------------------------------------------------------ durability */

START_TEST(test_reopen)
{
	static const char *const rcpts[] = { "a@f.example", "b@f.example" };
	static const struct store_queue_rcpt_update one[] = {
		{ 1, STORE_QUEUE_DELIVERED, "250 queued as 1" },
	};
	struct store_queue_entry e;
	uint64_t id, id2, got[2];
	int64_t next;

	ck_assert_int_eq(enqueue_users(NULL, 0, "s@l.example", "f.example",
	    rcpts, 2, 100, &id), 0);
	ck_assert_int_eq(update(id, one, 1, 150, 200, NULL), 0);
	store_close(&st);
	ck_assert_uint_eq(raw_entries(dir, "queue"), 1);
	ck_assert_uint_eq(raw_entries(dir, "queue_due"), 1);
	st = open_store(dir);
	ck_assert_int_eq(store_queue_get(st, id, &e), 0);
	ck_assert_str_eq(e.sender, "s@l.example");
	ck_assert_int_eq(e.rcpts[0].state, STORE_QUEUE_PENDING);
	ck_assert_int_eq(e.rcpts[1].state, STORE_QUEUE_DELIVERED);
	ck_assert_str_eq(e.rcpts[1].reply, "250 queued as 1");
	ck_assert_uint_eq(e.attempts, 1);
	assert_blob(st, e.blob_id, msg);
	store_queue_entry_free(&e);
	assert_count(1, 1);
	ck_assert_int_eq(due(200, got, 2, &next), 1);
	ck_assert_uint_eq(got[0], id);
	/* Ids are never reused, across reopen too. */
	id2 = enqueue("c@f.example", 300);
	ck_assert_uint_gt(id2, id);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

/* ------------------------------------------------------------ resolve */

START_TEST(test_resolve_targets)
{
	static const struct {
		const char	*address;
		int		 rc;
		size_t		 n_local;
		const char	*foreign;	/* comma-joined */
	} cases[] = {
		{ "team@local.example", 0, 1,
		    "x@foreign.example,y@foreign.example" },
		{ "All@Local.Example", 0, 2,
		    "x@foreign.example,y@foreign.example,z@other.example" },
		{ "fwd@local.example", 0, 0, "q@foreign.example" },
		{ "nobody@local.example", 0, 0, "c@far.example" },
		{ "a@local.example", 0, 1, "" },
		{ "x@foreign.example", 1, 0, "" },
		{ "x@empty.example", STORE_ENOTFOUND, 0, "" },
	};
	char foreign[8][STORE_ADDRESS_MAX], joined[512];
	uint64_t ids[4], a, b;
	size_t i, j, n, nf;
	int rc;

	a = add_user(st, "a@local.example");
	b = add_user(st, "b@local.example");
	ck_assert_int_eq(store_domain_add(st, "empty.example"), 0);
	ck_assert_int_eq(store_alias_add(st, "team@local.example",
	    "a@local.example, X@Foreign.example,y@foreign.example,"
	    "x@foreign.example"), 0);
	ck_assert_int_eq(store_alias_add(st, "all@local.example",
	    "team@local.example,b@local.example,z@other.example"), 0);
	ck_assert_int_eq(store_alias_add(st, "fwd@local.example",
	    "q@foreign.example"), 0);
	ck_assert_int_eq(store_alias_add(st, "@local.example",
	    "c@far.example"), 0);
	/* Foreign targets must be addresses. */
	ck_assert_int_eq(store_alias_add(st, "bad@local.example",
	    "a@local.example,x@"), STORE_EINVAL);
	ck_assert_int_eq(store_alias_add(st, "bad@local.example",
	    "x@foreign..example"), STORE_EINVAL);
	ck_assert_int_eq(store_alias_add(st, "bad@local.example",
	    "x y@foreign.example"), STORE_EINVAL);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = store_resolve_rcpt_targets(st, cases[i].address, ids, 4,
		    &n, foreign, 8, &nf);
		ck_assert_msg(rc == cases[i].rc, "%s: %d", cases[i].address,
		    rc);
		ck_assert_uint_eq(n, cases[i].n_local);
		joined[0] = '\0';
		for (j = 0; j < nf; j++) {
			if (j > 0)
				str_append(joined, ",", sizeof(joined));
			str_append(joined, foreign[j], sizeof(joined));
		}
		ck_assert_str_eq(joined, cases[i].foreign);
	}
	ck_assert_int_eq(store_resolve_rcpt_targets(st, "all@local.example",
	    ids, 4, &n, foreign, 8, &nf), 0);
	ck_assert(ids[0] == a || ids[1] == a);
	ck_assert(ids[0] == b || ids[1] == b);
	/* Capacity: the first max_foreign, none when not asked for. */
	ck_assert_int_eq(store_resolve_rcpt_targets(st, "all@local.example",
	    ids, 4, &n, foreign, 1, &nf), 0);
	ck_assert_uint_eq(nf, 1);
	ck_assert_int_eq(store_resolve_rcpt_targets(st, "fwd@local.example",
	    ids, 4, &n, NULL, 0, &nf), STORE_ENOTFOUND);
	ck_assert_int_eq(store_resolve_rcpt_targets(st, "fwd@local.example",
	    ids, 4, &n, NULL, 3, &nf), STORE_EINVAL);

	/* store_resolve_rcpt keeps to local users. */
	ck_assert_int_eq(store_resolve_rcpt(st, "team@local.example", ids, 4,
	    &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ids[0], a);
	ck_assert_int_eq(store_resolve_rcpt(st, "fwd@local.example", ids, 4,
	    &n), STORE_ENOTFOUND);
	ck_assert_int_eq(store_resolve_rcpt(st, "nobody@local.example", ids,
	    4, &n), STORE_ENOTFOUND);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* ------------------------------------------------------------ schema */

/* Make a v4 store a v3 one: what a posthorn of issues 3-4 left. */
static void
downgrade_to_v3(void)
{
	static const char *const v4_dbs[] = { "queue", "queue_due" };
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { 14, "schema_version" }, v;
	uint8_t three[8] = { 3 };
	size_t i;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 32), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(mdb_dbi_open(txn, v4_dbs[i], 0, &dbi), 0);
		ck_assert_int_eq(mdb_drop(txn, dbi, 1), 0);
	}
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	v.mv_size = sizeof(three);
	v.mv_data = three;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	/* Really gone. */
	ck_assert_int_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "queue", 0, &dbi), MDB_NOTFOUND);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

START_TEST(test_migrate_v3)
{
	struct store_message *msgs;
	uint64_t user, id;

	ck_assert_int_eq(store_schema_version(st), 4);
	user = add_user(st, "a@local.example");
	ck_assert_int_eq(deliver_text(st, &user, 1, msg), 0);
	store_close(&st);
	downgrade_to_v3();

	st = open_store(dir);
	ck_assert_int_eq(store_schema_version(st), 4);
	ck_assert_int_eq(store_message_list(st, inbox_id(st, user), &msgs), 1);
	assert_blob(st, msgs[0].blob_id, msg);
	free(msgs);
	assert_count(0, 0);
	ck_assert_int_eq(check_problems(st), 0);
	id = enqueue("x@f.example", 0);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_eq(check_problems(st), 0);
	store_close(&st);
	ck_assert_uint_eq(raw_entries(dir, "queue"), 1);
	ck_assert_uint_eq(raw_entries(dir, "queue_due"), 1);
	st = open_store(dir);
	ck_assert_int_eq(store_schema_version(st), 4);
}
END_TEST

/* ------------------------------------------------------------ check */

struct problems {
	int	 n;
	char	 text[4096];
};

static void
collect_problem(void *arg, const char *m)
{
	struct problems *p = arg;

	p->n++;
	str_append(p->text, m, sizeof(p->text));
	str_append(p->text, "\n", sizeof(p->text));
}

/* store_check: queue blob refs count; a lost schedule key is reported. */
START_TEST(test_check_queue_damage)
{
	struct problems p;
	uint8_t key[16];
	uint64_t id;
	int i;

	id = enqueue("x@f.example", 77);
	(void)enqueue("y@f.example", 78);
	ck_assert_int_eq(check_problems(st), 0);
	store_close(&st);
	/* Entry 1's schedule key at time 77 (sign bit flipped), then a stray. */
	key[0] = 0x80;
	for (i = 1; i < 8; i++)
		key[i] = 0;
	key[7] = 77;
	for (i = 0; i < 8; i++)
		key[8 + i] = (uint8_t)(id >> (56 - 8 * i));
	raw_write(dir, "queue_due", key, 16, NULL, 0);
	key[15] = 42;
	raw_write(dir, "queue_due", key, 16, "", 0);
	st = open_store(dir);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(store_check(st, collect_problem, &p), p.n);
	ck_assert_msg(strstr(p.text, "missing from the schedule") != NULL,
	    "%s", p.text);
	ck_assert_msg(strstr(p.text, "names missing entry 42") != NULL,
	    "%s", p.text);
	ck_assert_int_eq(p.n, 2);	/* the counter (2) is right */
	/* Removing the entry still works and checks clean apart from 42. */
	ck_assert_int_eq(store_queue_delete_wait(st, id), 0);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(store_check(st, collect_problem, &p), 1);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *
store_queue_suite(void)
{
	Suite *s = suite_create("store_queue");
	TCase *tc;

	tc = tcase_create("enqueue");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_enqueue_foreign_only);
	tcase_add_test(tc, test_enqueue_with_local);
	tcase_add_test(tc, test_enqueue_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("reads");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_due_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("attempts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_update_partial_then_final);
	tcase_add_test(tc, test_update_no_attempt);
	tcase_add_test(tc, test_update_with_bounce);
	tcase_add_test(tc, test_update_bounce_fails);
	tcase_add_test(tc, test_update_deleted);
	tcase_add_test(tc, test_update_invalid);
	tcase_add_test(tc, test_async);
	suite_add_tcase(s, tc);

	tc = tcase_create("administration");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_retry_delete);
	suite_add_tcase(s, tc);

	tc = tcase_create("size and durability");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);	/* valgrind */
	tcase_add_test(tc, test_many_rcpts);
	tcase_add_test(tc, test_big_queue);
	tcase_add_test(tc, test_reopen);
	suite_add_tcase(s, tc);

	tc = tcase_create("resolution with foreign targets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_resolve_targets);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema and check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_migrate_v3);
	tcase_add_test(tc, test_check_queue_damage);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	log_init("check_store_queue", LOG_LEVEL_WARN, 0);
	sr = srunner_create(store_queue_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
