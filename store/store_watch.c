/*
 * store_watch.c: the registry of watchers that want to hear when a
 * mailbox of a user changes, and their calls after each commit.
 *
 * Entries are kept sorted by (user id, handle) so the writer finds a
 * user's watchers by binary search. The writer never holds the lock while
 * a watcher runs (a watcher may add or remove watchers); instead it marks
 * the handle being called, and store_watch_remove() waits until that mark
 * is gone, so after it returns the watcher is not running and never runs
 * again. Changes made by another process are not seen here.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

void
store_watch_init(struct store *s)
{
	pthread_mutex_init(&s->watch_lock, NULL);
	pthread_cond_init(&s->watch_cond, NULL);
}

void
store_watch_free(struct store *s)
{
	free(s->watches);
	s->watches = NULL;
	s->n_watches = s->max_watches = 0;
	pthread_cond_destroy(&s->watch_cond);
	pthread_mutex_destroy(&s->watch_lock);
}

/* Index of the first entry >= (user_id, handle). Called with the lock held. */
static size_t
lower_bound(struct store *s, uint64_t user_id, uint64_t handle)
{
	size_t lo = 0, hi = s->n_watches, mid;
	const struct store_watch *w;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		w = &s->watches[mid];
		if (w->user_id < user_id ||
		    (w->user_id == user_id && w->handle < handle))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t
store_watch_add(struct store *s, uint64_t user_id, store_watch_fn fn,
    void *arg)
{
	struct store_watch *w;
	uint64_t handle;
	size_t i;

	if (fn == NULL)
		return 0;
	pthread_mutex_lock(&s->watch_lock);
	if (s->n_watches == s->max_watches) {
		s->max_watches = s->max_watches ? s->max_watches * 2 : 16;
		s->watches = xreallocarray(s->watches, s->max_watches,
		    sizeof(*s->watches));
	}
	handle = ++s->last_watch_handle;
	i = lower_bound(s, user_id, handle);
	memmove(&s->watches[i + 1], &s->watches[i],
	    (s->n_watches - i) * sizeof(*s->watches));
	w = &s->watches[i];
	w->user_id = user_id;
	w->handle = handle;
	w->fn = fn;
	w->arg = arg;
	s->n_watches++;
	pthread_mutex_unlock(&s->watch_lock);
	return handle;
}

void
store_watch_remove(struct store *s, uint64_t handle)
{
	size_t i;

	if (handle == 0)
		return;
	pthread_mutex_lock(&s->watch_lock);
	for (i = 0; i < s->n_watches; i++) {
		if (s->watches[i].handle != handle)
			continue;
		memmove(&s->watches[i], &s->watches[i + 1],
		    (s->n_watches - i - 1) * sizeof(*s->watches));
		s->n_watches--;
		break;
	}
	/*
	 * Wait for a running call to finish, unless we are that call (a
	 * watcher removing itself on the writer thread).
	 */
	while (s->watch_running == handle && !store_on_writer(s))
		pthread_cond_wait(&s->watch_cond, &s->watch_lock);
	pthread_mutex_unlock(&s->watch_lock);
}

/* Writer thread: call every watcher of user_id, one at a time. */
void
store_watch_notify(struct store *s, uint64_t user_id, uint64_t mailbox_id)
{
	struct store_watch w;
	uint64_t next = 1;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&s->watch_lock);
		i = lower_bound(s, user_id, next);
		if (i >= s->n_watches || s->watches[i].user_id != user_id) {
			pthread_mutex_unlock(&s->watch_lock);
			return;
		}
		w = s->watches[i];
		s->watch_running = w.handle;
		pthread_mutex_unlock(&s->watch_lock);

		w.fn(w.arg, user_id, mailbox_id);

		pthread_mutex_lock(&s->watch_lock);
		s->watch_running = 0;
		pthread_cond_broadcast(&s->watch_cond);
		pthread_mutex_unlock(&s->watch_lock);
		next = w.handle + 1;
	}
}
