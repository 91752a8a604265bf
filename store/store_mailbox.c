/*
 * store_mailbox.c: mailboxes: look up by (user, name) or id, list a
 * user's mailboxes, and the in-transaction helpers the message, user and
 * mailbox-operation code share (load, save, create, destroy).
 *
 * UIDVALIDITY comes from a store-wide counter that is at least the current
 * time and strictly increasing, so a mailbox deleted and created again
 * under the same name never gets the same UIDVALIDITY (RFC 3501 2.3.1.1).
 * HIGHESTMODSEQ starts at 1; each change takes the next value (RFC 7162).
 * The requests that create, delete and rename mailboxes are in
 * store_mailbox_ops.c and store_rename.c. The subscribed field comes from
 * the subscriptions DB (store_subscribe.c), filled in by the public reads.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"
#include "util.h"

static int
mailbox_get_key(struct store *s, MDB_txn *txn, const MDB_val *key,
    struct store_mailbox *mb_r)
{
	MDB_val v;
	int rc;

	rc = mdb_get(txn, s->dbi[DB_MAILBOXES], (MDB_val *)key, &v);
	if (rc != 0)
		return store_lmdb_error(rc);
	return store_mailbox_decode(key, &v, mb_r);
}

/* Load a mailbox by user and normalized name. */
int
store_mailbox_load(struct store *s, MDB_txn *txn, uint64_t user_id,
    const char *name, struct store_mailbox *mb_r)
{
	uint8_t key[STORE_MAILBOX_KEY_MAX];
	MDB_val k;

	if (strlen(name) > STORE_MAILBOX_NAME_LEN)
		return STORE_ENOTFOUND;
	k.mv_size = store_mailbox_key(key, user_id, name);
	k.mv_data = key;
	return mailbox_get_key(s, txn, &k, mb_r);
}

int
store_mailbox_load_id(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    struct store_mailbox *mb_r)
{
	uint8_t idkey[8];
	MDB_val k = { sizeof(idkey), idkey }, v;
	int rc;

	store_put_be64(idkey, mailbox_id);
	rc = mdb_get(txn, s->dbi[DB_MAILBOX_IDS], &k, &v);
	if (rc != 0)
		return store_lmdb_error(rc);
	if (v.mv_size < 9 || v.mv_size > STORE_MAILBOX_KEY_MAX)
		return STORE_EIO;
	if ((rc = mailbox_get_key(s, txn, &v, mb_r)) != 0)
		return rc == STORE_ENOTFOUND ? STORE_EIO : rc;
	return mb_r->id == mailbox_id ? 0 : STORE_EIO;
}

int
store_mailbox_save(struct store *s, MDB_txn *txn,
    const struct store_mailbox *mb)
{
	uint8_t key[STORE_MAILBOX_KEY_MAX], rec[STORE_MAILBOX_REC_LEN];
	MDB_val k, v = { sizeof(rec), rec };

	k.mv_size = store_mailbox_key(key, mb->user_id, mb->name);
	k.mv_data = key;
	store_mailbox_encode(mb, rec);
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_MAILBOXES], &k, &v, 0));
}

/* The next UIDVALIDITY: > every earlier one, and >= now when possible. */
static int
next_uidvalidity(struct store *s, MDB_txn *txn, uint32_t *uv_r)
{
	uint64_t last = 0, now = (uint64_t)time(NULL), uv;
	int rc;

	rc = store_meta_get(s, txn, META_LAST_UIDVALIDITY, &last);
	if (rc != 0 && rc != STORE_ENOTFOUND)
		return rc;
	uv = last + 1 > now ? last + 1 : now;
	if (uv > UINT32_MAX)
		return STORE_ETOOBIG;
	if ((rc = store_meta_put(s, txn, META_LAST_UIDVALIDITY, uv)) != 0)
		return rc;
	*uv_r = (uint32_t)uv;
	return 0;
}

/* Create a mailbox (name normalized); STORE_EEXIST if it exists. */
int
store_mailbox_create_txn(struct store *s, MDB_txn *txn, uint64_t user_id,
    const char *name, int special_use, int subscribed,
    struct store_mailbox *mb_r)
{
	uint8_t key[STORE_MAILBOX_KEY_MAX], idkey[8];
	struct store_mailbox mb;
	MDB_val k, v;
	int rc;

	memset(&mb, 0, sizeof(mb));
	rc = store_mailbox_load(s, txn, user_id, name, &mb);
	if (rc != STORE_ENOTFOUND)
		return rc == 0 ? STORE_EEXIST : rc;
	memset(&mb, 0, sizeof(mb));
	if ((rc = store_meta_next(s, txn, META_NEXT_MAILBOX_ID, &mb.id)) != 0 ||
	    (rc = next_uidvalidity(s, txn, &mb.uidvalidity)) != 0)
		return rc;
	mb.user_id = user_id;
	str_copy(mb.name, name, sizeof(mb.name));
	mb.uidnext = 1;
	mb.highestmodseq = 1;
	mb.special_use = special_use;
	if ((rc = store_mailbox_save(s, txn, &mb)) != 0)
		return rc;
	if (subscribed &&
	    (rc = store_subscription_put(s, txn, user_id, name)) != 0)
		return rc;
	mb.subscribed = subscribed || store_subscription_get(s, txn, user_id,
	    name) == 0;
	store_put_be64(idkey, mb.id);
	k.mv_size = sizeof(idkey);
	k.mv_data = idkey;
	v.mv_size = store_mailbox_key(key, user_id, name);
	v.mv_data = key;
	rc = mdb_put(txn, s->dbi[DB_MAILBOX_IDS], &k, &v, MDB_NOOVERWRITE);
	if (rc != 0)
		return store_lmdb_error(rc);
	if (mb_r != NULL)
		*mb_r = mb;
	return 0;
}

/*
 * Delete every entry of db whose key starts with the 8-byte prefix
 * (messages: dropping their blob references).
 */
int
store_delete_prefix(struct store *s, MDB_txn *txn, enum store_db db,
    const uint8_t prefix[8])
{
	struct store_message m;
	MDB_cursor *c;
	MDB_val k, v;
	int rc, err = 0;

	if ((rc = mdb_cursor_open(txn, s->dbi[db], &c)) != 0)
		return store_lmdb_error(rc);
	for (;;) {
		k.mv_size = 8;
		k.mv_data = (void *)prefix;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc != 0 || k.mv_size < 8 || memcmp(k.mv_data, prefix, 8))
			break;
		if (db == DB_MESSAGES &&
		    ((err = store_message_decode(&k, &v, &m)) != 0 ||
		    (err = store_blob_unref(s, txn, m.blob_id)) != 0))
			break;
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
	}
	mdb_cursor_close(c);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/*
 * Delete a mailbox with everything keyed by its id: messages (dropping
 * blob refs), MODSEQ index, expunge log, keyword table. For user delete;
 * an IMAP DELETE logs its expunges instead (store_mailbox_ops.c).
 */
int
store_mailbox_destroy_txn(struct store *s, MDB_txn *txn,
    const struct store_mailbox *mb)
{
	uint8_t key[STORE_MAILBOX_KEY_MAX], idkey[8];
	MDB_val k;
	int rc;

	store_put_be64(idkey, mb->id);
	if ((rc = store_delete_prefix(s, txn, DB_MESSAGES, idkey)) != 0 ||
	    (rc = store_delete_prefix(s, txn, DB_MODSEQS, idkey)) != 0 ||
	    (rc = store_delete_prefix(s, txn, DB_EXPUNGES, idkey)) != 0 ||
	    (rc = store_delete_prefix(s, txn, DB_KEYWORDS, idkey)) != 0)
		return rc;
	k.mv_size = sizeof(idkey);
	k.mv_data = idkey;
	rc = mdb_del(txn, s->dbi[DB_MAILBOX_IDS], &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_error(rc);
	k.mv_size = store_mailbox_key(key, mb->user_id, mb->name);
	k.mv_data = key;
	return store_lmdb_error(mdb_del(txn, s->dbi[DB_MAILBOXES], &k, NULL));
}

int
store_user_exists_txn(struct store *s, MDB_txn *txn, uint64_t user_id)
{
	char address[STORE_ADDRESS_MAX];

	return store_user_address_txn(s, txn, user_id, address);
}

/* Public reads: the subscribed field from the subscriptions DB. */
static int
fill_subscribed(struct store *s, MDB_txn *txn, struct store_mailbox *mb)
{
	int rc = store_subscription_get(s, txn, mb->user_id, mb->name);

	if (rc != 0 && rc != STORE_ENOTFOUND)
		return rc;
	mb->subscribed = rc == 0;
	return 0;
}

int
store_mailbox_get(struct store *s, uint64_t user_id, const char *name,
    struct store_mailbox *mb_r)
{
	char norm[STORE_MAILBOX_NAME_MAX];
	MDB_txn *txn;
	int rc;

	if ((rc = store_mailbox_name_normalize(name, norm)) != 0)
		return rc == STORE_ETOOBIG ? STORE_ENOTFOUND : rc;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((rc = store_mailbox_load(s, txn, user_id, norm, mb_r)) == 0)
		rc = fill_subscribed(s, txn, mb_r);
	store_read_end(txn);
	return rc;
}

int
store_mailbox_get_id(struct store *s, uint64_t mailbox_id,
    struct store_mailbox *mb_r)
{
	MDB_txn *txn;
	int rc;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((rc = store_mailbox_load_id(s, txn, mailbox_id, mb_r)) == 0)
		rc = fill_subscribed(s, txn, mb_r);
	store_read_end(txn);
	return rc;
}

int
store_mailbox_list(struct store *s, uint64_t user_id,
    int (*cb)(void *arg, const struct store_mailbox *mb), void *arg)
{
	struct store_mailbox mb;
	uint8_t prefix[8];
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, err;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	if ((err = store_user_exists_txn(s, txn, user_id)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dbi[DB_MAILBOXES], &c)) != 0) {
		store_read_end(txn);
		return err != 0 ? err : store_lmdb_error(rc);
	}
	store_put_be64(prefix, user_id);
	k.mv_size = sizeof(prefix);
	k.mv_data = prefix;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 8 || memcmp(k.mv_data, prefix, 8) != 0)
			break;
		if ((err = store_mailbox_decode(&k, &v, &mb)) != 0 ||
		    (err = fill_subscribed(s, txn, &mb)) != 0 ||
		    cb(arg, &mb) != 0)
			break;
	}
	mdb_cursor_close(c);
	store_read_end(txn);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}
