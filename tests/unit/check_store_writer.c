/*
 * check_store_writer.c: the writer thread: group commit under concurrent
 * writers, a failing request inside a batch, map full, draining at close,
 * synchronous calls from the writer, and watchers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_store_util.h"
#include "util.h"

void	store_writer_tcases(Suite *s);

#define GC_THREADS	8
#define GC_PER_THREAD	200
#define GC_USERS	4
#define WAIT_SECONDS	300

static char		*dir;
static struct store	*st;

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
deliver_async(const uint64_t *ids, size_t n, const char *text,
    store_done_fn done, void *arg)
{
	struct store_delivery d;

	memset(&d, 0, sizeof(d));
	d.user_ids = ids;
	d.n_users = n;
	d.data = text;		/* copied before store_deliver returns */
	d.len = strlen(text);
	store_deliver(st, &d, done, arg);
}

/* ------------------------------------------------------- group commit */

struct gc_thread {
	pthread_t		 thread;
	int			 index;
	const uint64_t		*users;
	struct completions	*comp;
};

static void *
gc_main(void *arg)
{
	struct gc_thread *gt = arg;
	char text[128];
	int i;

	for (i = 0; i < GC_PER_THREAD; i++) {
		ck_assert_int_eq(str_format(text, sizeof(text), "Subject: "
		    "t=%d i=%d\r\n\r\ngroup commit test\r\n", gt->index, i), 0);
		deliver_async(&gt->users[(gt->index + i) % GC_USERS], 1, text,
		    completions_done, gt->comp);
	}
	return NULL;
}

START_TEST(test_group_commit)
{
	static unsigned char seen[GC_THREADS][GC_PER_THREAD];
	struct gc_thread threads[GC_THREADS];
	struct completions comp;
	struct store_message *msgs;
	uint64_t users[GC_USERS], commits;
	char name[64], *data;
	size_t len;
	int t, i, n, j, total = GC_THREADS * GC_PER_THREAD;

	for (i = 0; i < GC_USERS; i++) {
		ck_assert_int_eq(str_format(name, sizeof(name),
		    "u%d@example.org", i), 0);
		users[i] = add_user(st, name);
	}
	completions_init(&comp);
	commits = store_commit_count(st);
	for (t = 0; t < GC_THREADS; t++) {
		threads[t].index = t;
		threads[t].users = users;
		threads[t].comp = &comp;
		ck_assert_int_eq(pthread_create(&threads[t].thread, NULL,
		    gc_main, &threads[t]), 0);
	}
	for (t = 0; t < GC_THREADS; t++)
		pthread_join(threads[t].thread, NULL);
	ck_assert_int_eq(completions_wait(&comp, total, WAIT_SECONDS), total);
	ck_assert_int_eq(comp.ok, total);
	commits = store_commit_count(st) - commits;
	fprintf(stderr, "group commit: %d writes in %llu commits\n", total,
	    (unsigned long long)commits);
	ck_assert_uint_ge(commits, 1);
	ck_assert_uint_le(commits, (uint64_t)total / 4);
	completions_destroy(&comp);

	/* Everything acknowledged is there after reopen, exactly once. */
	store_close(&st);
	st = open_store(dir);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < GC_USERS; i++) {
		n = store_message_list(st, inbox_id(st, users[i]), &msgs);
		ck_assert_int_eq(n, total / GC_USERS);
		for (; n > 0; n--) {
			ck_assert_int_eq(store_blob_read(st,
			    msgs[n - 1].blob_id, &data, &len), 0);
			ck_assert_int_eq(sscanf(data, "Subject: t=%d i=%d",
			    &t, &j), 2);
			ck_assert(t >= 0 && t < GC_THREADS && j >= 0 &&
			    j < GC_PER_THREAD);
			ck_assert_int_eq(seen[t][j], 0);
			seen[t][j] = 1;
			free(data);
		}
		free(msgs);
	}
	for (t = 0; t < GC_THREADS; t++)
		for (i = 0; i < GC_PER_THREAD; i++)
			ck_assert(seen[t][i]);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

/* ------------------------------------------- one failure in a batch */

/* A done callback that holds the writer until released. */
struct gate {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 entered;
	int		 released;
	int		 status;
};

static void
gate_done(void *arg, int status)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->lock);
	g->status = status;
	g->entered = 1;
	pthread_cond_broadcast(&g->cond);
	while (!g->released)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void
gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->entered)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void
gate_release(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->released = 1;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

START_TEST(test_batch_failure)
{
	struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    0, 0, -1 };
	struct store_mailbox mb;
	struct completions c[5];
	uint64_t u1, u2, mixed[2], bad = 9999, commits;
	uint32_t uid = 1;
	int i;

	u1 = add_user(st, "u1@example.org");
	u2 = add_user(st, "u2@example.org");
	mixed[0] = u2;
	mixed[1] = bad;
	for (i = 0; i < 5; i++)
		completions_init(&c[i]);

	/* Hold the writer so that the next five requests form one batch. */
	deliver_async(&u1, 1, "gate\r\n", gate_done, &gate);
	gate_wait_entered(&gate);
	ck_assert_int_eq(gate.status, 0);
	commits = store_commit_count(st);
	deliver_async(&u1, 1, "good one\r\n", completions_done, &c[0]);
	deliver_async(&bad, 1, "no such user\r\n", completions_done, &c[1]);
	store_flags_update(st, 9999, &uid, 1, STORE_FLAG_SEEN, 0,
	    completions_done, &c[2]);
	deliver_async(mixed, 2, "half bad\r\n", completions_done, &c[3]);
	deliver_async(&u2, 1, "good two\r\n", completions_done, &c[4]);
	gate_release(&gate);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(completions_wait(&c[i], 1, WAIT_SECONDS), 1);

	ck_assert_uint_eq(store_commit_count(st), commits + 1);
	ck_assert_int_eq(c[0].ok, 1);
	ck_assert_int_eq(c[1].last_error, STORE_ENOTFOUND);
	ck_assert_int_eq(c[2].last_error, STORE_ENOTFOUND);
	ck_assert_int_eq(c[3].last_error, STORE_ENOTFOUND);
	ck_assert_int_eq(c[4].ok, 1);
	for (i = 0; i < 5; i++)
		completions_destroy(&c[i]);

	/* Nothing of the failed deliveries is stored, not even their blob. */
	ck_assert_int_eq(store_mailbox_get(st, u1, "INBOX", &mb), 0);
	ck_assert_uint_eq(mb.messages, 2);
	ck_assert_int_eq(store_mailbox_get(st, u2, "INBOX", &mb), 0);
	ck_assert_uint_eq(mb.messages, 1);
	ck_assert_uint_eq(mb.uidnext, 2);
	ck_assert_int_eq(check_problems(st), 0);
	store_close(&st);
	ck_assert_uint_eq(raw_entries(dir, "blobs"), 3);
	st = open_store(dir);
}
END_TEST

/* ------------------------------------------------------------ map full */

#define FULL_MSG_SIZE	16384

/* Message i: a numbered header, then filler (FULL_MSG_SIZE bytes). */
static void
full_text(char *buf, int i)
{
	char head[32];
	size_t hlen;

	ck_assert_int_eq(str_format(head, sizeof(head), "Subject: %06d\r\n",
	    i), 0);
	hlen = strlen(head);
	memcpy(buf, head, hlen);
	memset(buf + hlen, 'a' + i % 26, FULL_MSG_SIZE - hlen);
	buf[FULL_MSG_SIZE] = '\0';
}

START_TEST(test_map_full)
{
	static char text[FULL_MSG_SIZE + 1];
	struct store_message *msgs;
	uint32_t uid;
	uint64_t u;
	int i, rc = 0, delivered = 0, n;
	char *data;
	size_t len;

	store_close(&st);
	st = open_store_size(dir, 1 << 20);
	u = add_user(st, "a@example.org");
	for (i = 0; i < 1000; i++) {
		full_text(text, i);
		if ((rc = deliver_text(st, &u, 1, text)) != 0)
			break;
		delivered++;
	}
	ck_assert_int_eq(rc, STORE_EFULL);
	ck_assert_int_gt(delivered, 8);
	/* Reads go on. */
	ck_assert_int_eq(store_message_list(st, inbox_id(st, u), &msgs),
	    delivered);
	free(msgs);

	/*
	 * Space freed by expunges is reused. (LMDB reuses the pages a
	 * transaction frees from the second transaction after it on, so
	 * expunge in several transactions.)
	 */
	for (uid = 1; uid <= 8; uid++)
		ck_assert_int_eq(store_expunge_wait(st, inbox_id(st, u), &uid,
		    1), 0);
	full_text(text, delivered);
	ck_assert_int_eq(deliver_text(st, &u, 1, text), 0);
	delivered++;

	/* Everything acknowledged survives a reopen with the same map. */
	store_close(&st);
	st = open_store_size(dir, 1 << 20);
	n = store_message_list(st, inbox_id(st, u), &msgs);
	ck_assert_int_eq(n, delivered - 8);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(msgs[i].uid, (uint32_t)i + 9);
		ck_assert_int_eq(store_blob_read(st, msgs[i].blob_id, &data,
		    &len), 0);
		ck_assert_uint_eq(len, FULL_MSG_SIZE);
		full_text(text, i + 8);
		ck_assert(memcmp(data, text, len) == 0);
		free(data);
	}
	free(msgs);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

/* -------------------------------------------------------- close drains */

START_TEST(test_close_drains)
{
	struct completions comp;
	struct store_message *msgs;
	uint64_t u;
	int i;

	u = add_user(st, "a@example.org");
	completions_init(&comp);
	for (i = 0; i < 100; i++)
		deliver_async(&u, 1, "queued\r\n", completions_done, &comp);
	store_close(&st);
	/* Every callback ran before store_close returned. */
	ck_assert_int_eq(comp.done, 100);
	ck_assert_int_eq(comp.ok, 100);
	completions_destroy(&comp);
	st = open_store(dir);
	ck_assert_int_eq(store_message_list(st, inbox_id(st, u), &msgs), 100);
	free(msgs);
}
END_TEST

/* A synchronous call from the writer thread fails instead of deadlocking. */
struct on_writer {
	struct completions	 comp;
	int			 rc;
};

static void
sync_from_writer(void *arg, int status)
{
	struct on_writer *w = arg;

	w->rc = store_domain_add(st, "from-callback.org");
	completions_done(&w->comp, status);
}

START_TEST(test_sync_from_writer)
{
	struct on_writer w;
	uint64_t u;

	u = add_user(st, "a@example.org");
	completions_init(&w.comp);
	w.rc = 1;
	deliver_async(&u, 1, "x\r\n", sync_from_writer, &w);
	ck_assert_int_eq(completions_wait(&w.comp, 1, WAIT_SECONDS), 1);
	ck_assert_int_eq(w.comp.ok, 1);
	ck_assert_int_eq(w.rc, STORE_EINVAL);
	ck_assert_int_eq(store_domain_exists(st, "from-callback.org"), 0);
	completions_destroy(&w.comp);
}
END_TEST

/* ----------------------------------------------------------- watchers */

struct watch_log {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 calls;
	uint64_t	 user_id;
	uint64_t	 mailbox_id;
	int		 started;
	int		 finished;
	int		 sleep_ms;
	uint64_t	 handle;	/* remove itself when set */
};

static void
watch_log_init(struct watch_log *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
}

static void
watch_log_destroy(struct watch_log *l)
{
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
}

static void
watch_fn(void *arg, uint64_t user_id, uint64_t mailbox_id)
{
	struct watch_log *l = arg;

	pthread_mutex_lock(&l->lock);
	l->started = 1;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	if (l->sleep_ms > 0)
		usleep(l->sleep_ms * 1000);
	if (l->handle != 0)
		store_watch_remove(st, l->handle);
	pthread_mutex_lock(&l->lock);
	l->calls++;
	l->user_id = user_id;
	l->mailbox_id = mailbox_id;
	l->finished = 1;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

/* Calls so far, and the last (user, mailbox) into the pointers. */
static int
watch_calls(struct watch_log *l, uint64_t *user_r, uint64_t *mailbox_r)
{
	int calls;

	pthread_mutex_lock(&l->lock);
	calls = l->calls;
	if (user_r != NULL)
		*user_r = l->user_id;
	if (mailbox_r != NULL)
		*mailbox_r = l->mailbox_id;
	pthread_mutex_unlock(&l->lock);
	return calls;
}

/*
 * The watchers of a batch run before the writer takes the next batch, so
 * once a later synchronous write returns they have all run.
 */
static void
barrier(void)
{
	int rc = store_domain_add(st, "example.org");

	ck_assert(rc == STORE_EEXIST || rc == 0);
}

START_TEST(test_watchers)
{
	struct watch_log la, lb, lself;
	uint64_t a, b, ids[2], ha, hb, user, mailbox;
	struct store_mailbox mb;
	uint32_t uid = 1;

	a = add_user(st, "a@example.org");
	b = add_user(st, "b@example.org");
	watch_log_init(&la);
	watch_log_init(&lb);
	watch_log_init(&lself);
	ha = store_watch_add(st, a, watch_fn, &la);
	ck_assert_uint_gt(ha, 0);
	ck_assert_uint_eq(store_watch_add(st, a, NULL, NULL), 0);

	/* One delivery to a and b: a's watcher, once, for a's INBOX. */
	ids[0] = a;
	ids[1] = b;
	ck_assert_int_eq(deliver_text(st, ids, 2, "hi\r\n"), 0);
	barrier();
	ck_assert_int_eq(watch_calls(&la, &user, &mailbox), 1);
	ck_assert_uint_eq(user, a);
	ck_assert_uint_eq(mailbox, inbox_id(st, a));

	hb = store_watch_add(st, b, watch_fn, &lb);
	ck_assert_int_eq(store_flags_update_wait(st, inbox_id(st, b), &uid, 1,
	    STORE_FLAG_SEEN, 0), 0);
	barrier();
	ck_assert_int_eq(watch_calls(&la, NULL, NULL), 1);
	ck_assert_int_eq(watch_calls(&lb, &user, &mailbox), 1);
	ck_assert_uint_eq(user, b);
	ck_assert_uint_eq(mailbox, inbox_id(st, b));

	ck_assert_int_eq(store_mailbox_create(st, a, "New", 0), 0);
	barrier();
	ck_assert_int_eq(store_mailbox_get(st, a, "New", &mb), 0);
	ck_assert_int_eq(watch_calls(&la, NULL, &mailbox), 2);
	ck_assert_uint_eq(mailbox, mb.id);

	/* Removed: never called again. */
	store_watch_remove(st, ha);
	store_watch_remove(st, 0);
	ck_assert_int_eq(store_expunge_wait(st, inbox_id(st, a), &uid, 1), 0);
	barrier();
	ck_assert_int_eq(watch_calls(&la, NULL, NULL), 2);

	/* A watcher may remove itself from inside its call. */
	lself.handle = store_watch_add(st, b, watch_fn, &lself);
	ck_assert_int_eq(deliver_text(st, &b, 1, "one\r\n"), 0);
	ck_assert_int_eq(deliver_text(st, &b, 1, "two\r\n"), 0);
	barrier();
	ck_assert_int_eq(watch_calls(&lself, NULL, NULL), 1);
	ck_assert_int_eq(watch_calls(&lb, NULL, NULL), 3);
	store_watch_remove(st, hb);
	watch_log_destroy(&la);
	watch_log_destroy(&lb);
	watch_log_destroy(&lself);
}
END_TEST

START_TEST(test_watch_remove_waits)
{
	struct watch_log l;
	struct completions comp;
	uint64_t a, h;

	a = add_user(st, "a@example.org");
	watch_log_init(&l);
	l.sleep_ms = 200;
	h = store_watch_add(st, a, watch_fn, &l);
	completions_init(&comp);
	deliver_async(&a, 1, "slow\r\n", completions_done, &comp);
	pthread_mutex_lock(&l.lock);
	while (!l.started)
		pthread_cond_wait(&l.cond, &l.lock);
	pthread_mutex_unlock(&l.lock);
	/* The watcher sleeps inside its call: remove must wait for it. */
	store_watch_remove(st, h);
	pthread_mutex_lock(&l.lock);
	ck_assert_int_eq(l.finished, 1);
	pthread_mutex_unlock(&l.lock);
	ck_assert_int_eq(deliver_text(st, &a, 1, "after\r\n"), 0);
	barrier();
	ck_assert_int_eq(watch_calls(&l, NULL, NULL), 1);
	ck_assert_int_eq(completions_wait(&comp, 1, WAIT_SECONDS), 1);
	completions_destroy(&comp);
	watch_log_destroy(&l);
}
END_TEST

/* ------------------------------------------------- two processes */

#define PROC_MESSAGES	50

/*
 * The CLI writes while the daemon runs: a second process with its own
 * store handle. Ids and UIDs come from the store inside each write
 * transaction, so neither process hands out one the other did.
 */
static int
child_writer(const char *path, uint64_t user, int ready_fd)
{
	struct store *cs;
	char err[256];
	int i;

	if (store_open(&cs, path, 64 << 20, err, sizeof(err)) != 0)
		return 2;
	if (store_user_add(cs, "child@example.org", TEST_PASSWORD) != 0)
		return 3;
	/* Now both processes deliver at the same time. */
	if (write(ready_fd, "r", 1) != 1)
		return 5;
	for (i = 0; i < PROC_MESSAGES; i++)
		if (deliver_text(cs, &user, 1, "from the child\r\n") != 0)
			return 4;
	store_close(&cs);
	return 0;
}

START_TEST(test_two_processes)
{
	struct store_message *msgs;
	struct store_user child;
	uint64_t a;
	pid_t pid;
	int i, status, n, fds[2];
	char c;

	a = add_user(st, "a@example.org");
	/* Fork with no store open: the child inherits no LMDB handle. */
	store_close(&st);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		_exit(child_writer(dir, a, fds[1]));
	}
	close(fds[1]);
	st = open_store(dir);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	for (i = 0; i < PROC_MESSAGES; i++)
		ck_assert_int_eq(deliver_text(st, &a, 1, "from the parent\r\n"),
		    0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	/* Our handle sees the other process's commits. */
	ck_assert_int_eq(store_user_lookup(st, "child@example.org", &child), 0);
	ck_assert_uint_gt(child.id, a);
	n = store_message_list(st, inbox_id(st, a), &msgs);
	ck_assert_int_eq(n, 2 * PROC_MESSAGES);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(msgs[i].uid, (uint32_t)i + 1);
	free(msgs);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

void
store_writer_tcases(Suite *s)
{
	TCase *tc;

	tc = tcase_create("group commit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_batch_failure);
	tcase_add_test(tc, test_close_drains);
	tcase_add_test(tc, test_sync_from_writer);
	tcase_add_test(tc, test_two_processes);
	suite_add_tcase(s, tc);

	tc = tcase_create("map full");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_map_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("watchers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_watchers);
	tcase_add_test(tc, test_watch_remove_waits);
	suite_add_tcase(s, tc);
}
