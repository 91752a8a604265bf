/*
 * smtp_client.h: the SMTP client of the outbound queue (RFC 5321): one
 * connection to one server address, EHLO with our hostname, STARTTLS
 * (opportunistic or required, RFC 3207) or implicit TLS (RFC 8314), AUTH
 * PLAIN/LOGIN for the relayhost (RFC 4954), then transactions using
 * PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152) and
 * SMTPUTF8 (RFC 6531) when the server offers them.
 *
 * Blocking with timeouts (RFC 5321 4.5.3.2: the caller passes them; every
 * read and write waits at most that long): runs on a delivery thread.
 * Every reply line is read by a bounded reader (at most 512 bytes per
 * line kept, 100 lines per reply). It does not route, retry or bounce:
 * it reports each reply and the caller decides.
 */
#ifndef POSTHORN_SMTP_CLIENT_H
#define POSTHORN_SMTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#define SMTPC_REPLY_MAX	512

enum smtpc_tls {
	SMTPC_TLS_NONE = 0,	/* never STARTTLS */
	SMTPC_TLS_MAY,		/* STARTTLS when offered, unverified (RFC 7435); a failed
				   handshake is SMTPC_TEMP with tls_failed set */
	SMTPC_TLS_REQUIRE,	/* STARTTLS must be offered and succeed */
	SMTPC_TLS_IMPLICIT	/* TLS from the first byte (port 465) */
};

enum smtpc_status {
	SMTPC_OK = 0,
	SMTPC_TEMP,		/* 4xx, timeout, connection lost, TLS failure */
	SMTPC_PERM		/* 5xx, or the message needs an extension the server lacks */
};

struct smtpc_options {
	const char	*helo;		/* our hostname (EHLO, then HELO if EHLO is refused) */
	const char	*server_name;	/* the MX/relay host name: SNI and verification */
	int		 connect_timeout;	/* seconds */
	int		 command_timeout;	/* seconds per reply (greeting, EHLO, MAIL, RCPT...) */
	int		 data_timeout;		/* seconds for the reply to the final "." */
	int		 tls;			/* enum smtpc_tls */
	int		 tls_verify;		/* 1: chain and server_name must verify */
	SSL_CTX		*ssl_ctx;		/* from smtpc_tls_ctx_new(); NULL = no TLS */
	const char	*auth_user;		/* NULL: no AUTH */
	const char	*auth_password;
};

/* A server reply, or a local reason when code is 0. */
struct smtpc_reply {
	int		 code;			/* 250, 550...; 0 = no reply (network, timeout, TLS) */
	char		 text[SMTPC_REPLY_MAX];	/* "550 5.1.1 <a@b>: no such user" (lines joined by
						   spaces), or "connection timed out" */
	int		 tls_failed;		/* the failure was the TLS handshake/verification */
};

struct smtpc_envelope {
	const char		*sender;	/* "" = null sender */
	const char *const	*rcpts;
	size_t			 n_rcpts;
	const char		*data;		/* CRLF message, without the final "." */
	size_t			 len;
	int			 need_8bitmime;	/* 8-bit body: BODY=8BITMIME, or PERM 5.6.3 without it */
	int			 need_smtputf8;	/* UTF-8 addresses/headers: SMTPUTF8, or PERM 5.6.7 */
};

struct smtpc;

/*
 * A client TLS context: TLS 1.2 and up, the system's CA store or ca_file
 * (PEM, may be NULL/""). NULL with the reason in err.
 */
SSL_CTX	*smtpc_tls_ctx_new(const char *ca_file, char *err, size_t errlen);

/*
 * Connect to addr, read the greeting, EHLO, TLS and AUTH as the options
 * say. Returns enum smtpc_status; *c_r is set only on SMTPC_OK. fail_r
 * describes any failure (a 5xx greeting or EHLO reply is SMTPC_PERM for
 * this server only: the caller tries the next MX).
 */
int	 smtpc_open(struct smtpc **c_r, const struct sockaddr *addr,
	    socklen_t addrlen, const struct smtpc_options *o,
	    struct smtpc_reply *fail_r);

/*
 * One transaction: MAIL, RCPT for each recipient, DATA (dot-stuffed,
 * CRLF line ends guaranteed), pipelined when offered. Returns SMTPC_OK
 * when the final "." got 2xx: rcpt_r[i] (n_rcpts entries) holds each
 * RCPT's reply (only 2xx recipients got the message). Otherwise the
 * whole transaction failed with the status and reason in reply_r (MAIL
 * or DATA refused, every RCPT refused: then rcpt_r still says why per
 * recipient, connection lost...). After SMTPC_OK or a refused
 * transaction the connection can carry another transaction (RSET is
 * sent when needed); after a network failure it cannot.
 */
int	 smtpc_send(struct smtpc *c, const struct smtpc_envelope *env,
	    struct smtpc_reply *rcpt_r, struct smtpc_reply *reply_r);

/* Whether the connection can carry another transaction. */
int	 smtpc_usable(const struct smtpc *c);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" or "" without TLS: for the log line. */
const char *smtpc_tls_info(const struct smtpc *c);
/* The server's EHLO keywords as seen (tests): "PIPELINING", "SIZE"... 1 when offered. */
int	 smtpc_has_ext(const struct smtpc *c, const char *keyword);

/* QUIT (when usable), close and free. NULL is fine. */
void	 smtpc_close(struct smtpc *c);

#endif
