/*
 * store_user.c: users: add (with their default mailboxes), password
 * change, delete (with all their mail), lookups and listing.
 *
 * Password hashing (argon2id, deliberately slow) runs in the calling
 * thread before the request is queued, never on the writer thread, so a
 * user add does not stall everyone's deliveries. Login verification is in
 * store_auth.c.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

enum user_op { USER_ADD, USER_PASSWD, USER_DEL };

struct user_req {
	struct store_req	 base;
	enum user_op		 op;
	char			 address[STORE_ADDRESS_MAX];
	char			 hash[crypto_pwhash_STRBYTES];
};

/* Every user gets these, subscribed (RFC 6154 special-use). */
static const struct {
	const char	*name;
	int		 special_use;
} default_mailboxes[] = {
	{ "INBOX", SPECIAL_USE_NONE },
	{ "Sent", SPECIAL_USE_SENT },
	{ "Drafts", SPECIAL_USE_DRAFTS },
	{ "Trash", SPECIAL_USE_TRASH },
	{ "Junk", SPECIAL_USE_JUNK },
	{ "Archive", SPECIAL_USE_ARCHIVE },
};

static int	user_add_txn(struct store *s, MDB_txn *txn, struct user_req *req);
static int	user_passwd_txn(struct store *s, MDB_txn *txn,
		    struct user_req *req);
static int	user_del_txn(struct store *s, MDB_txn *txn, struct user_req *req);

static void
user_req_free(struct store_req *r)
{
	struct user_req *req = (struct user_req *)r;

	sodium_memzero(req->hash, sizeof(req->hash));
	free(req);
}

/* Look up a user by (normalized) address: its id and, if hash != NULL, hash. */
int
store_user_get_txn(struct store *s, MDB_txn *txn, const char *address,
    uint64_t *id_r, char *hash, size_t hashlen)
{
	MDB_val k = { strlen(address), (void *)address }, v;
	int rc;

	rc = mdb_get(txn, s->dbi[DB_USERS], &k, &v);
	if (rc != 0)
		return store_lmdb_error(rc);
	return store_user_decode(&v, id_r, hash, hashlen);
}

int
store_user_address_txn(struct store *s, MDB_txn *txn, uint64_t id,
    char address[STORE_ADDRESS_MAX])
{
	uint8_t key[8];
	MDB_val k = { sizeof(key), key }, v;
	int rc;

	store_put_be64(key, id);
	rc = mdb_get(txn, s->dbi[DB_USERS_BY_ID], &k, &v);
	if (rc != 0)
		return store_lmdb_error(rc);
	if (v.mv_size == 0 || v.mv_size >= STORE_ADDRESS_MAX)
		return STORE_EIO;
	memcpy(address, v.mv_data, v.mv_size);
	address[v.mv_size] = '\0';
	return 0;
}

static int
user_add_txn(struct store *s, MDB_txn *txn, struct user_req *req)
{
	MDB_val k = { strlen(req->address), req->address }, v;
	uint8_t rec[STORE_USER_REC_MIN + STORE_HASH_MAX], idkey[8];
	const char *domain = strrchr(req->address, '@') + 1;
	char *targets;
	uint64_t id;
	size_t i;
	int rc;

	if ((rc = store_domain_is_local(s, txn, domain)) <= 0)
		return rc == 0 ? STORE_ENOTFOUND : rc;
	rc = store_alias_get_txn(s, txn, req->address, &targets);
	if (rc == 0) {
		free(targets);
		return STORE_EEXIST;	/* an alias already owns the address */
	}
	if (rc != STORE_ENOTFOUND)
		return rc;
	if ((rc = mdb_get(txn, s->dbi[DB_USERS], &k, &v)) != MDB_NOTFOUND)
		return rc == 0 ? STORE_EEXIST : store_lmdb_error(rc);
	if ((rc = store_meta_next(s, txn, META_NEXT_USER_ID, &id)) != 0)
		return rc;
	v.mv_size = store_user_encode(id, req->hash, rec, sizeof(rec));
	v.mv_data = rec;
	if (v.mv_size == 0)
		return STORE_EINVAL;
	if ((rc = mdb_put(txn, s->dbi[DB_USERS], &k, &v, MDB_NOOVERWRITE)) != 0)
		return store_lmdb_error(rc);
	store_put_be64(idkey, id);
	k.mv_size = sizeof(idkey);
	k.mv_data = idkey;
	v.mv_size = strlen(req->address);
	v.mv_data = req->address;
	if ((rc = mdb_put(txn, s->dbi[DB_USERS_BY_ID], &k, &v,
	    MDB_NOOVERWRITE)) != 0)
		return store_lmdb_error(rc);
	for (i = 0; i < sizeof(default_mailboxes) / sizeof(default_mailboxes[0]);
	    i++) {
		rc = store_mailbox_create_txn(s, txn, id,
		    default_mailboxes[i].name, default_mailboxes[i].special_use,
		    1, NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
user_passwd_txn(struct store *s, MDB_txn *txn, struct user_req *req)
{
	MDB_val k = { strlen(req->address), req->address }, v;
	uint8_t rec[STORE_USER_REC_MIN + STORE_HASH_MAX];
	uint64_t id;
	int rc;

	if ((rc = store_user_get_txn(s, txn, req->address, &id, NULL, 0)) != 0)
		return rc;
	v.mv_size = store_user_encode(id, req->hash, rec, sizeof(rec));
	v.mv_data = rec;
	if (v.mv_size == 0)
		return STORE_EINVAL;
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_USERS], &k, &v, 0));
}

/*
 * Delete every mailbox of the user (messages, blob refs), the user's
 * subscriptions, then the user.
 */
static int
user_del_txn(struct store *s, MDB_txn *txn, struct user_req *req)
{
	MDB_val k = { strlen(req->address), req->address };
	struct store_mailbox mb;
	MDB_cursor *c;
	uint8_t idkey[8];
	uint64_t id;
	int rc;

	if ((rc = store_user_get_txn(s, txn, req->address, &id, NULL, 0)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MAILBOXES], &c)) != 0)
		return store_lmdb_error(rc);
	for (;;) {
		MDB_val mk, mv;

		store_put_be64(idkey, id);
		mk.mv_size = sizeof(idkey);
		mk.mv_data = idkey;
		rc = mdb_cursor_get(c, &mk, &mv, MDB_SET_RANGE);
		if (rc != 0 || mk.mv_size < 8 ||
		    store_get_be64(mk.mv_data) != id) {
			rc = rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
			break;
		}
		if ((rc = store_mailbox_decode(&mk, &mv, &mb)) != 0 ||
		    (rc = store_mailbox_destroy_txn(s, txn, &mb)) != 0)
			break;
		store_req_changed(&req->base, id, mb.id);
	}
	mdb_cursor_close(c);
	if (rc != 0 || (rc = store_subscriptions_drop(s, txn, id)) != 0)
		return rc;
	if ((rc = mdb_del(txn, s->dbi[DB_USERS], &k, NULL)) != 0)
		return store_lmdb_error(rc);
	store_put_be64(idkey, id);
	k.mv_size = sizeof(idkey);
	k.mv_data = idkey;
	rc = mdb_del(txn, s->dbi[DB_USERS_BY_ID], &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

static int
user_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct user_req *req = (struct user_req *)r;

	switch (req->op) {
	case USER_ADD:
		return user_add_txn(s, txn, req);
	case USER_PASSWD:
		return user_passwd_txn(s, txn, req);
	case USER_DEL:
		return user_del_txn(s, txn, req);
	}
	return STORE_EINVAL;
}

/* Build a request; hashes the password (slow, on this thread) when given. */
static int
user_req_new(enum user_op op, const char *address, const char *password,
    struct user_req **req_r)
{
	struct user_req *req;
	char norm[STORE_ADDRESS_MAX];
	size_t plen;

	if (store_address_normalize(address, norm, op == USER_ADD ?
	    STORE_ADDR_STRICT : 0, NULL) != 0)
		return STORE_EINVAL;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, user_apply, user_req_free);
	req->op = op;
	str_copy(req->address, norm, sizeof(req->address));
	if (op != USER_DEL) {
		if (password == NULL || (plen = strlen(password)) == 0 ||
		    plen > STORE_PASSWORD_MAX) {
			user_req_free(&req->base);
			return STORE_EINVAL;
		}
		if (crypto_pwhash_str(req->hash, password, plen,
		    crypto_pwhash_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
			user_req_free(&req->base);
			return STORE_ENOMEM;
		}
	}
	*req_r = req;
	return 0;
}

static int
user_write(struct store *s, enum user_op op, const char *address,
    const char *password)
{
	struct user_req *req;
	int rc;

	if ((rc = user_req_new(op, address, password, &req)) != 0)
		return rc;
	return store_submit_wait(s, &req->base);
}

int
store_user_add(struct store *s, const char *address, const char *password)
{
	return user_write(s, USER_ADD, address, password);
}

int
store_user_passwd(struct store *s, const char *address, const char *password)
{
	return user_write(s, USER_PASSWD, address, password);
}

int
store_user_del(struct store *s, const char *address)
{
	return user_write(s, USER_DEL, address, NULL);
}

int
store_user_lookup(struct store *s, const char *address,
    struct store_user *user_r)
{
	char norm[STORE_ADDRESS_MAX];
	MDB_txn *txn;
	uint64_t id;
	int rc;

	if (store_address_normalize(address, norm, 0, NULL) != 0)
		return STORE_EINVAL;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = store_user_get_txn(s, txn, norm, &id, NULL, 0);
	store_read_end(txn);
	if (rc == 0 && user_r != NULL) {
		user_r->id = id;
		str_copy(user_r->address, norm, sizeof(user_r->address));
	}
	return rc;
}

int
store_user_lookup_id(struct store *s, uint64_t user_id,
    struct store_user *user_r)
{
	char address[STORE_ADDRESS_MAX];
	MDB_txn *txn;
	int rc;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = store_user_address_txn(s, txn, user_id, address);
	store_read_end(txn);
	if (rc == 0 && user_r != NULL) {
		user_r->id = user_id;
		str_copy(user_r->address, address, sizeof(user_r->address));
	}
	return rc;
}

int
store_user_list(struct store *s,
    int (*cb)(void *arg, const struct store_user *user), void *arg)
{
	struct store_user user;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, err = 0;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_USERS], &c)) != 0) {
		store_read_end(txn);
		return store_lmdb_error(rc);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size >= STORE_ADDRESS_MAX ||
		    (err = store_user_decode(&v, &user.id, NULL, 0)) != 0) {
			err = STORE_EIO;
			break;
		}
		memcpy(user.address, k.mv_data, k.mv_size);
		user.address[k.mv_size] = '\0';
		if (cb(arg, &user) != 0)
			break;
	}
	mdb_cursor_close(c);
	store_read_end(txn);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}
