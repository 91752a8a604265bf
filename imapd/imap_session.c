/*
 * imap_session.c: the IMAP conn_handler: session life cycle, the input
 * loop that feeds the command parser (or, during IDLE and AUTHENTICATE,
 * hands whole lines to the command that asked for them), flow control and
 * the state machine of RFC 3501 section 3.
 *
 * Commands run strictly one after another: while one is in flight (a store
 * write, a password check, a long response waiting for the client to read)
 * the next is left in the input buffer. That keeps pipelined commands
 * (mutt sends three at once) answered in order and keeps sequence numbers
 * simple. It does not know any command; imap_commands.c does.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "imap.h"
#include "imap_core.h"
#include "imap_parser.h"
#include "imapd.h"
#include "linereader.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "util.h"

static void	imap_on_open(struct conn *c, void *listener_arg);
static void	imap_on_read(struct conn *c);
static void	imap_on_drain(struct conn *c);
static void	imap_on_timeout(struct conn *c);
static void	imap_on_close(struct conn *c, const char *reason);
static void	imap_session_aux_line(struct imap_session *s);
static void	imap_session_parse_error(struct imap_session *s);

const struct conn_handler imap_conn_handler = {
	.name = "imap",
	.on_open = imap_on_open,
	.on_read = imap_on_read,
	.on_drain = imap_on_drain,
	.on_timeout = imap_on_timeout,
	.on_close = imap_on_close,
};

/* ------------------------------------------------------------- state */

const char *
imap_state_name(enum imap_state st)
{
	switch (st) {
	case IMAP_STATE_NOT_AUTH:
		return "NOT-AUTHENTICATED";
	case IMAP_STATE_AUTH:
		return "AUTHENTICATED";
	case IMAP_STATE_SELECTED:
		return "SELECTED";
	case IMAP_STATE_LOGOUT:
		return "LOGOUT";
	}
	return "?";
}

void
imap_set_state(struct imap_session *s, enum imap_state st)
{
	if (s->state == st)
		return;
	log_debug("imap: conn=%llu %s -> %s", (unsigned long long)s->id,
	    imap_state_name(s->state), imap_state_name(st));
	s->state = st;
}

void
imap_session_parser_limits(struct imap_session *s)
{
	const struct config *cfg = server_config();
	struct imap_parser_limits lim;

	imap_parser_limits_default(&lim, s->state == IMAP_STATE_NOT_AUTH,
	    cfg != NULL ? cfg->max_message_size : 50 * 1024 * 1024);
	imap_parser_set_limits(s->parser, &lim);
}

/*
 * RFC 3501 5.4: at least 30 minutes once logged in (imap_timeout); before
 * login a connection only holds resources, so it gets a few minutes.
 */
int
imap_session_timeout(const struct imap_session *s)
{
	const struct config *cfg = server_config();
	int t = cfg != NULL ? cfg->imap_timeout : 1800;

	if (s->state == IMAP_STATE_NOT_AUTH && t > IMAP_PREAUTH_TIMEOUT)
		t = IMAP_PREAUTH_TIMEOUT;
	return t;
}

void
imap_session_login(struct imap_cmd *cmd, const struct store_user *u)
{
	struct imap_session *s = cmd->s;
	char caps[1024], code[1100];

	s->user = *u;
	imap_set_state(s, IMAP_STATE_AUTH);
	imap_session_parser_limits(s);
	conn_set_timeout(s->conn, imap_session_timeout(s));
	/* K-9 and Thunderbird take the new list from this response code. */
	imap_capability_string(s, caps, sizeof(caps));
	if (str_format(code, sizeof(code), "CAPABILITY %s", caps) < 0)
		code[0] = '\0';
	imap_send_tagged(cmd, "OK", code[0] ? code : NULL, "Logged in");
}

/* ------------------------------------------------------------ closing */

void
imap_session_close(struct imap_session *s, const char *reason)
{
	if (s->flags & (IMAP_SF_CLOSING | IMAP_SF_CLOSED))
		return;
	s->flags |= IMAP_SF_CLOSING;
	conn_close(s->conn, reason);
}

/* The one place a session is freed (on_close, or the last pending command). */
void
imap_session_free(struct imap_session *s)
{
	imap_unselect(s);
	imap_parser_free(&s->parser);
	explicit_bzero(&s->user, sizeof(s->user));
	free(s);
}

/* -------------------------------------------------------- input loop */

static void
imap_session_parse_error(struct imap_session *s)
{
	const struct imap_parse_error *e = imap_parser_error(s->parser);
	char code[32];

	if (e->code != NULL)
		(void)str_format(code, sizeof(code), "[%s] ", e->code);
	else
		code[0] = '\0';
	if (e->fatal) {
		conn_printf(s->conn, "%s %s %s%s\r\n", e->tag, e->status, code, e->text);
		conn_printf(s->conn, "* BYE Protocol error, closing.\r\n");
		imap_session_close(s, "protocol error");
		return;
	}
	conn_printf(s->conn, "%s %s %s%s\r\n", e->tag, e->status, code, e->text);
	log_debug("imap: conn=%llu %s %s", (unsigned long long)s->id, e->status,
	    e->text);
	if (strcmp(e->status, "BAD") == 0 &&
	    ++s->bad_commands >= IMAP_MAX_BAD_COMMANDS) {
		conn_printf(s->conn, "* BYE Too many invalid commands.\r\n");
		imap_session_close(s, "too many bad commands");
	}
}

/* A line for IDLE's DONE or an AUTHENTICATE response. */
static void
imap_session_aux_line(struct imap_session *s)
{
	char line[IMAP_AUX_LINE_MAX];
	size_t len;
	int skipping = (s->flags & IMAP_SF_AUX_SKIPPING) != 0;
	int r;

	r = linereader_get(conn_input(s->conn), line, sizeof(line), &len, &skipping);
	if (skipping)
		s->flags |= IMAP_SF_AUX_SKIPPING;
	else
		s->flags &= ~IMAP_SF_AUX_SKIPPING;
	if (r == LINE_NEED_MORE)
		return;
	if (r == LINE_TOO_LONG)
		s->line_handler(s, NULL, 0);
	else
		s->line_handler(s, line, len);
	explicit_bzero(line, sizeof(line));
}

void
imap_session_process(struct imap_session *s)
{
	struct evbuffer *in;
	struct imap_cmd *cmd;
	size_t before;

	for (;;) {
		if (s->flags & (IMAP_SF_CLOSING | IMAP_SF_CLOSED))
			return;
		in = conn_input(s->conn);
		if (s->line_handler != NULL) {
			before = evbuffer_get_length(in);
			if (before == 0)
				return;
			imap_session_aux_line(s);
			if (evbuffer_get_length(in) == before)
				return;		/* no complete line yet */
			continue;
		}
		if (s->cmd != NULL) {
			/* A command is in flight; leave pipelined input buffered. */
			if (evbuffer_get_length(in) > IMAP_INPUT_BLOCKED_MAX)
				conn_pause_read(s->conn);
			return;
		}
		if (conn_output_pending(s->conn) > IMAP_OUTPUT_HIGH) {
			/*
			 * A client pipelining without reading: wait for
			 * on_drain, and stop reading once it has queued a lot.
			 */
			s->flags |= IMAP_SF_DRAINING;
			if (evbuffer_get_length(in) > IMAP_INPUT_BLOCKED_MAX)
				conn_pause_read(s->conn);
			return;
		}
		if (evbuffer_get_length(in) == 0)
			return;
		switch (imap_parser_read(s->parser, in)) {
		case IMAP_PARSE_MORE:
			return;
		case IMAP_PARSE_CONTINUE:
			imap_send_continuation(s, "Ready for literal data");
			continue;
		case IMAP_PARSE_ERROR:
			imap_session_parse_error(s);
			continue;
		case IMAP_PARSE_COMMAND:
			cmd = xcalloc(1, sizeof(*cmd));
			imap_parser_take(s->parser, cmd);
			imap_dispatch(s, cmd);
			continue;
		}
	}
}

/* ------------------------------------------------------ the conn handler */

static void
imap_on_open(struct conn *c, void *listener_arg)
{
	const struct listener_ctx *lc = listener_arg;
	struct imap_session *s;
	char caps[1024];

	s = xcalloc(1, sizeof(*s));
	s->id = conn_id(c);
	s->conn = c;
	s->store = lc->store;
	s->state = IMAP_STATE_NOT_AUTH;
	s->parser = imap_parser_new();
	imap_session_parser_limits(s);
	conn_set_session(c, s);
	conn_set_timeout(c, imap_session_timeout(s));
	/* RFC 3501 7.1.1; clients take the capabilities from the greeting. */
	imap_capability_string(s, caps, sizeof(caps));
	imap_send_untagged(s, "OK [CAPABILITY %s] Posthorn IMAP ready.", caps);
}

static void
imap_on_read(struct conn *c)
{
	struct imap_session *s = conn_session(c);

	if (s != NULL)
		imap_session_process(s);
}

static void
imap_on_drain(struct conn *c)
{
	struct imap_session *s = conn_session(c);
	struct imap_cmd *cmd;

	if (s == NULL || (s->flags & (IMAP_SF_CLOSING | IMAP_SF_CLOSED)))
		return;
	cmd = s->cmd;
	if (cmd != NULL && cmd->resume != NULL && (s->flags & IMAP_SF_DRAINING)) {
		imap_cmd_fn fn = cmd->resume;

		s->flags &= ~IMAP_SF_DRAINING;
		cmd->resume = NULL;
		if (fn(cmd))
			imap_cmd_finish(cmd);
		return;
	}
	if (s->flags & IMAP_SF_DRAINING) {
		s->flags &= ~IMAP_SF_DRAINING;
		conn_resume_read(s->conn);
		conn_schedule_read(s->conn);
	}
}

static void
imap_on_timeout(struct conn *c)
{
	struct imap_session *s = conn_session(c);

	if (s == NULL)
		return;
	/* RFC 3501 5.4: the autologout timer is at least 30 minutes. */
	if (s->cmd == NULL || s->line_handler != NULL)
		imap_send_untagged(s, "BYE Disconnected for inactivity.");
	imap_session_close(s, "idle timeout");
}

static void
imap_on_close(struct conn *c, const char *reason)
{
	struct imap_session *s = conn_session(c);

	if (s == NULL)
		return;
	log_debug("imap: conn=%llu session end in %s: %s",
	    (unsigned long long)s->id, imap_state_name(s->state), reason);
	s->flags |= IMAP_SF_CLOSED | IMAP_SF_CLOSING;
	conn_set_session(c, NULL);
	/*
	 * A command waiting for the store or a worker still points at the
	 * session; it frees the session in imap_cmd_finish(). One waiting
	 * only for input (IDLE, AUTHENTICATE), for output to drain, or for
	 * auth/ (which calls back only open connections) will never be
	 * woken: end it here.
	 */
	if (s->cmd != NULL && s->line_handler == NULL && s->cmd->resume == NULL &&
	    !(s->flags & IMAP_SF_AUTH_WAIT))
		return;
	if (s->cmd != NULL) {
		struct imap_cmd *cmd = s->cmd;

		s->cmd = NULL;
		s->line_handler = NULL;
		if (cmd->ctx_free != NULL)
			cmd->ctx_free(cmd->ctx);
		imap_cmd_free_args(cmd);
		free(cmd);
	}
	imap_session_free(s);
}
