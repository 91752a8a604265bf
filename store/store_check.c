/*
 * store_check.c: the consistency check behind `posthorn check`.
 *
 * In one read transaction (a consistent snapshot, even while the daemon
 * writes) it recounts every mailbox from its messages, matches blob
 * reference counts against the messages that use each blob, and checks
 * the reverse indexes (mailbox ids, the MODSEQ index), keyword bits
 * against the keyword tables, that caches, keyword tables and
 * subscriptions belong to something that exists, and the id counters.
 * Outbound queue entries hold blob references too; each entry must have
 * its key in the queue_due schedule (and each key its entry), and the
 * pending recipients counter must match the entries. It reports; it
 * never repairs.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

struct check {
	struct store	*s;
	MDB_txn		*txn;
	void		(*problem)(void *, const char *);
	void		*arg;
	int		 count;

	uint64_t	*blob_ids;	/* one per message */
	size_t		 n_blob_ids;
	size_t		 max_blob_ids;
	uint64_t	 max_user_id, max_mailbox_id, max_blob_id, max_queue_id;
	uint64_t	 queue_pending;
	struct store_keywords *kw;	/* scratch, one mailbox at a time */
};

static void	report(struct check *c, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
report(struct check *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	/* Bounded; a truncated problem description is still useful. */
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->count++;
	if (c->problem != NULL)
		c->problem(c->arg, msg);
}

static void
add_blob_ref(struct check *c, uint64_t blob_id)
{
	if (c->n_blob_ids == c->max_blob_ids) {
		c->max_blob_ids = c->max_blob_ids ? c->max_blob_ids * 2 : 256;
		c->blob_ids = xreallocarray(c->blob_ids, c->max_blob_ids,
		    sizeof(*c->blob_ids));
	}
	c->blob_ids[c->n_blob_ids++] = blob_id;
	if (blob_id > c->max_blob_id)
		c->max_blob_id = blob_id;
}

/* The MODSEQ index holds (mailbox, m's MODSEQ) -> m's UID. */
static void
check_index_entry(struct check *c, const struct store_mailbox *mb,
    const struct store_message *m)
{
	uint8_t key[16];
	MDB_val k = { sizeof(key), key }, v;

	store_modseq_key(key, mb->id, m->modseq);
	if (mdb_get(c->txn, c->s->dbi[DB_MODSEQS], &k, &v) != 0 ||
	    v.mv_size != 4 || store_get_le32(v.mv_data) != m->uid)
		report(c, "mailbox %" PRIu64 ": UID %u (MODSEQ %" PRIu64 ") is "
		    "missing from the MODSEQ index", mb->id, m->uid, m->modseq);
}

/* Entries of an 8-byte-prefixed DB for one id. */
static int
count_prefix(struct check *c, enum store_db db, uint64_t id, size_t *n_r)
{
	uint8_t prefix[8];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	*n_r = 0;
	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[db], &cur)) != 0)
		return store_lmdb_error(rc);
	store_put_be64(prefix, id);
	k.mv_size = sizeof(prefix);
	k.mv_data = prefix;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 8 || memcmp(k.mv_data, prefix, 8) != 0)
			break;
		(*n_r)++;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* Recount one mailbox from its messages and compare with its record. */
static int
check_mailbox(struct check *c, const struct store_mailbox *mb)
{
	struct store_mailbox want;
	struct store_message m;
	uint8_t prefix[12];
	MDB_cursor *cur;
	MDB_val k, v;
	uint32_t max_uid = 0;
	uint64_t max_modseq = 0, kw_valid;
	size_t indexed;
	int rc;

	memset(&want, 0, sizeof(want));
	if ((rc = store_keywords_load(c->s, c->txn, mb->id, c->kw)) != 0) {
		report(c, "mailbox %" PRIu64 ": undecodable keyword table",
		    mb->id);
		c->kw->n = 0;
	}
	kw_valid = c->kw->n >= 64 ? UINT64_MAX :
	    ((uint64_t)1 << c->kw->n) - 1;
	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_MESSAGES], &cur)) != 0)
		return store_lmdb_error(rc);
	store_message_key(prefix, mb->id, 0);
	k.mv_size = sizeof(prefix);
	k.mv_data = prefix;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 12 || memcmp(k.mv_data, prefix, 8) != 0)
			break;
		if (store_message_decode(&k, &v, &m) != 0) {
			report(c, "mailbox %" PRIu64 ": undecodable message "
			    "record", mb->id);
			continue;
		}
		want.messages++;
		want.size += m.size;
		want.unseen += !(m.flags & STORE_FLAG_SEEN);
		want.recent += (m.flags & STORE_FLAG_RECENT) != 0;
		if (m.uid > max_uid)
			max_uid = m.uid;
		if (m.modseq > max_modseq)
			max_modseq = m.modseq;
		if (m.keywords & ~kw_valid)
			report(c, "mailbox %" PRIu64 ": UID %u has keyword bits "
			    "beyond the table (%u names)", mb->id, m.uid,
			    c->kw->n);
		check_index_entry(c, mb, &m);
		add_blob_ref(c, m.blob_id);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_error(rc);
	if ((rc = count_prefix(c, DB_MODSEQS, mb->id, &indexed)) != 0)
		return rc;
	if (indexed != want.messages)
		report(c, "mailbox %" PRIu64 ": %zu MODSEQ index entries for %u "
		    "messages", mb->id, indexed, want.messages);
	if (want.messages != mb->messages || want.size != mb->size ||
	    want.unseen != mb->unseen || want.recent != mb->recent)
		report(c, "mailbox %" PRIu64 " (%s): counters say %u messages, "
		    "%u unseen, %u recent, %" PRIu64 " bytes; messages say %u, "
		    "%u, %u, %" PRIu64, mb->id, mb->name, mb->messages,
		    mb->unseen, mb->recent, mb->size, want.messages,
		    want.unseen, want.recent, want.size);
	if (max_uid >= mb->uidnext)
		report(c, "mailbox %" PRIu64 ": UIDNEXT %u is not above UID %u",
		    mb->id, mb->uidnext, max_uid);
	if (max_modseq > mb->highestmodseq)
		report(c, "mailbox %" PRIu64 ": HIGHESTMODSEQ %" PRIu64
		    " is below a message's MODSEQ %" PRIu64, mb->id,
		    mb->highestmodseq, max_modseq);
	return 0;
}

static int
check_mailboxes(struct check *c)
{
	struct store_mailbox mb, byid;
	char address[STORE_ADDRESS_MAX];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, err = 0;

	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_MAILBOXES], &cur)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (store_mailbox_decode(&k, &v, &mb) != 0) {
			report(c, "undecodable mailbox record");
			continue;
		}
		if (mb.id > c->max_mailbox_id)
			c->max_mailbox_id = mb.id;
		if (store_user_address_txn(c->s, c->txn, mb.user_id,
		    address) != 0)
			report(c, "mailbox %" PRIu64 " (%s) belongs to missing "
			    "user %" PRIu64, mb.id, mb.name, mb.user_id);
		if (store_mailbox_load_id(c->s, c->txn, mb.id, &byid) != 0)
			report(c, "mailbox %" PRIu64 " (%s) is missing from the "
			    "id index", mb.id, mb.name);
		if ((err = check_mailbox(c, &mb)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* Messages whose mailbox is gone are never counted by check_mailboxes. */
static int
check_orphan_messages(struct check *c)
{
	struct store_mailbox mb;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t id, last = 0;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_MESSAGES], &cur)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 12) {
			report(c, "message key of bad length %zu", k.mv_size);
			continue;
		}
		id = store_get_be64(k.mv_data);
		if (id == last)
			continue;
		last = id;
		if (store_mailbox_load_id(c->s, c->txn, id, &mb) != 0)
			report(c, "messages of missing mailbox %" PRIu64, id);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* ------------------------------------------------------------ queue */

static void
check_queue_entry(struct check *c, const struct store_queue_entry *e)
{
	uint8_t key[STORE_QUEUE_DUE_KEY_LEN];
	MDB_val k = { sizeof(key), key }, v;
	size_t pending = store_queue_pending(e);

	add_blob_ref(c, e->blob_id);
	if (e->id > c->max_queue_id)
		c->max_queue_id = e->id;
	c->queue_pending += pending;
	if (pending == 0)
		report(c, "queue entry %" PRIu64 " has no pending recipient "
		    "but was not removed", e->id);
	store_queue_due_key(key, e->next_attempt, e->id);
	if (mdb_get(c->txn, c->s->dbi[DB_QUEUE_DUE], &k, &v) != 0)
		report(c, "queue entry %" PRIu64 " (next attempt %" PRId64
		    ") is missing from the schedule", e->id, e->next_attempt);
}

static int
check_queue_entries(struct check *c)
{
	struct store_queue_entry e;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_QUEUE], &cur)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (store_queue_decode(&k, &v, &e) != 0) {
			report(c, "undecodable queue record");
			continue;
		}
		check_queue_entry(c, &e);
		store_queue_entry_free(&e);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* Each schedule key names an entry due at that time. */
static int
check_queue_schedule(struct check *c)
{
	struct store_queue_entry e;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t id;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_QUEUE_DUE], &cur)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != STORE_QUEUE_DUE_KEY_LEN) {
			report(c, "queue schedule key of bad length %zu",
			    k.mv_size);
			continue;
		}
		id = store_get_be64((const uint8_t *)k.mv_data + 8);
		if (store_queue_load(c->s, c->txn, id, &e) != 0) {
			report(c, "queue schedule names missing entry %" PRIu64,
			    id);
			continue;
		}
		if (e.next_attempt != store_queue_due_time(k.mv_data))
			report(c, "queue entry %" PRIu64 " is scheduled at %"
			    PRId64 " but its next attempt is %" PRId64, id,
			    store_queue_due_time(k.mv_data), e.next_attempt);
		store_queue_entry_free(&e);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

static int
check_queue(struct check *c)
{
	uint64_t counted;
	int rc;

	if ((rc = check_queue_entries(c)) != 0 ||
	    (rc = check_queue_schedule(c)) != 0)
		return rc;
	rc = store_meta_get(c->s, c->txn, META_QUEUE_RCPTS, &counted);
	if (rc == STORE_ENOTFOUND)
		counted = 0;
	else if (rc != 0)
		return rc;
	if (counted != c->queue_pending)
		report(c, "counter %s is %" PRIu64 " but the queue holds %"
		    PRIu64 " pending recipient(s)", META_QUEUE_RCPTS, counted,
		    c->queue_pending);
	return 0;
}

static int
id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every blob's count equals the messages using it; no blob without count. */
static int
check_blobs(struct check *c)
{
	MDB_cursor *cur;
	MDB_val k, v, data;
	uint64_t id;
	uint32_t refs;
	size_t i = 0, used;
	int rc;

	if (c->n_blob_ids > 0)
		qsort(c->blob_ids, c->n_blob_ids, sizeof(uint64_t), id_cmp);
	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_BLOB_REFS], &cur)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || v.mv_size != 4) {
			report(c, "malformed blob reference count");
			continue;
		}
		id = store_get_be64(k.mv_data);
		refs = store_get_le32(v.mv_data);
		if (id > c->max_blob_id)
			c->max_blob_id = id;
		for (; i < c->n_blob_ids && c->blob_ids[i] < id; i++)
			report(c, "blob %" PRIu64 " is used by a message but "
			    "has no reference count", c->blob_ids[i]);
		for (used = 0; i < c->n_blob_ids && c->blob_ids[i] == id; i++)
			used++;
		if (used != refs)
			report(c, "blob %" PRIu64 ": reference count %u, used "
			    "by %zu message(s) or queue entries", id, refs,
			    used);
		if (mdb_get(c->txn, c->s->dbi[DB_BLOBS], &k, &data) != 0)
			report(c, "blob %" PRIu64 " has a reference count but "
			    "no data", id);
	}
	mdb_cursor_close(cur);
	for (; i < c->n_blob_ids; i++)
		report(c, "blob %" PRIu64 " is used by a message but has no "
		    "reference count", c->blob_ids[i]);
	if (rc != MDB_NOTFOUND)
		return store_lmdb_error(rc);

	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_BLOBS], &cur)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size == 8 && store_get_be64(k.mv_data) > c->max_blob_id)
			c->max_blob_id = store_get_be64(k.mv_data);
		if (mdb_get(c->txn, c->s->dbi[DB_BLOB_REFS], &k, &data) != 0)
			report(c, "blob %" PRIu64 " has no reference count "
			    "(leaked)", k.mv_size == 8 ?
			    store_get_be64(k.mv_data) : 0);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* Keys of db (8-byte id first) whose id has no entry in owner_db. */
static int
check_owned(struct check *c, enum store_db db, enum store_db owner_db,
    const char *what)
{
	MDB_cursor *cur;
	MDB_val k, v, ok, ov;
	uint64_t id, last = 0;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[db], &cur)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 8) {
			report(c, "%s with a malformed key", what);
			continue;
		}
		id = store_get_be64(k.mv_data);
		if (id == last)
			continue;
		last = id;
		ok.mv_size = 8;
		ok.mv_data = k.mv_data;
		if (mdb_get(c->txn, c->s->dbi[owner_db], &ok, &ov) != 0)
			report(c, "%s of missing %" PRIu64, what, id);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

static int
check_orphans(struct check *c)
{
	int rc;

	if ((rc = check_owned(c, DB_BLOB_CACHE, DB_BLOB_REFS,
	    "blob cache")) != 0 ||
	    (rc = check_owned(c, DB_KEYWORDS, DB_MAILBOX_IDS,
	    "keyword table")) != 0 ||
	    (rc = check_owned(c, DB_MODSEQS, DB_MAILBOX_IDS,
	    "MODSEQ index entries")) != 0)
		return rc;
	return check_owned(c, DB_SUBSCRIPTIONS, DB_USERS_BY_ID,
	    "subscriptions");
}

static int
check_users(struct check *c)
{
	char address[STORE_ADDRESS_MAX];
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t id;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, c->s->dbi[DB_USERS], &cur)) != 0)
		return store_lmdb_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size >= STORE_ADDRESS_MAX ||
		    store_user_decode(&v, &id, NULL, 0) != 0) {
			report(c, "undecodable user record");
			continue;
		}
		if (id > c->max_user_id)
			c->max_user_id = id;
		if (store_user_address_txn(c->s, c->txn, id, address) != 0 ||
		    strlen(address) != k.mv_size ||
		    memcmp(address, k.mv_data, k.mv_size) != 0)
			report(c, "user %.*s (id %" PRIu64 ") is missing from "
			    "the id index", (int)k.mv_size,
			    (const char *)k.mv_data, id);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* Each counter must be above every id it has handed out. */
static int
check_counters(struct check *c)
{
	static const char *const keys[] = { META_NEXT_USER_ID,
	    META_NEXT_MAILBOX_ID, META_NEXT_BLOB_ID, META_NEXT_QUEUE_ID };
	uint64_t maxes[] = { c->max_user_id, c->max_mailbox_id,
	    c->max_blob_id, c->max_queue_id };
	uint64_t next;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		rc = store_meta_get(c->s, c->txn, keys[i], &next);
		if (rc == STORE_ENOTFOUND)
			next = 1;
		else if (rc != 0)
			return rc;
		if (maxes[i] >= next)
			report(c, "counter %s is %" PRIu64 " but id %" PRIu64
			    " exists", keys[i], next, maxes[i]);
	}
	return 0;
}

int
store_check(struct store *s, void (*problem)(void *arg, const char *msg),
    void *arg)
{
	struct check c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.kw = xmalloc(sizeof(*c.kw));
	c.s = s;
	c.problem = problem;
	c.arg = arg;
	if ((rc = store_read_begin(s, &c.txn)) != 0) {
		free(c.kw);
		return rc;
	}
	if ((rc = check_users(&c)) == 0 &&
	    (rc = check_mailboxes(&c)) == 0 &&
	    (rc = check_orphan_messages(&c)) == 0 &&
	    (rc = check_queue(&c)) == 0 &&
	    (rc = check_blobs(&c)) == 0 &&
	    (rc = check_orphans(&c)) == 0)
		rc = check_counters(&c);
	store_read_end(c.txn);
	free(c.blob_ids);
	free(c.kw);
	return rc != 0 ? rc : c.count;
}
