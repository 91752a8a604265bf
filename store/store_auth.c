/*
 * store_auth.c: login verification against the stored argon2id hashes.
 *
 * A login name is a user's address or an exact alias that expands to
 * exactly one local user (catch-alls never log in). Unknown logins verify
 * a dummy hash so that answering "no" takes about as long as a wrong
 * password (no user enumeration by timing). The read transaction is closed
 * before hashing: argon2id takes tens of milliseconds.
 */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "log.h"
#include "store_internal.h"
#include "util.h"

static char		dummy_hash[crypto_pwhash_STRBYTES];
static int		dummy_ok;
static pthread_once_t	dummy_once = PTHREAD_ONCE_INIT;

static void
dummy_init(void)
{
	char pw[32];

	randombytes_buf(pw, sizeof(pw));
	dummy_ok = crypto_pwhash_str(dummy_hash, pw, sizeof(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
}

static void
verify_dummy(const char *password)
{
	int rc;

	pthread_once(&dummy_once, dummy_init);
	if (!dummy_ok)
		return;
	/* The result is always "no"; only the time spent matters. */
	rc = crypto_pwhash_str_verify(dummy_hash, password, strlen(password));
	(void)rc;
}

/* Find the login's user id and hash; ENOTFOUND for unknown logins. */
static int
login_lookup(struct store *s, const char *address, uint64_t *id_r,
    char address_r[STORE_ADDRESS_MAX], char *hash, size_t hashlen)
{
	uint64_t ids[2];
	size_t n;
	MDB_txn *txn;
	int rc;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = store_user_get_txn(s, txn, address, id_r, hash, hashlen);
	if (rc == 0)
		str_copy(address_r, address, STORE_ADDRESS_MAX);
	else if (rc == STORE_ENOTFOUND) {
		rc = store_resolve_txn(s, txn, address, 0, ids, 2, &n);
		if (rc == 0 && n != 1)
			rc = STORE_ENOTFOUND;
		if (rc == 0 &&
		    (rc = store_user_address_txn(s, txn, ids[0], address_r)) == 0)
			rc = store_user_get_txn(s, txn, address_r, id_r, hash,
			    hashlen);
	}
	store_read_end(txn);
	return rc;
}

int
store_user_verify(struct store *s, const char *address, const char *password,
    struct store_user *user_r)
{
	char norm[STORE_ADDRESS_MAX], real[STORE_ADDRESS_MAX];
	char hash[STORE_HASH_MAX + 1];
	uint64_t id;
	int rc;

	if (password == NULL)
		return STORE_EINVAL;
	if (store_address_normalize(address, norm, 0, NULL) != 0) {
		verify_dummy(password);
		return 0;
	}
	rc = login_lookup(s, norm, &id, real, hash, sizeof(hash));
	if (rc == STORE_ENOTFOUND || rc == 1) {
		verify_dummy(password);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = crypto_pwhash_str_verify(hash, password, strlen(password));
	sodium_memzero(hash, sizeof(hash));
	if (rc != 0)
		return 0;
	if (user_r != NULL) {
		user_r->id = id;
		str_copy(user_r->address, real, sizeof(user_r->address));
	}
	return 1;
}
