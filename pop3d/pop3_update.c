/*
 * pop3_update.c: QUIT in the TRANSACTION state, i.e. RFC 1939's UPDATE
 * state: the messages marked by DELE are removed, then the session ends.
 *
 * The expunge is one asynchronous store write (group commit, durable before
 * the callback); its completion comes back on the writer thread and is
 * posted to the session's loop. Only then does the client hear +OK, so a
 * client that saw +OK may rely on the messages being gone. On failure the
 * answer is -ERR and every message stays (RFC 1939 6). No session state is
 * touched from the writer thread.
 */
#include "config.h"

#include <stdlib.h>

#include "log.h"
#include "net.h"
#include "pop3_maildrop.h"
#include "pop3_session.h"
#include "store.h"
#include "util.h"

struct pop3_update_job {
	struct conn	*conn;		/* referenced until pop3_update_done */
	struct loop	*loop;
	uint32_t	*uids;
	size_t		 n;
	int		 status;
};

static void	pop3_update_committed(void *arg, int status);
static void	pop3_update_done(void *arg);

void
pop3_update_begin(struct pop3_session *s)
{
	struct pop3_update_job *job;
	uint32_t *uids;
	size_t n;

	pop3_set_state(s, POP3_STATE_UPDATE);
	pop3_session_flush_seen(s);
	n = pop3_maildrop_deleted_uids(s->maildrop, &uids);
	if (n == 0 || s->maildrop->mailbox_id == 0) {
		free(uids);
		pop3_session_unlock(s);
		pop3_ok(s, "Logging out.");
		pop3_session_close(s, "quit");
		return;
	}
	job = xcalloc(1, sizeof(*job));
	job->conn = s->conn;
	job->loop = conn_loop(s->conn);
	job->uids = uids;
	job->n = n;
	conn_ref(s->conn);
	pop3_session_block(s, POP3_F_BUSY);
	store_expunge(s->store, s->maildrop->mailbox_id, uids, n,
	    pop3_update_committed, job);
}

/* On the store's writer thread: only hand the result to the loop. */
static void
pop3_update_committed(void *arg, int status)
{
	struct pop3_update_job *job = arg;

	job->status = status;
	loop_post(job->loop, pop3_update_done, job);
}

static void
pop3_update_done(void *arg)
{
	struct pop3_update_job *job = arg;
	struct conn *c = job->conn;
	struct pop3_session *s;

	if (!conn_is_closed(c) && (s = conn_session(c)) != NULL) {
		pop3_session_unlock(s);
		if (job->status == 0) {
			log_info("pop3: conn=%llu user=<%s> deleted %zu messages",
			    (unsigned long long)s->id, s->account.address, job->n);
			pop3_ok(s, "Logging out, %zu messages deleted.", job->n);
		} else {
			log_warn("pop3: conn=%llu user=<%s> expunge failed: %s",
			    (unsigned long long)s->id, s->account.address,
			    store_strerror(job->status));
			pop3_err(s, "[SYS/TEMP] Deleted messages not removed, try again later.");
		}
		pop3_session_close(s, "quit");
	} else if (job->status != 0)
		log_warn("pop3: expunge after disconnect failed: %s",
		    store_strerror(job->status));
	free(job->uids);
	free(job);
	conn_unref(c);
}
