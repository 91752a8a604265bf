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
 * Version 2 added the expunge log and per-mailbox unseen/size counters;
 * version 3 keywords, the MODSEQ index, subscriptions by name and the
 * blob cache; version 4 the outbound queue (store_schema.c migrates older
 * stores in place).
 */
#define STORE_SCHEMA_VERSION	4

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
struct store_queue_new;

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
 * Like store_resolve_rcpt, and also collects the foreign addresses that
 * aliases point to (an alias "team@example.org -> a@example.org,
 * x@elsewhere.net"): up to max_foreign of them, deduplicated and
 * lower-cased, in foreign[], their count in *n_foreign_r. Returns 0 when
 * at least one local user or foreign target was found, otherwise as
 * store_resolve_rcpt (1: the address itself is foreign).
 */
int	 store_resolve_rcpt_targets(struct store *store, const char *address,
	    uint64_t *ids, size_t max, size_t *n_r,
	    char (*foreign)[STORE_ADDRESS_MAX], size_t max_foreign,
	    size_t *n_foreign_r);

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
	uint64_t	 keywords;	/* bit i = keyword i of the mailbox (store_keyword_*) */
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
	const char	*cache;		/* optional blob cache (store_blob_cache_get), copied */
	size_t		 cache_len;
	/*
	 * Outbound (issue 5): queue entries committed in the same transaction
	 * as the local copies, sharing the blob, so a 250 covers both.
	 * n_users may be 0 when n_queue > 0 (mail only to foreign
	 * recipients, a DSN to a foreign sender). The new entries' ids are
	 * written to queue_ids_r[i] (if not NULL) before done runs.
	 */
	const struct store_queue_new *queue;
	size_t		 n_queue;
	uint64_t	*queue_ids_r;
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
 * Create a mailbox for a user (parents are not implied), not subscribed
 * (unless its name already is: subscriptions are kept by name).
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

/* ====================================================================
 * IMAP support (issue 3). Everything here is asynchronous on the writer
 * thread like store_deliver(); results that the caller needs (new UIDs)
 * are written into caller-owned memory before done() runs, so the caller
 * reads them in its loop-side completion. They are valid only when
 * status is 0 (on failure counts and UIDs read 0, arrays NULL). A
 * *_wait() twin exists for tests and the CLI where noted. Every write
 * notifies the watchers of each mailbox it changed.
 * ==================================================================== */

#define STORE_KEYWORDS_MAX	64	/* keywords per mailbox (bit mask per message) */
#define STORE_KEYWORD_LEN	64	/* bytes of one keyword name */
#define STORE_ELIMIT		(-11)	/* a per-mailbox limit (keywords) reached */

/*
 * The keyword names of a mailbox, index = bit in store_message.keywords.
 * Fills names[i] (NUL-terminated) for i < returned count (<= STORE_KEYWORDS_MAX).
 * A table only grows (bits are never reused); STORE_ENOTFOUND for an
 * unknown mailbox. Keywords are RFC 3501 atoms of 1..63 ASCII bytes, not
 * starting with a backslash; anything else is STORE_EINVAL where given.
 */
int	 store_keyword_list(struct store *store, uint64_t mailbox_id,
	    char names[][STORE_KEYWORD_LEN]);

/*
 * Change system flags and keywords of messages by UID:
 * flags = (flags & ~clear) | set; keywords likewise with the named keywords
 * (case-insensitive, RFC 3501 atoms; new names are added to the mailbox's
 * table, STORE_ELIMIT past STORE_KEYWORDS_MAX). replace = 1 sets exactly
 * set/set_keywords (STORE FLAGS). unchangedsince != 0 (CONDSTORE): messages
 * whose MODSEQ is higher are not changed; their UIDs are written to
 * failed_uids_r (capacity n) and their count to *n_failed_r. Every changed
 * message gets a new MODSEQ; unchanged ones keep theirs. The new MODSEQ of
 * each requested UID (0 if missing) is written to modseqs_r[i] if not NULL.
 * \Recent is never changed (RFC 3501: clients cannot), not even by
 * replace. UNCHANGEDSINCE 0 from a client fails for every message (RFC
 * 7162 3.1.3): the caller answers that itself, 0 here means "no
 * condition". Unknown UIDs are skipped; a UID listed twice is changed
 * once. New keyword names stay out of the table when no message changed.
 * STORE_ELIMIT also for more than 1024 keyword names in one call.
 */
struct store_flag_change {
	uint64_t	 mailbox_id;
	const uint32_t	*uids;
	size_t		 n;
	uint32_t	 set, clear;
	const char	*const *set_keywords;	size_t n_set_keywords;
	const char	*const *clear_keywords;	size_t n_clear_keywords;
	int		 replace;
	uint64_t	 unchangedsince;
	uint32_t	*failed_uids_r;		/* may be NULL when unchangedsince == 0 */
	size_t		*n_failed_r;
	uint64_t	*modseqs_r;		/* may be NULL */
};
void	 store_flags_change(struct store *store, const struct store_flag_change *fc,
	    store_done_fn done, void *arg);
int	 store_flags_change_wait(struct store *store, const struct store_flag_change *fc);

/*
 * APPEND: add one message to a mailbox of the user with flags, keywords and
 * an internal date (0 = now). *uid_r and *uidvalidity_r are set before done
 * (UIDPLUS APPENDUID). STORE_ENOTFOUND when the mailbox does not exist
 * (IMAP answers [TRYCREATE]). data is copied before the call returns.
 * \Recent is added (RFC 3501 6.3.11). A new keyword that does not fit the
 * mailbox's table fails the append with STORE_ELIMIT.
 */
struct store_append {
	uint64_t	 mailbox_id;
	const char	*data;
	size_t		 len;
	int64_t		 internaldate;
	uint32_t	 flags;
	const char	*const *keywords;
	size_t		 n_keywords;
	uint32_t	*uid_r;
	uint32_t	*uidvalidity_r;
	const char	*cache;		/* optional blob cache, copied */
	size_t		 cache_len;
};
void	 store_append(struct store *store, const struct store_append *a,
	    store_done_fn done, void *arg);
int	 store_append_wait(struct store *store, const struct store_append *a);

/*
 * COPY / MOVE by UID from one mailbox to another of the same user: blobs are
 * shared (refcount), flags and keywords are kept (keywords re-mapped by
 * name), \Recent is set in the destination. new_uids_r[i] receives the new
 * UID of uids[i] (0 if that UID did not exist); *dst_uidvalidity_r the
 * destination's UIDVALIDITY (COPYUID). move = 1 also expunges the sources
 * in the same transaction (RFC 6851: atomic), with expunge-log entries.
 * New UIDs ascend with the source UIDs whatever the order of uids.
 * Keywords that no longer fit a full destination table are dropped (the
 * copy does not fail). Mailboxes of two users: STORE_EINVAL. Watchers: the
 * destination, and the source on MOVE.
 */
struct store_copy {
	uint64_t	 src_mailbox_id;
	uint64_t	 dst_mailbox_id;
	const uint32_t	*uids;
	size_t		 n;
	int		 move;
	uint32_t	*new_uids_r;
	uint32_t	*dst_uidvalidity_r;
};
void	 store_copy(struct store *store, const struct store_copy *cp,
	    store_done_fn done, void *arg);
int	 store_copy_wait(struct store *store, const struct store_copy *cp);

/*
 * Mailbox management, asynchronous. create: special_use as in
 * store_mailbox_create, subscribe too when subscribe != 0. delete: the
 * mailbox and its messages (not INBOX: STORE_EINVAL; children stay, as RFC
 * 3501 6.3.4 allows); its messages are logged as expunged under its id so
 * store_expunged_since() tells a session that still has it selected.
 * rename: the mailbox and every child ("a" -> "b" also moves "a/x" to
 * "b/x"), each keeping its id, UIDVALIDITY, UIDs and messages; the target
 * must not exist (STORE_EEXIST, also when a child's new name exists), a
 * target inside the source's own subtree is STORE_EINVAL; subscriptions
 * follow the names. Renaming INBOX moves all its messages into a new
 * mailbox and leaves INBOX empty (RFC 3501 6.3.5): the old INBOX (id,
 * UIDVALIDITY, UIDs) becomes the new name, a new empty INBOX with a new
 * id and UIDVALIDITY replaces it, INBOX's children stay. Parents are
 * never implied. Subscriptions are kept per user by name and may name
 * mailboxes that do not exist (RFC 3501 6.3.6); subscribing twice is
 * fine, unsubscribing a name that is not subscribed is STORE_ENOTFOUND;
 * a deleted mailbox stays subscribed.
 */
void	 store_mailbox_create_async(struct store *store, uint64_t user_id,
	    const char *name, int special_use, int subscribe,
	    store_done_fn done, void *arg);
void	 store_mailbox_delete(struct store *store, uint64_t user_id,
	    const char *name, store_done_fn done, void *arg);
void	 store_mailbox_rename(struct store *store, uint64_t user_id,
	    const char *old_name, const char *new_name, store_done_fn done, void *arg);
void	 store_subscribe(struct store *store, uint64_t user_id,
	    const char *name, int subscribe, store_done_fn done, void *arg);
int	 store_mailbox_delete_wait(struct store *store, uint64_t user_id, const char *name);
int	 store_mailbox_rename_wait(struct store *store, uint64_t user_id,
	    const char *old_name, const char *new_name);
int	 store_subscribe_wait(struct store *store, uint64_t user_id,
	    const char *name, int subscribe);
/* Subscribed names of a user in name order (existing or not). */
int	 store_subscription_list(struct store *store, uint64_t user_id,
	    int (*cb)(void *arg, const char *name), void *arg);

/*
 * \Recent (RFC 3501 2.3.2.2): exactly one session sees a message as recent.
 * The session that SELECTs (not EXAMINEs) a mailbox claims its recent
 * messages: the \Recent flag is cleared in the store, and the UIDs that
 * had it are returned (malloc'ed array, free() it) so the claiming session
 * reports them as \Recent. Not a MODSEQ change. *uids_r is NULL and *n_r 0
 * when none (or on failure).
 */
void	 store_recent_claim(struct store *store, uint64_t mailbox_id,
	    uint32_t **uids_r, size_t *n_r, store_done_fn done, void *arg);

/*
 * CONDSTORE/QRESYNC reads. Messages whose MODSEQ > modseq (in UID order,
 * malloc'ed array): store_message_list_changed. Expunged UIDs with expunge
 * MODSEQ > modseq (sorted, malloc'ed array, free() it): store_expunged_since.
 * Both return the count (0: nothing, *_r NULL) or <0. list_changed fails
 * with STORE_ENOTFOUND for an unknown mailbox; expunged_since also answers
 * for a deleted mailbox (its messages were logged at deletion).
 */
int	 store_message_list_changed(struct store *store, uint64_t mailbox_id,
	    uint64_t modseq, struct store_message **msgs_r);
int	 store_expunged_since(struct store *store, uint64_t mailbox_id,
	    uint64_t modseq, uint32_t **uids_r);

/*
 * Per-blob cache of what IMAP clients ask for most (envelope,
 * bodystructure, part offsets): opaque bytes built by mime/ and stored once
 * per blob. store_delivery.cache / store_append may supply it at delivery;
 * store_blob_cache_set adds it later (first FETCH of an old message) or
 * replaces it (STORE_ENOTFOUND when the blob is gone). At most 16 MiB
 * (STORE_ETOOBIG). The cache goes with its blob.
 * get: STORE_ENOTFOUND when absent; *data_r malloc'ed.
 */
int	 store_blob_cache_get(struct store *store, uint64_t blob_id,
	    char **data_r, size_t *len_r);
void	 store_blob_cache_set(struct store *store, uint64_t blob_id,
	    const char *data, size_t len, store_done_fn done, void *arg);

/*
 * The stored argon2id hash string of a login (an address, or an alias that
 * resolves to exactly one user, as in store_user_verify), with the user it
 * belongs to: for the credentials cache of auth/, which compares it on
 * every hit so that a password change invalidates cached logins at once.
 * hash must hold STORE_PASSWORD_HASH_MAX bytes. A cheap read, any thread.
 * Returns 0, STORE_ENOTFOUND for an unknown login, or another STORE_E*.
 */
#define STORE_PASSWORD_HASH_MAX	129	/* crypto_pwhash_STRBYTES + 1 */
int	 store_user_password_hash(struct store *store, const char *address,
	    char *hash, size_t hashlen, struct store_user *user_r);

/* ====================================================================
 * Outbound queue (issue 5). Mail for foreign recipients waits here until
 * the remote server accepted it: one entry per destination domain with
 * per-recipient state, its message a reference to a blob (shared with
 * local copies of the same message). Entries are added by store_deliver()
 * (struct store_delivery.queue); the delivery runner of posthornd reads
 * due entries, and records each attempt with store_queue_update(), which
 * may in the same transaction deliver the bounce (DSN) it generated, so a
 * recipient is never marked failed without its DSN nor bounced twice. An
 * entry whose recipients are all final (delivered or failed) is removed
 * with its blob reference. Times are seconds since the epoch.
 * ==================================================================== */

#define STORE_QUEUE_RCPTS_MAX	1000	/* recipients per entry */
#define STORE_QUEUE_REPLY_MAX	512	/* last reply kept per recipient */

/* Entry flags, from the submission's MAIL FROM parameters. */
#define STORE_QUEUE_F_8BITMIME	0x01	/* BODY=8BITMIME */
#define STORE_QUEUE_F_SMTPUTF8	0x02	/* SMTPUTF8 */
#define STORE_QUEUE_F_BOUNCE	0x04	/* a DSN we made: never bounce it (null sender too) */

enum store_queue_rcpt_state {
	STORE_QUEUE_PENDING = 0,	/* not yet delivered: retried */
	STORE_QUEUE_DELIVERED,		/* the remote server said 250 */
	STORE_QUEUE_FAILED		/* permanent failure or expired (bounced) */
};

/* A new entry (store_delivery.queue): strings are copied. */
struct store_queue_new {
	const char		*sender;	/* envelope sender, "" = <> */
	const char		*domain;	/* destination domain, lower-cased */
	const char *const	*rcpts;		/* full addresses, all @domain */
	size_t			 n_rcpts;	/* 1..STORE_QUEUE_RCPTS_MAX */
	uint32_t		 flags;		/* STORE_QUEUE_F_* */
	int64_t			 next_attempt;	/* 0 = now */
};

struct store_queue_rcpt {
	char		 address[STORE_ADDRESS_MAX];
	int		 state;		/* enum store_queue_rcpt_state */
	char		 reply[STORE_QUEUE_REPLY_MAX];	/* last reply/reason, "" none */
};

struct store_queue_entry {
	uint64_t		 id;		/* > 0, never reused */
	uint64_t		 blob_id;	/* store_blob_read() */
	uint64_t		 size;		/* message bytes */
	int64_t			 created;
	int64_t			 next_attempt;
	int64_t			 last_attempt;	/* 0 = never tried */
	uint32_t		 attempts;
	uint32_t		 flags;		/* STORE_QUEUE_F_* */
	char			 sender[STORE_ADDRESS_MAX];
	char			 domain[STORE_ADDRESS_MAX];
	size_t			 n_rcpts;
	struct store_queue_rcpt	*rcpts;		/* malloc'ed, n_rcpts */
};

/* Free what store_queue_get()/store_queue_list() allocated inside e. */
void	 store_queue_entry_free(struct store_queue_entry *e);

/* One entry by id: 0 (e_r filled, free with store_queue_entry_free) or STORE_ENOTFOUND. */
int	 store_queue_get(struct store *store, uint64_t id, struct store_queue_entry *e_r);

/*
 * Every entry in id order (the entry passed to cb is freed after cb
 * returns); stops when cb returns non-zero. Returns the number of entries
 * visited or <0.
 */
int	 store_queue_list(struct store *store,
	    int (*cb)(void *arg, const struct store_queue_entry *e), void *arg);

/*
 * Ids of up to max entries with next_attempt <= now, earliest first,
 * from the due index (never a scan of the whole queue). Returns the
 * count or <0. *next_r (if not NULL) receives the earliest next_attempt
 * after now among the rest, 0 when there is none; when more than max are
 * due, the next_attempt of the first one not returned (<= now: call
 * again at once).
 */
int	 store_queue_due(struct store *store, int64_t now, uint64_t *ids,
	    size_t max, int64_t *next_r);

/* Number of entries and of pending recipients (for logs and benchmarks). */
int	 store_queue_count(struct store *store, uint64_t *entries_r, uint64_t *rcpts_r);

/*
 * Record an attempt. Each listed recipient (by index into the entry's
 * rcpts) gets its new state and reply; attempts becomes attempts + 1 when
 * count_attempt, last_attempt = now, next_attempt as given. When no
 * recipient is pending afterwards, the entry is removed and its blob
 * reference dropped. bounce (optional) is delivered in the same
 * transaction (store_delivery rules; its queue ids are not reported).
 * STORE_ENOTFOUND when the entry is gone (deleted meanwhile): nothing is
 * written, the bounce neither. A bounce that cannot be stored fails the
 * whole update with its own code (nothing written either; a bounce user
 * deleted meanwhile is STORE_ENOTFOUND too: store_queue_get tells).
 */
struct store_queue_rcpt_update {
	size_t		 index;
	int		 state;		/* enum store_queue_rcpt_state */
	const char	*reply;		/* copied, truncated to STORE_QUEUE_REPLY_MAX - 1 */
};
struct store_queue_update {
	uint64_t				 id;
	const struct store_queue_rcpt_update	*rcpts;
	size_t					 n_rcpts;
	int					 count_attempt;
	int64_t					 now;
	int64_t					 next_attempt;
	const struct store_delivery		*bounce;	/* NULL: none */
};
void	 store_queue_update(struct store *store, const struct store_queue_update *u,
	    store_done_fn done, void *arg);
int	 store_queue_update_wait(struct store *store, const struct store_queue_update *u);

/*
 * Administration (`posthorn queue`): retry sets next_attempt = now for one
 * entry (id > 0) or every entry (id 0); delete removes an entry and its
 * blob reference without a bounce. STORE_ENOTFOUND for an unknown id.
 */
int	 store_queue_retry_wait(struct store *store, uint64_t id, int64_t now);
int	 store_queue_delete_wait(struct store *store, uint64_t id);

#endif
