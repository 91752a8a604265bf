/*
 * smtp_commands.c: the SMTP command table and one handler per command
 * (RFC 5321 4.1.1, with RFC 1870 SIZE, RFC 1652 8BITMIME, RFC 3030 CHUNKING,
 * RFC 6531 SMTPUTF8, RFC 2920 PIPELINING, RFC 2034 ENHANCEDSTATUSCODES,
 * RFC 3207 STARTTLS; AUTH is smtp_auth.c).
 *
 * Ports: listen_smtp is the inbound MX (local recipients only, no AUTH);
 * listen_submission and listen_submissions serve authenticated users
 * (RFC 6409): MAIL needs AUTH, any recipient is accepted, foreign ones
 * go to the outbound queue (with the local copies, in one commit). Aliases
 * with foreign targets forward inbound mail through the queue too.
 *
 * The table says in which states a command is allowed; smtp_dispatch()
 * answers every out-of-sequence command itself (503), so handlers never
 * re-check the state. Syntax comes from smtp_parse.c, recipients from the
 * store (a cheap read on the loop thread), content and delivery from
 * smtp_tx.c. Handlers only answer through smtp_reply().
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "net.h"
#include "server.h"
#include "smtp_session.h"
#include "store.h"
#include "tls.h"
#include "util.h"

/* Part of a mail transaction: not counted as a command "before mail". */
#define CMD_F_MAIL	0x01

typedef void (*smtp_cmd_fn)(struct smtp_session *, const char *);

static void	 cmd_helo(struct smtp_session *s, const char *args);
static void	 cmd_ehlo(struct smtp_session *s, const char *args);
static void	 cmd_mail(struct smtp_session *s, const char *args);
static void	 cmd_rcpt(struct smtp_session *s, const char *args);
static void	 cmd_data(struct smtp_session *s, const char *args);
static void	 cmd_bdat(struct smtp_session *s, const char *args);
static void	 cmd_rset(struct smtp_session *s, const char *args);
static void	 cmd_noop(struct smtp_session *s, const char *args);
static void	 cmd_quit(struct smtp_session *s, const char *args);
static void	 cmd_vrfy(struct smtp_session *s, const char *args);
static void	 cmd_expn(struct smtp_session *s, const char *args);
static void	 cmd_help(struct smtp_session *s, const char *args);
static void	 cmd_starttls(struct smtp_session *s, const char *args);

static const struct smtp_cmd {
	unsigned	 states;	/* SMTP_S() mask where the command is allowed */
	unsigned	 flags;		/* CMD_F_* */
	smtp_cmd_fn	 fn;
} commands[SMTP_CMD_COUNT] = {
	[SMTP_CMD_HELO] = { SMTP_S_COMMANDS, 0, cmd_helo },
	[SMTP_CMD_EHLO] = { SMTP_S_COMMANDS, 0, cmd_ehlo },
	[SMTP_CMD_MAIL] = { SMTP_S(SMTP_STATE_GREETED), CMD_F_MAIL, cmd_mail },
	[SMTP_CMD_RCPT] = { SMTP_S(SMTP_STATE_MAIL) | SMTP_S(SMTP_STATE_RCPT),
	    CMD_F_MAIL, cmd_rcpt },
	[SMTP_CMD_DATA] = { SMTP_S(SMTP_STATE_RCPT), CMD_F_MAIL, cmd_data },
	/* BDAT checks its own state: a refused chunk must still be read. */
	[SMTP_CMD_BDAT] = { SMTP_S_COMMANDS, CMD_F_MAIL, cmd_bdat },
	[SMTP_CMD_RSET] = { SMTP_S_COMMANDS, 0, cmd_rset },
	[SMTP_CMD_NOOP] = { SMTP_S_COMMANDS, 0, cmd_noop },
	[SMTP_CMD_QUIT] = { SMTP_S_COMMANDS, CMD_F_MAIL, cmd_quit },
	[SMTP_CMD_VRFY] = { SMTP_S_COMMANDS, 0, cmd_vrfy },
	[SMTP_CMD_EXPN] = { SMTP_S_COMMANDS, 0, cmd_expn },
	[SMTP_CMD_HELP] = { SMTP_S_COMMANDS, 0, cmd_help },
	/* Not inside a transaction (RFC 3207 4, RFC 4954 4). */
	[SMTP_CMD_STARTTLS] = { SMTP_S(SMTP_STATE_GREETED), 0, cmd_starttls },
	[SMTP_CMD_AUTH] = { SMTP_S(SMTP_STATE_GREETED), 0, smtp_cmd_auth },
};

/* ------------------------------------------------------------- dispatch */

/*
 * smtp_max_commands_before_mail: a client that only talks (NOOP, RSET,
 * VRFY, EHLO floods, junk) is hung up on instead of answered. Returns 1
 * when the session is closing.
 */
static int
smtp_over_command_limit(struct smtp_session *s)
{
	const struct config	*cfg = server_config();

	if (cfg->smtp_max_commands_before_mail <= 0 ||
	    s->commands <= cfg->smtp_max_commands_before_mail)
		return 0;
	smtp_reply(s, 421, ESC_SECURITY_OTHER,
	    "%s Too many commands without mail, closing connection", cfg->hostname);
	smtp_close(s, "too many commands");
	return 1;
}

/* The 503 (or 554) for a command that is valid but not now. */
static void
sequence_error(struct smtp_session *s, enum smtp_verb verb)
{
	const char	*why = "Bad sequence of commands";

	if (s->state == SMTP_STATE_CHUNKING)
		why = "BDAT or RSET expected";
	else if (s->state == SMTP_STATE_NEW)
		why = "Send EHLO or HELO first";
	else if (verb == SMTP_CMD_MAIL)
		why = "Nested MAIL command";
	else if (verb == SMTP_CMD_RCPT)
		why = "Need MAIL before RCPT";
	else if (verb == SMTP_CMD_DATA && s->state == SMTP_STATE_MAIL) {
		if (s->tx != NULL && s->tx->n_rejected > 0) {
			/* RFC 5321 3.3 / RFC 2920: pipelined DATA after refused RCPTs. */
			smtp_reply(s, 554, ESC_INVALID_COMMAND, "No valid recipients");
			return;
		}
		why = "Need RCPT before DATA";
	} else if (verb == SMTP_CMD_DATA)
		why = "Need MAIL before DATA";
	smtp_reply(s, 503, ESC_INVALID_COMMAND, "%s", why);
}

void
smtp_dispatch(struct smtp_session *s, char *line, size_t len)
{
	struct smtp_command	 cmd;
	const struct smtp_cmd	*e;
	char			 logbuf[128];

	if (smtp_parse_command(line, len, &cmd) != SMTP_PARSE_OK) {
		s->commands++;
		if (smtp_over_command_limit(s))
			return;
		smtp_reply(s, 500, ESC_SYNTAX_ERROR,
		    "Syntax error: bad characters in command");
		return;
	}
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		/* AUTH carries secrets: log only the verb. */
		log_debug("smtp: conn=%llu cmd=\"%s\"", (unsigned long long)s->id,
		    log_sanitize(logbuf, sizeof(logbuf), line,
		    cmd.verb == SMTP_CMD_AUTH ? cmd.name_len : len));
	}
	if (cmd.verb == SMTP_CMD_UNKNOWN) {
		s->commands++;
		if (smtp_over_command_limit(s))
			return;
		smtp_reply(s, 500, ESC_INVALID_COMMAND, "Command unrecognized");
		return;
	}
	e = &commands[cmd.verb];
	if (!(e->flags & CMD_F_MAIL))
		s->commands++;
	if (smtp_over_command_limit(s))
		return;
	if (!(e->states & SMTP_S(s->state))) {
		sequence_error(s, cmd.verb);
		return;
	}
	e->fn(s, cmd.args);
}

/* ------------------------------------------------------------- greeting */

/* Keep the first word of any EHLO/HELO argument, sanitized for Received. */
static int
set_helo(struct smtp_session *s, const char *args, const char *verb)
{
	size_t	 n;

	if (*args == '\0') {
		smtp_reply(s, 501, ESC_INVALID_ARGS, "Syntax: %s hostname", verb);
		return -1;
	}
	n = strcspn(args, " \t");
	smtp_helo_sanitize(s->helo, args, n);
	/* RFC 5321 4.1.4: EHLO/HELO resets any transaction, like RSET. */
	if (s->tx != NULL)
		smtp_tx_end(s, "aborted", verb);
	smtp_set_state(s, SMTP_STATE_GREETED);
	return 0;
}

static void
cmd_helo(struct smtp_session *s, const char *args)
{
	if (set_helo(s, args, "HELO") < 0)
		return;
	s->flags &= ~SMTP_F_EHLO;
	smtp_reply(s, 250, ESC_NONE, "%s", server_config()->hostname);
}

/* STARTTLS is offered: a certificate, no TLS yet, a port that has it. */
static int
starttls_offered(const struct smtp_session *s)
{
	return tls_available() && !conn_is_tls(s->conn) &&
	    (s->kind == LISTEN_SMTP || s->kind == LISTEN_SUBMISSION);
}

static void
cmd_ehlo(struct smtp_session *s, const char *args)
{
	const struct config	*cfg = server_config();
	char			 size[32] = "SIZE";

	if (set_helo(s, args, "EHLO") < 0)
		return;
	s->flags |= SMTP_F_EHLO;
	if (cfg->max_message_size > 0 && str_format(size, sizeof(size),
	    "SIZE %llu", (unsigned long long)cfg->max_message_size) < 0)
		str_copy(size, "SIZE", sizeof(size));
	/*
	 * AUTH only where a password may be sent now: on 587 that is after
	 * STARTTLS (or on loopback, by plaintext_auth); never on port 25.
	 */
	smtp_reply(s, 250, ESC_NONE, "%s\nPIPELINING\n%s\n8BITMIME\n"
	    "ENHANCEDSTATUSCODES\nSMTPUTF8\nCHUNKING%s%s", cfg->hostname, size,
	    starttls_offered(s) ? "\nSTARTTLS" : "",
	    smtp_auth_offered(s) ? "\nAUTH PLAIN LOGIN" : "");
}

/*
 * RFC 3207: "220 2.0.0 Ready to start TLS" in plaintext, then the
 * handshake. conn_starttls() drops whatever the client pipelined after
 * the command (CVE-2011-0411), and the session forgets everything it
 * learnt before TLS (RFC 3207 4.2): the client must EHLO again.
 */
static void
cmd_starttls(struct smtp_session *s, const char *args)
{
	if (conn_is_tls(s->conn)) {
		smtp_reply(s, 503, ESC_INVALID_COMMAND, "TLS already active");
		return;
	}
	if (!starttls_offered(s)) {
		smtp_reply(s, 502, ESC_INVALID_COMMAND, "Command not available");
		return;
	}
	if (*args != '\0') {
		smtp_reply(s, 501, ESC_INVALID_ARGS, "Syntax: STARTTLS");
		return;
	}
	smtp_reply(s, 220, ESC_OTHER, "Ready to start TLS");
	if (conn_starttls(s->conn) < 0) {
		log_warn("smtp: conn=%llu rip=%s STARTTLS failed to start",
		    (unsigned long long)s->id, s->peer);
		smtp_close(s, "STARTTLS failed");
		return;
	}
	s->helo[0] = '\0';
	s->flags &= ~SMTP_F_EHLO;
	s->skipping = 0;
	smtp_auth_reset(s);
	smtp_set_state(s, SMTP_STATE_NEW);
}

/* --------------------------------------------------------- transaction */

/* Answer a failed MAIL/RCPT parse (smtp_parse.h codes). */
static void
reply_parse_error(struct smtp_session *s, int rc, const char *err, int is_rcpt)
{
	enum smtp_esc	 addr_esc = is_rcpt ? ESC_BAD_DEST_SYNTAX : ESC_BAD_SENDER_SYNTAX;

	switch (rc) {
	case SMTP_PARSE_EADDR:
	case SMTP_PARSE_ETOOLONG:
		smtp_reply(s, 501, addr_esc, "%s", err);
		break;
	case SMTP_PARSE_EPARAM:
		/* RFC 5321 4.1.1.11: parameters not recognized */
		smtp_reply(s, 555, ESC_INVALID_ARGS, "%s", err);
		break;
	case SMTP_PARSE_EUTF8:
		smtp_reply(s, 553, ESC_NON_ASCII_ADDR, "%s", err);
		break;
	default:
		smtp_reply(s, 501, ESC_INVALID_ARGS, "%s", err);
		break;
	}
}

static void
cmd_mail(struct smtp_session *s, const char *args)
{
	const struct config	*cfg = server_config();
	struct smtp_mail_args	 ma;
	struct smtp_tx		*tx;
	const char		*err = "";
	int			 rc;

	if (smtp_is_submission(s) && !(s->flags & SMTP_F_AUTHENTICATED)) {
		/* RFC 6409 4.3, RFC 4954 6; RFC 3207 4 when TLS comes first. */
		if (!server_plaintext_auth_allowed(s->conn) && starttls_offered(s))
			smtp_reply(s, 530, ESC_SECURITY_OTHER,
			    "Must issue a STARTTLS command first");
		else
			smtp_reply(s, 530, ESC_SECURITY_OTHER, "Authentication required");
		return;
	}
	if ((rc = smtp_parse_mail(args, &ma, &err)) != SMTP_PARSE_OK) {
		reply_parse_error(s, rc, err, 0);
		return;
	}
	if (s->flags & SMTP_F_AUTHENTICATED &&
	    (rc = smtp_submit_sender_ok(s, ma.path.addr)) != 1) {
		if (rc < 0) {
			log_warn("smtp: conn=%llu sender lookup failed: %s",
			    (unsigned long long)s->id, store_strerror(rc));
			smtp_reply(s, 451, ESC_SYSTEM_OTHER,
			    "Temporary lookup failure, try again later");
		} else
			smtp_reply(s, 553, ESC_NOT_AUTHORIZED,
			    "Sender address not owned by user %s",
			    s->auth_user.address);
		return;
	}
	if (ma.body == SMTP_BODY_BINARYMIME) {
		/* Not advertised: a store of binary parts needs IMAP BINARY first. */
		smtp_reply(s, 555, ESC_INVALID_ARGS, "BODY=BINARYMIME not supported");
		return;
	}
	if (ma.has_size && cfg->max_message_size > 0 &&
	    ma.size > cfg->max_message_size) {
		/* RFC 1870 section 6.2 */
		smtp_reply(s, 552, ESC_MSG_TOO_BIG,
		    "Message size exceeds fixed maximum message size");
		return;
	}
	tx = smtp_tx_new();
	str_copy(tx->from, ma.path.addr, sizeof(tx->from));
	tx->smtputf8 = ma.smtputf8;
	tx->body = ma.body;
	s->tx = tx;
	s->commands = 0;
	smtp_set_state(s, SMTP_STATE_MAIL);
	smtp_reply(s, 250, ESC_ADDR_OTHER, "OK");
}

/*
 * <Postmaster> without a domain (RFC 5321 4.5.1) goes to postmaster at our
 * hostname or, failing that, at the nearest local parent domain of it
 * (mail.example.org -> example.org).
 */
static int
resolve_postmaster(struct smtp_session *s, uint64_t *ids, size_t max,
    size_t *n_r, char *addr, size_t addrlen)
{
	const char	*dom = server_config()->hostname;
	int		 rc = 1;

	while (dom != NULL && *dom != '\0') {
		if (str_format(addr, addrlen, "postmaster@%s", dom) < 0)
			return STORE_EINVAL;
		str_lower(addr);
		rc = store_resolve_rcpt(s->store, addr, ids, max, n_r);
		if (rc != 1)
			return rc;
		if ((dom = strchr(dom, '.')) != NULL)
			dom++;
		if (dom != NULL && strchr(dom, '.') == NULL)
			break;		/* never a bare TLD */
	}
	return rc;
}

/* Merge a recipient's users into the transaction's set; -1 when it would overflow. */
static int
merge_users(struct smtp_tx *tx, const uint64_t *ids, size_t n)
{
	size_t	 i, j, add = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < tx->n_users; j++)
			if (tx->users[j] == ids[i])
				break;
		if (j == tx->n_users)
			add++;
	}
	if (tx->n_users + add > STORE_MAX_RCPT_USERS)
		return -1;
	if (tx->users == NULL)
		tx->users = xreallocarray(NULL, STORE_MAX_RCPT_USERS, sizeof(uint64_t));
	for (i = 0; i < n; i++) {
		for (j = 0; j < tx->n_users; j++)
			if (tx->users[j] == ids[i])
				break;
		if (j == tx->n_users)
			tx->users[tx->n_users++] = ids[i];
	}
	return 0;
}

static void
add_rcpt(struct smtp_tx *tx, const char *addr)
{
	size_t	 i;

	for (i = 0; i < tx->n_rcpts; i++)
		if (strcasecmp(tx->rcpts[i], addr) == 0)
			return;		/* same mailbox twice: one delivery */
	tx->rcpts = xreallocarray(tx->rcpts, tx->n_rcpts + 1, sizeof(char *));
	tx->rcpts[tx->n_rcpts++] = xstrdup(addr);
}

/*
 * A foreign recipient for the outbound queue: the user's own recipient on
 * submission, or an alias's foreign target. Kept as given (the local part
 * may be case-sensitive, RFC 5321 2.4), the domain lower-cased so the
 * queue groups by it. -1 when the transaction has too many.
 */
static int
add_remote(struct smtp_tx *tx, const char *addr)
{
	char	*copy;
	size_t	 i;

	if (strrchr(addr, '@') == NULL || strrchr(addr, '@')[1] == '\0')
		return -1;
	for (i = 0; i < tx->n_remote; i++)
		if (strcmp(tx->remote[i], addr) == 0)
			return 0;
	if (tx->n_remote >= STORE_QUEUE_RCPTS_MAX)
		return -1;
	copy = xstrdup(addr);
	str_lower(strrchr(copy, '@'));
	tx->remote = xreallocarray(tx->remote, tx->n_remote + 1, sizeof(char *));
	tx->remote[tx->n_remote++] = copy;
	return 0;
}

/* An alias's foreign targets (inbound forwarding). */
static int
add_remotes(struct smtp_tx *tx, char (*foreign)[STORE_ADDRESS_MAX], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (add_remote(tx, foreign[i]) < 0)
			return -1;
	return 0;
}

static void
cmd_rcpt(struct smtp_session *s, const char *args)
{
	const struct config	*cfg = server_config();
	struct smtp_tx		*tx = s->tx;
	struct smtp_path	 path;
	uint64_t		*ids;
	size_t			 n = 0, nf = 0;
	char			(*foreign)[STORE_ADDRESS_MAX] = NULL;
	char			 addr[SMTP_ADDR_MAX + 32];
	const char		*err = "";
	int			 rc;

	if ((rc = smtp_parse_rcpt(args, tx->smtputf8, &path, &err)) != SMTP_PARSE_OK) {
		reply_parse_error(s, rc, err, 1);
		return;
	}
	if (cfg->smtp_max_recipients > 0 &&
	    tx->n_rcpts >= (size_t)cfg->smtp_max_recipients) {
		/* RFC 5321 4.5.3.1.10: the client sends the rest in a new transaction. */
		smtp_reply(s, 452, ESC_TOO_MANY_RCPTS, "Too many recipients");
		return;
	}
	ids = xreallocarray(NULL, STORE_MAX_RCPT_USERS, sizeof(uint64_t));
	if (path.postmaster)
		rc = resolve_postmaster(s, ids, STORE_MAX_RCPT_USERS, &n,
		    addr, sizeof(addr));
	else {
		str_copy(addr, path.addr, sizeof(addr));
		str_lower(addr);	/* the store keeps addresses folded */
		foreign = xcalloc(SMTP_ALIAS_FOREIGN_MAX, sizeof(*foreign));
		rc = store_resolve_rcpt_targets(s->store, addr, ids,
		    STORE_MAX_RCPT_USERS, &n, foreign, SMTP_ALIAS_FOREIGN_MAX, &nf);
	}

	if (rc == 1 && (s->flags & SMTP_F_AUTHENTICATED)) {
		/* A user's mail to the world: into the outbound queue. */
		if (add_remote(tx, path.addr) < 0) {
			smtp_reply(s, 452, ESC_TOO_MANY_RCPTS, "Too many recipients");
		} else {
			add_rcpt(tx, path.addr);
			smtp_set_state(s, SMTP_STATE_RCPT);
			smtp_reply(s, 250, ESC_DEST_VALID, "OK");
		}
	} else if (rc == 1) {
		/* Not one of our domains: we are no open relay. */
		smtp_reply(s, 550, ESC_NOT_AUTHORIZED, "Relaying denied");
		smtp_tx_add_rejected(tx, path.addr);
	} else if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL) {
		/* EINVAL: an address the store cannot hold is no local mailbox. */
		smtp_reply(s, 550, ESC_BAD_DEST_MAILBOX,
		    "Mailbox unavailable: no such user here");
		smtp_tx_add_rejected(tx, path.addr);
	} else if (rc < 0) {
		log_warn("smtp: conn=%llu recipient lookup failed: %s",
		    (unsigned long long)s->id, store_strerror(rc));
		smtp_reply(s, 451, ESC_SYSTEM_OTHER,
		    "Temporary lookup failure, try again later");
	} else if ((n == 0 && nf == 0) || (n > 0 && merge_users(tx, ids, n) < 0) ||
	    add_remotes(tx, foreign, nf) < 0) {
		smtp_reply(s, 452, ESC_TOO_MANY_RCPTS, "Too many recipients");
	} else {
		add_rcpt(tx, path.postmaster ? addr : path.addr);
		smtp_set_state(s, SMTP_STATE_RCPT);
		smtp_reply(s, 250, ESC_DEST_VALID, "OK");
	}
	free(foreign);
	free(ids);
}

static void
cmd_data(struct smtp_session *s, const char *args)
{
	if (*args != '\0') {
		smtp_reply(s, 501, ESC_INVALID_ARGS, "DATA takes no arguments");
		return;
	}
	if (s->tx->chunking) {
		/* RFC 3030 section 3: no DATA in a transaction that used BDAT */
		smtp_reply(s, 503, ESC_INVALID_COMMAND, "BDAT in progress");
		return;
	}
	smtp_tx_begin_content(s);
	smtp_set_state(s, SMTP_STATE_DATA);
	smtp_reply(s, 354, ESC_NONE, "End data with <CR><LF>.<CR><LF>");
}

/*
 * BDAT size [LAST] (RFC 3030). Whatever we answer, the chunk's octets follow
 * the command and must be read first: a refused chunk is read and dropped,
 * then refused. Only when the size itself is unreadable can we not find the
 * chunk's end, and we hang up rather than take message bytes as commands.
 */
static void
cmd_bdat(struct smtp_session *s, const char *args)
{
	uint64_t	 size;
	int		 last;

	if (smtp_parse_bdat(args, &size, &last) != SMTP_PARSE_OK) {
		smtp_reply(s, 501, ESC_INVALID_ARGS,
		    "Syntax: BDAT chunk-size [LAST]; closing connection");
		smtp_close(s, "bad BDAT syntax");
		return;
	}
	s->chunk_left = size;
	s->chunk_last = last;
	s->chunk_discard = 1;
	s->chunk_return = s->state;
	s->chunk_code = 503;
	s->chunk_esc = ESC_INVALID_COMMAND;
	switch (s->state) {
	case SMTP_STATE_RCPT:
	case SMTP_STATE_CHUNKING:
		s->chunk_discard = 0;
		if (!s->tx->chunking) {
			s->tx->chunking = 1;
			smtp_tx_begin_content(s);
		}
		break;
	case SMTP_STATE_NEW:
		s->chunk_text = "Send EHLO or HELO first";
		break;
	case SMTP_STATE_GREETED:
		s->chunk_text = "Need MAIL before BDAT";
		break;
	case SMTP_STATE_MAIL:
		if (s->tx->n_rejected > 0) {
			s->chunk_code = 554;
			s->chunk_text = "No valid recipients";
		} else
			s->chunk_text = "Need RCPT before BDAT";
		break;
	default:
		s->chunk_text = "Bad sequence of commands";
		break;
	}
	smtp_set_state(s, SMTP_STATE_CHUNK);
}

static void
cmd_rset(struct smtp_session *s, const char *args)
{
	/* RFC 5321 4.1.1.5: RSET keeps the EHLO/HELO state. */
	if (s->tx != NULL)
		smtp_tx_end(s, "aborted", "RSET");
	if (s->state != SMTP_STATE_NEW)
		smtp_set_state(s, SMTP_STATE_GREETED);
	smtp_reply(s, 250, ESC_OTHER, "OK");
}

/* ---------------------------------------------------------------- other */

static void
cmd_noop(struct smtp_session *s, const char *args)
{
	smtp_reply(s, 250, ESC_OTHER, "OK");
}

static void
cmd_quit(struct smtp_session *s, const char *args)
{
	if (s->tx != NULL)
		smtp_tx_end(s, "aborted", "QUIT");
	smtp_reply(s, 221, ESC_OTHER, "%s Bye", server_config()->hostname);
	smtp_close(s, "QUIT");
}

static void
cmd_vrfy(struct smtp_session *s, const char *args)
{
	if (*args == '\0') {
		smtp_reply(s, 501, ESC_INVALID_ARGS, "Syntax: VRFY address");
		return;
	}
	/* RFC 5321 3.5.3: do not disclose who exists, but do not refuse either. */
	smtp_reply(s, 252, ESC_OTHER,
	    "Cannot VRFY user, but will accept message and attempt delivery");
}

static void
cmd_expn(struct smtp_session *s, const char *args)
{
	smtp_reply(s, 502, ESC_INVALID_COMMAND, "EXPN not available");
}

static void
cmd_help(struct smtp_session *s, const char *args)
{
	smtp_reply(s, 214, ESC_OTHER, "Posthorn SMTP server (RFC 5321)\n"
	    "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP "
	    "STARTTLS AUTH");
}

