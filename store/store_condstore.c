/*
 * store_condstore.c: the reads behind CONDSTORE and QRESYNC (RFC 7162):
 * the messages changed since a MODSEQ (FETCH CHANGEDSINCE, SELECT
 * QRESYNC, a session catching up) and the UIDs expunged since a MODSEQ
 * (VANISHED).
 *
 * Changed messages come from the MODSEQ index, so a session that is
 * nearly up to date pays for the changes, not for the mailbox; when most
 * of the mailbox changed, one pass over the messages is cheaper than a
 * lookup per message and is used instead. The expunge log outlives a
 * deleted mailbox (store_mailbox_ops.c), so expunged_since answers for a
 * mailbox id that no longer exists. Each read is one short transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

/* Past this many changes, and a quarter of the mailbox, scan instead. */
#define CHANGED_SCAN_MIN	1024

struct uid_array {
	uint32_t	*v;
	size_t		 n, max;
};

static void
uid_add(struct uid_array *a, uint32_t uid)
{
	if (a->n == a->max) {
		a->max = a->max ? a->max * 2 : 64;
		a->v = xreallocarray(a->v, a->max, sizeof(uint32_t));
	}
	a->v[a->n++] = uid;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* UIDs of the (mailbox, modseq) -> uid entries of db above modseq. */
static int
uids_since(struct store *s, MDB_txn *txn, enum store_db db,
    uint64_t mailbox_id, uint64_t modseq, struct uid_array *a)
{
	uint8_t key[16];
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if (modseq == UINT64_MAX)
		return 0;
	if ((rc = mdb_cursor_open(txn, s->dbi[db], &c)) != 0)
		return store_lmdb_error(rc);
	store_modseq_key(key, mailbox_id, modseq + 1);
	k.mv_size = sizeof(key);
	k.mv_data = key;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 16 || store_get_be64(k.mv_data) != mailbox_id)
			break;
		if (v.mv_size != 4) {
			rc = MDB_CORRUPTED;
			break;
		}
		uid_add(a, store_get_le32(v.mv_data));
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* Every message of the mailbox with a MODSEQ above modseq, by one scan. */
static int
changed_scan(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    uint64_t modseq, struct store_message *msgs, size_t max, size_t *n_r)
{
	uint8_t prefix[12];
	MDB_cursor *c;
	MDB_val k, v;
	size_t n = 0;
	int rc, err = 0;

	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MESSAGES], &c)) != 0)
		return store_lmdb_error(rc);
	store_message_key(prefix, mailbox_id, 0);
	k.mv_size = sizeof(prefix);
	k.mv_data = prefix;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && n < max;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 12 || memcmp(k.mv_data, prefix, 8) != 0)
			break;
		if ((err = store_message_decode(&k, &v, &msgs[n])) != 0)
			break;
		if (msgs[n].modseq > modseq)
			n++;
	}
	mdb_cursor_close(c);
	*n_r = n;
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* The messages of uids (from the index), looked up one by one. */
static int
changed_lookup(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    const struct uid_array *a, struct store_message *msgs, size_t *n_r)
{
	size_t i, n = 0;
	int rc;

	for (i = 0; i < a->n; i++) {
		rc = store_msg_get(s, txn, mailbox_id, a->v[i], &msgs[n]);
		if (rc == STORE_ENOTFOUND)
			continue;	/* damaged index: check reports it */
		if (rc != 0)
			return rc;
		n++;
	}
	*n_r = n;
	return 0;
}

static int
msg_uid_cmp(const void *a, const void *b)
{
	const struct store_message *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
changed_txn(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    uint64_t modseq, struct store_message **msgs_r)
{
	struct uid_array a = { NULL, 0, 0 };
	struct store_message *msgs = NULL;
	struct store_mailbox mb;
	size_t n = 0;
	int rc;

	if ((rc = store_mailbox_load_id(s, txn, mailbox_id, &mb)) != 0)
		return rc;
	if (mb.highestmodseq <= modseq || mb.messages == 0)
		return 0;
	if ((rc = uids_since(s, txn, DB_MODSEQS, mailbox_id, modseq,
	    &a)) != 0)
		goto done;
	if (a.n == 0)
		goto done;
	if (a.n > CHANGED_SCAN_MIN && a.n > mb.messages / 4) {
		msgs = xreallocarray(NULL, mb.messages, sizeof(*msgs));
		rc = changed_scan(s, txn, mailbox_id, modseq, msgs,
		    mb.messages, &n);
	} else {
		msgs = xreallocarray(NULL, a.n, sizeof(*msgs));
		if ((rc = changed_lookup(s, txn, mailbox_id, &a, msgs,
		    &n)) == 0 && n > 1)
			qsort(msgs, n, sizeof(*msgs), msg_uid_cmp);
	}
done:
	free(a.v);
	if (rc != 0 || n == 0 || n > INT32_MAX) {
		free(msgs);
		return rc != 0 ? rc : n == 0 ? 0 : STORE_ETOOBIG;
	}
	*msgs_r = msgs;
	return (int)n;
}

int
store_message_list_changed(struct store *s, uint64_t mailbox_id,
    uint64_t modseq, struct store_message **msgs_r)
{
	MDB_txn *txn;
	int rc;

	*msgs_r = NULL;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = changed_txn(s, txn, mailbox_id, modseq, msgs_r);
	store_read_end(txn);
	return rc;
}

int
store_expunged_since(struct store *s, uint64_t mailbox_id, uint64_t modseq,
    uint32_t **uids_r)
{
	struct uid_array a = { NULL, 0, 0 };
	MDB_txn *txn;
	int rc;

	*uids_r = NULL;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = uids_since(s, txn, DB_EXPUNGES, mailbox_id, modseq, &a);
	store_read_end(txn);
	if (rc != 0 || a.n == 0 || a.n > INT32_MAX) {
		free(a.v);
		return rc != 0 ? rc : a.n == 0 ? 0 : STORE_ETOOBIG;
	}
	/* In MODSEQ order the log is not in UID order. */
	qsort(a.v, a.n, sizeof(uint32_t), uid_cmp);
	*uids_r = a.v;
	return (int)a.n;
}
