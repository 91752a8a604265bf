/*
 * pop3_lock.h: the exclusive-access lock on a maildrop (RFC 1939 section 4:
 * after a successful login the server locks the maildrop; a second session
 * gets -ERR [IN-USE], RFC 2449 section 8.1.2).
 *
 * The lock is in-process only (one posthornd serves all POP3 sessions) and
 * keyed by the user id. IMAP and the CLI do not take it: a POP3 session
 * works on a snapshot and tolerates changes made underneath it.
 * Thread-safe: sessions on every I/O loop share one set.
 */
#ifndef POSTHORN_POP3_LOCK_H
#define POSTHORN_POP3_LOCK_H

#include <stddef.h>
#include <stdint.h>

/* Take the lock of user_id. Returns 0, or -1 when another session holds it. */
int	 pop3_lock_acquire(uint64_t user_id);
/* Release a lock taken by pop3_lock_acquire(). */
void	 pop3_lock_release(uint64_t user_id);
/* Number of locks held (tests). */
size_t	 pop3_lock_count(void);

#endif
