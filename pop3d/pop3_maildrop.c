/*
 * pop3_maildrop.c: the snapshot of INBOX a POP3 session works on.
 *
 * Loaded once at login from store_message_list() (one read transaction);
 * afterwards it is plain memory owned by one session on one thread. It
 * never writes to the store: pop3_commands.c turns the marks into
 * store_expunge() and store_flags_update() at QUIT.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pop3_maildrop.h"
#include "store.h"
#include "util.h"

typedef int (*pop3_uid_pick_fn)(const struct pop3_message *m);

static size_t	pop3_maildrop_pick(const struct pop3_maildrop *md,
		    pop3_uid_pick_fn pick, uint32_t **uids_r);
static int	pop3_pick_deleted(const struct pop3_message *m);
static int	pop3_pick_unseen_retrieved(const struct pop3_message *m);

int
pop3_maildrop_open(struct pop3_maildrop **md_r, struct store *store,
    uint64_t user_id)
{
	struct pop3_maildrop *md;
	struct store_mailbox mb;
	struct store_message *list = NULL;
	int n, i, r;

	*md_r = NULL;
	md = xcalloc(1, sizeof(*md));
	r = store_mailbox_get(store, user_id, "INBOX", &mb);
	if (r == STORE_ENOTFOUND) {
		/* Every user has an INBOX; an empty maildrop is the safe answer. */
		*md_r = md;
		return 0;
	}
	if (r < 0) {
		free(md);
		return r;
	}
	md->mailbox_id = mb.id;
	md->uidvalidity = mb.uidvalidity;
	n = store_message_list(store, mb.id, &list);
	if (n < 0) {
		free(md);
		return n;
	}
	md->msgs = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*md->msgs));
	for (i = 0; i < n; i++) {
		md->msgs[i].uid = list[i].uid;
		md->msgs[i].flags = list[i].flags;
		md->msgs[i].blob_id = list[i].blob_id;
		md->msgs[i].size = list[i].size;
		md->size += list[i].size;
	}
	md->count = (size_t)n;
	free(list);
	*md_r = md;
	return 0;
}

void
pop3_maildrop_free(struct pop3_maildrop **md)
{
	if (*md == NULL)
		return;
	free((*md)->msgs);
	free(*md);
	*md = NULL;
}

struct pop3_message *
pop3_maildrop_get(struct pop3_maildrop *md, uint64_t msgno, int *deleted_r)
{
	struct pop3_message *m;

	if (deleted_r != NULL)
		*deleted_r = 0;
	if (msgno < 1 || msgno > md->count)
		return NULL;
	m = &md->msgs[msgno - 1];
	if (m->deleted) {
		if (deleted_r != NULL)
			*deleted_r = 1;
		return NULL;
	}
	return m;
}

size_t
pop3_maildrop_visible(const struct pop3_maildrop *md)
{
	return md->count - md->n_deleted;
}

uint64_t
pop3_maildrop_visible_size(const struct pop3_maildrop *md)
{
	return md->size - md->deleted_size;
}

void
pop3_maildrop_delete(struct pop3_maildrop *md, struct pop3_message *m)
{
	if (m->deleted)
		return;
	m->deleted = 1;
	md->n_deleted++;
	md->deleted_size += m->size;
}

void
pop3_maildrop_reset(struct pop3_maildrop *md)
{
	size_t i;

	for (i = 0; i < md->count; i++)
		md->msgs[i].deleted = 0;
	md->n_deleted = 0;
	md->deleted_size = 0;
}

static int
pop3_pick_deleted(const struct pop3_message *m)
{
	return m->deleted;
}

static int
pop3_pick_unseen_retrieved(const struct pop3_message *m)
{
	return m->retrieved && !m->deleted && !(m->flags & STORE_FLAG_SEEN);
}

static size_t
pop3_maildrop_pick(const struct pop3_maildrop *md, pop3_uid_pick_fn pick,
    uint32_t **uids_r)
{
	size_t i, n = 0;

	*uids_r = NULL;
	for (i = 0; i < md->count; i++)
		if (pick(&md->msgs[i]))
			n++;
	if (n == 0)
		return 0;
	*uids_r = xcalloc(n, sizeof(**uids_r));
	n = 0;
	for (i = 0; i < md->count; i++)
		if (pick(&md->msgs[i]))
			(*uids_r)[n++] = md->msgs[i].uid;
	return n;
}

size_t
pop3_maildrop_deleted_uids(const struct pop3_maildrop *md, uint32_t **uids_r)
{
	return pop3_maildrop_pick(md, pop3_pick_deleted, uids_r);
}

size_t
pop3_maildrop_unseen_retrieved_uids(const struct pop3_maildrop *md,
    uint32_t **uids_r)
{
	return pop3_maildrop_pick(md, pop3_pick_unseen_retrieved, uids_r);
}
