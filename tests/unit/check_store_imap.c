/*
 * check_store_imap.c: the unit test suite of the store's IMAP support:
 * one Suite whose TCases live in check_store_imap_msg.c (keywords, STORE
 * with UNCHANGEDSINCE, APPEND, \Recent, CONDSTORE reads, blob cache) and
 * check_store_imap_mbox.c (COPY/MOVE, CREATE/DELETE/RENAME, subscriptions,
 * watchers, a failing request in a batch), plus the helpers they share.
 * Every test works on a fresh store in its own directory and ends with a
 * store_check() that finds nothing.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_store_imap.h"
#include "log.h"
#include "util.h"

char		*t_dir;
struct store	*t_st;

void
imap_setup(void)
{
	t_dir = tmp_dir_create();
	t_st = open_store(t_dir);
}

void
imap_teardown(void)
{
	store_close(&t_st);
	tmp_dir_remove(t_dir);
}

void
imap_reopen(void)
{
	store_close(&t_st);
	t_st = open_store(t_dir);
}

struct store_mailbox
mbox(uint64_t user_id, const char *name)
{
	struct store_mailbox mb;
	int rc;

	rc = store_mailbox_get(t_st, user_id, name, &mb);
	ck_assert_msg(rc == 0, "mailbox %s: %s", name, store_strerror(rc));
	return mb;
}

struct store_message
msg(uint64_t mailbox_id, uint32_t uid)
{
	struct store_message m;

	ck_assert_int_eq(store_message_get(t_st, mailbox_id, uid, &m), 0);
	return m;
}

int
wait_done(struct completions *c)
{
	int status;

	ck_assert_int_eq(completions_wait(c, 1, WAIT_SECONDS), 1);
	status = c->failed ? c->last_error : 0;
	completions_destroy(c);
	return status;
}

uint64_t
mbox_create(uint64_t user_id, const char *name, int subscribe)
{
	struct completions c;

	completions_init(&c);
	store_mailbox_create_async(t_st, user_id, name, SPECIAL_USE_NONE,
	    subscribe, completions_done, &c);
	ck_assert_int_eq(wait_done(&c), 0);
	return mbox(user_id, name).id;
}

uint32_t
append_msg(uint64_t mailbox_id, const char *text, uint32_t flags,
    const char *const *kw, size_t n_kw)
{
	struct store_append a;
	uint32_t uid = 0, uv = 0;

	memset(&a, 0, sizeof(a));
	a.mailbox_id = mailbox_id;
	a.data = text;
	a.len = strlen(text);
	a.flags = flags;
	a.keywords = kw;
	a.n_keywords = n_kw;
	a.uid_r = &uid;
	a.uidvalidity_r = &uv;
	ck_assert_int_eq(store_append_wait(t_st, &a), 0);
	ck_assert_uint_gt(uid, 0);
	ck_assert_uint_gt(uv, 0);
	return uid;
}

int
kw_change(uint64_t mailbox_id, const uint32_t *uids, size_t n,
    const char *const *kw, size_t n_kw, int add)
{
	struct store_flag_change fc;

	memset(&fc, 0, sizeof(fc));
	fc.mailbox_id = mailbox_id;
	fc.uids = uids;
	fc.n = n;
	if (add) {
		fc.set_keywords = kw;
		fc.n_set_keywords = n_kw;
	} else {
		fc.clear_keywords = kw;
		fc.n_clear_keywords = n_kw;
	}
	return store_flags_change_wait(t_st, &fc);
}

int
kw_bit(uint64_t mailbox_id, const char *name)
{
	char names[STORE_KEYWORDS_MAX][STORE_KEYWORD_LEN];
	int n, i;

	n = store_keyword_list(t_st, mailbox_id, names);
	ck_assert_int_ge(n, 0);
	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int
copy_uids(uint64_t src, uint64_t dst, const uint32_t *uids, size_t n,
    int move, uint32_t *new_uids, uint32_t *uidvalidity)
{
	struct store_copy cp;

	memset(&cp, 0, sizeof(cp));
	cp.src_mailbox_id = src;
	cp.dst_mailbox_id = dst;
	cp.uids = uids;
	cp.n = n;
	cp.move = move;
	cp.new_uids_r = new_uids;
	cp.dst_uidvalidity_r = uidvalidity;
	return store_copy_wait(t_st, &cp);
}

uint32_t *
claim_recent(uint64_t mailbox_id, size_t *n_r, int *status_r)
{
	struct completions c;
	uint32_t *uids = (uint32_t *)1;

	completions_init(&c);
	*n_r = 12345;
	store_recent_claim(t_st, mailbox_id, &uids, n_r, completions_done, &c);
	*status_r = wait_done(&c);
	return uids;
}

int
cache_set(uint64_t blob_id, const char *data, size_t len)
{
	struct completions c;

	completions_init(&c);
	store_blob_cache_set(t_st, blob_id, data, len, completions_done, &c);
	return wait_done(&c);
}

void
watch_set_init(struct watch_set *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
}

void
watch_set_destroy(struct watch_set *w)
{
	pthread_mutex_destroy(&w->lock);
}

void
watch_set_fn(void *arg, uint64_t user_id, uint64_t mailbox_id)
{
	struct watch_set *w = arg;

	pthread_mutex_lock(&w->lock);
	if (w->n < sizeof(w->ids) / sizeof(w->ids[0]))
		w->ids[w->n++] = mailbox_id;
	pthread_mutex_unlock(&w->lock);
}

int
watch_set_has(struct watch_set *w, uint64_t mailbox_id)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->n; i++)
		found |= w->ids[i] == mailbox_id;
	pthread_mutex_unlock(&w->lock);
	return found;
}

size_t
watch_set_count(struct watch_set *w)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->n;
	pthread_mutex_unlock(&w->lock);
	return n;
}

void
watch_set_clear(struct watch_set *w)
{
	pthread_mutex_lock(&w->lock);
	w->n = 0;
	pthread_mutex_unlock(&w->lock);
}

void
watch_barrier(void)
{
	int rc = store_domain_add(t_st, "barrier.example");

	ck_assert(rc == 0 || rc == STORE_EEXIST);
}

void
gate_init(struct gate *g)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
}

void
gate_done(void *arg, int status)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->lock);
	g->entered = 1;
	pthread_cond_broadcast(&g->cond);
	while (!g->released)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

void
gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->entered)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

void
gate_release(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->released = 1;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

void
gate_destroy(struct gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

static Suite *
store_imap_suite(void)
{
	Suite *s = suite_create("store_imap");

	store_imap_msg_tcases(s);
	store_imap_mbox_tcases(s);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	log_init("check_store_imap", LOG_LEVEL_WARN, 0);
	sr = srunner_create(store_imap_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
