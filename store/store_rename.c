/*
 * store_rename.c: IMAP RENAME of a mailbox with all its inferior names
 * ("a" -> "b" also moves "a/x" to "b/x", RFC 3501 6.3.5), and the special
 * case of INBOX.
 *
 * A renamed mailbox keeps its id, UIDVALIDITY, UIDs, MODSEQs, keywords
 * and messages: only its name (the key) changes, so a rename costs one
 * record per mailbox whatever the number of messages. Subscriptions move
 * with the names. Renaming INBOX moves all its messages to a new mailbox
 * with the given name, leaving INBOX empty, and does not touch INBOX's
 * children (RFC 3501 6.3.5): the INBOX record with its messages and
 * UIDVALIDITY becomes the new mailbox, and a fresh INBOX with a new
 * UIDVALIDITY (never used before, so no UID of the old one can be
 * mistaken for a new one) takes its place. Renaming a mailbox into its
 * own subtree is refused. It does not create missing parents of the new
 * name: the store never implies parents.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "util.h"

struct rename_req {
	struct store_req	 base;
	uint64_t		 user_id;
	char			 old_name[STORE_MAILBOX_NAME_MAX];
	char			 new_name[STORE_MAILBOX_NAME_MAX];
};

/* One mailbox to move, and whether its old name was subscribed. */
struct rename_item {
	struct store_mailbox	 mb;
	int			 subscribed;
};

struct rename_list {
	struct rename_item	*items;
	size_t			 n, max;
};

static void
list_add(struct rename_list *l, const struct store_mailbox *mb)
{
	if (l->n == l->max) {
		l->max = l->max ? l->max * 2 : 8;
		l->items = xreallocarray(l->items, l->max, sizeof(*l->items));
	}
	l->items[l->n].mb = *mb;
	l->items[l->n].subscribed = 0;
	l->n++;
}

/* The mailboxes whose names start with "name/" (inferior names). */
static int
collect_children(struct store *s, MDB_txn *txn, uint64_t user_id,
    const char *name, struct rename_list *l)
{
	uint8_t prefix[STORE_MAILBOX_KEY_MAX + 1];
	struct store_mailbox mb;
	size_t plen;
	MDB_cursor *c;
	MDB_val k, v;
	int rc, err = 0;

	plen = store_mailbox_key(prefix, user_id, name);
	prefix[plen++] = '/';
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_MAILBOXES], &c)) != 0)
		return store_lmdb_error(rc);
	k.mv_size = plen;
	k.mv_data = prefix;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if ((err = store_mailbox_decode(&k, &v, &mb)) != 0)
			break;
		list_add(l, &mb);
	}
	mdb_cursor_close(c);
	if (err != 0)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_error(rc);
}

/* Remove the record under its old name (and remember the subscription). */
static int
unlink_old(struct store *s, MDB_txn *txn, struct rename_item *it)
{
	uint8_t key[STORE_MAILBOX_KEY_MAX];
	MDB_val k;
	int rc;

	rc = store_subscription_del(s, txn, it->mb.user_id, it->mb.name);
	if (rc != 0 && rc != STORE_ENOTFOUND)
		return rc;
	it->subscribed = rc == 0;
	k.mv_size = store_mailbox_key(key, it->mb.user_id, it->mb.name);
	k.mv_data = key;
	return store_lmdb_error(mdb_del(txn, s->dbi[DB_MAILBOXES], &k, NULL));
}

/* Put the record under name: STORE_EEXIST when that name is taken. */
static int
link_new(struct store *s, MDB_txn *txn, struct rename_item *it,
    const char *name)
{
	uint8_t key[STORE_MAILBOX_KEY_MAX], idkey[8];
	struct store_mailbox other;
	MDB_val k, v;
	int rc;

	rc = store_mailbox_load(s, txn, it->mb.user_id, name, &other);
	if (rc != STORE_ENOTFOUND)
		return rc == 0 ? STORE_EEXIST : rc;
	str_copy(it->mb.name, name, sizeof(it->mb.name));
	if ((rc = store_mailbox_save(s, txn, &it->mb)) != 0)
		return rc;
	store_put_be64(idkey, it->mb.id);
	k.mv_size = sizeof(idkey);
	k.mv_data = idkey;
	v.mv_size = store_mailbox_key(key, it->mb.user_id, name);
	v.mv_data = key;
	if ((rc = mdb_put(txn, s->dbi[DB_MAILBOX_IDS], &k, &v, 0)) != 0)
		return store_lmdb_error(rc);
	if (it->subscribed)
		return store_subscription_put(s, txn, it->mb.user_id, name);
	return 0;
}

/* old_name/x -> new_name/x; STORE_ETOOBIG when the result is too long. */
static int
new_name_of(const struct rename_req *req, const char *name,
    char out[STORE_MAILBOX_NAME_MAX])
{
	const char *suffix = name + strlen(req->old_name);

	if (str_format(out, STORE_MAILBOX_NAME_MAX, "%s%s", req->new_name,
	    suffix) != 0 || strlen(out) > STORE_MAILBOX_NAME_LEN)
		return STORE_ETOOBIG;
	return 0;
}

static int
rename_tree(struct store *s, MDB_txn *txn, struct rename_req *req)
{
	char name[STORE_MAILBOX_NAME_MAX];
	struct rename_list l = { NULL, 0, 0 };
	struct store_mailbox mb;
	size_t i, olen = strlen(req->old_name);
	int rc;

	if (strcmp(req->new_name, "INBOX") == 0 ||
	    strcmp(req->new_name, req->old_name) == 0)
		return STORE_EEXIST;		/* the target exists */
	if (strncmp(req->new_name, req->old_name, olen) == 0 &&
	    req->new_name[olen] == '/')
		return STORE_EINVAL;		/* into its own subtree */
	if ((rc = store_mailbox_load(s, txn, req->user_id, req->old_name,
	    &mb)) != 0)
		return rc;
	list_add(&l, &mb);
	if ((rc = collect_children(s, txn, req->user_id, req->old_name,
	    &l)) != 0)
		goto done;
	/*
	 * All old names go first, so that a new name may be one of the old
	 * ones ("a/b" -> "a" moves "a/b/b" to "a/b").
	 */
	for (i = 0; i < l.n; i++)
		if ((rc = new_name_of(req, l.items[i].mb.name, name)) != 0 ||
		    (rc = unlink_old(s, txn, &l.items[i])) != 0)
			goto done;
	for (i = 0; i < l.n; i++) {
		if ((rc = new_name_of(req, l.items[i].mb.name, name)) != 0 ||
		    (rc = link_new(s, txn, &l.items[i], name)) != 0)
			goto done;
		store_req_changed(&req->base, req->user_id, l.items[i].mb.id);
	}
done:
	free(l.items);
	return rc;
}

static int
rename_inbox(struct store *s, MDB_txn *txn, struct rename_req *req)
{
	struct rename_item it;
	struct store_mailbox inbox;
	int rc, subscribed;

	if (strcmp(req->new_name, "INBOX") == 0)
		return STORE_EEXIST;
	if ((rc = store_mailbox_load(s, txn, req->user_id, "INBOX",
	    &it.mb)) != 0)
		return rc;
	if ((rc = unlink_old(s, txn, &it)) != 0)
		return rc;
	/* INBOX stays subscribed; the new mailbox is as INBOX was. */
	subscribed = it.subscribed;
	if ((rc = link_new(s, txn, &it, req->new_name)) != 0 ||
	    (rc = store_mailbox_create_txn(s, txn, req->user_id, "INBOX",
	    SPECIAL_USE_NONE, subscribed, &inbox)) != 0)
		return rc;
	store_req_changed(&req->base, req->user_id, it.mb.id);
	store_req_changed(&req->base, req->user_id, inbox.id);
	return 0;
}

static int
rename_apply(struct store *s, MDB_txn *txn, struct store_req *r)
{
	struct rename_req *req = (struct rename_req *)r;
	int rc;

	if ((rc = store_user_exists_txn(s, txn, req->user_id)) != 0)
		return rc;
	if (strcmp(req->old_name, "INBOX") == 0)
		return rename_inbox(s, txn, req);
	return rename_tree(s, txn, req);
}

static void
rename_req_free(struct store_req *r)
{
	free(r);
}

static int
rename_req_new(uint64_t user_id, const char *old_name, const char *new_name,
    struct rename_req **req_r)
{
	struct rename_req *req;
	char oldn[STORE_MAILBOX_NAME_MAX], newn[STORE_MAILBOX_NAME_MAX];
	int rc;

	if ((rc = store_mailbox_name_normalize(old_name, oldn)) != 0)
		return rc == STORE_ETOOBIG ? STORE_ENOTFOUND : rc;
	if ((rc = store_mailbox_name_normalize(new_name, newn)) != 0)
		return rc;
	req = xcalloc(1, sizeof(*req));
	store_req_init(&req->base, rename_apply, rename_req_free);
	req->user_id = user_id;
	str_copy(req->old_name, oldn, sizeof(req->old_name));
	str_copy(req->new_name, newn, sizeof(req->new_name));
	req->base.cost = 1024;
	*req_r = req;
	return 0;
}

void
store_mailbox_rename(struct store *s, uint64_t user_id, const char *old_name,
    const char *new_name, store_done_fn done, void *arg)
{
	struct rename_req *req;
	int rc;

	if ((rc = rename_req_new(user_id, old_name, new_name, &req)) != 0)
		store_submit_error(s, rc, done, arg);
	else
		store_submit(s, &req->base, done, arg);
}

int
store_mailbox_rename_wait(struct store *s, uint64_t user_id,
    const char *old_name, const char *new_name)
{
	struct rename_req *req;
	int rc;

	if ((rc = rename_req_new(user_id, old_name, new_name, &req)) != 0)
		return rc;
	return store_submit_wait(s, &req->base);
}
