/*
 * pop3_maildrop.h: a POP3 session's view of the user's INBOX (RFC 1939
 * section 5): the messages present at login, numbered 1..n in UID order,
 * with their sizes, unique-ids and the session's deletion marks.
 *
 * The list is a snapshot: messages delivered later appear in the next
 * session, as RFC 1939 expects; a message removed meanwhile by IMAP fails
 * to read and is skipped by the expunge. Deletion marks live only here
 * until QUIT (UPDATE state) hands them to the store.
 */
#ifndef POSTHORN_POP3_MAILDROP_H
#define POSTHORN_POP3_MAILDROP_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct pop3_message {
	uint32_t	 uid;
	uint32_t	 flags;		/* STORE_FLAG_* at login */
	uint64_t	 blob_id;
	uint64_t	 size;		/* octets, CRLF line ends */
	int		 deleted;	/* marked by DELE, undone by RSET */
	int		 retrieved;	/* sent by RETR: mark \Seen at the end */
};

struct pop3_maildrop {
	uint64_t		 mailbox_id;	/* 0: the user has no INBOX */
	uint32_t		 uidvalidity;
	struct pop3_message	*msgs;
	size_t			 count;		/* messages at login */
	size_t			 n_deleted;
	uint64_t		 size;		/* octets of all messages */
	uint64_t		 deleted_size;
};

/*
 * Load the snapshot of user_id's INBOX (a short read transaction: may run
 * on an I/O loop). Returns 0 and a new maildrop, or a STORE_E* code.
 */
int	 pop3_maildrop_open(struct pop3_maildrop **md_r, struct store *store,
	    uint64_t user_id);
void	 pop3_maildrop_free(struct pop3_maildrop **md);

/*
 * The message numbered msgno (1-based) if it exists and is not marked
 * deleted; NULL otherwise (RFC 1939: such a message may not be referred
 * to). *deleted_r, if not NULL, says which case it was.
 */
struct pop3_message *pop3_maildrop_get(struct pop3_maildrop *md,
	    uint64_t msgno, int *deleted_r);

/* Messages and octets not marked deleted (STAT, LIST). */
size_t	 pop3_maildrop_visible(const struct pop3_maildrop *md);
uint64_t pop3_maildrop_visible_size(const struct pop3_maildrop *md);

void	 pop3_maildrop_delete(struct pop3_maildrop *md, struct pop3_message *m);
/* RSET: unmark every message. */
void	 pop3_maildrop_reset(struct pop3_maildrop *md);

/*
 * UIDs of the messages marked deleted (for the expunge at QUIT) or of those
 * retrieved and not yet \Seen and not deleted (for the flag update). Returns
 * the count and a malloc'ed array in *uids_r (NULL when the count is 0).
 */
size_t	 pop3_maildrop_deleted_uids(const struct pop3_maildrop *md,
	    uint32_t **uids_r);
size_t	 pop3_maildrop_unseen_retrieved_uids(const struct pop3_maildrop *md,
	    uint32_t **uids_r);

#endif
