/*
 * pop3_auth.c: USER and PASS (RFC 1939 section 7) with RFC 2449/3206
 * response codes.
 *
 * The password check is argon2id (store_user_verify), deliberately slow, so
 * it runs on a worker thread; the session stops reading until the answer is
 * back on its loop. A failed login is answered after a delay, and a few of
 * them close the connection. This file does not open the maildrop; that is
 * pop3_session_login().
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "net.h"
#include "pop3_parse.h"
#include "pop3_session.h"
#include "server.h"
#include "store.h"
#include "util.h"

/* What travels to the worker and back; owns copies, never the session. */
struct pop3_auth_job {
	struct conn		*conn;		/* referenced until pop3_auth_done */
	struct store		*store;
	char			 user[STORE_ADDRESS_MAX];
	char			 pass[POP3_LINE_MAX];
	int			 result;	/* store_user_verify() */
	struct store_user	 account;
};

static void	pop3_auth_work(void *arg);
static void	pop3_auth_done(void *arg);
static int	pop3_auth_check_plaintext(struct pop3_session *s);

/* RFC 3206 [AUTH]: passwords in the clear only where policy allows. */
static int
pop3_auth_check_plaintext(struct pop3_session *s)
{
	if (server_plaintext_auth_allowed(s->conn))
		return 0;
	pop3_err(s, "[AUTH] Plaintext authentication disallowed on non-secure connections.");
	return -1;
}

void
pop3_cmd_user(struct pop3_session *s, const struct pop3_request *req)
{
	if (pop3_auth_check_plaintext(s) < 0)
		return;
	if (str_copy(s->user, req->argv[0], sizeof(s->user)) >= sizeof(s->user)) {
		pop3_err(s, "[AUTH] Invalid login.");
		return;
	}
	/* Same answer for every name: USER must not reveal who exists. */
	s->flags |= POP3_F_HAVE_USER;
	pop3_ok(s, "%s", "");
}

void
pop3_cmd_pass(struct pop3_session *s, const struct pop3_request *req)
{
	struct pop3_auth_job *job;

	if (!(s->flags & POP3_F_HAVE_USER)) {
		pop3_err(s, "No user name given (send USER first).");
		return;
	}
	s->flags &= ~POP3_F_HAVE_USER;
	if (pop3_auth_check_plaintext(s) < 0)
		return;
	job = xcalloc(1, sizeof(*job));
	job->conn = s->conn;
	job->store = s->store;
	str_copy(job->user, s->user, sizeof(job->user));
	str_copy(job->pass, req->argv[0], sizeof(job->pass));
	conn_ref(s->conn);
	pop3_session_block(s, POP3_F_BUSY);
	worker_submit(conn_loop(s->conn), pop3_auth_work, pop3_auth_done, job);
}

/* On a worker thread: the slow part, and the delay after a failure. */
static void
pop3_auth_work(void *arg)
{
	struct pop3_auth_job *job = arg;

	job->result = store_user_verify(job->store, job->user, job->pass,
	    &job->account);
	explicit_bzero(job->pass, sizeof(job->pass));
	if (job->result == 0) {
		struct timespec ts = {
			POP3_AUTH_FAIL_DELAY_MS / 1000,
			(POP3_AUTH_FAIL_DELAY_MS % 1000) * 1000000L
		};

		/*
		 * Sleeping here holds a worker, but a password check holds
		 * one for about as long; the loop stays free either way.
		 */
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

/* Back on the session's loop. */
static void
pop3_auth_done(void *arg)
{
	struct pop3_auth_job *job = arg;
	struct conn *c = job->conn;
	struct pop3_session *s;

	if (conn_is_closed(c) || (s = conn_session(c)) == NULL)
		goto out;
	if (job->result == 1) {
		server_log_login("pop3", c, job->user, 1, NULL);
		pop3_session_login(s, &job->account);
	} else if (job->result == 0) {
		server_log_login("pop3", c, job->user, 0, "invalid credentials");
		pop3_err(s, "[AUTH] Invalid login.");
		if (++s->auth_failures >= POP3_MAX_AUTH_FAILURES) {
			pop3_session_close(s, "too many authentication failures");
			goto out;
		}
	} else {
		server_log_login("pop3", c, job->user, 0, store_strerror(job->result));
		pop3_err(s, "[SYS/TEMP] Temporary authentication failure, try again later.");
	}
	pop3_session_unblock(s, POP3_F_BUSY);
out:
	explicit_bzero(job, sizeof(*job));
	free(job);
	conn_unref(c);
}
