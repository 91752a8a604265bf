/*
 * store.h: Posthorn's mailbox store, one LMDB environment in data_dir.
 *
 * The only module that touches LMDB. Front-ends (smtpd, pop3d, imapd) and
 * the CLI talk to mail only through this API; it knows no protocol.
 *
 * Reads: every read function opens a short read-only transaction on the
 * calling thread and closes it before returning (LMDB: stale readers make
 * the file grow). Any thread may read. The callbacks of the *_list()
 * functions run inside that transaction: keep them short.
 *
 * Writes: every write goes through one writer thread. It batches all writes
 * queued while the previous commit was syncing into one LMDB transaction and
 * one fsync (group commit); each write runs in its own nested transaction so
 * one failing write does not spoil the batch. A write's completion callback
 * runs on the writer thread after its data is durable (or failed); it must
 * be quick (post to a loop and return). The *_wait() wrappers block the
 * calling thread until durable: for the CLI and tests, never on an I/O loop
 * and never on the writer thread (there they fail with STORE_EINVAL).
 * Synchronous admin functions (domain, user, alias, mailbox create) are
 * such wrappers too. Password hashing happens in the caller's thread.
 *
 * Notifications: after a commit, every watcher of an affected user is called
 * on the writer thread with the mailbox id that changed (delivery, flags,
 * expunge, create/delete). Writes by another process (the CLI) are not
 * notified; sessions notice them by MODSEQ/UIDNEXT when they next look.
 *
 * Schema versioning: the environment records its schema version. Opening an
 * older store migrates it in place in one transaction; opening a newer one
 * fails with STORE_EVERSION and a message naming both versions.
 *
 * Errors: functions return 0 (or a count / 1-0 boolean where stated) or a
 * negative STORE_E* code; store_strerror() describes it. STORE_EFULL and
 * STORE_EIO are temporary conditions (answer 452/451, NO, -ERR) and never
 * lose data already committed.
 */
#ifndef POSTHORN_STORE_H
#define POSTHORN_STORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Version 2 added the expunge log and per-mailbox unseen/size counters
 * (store_schema.c migrates a version 1 store in place).
 */
#define STORE_SCHEMA_VERSION	2

#define STORE_OK		0
#define STORE_ENOTFOUND		(-1)	/* no such domain/user/alias/mailbox/message */
#define STORE_EEXIST		(-2)	/* already exists */
#define STORE_EINVAL		(-3)	/* bad argument (empty name, bad address...) */
#define STORE_EFULL		(-4)	/* map full or disk full: temporary */
#define STORE_EIO		(-5)	/* I/O or LMDB error: temporary */
#define STORE_EVERSION		(-6)	/* store written by a newer Posthorn */
#define STORE_ENOMEM		(-7)
#define STORE_ESHUTDOWN		(-8)	/* store is closing; write not done */
#define STORE_ETOOBIG		(-9)	/* value over a store limit */
#define STORE_ENOTEMPTY		(-10)	/* domain still has users or aliases */

#define STORE_ADDRESS_MAX	320	/* local@domain, RFC 5321 4.5.3.1 limits */
#define STORE_MAILBOX_NAME_MAX	512	/* UTF-8, '/' separated */
#define STORE_MAX_RCPT_USERS	1000	/* users one delivery may target */

struct store;

const char *store_strerror(int err);

/*
 * Open (creating if needed) the store in data_dir (the directory must exist
 * or be creatable, mode 0700). map_size is the LMDB map size in bytes (0 =
 * default 16 GiB; the file is sparse). Starts the writer thread. On failure
 * returns a STORE_E* code and a human-readable reason in err, e.g.
 * STORE_EVERSION: "store schema version 3 is newer than this posthorn (2);
 * upgrade posthorn". Several processes may open the same store; one process
 * must not open it twice (LMDB's locks are per process).
 */
int	 store_open(struct store **store_r, const char *data_dir,
	    uint64_t map_size, char *err, size_t errlen);
/* Finish every queued write (all callbacks run), stop the writer, close. */
void	 store_close(struct store **store);
/* Schema version recorded in the store (for `posthorn check`). */
int	 store_schema_version(struct store *store);
/* Number of fsynced commits since open (benchmarks: fsyncs per message). */
uint64_t store_commit_count(struct store *store);
/*
 * Consistency check for `posthorn check`: blob refcounts against messages,
 * mailbox counters, indexes and id counters, in one read transaction. Each
 * problem is described via cb. Returns the number of problems (0 = the
 * store is consistent) or <0 on error.
 */
int	 store_check(struct store *store, void (*problem)(void *arg, const char *msg), void *arg);

/* ---------------------------------------------------------------- domains */

/*
 * Domains are stored lower-cased. Synchronous (wait for durability).
 * store_domain_del fails with STORE_ENOTEMPTY while the domain still has
 * users or aliases.
 */
int	 store_domain_add(struct store *store, const char *domain);
int	 store_domain_del(struct store *store, const char *domain);
/* 1 when domain is local, 0 when not, <0 on error. */
int	 store_domain_exists(struct store *store, const char *domain);
/* Calls cb once per domain in order; stops early when cb returns non-zero. */
int	 store_domain_list(struct store *store,
	    int (*cb)(void *arg, const char *domain), void *arg);

/* ------------------------------------------------------------------ users */

struct store_user {
	uint64_t	 id;				/* never reused */
	char		 address[STORE_ADDRESS_MAX];	/* lower-cased */
};

/*
 * Add a user (its domain must exist: STORE_ENOTFOUND otherwise). The
 * password is hashed with argon2id (crypto_pwhash_str, interactive limits):
 * slow on purpose. Creates INBOX, Sent, Drafts, Trash, Junk and Archive,
 * subscribed, with their special-use attributes.
 */
int	 store_user_add(struct store *store, const char *address, const char *password);
int	 store_user_passwd(struct store *store, const char *address, const char *password);
/*
 * Delete the user, all of its mailboxes and messages (blob refs dropped).
 * Aliases that point at the user stay (they may be re-pointed later).
 */
int	 store_user_del(struct store *store, const char *address);
int	 store_user_lookup(struct store *store, const char *address, struct store_user *user_r);
int	 store_user_lookup_id(struct store *store, uint64_t user_id, struct store_user *user_r);
int	 store_user_list(struct store *store,
	    int (*cb)(void *arg, const struct store_user *user), void *arg);
/*
 * Verify a login: address may be a user or an alias that resolves to exactly
 * one local user. Blocking (argon2id, ~50-100 ms): call from a worker thread.
 * Returns 1 and fills user_r on success, 0 on a wrong password or unknown
 * login (constant-ish time: a dummy hash is verified for unknown users),
 * <0 on error.
 */
int	 store_user_verify(struct store *store, const char *address,
	    const char *password, struct store_user *user_r);

/* ---------------------------------------------------------------- aliases */

/*
 * address is local@domain or "@domain" (catch-all for that domain); targets
 * is a comma-separated list of addresses (local users, other aliases, or
 * later foreign addresses). The alias's domain must be local
 * (STORE_ENOTFOUND); an address that is a user cannot be an alias and vice
 * versa (STORE_EEXIST). Targets are stored lower-cased without spaces.
 */
int	 store_alias_add(struct store *store, const char *address, const char *targets);
int	 store_alias_del(struct store *store, const char *address);
int	 store_alias_list(struct store *store,
	    int (*cb)(void *arg, const char *address, const char *targets), void *arg);

/*
 * Resolve an envelope recipient to local users: an exact user, else an exact
 * alias (expanded recursively, depth-limited, loops ignored), else the
 * domain's catch-all. Fills up to max user ids (deduplicated) in ids and
 * their count in *n_r. Returns 0 when at least one local user was found,
 * STORE_ENOTFOUND when the domain is local but nothing matches, 1 when the
 * domain is not local (the caller refuses to relay), <0 on error.
 * A read: cheap, may be called on an I/O loop.
 */
int	 store_resolve_rcpt(struct store *store, const char *address,
	    uint64_t *ids, size_t max, size_t *n_r);

/* -------------------------------------------------------------- mailboxes */

enum store_special_use {
	SPECIAL_USE_NONE = 0,
	SPECIAL_USE_SENT,
	SPECIAL_USE_DRAFTS,
	SPECIAL_USE_TRASH,
	SPECIAL_USE_JUNK,
	SPECIAL_USE_ARCHIVE,
	SPECIAL_USE_ALL,
	SPECIAL_USE_FLAGGED
};

struct store_mailbox {
	uint64_t	 id;			/* never reused */
	uint64_t	 user_id;
	char		 name[STORE_MAILBOX_NAME_MAX];	/* "INBOX", "Sent", "a/b" */
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint64_t	 highestmodseq;
	uint32_t	 messages;
	uint32_t	 unseen;		/* messages without \Seen */
	uint32_t	 recent;		/* messages with \Recent */
	uint64_t	 size;			/* sum of message sizes */
	int		 special_use;		/* enum store_special_use */
	int		 subscribed;
};

/*
 * Look up a mailbox by user and name ("INBOX" is case-insensitive). Names
 * are valid UTF-8 without control characters, '/' separated, no empty
 * level, and at most 503 bytes (LMDB's key limit; STORE_ETOOBIG beyond).
 */
int	 store_mailbox_get(struct store *store, uint64_t user_id,
	    const char *name, struct store_mailbox *mb_r);
int	 store_mailbox_get_id(struct store *store, uint64_t mailbox_id,
	    struct store_mailbox *mb_r);
/* Calls cb for each of the user's mailboxes in name order. */
int	 store_mailbox_list(struct store *store, uint64_t user_id,
	    int (*cb)(void *arg, const struct store_mailbox *mb), void *arg);

/* ---------------------------------------------------------------- messages */

/* System flags, stored as bits (keywords are a later extension). */
#define STORE_FLAG_SEEN		0x01
#define STORE_FLAG_ANSWERED	0x02
#define STORE_FLAG_FLAGGED	0x04
#define STORE_FLAG_DELETED	0x08
#define STORE_FLAG_DRAFT	0x10
#define STORE_FLAG_RECENT	0x20

struct store_message {
	uint32_t	 uid;
	uint32_t	 flags;		/* STORE_FLAG_* */
	uint64_t	 blob_id;
	uint64_t	 size;		/* bytes, CRLF line ends */
	int64_t		 internaldate;	/* seconds since the epoch */
	uint64_t	 modseq;
};

/*
 * Messages of a mailbox in UID order, in one read transaction. Returns the
 * count (>= 0) and a malloc'ed array in *msgs_r (free() it), or <0.
 */
int	 store_message_list(struct store *store, uint64_t mailbox_id,
	    struct store_message **msgs_r);
int	 store_message_get(struct store *store, uint64_t mailbox_id,
	    uint32_t uid, struct store_message *msg_r);
/*
 * Copy a message's raw bytes (RFC 5322, CRLF line ends) into a malloc'ed
 * buffer. Returns 0 and sets *data_r / *len_r, or <0.
 */
int	 store_blob_read(struct store *store, uint64_t blob_id,
	    char **data_r, size_t *len_r);

/* ------------------------------------------------------ asynchronous writes */

/*
 * Completion of an asynchronous write, on the writer thread, after commit.
 * status is 0 or a STORE_E* code (bad arguments too are reported this way,
 * from the writer thread). Only when the store is closing does it run at
 * once on the submitting thread, with STORE_ESHUTDOWN. Must not call store
 * functions that wait.
 */
typedef void (*store_done_fn)(void *arg, int status);

/*
 * Deliver one message to the INBOX of every listed user: one blob shared by
 * all (reference-counted), one new message (next UID, new MODSEQ, \Recent)
 * per user. data is raw RFC 5322 with CRLF line ends and is copied before
 * store_deliver() returns. done(arg, 0) means durable in every INBOX; on
 * failure nothing of this delivery is stored (STORE_ENOTFOUND: a user or
 * its mailbox does not exist). A user listed twice gets one copy.
 */
struct store_delivery {
	const uint64_t	*user_ids;
	size_t		 n_users;
	const char	*data;
	size_t		 len;
	int64_t		 internaldate;	/* 0 = now */
	const char	*mailbox;	/* NULL = "INBOX" */
	uint32_t	 flags;		/* initial flags (\Recent is added) */
};
void	 store_deliver(struct store *store, const struct store_delivery *d,
	    store_done_fn done, void *arg);
int	 store_deliver_wait(struct store *store, const struct store_delivery *d);

/*
 * Change flags of messages by UID: flags = (flags & ~clear) | set. Each
 * changed message gets a new MODSEQ. Unknown UIDs are skipped.
 */
void	 store_flags_update(struct store *store, uint64_t mailbox_id,
	    const uint32_t *uids, size_t n, uint32_t set, uint32_t clear,
	    store_done_fn done, void *arg);
int	 store_flags_update_wait(struct store *store, uint64_t mailbox_id,
	    const uint32_t *uids, size_t n, uint32_t set, uint32_t clear);

/*
 * Remove messages by UID (POP3 UPDATE state, IMAP EXPUNGE): drops their blob
 * references (a blob is freed with its last reference) and records the
 * expunge with a MODSEQ (for QRESYNC). Unknown UIDs are skipped.
 */
void	 store_expunge(struct store *store, uint64_t mailbox_id,
	    const uint32_t *uids, size_t n, store_done_fn done, void *arg);
int	 store_expunge_wait(struct store *store, uint64_t mailbox_id,
	    const uint32_t *uids, size_t n);

/*
 * Create a mailbox for a user (parents are not implied), not subscribed.
 * STORE_EEXIST if it exists, STORE_ENOTFOUND for an unknown user.
 */
int	 store_mailbox_create(struct store *store, uint64_t user_id,
	    const char *name, int special_use);

/* -------------------------------------------------------- notifications */

typedef void (*store_watch_fn)(void *arg, uint64_t user_id, uint64_t mailbox_id);

/*
 * Register fn to be called (on the writer thread, after each commit) when a
 * mailbox of user_id changes: once per changed mailbox per commit. Returns a
 * handle > 0 for store_watch_remove, which guarantees fn is not running and
 * will not run again once it returns (fn may remove its own handle; that
 * call does not wait). Returns 0 when fn is NULL.
 */
uint64_t store_watch_add(struct store *store, uint64_t user_id,
	    store_watch_fn fn, void *arg);
void	 store_watch_remove(struct store *store, uint64_t handle);

#endif
