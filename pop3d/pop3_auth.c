/*
 * pop3_auth.c: logging in: USER and PASS (RFC 1939 section 7) and AUTH
 * (RFC 5034) with the SASL mechanisms of auth/ (PLAIN, LOGIN), with the
 * response codes of RFC 2449 and RFC 3206.
 *
 * Both paths end in auth_verify_async(): the brute-force throttle, the
 * credentials cache, argon2id on a worker, the login log line and the
 * delayed answer after a failure all live there. While it runs the session
 * takes no commands. Passwords are refused before TLS unless plaintext_auth
 * allows them (server_plaintext_auth_allowed). This file only speaks POP3;
 * it does not open the maildrop (pop3_session_login()).
 */
#include "config.h"

#include <string.h>

#include "auth.h"
#include "log.h"
#include "net.h"
#include "pop3_parse.h"
#include "pop3_session.h"
#include "server.h"
#include "store.h"
#include "util.h"

/* RFC 2449 6.3: the mechanisms CAPA's SASL line lists. */
const char pop3_sasl_mechanisms[] = "PLAIN LOGIN";

static void	pop3_auth_verify(struct pop3_session *s, const char *login,
		    const char *password);
static void	pop3_auth_done(struct conn *c, void *arg,
		    enum auth_status status, const struct store_user *user);
static void	pop3_auth_sasl_result(struct pop3_session *s, int r,
		    const char *challenge);
static void	pop3_auth_failed(struct pop3_session *s);
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
	pop3_auth_verify(s, s->user, req->argv[0]);
}

/*
 * AUTH mechanism [initial-response] (RFC 5034 4). Without an initial
 * response the server sends "+ " and a challenge and the next line is the
 * answer ("=" is an empty initial response). A bare "AUTH" lists the
 * mechanisms, as older Outlook versions expect (the RFC 1734 form; Dovecot
 * answers it the same way).
 */
void
pop3_cmd_auth(struct pop3_session *s, const struct pop3_request *req)
{
	const char *challenge = NULL;
	enum auth_mech mech;
	int r;

	if (req->argc == 0) {
		pop3_ok(s, "%s", "");
		if (server_plaintext_auth_allowed(s->conn)) {
			pop3_ml_line(s, "PLAIN");
			pop3_ml_line(s, "LOGIN");
		}
		pop3_ml_end(s);
		return;
	}
	if ((mech = auth_sasl_mech(req->argv[0])) == AUTH_MECH_NONE) {
		pop3_err(s, "Unsupported authentication mechanism.");
		return;
	}
	if (pop3_auth_check_plaintext(s) < 0)
		return;
	r = auth_sasl_start(&s->sasl, mech, req->argc == 2 ? req->argv[1] : NULL,
	    &challenge);
	pop3_auth_sasl_result(s, r, challenge);
}

void
pop3_auth_continue(struct pop3_session *s, const char *line, size_t len)
{
	const char *challenge = NULL;
	int r;

	s->flags &= ~POP3_F_SASL;
	r = auth_sasl_step(&s->sasl, line, len, &challenge);
	pop3_auth_sasl_result(s, r, challenge);
}

void
pop3_auth_abort(struct pop3_session *s)
{
	s->flags &= ~POP3_F_SASL;
	auth_sasl_clear(&s->sasl);
}

/* What auth_sasl_start/step said: challenge, verify, or refuse. */
static void
pop3_auth_sasl_result(struct pop3_session *s, int r, const char *challenge)
{
	switch (r) {
	case AUTH_SASL_CONTINUE:
		s->flags |= POP3_F_SASL;
		/* "+" SP challenge; PLAIN's is empty: Thunderbird waits for "+ ". */
		pop3_ml_line(s, "+ %s", challenge != NULL ? challenge : "");
		return;
	case AUTH_SASL_DONE:
		pop3_auth_verify(s, s->sasl.login, s->sasl.password);
		auth_sasl_clear(&s->sasl);
		return;
	case AUTH_SASL_ECANCEL:
		/* RFC 5034 4: "*" cancels, and the server MUST answer -ERR. */
		pop3_err(s, "[AUTH] Authentication cancelled.");
		break;
	case AUTH_SASL_EAUTHZID:
		/* Acting as someone else: no proxy logins here. */
		pop3_err(s, "[AUTH] Invalid login.");
		pop3_auth_failed(s);
		break;
	default:
		/* RFC 5034 4: an undecodable response rejects the AUTH. */
		pop3_bad_command(s, r == AUTH_SASL_ETOOLONG ?
		    "SASL response too long." : "Invalid SASL response.");
		break;
	}
	auth_sasl_clear(&s->sasl);
}

/* Count a failed login on this connection; a few of them end it. */
static void
pop3_auth_failed(struct pop3_session *s)
{
	if (++s->auth_failures >= POP3_MAX_AUTH_FAILURES)
		pop3_session_close(s, "too many authentication failures");
}

static void
pop3_auth_verify(struct pop3_session *s, const char *login,
    const char *password)
{
	pop3_session_block(s, POP3_F_BUSY);
	auth_verify_async(s->store, s->conn, "pop3", login, password,
	    pop3_auth_done, s);
}

/* On the session's loop; only called while the session exists (auth.h). */
static void
pop3_auth_done(struct conn *c, void *arg, enum auth_status status,
    const struct store_user *user)
{
	struct pop3_session *s = arg;

	(void)c;
	switch (status) {
	case AUTH_OK:
		pop3_session_login(s, user);
		break;
	case AUTH_FAILED:
		pop3_err(s, "[AUTH] Invalid login.");
		pop3_auth_failed(s);
		break;
	case AUTH_THROTTLED:
		/* RFC 3206 [SYS/TEMP]: a condition that clears with time. */
		pop3_err(s, "[SYS/TEMP] Too many failed logins, try again later.");
		break;
	case AUTH_TEMPFAIL:
		pop3_err(s, "[SYS/TEMP] Temporary authentication failure, try again later.");
		break;
	}
	pop3_session_unblock(s, POP3_F_BUSY);
}
