/*
 * store_env.c: opening and closing the LMDB environment, and the short
 * read transactions every read function uses.
 *
 * Open creates data_dir (0700) when missing, sets up or migrates the
 * schema in one write transaction (store_schema.c) and starts the writer
 * thread (store_writer.c). It does not know any record layout.
 *
 * Environment flags: MDB_NOTLS so a read transaction is not tied to a
 * thread's reader slot (I/O threads and workers all read). No
 * MDB_WRITEMAP: with a sparse file, a full disk would then be a SIGBUS in
 * the middle of a commit instead of an ENOSPC from write(). No MDB_NOSYNC:
 * a commit returns only once it is on disk, group commit keeps that cheap.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "store_internal.h"
#include "util.h"

#define STORE_DEFAULT_MAP_SIZE	((uint64_t)16 << 30)
#define STORE_MAX_READERS	1024

static int	env_open(struct store *s, const char *data_dir,
		    uint64_t map_size, char *err, size_t errlen);

static int
env_open(struct store *s, const char *data_dir, uint64_t map_size,
    char *err, size_t errlen)
{
	MDB_txn *txn;
	int rc, dead;

	if ((rc = mdb_env_create(&s->env)) != 0) {
		str_format(err, errlen, "mdb_env_create: %s", mdb_strerror(rc));
		return store_lmdb_error(rc);
	}
	/*
	 * Every I/O and worker thread of the daemon may hold a short read
	 * transaction at once, plus CLI processes: more than the default 126.
	 */
	if ((rc = mdb_env_set_maxdbs(s->env, DB_COUNT + 4)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, STORE_MAX_READERS)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, (size_t)map_size)) != 0) {
		str_format(err, errlen, "lmdb setup: %s", mdb_strerror(rc));
		return store_lmdb_error(rc);
	}
	if ((rc = mdb_env_open(s->env, data_dir, MDB_NOTLS, 0600)) != 0) {
		str_format(err, errlen, "cannot open store in %s: %s",
		    data_dir, mdb_strerror(rc));
		return store_lmdb_error(rc);
	}
	/* Free reader slots of processes that died (kill -9) holding one. */
	if ((rc = mdb_reader_check(s->env, &dead)) != 0)
		log_warn("store: mdb_reader_check: %s", mdb_strerror(rc));
	else if (dead > 0)
		log_info("store: cleared %d stale reader slot(s)", dead);

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		str_format(err, errlen, "cannot start a write transaction: %s",
		    mdb_strerror(rc));
		return store_lmdb_error(rc);
	}
	if ((rc = store_schema_setup(s, txn, err, errlen)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		str_format(err, errlen, "cannot commit the schema: %s",
		    mdb_strerror(rc));
		return store_lmdb_error(rc);
	}
	return 0;
}

int
store_open(struct store **store_r, const char *data_dir, uint64_t map_size,
    char *err, size_t errlen)
{
	struct store *s;
	int rc;

	*store_r = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (data_dir == NULL || data_dir[0] == '\0') {
		str_format(err, errlen, "no data_dir");
		return STORE_EINVAL;
	}
	if (map_size == 0)
		map_size = STORE_DEFAULT_MAP_SIZE;
	if (map_size > SIZE_MAX) {
		str_format(err, errlen, "map size too large for this system");
		return STORE_EINVAL;
	}
	if (sodium_init() < 0) {
		str_format(err, errlen, "libsodium cannot initialize");
		return STORE_EIO;
	}
	if (mkdir(data_dir, 0700) == -1 && errno != EEXIST) {
		str_format(err, errlen, "cannot create %s: %s", data_dir,
		    strerror(errno));
		return STORE_EIO;
	}

	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->queue_lock, NULL);
	pthread_cond_init(&s->queue_cond, NULL);
	store_watch_init(s);
	atomic_init(&s->commits, 0);

	if ((rc = env_open(s, data_dir, map_size, err, errlen)) != 0)
		goto fail;
	if ((rc = store_writer_start(s)) != 0) {
		str_format(err, errlen, "cannot start the store writer thread");
		goto fail;
	}
	*store_r = s;
	return 0;

fail:
	if (s->env != NULL)
		mdb_env_close(s->env);
	store_watch_free(s);
	pthread_cond_destroy(&s->queue_cond);
	pthread_mutex_destroy(&s->queue_lock);
	free(s);
	return rc;
}

void
store_close(struct store **sp)
{
	struct store *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	store_writer_stop(s);
	mdb_env_close(s->env);
	store_watch_free(s);
	pthread_cond_destroy(&s->queue_cond);
	pthread_mutex_destroy(&s->queue_lock);
	free(s);
}

int
store_schema_version(struct store *s)
{
	return s->schema_version;
}

uint64_t
store_commit_count(struct store *s)
{
	return atomic_load(&s->commits);
}

/* A short read-only transaction; end it with store_read_end() at once. */
int
store_read_begin(struct store *s, MDB_txn **txn_r)
{
	int rc;

	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn_r);
	if (rc != 0) {
		/* MDB_MAP_RESIZED: another process uses a larger map_size. */
		log_error("store: cannot begin a read transaction: %s",
		    mdb_strerror(rc));
		return store_lmdb_error(rc);
	}
	return 0;
}

void
store_read_end(MDB_txn *txn)
{
	mdb_txn_abort(txn);
}
