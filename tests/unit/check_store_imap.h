/*
 * check_store_imap.h: what the IMAP store tests share: the fixture (a
 * fresh store per test), short wrappers around the IMAP store calls that
 * assert success, a watcher that records which mailboxes changed, and a
 * gate that holds the writer so that several requests form one batch.
 */
#ifndef POSTHORN_CHECK_STORE_IMAP_H
#define POSTHORN_CHECK_STORE_IMAP_H

#include <check.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "check_store_util.h"

#define WAIT_SECONDS	60

extern char		*t_dir;
extern struct store	*t_st;

void	 imap_setup(void);
void	 imap_teardown(void);
void	 imap_reopen(void);

struct store_mailbox	 mbox(uint64_t user_id, const char *name);
struct store_message	 msg(uint64_t mailbox_id, uint32_t uid);
/* Create a mailbox (async call, waited for); returns its id. */
uint64_t mbox_create(uint64_t user_id, const char *name, int subscribe);

/* APPEND text with flags and keywords; returns the new UID. */
uint32_t append_msg(uint64_t mailbox_id, const char *text, uint32_t flags,
	    const char *const *kw, size_t n_kw);
/* +keywords (add), -keywords (!add) on uids; returns the status. */
int	 kw_change(uint64_t mailbox_id, const uint32_t *uids, size_t n,
	    const char *const *kw, size_t n_kw, int add);
/* The bit of a keyword in the mailbox's table, or -1. */
int	 kw_bit(uint64_t mailbox_id, const char *name);
/* COPY or MOVE; new_uids has n entries. Returns the status. */
int	 copy_uids(uint64_t src, uint64_t dst, const uint32_t *uids,
	    size_t n, int move, uint32_t *new_uids, uint32_t *uidvalidity);
/* store_recent_claim, waited for; returns the UIDs (free()). */
uint32_t *claim_recent(uint64_t mailbox_id, size_t *n_r, int *status_r);
int	 cache_set(uint64_t blob_id, const char *data, size_t len);
/* Waits for an async write; returns its status. */
int	 wait_done(struct completions *c);

/* Mailbox ids whose watchers ran, since the last watch_set_clear. */
struct watch_set {
	pthread_mutex_t	 lock;
	uint64_t	 ids[64];
	size_t		 n;
};
void	 watch_set_init(struct watch_set *w);
void	 watch_set_destroy(struct watch_set *w);
void	 watch_set_fn(void *arg, uint64_t user_id, uint64_t mailbox_id);
int	 watch_set_has(struct watch_set *w, uint64_t mailbox_id);
size_t	 watch_set_count(struct watch_set *w);
void	 watch_set_clear(struct watch_set *w);
/* Watchers of earlier commits have run once a later sync write returns. */
void	 watch_barrier(void);

/* A done callback that holds the writer thread until released. */
struct gate {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 entered;
	int		 released;
};
void	 gate_init(struct gate *g);
void	 gate_done(void *arg, int status);
void	 gate_wait_entered(struct gate *g);
void	 gate_release(struct gate *g);
void	 gate_destroy(struct gate *g);

void	 store_imap_msg_tcases(Suite *s);
void	 store_imap_mbox_tcases(Suite *s);

#endif
