/*
 * store_internal.h: what the store's .c files share and nothing outside
 * store/ may include: the environment struct, the on-disk layout (key and
 * record encodings), the write-request plumbing of the writer thread and
 * the helpers that run inside a write transaction.
 *
 * On-disk layout (schema version 4). Integers in keys are big-endian so
 * LMDB's byte order is numeric order; integers in values are little-endian.
 * Every record value that has fields starts with a layout version byte and
 * is decoded field by field (no struct dumps, no padding on disk).
 *
 *   meta         "schema_version", "next_user_id", "next_mailbox_id",
 *                "next_blob_id", "last_uidvalidity"  -> u64 LE
 *   domains      domain (lower-case)                 -> domain record
 *   users        address (lower-case)                -> user record
 *   users_by_id  user id BE64                        -> address
 *   aliases      address or "@domain"                -> alias record
 *   mailboxes    user id BE64 + name (UTF-8)         -> mailbox record
 *   mailbox_ids  mailbox id BE64                     -> mailboxes key
 *   messages     mailbox id BE64 + uid BE32          -> message record
 *   expunges     mailbox id BE64 + modseq BE64       -> uid u32 LE   (v2)
 *   blobs        blob id BE64                        -> raw RFC 5322 bytes
 *   blob_refs    blob id BE64                        -> refcount u32 LE
 *   modseqs      mailbox id BE64 + modseq BE64       -> uid u32 LE   (v3)
 *   keywords     mailbox id BE64                     -> keyword table (v3)
 *   subscriptions user id BE64 + name (UTF-8)        -> u8 1         (v3)
 *   blob_cache   blob id BE64                        -> opaque bytes (v3)
 *   queue        queue id BE64                       -> queue record (v4)
 *   queue_due    next_attempt BE64 (sign bit flipped) + queue id BE64
 *                                                    -> empty        (v4)
 *
 * meta also holds "next_queue_id" and "queue_rcpts" (pending recipients
 * of all queue entries, kept exact by every queue write) since v4.
 * queue_due is the outbound queue's schedule: one entry per queue entry
 * at its next_attempt, so the due entries are the first keys (the sign
 * bit is flipped so that negative times sort before positive ones).
 *
 * modseqs is the MODSEQ index: one entry per message, at its current
 * MODSEQ (CONDSTORE CHANGEDSINCE without a scan). expunges keeps the
 * entries of a deleted mailbox (its sessions still learn what vanished).
 * Subscriptions are by name and may name mailboxes that do not exist
 * (RFC 3501 6.3.6); struct store_mailbox.subscribed is looked up there.
 *
 * Record layouts are in store_record.c next to their encoders.
 */
#ifndef POSTHORN_STORE_INTERNAL_H
#define POSTHORN_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum store_db {
	DB_META = 0,
	DB_DOMAINS,
	DB_USERS,
	DB_USERS_BY_ID,
	DB_ALIASES,
	DB_MAILBOXES,
	DB_MAILBOX_IDS,
	DB_MESSAGES,
	DB_EXPUNGES,
	DB_BLOBS,
	DB_BLOB_REFS,
	DB_MODSEQS,
	DB_KEYWORDS,
	DB_SUBSCRIPTIONS,
	DB_BLOB_CACHE,
	DB_QUEUE,
	DB_QUEUE_DUE,
	DB_COUNT
};

/* LMDB's compiled-in key limit (mdb_env_get_maxkeysize) on Debian. */
#define STORE_KEY_MAX		511
/* Longest mailbox name that fits a mailboxes key after the user id. */
#define STORE_MAILBOX_NAME_LEN	(STORE_KEY_MAX - 8)
#define STORE_DOMAIN_MAX	253	/* RFC 1035 2.3.4 */
#define STORE_TARGETS_MAX	65536	/* bytes of one alias's target list */
#define STORE_PASSWORD_MAX	4096
#define STORE_HASH_MAX		128	/* crypto_pwhash_STRBYTES */
#define STORE_BLOB_MAX		((size_t)1 << 31)
#define STORE_UIDS_MAX		((size_t)1 << 24)	/* UIDs per flag/expunge request */
#define STORE_CACHE_MAX		((size_t)16 << 20)	/* bytes of one blob cache */
#define STORE_KEYWORD_ARGS_MAX	1024	/* keyword names in one request */
#define STORE_FLAGS_MASK	0x3fu

#define META_SCHEMA_VERSION	"schema_version"
#define META_NEXT_USER_ID	"next_user_id"
#define META_NEXT_MAILBOX_ID	"next_mailbox_id"
#define META_NEXT_BLOB_ID	"next_blob_id"
#define META_LAST_UIDVALIDITY	"last_uidvalidity"
#define META_NEXT_QUEUE_ID	"next_queue_id"
#define META_QUEUE_RCPTS	"queue_rcpts"

/* ------------------------------------------------------------ requests */

struct store_req;
typedef int (*store_apply_fn)(struct store *, MDB_txn *, struct store_req *);

struct store_change {
	uint64_t	 user_id;
	uint64_t	 mailbox_id;
};

/*
 * One queued write. Modules embed it as the first member of their own
 * request struct; apply runs on the writer thread inside a nested
 * transaction and returns 0 or a STORE_E* code; destroy frees the request.
 * finish (optional) runs exactly once, just before done, with the final
 * status (after the commit, or the refusal): the place to copy results
 * into the caller's memory only when they are durable.
 */
struct store_req {
	struct store_req	*next;
	store_apply_fn		 apply;
	void			(*destroy)(struct store_req *);
	void			(*finish)(struct store_req *, int status);
	store_done_fn		 done;
	void			*arg;
	int			 status;
	size_t			 cost;		/* bytes written, to cap a batch */

	struct store_change	*changes;	/* mailboxes touched (watchers) */
	size_t			 n_changes;
	size_t			 max_changes;
};

struct store_watch {
	uint64_t	 user_id;
	uint64_t	 handle;
	store_watch_fn	 fn;
	void		*arg;
};

struct store {
	MDB_env			*env;
	MDB_dbi			 dbi[DB_COUNT];
	int			 schema_version;

	/* The writer thread and its queue. */
	pthread_t		 writer;
	int			 writer_running;
	pthread_mutex_t		 queue_lock;
	pthread_cond_t		 queue_cond;
	struct store_req	*queue_head;
	struct store_req	*queue_tail;
	int			 stopping;
	_Atomic uint64_t	 commits;

	/* Watchers, sorted by (user_id, handle). */
	pthread_mutex_t		 watch_lock;
	pthread_cond_t		 watch_cond;
	struct store_watch	*watches;
	size_t			 n_watches;
	size_t			 max_watches;
	uint64_t		 last_watch_handle;
	uint64_t		 watch_running;	/* handle being called, 0 = none */
};

/* store_error.c */
int	 store_lmdb_error(int rc);

/* store_env.c */
int	 store_read_begin(struct store *s, MDB_txn **txn_r);
void	 store_read_end(MDB_txn *txn);

/* store_schema.c: create or migrate the layout in txn; opens s->dbi. */
int	 store_schema_setup(struct store *s, MDB_txn *txn, char *err, size_t errlen);

/* store_writer.c */
int	 store_writer_start(struct store *s);
void	 store_writer_stop(struct store *s);
void	 store_req_init(struct store_req *req, store_apply_fn apply,
	    void (*destroy)(struct store_req *));
void	 store_submit(struct store *s, struct store_req *req,
	    store_done_fn done, void *arg);
int	 store_submit_wait(struct store *s, struct store_req *req);
void	 store_submit_error(struct store *s, int status, store_done_fn done,
	    void *arg);
void	 store_req_changed(struct store_req *req, uint64_t user_id,
	    uint64_t mailbox_id);
int	 store_on_writer(struct store *s);

/* store_watch.c */
void	 store_watch_init(struct store *s);
void	 store_watch_free(struct store *s);
void	 store_watch_notify(struct store *s, uint64_t user_id, uint64_t mailbox_id);

/* store_name.c: validation and case folding of names and addresses. */
#define STORE_ADDR_CATCHALL	0x01	/* "@domain" allowed */
#define STORE_ADDR_STRICT	0x02	/* for adds: no spaces, quotes, commas */
int	 store_address_normalize(const char *in, char out[STORE_ADDRESS_MAX],
	    int flags, const char **domain_r);
int	 store_domain_normalize(const char *in, char out[STORE_DOMAIN_MAX + 1]);
int	 store_mailbox_name_normalize(const char *in,
	    char out[STORE_MAILBOX_NAME_MAX]);

/* store_record.c: byte order and record codecs. */
void	 store_put_be32(uint8_t *p, uint32_t v);
void	 store_put_be64(uint8_t *p, uint64_t v);
uint32_t store_get_be32(const uint8_t *p);
uint64_t store_get_be64(const uint8_t *p);
void	 store_put_le32(uint8_t *p, uint32_t v);
void	 store_put_le64(uint8_t *p, uint64_t v);
uint32_t store_get_le32(const uint8_t *p);
uint64_t store_get_le64(const uint8_t *p);

#define STORE_MAILBOX_KEY_MAX	(8 + STORE_MAILBOX_NAME_LEN)
#define STORE_MAILBOX_REC_LEN	48
#define STORE_MAILBOX_REC_V1_LEN 36
#define STORE_MESSAGE_REC_LEN	48
#define STORE_MESSAGE_REC_V1_LEN 40
#define STORE_USER_REC_MIN	16
#define STORE_DOMAIN_REC_LEN	16

size_t	 store_mailbox_key(uint8_t *out, uint64_t user_id, const char *name);
void	 store_message_key(uint8_t out[12], uint64_t mailbox_id, uint32_t uid);
void	 store_mailbox_encode(const struct store_mailbox *mb,
	    uint8_t out[STORE_MAILBOX_REC_LEN]);
int	 store_mailbox_decode(const MDB_val *key, const MDB_val *val,
	    struct store_mailbox *mb);
void	 store_message_encode(const struct store_message *m,
	    uint8_t out[STORE_MESSAGE_REC_LEN]);
int	 store_message_decode(const MDB_val *key, const MDB_val *val,
	    struct store_message *m);
size_t	 store_user_encode(uint64_t id, const char *hash, uint8_t *out,
	    size_t outlen);
int	 store_user_decode(const MDB_val *val, uint64_t *id_r, char *hash,
	    size_t hashlen);

/* store_meta.c: counters in the meta DB, always inside a write txn. */
int	 store_meta_get(struct store *s, MDB_txn *txn, const char *key,
	    uint64_t *val_r);
int	 store_meta_put(struct store *s, MDB_txn *txn, const char *key,
	    uint64_t val);
int	 store_meta_next(struct store *s, MDB_txn *txn, const char *key,
	    uint64_t *id_r);

/* store_domain.c */
int	 store_domain_is_local(struct store *s, MDB_txn *txn, const char *domain);

/* store_user.c */
int	 store_user_get_txn(struct store *s, MDB_txn *txn, const char *address,
	    uint64_t *id_r, char *hash, size_t hashlen);
int	 store_user_address_txn(struct store *s, MDB_txn *txn, uint64_t id,
	    char address[STORE_ADDRESS_MAX]);

/* store_alias.c */
int	 store_alias_get_txn(struct store *s, MDB_txn *txn, const char *address,
	    char **targets_r);

/* store_resolve.c */
int	 store_resolve_txn(struct store *s, MDB_txn *txn, const char *address,
	    int catchall, uint64_t *ids, size_t max, size_t *n_r);

/*
 * store_message_txn.c: every change of a message record goes through
 * these, inside a write txn, so that the mailbox counters (kept in *mb,
 * which the caller saves), the MODSEQ index and the expunge log stay
 * exact. insert assigns m->uid and m->modseq; update with new_modseq
 * assigns m->modseq; remove logs the expunge and, with unref_blob, drops
 * the blob reference.
 */
int	 store_msg_get(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
	    uint32_t uid, struct store_message *m_r);
int	 store_msg_insert(struct store *s, MDB_txn *txn,
	    struct store_mailbox *mb, struct store_message *m);
int	 store_msg_update(struct store *s, MDB_txn *txn,
	    struct store_mailbox *mb, const struct store_message *old,
	    struct store_message *m, int new_modseq);
int	 store_msg_remove(struct store *s, MDB_txn *txn,
	    struct store_mailbox *mb, const struct store_message *m,
	    int unref_blob);
void	 store_modseq_key(uint8_t out[16], uint64_t mailbox_id,
	    uint64_t modseq);

/* store_keyword.c: a mailbox's keyword table, index = bit. */
struct store_keywords {
	unsigned int	 n;
	char		 names[STORE_KEYWORDS_MAX][STORE_KEYWORD_LEN];
};
int	 store_keyword_valid(const char *name);
int	 store_keywords_load(struct store *s, MDB_txn *txn,
	    uint64_t mailbox_id, struct store_keywords *kw);
int	 store_keywords_save(struct store *s, MDB_txn *txn,
	    uint64_t mailbox_id, const struct store_keywords *kw);
int	 store_keywords_find(const struct store_keywords *kw, const char *name);
int	 store_keywords_intern(struct store_keywords *kw, const char *name);
int	 store_keywords_mask(struct store_keywords *kw,
	    char (*names)[STORE_KEYWORD_LEN], size_t n, int add,
	    uint64_t *mask_r);
int	 store_keyword_args(const char *const *in, size_t n,
	    char (**out_r)[STORE_KEYWORD_LEN], size_t *n_r);

/* store_subscribe.c */
int	 store_subscription_put(struct store *s, MDB_txn *txn,
	    uint64_t user_id, const char *name);
int	 store_subscription_del(struct store *s, MDB_txn *txn,
	    uint64_t user_id, const char *name);
int	 store_subscription_get(struct store *s, MDB_txn *txn,
	    uint64_t user_id, const char *name);
int	 store_subscriptions_drop(struct store *s, MDB_txn *txn,
	    uint64_t user_id);

/* store_mailbox.c: inside a write (or read) txn. */
int	 store_mailbox_load(struct store *s, MDB_txn *txn, uint64_t user_id,
	    const char *name, struct store_mailbox *mb_r);
int	 store_mailbox_load_id(struct store *s, MDB_txn *txn,
	    uint64_t mailbox_id, struct store_mailbox *mb_r);
int	 store_mailbox_save(struct store *s, MDB_txn *txn,
	    const struct store_mailbox *mb);
int	 store_mailbox_create_txn(struct store *s, MDB_txn *txn,
	    uint64_t user_id, const char *name, int special_use, int subscribed,
	    struct store_mailbox *mb_r);
int	 store_mailbox_destroy_txn(struct store *s, MDB_txn *txn,
	    const struct store_mailbox *mb);
int	 store_delete_prefix(struct store *s, MDB_txn *txn, enum store_db db,
	    const uint8_t prefix[8]);
int	 store_user_exists_txn(struct store *s, MDB_txn *txn, uint64_t user_id);

/* store_blob.c: cache (may be NULL) is stored with the blob. */
int	 store_blob_put(struct store *s, MDB_txn *txn, const char *data,
	    size_t len, uint32_t refs, const char *cache, size_t cache_len,
	    uint64_t *blob_id_r);
int	 store_blob_ref(struct store *s, MDB_txn *txn, uint64_t blob_id);
int	 store_blob_unref(struct store *s, MDB_txn *txn, uint64_t blob_id);

/*
 * store_deliver.c: a delivery copied out of the caller's memory (the
 * queue entries' strings too), and its transaction body, which the queue
 * update reuses to commit a bounce in its own nested transaction. run
 * records the changed mailboxes on req and the new queue ids in the job
 * (store_deliver_job_queue_ids).
 */
struct store_deliver_job;
int	 store_deliver_job_new(const struct store_delivery *d,
	    struct store_deliver_job **job_r);
void	 store_deliver_job_free(struct store_deliver_job *job);
size_t	 store_deliver_job_cost(const struct store_deliver_job *job);
int	 store_deliver_job_run(struct store *s, MDB_txn *txn,
	    struct store_req *req, struct store_deliver_job *job);
const uint64_t *store_deliver_job_queue_ids(const struct store_deliver_job *job);

/*
 * store_queue_record.c: the queue record (layout in that file) and the
 * queue_due key. A new entry is checked and copied by
 * store_queue_new_copy (STORE_EINVAL for a bad one); store_queue_put
 * writes an entry's record and due key (a new id when e->id is 0).
 */
#define STORE_QUEUE_DUE_KEY_LEN	16
#define STORE_QUEUE_FLAGS_MASK	0x07u

struct store_queue_copy {
	char		 sender[STORE_ADDRESS_MAX];
	char		 domain[STORE_ADDRESS_MAX];
	char		**rcpts;
	size_t		 n_rcpts;
	uint32_t	 flags;
	int64_t		 next_attempt;
};
int	 store_queue_new_copy(const struct store_queue_new *in, int64_t now,
	    struct store_queue_copy *out);
void	 store_queue_copy_free(struct store_queue_copy *c);
void	 store_queue_due_key(uint8_t out[STORE_QUEUE_DUE_KEY_LEN],
	    int64_t next_attempt, uint64_t id);
int64_t	 store_queue_due_time(const uint8_t key[STORE_QUEUE_DUE_KEY_LEN]);
int	 store_queue_encode(const struct store_queue_entry *e, uint8_t **rec_r,
	    size_t *len_r);
int	 store_queue_decode(const MDB_val *key, const MDB_val *val,
	    struct store_queue_entry *e);
size_t	 store_queue_pending(const struct store_queue_entry *e);

/* store_queue_write.c: inside a write txn. */
int	 store_queue_insert(struct store *s, MDB_txn *txn,
	    const struct store_queue_copy *c, uint64_t blob_id, uint64_t size,
	    int64_t created, uint64_t *id_r);
int	 store_queue_load(struct store *s, MDB_txn *txn, uint64_t id,
	    struct store_queue_entry *e_r);
int	 store_queue_rcpts_add(struct store *s, MDB_txn *txn, int64_t delta);
int	 store_queue_save(struct store *s, MDB_txn *txn,
	    const struct store_queue_entry *e, int64_t old_next);
int	 store_queue_remove(struct store *s, MDB_txn *txn,
	    const struct store_queue_entry *e);

/* store_cache.c */
int	 store_cache_put(struct store *s, MDB_txn *txn, uint64_t blob_id,
	    const char *data, size_t len);

#endif
