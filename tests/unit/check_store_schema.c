/*
 * check_store_schema.c: schema versions: a fresh store records the
 * current version; version 1 and version 2 stores written with raw LMDB
 * calls (as an old posthorn left them) are migrated in place with their
 * data, counters, subscriptions and expunge log; a newer store is refused
 * untouched; a non-store is refused.
 */
#include <check.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "check_store_util.h"
#include "util.h"

void	store_schema_tcases(Suite *s);

static char	*dir;

static void
setup(void)
{
	dir = tmp_dir_create();
}

static void
teardown(void)
{
	tmp_dir_remove(dir);
}

/* ------------------------------------------- raw LMDB, as v1 wrote it */

struct raw {
	MDB_env	*env;
	MDB_txn	*txn;
};

static void
raw_begin(struct raw *r)
{
	ck_assert_int_eq(mdb_env_create(&r->env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(r->env, 32), 0);
	ck_assert_int_eq(mdb_env_set_mapsize(r->env, 16 << 20), 0);
	ck_assert_int_eq(mdb_env_open(r->env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
}

static void
raw_commit(struct raw *r)
{
	ck_assert_int_eq(mdb_txn_commit(r->txn), 0);
	mdb_env_close(r->env);
}

static void
raw_put(struct raw *r, const char *db, const void *k, size_t klen,
    const void *v, size_t vlen)
{
	MDB_dbi dbi;
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };

	ck_assert_int_eq(mdb_dbi_open(r->txn, db, MDB_CREATE, &dbi), 0);
	ck_assert_int_eq(mdb_put(r->txn, dbi, &key, &val, 0), 0);
}

static void
le32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void
raw_meta(struct raw *r, const char *key, uint64_t v)
{
	uint8_t buf[8];

	le64(buf, v);
	raw_put(r, "meta", key, strlen(key), buf, sizeof(buf));
}

/* v1 mailbox: key user BE64 + name; record layout 1 (36 bytes). */
static void
raw_mailbox_v1(struct raw *r, uint64_t user, const char *name, uint64_t id,
    uint32_t uidvalidity, uint32_t uidnext, uint64_t hms, uint32_t messages,
    uint32_t recent, int special_use)
{
	uint8_t key[64], rec[36], idkey[8];
	size_t klen = 8 + strlen(name);

	be64(key, user);
	memcpy(key + 8, name, strlen(name));
	memset(rec, 0, sizeof(rec));
	rec[0] = 1;
	rec[1] = (uint8_t)special_use;
	rec[2] = 1;
	le32(rec + 4, uidvalidity);
	le32(rec + 8, uidnext);
	le32(rec + 12, messages);
	le32(rec + 16, recent);
	le64(rec + 20, id);
	le64(rec + 28, hms);
	raw_put(r, "mailboxes", key, klen, rec, sizeof(rec));
	be64(idkey, id);
	raw_put(r, "mailbox_ids", idkey, 8, key, klen);
}

/* Message record layout 1 (unchanged in v2), key mailbox BE64 + uid BE32. */
static void
raw_message(struct raw *r, uint64_t mailbox, uint32_t uid, uint32_t flags,
    uint64_t blob, uint64_t size, uint64_t modseq)
{
	uint8_t key[12], rec[40];

	be64(key, mailbox);
	key[8] = uid >> 24;
	key[9] = uid >> 16;
	key[10] = uid >> 8;
	key[11] = uid;
	memset(rec, 0, sizeof(rec));
	rec[0] = 1;
	le32(rec + 4, flags);
	le64(rec + 8, blob);
	le64(rec + 16, size);
	le64(rec + 24, 1234567890);
	le64(rec + 32, modseq);
	raw_put(r, "messages", key, sizeof(key), rec, sizeof(rec));
}

static void
raw_blob(struct raw *r, uint64_t id, const char *text, uint32_t refs)
{
	uint8_t key[8], count[4];

	be64(key, id);
	le32(count, refs);
	raw_put(r, "blobs", key, 8, text, strlen(text));
	raw_put(r, "blob_refs", key, 8, count, 4);
}

#define V1_FOLDERS	500

static const char v1_msg1[] = "Subject: kept from v1\r\n\r\nold mail\r\n";
static const char v1_msg2[] = "Subject: unseen v1\r\n\r\nnewer\r\n";

/*
 * The store of a posthorn with schema v1: no expunges DB, mailbox records
 * without unseen and size. INBOX has UIDs 1 (seen) and 3 (unseen,
 * recent); UID 2 was expunged back then.
 */
static void
build_v1_store(void)
{
	static const char *const v1_dbs[] = { "domains", "users",
	    "users_by_id", "aliases", "mailboxes", "mailbox_ids", "messages",
	    "blobs", "blob_refs" };
	char hash[crypto_pwhash_STRBYTES];
	uint8_t rec[16 + crypto_pwhash_STRBYTES], idkey[8];
	const char *user = "old@example.org", *alias = "\001old@example.org";
	struct raw r;
	MDB_dbi dbi;
	size_t i;

	ck_assert_int_ge(sodium_init(), 0);
	/* Minimal cost: verification reads the parameters from the hash. */
	ck_assert_int_eq(crypto_pwhash_str(hash, TEST_PASSWORD,
	    strlen(TEST_PASSWORD), crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN), 0);
	raw_begin(&r);
	for (i = 0; i < sizeof(v1_dbs) / sizeof(v1_dbs[0]); i++)
		ck_assert_int_eq(mdb_dbi_open(r.txn, v1_dbs[i], MDB_CREATE,
		    &dbi), 0);
	raw_meta(&r, "schema_version", 1);
	raw_meta(&r, "next_user_id", 2);
	raw_meta(&r, "next_mailbox_id", 3);
	raw_meta(&r, "next_blob_id", 3);
	raw_meta(&r, "last_uidvalidity", 1001);

	memset(rec, 0, sizeof(rec));
	rec[0] = 1;
	le64(rec + 8, 0);
	raw_put(&r, "domains", "example.org", 11, rec, 16);
	memset(rec, 0, sizeof(rec));
	rec[0] = 1;
	le64(rec + 8, 1);
	memcpy(rec + 16, hash, strlen(hash));
	raw_put(&r, "users", user, strlen(user), rec, 16 + strlen(hash));
	be64(idkey, 1);
	raw_put(&r, "users_by_id", idkey, 8, user, strlen(user));
	raw_put(&r, "aliases", "postmaster@example.org", 22, alias,
	    strlen(alias));

	raw_mailbox_v1(&r, 1, "INBOX", 1, 1000, 4, 9, 2, 1, 0);
	raw_mailbox_v1(&r, 1, "Sent", 2, 1001, 1, 1, 0, 0, 1);
	raw_message(&r, 1, 1, 0x01, 1, strlen(v1_msg1), 3);
	raw_message(&r, 1, 3, 0x20, 2, strlen(v1_msg2), 9);
	/* Enough mailboxes that rewriting their records splits pages. */
	for (i = 0; i < V1_FOLDERS; i++) {
		char name[32];

		ck_assert_int_eq(str_format(name, sizeof(name), "Folder/%03zu",
		    i), 0);
		raw_mailbox_v1(&r, 1, name, 3 + i, 1002, 2, 2, 1, 1, 0);
		raw_message(&r, 3 + i, 1, 0x20, 2, strlen(v1_msg2), 2);
	}
	raw_meta(&r, "next_mailbox_id", 3 + V1_FOLDERS);
	raw_blob(&r, 1, v1_msg1, 1);
	raw_blob(&r, 2, v1_msg2, 1 + V1_FOLDERS);
	raw_commit(&r);
}

/* v2 mailbox: record layout 2 (48 bytes), subscribed in bit 0 of byte 2. */
static void
raw_mailbox_v2(struct raw *r, uint64_t user, const char *name, uint64_t id,
    uint32_t uidvalidity, uint32_t uidnext, uint64_t hms, uint32_t messages,
    uint32_t unseen, uint32_t recent, uint64_t size, int subscribed)
{
	uint8_t key[64], rec[48], idkey[8];
	size_t klen = 8 + strlen(name);

	be64(key, user);
	memcpy(key + 8, name, strlen(name));
	memset(rec, 0, sizeof(rec));
	rec[0] = 2;
	rec[2] = subscribed ? 1 : 0;
	le32(rec + 4, uidvalidity);
	le32(rec + 8, uidnext);
	le32(rec + 12, messages);
	le32(rec + 16, unseen);
	le32(rec + 20, recent);
	le64(rec + 24, id);
	le64(rec + 32, hms);
	le64(rec + 40, size);
	raw_put(r, "mailboxes", key, klen, rec, sizeof(rec));
	be64(idkey, id);
	raw_put(r, "mailbox_ids", idkey, 8, key, klen);
}

static void
raw_expunge(struct raw *r, uint64_t mailbox, uint64_t modseq, uint32_t uid)
{
	uint8_t key[16], val[4];

	be64(key, mailbox);
	be64(key + 8, modseq);
	le32(val, uid);
	raw_put(r, "expunges", key, sizeof(key), val, sizeof(val));
}

#define V2_BIG		600

static const char v2_msg[] = "Subject: from v2\r\n\r\nbody\r\n";

/*
 * The store of a posthorn with schema v2 (issue 2): user 1 with INBOX
 * (subscribed; UIDs 1 \Seen MODSEQ 3, 2 expunged at MODSEQ 4, 3 \Recent
 * MODSEQ 5), Sent (subscribed, empty), "Old" (not subscribed) holding
 * V2_BIG messages so the rewrite of every message record splits pages.
 */
static void
build_v2_store(void)
{
	static const char *const v2_dbs[] = { "domains", "users",
	    "users_by_id", "aliases", "mailboxes", "mailbox_ids", "messages",
	    "expunges", "blobs", "blob_refs" };
	char hash[crypto_pwhash_STRBYTES];
	uint8_t rec[16 + crypto_pwhash_STRBYTES], idkey[8];
	const char *user = "old@example.org";
	struct raw r;
	MDB_dbi dbi;
	size_t i;

	ck_assert_int_ge(sodium_init(), 0);
	ck_assert_int_eq(crypto_pwhash_str(hash, TEST_PASSWORD,
	    strlen(TEST_PASSWORD), crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN), 0);
	raw_begin(&r);
	for (i = 0; i < sizeof(v2_dbs) / sizeof(v2_dbs[0]); i++)
		ck_assert_int_eq(mdb_dbi_open(r.txn, v2_dbs[i], MDB_CREATE,
		    &dbi), 0);
	raw_meta(&r, "schema_version", 2);
	raw_meta(&r, "next_user_id", 2);
	raw_meta(&r, "next_mailbox_id", 4);
	raw_meta(&r, "next_blob_id", 2);
	raw_meta(&r, "last_uidvalidity", 2002);
	memset(rec, 0, sizeof(rec));
	rec[0] = 1;
	raw_put(&r, "domains", "example.org", 11, rec, 16);
	le64(rec + 8, 1);
	memcpy(rec + 16, hash, strlen(hash));
	raw_put(&r, "users", user, strlen(user), rec, 16 + strlen(hash));
	be64(idkey, 1);
	raw_put(&r, "users_by_id", idkey, 8, user, strlen(user));

	raw_mailbox_v2(&r, 1, "INBOX", 1, 2000, 4, 5, 2, 1, 1,
	    2 * strlen(v2_msg), 1);
	raw_mailbox_v2(&r, 1, "Sent", 2, 2001, 1, 1, 0, 0, 0, 0, 1);
	raw_mailbox_v2(&r, 1, "Old", 3, 2002, V2_BIG + 1, V2_BIG + 1, V2_BIG,
	    V2_BIG, 0, V2_BIG * strlen(v2_msg), 0);
	raw_message(&r, 1, 1, 0x01, 1, strlen(v2_msg), 3);
	raw_expunge(&r, 1, 4, 2);
	raw_message(&r, 1, 3, 0x20, 1, strlen(v2_msg), 5);
	for (i = 0; i < V2_BIG; i++)
		raw_message(&r, 3, (uint32_t)i + 1, 0, 1, strlen(v2_msg),
		    i + 2);
	raw_blob(&r, 1, v2_msg, 2 + V2_BIG);
	raw_commit(&r);
}

static int
count_name(void *arg, const char *name)
{
	char *list = arg;

	str_append(list, name, 256);
	str_append(list, ",", 256);
	return 0;
}

static uint64_t
raw_version(void)
{
	struct raw r;
	MDB_dbi dbi;
	MDB_val k = { 14, "schema_version" }, v;
	uint64_t version = 0;
	int i;

	raw_begin(&r);
	ck_assert_int_eq(mdb_dbi_open(r.txn, "meta", 0, &dbi), 0);
	ck_assert_int_eq(mdb_get(r.txn, dbi, &k, &v), 0);
	ck_assert_uint_eq(v.mv_size, 8);
	for (i = 7; i >= 0; i--)
		version = version << 8 | ((const uint8_t *)v.mv_data)[i];
	raw_commit(&r);
	return version;
}

/* ------------------------------------------------------------- tests */

START_TEST(test_fresh_version)
{
	struct store *st = open_store(dir);

	ck_assert_int_eq(STORE_SCHEMA_VERSION, 4);
	ck_assert_int_eq(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(&st);
	ck_assert_ptr_null(st);
	ck_assert_uint_eq(raw_version(), STORE_SCHEMA_VERSION);
}
END_TEST

START_TEST(test_migrate_v1)
{
	struct store_mailbox mb;
	struct store_message *msgs;
	struct store_user u;
	struct store *st;
	uint64_t ids[4];
	uint32_t uid = 1;
	size_t n;

	build_v1_store();
	st = open_store(dir);
	ck_assert_int_eq(store_schema_version(st), STORE_SCHEMA_VERSION);

	/* Data and counters: recomputed where v1 had none. */
	ck_assert_int_eq(store_user_verify(st, "old@example.org",
	    TEST_PASSWORD, &u), 1);
	ck_assert_uint_eq(u.id, 1);
	ck_assert_int_eq(store_mailbox_get(st, 1, "INBOX", &mb), 0);
	ck_assert_uint_eq(mb.id, 1);
	ck_assert_uint_eq(mb.uidvalidity, 1000);
	ck_assert_uint_eq(mb.uidnext, 4);
	ck_assert_uint_eq(mb.highestmodseq, 9);
	ck_assert_uint_eq(mb.messages, 2);
	ck_assert_uint_eq(mb.unseen, 1);
	ck_assert_uint_eq(mb.recent, 1);
	ck_assert_uint_eq(mb.size, strlen(v1_msg1) + strlen(v1_msg2));
	ck_assert_int_eq(mb.subscribed, 1);	/* v1 bit -> v2 bit -> v3 DB */
	ck_assert_int_eq(store_mailbox_get(st, 1, "Sent", &mb), 0);
	ck_assert_int_eq(mb.special_use, SPECIAL_USE_SENT);
	ck_assert_uint_eq(mb.messages, 0);
	ck_assert_uint_eq(mb.size, 0);
	ck_assert_int_eq(store_mailbox_get(st, 1, "Folder/499", &mb), 0);
	ck_assert_uint_eq(mb.messages, 1);
	ck_assert_uint_eq(mb.unseen, 1);
	ck_assert_uint_eq(mb.size, strlen(v1_msg2));
	ck_assert_int_eq(store_message_list(st, 1, &msgs), 2);
	ck_assert_uint_eq(msgs[0].uid, 1);
	ck_assert_uint_eq(msgs[1].uid, 3);
	assert_blob(st, msgs[0].blob_id, v1_msg1);
	assert_blob(st, msgs[1].blob_id, v1_msg2);
	free(msgs);
	ck_assert_int_eq(store_resolve_rcpt(st, "Postmaster@example.org", ids,
	    4, &n), 0);
	ck_assert_uint_eq(ids[0], 1);
	ck_assert_int_eq(check_problems(st), 0);

	/* The store works as a v2 one: UIDs go on, expunges are logged. */
	ck_assert_int_eq(deliver_text(st, &u.id, 1, "new\r\n"), 0);
	ck_assert_int_eq(store_mailbox_get(st, 1, "INBOX", &mb), 0);
	ck_assert_uint_eq(mb.uidnext, 5);
	ck_assert_uint_eq(mb.highestmodseq, 10);
	ck_assert_int_eq(store_expunge_wait(st, 1, &uid, 1), 0);
	ck_assert_int_eq(store_mailbox_create(st, 1, "Fresh", 0), 0);
	ck_assert_int_eq(store_mailbox_get(st, 1, "Fresh", &mb), 0);
	ck_assert_uint_ge(mb.id, 3 + V1_FOLDERS);
	ck_assert_uint_gt(mb.uidvalidity, 1001);
	ck_assert_int_eq(check_problems(st), 0);
	store_close(&st);

	ck_assert_uint_eq(raw_version(), STORE_SCHEMA_VERSION);
	ck_assert_uint_eq(raw_entries(dir, "expunges"), 1);
	ck_assert_uint_eq(raw_entries(dir, "subscriptions"), 2 + V1_FOLDERS);
	ck_assert_uint_eq(raw_entries(dir, "modseqs"), 1 + 1 + V1_FOLDERS);
	ck_assert_int_eq(raw_blob_refs(dir, 1), -1);	/* freed by expunge */

	/* Opening again does not migrate twice. */
	st = open_store(dir);
	ck_assert_int_eq(store_mailbox_get(st, 1, "INBOX", &mb), 0);
	ck_assert_uint_eq(mb.messages, 2);
	ck_assert_uint_eq(mb.unseen, 2);
	store_close(&st);
}
END_TEST

START_TEST(test_migrate_v2)
{
	static const char *const kw[] = { "$Forwarded" };
	struct store_flag_change fc;
	struct store_message *msgs;
	struct store_mailbox mb;
	struct store *st;
	uint32_t *uids, one = 1, new_uid;
	struct store_copy cp;
	char subs[256] = "";
	int n, i;

	build_v2_store();
	st = open_store(dir);
	ck_assert_int_eq(store_schema_version(st), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(check_problems(st), 0);

	/* Subscriptions left the mailbox record with their bits. */
	ck_assert_int_eq(store_subscription_list(st, 1, count_name, subs), 0);
	ck_assert_str_eq(subs, "INBOX,Sent,");
	ck_assert_int_eq(store_mailbox_get(st, 1, "INBOX", &mb), 0);
	ck_assert_int_eq(mb.subscribed, 1);
	ck_assert_uint_eq(mb.uidvalidity, 2000);
	ck_assert_uint_eq(mb.highestmodseq, 5);
	ck_assert_uint_eq(mb.messages, 2);
	ck_assert_uint_eq(mb.unseen, 1);
	ck_assert_int_eq(store_mailbox_get(st, 1, "Old", &mb), 0);
	ck_assert_int_eq(mb.subscribed, 0);
	ck_assert_uint_eq(mb.messages, V2_BIG);

	/* Messages: same fields, no keywords, indexed by MODSEQ. */
	ck_assert_int_eq(store_message_list(st, 1, &msgs), 2);
	ck_assert_uint_eq(msgs[0].uid, 1);
	ck_assert_uint_eq(msgs[0].flags, STORE_FLAG_SEEN);
	ck_assert_uint_eq(msgs[0].modseq, 3);
	ck_assert_uint_eq(msgs[0].keywords, 0);
	ck_assert_int_eq(msgs[0].internaldate, 1234567890);
	ck_assert_uint_eq(msgs[1].uid, 3);
	assert_blob(st, msgs[1].blob_id, v2_msg);
	free(msgs);
	n = store_message_list_changed(st, 1, 3, &msgs);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(msgs[0].uid, 3);
	free(msgs);
	n = store_message_list_changed(st, 3, V2_BIG - 10, &msgs);
	ck_assert_int_eq(n, 11);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(msgs[i].uid, (uint32_t)(V2_BIG - 10 + i));
	free(msgs);
	/* The v2 expunge log answers QRESYNC. */
	n = store_expunged_since(st, 1, 3, &uids);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(uids[0], 2);
	free(uids);

	/* The store works as a v3 one: keywords, copy, recent claim. */
	memset(&fc, 0, sizeof(fc));
	fc.mailbox_id = 1;
	fc.uids = &one;
	fc.n = 1;
	fc.set_keywords = kw;
	fc.n_set_keywords = 1;
	ck_assert_int_eq(store_flags_change_wait(st, &fc), 0);
	memset(&cp, 0, sizeof(cp));
	cp.src_mailbox_id = 1;
	cp.dst_mailbox_id = 3;
	cp.uids = &one;
	cp.n = 1;
	cp.new_uids_r = &new_uid;
	ck_assert_int_eq(store_copy_wait(st, &cp), 0);
	ck_assert_uint_eq(new_uid, V2_BIG + 1);
	ck_assert_int_eq(store_message_list_changed(st, 3, V2_BIG + 1, &msgs),
	    1);
	ck_assert_uint_eq(msgs[0].keywords, 1);
	free(msgs);
	ck_assert_int_eq(check_problems(st), 0);
	store_close(&st);

	ck_assert_uint_eq(raw_version(), STORE_SCHEMA_VERSION);
	ck_assert_uint_eq(raw_entries(dir, "modseqs"), V2_BIG + 3);
	ck_assert_uint_eq(raw_entries(dir, "subscriptions"), 2);
	ck_assert_uint_eq(raw_entries(dir, "keywords"), 2);
	ck_assert_int_eq(raw_blob_refs(dir, 1), V2_BIG + 3);

	/* Opening again does not migrate twice. */
	st = open_store(dir);
	ck_assert_int_eq(store_mailbox_get(st, 1, "Old", &mb), 0);
	ck_assert_uint_eq(mb.messages, V2_BIG + 1);
	ck_assert_int_eq(check_problems(st), 0);
	store_close(&st);
}
END_TEST

START_TEST(test_newer_refused)
{
	struct store *st = open_store(dir);
	struct raw r;
	char err[256];

	ck_assert_int_eq(store_domain_add(st, "example.org"), 0);
	store_close(&st);
	raw_begin(&r);
	raw_meta(&r, "schema_version", STORE_SCHEMA_VERSION + 1);
	raw_commit(&r);

	st = (struct store *)1;
	ck_assert_int_eq(store_open(&st, dir, 0, err, sizeof(err)),
	    STORE_EVERSION);
	ck_assert_ptr_null(st);
	ck_assert_str_eq(err, "store schema version 5 is newer than this "
	    "posthorn (4); upgrade posthorn");
	ck_assert_uint_eq(raw_version(), STORE_SCHEMA_VERSION + 1);
	ck_assert_uint_eq(raw_entries(dir, "domains"), 1);
}
END_TEST

START_TEST(test_not_a_store)
{
	struct store *st;
	struct raw r;
	char err[256];

	raw_begin(&r);
	raw_put(&r, "something", "k", 1, "v", 1);
	raw_commit(&r);
	ck_assert_int_eq(store_open(&st, dir, 0, err, sizeof(err)), STORE_EIO);
	ck_assert_ptr_nonnull(strstr(err, "not a posthorn store"));

	ck_assert_int_eq(store_open(&st, "", 0, err, sizeof(err)),
	    STORE_EINVAL);
	ck_assert_int_eq(store_open(&st, "/proc/no/such/dir", 0, err,
	    sizeof(err)), STORE_EIO);
	ck_assert_ptr_nonnull(strstr(err, "/proc/no/such/dir"));
}
END_TEST

void
store_schema_tcases(Suite *s)
{
	TCase *tc = tcase_create("schema versions");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fresh_version);
	tcase_add_test(tc, test_migrate_v1);
	tcase_add_test(tc, test_migrate_v2);
	tcase_add_test(tc, test_newer_refused);
	tcase_add_test(tc, test_not_a_store);
	suite_add_tcase(s, tc);
}
