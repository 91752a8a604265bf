/*
 * check_store_util.c: helpers for the store's unit tests (see the header).
 */
#include <dirent.h>
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_store_util.h"
#include "util.h"

char *
tmp_dir_create(void)
{
	const char *base = getenv("TMPDIR");
	char path[512];

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	ck_assert_int_eq(str_format(path, sizeof(path),
	    "%s/posthorn-store-XXXXXX", base), 0);
	ck_assert_ptr_nonnull(mkdtemp(path));
	return xstrdup(path);
}

void
tmp_dir_remove(char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	/* Remove whatever the test left (data.mdb, lock.mdb, copies). */
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_int_eq(str_format(path, sizeof(path), "%s/%s", dir,
		    de->d_name), 0);
		ck_assert_msg(unlink(path) == 0, "unlink %s: %s", path, strerror(errno));
	}
	closedir(d);
	ck_assert_msg(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
	free(dir);
}

struct store *
open_store_size(const char *dir, uint64_t map_size)
{
	struct store *s;
	char err[256];
	int rc;

	rc = store_open(&s, dir, map_size, err, sizeof(err));
	ck_assert_msg(rc == 0, "store_open: %s (%s)", store_strerror(rc), err);
	return s;
}

struct store *
open_store(const char *dir)
{
	return open_store_size(dir, 64 << 20);
}

uint64_t
add_user(struct store *s, const char *address)
{
	struct store_user u;
	int rc;

	rc = store_domain_add(s, strrchr(address, '@') + 1);
	ck_assert(rc == 0 || rc == STORE_EEXIST);
	ck_assert_int_eq(store_user_add(s, address, TEST_PASSWORD), 0);
	ck_assert_int_eq(store_user_lookup(s, address, &u), 0);
	return u.id;
}

uint64_t
inbox_id(struct store *s, uint64_t user_id)
{
	struct store_mailbox mb;

	ck_assert_int_eq(store_mailbox_get(s, user_id, "INBOX", &mb), 0);
	return mb.id;
}

int
deliver_text(struct store *s, const uint64_t *ids, size_t n, const char *text)
{
	struct store_delivery d;

	memset(&d, 0, sizeof(d));
	d.user_ids = ids;
	d.n_users = n;
	d.data = text;
	d.len = strlen(text);
	return store_deliver_wait(s, &d);
}

void
assert_blob(struct store *s, uint64_t blob_id, const char *text)
{
	char *data;
	size_t len;

	ck_assert_int_eq(store_blob_read(s, blob_id, &data, &len), 0);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert(memcmp(data, text, len) == 0);
	free(data);
}

static void
print_problem(void *arg, const char *msg)
{
	fprintf(stderr, "store_check: %s\n", msg);
}

int
check_problems(struct store *s)
{
	int rc = store_check(s, print_problem, NULL);

	ck_assert_int_ge(rc, 0);
	return rc;
}

static void
raw_open(const char *dir, MDB_env **env, MDB_txn **txn)
{
	ck_assert_int_eq(mdb_env_create(env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(*env, 32), 0);
	ck_assert_int_eq(mdb_env_open(*env, dir, MDB_RDONLY, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(*env, NULL, MDB_RDONLY, txn), 0);
}

int
raw_blob_refs(const char *dir, uint64_t blob_id)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	uint8_t key[8];
	int i, refs = -1;

	raw_open(dir, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, "blob_refs", 0, &dbi), 0);
	for (i = 0; i < 8; i++)
		key[i] = (uint8_t)(blob_id >> (56 - 8 * i));
	k.mv_size = sizeof(key);
	k.mv_data = key;
	if (mdb_get(txn, dbi, &k, &v) == 0) {
		const uint8_t *p = v.mv_data;

		ck_assert_uint_eq(v.mv_size, 4);
		refs = (int)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
	}
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return refs;
}

size_t
raw_entries(const char *dir, const char *db)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_stat st;

	raw_open(dir, &env, &txn);
	ck_assert_int_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
	ck_assert_int_eq(mdb_stat(txn, dbi, &st), 0);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return st.ms_entries;
}

void
raw_write(const char *dir, const char *db, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 32), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
	if (val != NULL)
		ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	else
		ck_assert_int_eq(mdb_del(txn, dbi, &k, NULL), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

void
completions_init(struct completions *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
}

void
completions_destroy(struct completions *c)
{
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
}

void
completions_done(void *arg, int status)
{
	struct completions *c = arg;

	pthread_mutex_lock(&c->lock);
	c->done++;
	if (status == 0)
		c->ok++;
	else {
		c->failed++;
		c->last_error = status;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

int
completions_wait(struct completions *c, int n, int seconds)
{
	struct timespec deadline;
	int done;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	pthread_mutex_lock(&c->lock);
	while (c->done < n &&
	    pthread_cond_timedwait(&c->cond, &c->lock, &deadline) != ETIMEDOUT)
		;
	done = c->done;
	pthread_mutex_unlock(&c->lock);
	return done;
}
