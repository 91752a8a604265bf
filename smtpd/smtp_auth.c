/*
 * smtp_auth.c: SMTP AUTH (RFC 4954) with PLAIN and LOGIN on the submission
 * ports, on top of the shared auth/ module.
 *
 * AUTH is offered on listen_submission and listen_submissions only (port
 * 25 is an inbound MX: nobody logs in there), and only where
 * server_plaintext_auth_allowed() says a password may cross the
 * connection: with TLS always, without TLS per plaintext_auth. The
 * exchange reads base64 lines in SMTP_STATE_AUTH; the password check runs
 * through auth_verify_async() while the session holds its input
 * (SMTP_STATE_AUTH_CHECK), so pipelined commands after AUTH wait for the
 * answer. No SASL line is ever logged.
 *
 * It does not decide what an authenticated user may send (smtp_submit.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "linereader.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "smtp_session.h"
#include "util.h"

/* RFC 4422 3.1: mechanism names are at most 20 characters. */
#define SMTP_MECH_MAX	20

static void	 smtp_auth_step_result(struct smtp_session *s, int rc,
		    const char *challenge);
static void	 smtp_auth_done(struct conn *c, void *arg,
		    enum auth_status status, const struct store_user *user);

int
smtp_is_submission(const struct smtp_session *s)
{
	return s->kind == LISTEN_SUBMISSION || s->kind == LISTEN_SUBMISSIONS;
}

int
smtp_auth_offered(const struct smtp_session *s)
{
	return smtp_is_submission(s) && server_plaintext_auth_allowed(s->conn);
}

void
smtp_auth_reset(struct smtp_session *s)
{
	if (s->sasl != NULL) {
		auth_sasl_clear(s->sasl);
		free(s->sasl);
		s->sasl = NULL;
	}
	s->flags &= ~SMTP_F_AUTHENTICATED;
	memset(&s->auth_user, 0, sizeof(s->auth_user));
}

/* The exchange is over without a login: back to commands. */
static void
smtp_auth_abort(struct smtp_session *s)
{
	if (s->sasl != NULL) {
		auth_sasl_clear(s->sasl);
		free(s->sasl);
		s->sasl = NULL;
	}
	smtp_set_state(s, SMTP_STATE_GREETED);
}

void
smtp_cmd_auth(struct smtp_session *s, const char *args)
{
	char		 mech[SMTP_MECH_MAX + 1];
	const char	*ir = NULL, *challenge = "";
	size_t		 n;
	enum auth_mech	 m;
	int		 rc;

	if (!smtp_is_submission(s)) {
		smtp_reply(s, 502, ESC_INVALID_COMMAND, "Command not available");
		return;
	}
	if (s->flags & SMTP_F_AUTHENTICATED) {
		/* RFC 4954 section 4: no second AUTH in a session. */
		smtp_reply(s, 503, ESC_INVALID_COMMAND, "Already authenticated");
		return;
	}
	if (!(s->flags & SMTP_F_EHLO)) {
		smtp_reply(s, 503, ESC_INVALID_COMMAND, "Send EHLO first");
		return;
	}
	if (!server_plaintext_auth_allowed(s->conn)) {
		/* RFC 4954 section 6; RFC 3207: STARTTLS first. */
		smtp_reply(s, 538, ESC_ENCRYPTION_REQUIRED,
		    "Encryption required for requested authentication mechanism");
		return;
	}
	/* "AUTH" SP sasl-mech [SP initial-response] */
	n = strcspn(args, " ");
	if (n == 0 || (args[n] == ' ' && (args[n + 1] == '\0' ||
	    strchr(args + n + 1, ' ') != NULL))) {
		smtp_reply(s, 501, ESC_INVALID_ARGS,
		    "Syntax: AUTH mechanism [initial-response]");
		return;
	}
	if (args[n] == ' ')
		ir = args + n + 1;
	m = AUTH_MECH_NONE;
	if (n <= SMTP_MECH_MAX) {
		memcpy(mech, args, n);
		mech[n] = '\0';
		m = auth_sasl_mech(mech);
	}
	if (m == AUTH_MECH_NONE) {
		smtp_reply(s, 504, ESC_INVALID_ARGS, "Unrecognized authentication type");
		return;
	}
	if (ir != NULL && strlen(ir) > AUTH_BASE64_MAX) {
		smtp_reply(s, 500, ESC_AUTH_LINE_TOO_LONG,
		    "Authentication exchange line is too long");
		return;
	}
	s->sasl = xcalloc(1, sizeof(*s->sasl));
	rc = auth_sasl_start(s->sasl, m, ir, &challenge);
	/* args points into s->line: the initial response may hold a password. */
	if (ir != NULL)
		explicit_bzero(s->line, s->linesize);
	smtp_auth_step_result(s, rc, challenge);
}

int
smtp_auth_read(struct smtp_session *s)
{
	const char	*challenge = "";
	size_t		 len = 0;
	int		 rc;

	switch (linereader_get(conn_input(s->conn), s->line, s->linesize,
	    &len, &s->skipping)) {
	case LINE_NEED_MORE:
		return 0;
	case LINE_TOO_LONG:
		smtp_auth_abort(s);
		smtp_reply(s, 500, ESC_AUTH_LINE_TOO_LONG,
		    "Authentication exchange line is too long");
		return 1;
	case LINE_OK:
		break;
	}
	rc = auth_sasl_step(s->sasl, s->line, len, &challenge);
	explicit_bzero(s->line, len);		/* base64 of a password */
	smtp_auth_step_result(s, rc, challenge);
	return 1;
}

/* After each client message: ask for more, check the password, or refuse. */
static void
smtp_auth_step_result(struct smtp_session *s, int rc, const char *challenge)
{
	switch (rc) {
	case AUTH_SASL_CONTINUE:
		smtp_set_state(s, SMTP_STATE_AUTH);
		/* "334 " then the base64 challenge, possibly empty (RFC 4954 4) */
		smtp_reply(s, 334, ESC_NONE, "%s", challenge);
		return;
	case AUTH_SASL_DONE:
		smtp_set_state(s, SMTP_STATE_AUTH_CHECK);
		s->flags |= SMTP_F_WAIT;
		conn_pause_read(s->conn);
		auth_verify_async(s->store, s->conn, "smtp", s->sasl->login,
		    s->sasl->password, smtp_auth_done, s);
		auth_sasl_clear(s->sasl);
		free(s->sasl);
		s->sasl = NULL;
		return;
	case AUTH_SASL_ECANCEL:
		smtp_auth_abort(s);
		smtp_reply(s, 501, ESC_OTHER, "Authentication cancelled");
		return;
	case AUTH_SASL_EBASE64:
		smtp_auth_abort(s);
		smtp_reply(s, 501, ESC_SYNTAX_ERROR, "Cannot decode response");
		return;
	case AUTH_SASL_ETOOLONG:
		smtp_auth_abort(s);
		smtp_reply(s, 500, ESC_AUTH_LINE_TOO_LONG,
		    "Authentication exchange line is too long");
		return;
	case AUTH_SASL_EAUTHZID:
		/* A proxy login is a request we will not grant, not a typo. */
		smtp_auth_abort(s);
		smtp_reply(s, 535, ESC_AUTH_INVALID,
		    "Authentication credentials invalid");
		return;
	default:
		smtp_auth_abort(s);
		smtp_reply(s, 501, ESC_SYNTAX_ERROR, "Invalid authentication message: %s",
		    auth_sasl_strerror(rc));
		return;
	}
}

/* auth/ answers on our loop; s is alive (auth.h: never called after close). */
static void
smtp_auth_done(struct conn *c, void *arg, enum auth_status status,
    const struct store_user *user)
{
	struct smtp_session	*s = arg;

	if (s->state != SMTP_STATE_AUTH_CHECK)
		return;		/* cannot happen: input is held meanwhile */
	smtp_set_state(s, SMTP_STATE_GREETED);
	switch (status) {
	case AUTH_OK:
		s->flags |= SMTP_F_AUTHENTICATED;
		s->auth_user = *user;
		smtp_reply(s, 235, ESC_SECURITY_OTHER, "Authentication successful");
		break;
	case AUTH_FAILED:
		smtp_reply(s, 535, ESC_AUTH_INVALID, "Authentication credentials invalid");
		break;
	case AUTH_THROTTLED:
		smtp_reply(s, 454, ESC_SECURITY_OTHER,
		    "Too many failed logins, try again later");
		break;
	case AUTH_TEMPFAIL:
		smtp_reply(s, 454, ESC_SECURITY_OTHER,
		    "Temporary authentication failure, try again later");
		break;
	}
	s->flags &= ~SMTP_F_WAIT;
	if (!(s->flags & SMTP_F_OUTPUT_FULL))
		conn_resume_read(c);
	conn_schedule_read(c);	/* commands the client pipelined meanwhile */
}
