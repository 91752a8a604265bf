/*
 * outbound.c: the queue runner: a scheduler thread that takes due entries
 * from the store and delivery threads that attempt them (delivery.c).
 *
 * The queue itself lives only in the store; the runner keeps in memory
 * just what is in flight (entry ids and their domains), so 100,000 queued
 * messages cost the daemon no memory of its own and a crash loses
 * nothing: an entry in flight is simply due again after a restart. The
 * scheduler never waits for the network; it wakes when something was
 * queued (outbound_wakeup), when a delivery finishes, at the next due
 * time, and at least every OUTBOUND_POLL_MS to notice what the CLI
 * changed from another process (`posthorn queue retry`).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dest_cache.h"
#include "log.h"
#include "outbound.h"
#include "outbound_internal.h"
#include "smtp_client.h"
#include "util.h"

#define OUTBOUND_POLL_MS	1000
#define OUTBOUND_DUE_BATCH	1024	/* due ids looked at per round */
#define OUTBOUND_DNS_TIMEOUT_MS	5000
#define OUTBOUND_DNS_TRIES	2
#define OUTBOUND_THREAD_STACK	(1024 * 1024)

/* An entry being delivered, or waiting for a delivery thread. */
struct outbound_job {
	struct store_queue_entry	 entry;
	struct outbound_gen		*gen;
	uint64_t			 dest;		/* dest_hash() of its destination */
	int				 taken;		/* a thread runs it */
};

struct outbound {
	struct store		*store;
	pthread_mutex_t		 mu;
	pthread_cond_t		 sched_cv;	/* the scheduler sleeps here */
	pthread_cond_t		 work_cv;	/* idle delivery threads sleep here */
	int			 stopping;
	int			 kicked;	/* something was queued since the last look */
	struct outbound_gen	*gen;		/* current settings */

	struct outbound_job	**jobs;		/* in flight: waiting or running */
	size_t			 n_jobs, cap_jobs;
	struct dest_cache	 dests;		/* due entries' destinations, by id */

	pthread_t		 scheduler;
	pthread_t		*threads;
	int			 n_threads;
};

/* The running instance, for outbound_wakeup() from the SMTP front-end. */
static pthread_mutex_t	 outbound_running_mu = PTHREAD_MUTEX_INITIALIZER;
static struct outbound	*outbound_running;


static void
keyring_warn(void *arg, const char *msg)
{
	(void)arg;
	log_warn("dkim: %s", msg);
}

/* Build the settings of one generation; NULL with err when DNS is unusable. */
static struct outbound_gen *
gen_new(const struct config *cfg, char *err, size_t errlen)
{
	struct outbound_gen	*g = xcalloc(1, sizeof(*g));
	char			 why[256];

	g->refs = 1;
	g->cfg = *cfg;
	g->resolver = dns_resolver_new(cfg->dns_server, OUTBOUND_DNS_TIMEOUT_MS,
	    OUTBOUND_DNS_TRIES, err, errlen);
	if (g->resolver == NULL) {
		free(g);
		return NULL;
	}
	if (cfg->dkim_sign) {
		g->keyring = dkim_keyring_load(cfg->data_dir, keyring_warn, NULL,
		    why, sizeof(why));
		if (g->keyring == NULL)
			log_warn("dkim: no signing keys loaded: %s", why);
		else if (dkim_keyring_count(g->keyring) > 0)
			log_info("dkim: %zu signing key(s) loaded",
			    dkim_keyring_count(g->keyring));
	}
	g->ssl_ctx = smtpc_tls_ctx_new(cfg->tls_ca_file, why, sizeof(why));
	if (g->ssl_ctx == NULL)
		log_warn("outbound: no client TLS (%s): STARTTLS will not be used", why);
	return g;
}

static void
gen_free(struct outbound_gen *g)
{
	dns_resolver_free(g->resolver);
	dkim_keyring_free(g->keyring);
	if (g->ssl_ctx != NULL)
		SSL_CTX_free(g->ssl_ctx);
	free(g);
}

/* Under the runner's mutex. */
static void
gen_unref(struct outbound_gen *g)
{
	if (--g->refs == 0)
		gen_free(g);
}

/* Under ob->mu: in flight already, and how many for this domain. */
static int
job_in_flight(const struct outbound *ob, uint64_t id)
{
	size_t i;

	for (i = 0; i < ob->n_jobs; i++)
		if (ob->jobs[i]->entry.id == id)
			return 1;
	return 0;
}

/*
 * The destination an entry counts against for outbound_max_per_domain:
 * its domain, or the relayhost when everything goes there.
 */
static const char *
job_destination(const struct outbound_gen *g, const struct store_queue_entry *e)
{
	return g->cfg.relayhost[0] != '\0' ? g->cfg.relayhost : e->domain;
}

/*
 * Under ob->mu: jobs for a destination, all of them or only those a
 * thread runs. The scheduler admits twice outbound_max_per_domain jobs
 * per destination; at most outbound_max_per_domain of them run, the rest
 * wait for a thread to finish one, which then carries the next over the
 * connection it already has (delivery_main).
 */
static int
jobs_for(const struct outbound *ob, uint64_t dest, int running_only)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ob->n_jobs; i++)
		if (ob->jobs[i]->dest == dest && (!running_only || ob->jobs[i]->taken))
			n++;
	return n;
}

static int
destination_full(const struct outbound *ob, uint64_t dest, int per_domain)
{
	return jobs_for(ob, dest, 0) >= 2 * per_domain;
}

/* Under ob->mu: take the due entries that fit the limits. */
static void
schedule_due(struct outbound *ob, int64_t now, int64_t *next_r)
{
	uint64_t		*ids;
	struct store_queue_entry e;
	struct outbound_job	*job;
	uint64_t		 dest;
	int			 n, i, rc, limit, per_domain;

	/* Waiting jobs are cheap; running ones are bounded by the threads. */
	limit = 2 * ob->gen->cfg.outbound_max_connections;
	per_domain = ob->gen->cfg.outbound_max_per_domain;
	*next_r = 0;
	if ((int)ob->n_jobs >= limit)
		return;
	ids = xreallocarray(NULL, OUTBOUND_DUE_BATCH, sizeof(uint64_t));
	n = store_queue_due(ob->store, now, ids, OUTBOUND_DUE_BATCH, next_r);
	if (n < 0)
		log_warn("outbound: reading the queue failed: %s", store_strerror(n));
	for (i = 0; i < n && (int)ob->n_jobs < limit; i++) {
		if (job_in_flight(ob, ids[i]))
			continue;
		/* Known to wait for a full destination: no need to read it. */
		if (dest_cache_get(&ob->dests, ids[i], &dest) &&
		    destination_full(ob, dest, per_domain))
			continue;
		if ((rc = store_queue_get(ob->store, ids[i], &e)) < 0)
			continue;	/* delivered or deleted meanwhile */
		dest = dest_hash(job_destination(ob->gen, &e));
		dest_cache_put(&ob->dests, ids[i], dest);
		if (destination_full(ob, dest, per_domain)) {
			store_queue_entry_free(&e);
			continue;
		}
		job = xcalloc(1, sizeof(*job));
		job->entry = e;
		job->dest = dest;
		job->gen = ob->gen;
		ob->gen->refs++;
		if (ob->n_jobs == ob->cap_jobs) {
			ob->cap_jobs = ob->cap_jobs ? ob->cap_jobs * 2 : 16;
			ob->jobs = xreallocarray(ob->jobs, ob->cap_jobs, sizeof(*ob->jobs));
		}
		ob->jobs[ob->n_jobs++] = job;
		pthread_cond_signal(&ob->work_cv);
	}
	/* A full batch: more may be due right now. */
	if (n == OUTBOUND_DUE_BATCH)
		*next_r = now;
	free(ids);
}

static void *
scheduler_main(void *arg)
{
	struct outbound	*ob = arg;
	struct timespec	 until;
	int64_t		 now, next;
	uint64_t	 wait_ms;

	pthread_mutex_lock(&ob->mu);
	while (!ob->stopping) {
		ob->kicked = 0;
		now = (int64_t)time(NULL);
		schedule_due(ob, now, &next);
		if (ob->kicked)
			continue;
		wait_ms = OUTBOUND_POLL_MS;
		if (next > 0 && next > now && (uint64_t)(next - now) * 1000 < wait_ms)
			wait_ms = (uint64_t)(next - now) * 1000;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(wait_ms / 1000);
		until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!ob->kicked && !ob->stopping)
			pthread_cond_timedwait(&ob->sched_cv, &ob->mu, &until);
	}
	pthread_mutex_unlock(&ob->mu);
	return NULL;
}

/*
 * Under ob->mu: the first job no thread has taken whose destination has
 * fewer than outbound_max_per_domain running; with same_dest, only a job
 * for that destination and settings (to reuse a connection).
 */
static struct outbound_job *
job_take(struct outbound *ob, const struct outbound_job *same_dest)
{
	struct outbound_job	*j;
	size_t			 i;

	for (i = 0; i < ob->n_jobs; i++) {
		j = ob->jobs[i];
		if (j->taken)
			continue;
		if (same_dest != NULL) {
			if (j->dest != same_dest->dest || j->gen != same_dest->gen)
				continue;
		} else if (jobs_for(ob, j->dest, 1) >= j->gen->cfg.outbound_max_per_domain)
			continue;
		j->taken = 1;
		return j;
	}
	return NULL;
}

/* Under ob->mu. */
static void
job_finish(struct outbound *ob, struct outbound_job *job)
{
	size_t i;

	for (i = 0; i < ob->n_jobs; i++)
		if (ob->jobs[i] == job) {
			ob->jobs[i] = ob->jobs[--ob->n_jobs];
			break;
		}
	gen_unref(job->gen);
	store_queue_entry_free(&job->entry);
	free(job);
	ob->kicked = 1;		/* a slot is free: look again */
	pthread_cond_signal(&ob->sched_cv);
	pthread_cond_signal(&ob->work_cv);	/* a running slot of its destination too */
}

static void *
delivery_main(void *arg)
{
	struct outbound		*ob = arg;
	struct outbound_job	*job, *next;
	struct delivery_conn	 dc;

	memset(&dc, 0, sizeof(dc));
	pthread_mutex_lock(&ob->mu);
	while (!ob->stopping) {
		if ((job = job_take(ob, NULL)) == NULL) {
			pthread_cond_wait(&ob->work_cv, &ob->mu);
			continue;
		}
		for (; job != NULL; job = next) {
			pthread_mutex_unlock(&ob->mu);
			delivery_attempt(ob->store, job->gen, &job->entry, &dc);
			pthread_mutex_lock(&ob->mu);
			/* The next entry for this destination rides the same connection. */
			next = dc.c != NULL && !ob->stopping ? job_take(ob, job) : NULL;
			job_finish(ob, job);
		}
		if (dc.c != NULL) {
			pthread_mutex_unlock(&ob->mu);
			delivery_conn_close(&dc);	/* QUIT: nothing more for it now */
			pthread_mutex_lock(&ob->mu);
		}
	}
	pthread_mutex_unlock(&ob->mu);
	return NULL;
}

static int
start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t	 attr;
	int		 rc;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, OUTBOUND_THREAD_STACK);
	rc = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}

int
outbound_start(struct outbound **ob_r, struct store *store,
    const struct config *cfg, char *err, size_t errlen)
{
	struct outbound	*ob = xcalloc(1, sizeof(*ob));
	int		 i, rc;

	*ob_r = NULL;
	ob->store = store;
	if ((ob->gen = gen_new(cfg, err, errlen)) == NULL) {
		free(ob);
		return -1;
	}
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->sched_cv, NULL);
	pthread_cond_init(&ob->work_cv, NULL);
	/*
	 * The thread count is fixed at start; a reload may lower the limit
	 * (the scheduler obeys it) but not raise it past this.
	 */
	ob->threads = xreallocarray(NULL, (size_t)cfg->outbound_max_connections,
	    sizeof(pthread_t));
	for (i = 0; i < cfg->outbound_max_connections; i++) {
		if ((rc = start_thread(&ob->threads[i], delivery_main, ob)) != 0)
			break;
		ob->n_threads++;
	}
	if (ob->n_threads == 0 || start_thread(&ob->scheduler, scheduler_main, ob) != 0) {
		str_format(err, errlen, "cannot start the outbound threads");
		ob->stopping = 1;
		pthread_cond_broadcast(&ob->work_cv);
		for (i = 0; i < ob->n_threads; i++)
			pthread_join(ob->threads[i], NULL);
		gen_free(ob->gen);
		free(ob->threads);
		free(ob);
		return -1;
	}
	pthread_mutex_lock(&outbound_running_mu);
	outbound_running = ob;
	pthread_mutex_unlock(&outbound_running_mu);
	*ob_r = ob;
	return 0;
}

void
outbound_reload(struct outbound *ob, const struct config *cfg)
{
	struct outbound_gen	*g;
	char			 err[256];

	if (ob == NULL)
		return;
	if ((g = gen_new(cfg, err, sizeof(err))) == NULL) {
		log_error("outbound: reload failed, keeping the old settings: %s", err);
		return;
	}
	pthread_mutex_lock(&ob->mu);
	gen_unref(ob->gen);
	ob->gen = g;
	dest_cache_clear(&ob->dests);	/* a relayhost change changes every destination */
	ob->kicked = 1;
	pthread_cond_signal(&ob->sched_cv);
	pthread_mutex_unlock(&ob->mu);
}

void
outbound_wakeup(void)
{
	struct outbound *ob;

	pthread_mutex_lock(&outbound_running_mu);
	if ((ob = outbound_running) != NULL) {
		pthread_mutex_lock(&ob->mu);
		ob->kicked = 1;
		pthread_cond_signal(&ob->sched_cv);
		pthread_mutex_unlock(&ob->mu);
	}
	pthread_mutex_unlock(&outbound_running_mu);
}

void
outbound_stop(struct outbound **obp)
{
	struct outbound	*ob = *obp;
	size_t		 i;
	int		 t;

	if (ob == NULL)
		return;
	*obp = NULL;
	pthread_mutex_lock(&outbound_running_mu);
	outbound_running = NULL;
	pthread_mutex_unlock(&outbound_running_mu);

	fd_wait_cancel_all();	/* running deliveries give up their DNS and SMTP waits now */
	pthread_mutex_lock(&ob->mu);
	ob->stopping = 1;
	pthread_cond_broadcast(&ob->sched_cv);
	pthread_cond_broadcast(&ob->work_cv);
	pthread_mutex_unlock(&ob->mu);
	pthread_join(ob->scheduler, NULL);
	for (t = 0; t < ob->n_threads; t++)
		pthread_join(ob->threads[t], NULL);

	/* Jobs no thread took: they stay due in the store. */
	for (i = 0; i < ob->n_jobs; i++) {
		gen_unref(ob->jobs[i]->gen);
		store_queue_entry_free(&ob->jobs[i]->entry);
		free(ob->jobs[i]);
	}
	free(ob->jobs);
	dest_cache_free(&ob->dests);
	gen_unref(ob->gen);
	free(ob->threads);
	pthread_cond_destroy(&ob->sched_cv);
	pthread_cond_destroy(&ob->work_cv);
	pthread_mutex_destroy(&ob->mu);
	free(ob);
}
