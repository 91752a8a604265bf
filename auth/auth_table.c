/*
 * auth_table.c: the bounded, SipHash-keyed string table behind the
 * throttle and the credentials cache (see auth_table.h). Chained buckets,
 * a fixed bucket count sized from the maximum: no rehashing, no surprises.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth_table.h"
#include "log.h"
#include "util.h"

static size_t
bucket_of(const struct auth_table *t, const char *key)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v = 0;
	size_t i;

	crypto_shorthash(h, (const unsigned char *)key, strlen(key), t->hkey);
	for (i = 0; i < sizeof(v) && i < sizeof(h); i++)
		v = (v << 8) | h[i];
	return (size_t)(v % t->nbuckets);
}

void
auth_table_init(struct auth_table *t, size_t max, size_t node_size)
{
	memset(t, 0, sizeof(*t));
	if (sodium_init() < 0)
		fatalx("auth: libsodium cannot be initialised");
	/* About one entry per bucket when full; at least a few buckets. */
	t->nbuckets = max < 16 ? 16 : max;
	t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
	t->max = max;
	t->node_size = node_size;
	randombytes_buf(t->hkey, sizeof(t->hkey));
}

static void
node_free(struct auth_table *t, struct auth_node *n)
{
	sodium_memzero(n->key, strlen(n->key));
	free(n->key);
	sodium_memzero(n, t->node_size);
	free(n);
}

void
auth_table_free(struct auth_table *t)
{
	struct auth_node *n, *next;
	size_t i;

	if (t->buckets == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (n = t->buckets[i]; n != NULL; n = next) {
			next = n->next;
			node_free(t, n);
		}
	free(t->buckets);
	t->buckets = NULL;
	t->n = 0;
}

struct auth_node *
auth_table_find(struct auth_table *t, const char *key)
{
	struct auth_node *n;

	for (n = t->buckets[bucket_of(t, key)]; n != NULL; n = n->next)
		if (strcmp(n->key, key) == 0)
			return n;
	return NULL;
}

struct auth_node *
auth_table_add(struct auth_table *t, const char *key)
{
	struct auth_node *n = xcalloc(1, t->node_size);
	size_t b = bucket_of(t, key);

	n->key = xstrdup(key);
	n->next = t->buckets[b];
	t->buckets[b] = n;
	t->n++;
	return n;
}

void
auth_table_remove(struct auth_table *t, const char *key)
{
	struct auth_node **pp, *n;

	for (pp = &t->buckets[bucket_of(t, key)]; (n = *pp) != NULL; pp = &n->next)
		if (strcmp(n->key, key) == 0) {
			*pp = n->next;
			t->n--;
			node_free(t, n);
			return;
		}
}

size_t
auth_table_sweep(struct auth_table *t, int (*drop)(struct auth_node *, void *),
    void *arg)
{
	struct auth_node **pp, *n;
	size_t i, removed = 0;

	for (i = 0; i < t->nbuckets; i++)
		for (pp = &t->buckets[i]; (n = *pp) != NULL;) {
			if (drop(n, arg)) {
				*pp = n->next;
				t->n--;
				node_free(t, n);
				removed++;
			} else
				pp = &n->next;
		}
	return removed;
}

struct auth_node *
auth_table_min(struct auth_table *t, uint64_t (*rank)(const struct auth_node *))
{
	struct auth_node *n, *best = NULL;
	uint64_t r, best_r = 0;
	size_t i;

	for (i = 0; i < t->nbuckets; i++)
		for (n = t->buckets[i]; n != NULL; n = n->next) {
			r = rank(n);
			if (best == NULL || r < best_r) {
				best = n;
				best_r = r;
			}
		}
	return best;
}
