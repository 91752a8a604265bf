/*
 * auth_verify.c: auth_verify_async(), the one way a front-end checks a
 * password: throttle, cache, argon2id off the loop, the login log line,
 * and the delayed answer after a failure.
 *
 * Where things run: the throttle and the cache are consulted on the
 * connection's loop (a mutex, a BLAKE2b and one short LMDB read), so a
 * throttled or cached login never waits behind a queue of argon2id jobs;
 * only the argon2id verification goes to a worker. The job holds a
 * connection reference while on the worker (its outcome is counted and
 * logged even when the client hung up: brute-forcers do), and only the
 * connection id during the failure delay (a timer that never fires at
 * shutdown must not hold a reference). The callback finds the connection
 * again by id and is skipped when it is gone.
 *
 * Not here: SASL decoding (auth_sasl.c), plaintext policy and protocol
 * replies (the front-ends).
 */
#include "config.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "util.h"

/* A failed or refused login is answered this much later (Dovecot: 2 s). */
#define AUTH_FAIL_DELAY_MS	1000
/* Failures per account before it locks: this times the per-address one. */
#define AUTH_ACCOUNT_FACTOR	2
#define AUTH_WINDOW_MS		(15ULL * 60 * 1000)
#define AUTH_LOCKOUT_MAX_MS	(3600ULL * 1000)
#define AUTH_THROTTLE_ENTRIES	16384
#define AUTH_CACHE_ENTRIES	16384

struct auth_job {
	struct auth_job		*next, *prev;	/* pending delayed answers */
	struct loop		*loop;
	struct conn		*conn;		/* referenced while on a worker */
	uint64_t		 conn_id;
	struct store		*store;
	auth_done_fn		 done;
	void			*arg;
	char			 proto[16];
	char			 login[AUTH_LOGIN_MAX];
	char			 account[AUTH_LOGIN_MAX];	/* folded: throttle key */
	char			 password[AUTH_PASSWORD_MAX];
	char			 peer[64];	/* throttle key of the client address */
	uint64_t		 now;
	uint64_t		 ttl_ms;
	int			 rc;		/* auth_check_password() */
	enum auth_status	 status;
	struct store_user	 user;
};

static pthread_once_t		 auth_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t		 auth_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct auth_throttle	*auth_throttle;
static struct auth_cache	*auth_cache;
static struct auth_job		*auth_delayed;	/* under auth_mutex */

static void	 auth_work(void *arg);
static void	 auth_work_done(void *arg);
static void	 auth_answer(struct auth_job *job, int delay, int direct);
static void	 auth_deliver(void *arg);

static void
auth_init(void)
{
	auth_throttle = auth_throttle_new(AUTH_THROTTLE_ENTRIES);
	auth_cache = auth_cache_new(AUTH_CACHE_ENTRIES);
}

void
auth_shutdown(void)
{
	struct auth_job *job;

	/* Answers still waiting on a timer that stopped loops never fire. */
	pthread_mutex_lock(&auth_mutex);
	while ((job = auth_delayed) != NULL) {
		auth_delayed = job->next;
		sodium_memzero(job, sizeof(*job));
		free(job);
	}
	pthread_mutex_unlock(&auth_mutex);
	auth_throttle_free(&auth_throttle);
	auth_cache_free(&auth_cache);
}

/* The limits of the current configuration. */
static void
auth_limits(struct auth_throttle_limits *l, uint64_t *ttl_ms_r)
{
	const struct config *cfg = server_config();

	memset(l, 0, sizeof(*l));
	l->addr_threshold = cfg->auth_fail_threshold;
	l->account_threshold = cfg->auth_fail_threshold * AUTH_ACCOUNT_FACTOR;
	l->window_ms = AUTH_WINDOW_MS;
	l->lockout_ms = (uint64_t)cfg->auth_lockout * 1000;
	l->lockout_max_ms = l->lockout_ms > AUTH_LOCKOUT_MAX_MS ?
	    l->lockout_ms : AUTH_LOCKOUT_MAX_MS;
	*ttl_ms_r = (uint64_t)cfg->auth_cache_ttl * 1000;
}

int
auth_check_password(struct store *store, struct auth_cache *cache,
    const char *login, const char *password, uint64_t now, uint64_t ttl_ms,
    struct store_user *user_r)
{
	char hash[STORE_PASSWORD_HASH_MAX];
	struct store_user u;
	int rc;

	rc = store_user_password_hash(store, login, hash, sizeof(hash), &u);
	if (rc == STORE_ENOTFOUND)
		/* Unknown login: the store verifies a dummy hash (same time). */
		return store_user_verify(store, login, password, user_r);
	if (rc < 0)
		return rc;
	/*
	 * Verify against the very hash string that goes into the cache, so
	 * a password changed meanwhile cannot be cached under the old one.
	 */
	rc = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
	if (rc == 1) {
		if (cache != NULL && ttl_ms > 0)
			auth_cache_add(cache, login, password, hash, &u, now, ttl_ms);
		*user_r = u;
	}
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/* Log the attempt (c may already be closed: its peer is still known). */
static void
auth_log(struct auth_job *job, struct conn *c, const char *detail)
{
	char reason[128];

	switch (job->status) {
	case AUTH_OK:
		server_log_login(job->proto, c, job->login, 1, NULL);
		if (detail != NULL)
			log_debug("auth: conn=%llu user=%s %s",
			    (unsigned long long)job->conn_id, job->user.address, detail);
		return;
	case AUTH_FAILED:
		str_copy(reason, detail != NULL ? detail : "invalid credentials",
		    sizeof(reason));
		break;
	case AUTH_THROTTLED:
		str_copy(reason, "throttled: too many failures", sizeof(reason));
		break;
	case AUTH_TEMPFAIL:
		if (str_format(reason, sizeof(reason), "temporary failure: %s",
		    store_strerror(job->rc)) < 0)
			str_copy(reason, "temporary failure", sizeof(reason));
		break;
	}
	server_log_login(job->proto, c, job->login, 0, reason);
}

void
auth_verify_async(struct store *store, struct conn *c, const char *proto,
    const char *login, const char *password, auth_done_fn done, void *arg)
{
	struct auth_throttle_limits l;
	struct auth_job *job;
	int toolong;

	pthread_once(&auth_once, auth_init);
	job = xcalloc(1, sizeof(*job));
	job->loop = conn_loop(c);
	job->conn_id = conn_id(c);
	job->store = store;
	job->done = done;
	job->arg = arg;
	str_copy(job->proto, proto, sizeof(job->proto));
	toolong = str_copy(job->login, login, sizeof(job->login)) >= sizeof(job->login) ||
	    str_copy(job->password, password, sizeof(job->password)) >= sizeof(job->password);
	str_copy(job->account, job->login, sizeof(job->account));
	str_lower(job->account);
	auth_peer_key(conn_peer_addr(c), job->peer, sizeof(job->peer));
	job->now = time_monotonic_ms();
	auth_limits(&l, &job->ttl_ms);

	if (auth_throttle_check(auth_throttle, &l, job->peer, job->account,
	    job->now, NULL)) {
		/* Refused unchecked and uncounted: retrying does not extend it. */
		job->status = AUTH_THROTTLED;
		auth_log(job, c, NULL);
		auth_answer(job, 1, 0);
		return;
	}
	if (toolong) {
		/* No password of ours is this long; a failure like any other. */
		job->status = AUTH_FAILED;
		auth_throttle_failure(auth_throttle, &l, job->peer, job->account, job->now);
		auth_log(job, c, "login or password too long");
		auth_answer(job, 1, 0);
		return;
	}
	if (job->ttl_ms > 0 && auth_cache_check(auth_cache, store, job->login,
	    job->password, job->now, &job->user)) {
		job->status = AUTH_OK;
		auth_throttle_success(auth_throttle, &l, job->peer, job->account, job->now);
		auth_log(job, c, "verified from the cache");
		auth_answer(job, 0, 0);
		return;
	}
	job->conn = c;
	conn_ref(c);
	worker_submit(job->loop, auth_work, auth_work_done, job);
}

/* On a worker thread: argon2id. */
static void
auth_work(void *arg)
{
	struct auth_job *job = arg;

	job->rc = auth_check_password(job->store, auth_cache, job->login,
	    job->password, job->now, job->ttl_ms, &job->user);
	sodium_memzero(job->password, sizeof(job->password));
}

/* Back on the loop: count, log, answer. */
static void
auth_work_done(void *arg)
{
	struct auth_job *job = arg;
	struct auth_throttle_limits l;
	struct conn *c = job->conn;
	uint64_t ttl;

	auth_limits(&l, &ttl);
	if (job->rc == 1) {
		job->status = AUTH_OK;
		auth_throttle_success(auth_throttle, &l, job->peer, job->account,
		    time_monotonic_ms());
	} else if (job->rc == 0) {
		job->status = AUTH_FAILED;
		auth_throttle_failure(auth_throttle, &l, job->peer, job->account,
		    time_monotonic_ms());
	} else
		job->status = AUTH_TEMPFAIL;
	auth_log(job, c, NULL);
	job->conn = NULL;
	conn_unref(c);
	/* Already in a callback of our own: answer directly (also when
	 * net_free() runs this at shutdown, where a new post would be lost). */
	auth_answer(job, job->status == AUTH_FAILED, 1);
}

/*
 * Call back after the failure delay, or now: directly when the caller is
 * our own callback (direct), else through the loop so that done never
 * runs inside auth_verify_async().
 */
static void
auth_answer(struct auth_job *job, int delay, int direct)
{
	sodium_memzero(job->password, sizeof(job->password));
	if (!delay) {
		if (direct)
			auth_deliver(job);
		else
			loop_post(job->loop, auth_deliver, job);
		return;
	}
	pthread_mutex_lock(&auth_mutex);
	job->prev = NULL;
	job->next = auth_delayed;
	if (auth_delayed != NULL)
		auth_delayed->prev = job;
	auth_delayed = job;
	pthread_mutex_unlock(&auth_mutex);
	loop_post_delayed(job->loop, AUTH_FAIL_DELAY_MS, auth_deliver, job);
}

static void
auth_deliver(void *arg)
{
	struct auth_job *job = arg;
	struct conn *c;

	pthread_mutex_lock(&auth_mutex);
	if (job->prev != NULL)
		job->prev->next = job->next;
	else if (auth_delayed == job)
		auth_delayed = job->next;
	if (job->next != NULL)
		job->next->prev = job->prev;
	pthread_mutex_unlock(&auth_mutex);

	c = loop_find_conn(job->loop, job->conn_id);
	if (c != NULL && !conn_is_closed(c) && conn_session(c) != NULL)
		job->done(c, job->arg, job->status,
		    job->status == AUTH_OK ? &job->user : NULL);
	sodium_memzero(job, sizeof(*job));
	free(job);
}
