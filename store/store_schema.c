/*
 * store_schema.c: the schema version of the store, the named databases
 * each version has, and the migrations from one version to the next.
 *
 * At open, inside one write transaction: a new environment gets the
 * current layout; an older one is migrated step by step (each step
 * vN -> vN+1 is a function below, all steps share the transaction, so a
 * crash mid-way leaves the old store untouched); a newer one is refused
 * with STORE_EVERSION, because an old binary cannot know what a newer
 * layout means. This file does not hold the record codecs of the current
 * version (store_record.c) but does keep the decoders of old layouts.
 *
 * History:
 *   v1  initial layout; mailbox record layout 1 without unseen and size.
 *   v2  adds the expunges DB (mailbox id, modseq) -> uid for QRESYNC and
 *       the unseen and size counters (mailbox record layout 2).
 *   v3  IMAP: keywords per message (message record layout 2) with a
 *       keyword table per mailbox, the MODSEQ index, subscriptions by
 *       name (moved out of the mailbox record) and the blob cache.
 *   v4  the outbound queue: the queue DB (id -> entry) and its schedule
 *       queue_due (next_attempt + id); nothing existing changes.
 */
#include <string.h>

#include "log.h"
#include "store_internal.h"
#include "util.h"

static const char *const db_names[DB_COUNT] = {
	[DB_META] = "meta",
	[DB_DOMAINS] = "domains",
	[DB_USERS] = "users",
	[DB_USERS_BY_ID] = "users_by_id",
	[DB_ALIASES] = "aliases",
	[DB_MAILBOXES] = "mailboxes",
	[DB_MAILBOX_IDS] = "mailbox_ids",
	[DB_MESSAGES] = "messages",
	[DB_EXPUNGES] = "expunges",
	[DB_BLOBS] = "blobs",
	[DB_BLOB_REFS] = "blob_refs",
	[DB_MODSEQS] = "modseqs",
	[DB_KEYWORDS] = "keywords",
	[DB_SUBSCRIPTIONS] = "subscriptions",
	[DB_BLOB_CACHE] = "blob_cache",
	[DB_QUEUE] = "queue",
	[DB_QUEUE_DUE] = "queue_due",
};

/* The schema version that introduced each DB. */
static const int db_since[DB_COUNT] = {
	[DB_META] = 1, [DB_DOMAINS] = 1, [DB_USERS] = 1, [DB_USERS_BY_ID] = 1,
	[DB_ALIASES] = 1, [DB_MAILBOXES] = 1, [DB_MAILBOX_IDS] = 1,
	[DB_MESSAGES] = 1, [DB_EXPUNGES] = 2, [DB_BLOBS] = 1,
	[DB_BLOB_REFS] = 1, [DB_MODSEQS] = 3, [DB_KEYWORDS] = 3,
	[DB_SUBSCRIPTIONS] = 3, [DB_BLOB_CACHE] = 3,
	[DB_QUEUE] = 4, [DB_QUEUE_DUE] = 4,
};

static int	migrate_v1_v2(struct store *s, MDB_txn *txn);
static int	migrate_v2_v3(struct store *s, MDB_txn *txn);
static int	migrate_v3_v4(struct store *s, MDB_txn *txn);

struct migration {
	int		 from;
	const char	*what;
	int		(*run)(struct store *, MDB_txn *);
};

/* migrations[i] takes a store from version i + 1 to i + 2. */
static const struct migration migrations[] = {
	{ 1, "expunge log, unseen and size counters", migrate_v1_v2 },
	{ 2, "keywords, MODSEQ index, subscriptions, blob cache",
	    migrate_v2_v3 },
	{ 3, "outbound queue", migrate_v3_v4 },
};

static int	open_dbs(struct store *s, MDB_txn *txn, int version,
		    unsigned int flags);
static int	create_fresh(struct store *s, MDB_txn *txn, char *err,
		    size_t errlen);
static int	migrate(struct store *s, MDB_txn *txn, int version, char *err,
		    size_t errlen);

/* Open every DB that exists at version (creating it with MDB_CREATE). */
static int
open_dbs(struct store *s, MDB_txn *txn, int version, unsigned int flags)
{
	int i, rc;

	for (i = 0; i < DB_COUNT; i++) {
		if (db_since[i] > version)
			continue;
		rc = mdb_dbi_open(txn, db_names[i], flags, &s->dbi[i]);
		if (rc != 0) {
			log_error("store: cannot open database %s: %s",
			    db_names[i], mdb_strerror(rc));
			return rc == MDB_NOTFOUND ? STORE_EIO :
			    store_lmdb_error(rc);
		}
	}
	return 0;
}

static int
create_fresh(struct store *s, MDB_txn *txn, char *err, size_t errlen)
{
	MDB_dbi main_dbi;
	MDB_stat st;
	int rc;

	/* No meta DB: only an empty environment may be initialized. */
	if ((rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) != 0 ||
	    (rc = mdb_stat(txn, main_dbi, &st)) != 0) {
		str_format(err, errlen, "cannot read the store: %s",
		    mdb_strerror(rc));
		return store_lmdb_error(rc);
	}
	if (st.ms_entries != 0) {
		str_format(err, errlen, "the store has data but no schema "
		    "version: not a posthorn store, or corrupt");
		return STORE_EIO;
	}
	if ((rc = open_dbs(s, txn, STORE_SCHEMA_VERSION, MDB_CREATE)) != 0 ||
	    (rc = store_meta_put(s, txn, META_SCHEMA_VERSION,
	    STORE_SCHEMA_VERSION)) != 0) {
		str_format(err, errlen, "cannot create the store: %s",
		    store_strerror(rc));
		return rc;
	}
	s->schema_version = STORE_SCHEMA_VERSION;
	return 0;
}

static int
migrate(struct store *s, MDB_txn *txn, int version, char *err, size_t errlen)
{
	const struct migration *m;
	int rc;

	for (; version < STORE_SCHEMA_VERSION; version++) {
		m = &migrations[version - 1];
		log_info("store: migrating schema v%d -> v%d: %s", m->from,
		    m->from + 1, m->what);
		if ((rc = m->run(s, txn)) != 0) {
			str_format(err, errlen, "migration of the store from "
			    "schema v%d to v%d failed: %s", m->from,
			    m->from + 1, store_strerror(rc));
			return rc;
		}
	}
	if ((rc = store_meta_put(s, txn, META_SCHEMA_VERSION,
	    STORE_SCHEMA_VERSION)) != 0) {
		str_format(err, errlen, "cannot record the schema version: %s",
		    store_strerror(rc));
		return rc;
	}
	return 0;
}

int
store_schema_setup(struct store *s, MDB_txn *txn, char *err, size_t errlen)
{
	uint64_t version;
	int rc;

	_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
	    STORE_SCHEMA_VERSION - 1, "one migration per schema version");

	rc = mdb_dbi_open(txn, db_names[DB_META], 0, &s->dbi[DB_META]);
	if (rc == MDB_NOTFOUND)
		return create_fresh(s, txn, err, errlen);
	if (rc != 0) {
		str_format(err, errlen, "cannot open the store's meta "
		    "database: %s", mdb_strerror(rc));
		return store_lmdb_error(rc);
	}
	rc = store_meta_get(s, txn, META_SCHEMA_VERSION, &version);
	if (rc != 0 || version == 0) {
		str_format(err, errlen, "the store records no valid schema "
		    "version: corrupt");
		return STORE_EIO;
	}
	if (version > STORE_SCHEMA_VERSION) {
		str_format(err, errlen, "store schema version %llu is newer "
		    "than this posthorn (%d); upgrade posthorn",
		    (unsigned long long)version, STORE_SCHEMA_VERSION);
		return STORE_EVERSION;
	}
	if ((rc = open_dbs(s, txn, (int)version, 0)) != 0) {
		str_format(err, errlen, "the store lacks a database of schema "
		    "v%d: corrupt", (int)version);
		return rc;
	}
	if ((int)version < STORE_SCHEMA_VERSION &&
	    (rc = migrate(s, txn, (int)version, err, errlen)) != 0)
		return rc;
	s->schema_version = STORE_SCHEMA_VERSION;
	return 0;
}

/* ------------------------------------------------------------ v1 -> v2 */

/*
 * Mailbox record layout 1 (schema v1), 36 bytes, integers LE:
 *   0 u8 version (1)  1 u8 special_use  2 u8 flags (bit 0 subscribed)
 *   3 u8 reserved     4 u32 uidvalidity 8 u32 uidnext  12 u32 messages
 *   16 u32 recent     20 u64 id         28 u64 highestmodseq
 */
static int
mailbox_decode_v1(const MDB_val *key, const MDB_val *val,
    struct store_mailbox *mb)
{
	const uint8_t *k = key->mv_data, *p = val->mv_data;
	size_t namelen;

	if (key->mv_size < 9 || key->mv_size > STORE_MAILBOX_KEY_MAX ||
	    val->mv_size != STORE_MAILBOX_REC_V1_LEN || p[0] != 1)
		return STORE_EIO;
	memset(mb, 0, sizeof(*mb));
	mb->user_id = store_get_be64(k);
	namelen = key->mv_size - 8;
	memcpy(mb->name, k + 8, namelen);
	mb->name[namelen] = '\0';
	mb->special_use = p[1];
	mb->subscribed = p[2] & 1;
	mb->uidvalidity = store_get_le32(p + 4);
	mb->uidnext = store_get_le32(p + 8);
	mb->messages = store_get_le32(p + 12);
	mb->recent = store_get_le32(p + 16);
	mb->id = store_get_le64(p + 20);
	mb->highestmodseq = store_get_le64(p + 28);
	return 0;
}

/*
 * Message record layout 1 (schema v1 and v2), 40 bytes: layout 2 without
 * the keywords at 40.
 */
static int
message_decode_v1(const MDB_val *key, const MDB_val *val,
    struct store_message *m)
{
	const uint8_t *p = val->mv_data;

	if (key->mv_size != 12 || val->mv_size != STORE_MESSAGE_REC_V1_LEN ||
	    p[0] != 1)
		return STORE_EIO;
	memset(m, 0, sizeof(*m));
	m->uid = store_get_be32((const uint8_t *)key->mv_data + 8);
	m->flags = store_get_le32(p + 4);
	m->blob_id = store_get_le64(p + 8);
	m->size = store_get_le64(p + 16);
	m->internaldate = (int64_t)store_get_le64(p + 24);
	m->modseq = store_get_le64(p + 32);
	return 0;
}

/* Recount a mailbox's counters from its messages (v1 kept only some). */
static int
recount(struct store *s, MDB_txn *txn, struct store_mailbox *mb)
{
	MDB_cursor *c;
	MDB_val k, v;
	struct store_message m;
	uint8_t key[12];
	int rc, err = 0;

	mb->messages = mb->unseen = mb->recent = 0;
	mb->size = 0;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MESSAGES], &c)) != 0)
		return store_lmdb_error(rc);
	store_message_key(key, mb->id, 0);
	k.mv_size = sizeof(key);
	k.mv_data = key;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 12 || store_get_be64(k.mv_data) != mb->id)
			break;
		if ((err = message_decode_v1(&k, &v, &m)) != 0)
			break;
		mb->messages++;
		mb->size += m.size;
		if (!(m.flags & STORE_FLAG_SEEN))
			mb->unseen++;
		if (m.flags & STORE_FLAG_RECENT)
			mb->recent++;
		/* Never let UIDNEXT/HIGHESTMODSEQ fall behind a message. */
		if (m.uid >= mb->uidnext)
			mb->uidnext = m.uid + 1;
		if (m.modseq > mb->highestmodseq)
			mb->highestmodseq = m.modseq;
	}
	mdb_cursor_close(c);
	if (err != 0)
		return err;
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

static int
migrate_v1_v2(struct store *s, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	struct store_mailbox mb;
	uint8_t key[STORE_MAILBOX_KEY_MAX], rec[STORE_MAILBOX_REC_LEN];
	size_t keylen;
	int rc, err = 0;

	rc = mdb_dbi_open(txn, db_names[DB_EXPUNGES], MDB_CREATE,
	    &s->dbi[DB_EXPUNGES]);
	if (rc != 0)
		return store_lmdb_error(rc);
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MAILBOXES], &c)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if ((err = mailbox_decode_v1(&k, &v, &mb)) != 0 ||
		    (err = recount(s, txn, &mb)) != 0)
			break;
		store_mailbox_encode(&mb, rec);
		rec[2] = mb.subscribed ? 1 : 0;	/* where v2 kept it */
		keylen = k.mv_size;
		memcpy(key, k.mv_data, keylen);
		k.mv_data = key;
		v.mv_size = sizeof(rec);
		v.mv_data = rec;
		/*
		 * The record grows, so the page may split: put, then find our
		 * place again by key rather than trust the cursor.
		 */
		if ((rc = mdb_put(txn, s->dbi[DB_MAILBOXES], &k, &v, 0)) != 0 ||
		    (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY)) != 0) {
			err = store_lmdb_error(rc);
			break;
		}
	}
	mdb_cursor_close(c);
	if (err != 0)
		return err;
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* ------------------------------------------------------------ v2 -> v3 */

/* Create the DBs that schema version brought. */
static int
open_new_dbs(struct store *s, MDB_txn *txn, int version)
{
	int i, rc;

	for (i = 0; i < DB_COUNT; i++) {
		if (db_since[i] != version)
			continue;
		rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &s->dbi[i]);
		if (rc != 0)
			return store_lmdb_error(rc);
	}
	return 0;
}

/*
 * Subscriptions leave the mailbox record: each subscribed bit becomes an
 * entry of the subscriptions DB and is cleared. Keys are copied before
 * any write (a write may move the page they point into), and the cursor
 * finds its place again by key after each rewrite.
 */
static int
migrate_subscriptions(struct store *s, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	struct store_mailbox mb;
	uint8_t key[STORE_MAILBOX_KEY_MAX], rec[STORE_MAILBOX_REC_LEN];
	int rc, err = 0, subscribed;

	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MAILBOXES], &c)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if ((err = store_mailbox_decode(&k, &v, &mb)) != 0)
			break;
		subscribed = (((const uint8_t *)v.mv_data)[2] & 1) != 0;
		if (!subscribed)
			continue;
		memcpy(key, k.mv_data, k.mv_size);
		k.mv_data = key;
		store_mailbox_encode(&mb, rec);
		v.mv_size = sizeof(rec);
		v.mv_data = rec;
		if ((err = store_subscription_put(s, txn, mb.user_id,
		    mb.name)) != 0)
			break;
		if ((rc = mdb_put(txn, s->dbi[DB_MAILBOXES], &k, &v, 0)) != 0 ||
		    (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY)) != 0) {
			err = store_lmdb_error(rc);
			break;
		}
	}
	mdb_cursor_close(c);
	if (err != 0)
		return err;
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* Every message record to layout 2 (no keywords yet), indexed by MODSEQ. */
static int
migrate_messages(struct store *s, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v, ik, iv;
	struct store_message m;
	uint8_t key[12], rec[STORE_MESSAGE_REC_LEN], ikey[16], uid[4];
	int rc, err = 0;

	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MESSAGES], &c)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if ((err = message_decode_v1(&k, &v, &m)) != 0)
			break;
		memcpy(key, k.mv_data, sizeof(key));
		k.mv_data = key;
		store_modseq_key(ikey, store_get_be64(key), m.modseq);
		store_put_le32(uid, m.uid);
		ik.mv_size = sizeof(ikey);
		ik.mv_data = ikey;
		iv.mv_size = sizeof(uid);
		iv.mv_data = uid;
		if ((rc = mdb_put(txn, s->dbi[DB_MODSEQS], &ik, &iv, 0)) != 0) {
			err = store_lmdb_error(rc);
			break;
		}
		store_message_encode(&m, rec);
		v.mv_size = sizeof(rec);
		v.mv_data = rec;
		/* The record grows: put, then find our place again by key. */
		if ((rc = mdb_put(txn, s->dbi[DB_MESSAGES], &k, &v, 0)) != 0 ||
		    (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY)) != 0) {
			err = store_lmdb_error(rc);
			break;
		}
	}
	mdb_cursor_close(c);
	if (err != 0)
		return err;
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

static int
migrate_v2_v3(struct store *s, MDB_txn *txn)
{
	int rc;

	if ((rc = open_new_dbs(s, txn, 3)) != 0 ||
	    (rc = migrate_subscriptions(s, txn)) != 0)
		return rc;
	return migrate_messages(s, txn);
}

/* ------------------------------------------------------------ v3 -> v4 */

/* The queue starts empty; its counters start when first used. */
static int
migrate_v3_v4(struct store *s, MDB_txn *txn)
{
	return open_new_dbs(s, txn, 4);
}
