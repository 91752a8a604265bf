/*
 * imap_msgset.h: a sequence set applied to the session's view of the
 * selected mailbox: which messages (as MSNs) a FETCH, STORE, COPY or MOVE
 * names. Shared by those commands so "*", "n:*" past the end and invalid
 * MSNs mean the same everywhere.
 */
#ifndef POSTHORN_IMAP_MSGSET_H
#define POSTHORN_IMAP_MSGSET_H

#include <stddef.h>
#include <stdint.h>

#include "imap_seqset.h"

struct imap_cmd;
struct imap_selected;

/*
 * Parse the sequence set argument a of cmd (MSNs, or UIDs for UID
 * commands), resolve it against sel and return the MSNs it names in
 * ascending order (malloc'ed, free() it; may be empty). By MSN a number
 * past EXISTS is an error (RFC 9051 6.4.x "Invalid message sequence
 * number"; checked outside ranges with "*": "5:*" with 4 messages names
 * message 4, "1:*" in an empty mailbox names nothing); UIDs that do not
 * exist are ignored (RFC 3501 6.4.8). The
 * resolved set is left in set_r when not NULL (imap_seqset_free it).
 * Returns 0, or -1 after sending the BAD reply itself.
 */
int	 imap_msgset_get(struct imap_cmd *cmd, const struct imap_arg *a,
	    uint32_t **msns_r, size_t *n_r, struct imap_seqset *set_r);

#endif
