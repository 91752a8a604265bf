/*
 * imap_auth.c: STARTTLS, LOGIN and AUTHENTICATE (RFC 3501 6.2; SASL PLAIN
 * RFC 4616 with SASL-IR RFC 4959, and the LOGIN mechanism).
 *
 * The SASL exchanges and the password check are auth/'s, shared with SMTP
 * and POP3: auth_sasl_start/step turn "+ " continuation lines into a login
 * and password, and auth_verify_async() applies the brute-force throttle,
 * the credentials cache, argon2id on a worker, the failure delay and the
 * login log line, then calls back on the session's loop. Meanwhile the
 * session takes no further command. This file only speaks IMAP: tagged
 * replies with RFC 5530 response codes, LOGINDISABLED policy, and closing
 * after repeated failures.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "imap.h"
#include "imap_core.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "store.h"
#include "util.h"

static int	auth_line(struct imap_session *s, const char *line, size_t len);

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
	/* RFC 3501 6.2.1: what was pipelined after it was sent in the clear; net.c drops it. */
	if (conn_starttls(s->conn) < 0) {
		imap_send_untagged(s, "BYE TLS is not available.");
		imap_session_close(s, "starttls failed");
	}
	return 1;
}

/* ---------------------------------------------------------- verification */

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

/* On the session's loop; never called once the connection is gone. */
static void
auth_done(struct conn *c, void *arg, enum auth_status status,
    const struct store_user *user)
{
	struct imap_cmd *cmd = arg;
	struct imap_session *s = cmd->s;

	(void)c;
	s->flags &= ~IMAP_SF_AUTH_WAIT;
	switch (status) {
	case AUTH_OK:
		log_info("imap: conn=%llu user=<%s> logged in",
		    (unsigned long long)s->id, user->address);
		imap_session_login(cmd, user);
		break;
	case AUTH_FAILED:
		imap_send_tagged(cmd, "NO", "AUTHENTICATIONFAILED",
		    "Authentication failed.");
		if (++s->auth_failures >= IMAP_MAX_AUTH_FAILURES) {
			imap_send_untagged(s, "BYE Too many authentication failures.");
			imap_session_close(s, "too many authentication failures");
		}
		break;
	case AUTH_THROTTLED:
	case AUTH_TEMPFAIL:
		imap_send_tagged(cmd, "NO", "UNAVAILABLE",
		    "Temporary authentication failure, try again later.");
		break;
	}
	imap_cmd_finish(cmd);
}

/*
 * Hand login and password to auth/. The command stays pending; if the
 * connection closes meanwhile, on_close frees it (IMAP_SF_AUTH_WAIT) and
 * auth_done is never called.
 */
static void
auth_verify(struct imap_cmd *cmd, const char *login, const char *password)
{
	struct imap_session *s = cmd->s;

	s->flags |= IMAP_SF_AUTH_WAIT;
	auth_verify_async(s->store, s->conn, "imap", login, password, auth_done, cmd);
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
	if (ulen == 0 || ulen >= AUTH_LOGIN_MAX || plen >= AUTH_PASSWORD_MAX) {
		server_log_login("imap", cmd->s->conn, "", 0, "login or password too long");
		imap_send_tagged(cmd, "NO", "AUTHENTICATIONFAILED", "Authentication failed.");
		return 1;
	}
	/* The strings are NUL-terminated copies owned by the command. */
	auth_verify(cmd, user, pass);
	return 0;
}

/* ----------------------------------------------------------- AUTHENTICATE */

static void
sasl_free(void *ctx)
{
	auth_sasl_clear(ctx);
	free(ctx);
}

/* What auth_sasl_start/step said: challenge, verify, or refuse. */
static void
auth_sasl_result(struct imap_cmd *cmd, int r, const char *challenge)
{
	struct imap_session *s = cmd->s;
	struct auth_sasl *sa = cmd->ctx;

	switch (r) {
	case AUTH_SASL_CONTINUE:
		imap_send_continuation(s, challenge);
		s->line_handler = auth_line;
		return;
	case AUTH_SASL_DONE:
		auth_verify(cmd, sa->login, sa->password);
		auth_sasl_clear(sa);
		return;
	case AUTH_SASL_ECANCEL:
		/* RFC 3501 6.2.2: a cancelled exchange is answered with BAD. */
		imap_send_tagged(cmd, "BAD", NULL, "Authentication canceled.");
		break;
	case AUTH_SASL_EAUTHZID:
		server_log_login("imap", s->conn, "", 0, auth_sasl_strerror(r));
		imap_send_tagged(cmd, "NO", "AUTHENTICATIONFAILED", "Authentication failed.");
		break;
	case AUTH_SASL_EMECH:
		imap_send_tagged(cmd, "NO", NULL, "Unsupported authentication mechanism.");
		break;
	default:
		imap_send_tagged(cmd, "BAD", NULL, "Invalid response: %s.",
		    auth_sasl_strerror(r));
		break;
	}
	imap_cmd_finish(cmd);
}

/* One client response line of an exchange ("*" cancels). */
static int
auth_line(struct imap_session *s, const char *line, size_t len)
{
	struct imap_cmd *cmd = s->cmd;
	const char *challenge = NULL;
	int r;

	s->line_handler = NULL;
	if (line == NULL)
		r = AUTH_SASL_ETOOLONG;
	else
		r = auth_sasl_step(cmd->ctx, line, len, &challenge);
	auth_sasl_result(cmd, r, challenge);
	return 0;
}

int
cmd_authenticate(struct imap_cmd *cmd)
{
	const char *challenge = NULL;
	enum auth_mech mech;
	int r;

	if (cmd->n_args < 1 || cmd->n_args > 2 || cmd->args[0].type != IMAP_ARG_ATOM ||
	    (cmd->n_args == 2 && cmd->args[1].type != IMAP_ARG_ATOM)) {
		imap_send_tagged(cmd, "BAD", NULL, "AUTHENTICATE wants a mechanism name.");
		return 1;
	}
	mech = auth_sasl_mech(cmd->args[0].str);
	if (mech == AUTH_MECH_NONE) {
		imap_send_tagged(cmd, "NO", NULL, "Unsupported authentication mechanism.");
		return 1;
	}
	if (auth_plaintext_refused(cmd))
		return 1;
	cmd->ctx = xcalloc(1, sizeof(struct auth_sasl));
	cmd->ctx_free = sasl_free;
	/* SASL-IR (RFC 4959): the first response may be on the command line. */
	r = auth_sasl_start(cmd->ctx, mech,
	    cmd->n_args == 2 ? cmd->args[1].str : NULL, &challenge);
	auth_sasl_result(cmd, r, challenge);
	return 0;
}
