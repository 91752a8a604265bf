/*
 * check_store_util.h: helpers shared by the store's unit tests: temporary
 * store directories, raw LMDB peeks at what the store wrote, and a
 * collector for asynchronous completions.
 */
#ifndef POSTHORN_CHECK_STORE_UTIL_H
#define POSTHORN_CHECK_STORE_UTIL_H

#include <check.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define TEST_PASSWORD	"correct horse battery staple"

/* A fresh empty directory (free with tmp_dir_remove). */
char		*tmp_dir_create(void);
/* Remove the store files and the directory, then free dir. */
void		 tmp_dir_remove(char *dir);

struct store	*open_store(const char *dir);
struct store	*open_store_size(const char *dir, uint64_t map_size);
/* Add domain (if needed) and user; returns the user id. */
uint64_t	 add_user(struct store *s, const char *address);
uint64_t	 inbox_id(struct store *s, uint64_t user_id);
/* Deliver text to the INBOX of ids, synchronously; returns the status. */
int		 deliver_text(struct store *s, const uint64_t *ids, size_t n,
		    const char *text);
/* Read a blob and compare with text. */
void		 assert_blob(struct store *s, uint64_t blob_id, const char *text);
/* Number of problems store_check() finds (problems printed). */
int		 check_problems(struct store *s);

/* Raw LMDB peeks; only while no store is open on dir. */
int		 raw_blob_refs(const char *dir, uint64_t blob_id);	/* -1: none */
size_t		 raw_entries(const char *dir, const char *db);
/* Put (val != NULL) or delete a raw entry, to fake damage. */
void		 raw_write(const char *dir, const char *db, const void *key,
		    size_t klen, const void *val, size_t vlen);

/* Collects asynchronous completions; wait with a deadline. */
struct completions {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 done;
	int		 ok;
	int		 failed;
	int		 last_error;
};
void		 completions_init(struct completions *c);
void		 completions_destroy(struct completions *c);
void		 completions_done(void *arg, int status);
/* Wait until n completions arrived or seconds passed; returns done. */
int		 completions_wait(struct completions *c, int n, int seconds);

#endif
