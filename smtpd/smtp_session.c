/*
 * smtp_session.c: the SMTP server's connection handler (smtp_conn_handler):
 * session lifetime, the input loop and the session state.
 *
 * Input is processed strictly in order (RFC 2920 pipelining): one command
 * line, one SASL response, one DATA stretch or one BDAT chunk at a time.
 * While a delivery or a password check is in flight the session stops
 * reading and leaves buffered commands alone until the reply is sent
 * (smtp_tx.c and smtp_auth.c resume it). When the client does not read
 * its replies, input is paused until the output drains.
 *
 * What commands do lives in smtp_commands.c, the mail transaction in
 * smtp_tx.c; this file does not parse commands or touch the store.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "linereader.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "smtp_session.h"
#include "smtpd.h"
#include "util.h"

/* Pause input while this much output is queued (pipelined flood, slow reader). */
#define SMTP_OUTPUT_HIGH	(64 * 1024)
/* Units of input handled per on_read before yielding to other connections. */
#define SMTP_READ_BUDGET	64
/* RFC 5321 4.5.3.1.4: a command line is at least 512 octets incl. CRLF. */
#define SMTP_LINE_MIN		512
#define SMTP_LINE_CAP		65536

static void	 smtp_on_open(struct conn *c, void *listener_arg);
static void	 smtp_on_read(struct conn *c);
static void	 smtp_on_drain(struct conn *c);
static void	 smtp_on_timeout(struct conn *c);
static void	 smtp_on_close(struct conn *c, const char *reason);
static int	 smtp_read_command(struct smtp_session *s);
static int	 smtp_check_limits(struct smtp_session *s);

const struct conn_handler smtp_conn_handler = {
	.name = "smtp",
	.on_open = smtp_on_open,
	.on_read = smtp_on_read,
	.on_drain = smtp_on_drain,
	.on_timeout = smtp_on_timeout,
	.on_close = smtp_on_close,
};

static const char *const state_names[SMTP_STATE_COUNT] = {
	[SMTP_STATE_NEW] = "NEW",
	[SMTP_STATE_GREETED] = "GREETED",
	[SMTP_STATE_MAIL] = "MAIL",
	[SMTP_STATE_RCPT] = "RCPT",
	[SMTP_STATE_DATA] = "DATA",
	[SMTP_STATE_CHUNK] = "CHUNK",
	[SMTP_STATE_CHUNKING] = "CHUNKING",
	[SMTP_STATE_COMMIT] = "COMMIT",
	[SMTP_STATE_AUTH] = "AUTH",
	[SMTP_STATE_AUTH_CHECK] = "AUTH_CHECK",
	[SMTP_STATE_QUIT] = "QUIT",
};

const char *
smtp_state_name(enum smtp_state st)
{
	if (st < 0 || st >= SMTP_STATE_COUNT)
		return "?";
	return state_names[st];
}

void
smtp_set_state(struct smtp_session *s, enum smtp_state st)
{
	if (s->state == st)
		return;
	if (log_get_level() >= LOG_LEVEL_DEBUG)
		log_debug("smtp: conn=%llu state %s -> %s",
		    (unsigned long long)s->id, smtp_state_name(s->state),
		    smtp_state_name(st));
	s->state = st;
}

void
smtp_close(struct smtp_session *s, const char *reason)
{
	smtp_set_state(s, SMTP_STATE_QUIT);
	conn_close(s->conn, reason);
}

static void
smtp_on_open(struct conn *c, void *listener_arg)
{
	const struct listener_ctx	*ctx = listener_arg;
	const struct config		*cfg = server_config();
	struct smtp_session		*s;
	size_t				 max_line;

	s = xcalloc(1, sizeof(*s));
	s->id = conn_id(c);
	s->conn = c;
	s->store = ctx->store;
	s->kind = ctx->kind;
	s->state = SMTP_STATE_NEW;
	str_copy(s->peer, conn_peer(c), sizeof(s->peer));

	/* linereader: linesize - 1 octets plus CRLF; smtp_max_line counts the CRLF. */
	max_line = cfg->smtp_max_line;
	if (max_line < SMTP_LINE_MIN)
		max_line = SMTP_LINE_MIN;
	if (max_line > SMTP_LINE_CAP)
		max_line = SMTP_LINE_CAP;
	s->linesize = max_line - 1;
	s->line = xmalloc(s->linesize);

	conn_set_session(c, s);
	conn_set_timeout(c, cfg->smtp_timeout);	/* net.c logs connect and close */
	smtp_reply(s, 220, ESC_NONE, "%s ESMTP Posthorn", cfg->hostname);
}

/*
 * smtp_max_errors (config.h): after the reply to the last bad command, 421
 * and hang up. Returns 1 when the session is closing. (The command-count
 * limit is checked before a command runs, in smtp_commands.c.)
 */
static int
smtp_check_limits(struct smtp_session *s)
{
	const struct config	*cfg = server_config();

	if (s->state == SMTP_STATE_QUIT)
		return 1;
	if (cfg->smtp_max_errors > 0 && s->errors >= cfg->smtp_max_errors) {
		smtp_reply(s, 421, ESC_SECURITY_OTHER,
		    "%s Too many errors, closing connection", cfg->hostname);
		smtp_close(s, "too many errors");
		return 1;
	}
	return 0;
}

/* One command line; 1 when a line was handled, 0 when more input is needed. */
static int
smtp_read_command(struct smtp_session *s)
{
	size_t	 len = 0;

	switch (linereader_get(conn_input(s->conn), s->line, s->linesize,
	    &len, &s->skipping)) {
	case LINE_NEED_MORE:
		return 0;
	case LINE_TOO_LONG:
		/* RFC 5321 4.5.3.1.4; the reader discards the rest of the line. */
		smtp_reply(s, 500, ESC_SYNTAX_ERROR, "Line too long");
		return 1;
	case LINE_OK:
		smtp_dispatch(s, s->line, len);
		return 1;
	}
	return 0;
}

static void
smtp_on_read(struct conn *c)
{
	struct smtp_session	*s = conn_session(c);
	int			 budget, progress;

	if (s == NULL)
		return;
	for (budget = SMTP_READ_BUDGET; budget > 0; budget--) {
		if (s->state == SMTP_STATE_QUIT || (s->flags & SMTP_F_WAIT) ||
		    conn_is_closed(c))
			return;
		if (conn_output_pending(c) > SMTP_OUTPUT_HIGH) {
			/* The client pipelines but does not read: wait for on_drain. */
			s->flags |= SMTP_F_OUTPUT_FULL;
			conn_pause_read(c);
			return;
		}
		switch (s->state) {
		case SMTP_STATE_DATA:
			progress = smtp_tx_read_data(s);
			break;
		case SMTP_STATE_CHUNK:
			progress = smtp_tx_read_chunk(s);
			break;
		case SMTP_STATE_AUTH:
			progress = smtp_auth_read(s);
			break;
		case SMTP_STATE_COMMIT:
		case SMTP_STATE_AUTH_CHECK:
		case SMTP_STATE_QUIT:
			return;
		default:
			progress = smtp_read_command(s);
			break;
		}
		if (smtp_check_limits(s) || !progress)
			return;
	}
	/* Out of budget with input left: come back after the others had a turn. */
	conn_schedule_read(c);
}

static void
smtp_on_drain(struct conn *c)
{
	struct smtp_session	*s = conn_session(c);

	if (s == NULL || !(s->flags & SMTP_F_OUTPUT_FULL))
		return;
	s->flags &= ~SMTP_F_OUTPUT_FULL;
	if (s->flags & SMTP_F_WAIT)
		return;		/* the delivery's or AUTH's completion resumes reading */
	conn_resume_read(c);
	conn_schedule_read(c);
}

static void
smtp_on_timeout(struct conn *c)
{
	struct smtp_session	*s = conn_session(c);
	const struct config	*cfg = server_config();

	if (s == NULL)
		return;
	/* No timeout while a delivery is in flight: reading is paused then. */
	if (s->state == SMTP_STATE_QUIT)
		return;
	/* RFC 5321 4.5.3.2: the server may close an idle session with 421. */
	smtp_reply(s, 421, ESC_CONNECTION, "%s Timeout, closing connection",
	    cfg->hostname);
	smtp_close(s, "timeout");
}

static void
smtp_on_close(struct conn *c, const char *reason)
{
	struct smtp_session	*s = conn_session(c);
	char			 why[128];

	if (s == NULL)
		return;
	if (s->tx != NULL) {
		/* A delivery in flight logs itself (smtp_tx.c); others are aborted. */
		if (str_format(why, sizeof(why), "connection closed: %s",
		    reason ? reason : "") < 0)
			str_copy(why, "connection closed", sizeof(why));
		smtp_tx_end(s, "aborted", why);
	}
	/* An AUTH check in flight is not answered once we are gone (auth.h). */
	smtp_auth_reset(s);
	conn_set_session(c, NULL);
	free(s->line);
	free(s);
}
