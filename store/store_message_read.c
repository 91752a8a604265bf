/*
 * store_message_read.c: reading a mailbox's messages (list in UID order,
 * one by UID), each in one short read transaction.
 *
 * It returns metadata only; the bytes are read with store_blob_read().
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

static int
list_txn(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    struct store_message **msgs_r)
{
	struct store_mailbox mb;
	struct store_message *msgs = NULL;
	size_t n = 0, max = 0;
	uint8_t prefix[12];
	MDB_cursor *c;
	MDB_val k, v;
	int rc, err = 0;

	if ((rc = store_mailbox_load_id(s, txn, mailbox_id, &mb)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MESSAGES], &c)) != 0)
		return store_lmdb_error(rc);
	store_message_key(prefix, mailbox_id, 0);
	k.mv_size = sizeof(prefix);
	k.mv_data = prefix;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 12 || memcmp(k.mv_data, prefix, 8) != 0)
			break;
		if (n == max) {
			/* The counter is a good first guess of the size. */
			max = max ? max * 2 : (mb.messages ? mb.messages : 16);
			msgs = xreallocarray(msgs, max, sizeof(*msgs));
		}
		if ((err = store_message_decode(&k, &v, &msgs[n])) != 0)
			break;
		n++;
	}
	mdb_cursor_close(c);
	if (err == 0 && rc != 0 && rc != MDB_NOTFOUND)
		err = store_lmdb_error(rc);
	if (err != 0 || n > INT32_MAX) {
		free(msgs);
		return err != 0 ? err : STORE_ETOOBIG;
	}
	*msgs_r = msgs;
	return (int)n;
}

int
store_message_list(struct store *s, uint64_t mailbox_id,
    struct store_message **msgs_r)
{
	MDB_txn *txn;
	int rc;

	*msgs_r = NULL;
	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	rc = list_txn(s, txn, mailbox_id, msgs_r);
	store_read_end(txn);
	return rc;
}

int
store_message_get(struct store *s, uint64_t mailbox_id, uint32_t uid,
    struct store_message *msg_r)
{
	uint8_t key[12];
	MDB_val k = { sizeof(key), key }, v;
	MDB_txn *txn;
	int rc;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	store_message_key(key, mailbox_id, uid);
	rc = mdb_get(txn, s->dbi[DB_MESSAGES], &k, &v);
	if (rc == 0)
		rc = store_message_decode(&k, &v, msg_r);
	else
		rc = store_lmdb_error(rc);
	store_read_end(txn);
	return rc;
}
