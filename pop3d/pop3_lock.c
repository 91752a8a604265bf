/*
 * pop3_lock.c: the set of locked maildrops, a small array under a mutex.
 *
 * One entry per logged-in POP3 session, so a linear scan is cheaper than a
 * hash until thousands of concurrent POP3 users. It does not know about
 * sessions; the session releases its lock in its one teardown path.
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include "log.h"
#include "pop3_lock.h"
#include "util.h"

static pthread_mutex_t	 pop3_lock_mutex = PTHREAD_MUTEX_INITIALIZER;
static uint64_t		*pop3_locks;
static size_t		 pop3_nlocks, pop3_locks_cap;

int
pop3_lock_acquire(uint64_t user_id)
{
	size_t i;
	int ret = 0;

	pthread_mutex_lock(&pop3_lock_mutex);
	for (i = 0; i < pop3_nlocks; i++)
		if (pop3_locks[i] == user_id)
			break;
	if (i < pop3_nlocks)
		ret = -1;
	else {
		if (pop3_nlocks == pop3_locks_cap) {
			pop3_locks_cap = pop3_locks_cap ? pop3_locks_cap * 2 : 16;
			pop3_locks = xreallocarray(pop3_locks, pop3_locks_cap,
			    sizeof(*pop3_locks));
		}
		pop3_locks[pop3_nlocks++] = user_id;
	}
	pthread_mutex_unlock(&pop3_lock_mutex);
	return ret;
}

void
pop3_lock_release(uint64_t user_id)
{
	size_t i;

	pthread_mutex_lock(&pop3_lock_mutex);
	for (i = 0; i < pop3_nlocks; i++)
		if (pop3_locks[i] == user_id)
			break;
	if (i < pop3_nlocks)
		pop3_locks[i] = pop3_locks[--pop3_nlocks];
	else
		log_warn("pop3: release of a maildrop lock not held (user %llu)",
		    (unsigned long long)user_id);
	if (pop3_nlocks == 0) {
		/* Nothing held: give the memory back (valgrind-clean at exit). */
		free(pop3_locks);
		pop3_locks = NULL;
		pop3_locks_cap = 0;
	}
	pthread_mutex_unlock(&pop3_lock_mutex);
}

size_t
pop3_lock_count(void)
{
	size_t n;

	pthread_mutex_lock(&pop3_lock_mutex);
	n = pop3_nlocks;
	pthread_mutex_unlock(&pop3_lock_mutex);
	return n;
}
