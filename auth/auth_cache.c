/*
 * auth_cache.c: recently verified credentials, so that a client opening
 * five connections (Thunderbird) or more (Apple Mail) pays argon2id once,
 * not on each. Modelled on Dovecot's auth cache; the rules are in auth.h.
 *
 * An entry holds the login, a keyed BLAKE2b MAC of the password (the key
 * is random per process and never leaves it), the user and the argon2id
 * hash string the password was checked against, and its expiry. Nothing
 * in it lets anyone recover or test a password outside this process.
 * Only successes are cached: a failure must always cost the full check.
 * It does not decide the TTL (configuration) or log.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_table.h"
#include "log.h"
#include "util.h"

#define CACHE_MAC_BYTES		32

struct cache_entry {
	struct auth_node	 node;		/* first; key = folded login */
	unsigned char		 mac[CACHE_MAC_BYTES];
	char			 hash[STORE_PASSWORD_HASH_MAX];
	struct store_user	 user;
	uint64_t		 expires;	/* ms */
};

struct auth_cache {
	pthread_mutex_t		 mutex;
	struct auth_table	 table;
	unsigned char		 mac_key[crypto_generichash_KEYBYTES];
};

struct auth_cache *
auth_cache_new(size_t max_entries)
{
	struct auth_cache *c = xcalloc(1, sizeof(*c));

	if (pthread_mutex_init(&c->mutex, NULL) != 0)
		fatalx("auth_cache_new: mutex");
	auth_table_init(&c->table, max_entries, sizeof(struct cache_entry));
	randombytes_buf(c->mac_key, sizeof(c->mac_key));
	return c;
}

void
auth_cache_free(struct auth_cache **cp)
{
	struct auth_cache *c = *cp;

	if (c == NULL)
		return;
	auth_table_free(&c->table);
	pthread_mutex_destroy(&c->mutex);
	sodium_memzero(c, sizeof(*c));
	free(c);
	*cp = NULL;
}

size_t
auth_cache_size(struct auth_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->mutex);
	n = c->table.n;
	pthread_mutex_unlock(&c->mutex);
	return n;
}

/* The table key: the login folded, as the store folds addresses. */
static int
cache_key(const char *login, char key[AUTH_LOGIN_MAX])
{
	if (login == NULL || *login == '\0' ||
	    str_copy(key, login, AUTH_LOGIN_MAX) >= AUTH_LOGIN_MAX)
		return -1;
	str_lower(key);
	return 0;
}

static void
cache_mac(const struct auth_cache *c, const char *password,
    unsigned char mac[CACHE_MAC_BYTES])
{
	if (crypto_generichash(mac, CACHE_MAC_BYTES,
	    (const unsigned char *)password, strlen(password),
	    c->mac_key, sizeof(c->mac_key)) != 0)
		fatalx("auth_cache: BLAKE2b failed");
}

static int
entry_expired(struct auth_node *n, void *arg)
{
	return ((struct cache_entry *)n)->expires <= *(const uint64_t *)arg;
}

static uint64_t
entry_rank(const struct auth_node *n)
{
	return ((const struct cache_entry *)n)->expires;
}

int
auth_cache_lookup(struct auth_cache *c, const char *login,
    const char *password, uint64_t now, char *hash_r, size_t hashsize,
    struct store_user *user_r)
{
	unsigned char mac[CACHE_MAC_BYTES];
	char key[AUTH_LOGIN_MAX];
	struct cache_entry *e;
	int hit = 0;

	if (cache_key(login, key) < 0 || password == NULL)
		return 0;
	cache_mac(c, password, mac);
	pthread_mutex_lock(&c->mutex);
	e = (struct cache_entry *)auth_table_find(&c->table, key);
	if (e != NULL && e->expires <= now) {
		auth_table_remove(&c->table, key);
		e = NULL;
	}
	/* Constant time: the MAC of a wrong password must not leak by timing. */
	if (e != NULL && sodium_memcmp(e->mac, mac, sizeof(mac)) == 0 &&
	    str_copy(hash_r, e->hash, hashsize) < hashsize) {
		*user_r = e->user;
		hit = 1;
	}
	pthread_mutex_unlock(&c->mutex);
	sodium_memzero(mac, sizeof(mac));
	return hit;
}

void
auth_cache_add(struct auth_cache *c, const char *login, const char *password,
    const char *hash, const struct store_user *user, uint64_t now,
    uint64_t ttl_ms)
{
	char key[AUTH_LOGIN_MAX];
	struct cache_entry *e;
	struct auth_node *old;

	if (ttl_ms == 0 || cache_key(login, key) < 0 ||
	    strlen(hash) >= sizeof(e->hash))
		return;
	pthread_mutex_lock(&c->mutex);
	/* One entry per login: the newest verified password replaces it. */
	auth_table_remove(&c->table, key);
	if (c->table.n >= c->table.max &&
	    auth_table_sweep(&c->table, entry_expired, &now) == 0 &&
	    (old = auth_table_min(&c->table, entry_rank)) != NULL)
		auth_table_remove(&c->table, old->key);
	if (c->table.max > 0) {
		e = (struct cache_entry *)auth_table_add(&c->table, key);
		cache_mac(c, password, e->mac);
		str_copy(e->hash, hash, sizeof(e->hash));
		e->user = *user;
		e->expires = now + ttl_ms;
	}
	pthread_mutex_unlock(&c->mutex);
}

void
auth_cache_forget(struct auth_cache *c, const char *login)
{
	char key[AUTH_LOGIN_MAX];

	if (cache_key(login, key) < 0)
		return;
	pthread_mutex_lock(&c->mutex);
	auth_table_remove(&c->table, key);
	pthread_mutex_unlock(&c->mutex);
}

int
auth_cache_check(struct auth_cache *c, struct store *store, const char *login,
    const char *password, uint64_t now, struct store_user *user_r)
{
	char cached[STORE_PASSWORD_HASH_MAX], current[STORE_PASSWORD_HASH_MAX];
	struct store_user cu, su;
	int ok = 0;

	if (!auth_cache_lookup(c, login, password, now, cached, sizeof(cached), &cu))
		return 0;
	/*
	 * The hash strings embed a random salt: any password change, even to
	 * the same password, gives a different string. A user deleted and
	 * re-created gets a new id.
	 */
	if (store_user_password_hash(store, login, current, sizeof(current), &su) == 0 &&
	    su.id == cu.id && strcmp(current, cached) == 0) {
		*user_r = su;
		ok = 1;
	} else
		auth_cache_forget(c, login);
	sodium_memzero(cached, sizeof(cached));
	sodium_memzero(current, sizeof(current));
	return ok;
}
