/*
 * store_message_txn.c: the only code that writes message records, inside
 * a write transaction: insert (next UID, new MODSEQ), update (flags and
 * keywords, with or without a new MODSEQ) and remove (expunge).
 *
 * Keeping these in one place is what keeps the mailbox's counters
 * (messages, unseen, recent, size, UIDNEXT, HIGHESTMODSEQ) exact, the
 * MODSEQ index (one entry per message at its current MODSEQ) in step and
 * every expunge in the expunge log with a MODSEQ of its own (RFC 7162
 * 3.2.10, VANISHED). The caller holds the mailbox record in memory and
 * saves it once after its loop. Nothing here decides what to change.
 */
#include <string.h>

#include "store_internal.h"

/* Keep unseen/recent in step with the flags of one message. */
static void
count_flags(struct store_mailbox *mb, uint32_t flags, int sign)
{
	if (!(flags & STORE_FLAG_SEEN))
		mb->unseen += sign;
	if (flags & STORE_FLAG_RECENT)
		mb->recent += sign;
}

void
store_modseq_key(uint8_t out[16], uint64_t mailbox_id, uint64_t modseq)
{
	store_put_be64(out, mailbox_id);
	store_put_be64(out + 8, modseq);
}

/* Put (mailbox, modseq) -> uid into db (MODSEQ index or expunge log). */
static int
put_modseq(struct store *s, MDB_txn *txn, enum store_db db,
    uint64_t mailbox_id, uint64_t modseq, uint32_t uid)
{
	uint8_t key[16], val[4];
	MDB_val k = { sizeof(key), key }, v = { sizeof(val), val };

	store_modseq_key(key, mailbox_id, modseq);
	store_put_le32(val, uid);
	return store_lmdb_error(mdb_put(txn, s->dbi[db], &k, &v, 0));
}

static int
del_modseq(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    uint64_t modseq)
{
	uint8_t key[16];
	MDB_val k = { sizeof(key), key };
	int rc;

	store_modseq_key(key, mailbox_id, modseq);
	rc = mdb_del(txn, s->dbi[DB_MODSEQS], &k, NULL);
	/* A missing entry is damage `posthorn check` reports; go on. */
	return rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

static int
put_record(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    const struct store_message *m, unsigned int flags)
{
	uint8_t key[12], rec[STORE_MESSAGE_REC_LEN];
	MDB_val k = { sizeof(key), key }, v = { sizeof(rec), rec };
	int rc;

	store_message_key(key, mailbox_id, m->uid);
	store_message_encode(m, rec);
	rc = mdb_put(txn, s->dbi[DB_MESSAGES], &k, &v, flags);
	/* An existing UID on insert means UIDNEXT was wrong: corruption. */
	return rc == MDB_KEYEXIST ? STORE_EIO : store_lmdb_error(rc);
}

int
store_msg_get(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    uint32_t uid, struct store_message *m_r)
{
	uint8_t key[12];
	MDB_val k = { sizeof(key), key }, v;
	int rc;

	store_message_key(key, mailbox_id, uid);
	rc = mdb_get(txn, s->dbi[DB_MESSAGES], &k, &v);
	if (rc != 0)
		return store_lmdb_error(rc);
	return store_message_decode(&k, &v, m_r);
}

int
store_msg_insert(struct store *s, MDB_txn *txn, struct store_mailbox *mb,
    struct store_message *m)
{
	int rc;

	/* UIDs are 32-bit and never reused (RFC 3501 2.3.1.1). */
	if (mb->uidnext == UINT32_MAX || mb->messages == UINT32_MAX)
		return STORE_ETOOBIG;
	m->uid = mb->uidnext++;
	m->modseq = ++mb->highestmodseq;
	m->flags &= STORE_FLAGS_MASK;
	if ((rc = put_record(s, txn, mb->id, m, MDB_NOOVERWRITE)) != 0 ||
	    (rc = put_modseq(s, txn, DB_MODSEQS, mb->id, m->modseq,
	    m->uid)) != 0)
		return rc;
	mb->messages++;
	mb->size += m->size;
	count_flags(mb, m->flags, 1);
	return 0;
}

int
store_msg_update(struct store *s, MDB_txn *txn, struct store_mailbox *mb,
    const struct store_message *old, struct store_message *m,
    int new_modseq)
{
	int rc;

	m->uid = old->uid;
	m->flags &= STORE_FLAGS_MASK;
	if (new_modseq) {
		if ((rc = del_modseq(s, txn, mb->id, old->modseq)) != 0)
			return rc;
		m->modseq = ++mb->highestmodseq;
		if ((rc = put_modseq(s, txn, DB_MODSEQS, mb->id, m->modseq,
		    m->uid)) != 0)
			return rc;
	} else
		m->modseq = old->modseq;
	if ((rc = put_record(s, txn, mb->id, m, 0)) != 0)
		return rc;
	count_flags(mb, old->flags, -1);
	count_flags(mb, m->flags, 1);
	return 0;
}

int
store_msg_remove(struct store *s, MDB_txn *txn, struct store_mailbox *mb,
    const struct store_message *m, int unref_blob)
{
	uint8_t key[12];
	MDB_val k = { sizeof(key), key };
	int rc;

	store_message_key(key, mb->id, m->uid);
	if ((rc = mdb_del(txn, s->dbi[DB_MESSAGES], &k, NULL)) != 0)
		return store_lmdb_error(rc);
	if ((rc = del_modseq(s, txn, mb->id, m->modseq)) != 0)
		return rc;
	if (unref_blob && (rc = store_blob_unref(s, txn, m->blob_id)) != 0)
		return rc;
	mb->messages--;
	mb->size -= m->size;
	count_flags(mb, m->flags, -1);
	return put_modseq(s, txn, DB_EXPUNGES, mb->id, ++mb->highestmodseq,
	    m->uid);
}
