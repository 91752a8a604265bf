/*
 * smtp_client_int.h: what the SMTP client's files share (smtp_client.c,
 * smtp_client_send.c, smtp_client_auth.c, smtp_client_io.c,
 * smtp_client_tls.c): the connection object, the buffered reader/writer
 * over a socket or an SSL object, the reply reader, AUTH and the TLS
 * steps. Not for other modules.
 */
#ifndef POSTHORN_SMTP_CLIENT_INT_H
#define POSTHORN_SMTP_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_client.h"

#define SMTPC_MAX_REPLY_LINES	100	/* lines in one reply before it is malformed */
/* A reply line longer than this is not a server's text but garbage: close. */
#define SMTPC_LINE_HARD_MAX	(64 * 1024)
#define SMTPC_RBUF_SIZE		4096
#define SMTPC_CMD_MAX		1024	/* one command line (addresses are <= 256) */
#define SMTPC_QUIT_TIMEOUT_MS	1000	/* smtpc_close waits at most this for 221 */

/* EHLO keywords we act on or report (smtpc_has_ext). */
enum smtpc_ext {
	SMTPC_EXT_PIPELINING	= 1 << 0,
	SMTPC_EXT_SIZE		= 1 << 1,
	SMTPC_EXT_8BITMIME	= 1 << 2,
	SMTPC_EXT_SMTPUTF8	= 1 << 3,
	SMTPC_EXT_STARTTLS	= 1 << 4,
	SMTPC_EXT_AUTH		= 1 << 5,
	SMTPC_EXT_ENHANCEDSTATUSCODES = 1 << 6,
	SMTPC_EXT_CHUNKING	= 1 << 7,
	SMTPC_EXT_DSN		= 1 << 8
};

#define SMTPC_AUTH_PLAIN	0x01
#define SMTPC_AUTH_LOGIN	0x02

struct smtpc {
	/* For the connection's lifetime. */
	int		 fd;
	SSL		*ssl;
	int		 usable;		/* in sync with the server, no network error */
	int		 command_timeout;	/* seconds */
	int		 data_timeout;
	char		 tls_info[96];		/* "" before TLS */

	/* From the last EHLO (forgotten after STARTTLS, RFC 3207 4.2). */
	unsigned	 ext;			/* enum smtpc_ext bits */
	unsigned	 auth_mechs;		/* SMTPC_AUTH_* */
	uint64_t	 size_max;		/* SIZE n; 0 = none announced */
	unsigned	 ehlo_lines;		/* lines of the EHLO reply seen so far */

	/* The buffered reader: bytes received and not yet parsed. */
	char		 rbuf[SMTPC_RBUF_SIZE];
	size_t		 rpos, rlen;
};

/* ---- smtp_client_io.c ---- */

/*
 * A non-blocking connect bounded by timeout_s. Returns the socket
 * (non-blocking) or -1 with the reason in fail_r (code 0).
 */
int	 smtpc_io_connect(const struct sockaddr *addr, socklen_t addrlen,
	    int timeout_s, struct smtpc_reply *fail_r);
/*
 * Write all of buf within timeout_s (over TLS when c->ssl). Returns 0, or
 * -1 with the reason in fail_r and the connection marked unusable.
 */
int	 smtpc_io_write(struct smtpc *c, const void *buf, size_t len,
	    int timeout_s, const char *stage, struct smtpc_reply *fail_r);
/*
 * Read one reply (RFC 5321 4.2: "ddd-text" lines then "ddd text") within
 * timeout_s. reply_r gets the code and the lines joined by spaces,
 * sanitized and truncated to SMTPC_REPLY_MAX. When line_cb is not NULL it
 * sees each line's text after "ddd-" (at most SMTPC_REPLY_MAX bytes,
 * sanitized) in order. Returns 0 with a reply, or -1: timeout, lost
 * connection or malformed reply (code 0, the reason in reply_r text, the
 * connection marked unusable). stage names the command in messages.
 */
int	 smtpc_io_read_reply(struct smtpc *c, int timeout_s, const char *stage,
	    struct smtpc_reply *reply_r,
	    void (*line_cb)(struct smtpc *, const char *, size_t));
/*
 * What an OpenSSL I/O call's failure (ret) means: the poll events to wait
 * for (POLLIN/POLLOUT), 0 for a clean close, -1 for an error (text in why).
 */
int	 smtpc_io_ssl_want(SSL *ssl, int ret, char *why, size_t whylen);
/* Bytes received and not yet parsed (STARTTLS: must be none). */
size_t	 smtpc_io_pending(const struct smtpc *c);
/* A command line: "cmd\r\n" written, then its reply read. Returns as above. */
int	 smtpc_io_command(struct smtpc *c, const char *cmd, const char *stage,
	    struct smtpc_reply *reply_r);
/* Set a local failure (code 0) text, printf-style. */
void	 smtpc_reply_local(struct smtpc_reply *r, int tls_failed, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* SMTPC_OK for 2xx, SMTPC_PERM for 5xx, SMTPC_TEMP otherwise (4xx, 0, odd codes). */
int	 smtpc_status_of(int code);

/* ---- smtp_client_auth.c ---- */

/*
 * AUTH with o->auth_user/auth_password (PLAIN, else LOGIN) after EHLO.
 * Returns SMTPC_OK, or SMTPC_TEMP with the reason in fail_r (refused
 * credentials too: the administrator fixes them, the mail waits).
 */
int	 smtpc_auth(struct smtpc *c, const struct smtpc_options *o,
	    struct smtpc_reply *fail_r);

/* ---- smtp_client_tls.c ---- */

/*
 * Run the client handshake on c->fd with o's policy (SNI, verification of
 * server_name when o->tls_verify). Returns 0, or -1 with fail_r set
 * (tls_failed = 1) and the connection marked unusable.
 */
int	 smtpc_tls_start(struct smtpc *c, const struct smtpc_options *o,
	    struct smtpc_reply *fail_r);
/* Send close_notify without waiting for the peer's, free the SSL. */
void	 smtpc_tls_end(struct smtpc *c);

#endif
