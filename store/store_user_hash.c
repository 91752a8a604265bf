/*
 * store_user_hash.c: read a login's stored argon2id hash string, for the
 * credentials cache of auth/ (auth_cache.c): a cached login is only valid
 * while the user's stored hash is still the one it was verified against,
 * so a password change (the CLI, another process) invalidates it at once.
 *
 * The login resolves as in store_user_verify(): a user's address, or an
 * exact alias that expands to exactly one local user (catch-alls never log
 * in). It does not verify anything and never hashes: one short read.
 */
#include <string.h>

#include "store_internal.h"
#include "util.h"

/* Inside txn: the user (by address, else by alias) and its hash. */
static int
hash_lookup_txn(struct store *s, MDB_txn *txn, const char *norm,
    uint64_t *id_r, char address_r[STORE_ADDRESS_MAX], char *hash,
    size_t hashlen)
{
	uint64_t ids[2];
	size_t n = 0;
	int rc;

	rc = store_user_get_txn(s, txn, norm, id_r, hash, hashlen);
	if (rc == 0) {
		str_copy(address_r, norm, STORE_ADDRESS_MAX);
		return 0;
	}
	if (rc != STORE_ENOTFOUND)
		return rc;
	/* catchall = 0: "@domain" must not turn any address into a login. */
	rc = store_resolve_txn(s, txn, norm, 0, ids, 2, &n);
	if (rc == 1 || (rc == 0 && n != 1))
		return STORE_ENOTFOUND;
	if (rc != 0)
		return rc;
	if ((rc = store_user_address_txn(s, txn, ids[0], address_r)) != 0)
		return rc;
	return store_user_get_txn(s, txn, address_r, id_r, hash, hashlen);
}

int
store_user_password_hash(struct store *s, const char *address, char *hash,
    size_t hashlen, struct store_user *user_r)
{
	char norm[STORE_ADDRESS_MAX], real[STORE_ADDRESS_MAX];
	uint64_t id = 0;
	MDB_txn *txn;
	int rc;

	if (hash == NULL || hashlen == 0)
		return STORE_EINVAL;
	hash[0] = '\0';
	if (store_address_normalize(address, norm, 0, NULL) != 0)
		return STORE_ENOTFOUND;		/* no such login can exist */
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = hash_lookup_txn(s, txn, norm, &id, real, hash, hashlen);
	store_read_end(txn);
	if (rc != 0) {
		hash[0] = '\0';
		return rc;
	}
	if (user_r != NULL) {
		user_r->id = id;
		str_copy(user_r->address, real, sizeof(user_r->address));
	}
	return 0;
}
