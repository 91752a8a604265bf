/*
 * smtp_session.h: private to smtpd/: the SMTP session and transaction
 * objects shared by smtp_session.c (connection, input loop, state),
 * smtp_commands.c (command table and handlers), smtp_tx.c (the mail
 * transaction: content, delivery, log line) and smtp_reply.c (replies).
 *
 * Threading: a session lives on its connection's loop thread only. The one
 * thing that leaves the thread is a delivery (smtp_tx.c), which carries its
 * own copies and comes back through loop_post().
 */
#ifndef POSTHORN_SMTP_SESSION_H
#define POSTHORN_SMTP_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth.h"
#include "server.h"	/* enum listen_kind (common/config.h) */
#include "smtp_data.h"
#include "smtp_parse.h"

struct conn;
struct store;

/*
 * Where a session is (RFC 5321 4.1.4 command order). Commands are read in
 * NEW, GREETED, MAIL, RCPT and CHUNKING; the others consume content, SASL
 * responses, or wait. STARTTLS needs no state of its own: the session is
 * back in NEW (RFC 3207 4.2) while net.c runs the handshake.
 */
enum smtp_state {
	SMTP_STATE_NEW = 0,	/* greeting sent, no EHLO/HELO yet */
	SMTP_STATE_GREETED,	/* EHLO/HELO done, no transaction */
	SMTP_STATE_MAIL,	/* MAIL accepted, no recipient accepted yet */
	SMTP_STATE_RCPT,	/* at least one recipient accepted */
	SMTP_STATE_DATA,	/* reading DATA content up to <CRLF>.<CRLF> */
	SMTP_STATE_CHUNK,	/* reading the octets of one BDAT chunk */
	SMTP_STATE_CHUNKING,	/* between BDAT chunks of a transaction */
	SMTP_STATE_COMMIT,	/* waiting for the store to make the message durable */
	SMTP_STATE_AUTH,	/* AUTH: reading the client's SASL response lines */
	SMTP_STATE_AUTH_CHECK,	/* AUTH: waiting for the password check (auth/) */
	SMTP_STATE_QUIT,	/* closing; input is ignored */
	SMTP_STATE_COUNT
};

/* Bits for allowed-state masks in the command table. */
#define SMTP_S(st)		(1u << (st))
#define SMTP_S_COMMANDS		(SMTP_S(SMTP_STATE_NEW) | SMTP_S(SMTP_STATE_GREETED) | \
				 SMTP_S(SMTP_STATE_MAIL) | SMTP_S(SMTP_STATE_RCPT) | \
				 SMTP_S(SMTP_STATE_CHUNKING))

/* Session flags: orthogonal facts. */
/* Foreign targets one alias may add to a transaction. */
#define SMTP_ALIAS_FOREIGN_MAX	100

#define SMTP_F_EHLO		0x01	/* client said EHLO: ESMTP */
#define SMTP_F_WAIT		0x02	/* a delivery is in flight; input is held */
#define SMTP_F_OUTPUT_FULL	0x04	/* client is not reading replies; input paused */
#define SMTP_F_AUTHENTICATED	0x08	/* AUTH succeeded: auth_user is set */
/* TLS is conn_is_tls(): the connection knows, the session need not. */

/*
 * RFC 3463 enhanced status codes, as subject.detail; the class digit comes
 * from the reply code, so they can never disagree (smtp_reply.c).
 */
enum smtp_esc {
	ESC_NONE = 0,			/* no code (greeting, EHLO, 354) */
	ESC_OTHER,			/* x.0.0 */
	ESC_ADDR_OTHER,			/* x.1.0 other address status (sender ok) */
	ESC_BAD_DEST_MAILBOX,		/* x.1.1 */
	ESC_BAD_DEST_SYNTAX,		/* x.1.3 */
	ESC_DEST_VALID,			/* x.1.5 */
	ESC_BAD_SENDER_SYNTAX,		/* x.1.7 */
	ESC_SYSTEM_OTHER,		/* x.3.0 */
	ESC_SYSTEM_FULL,		/* x.3.1 */
	ESC_MSG_TOO_BIG,		/* x.3.4 */
	ESC_CONNECTION,			/* x.4.2 bad connection (timeout) */
	ESC_AUTH_LINE_TOO_LONG,		/* x.5.6 (RFC 4954 section 6) */
	ESC_PROTOCOL_OTHER,		/* x.5.0 */
	ESC_INVALID_COMMAND,		/* x.5.1 */
	ESC_SYNTAX_ERROR,		/* x.5.2 */
	ESC_TOO_MANY_RCPTS,		/* x.5.3 */
	ESC_INVALID_ARGS,		/* x.5.4 */
	ESC_NON_ASCII_ADDR,		/* x.6.7 (RFC 6531) */
	ESC_SECURITY_OTHER,		/* x.7.0 */
	ESC_NOT_AUTHORIZED,		/* x.7.1 (relaying denied) */
	ESC_AUTH_INVALID,		/* x.7.8 credentials invalid (RFC 4954) */
	ESC_ENCRYPTION_REQUIRED,	/* x.7.11 (RFC 4954 section 6) */
	ESC_COUNT
};

struct smtp_tx;

struct smtp_session {
	/* Permanent */
	uint64_t		 id;		/* conn_id(), in every log line */
	struct conn		*conn;
	struct store		*store;
	enum listen_kind	 kind;
	char			 peer[64];	/* client address, no port */
	char			*line;		/* command line buffer */
	size_t			 linesize;

	/* Changed by commands */
	enum smtp_state		 state;
	unsigned		 flags;		/* SMTP_F_* */
	char			 helo[SMTP_HELO_MAX + 1];	/* sanitized */
	int			 errors;	/* 5xx replies sent */
	int			 commands;	/* non-mail commands since the last MAIL */
	int			 skipping;	/* line reader: discarding an over-long line */

	/* Authentication (smtp_auth.c) */
	struct auth_sasl	*sasl;		/* during an AUTH exchange only */
	struct store_user	 auth_user;	/* SMTP_F_AUTHENTICATED */

	/* The BDAT chunk being read */
	uint64_t		 chunk_left;	/* octets still to read */
	int			 chunk_last;	/* BDAT ... LAST */
	int			 chunk_discard;	/* rejected: read and drop, then reply */
	int			 chunk_code;	/* the reply for a discarded chunk */
	enum smtp_esc		 chunk_esc;
	const char		*chunk_text;
	enum smtp_state		 chunk_return;	/* state after a discarded chunk */

	struct smtp_tx		*tx;		/* NULL outside a mail transaction */
};

/* One mail transaction: created at MAIL, freed as one unit. */
struct smtp_tx {
	char			 id[17];	/* 16 hex digits, the message id */
	char			 from[SMTP_ADDR_MAX];	/* "" = null reverse-path */
	int			 smtputf8;
	enum smtp_body		 body;
	char			**rcpts;	/* accepted forward-paths, canonical */
	size_t			 n_rcpts;
	struct smtp_buf		 rejected;	/* "<a>,<b>" refused recipients, for the log */
	size_t			 n_rejected;
	uint64_t		*users;		/* deduplicated local user ids */
	size_t			 n_users;
	char			**remote;	/* foreign recipients for the outbound queue */
	size_t			 n_remote;
	int			 chunking;	/* content came by BDAT */
	int			 logged;	/* the transaction's log line is written */
	struct smtp_buf		 msg;		/* trace headers + decoded content */
	size_t			 content_off;	/* where the client's content starts in msg */
	struct smtp_data	 dec;
};

/* smtp_session.c */
void	 smtp_set_state(struct smtp_session *s, enum smtp_state st);
const char *smtp_state_name(enum smtp_state st);
/* Close after the queued replies; the session is freed later, by on_close. */
void	 smtp_close(struct smtp_session *s, const char *reason);

/* smtp_reply.c */
/*
 * The one way to answer the client: "code[-| ]x.y.z text\r\n". A '\n' in the
 * formatted text starts a continuation line (multi-line reply). Every 5xx
 * counts toward smtp_max_errors; failures are logged at debug level.
 */
void	 smtp_reply(struct smtp_session *s, int code, enum smtp_esc esc,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* smtp_commands.c */
/* Parse and run one command line (len bytes, NUL-terminated, modified). */
void	 smtp_dispatch(struct smtp_session *s, char *line, size_t len);

/* smtp_tx.c */
struct smtp_tx *smtp_tx_new(void);
/*
 * End the transaction: write its log line (unless written) with result and
 * reason, free it, s->tx = NULL. result is "accepted", "rejected",
 * "tempfail" or "aborted".
 */
void	 smtp_tx_end(struct smtp_session *s, const char *result, const char *reason);
/* Add the trace headers and start the content decoder (DATA or first BDAT). */
void	 smtp_tx_begin_content(struct smtp_session *s);
/* Read DATA content; 1 when progress was made, 0 when more input is needed. */
int	 smtp_tx_read_data(struct smtp_session *s);
/* Read BDAT chunk octets; same convention. */
int	 smtp_tx_read_chunk(struct smtp_session *s);
/* Record a refused recipient for the transaction's log line. */
void	 smtp_tx_add_rejected(struct smtp_tx *tx, const char *addr);

/* smtp_auth.c: AUTH (RFC 4954) and the SASL exchange */
/* The submission ports (587, 465): AUTH offered, and required for MAIL. */
int	 smtp_is_submission(const struct smtp_session *s);
/* AUTH is offered now: a submission port and password auth allowed here. */
int	 smtp_auth_offered(const struct smtp_session *s);
void	 smtp_cmd_auth(struct smtp_session *s, const char *args);
/* Read one SASL response line; same convention as smtp_tx_read_data. */
int	 smtp_auth_read(struct smtp_session *s);
/* Forget the authentication and any exchange (STARTTLS, session end). */
void	 smtp_auth_reset(struct smtp_session *s);

/* smtp_submit.c: submission policy (RFC 6409) */
/*
 * May the authenticated user use addr as a sender (MAIL FROM, From:)?
 * Its own address, or one that resolves to it (alias, catch-all); the
 * null path too. 1 yes, 0 no, <0 a STORE_E* lookup failure.
 */
int	 smtp_submit_sender_ok(struct smtp_session *s, const char *addr);
/*
 * At the end of the content of an authenticated submission: check the
 * From: addresses and add Date and Message-ID when missing. Returns 0 to
 * deliver, or -1 after replying (the transaction is ended).
 */
int	 smtp_submit_content(struct smtp_session *s);

#endif
