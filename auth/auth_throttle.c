/*
 * auth_throttle.c: brute-force protection: failed logins counted per
 * client address and per account, locks that double with each relapse.
 * The rules are in auth.h above struct auth_throttle_limits.
 *
 * Pure bookkeeping with the clock passed in (tests use a fake one); a
 * mutex makes it safe from every loop thread. Memory is bounded: when a
 * table is full, records that no longer matter are swept, and failing
 * that the one with the oldest failure is forgotten. It does not delay
 * replies or log; auth_verify.c does.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_table.h"
#include "log.h"
#include "util.h"

/* Beyond this many doublings the lock is at its maximum anyway. */
#define THROTTLE_LEVEL_MAX	30

struct throttle_entry {
	struct auth_node	 node;		/* first: the table's header */
	unsigned		 count;		/* failures in the current window */
	unsigned		 level;		/* locks so far in this window */
	uint64_t		 last_fail;	/* ms */
	uint64_t		 locked_until;	/* ms; 0 = never locked */
};

struct auth_throttle {
	pthread_mutex_t		 mutex;
	struct auth_table	 addrs;
	struct auth_table	 accounts;
};

struct sweep_arg {
	const struct auth_throttle_limits	*l;
	uint64_t				 now;
};

struct auth_throttle *
auth_throttle_new(size_t max_entries)
{
	struct auth_throttle *t = xcalloc(1, sizeof(*t));

	if (pthread_mutex_init(&t->mutex, NULL) != 0)
		fatalx("auth_throttle_new: mutex");
	auth_table_init(&t->addrs, max_entries, sizeof(struct throttle_entry));
	auth_table_init(&t->accounts, max_entries, sizeof(struct throttle_entry));
	return t;
}

void
auth_throttle_free(struct auth_throttle **tp)
{
	struct auth_throttle *t = *tp;

	if (t == NULL)
		return;
	auth_table_free(&t->addrs);
	auth_table_free(&t->accounts);
	pthread_mutex_destroy(&t->mutex);
	free(t);
	*tp = NULL;
}

size_t
auth_throttle_size(struct auth_throttle *t)
{
	size_t n;

	pthread_mutex_lock(&t->mutex);
	n = t->addrs.n + t->accounts.n;
	pthread_mutex_unlock(&t->mutex);
	return n;
}

/*
 * The failures of e still count: its window runs from the last failure or
 * the end of its lock, whichever is later, so that locks longer than the
 * window still double on the next relapse.
 */
static int
in_window(const struct throttle_entry *e, const struct auth_throttle_limits *l,
    uint64_t now)
{
	uint64_t from = e->last_fail > e->locked_until ? e->last_fail : e->locked_until;

	return e->count > 0 && (now <= from || now - from <= l->window_ms);
}

static int
entry_stale(struct auth_node *n, void *arg)
{
	const struct sweep_arg *a = arg;
	const struct throttle_entry *e = (const struct throttle_entry *)n;

	return a->now >= e->locked_until && !in_window(e, a->l, a->now);
}

static uint64_t
entry_rank(const struct auth_node *n)
{
	return ((const struct throttle_entry *)n)->last_fail;
}

static struct throttle_entry *
entry_get(struct auth_table *t, const char *key,
    const struct auth_throttle_limits *l, uint64_t now)
{
	struct auth_node *n;
	struct sweep_arg a = { l, now };

	if ((n = auth_table_find(t, key)) != NULL)
		return (struct throttle_entry *)n;
	if (t->n >= t->max && auth_table_sweep(t, entry_stale, &a) == 0 &&
	    (n = auth_table_min(t, entry_rank)) != NULL)
		auth_table_remove(t, n->key);
	return (struct throttle_entry *)auth_table_add(t, key);
}

/* One more failure; lock at the threshold, for twice as long each time. */
static void
entry_fail(struct throttle_entry *e, int threshold,
    const struct auth_throttle_limits *l, uint64_t now)
{
	uint64_t dur;

	if (!in_window(e, l, now)) {
		e->count = 0;
		e->level = 0;
	}
	e->count++;
	e->last_fail = now;
	if (threshold <= 0 || e->count < (unsigned)threshold)
		return;
	dur = l->lockout_ms;
	if (e->level < THROTTLE_LEVEL_MAX)
		dur <<= e->level;
	else
		dur = l->lockout_max_ms;
	if (dur > l->lockout_max_ms)
		dur = l->lockout_max_ms;
	e->locked_until = now + dur;
	if (e->level < THROTTLE_LEVEL_MAX)
		e->level++;
}

int
auth_throttle_check(struct auth_throttle *t,
    const struct auth_throttle_limits *l, const char *addr,
    const char *account, uint64_t now, uint64_t *wait_ms_r)
{
	struct throttle_entry *a, *u;
	uint64_t until = 0;

	pthread_mutex_lock(&t->mutex);
	a = (struct throttle_entry *)auth_table_find(&t->addrs, addr);
	u = (struct throttle_entry *)auth_table_find(&t->accounts, account);
	if (a != NULL && a->locked_until > now)
		until = a->locked_until;
	/* The account's lock holds only against addresses that failed too. */
	else if (u != NULL && u->locked_until > now && a != NULL &&
	    in_window(a, l, now))
		until = u->locked_until;
	pthread_mutex_unlock(&t->mutex);
	if (wait_ms_r != NULL)
		*wait_ms_r = until > now ? until - now : 0;
	return until > now;
}

void
auth_throttle_failure(struct auth_throttle *t,
    const struct auth_throttle_limits *l, const char *addr,
    const char *account, uint64_t now)
{
	pthread_mutex_lock(&t->mutex);
	entry_fail(entry_get(&t->addrs, addr, l, now), l->addr_threshold, l, now);
	if (l->account_threshold > 0)
		entry_fail(entry_get(&t->accounts, account, l, now),
		    l->account_threshold, l, now);
	pthread_mutex_unlock(&t->mutex);
}

void
auth_throttle_success(struct auth_throttle *t,
    const struct auth_throttle_limits *l, const char *addr,
    const char *account, uint64_t now)
{
	(void)l; (void)account; (void)now;
	/*
	 * The address proved it knows a password: forget its failures. The
	 * account's record stays: others may still be guessing it.
	 */
	pthread_mutex_lock(&t->mutex);
	auth_table_remove(&t->addrs, addr);
	pthread_mutex_unlock(&t->mutex);
}

void
auth_peer_key(const struct sockaddr *sa, char *buf, size_t buflen)
{
	char tmp[INET6_ADDRSTRLEN];

	str_copy(buf, "?", buflen);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		if (inet_ntop(AF_INET, &in->sin_addr, tmp, sizeof(tmp)) != NULL)
			str_copy(buf, tmp, buflen);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		struct in6_addr a = in6->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&a)) {
			if (inet_ntop(AF_INET, &a.s6_addr[12], tmp, sizeof(tmp)) != NULL)
				str_copy(buf, tmp, buflen);
			return;
		}
		/* One host usually holds a whole /64 (RFC 7934). */
		memset(&a.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a, tmp, sizeof(tmp)) != NULL &&
		    str_format(buf, buflen, "%s/64", tmp) < 0)
			str_copy(buf, "?", buflen);
	}
}
