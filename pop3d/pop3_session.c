/*
 * pop3_session.c: the POP3 conn_handler: session life cycle, the command
 * loop over the connection's input, replies, flow control and login.
 *
 * It reads command lines with common/linereader (RFC 2449's 255-octet
 * limit) and hands each to pop3_command_dispatch(). While an answer is
 * pending (a password check on a worker, an expunge on the store writer, a
 * big RETR waiting for the client to read) it takes no further commands, so
 * pipelined commands are answered strictly in order (RFC 2449 6.6).
 * It does not know the individual commands; pop3_commands.c does.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "linereader.h"
#include "log.h"
#include "net.h"
#include "pop3_lock.h"
#include "pop3_maildrop.h"
#include "pop3_parse.h"
#include "pop3_session.h"
#include "pop3d.h"
#include "server.h"
#include "util.h"

#define POP3_REPLY_MAX	512

static void	pop3_on_open(struct conn *c, void *listener_arg);
static void	pop3_on_read(struct conn *c);
static void	pop3_on_drain(struct conn *c);
static void	pop3_on_timeout(struct conn *c);
static void	pop3_on_close(struct conn *c, const char *reason);
static void	pop3_session_process(struct pop3_session *s);
static void	pop3_reply(struct pop3_session *s, const char *status,
		    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static void	pop3_seen_done(void *arg, int status);

const struct conn_handler pop3_conn_handler = {
	.name = "pop3",
	.on_open = pop3_on_open,
	.on_read = pop3_on_read,
	.on_drain = pop3_on_drain,
	.on_timeout = pop3_on_timeout,
	.on_close = pop3_on_close,
};

/* ------------------------------------------------------------ replies */

static void
pop3_reply(struct pop3_session *s, const char *status, const char *fmt,
    va_list ap)
{
	char text[POP3_REPLY_MAX];
	int n;

	if (s->flags & POP3_F_CLOSING)
		return;
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		text[0] = '\0';
	/* Our own texts are short; a truncated one is still a valid reply. */
	if (text[0] != '\0')
		conn_printf(s->conn, "%s %s\r\n", status, text);
	else
		conn_printf(s->conn, "%s\r\n", status);
	if (status[0] == '-')
		log_debug("pop3: conn=%llu -ERR %s", (unsigned long long)s->id, text);
}

void
pop3_ok(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3_reply(s, "+OK", fmt, ap);
	va_end(ap);
}

void
pop3_err(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3_reply(s, "-ERR", fmt, ap);
	va_end(ap);
}

void
pop3_ml_line(struct pop3_session *s, const char *fmt, ...)
{
	char text[POP3_REPLY_MAX];
	va_list ap;
	int n;

	if (s->flags & POP3_F_CLOSING)
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	conn_printf(s->conn, "%s\r\n", text);
}

void
pop3_ml_end(struct pop3_session *s)
{
	if (!(s->flags & POP3_F_CLOSING))
		conn_write(s->conn, ".\r\n", 3);
}

/* ------------------------------------------------------- state, errors */

const char *
pop3_state_name(enum pop3_state state)
{
	switch (state) {
	case POP3_STATE_AUTHORIZATION:
		return "AUTHORIZATION";
	case POP3_STATE_TRANSACTION:
		return "TRANSACTION";
	case POP3_STATE_UPDATE:
		return "UPDATE";
	}
	return "?";
}

void
pop3_set_state(struct pop3_session *s, enum pop3_state state)
{
	log_debug("pop3: conn=%llu %s -> %s", (unsigned long long)s->id,
	    pop3_state_name(s->state), pop3_state_name(state));
	s->state = state;
}

int
pop3_bad_command(struct pop3_session *s, const char *msg)
{
	const struct config *cfg = server_config();
	int max = cfg != NULL ? cfg->pop3_max_errors : 10;

	s->flags &= ~POP3_F_HAVE_USER;
	if (++s->errors >= max) {
		pop3_err(s, "Too many bad commands, closing connection.");
		pop3_session_close(s, "too many bad commands");
		return -1;
	}
	pop3_err(s, "%s", msg);
	return 0;
}

void
pop3_session_close(struct pop3_session *s, const char *reason)
{
	s->flags |= POP3_F_CLOSING;
	conn_close(s->conn, reason);
}

/* --------------------------------------------------------- flow control */

void
pop3_session_block(struct pop3_session *s, unsigned flag)
{
	s->flags |= flag;
	/*
	 * While a worker or the writer has the answer, nothing we read could
	 * be acted on: stop reading. While output drains we keep reading (up
	 * to POP3_INPUT_BLOCKED_MAX) so the idle timeout stays armed.
	 */
	if (flag & POP3_F_BUSY)
		conn_pause_read(s->conn);
}

void
pop3_session_unblock(struct pop3_session *s, unsigned flag)
{
	s->flags &= ~flag;
	if (s->flags & (POP3_F_BLOCKED | POP3_F_CLOSING))
		return;
	conn_resume_read(s->conn);
	/* Commands the client pipelined meanwhile are already buffered. */
	conn_schedule_read(s->conn);
}

/* --------------------------------------------------------------- TLS */

void
pop3_session_starttls(struct pop3_session *s)
{
	if (conn_starttls(s->conn) < 0) {
		/* The client got +OK and starts a handshake we cannot answer. */
		log_warn("pop3: conn=%llu STLS: cannot start TLS",
		    (unsigned long long)s->id);
		pop3_session_close(s, "STLS failed");
		return;
	}
	/*
	 * RFC 2595 4: forget what the client said before TLS. conn_starttls()
	 * already dropped any plaintext pipelined after STLS (CVE-2011-0411),
	 * so the input buffer is empty and the command loop waits for lines
	 * that arrive through TLS.
	 */
	s->flags &= ~POP3_F_HAVE_USER;
	explicit_bzero(s->user, sizeof(s->user));
	pop3_auth_abort(s);
	log_debug("pop3: conn=%llu STLS: TLS handshake started",
	    (unsigned long long)s->id);
}

/* ------------------------------------------------------------- login */

void
pop3_session_login(struct pop3_session *s, const struct store_user *u)
{
	int r;

	if (pop3_lock_acquire(u->id) < 0) {
		log_info("pop3: conn=%llu user=<%s> refused: maildrop in use",
		    (unsigned long long)s->id, u->address);
		/* RFC 2449 8.1.2; RFC 1939 4: stay in AUTHORIZATION. */
		pop3_err(s, "[IN-USE] Mailbox is locked by another POP3 session.");
		return;
	}
	r = pop3_maildrop_open(&s->maildrop, s->store, u->id);
	if (r < 0) {
		pop3_lock_release(u->id);
		log_warn("pop3: conn=%llu user=<%s> cannot open maildrop: %s",
		    (unsigned long long)s->id, u->address, store_strerror(r));
		pop3_err(s, "[SYS/TEMP] Cannot open the mailbox, try again later.");
		return;
	}
	s->flags |= POP3_F_LOCKED;
	s->account = *u;
	pop3_set_state(s, POP3_STATE_TRANSACTION);
	pop3_ok(s, "Logged in.");
}

void
pop3_session_unlock(struct pop3_session *s)
{
	if (!(s->flags & POP3_F_LOCKED))
		return;
	pop3_lock_release(s->account.id);
	s->flags &= ~POP3_F_LOCKED;
}

/* A \Seen update is fire and forget: its job is only the UID array. */
static void
pop3_seen_done(void *arg, int status)
{
	if (status < 0)
		log_warn("pop3: cannot mark messages seen: %s",
		    store_strerror(status));
	free(arg);
}

void
pop3_session_flush_seen(struct pop3_session *s)
{
	struct pop3_maildrop *md = s->maildrop;
	uint32_t *uids;
	size_t n, i;

	if (md == NULL || md->mailbox_id == 0)
		return;
	n = pop3_maildrop_unseen_retrieved_uids(md, &uids);
	if (n == 0)
		return;
	/* Mark them here too so a second flush sends nothing. */
	for (i = 0; i < md->count; i++)
		if (md->msgs[i].retrieved)
			md->msgs[i].flags |= STORE_FLAG_SEEN;
	store_flags_update(s->store, md->mailbox_id, uids, n, STORE_FLAG_SEEN,
	    0, pop3_seen_done, uids);
}

/* ------------------------------------------------------ the conn handler */

static void
pop3_on_open(struct conn *c, void *listener_arg)
{
	const struct listener_ctx *lc = listener_arg;
	const struct config *cfg = server_config();
	struct pop3_session *s;

	s = xcalloc(1, sizeof(*s));
	s->id = conn_id(c);
	s->conn = c;
	s->store = lc->store;
	s->state = POP3_STATE_AUTHORIZATION;
	conn_set_session(c, s);
	conn_set_timeout(c, cfg != NULL ? cfg->pop3_timeout : 600);
	/* RFC 1939 4; no APOP timestamp: we offer no APOP. */
	pop3_ok(s, "Posthorn POP3 ready");
}

/*
 * Take and dispatch every complete command line that is buffered. A line
 * that answers AUTH's "+ " is a SASL response, not a command, and may be
 * longer (POP3_SASL_LINE_MAX).
 */
static void
pop3_session_process(struct pop3_session *s)
{
	char line[POP3_SASL_LINE_MAX];
	size_t len, size;
	int r;

	for (;;) {
		if (s->flags & POP3_F_CLOSING)
			return;
		if (s->flags & POP3_F_BLOCKED) {
			if (evbuffer_get_length(conn_input(s->conn)) >
			    POP3_INPUT_BLOCKED_MAX)
				conn_pause_read(s->conn);
			return;
		}
		if (conn_output_pending(s->conn) > POP3_OUTPUT_HIGH) {
			/* A client pipelining LIST after LIST without reading. */
			pop3_session_block(s, POP3_F_DRAINING);
			continue;
		}
		size = (s->flags & POP3_F_SASL) ? sizeof(line) : POP3_LINE_MAX - 1;
		r = linereader_get(conn_input(s->conn), line, size, &len,
		    &s->skipping);
		if (r == LINE_NEED_MORE)
			return;
		if (r == LINE_TOO_LONG) {
			pop3_auth_abort(s);
			if (pop3_bad_command(s, "Line too long.") < 0)
				return;
			continue;
		}
		if (s->flags & POP3_F_SASL)
			pop3_auth_continue(s, line, len);
		else
			pop3_command_dispatch(s, line, len);
		explicit_bzero(line, len);	/* it may have held a password */
	}
}

static void
pop3_on_read(struct conn *c)
{
	struct pop3_session *s = conn_session(c);

	if (s != NULL)
		pop3_session_process(s);
}

static void
pop3_on_drain(struct conn *c)
{
	struct pop3_session *s = conn_session(c);

	if (s == NULL || (s->flags & POP3_F_CLOSING))
		return;
	if (s->flags & POP3_F_STREAMING)
		pop3_retr_continue(s);
	else if (s->flags & POP3_F_DRAINING)
		pop3_session_unblock(s, POP3_F_DRAINING);
}

static void
pop3_on_timeout(struct conn *c)
{
	struct pop3_session *s = conn_session(c);

	if (s == NULL)
		return;
	/*
	 * RFC 1939 3: an autologout timer ends the session without UPDATE.
	 * In the middle of a message body a status line would corrupt it.
	 */
	if (!(s->flags & POP3_F_STREAMING))
		pop3_err(s, "Disconnected for inactivity.");
	pop3_session_close(s, "idle timeout");
}

static void
pop3_on_close(struct conn *c, const char *reason)
{
	struct pop3_session *s = conn_session(c);

	if (s == NULL)
		return;
	log_debug("pop3: conn=%llu session end in %s: %s",
	    (unsigned long long)s->id, pop3_state_name(s->state), reason);
	/* The client read what it fetched; IMAP should show it as read. */
	pop3_session_flush_seen(s);
	pop3_retr_free(s);
	pop3_session_unlock(s);
	pop3_maildrop_free(&s->maildrop);
	explicit_bzero(s->user, sizeof(s->user));
	pop3_auth_abort(s);
	free(s);
	conn_set_session(c, NULL);
}
