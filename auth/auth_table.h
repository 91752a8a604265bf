/*
 * auth_table.h: private to auth/: a bounded hash table of string keys for
 * the throttle (auth_throttle.c) and the credentials cache (auth_cache.c).
 *
 * Keys come from clients (login names, addresses), so buckets are chosen
 * by SipHash with a random per-table key: nobody can aim many keys at one
 * chain. The table does no locking and no expiry of its own; its users do
 * both. Entries embed struct auth_node as their first member.
 */
#ifndef POSTHORN_AUTH_TABLE_H
#define POSTHORN_AUTH_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct auth_node {
	struct auth_node	*next;
	char			*key;		/* owned by the table */
};

struct auth_table {
	struct auth_node	**buckets;
	size_t			 nbuckets;
	size_t			 n;		/* entries held */
	size_t			 max;		/* callers keep n <= max */
	size_t			 node_size;	/* wiped before free */
	unsigned char		 hkey[16];	/* crypto_shorthash_KEYBYTES */
};

/* node_size: sizeof the entry struct (the whole entry is wiped on removal). */
void	 auth_table_init(struct auth_table *t, size_t max, size_t node_size);
/* Free every entry and the buckets. */
void	 auth_table_free(struct auth_table *t);
struct auth_node *auth_table_find(struct auth_table *t, const char *key);
/*
 * Allocate a zeroed entry of node_size for key and insert it (the caller
 * checked that key is absent and made room). Returns the entry.
 */
struct auth_node *auth_table_add(struct auth_table *t, const char *key);
/* Remove and free the entry of key, if any. */
void	 auth_table_remove(struct auth_table *t, const char *key);
/*
 * Remove and free every entry for which drop(entry, arg) returns non-zero.
 * Returns how many were removed.
 */
size_t	 auth_table_sweep(struct auth_table *t,
	    int (*drop)(struct auth_node *, void *), void *arg);
/* The entry with the smallest rank(entry) (eviction), or NULL when empty. */
struct auth_node *auth_table_min(struct auth_table *t,
	    uint64_t (*rank)(const struct auth_node *));

#endif
