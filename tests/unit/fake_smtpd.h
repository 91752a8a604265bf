/*
 * fake_smtpd.h: a scripted SMTP server for the SMTP client's unit tests.
 * One thread accepts one connection on 127.0.0.1 (ephemeral port) and
 * plays a script, one step per string:
 *
 *   "S:text"   send text and CRLF ("250-a\r\n250 b" sends two lines)
 *   "R:bytes"  send bytes as they are (no CRLF added)
 *   "C=line"   read one line, it must equal line
 *   "C:prefix" read one line, it must start with prefix
 *   "P"        no more input may be waiting (the client did not pipeline)
 *   "D"        read the message up to the "." line into data (as sent)
 *   "T"        server-side TLS handshake
 *   "Z:ms"     stay silent for ms milliseconds, or until the client closes
 *   "X"        close the connection now (a lost connection)
 *
 * After the last step it reads until the client closes (at most 3 s),
 * adding what came to the transcript. The first mismatch is kept in
 * error and ends the script (the connection is closed).
 */
#ifndef POSTHORN_FAKE_SMTPD_H
#define POSTHORN_FAKE_SMTPD_H

#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#define FAKE_SMTPD_RBUF	4096

struct fake_smtpd {
	/* Results, valid after fake_smtpd_wait(). */
	char		*transcript;	/* every line read by C steps and after the script, CRLF kept */
	size_t		 tlen;
	char		*data;		/* the last D step's message, dot-stuffed as received, no "." line */
	size_t		 dlen;
	char		 error[512];	/* "" when the script ran as written */

	/* Private. */
	const char *const *script;
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 lfd, fd, port;
	pthread_t	 thread;
	char		 rbuf[FAKE_SMTPD_RBUF];
	size_t		 rpos, rlen;
	size_t		 tcap, dcap;
};

/* Listen and start the thread; script (NULL-terminated) must outlive it. */
void	 fake_smtpd_start(struct fake_smtpd *f, const char *const *script, SSL_CTX *ctx);
/* The listening address. */
void	 fake_smtpd_addr(const struct fake_smtpd *f, struct sockaddr_storage *ss,
	    socklen_t *len_r);
/* Join the thread (the script finished and the client closed). */
void	 fake_smtpd_wait(struct fake_smtpd *f);
void	 fake_smtpd_free(struct fake_smtpd *f);

/*
 * A self-signed P-256 certificate for "mx.test" and 127.0.0.1, its PEM
 * written to cert_path (for ca_file); returns a server context using it.
 */
SSL_CTX	*fake_tls_server_ctx(const char *cert_path);

#endif
