/*
 * pop3_auth.c: logging in: USER and PASS (RFC 1939 section 7) and AUTH
 * with SASL PLAIN (RFC 5034, RFC 4616), with RFC 2449/3206 response codes.
 *
 * Both paths end in one password check. It is argon2id
 * (store_user_verify), deliberately slow, so it runs on a worker thread;
 * the session stops reading until the answer is back on its loop. A failed
 * login is answered after a delay, and a few of them close the connection.
 * Passwords are refused before TLS unless plaintext_auth allows them
 * (server_plaintext_auth_allowed). This file does not open the maildrop;
 * that is pop3_session_login().
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "net.h"
#include "pop3_parse.h"
#include "pop3_sasl.h"
#include "pop3_session.h"
#include "server.h"
#include "store.h"
#include "util.h"

/* The password buffer: a PASS argument or a decoded PLAIN password. */
#define POP3_PASS_MAX	POP3_SASL_LINE_MAX

/* RFC 2449 6.3: the mechanisms CAPA's SASL line lists. */
const char pop3_sasl_mechanisms[] = "PLAIN";

/* What travels to the worker and back; owns copies, never the session. */
struct pop3_auth_job {
	struct conn		*conn;		/* referenced until pop3_auth_done */
	struct store		*store;
	char			 user[STORE_ADDRESS_MAX];
	char			 pass[POP3_PASS_MAX];
	int			 result;	/* store_user_verify() */
	struct store_user	 account;
};

static void	pop3_auth_start(struct pop3_session *s, const char *user,
		    const char *pass);
static void	pop3_auth_plain(struct pop3_session *s, const char *b64,
		    size_t len);
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
	if (!(s->flags & POP3_F_HAVE_USER)) {
		pop3_err(s, "No user name given (send USER first).");
		return;
	}
	s->flags &= ~POP3_F_HAVE_USER;
	if (pop3_auth_check_plaintext(s) < 0)
		return;
	pop3_auth_start(s, s->user, req->argv[0]);
}

/*
 * AUTH mechanism [initial-response] (RFC 5034 4). Without an initial
 * response the server sends "+ " (PLAIN has an empty challenge) and the
 * next line is the response; "=" is an empty initial response. A bare
 * "AUTH" lists the mechanisms, as older Outlook versions expect (RFC 1734
 * style; Dovecot answers it the same way).
 */
void
pop3_cmd_auth(struct pop3_session *s, const struct pop3_request *req)
{
	if (req->argc == 0) {
		pop3_ok(s, "%s", "");
		if (server_plaintext_auth_allowed(s->conn))
			pop3_ml_line(s, "%s", pop3_sasl_mechanisms);
		pop3_ml_end(s);
		return;
	}
	if (strcasecmp(req->argv[0], "PLAIN") != 0) {
		pop3_err(s, "Unsupported authentication mechanism.");
		return;
	}
	if (pop3_auth_check_plaintext(s) < 0)
		return;
	if (req->argc == 2) {
		pop3_auth_plain(s, req->argv[1], strlen(req->argv[1]));
		return;
	}
	s->flags |= POP3_F_SASL;
	/* "+" SP and an empty challenge: Thunderbird waits for exactly this. */
	pop3_ml_line(s, "+ ");
}

void
pop3_auth_continue(struct pop3_session *s, const char *line, size_t len)
{
	s->flags &= ~POP3_F_SASL;
	/* RFC 5034 4: "*" cancels, and the server MUST answer -ERR. */
	if (len == 1 && line[0] == '*') {
		pop3_err(s, "[AUTH] Authentication cancelled.");
		return;
	}
	pop3_auth_plain(s, line, len);
}

/* A PLAIN response, from the AUTH line or from the continuation. */
static void
pop3_auth_plain(struct pop3_session *s, const char *b64, size_t len)
{
	char user[STORE_ADDRESS_MAX];
	char pass[POP3_PASS_MAX];
	int r;

	r = pop3_sasl_plain_decode(b64, len, user, sizeof(user), pass,
	    sizeof(pass));
	if (r == POP3_SASL_BAD_BASE64 || r == POP3_SASL_BAD_MESSAGE) {
		/* RFC 5034 4: an undecodable response rejects the AUTH. */
		pop3_bad_command(s, "Invalid SASL PLAIN response.");
		return;
	}
	if (r != POP3_SASL_OK) {
		/* Acting as someone else, or a name no account can have. */
		server_log_login("pop3", s->conn, "", 0,
		    r == POP3_SASL_BAD_AUTHZID ? "authzid not allowed" :
		    "response too long");
		pop3_err(s, "[AUTH] Invalid login.");
		if (++s->auth_failures >= POP3_MAX_AUTH_FAILURES)
			pop3_session_close(s, "too many authentication failures");
		return;
	}
	pop3_auth_start(s, user, pass);
	explicit_bzero(user, sizeof(user));
	explicit_bzero(pass, sizeof(pass));
}

/* Hand the name and password to a worker; the session waits. */
static void
pop3_auth_start(struct pop3_session *s, const char *user, const char *pass)
{
	struct pop3_auth_job *job;

	job = xcalloc(1, sizeof(*job));
	job->conn = s->conn;
	job->store = s->store;
	if (str_copy(job->user, user, sizeof(job->user)) >= sizeof(job->user) ||
	    str_copy(job->pass, pass, sizeof(job->pass)) >= sizeof(job->pass))
		job->pass[0] = '\0';	/* cannot match: an ordinary failed login */
	conn_ref(s->conn);
	pop3_session_block(s, POP3_F_BUSY);
	worker_submit(conn_loop(s->conn), pop3_auth_work, pop3_auth_done, job);
}

/* On a worker thread: the slow part, and the delay after a failure. */
static void
pop3_auth_work(void *arg)
{
	struct pop3_auth_job *job = arg;

	if (job->pass[0] == '\0')
		job->result = 0;
	else
		job->result = store_user_verify(job->store, job->user,
		    job->pass, &job->account);
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
