/*
 * worker.c: a fixed pool of threads for blocking work (argon2id password
 * checks, later DNS and large MIME parses), so no I/O loop ever blocks.
 *
 * A job's done() is posted back to the loop that submitted it; it always
 * runs, also for jobs still queued at shutdown (they run their work first),
 * so callers can rely on it to drop their references.
 */
#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "net.h"
#include "util.h"

struct worker_job {
	struct worker_job	*next;
	struct loop		*loop;
	void			(*work)(void *);
	void			(*done)(void *);
	void			*arg;
};

static pthread_mutex_t	 worker_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 worker_cond = PTHREAD_COND_INITIALIZER;
static struct worker_job *worker_head, *worker_tail;
static pthread_t	*worker_threads;
static int		 worker_count;
static int		 worker_stopping;

static void *
worker_main(void *unused)
{
	struct worker_job *job;

	(void)unused;
	for (;;) {
		pthread_mutex_lock(&worker_mutex);
		while (worker_head == NULL && !worker_stopping)
			pthread_cond_wait(&worker_cond, &worker_mutex);
		job = worker_head;
		if (job == NULL) {
			pthread_mutex_unlock(&worker_mutex);
			return NULL;
		}
		worker_head = job->next;
		if (worker_head == NULL)
			worker_tail = NULL;
		pthread_mutex_unlock(&worker_mutex);

		job->work(job->arg);
		loop_post(job->loop, job->done, job->arg);
		free(job);
	}
}

int
worker_init(int n)
{
	int i;

	worker_threads = xcalloc((size_t)n, sizeof(*worker_threads));
	for (i = 0; i < n; i++) {
		if (pthread_create(&worker_threads[i], NULL, worker_main, NULL) != 0) {
			log_error("cannot start worker thread %d", i);
			worker_count = i;
			return -1;
		}
	}
	worker_count = n;
	return 0;
}

void
worker_shutdown(void)
{
	int i;

	pthread_mutex_lock(&worker_mutex);
	worker_stopping = 1;
	pthread_cond_broadcast(&worker_cond);
	pthread_mutex_unlock(&worker_mutex);
	for (i = 0; i < worker_count; i++)
		pthread_join(worker_threads[i], NULL);
	free(worker_threads);
	worker_threads = NULL;
	worker_count = 0;
}

void
worker_submit(struct loop *loop, void (*work)(void *), void (*done)(void *), void *arg)
{
	struct worker_job *job = xmalloc(sizeof(*job));

	job->next = NULL;
	job->loop = loop;
	job->work = work;
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&worker_mutex);
	if (worker_tail != NULL)
		worker_tail->next = job;
	else
		worker_head = job;
	worker_tail = job;
	pthread_cond_signal(&worker_cond);
	pthread_mutex_unlock(&worker_mutex);
}
