/*
 * pop3_session.h: the POP3 session, shared by the files of pop3d/ only
 * (posthornd sees nothing but pop3_conn_handler in pop3d.h).
 *
 * One session per connection, living on the connection's I/O loop thread.
 * Its state is RFC 1939's: AUTHORIZATION, TRANSACTION, UPDATE, changed
 * only by pop3_set_state(). Orthogonal facts are flags. Replies go out only
 * through pop3_ok()/pop3_err() (status lines) and pop3_ml_line()/
 * pop3_ml_end() (the lines of a multi-line response).
 */
#ifndef POSTHORN_POP3_SESSION_H
#define POSTHORN_POP3_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "store.h"

struct conn;
struct pop3_request;
struct pop3_message;
struct pop3_stream;

enum pop3_state {
	POP3_STATE_AUTHORIZATION = 0,
	POP3_STATE_TRANSACTION,
	POP3_STATE_UPDATE
};

#define POP3_F_BUSY		0x01	/* a worker or the store writer has our answer; reading paused */
#define POP3_F_STREAMING	0x02	/* a RETR/TOP body is going out, resumed from on_drain */
#define POP3_F_DRAINING		0x04	/* output over the high-water mark, wait for on_drain */
#define POP3_F_LOCKED		0x08	/* holds the maildrop lock of account.id */
#define POP3_F_CLOSING		0x10	/* conn_close() was called: send nothing more */
#define POP3_F_HAVE_USER	0x20	/* USER was accepted; PASS may follow (RFC 1939 7) */
#define POP3_F_SASL		0x40	/* AUTH sent "+ ": the next line is a SASL response */
#define POP3_F_BLOCKED		(POP3_F_BUSY | POP3_F_STREAMING | POP3_F_DRAINING)

/*
 * Output above this many queued bytes stops RETR and the command loop until
 * on_drain (common/net.c calls it below its 64 KiB low-water mark).
 */
#define POP3_OUTPUT_HIGH	(256 * 1024)
/* Input a client may queue while we are busy before we stop reading. */
#define POP3_INPUT_BLOCKED_MAX	(16 * 1024)
/* A SASL response line (after "+ "): longer than a command line may be. */
#define POP3_SASL_LINE_MAX	(AUTH_BASE64_MAX + 1)
/* Failed logins on one connection before it is closed. */
#define POP3_MAX_AUTH_FAILURES	3

struct pop3_session {
	/* permanent */
	uint64_t		 id;		/* conn_id(), in every log line */
	struct conn		*conn;
	struct store		*store;
	enum pop3_state		 state;
	unsigned		 flags;		/* POP3_F_* */
	int			 errors;	/* bad commands so far */
	int			 auth_failures;
	int			 skipping;	/* linereader: discarding an overlong line */

	/* AUTHORIZATION: the name given by USER, for the PASS that follows */
	char			 user[STORE_ADDRESS_MAX];
	/* AUTHORIZATION: an AUTH exchange waiting for the next line */
	struct auth_sasl	 sasl;

	/* TRANSACTION and UPDATE */
	struct store_user	 account;
	struct pop3_maildrop	*maildrop;
	struct pop3_stream	*stream;	/* RETR/TOP in progress */
};

/* pop3_session.c */
void	 pop3_ok(struct pop3_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 pop3_err(struct pop3_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A line of a multi-line response; the caller makes sure it cannot start with '.'. */
void	 pop3_ml_line(struct pop3_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 pop3_ml_end(struct pop3_session *s);
void	 pop3_set_state(struct pop3_session *s, enum pop3_state state);
const char *pop3_state_name(enum pop3_state state);
/*
 * Count a bad command and answer it with -ERR msg; after pop3_max_errors
 * the session says so and closes. Returns 0, or -1 when it closed.
 */
int	 pop3_bad_command(struct pop3_session *s, const char *msg);
/* Close after the queued output; on_close frees the session later. */
void	 pop3_session_close(struct pop3_session *s, const char *reason);
/* Stop / restart taking commands (flag is one of POP3_F_BLOCKED's bits). */
void	 pop3_session_block(struct pop3_session *s, unsigned flag);
void	 pop3_session_unblock(struct pop3_session *s, unsigned flag);
/*
 * STLS (RFC 2595 4): after the caller queued "+OK", start the TLS
 * handshake. Pipelined plaintext is discarded, and so is what the session
 * learnt before TLS (the USER name). Closes the session when TLS cannot start.
 */
void	 pop3_session_starttls(struct pop3_session *s);
/* Enter TRANSACTION for a verified user: lock and load the maildrop. */
void	 pop3_session_login(struct pop3_session *s, const struct store_user *u);
/*
 * Give the maildrop lock back before the final reply, so a client that
 * reconnects the moment it reads "+OK" finds its maildrop free.
 */
void	 pop3_session_unlock(struct pop3_session *s);
/* Hand \Seen for the retrieved messages to the store (fire and forget). */
void	 pop3_session_flush_seen(struct pop3_session *s);

/* pop3_commands.c */
void	 pop3_command_dispatch(struct pop3_session *s, const char *line,
	    size_t len);

/* pop3_auth.c: USER and PASS, AUTH (RFC 5034) over auth/ */
void	 pop3_cmd_user(struct pop3_session *s, const struct pop3_request *req);
void	 pop3_cmd_pass(struct pop3_session *s, const struct pop3_request *req);
void	 pop3_cmd_auth(struct pop3_session *s, const struct pop3_request *req);
/* The line that answers AUTH's "+ " (POP3_F_SASL is set). */
void	 pop3_auth_continue(struct pop3_session *s, const char *line, size_t len);
/* Drop an AUTH exchange in progress (STLS, an overlong line, the end). */
void	 pop3_auth_abort(struct pop3_session *s);
/* The SASL mechanisms AUTH takes, space separated, for CAPA. */
extern const char pop3_sasl_mechanisms[];

/* pop3_retr.c: RETR and TOP bodies, with backpressure */
void	 pop3_retr_start(struct pop3_session *s, struct pop3_message *m,
	    uint64_t body_lines, int is_retr);
void	 pop3_retr_continue(struct pop3_session *s);
void	 pop3_retr_free(struct pop3_session *s);

/* pop3_update.c: QUIT in TRANSACTION, the UPDATE state */
void	 pop3_update_begin(struct pop3_session *s);

#endif
