/*
 * imap_auth.c: STARTTLS, LOGIN and AUTHENTICATE (RFC 3501 6.2; SASL PLAIN
 * RFC 4616 with SASL-IR RFC 4959; the LOGIN mechanism of
 * draft-murchison-sasl-login with the usual "Username:"/"Password:"
 * prompts).
 *
 * The password check is argon2id (store_user_verify), deliberately slow,
 * so it runs on a worker thread; the session takes no further command
 * until the answer is back on its loop. A failed login is answered after
 * a delay taken on the loop (loop_post_delayed, no worker held), and a few
 * of them close the connection. Every attempt is logged with
 * server_log_login(). Passwords are wiped from memory after use.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "imap.h"
#include "imap_core.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define AUTH_FIELD_MAX	1024	/* authcid / password bytes */

/* What travels to the worker and back; owns copies, never the session. */
struct auth_job {
	struct conn		*conn;		/* referenced until auth_done */
	struct loop		*loop;
	struct store		*store;
	struct imap_cmd		*cmd;
	char			 user[AUTH_FIELD_MAX + 1];
	char			 pass[AUTH_FIELD_MAX + 1];
	int			 result;	/* store_user_verify() */
	struct store_user	 account;
};

/* AUTHENTICATE LOGIN keeps the user name between the two prompts. */
struct auth_login_ctx {
	char			 user[AUTH_FIELD_MAX + 1];
};

static void	auth_work(void *arg);
static void	auth_done(void *arg);
static void	auth_fail_reply(void *arg);
static void	auth_start(struct imap_cmd *cmd, const char *user, size_t ulen,
		    const char *pass, size_t plen);

/* ------------------------------------------------------------- STARTTLS */

int
cmd_starttls(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;

	if (cmd->n_args != 0) {
		imap_send_tagged(cmd, "BAD", NULL, "STARTTLS takes no arguments.");
		return 1;
	}
	if (conn_is_tls(s->conn)) {
		imap_send_tagged(cmd, "BAD", NULL, "TLS is already active.");
		return 1;
	}
	imap_send_tagged(cmd, "OK", NULL, "Begin TLS negotiation now.");
	/* RFC 3501 6.2.1: input after the command was sent in the clear; net.c drops it. */
	if (conn_starttls(s->conn) < 0) {
		imap_send_untagged(s, "BYE TLS is not available.");
		imap_session_close(s, "starttls failed");
	}
	return 1;
}

/* ---------------------------------------------------------- password check */

static int
auth_plaintext_refused(struct imap_cmd *cmd)
{
	if (server_plaintext_auth_allowed(cmd->s->conn))
		return 0;
	/* RFC 5530 PRIVACYREQUIRED; LOGINDISABLED was advertised. */
	imap_send_tagged(cmd, "NO", "PRIVACYREQUIRED",
	    "Plaintext authentication is disallowed without TLS.");
	return 1;
}

static void
auth_start(struct imap_cmd *cmd, const char *user, size_t ulen,
    const char *pass, size_t plen)
{
	struct imap_session *s = cmd->s;
	struct auth_job *job;

	job = xcalloc(1, sizeof(*job));
	job->conn = s->conn;
	job->loop = conn_loop(s->conn);
	job->store = s->store;
	job->cmd = cmd;
	memcpy(job->user, user, ulen);
	memcpy(job->pass, pass, plen);
	conn_ref(s->conn);
	worker_submit(job->loop, auth_work, auth_done, job);
}

/* On a worker thread: the slow part. */
static void
auth_work(void *arg)
{
	struct auth_job *job = arg;

	job->result = store_user_verify(job->store, job->user, job->pass,
	    &job->account);
	explicit_bzero(job->pass, sizeof(job->pass));
}

static void
auth_job_free(struct auth_job *job)
{
	struct conn *c = job->conn;

	explicit_bzero(job, sizeof(*job));
	free(job);
	conn_unref(c);
}

/* Back on the session's loop. */
static void
auth_done(void *arg)
{
	struct auth_job *job = arg;
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->s;

	if (imap_cmd_is_closed(cmd)) {
		imap_cmd_finish(cmd);
		auth_job_free(job);
		return;
	}
	if (job->result == 1) {
		server_log_login("imap", s->conn, job->user, 1, NULL);
		log_info("imap: conn=%llu user=<%s> logged in",
		    (unsigned long long)s->id, job->account.address);
		imap_session_login(cmd, &job->account);
		imap_cmd_finish(cmd);
		auth_job_free(job);
		return;
	}
	if (job->result < 0) {
		server_log_login("imap", s->conn, job->user, 0,
		    store_strerror(job->result));
		imap_send_tagged(cmd, "NO", "UNAVAILABLE",
		    "Temporary authentication failure, try again later.");
		imap_cmd_finish(cmd);
		auth_job_free(job);
		return;
	}
	server_log_login("imap", s->conn, job->user, 0, "invalid credentials");
	/* Answer later: slows down guessing without holding a worker. */
	loop_post_delayed(job->loop, IMAP_AUTH_FAIL_DELAY_MS, auth_fail_reply, job);
}

static void
auth_fail_reply(void *arg)
{
	struct auth_job *job = arg;
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->s;

	if (!imap_cmd_is_closed(cmd)) {
		imap_send_tagged(cmd, "NO", "AUTHENTICATIONFAILED",
		    "Authentication failed.");
		if (++s->auth_failures >= IMAP_MAX_AUTH_FAILURES) {
			imap_send_untagged(s, "BYE Too many authentication failures.");
			imap_session_close(s, "too many authentication failures");
		}
	}
	imap_cmd_finish(cmd);
	auth_job_free(job);
}

/* ------------------------------------------------------------------ LOGIN */

int
cmd_login(struct imap_cmd *cmd)
{
	const char *user, *pass;
	size_t ulen, plen;

	if (cmd->n_args != 2 ||
	    (user = imap_arg_astring(&cmd->args[0], &ulen)) == NULL ||
	    (pass = imap_arg_astring(&cmd->args[1], &plen)) == NULL) {
		imap_send_tagged(cmd, "BAD", NULL, "LOGIN wants a user name and a password.");
		return 1;
	}
	if (auth_plaintext_refused(cmd))
		return 1;
	if (ulen == 0 || ulen > AUTH_FIELD_MAX || plen > AUTH_FIELD_MAX) {
		imap_send_tagged(cmd, "NO", "AUTHENTICATIONFAILED", "Authentication failed.");
		return 1;
	}
	auth_start(cmd, user, ulen, pass, plen);
	return 0;
}

/* ----------------------------------------------------------- AUTHENTICATE */

/* Base64 of an AUTHENTICATE response into out (NUL-terminated); -1 if invalid. */
static int
sasl_decode(const char *b64, size_t len, char *out, size_t size, size_t *n_r)
{
	if (len == 1 && b64[0] == '=') {
		/* RFC 4959: "=" is an empty initial response. */
		out[0] = '\0';
		*n_r = 0;
		return 0;
	}
	if (sodium_base642bin((unsigned char *)out, size - 1, b64, len, NULL, n_r,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	out[*n_r] = '\0';
	return 0;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd; authzid empty or the same user. */
static void
auth_plain(struct imap_cmd *cmd, const char *msg, size_t len)
{
	const char *authz, *authc, *pass, *nul1, *nul2;
	size_t alen, clen, plen;

	nul1 = memchr(msg, '\0', len);
	nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - msg)) : NULL;
	if (nul2 == NULL) {
		imap_send_tagged(cmd, "BAD", NULL, "Invalid PLAIN response.");
		imap_cmd_finish(cmd);
		return;
	}
	authz = msg;
	alen = (size_t)(nul1 - msg);
	authc = nul1 + 1;
	clen = (size_t)(nul2 - authc);
	pass = nul2 + 1;
	plen = len - (size_t)(pass - msg);
	if (clen == 0 || clen > AUTH_FIELD_MAX || plen > AUTH_FIELD_MAX ||
	    (alen > 0 && (alen != clen || strncasecmp(authz, authc, clen) != 0))) {
		server_log_login("imap", cmd->s->conn, "", 0, "invalid PLAIN identities");
		imap_send_tagged(cmd, "NO", "AUTHENTICATIONFAILED", "Authentication failed.");
		imap_cmd_finish(cmd);
		return;
	}
	auth_start(cmd, authc, clen, pass, plen);
}

static void
auth_login_ctx_free(void *ctx)
{
	explicit_bzero(ctx, sizeof(struct auth_login_ctx));
	free(ctx);
}

/* One client response line of an exchange; "*" cancels (RFC 3501 6.2.2). */
static int
auth_line(struct imap_session *s, const char *line, size_t len)
{
	struct imap_cmd *cmd = s->cmd;
	char buf[2 * AUTH_FIELD_MAX + 4];
	size_t n;

	s->line_handler = NULL;
	if (line == NULL) {
		imap_send_tagged(cmd, "BAD", NULL, "Response too long.");
		imap_cmd_finish(cmd);
		return 0;
	}
	if (len == 1 && line[0] == '*') {
		imap_send_tagged(cmd, "BAD", NULL, "Authentication canceled.");
		imap_cmd_finish(cmd);
		return 0;
	}
	if (sasl_decode(line, len, buf, sizeof(buf), &n) < 0) {
		imap_send_tagged(cmd, "BAD", NULL, "Invalid base64.");
		imap_cmd_finish(cmd);
		return 0;
	}
	if (cmd->ctx == NULL) {
		auth_plain(cmd, buf, n);
	} else {
		struct auth_login_ctx *lc = cmd->ctx;

		if (lc->user[0] == '\0') {
			if (n == 0 || n > AUTH_FIELD_MAX || memchr(buf, '\0', n)) {
				imap_send_tagged(cmd, "NO", "AUTHENTICATIONFAILED", "Authentication failed.");
				imap_cmd_finish(cmd);
				explicit_bzero(buf, sizeof(buf));
				return 0;
			}
			memcpy(lc->user, buf, n + 1);
			imap_send_continuation(s, "UGFzc3dvcmQ6");	/* "Password:" */
			s->line_handler = auth_line;
		} else if (n > AUTH_FIELD_MAX) {
			imap_send_tagged(cmd, "NO", "AUTHENTICATIONFAILED", "Authentication failed.");
			imap_cmd_finish(cmd);
		} else
			auth_start(cmd, lc->user, strlen(lc->user), buf, n);
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
cmd_authenticate(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	const char *mech;
	int login;

	if (cmd->n_args < 1 || cmd->n_args > 2 || cmd->args[0].type != IMAP_ARG_ATOM ||
	    (cmd->n_args == 2 && cmd->args[1].type != IMAP_ARG_ATOM)) {
		imap_send_tagged(cmd, "BAD", NULL, "AUTHENTICATE wants a mechanism name.");
		return 1;
	}
	mech = cmd->args[0].str;
	if (strcasecmp(mech, "PLAIN") == 0)
		login = 0;
	else if (strcasecmp(mech, "LOGIN") == 0)
		login = 1;
	else {
		imap_send_tagged(cmd, "NO", NULL, "Unsupported authentication mechanism.");
		return 1;
	}
	if (auth_plaintext_refused(cmd))
		return 1;
	if (login) {
		cmd->ctx = xcalloc(1, sizeof(struct auth_login_ctx));
		cmd->ctx_free = auth_login_ctx_free;
	}
	if (cmd->n_args == 2) {
		/* SASL-IR (RFC 4959): the first response is on the command line. */
		auth_line(s, cmd->args[1].str, cmd->args[1].len);
		return 0;
	}
	imap_send_continuation(s, login ? "VXNlcm5hbWU6" : "");	/* "Username:" */
	s->line_handler = auth_line;
	return 0;
}
