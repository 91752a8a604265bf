/*
 * smtp_client_io.c: the SMTP client's byte level: a connect bounded by a
 * timeout, writes and reads over the plain socket or its SSL object with
 * poll() deadlines, and the reply reader (RFC 5321 4.2): "ddd-text" lines
 * then "ddd text", the same code on every line, at most 100 lines, each
 * line kept up to SMTPC_REPLY_MAX bytes (the rest consumed and dropped).
 *
 * The socket stays non-blocking; every wait is a poll() with the time
 * left to the deadline, so no call blocks longer than its timeout. It does
 * not know SMTP commands or sessions (smtp_client.c). Writes use
 * MSG_NOSIGNAL; over TLS OpenSSL writes with write(2), so the process
 * must ignore SIGPIPE (posthornd does).
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "smtp_client_int.h"
#include "tls.h"
#include "util.h"

static int	 io_fill(struct smtpc *c, uint64_t deadline, int timeout_s,
		    const char *stage, struct smtpc_reply *r);
static int	 io_read_line(struct smtpc *c, uint64_t deadline, int timeout_s,
		    const char *stage, char *line, size_t linesize, size_t *len_r,
		    struct smtpc_reply *r);
static int	 io_parse_line(const char *line, size_t len, int *code_r, int *more_r);
static void	 io_fail(struct smtpc *c, struct smtpc_reply *r, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

void
smtpc_reply_local(struct smtpc_reply *r, int tls_failed, const char *fmt, ...)
{
	va_list ap;

	r->code = 0;
	r->tls_failed = tls_failed;
	va_start(ap, fmt);
	if (vsnprintf(r->text, sizeof(r->text), fmt, ap) < 0)
		str_copy(r->text, "local error", sizeof(r->text));
	va_end(ap);
}

int
smtpc_status_of(int code)
{
	if (code >= 200 && code <= 299)
		return SMTPC_OK;
	if (code >= 500 && code <= 599)
		return SMTPC_PERM;
	return SMTPC_TEMP;
}

/* A network failure: the reply stream is lost, so is the connection. */
static void
io_fail(struct smtpc *c, struct smtpc_reply *r, const char *fmt, ...)
{
	va_list ap;

	c->usable = 0;
	r->code = 0;
	r->tls_failed = 0;
	va_start(ap, fmt);
	if (vsnprintf(r->text, sizeof(r->text), fmt, ap) < 0)
		str_copy(r->text, "network error", sizeof(r->text));
	va_end(ap);
}

int
smtpc_io_connect(const struct sockaddr *addr, socklen_t addrlen, int timeout_s,
    struct smtpc_reply *fail_r)
{
	char host[64];
	uint64_t deadline = time_monotonic_ms() + (uint64_t)timeout_s * 1000;
	int fd, err = 0, one = 1, w;
	socklen_t errlen = sizeof(err);

	sockaddr_ntop(addr, host, sizeof(host));
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		smtpc_reply_local(fail_r, 0, "socket: %s", strerror(errno));
		return -1;
	}
	/* Commands are written whole; Nagle would only delay pipelined groups. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, addr, addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR) {
		smtpc_reply_local(fail_r, 0, "connect to %s: %s", host, strerror(errno));
		goto fail;
	}
	w = fd_wait(fd, POLLOUT, deadline);
	if (w == 0) {
		smtpc_reply_local(fail_r, 0, "connect to %s: timed out (%d s)", host, timeout_s);
		goto fail;
	}
	if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
		err = errno;
	if (err != 0) {
		smtpc_reply_local(fail_r, 0, "connect to %s: %s", host, strerror(err));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int
smtpc_io_ssl_want(SSL *ssl, int ret, char *why, size_t whylen)
{
	int e = SSL_get_error(ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			return 0;	/* EOF without close_notify: a close all the same */
		str_copy(why, strerror(errno), whylen);
		ERR_clear_error();
		return -1;
	default:
		tls_last_error(why, whylen);
		return -1;
	}
}

/* Read more bytes into the buffer. Returns 0, or -1 (connection unusable). */
static int
io_fill(struct smtpc *c, uint64_t deadline, int timeout_s, const char *stage,
    struct smtpc_reply *r)
{
	char why[160];

	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	for (;;) {
		size_t room = sizeof(c->rbuf) - c->rlen;
		short events;
		ssize_t n;
		int w;

		if (c->ssl != NULL) {
			int want;

			ERR_clear_error();
			errno = 0;
			n = SSL_read(c->ssl, c->rbuf + c->rlen, room > INT_MAX ? INT_MAX : (int)room);
			if (n > 0)
				goto got;
			want = smtpc_io_ssl_want(c->ssl, (int)n, why, sizeof(why));
			if (want == 0)
				goto closed;
			if (want < 0)
				goto lost;
			events = (short)want;
		} else {
			n = recv(c->fd, c->rbuf + c->rlen, room, 0);
			if (n > 0)
				goto got;
			if (n == 0)
				goto closed;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				str_copy(why, strerror(errno), sizeof(why));
				goto lost;
			}
			events = POLLIN;
		}
		w = fd_wait(c->fd, events, deadline);
		if (w == 0) {
			io_fail(c, r, "timed out waiting for %s (%d s)", stage, timeout_s);
			return -1;
		}
		if (w < 0) {
			str_copy(why, strerror(errno), sizeof(why));
			goto lost;
		}
		continue;
got:
		c->rlen += (size_t)n;
		return 0;
	}
closed:
	io_fail(c, r, "connection closed by the server while waiting for %s", stage);
	return -1;
lost:
	io_fail(c, r, "connection lost while waiting for %s: %s", stage, why);
	return -1;
}

size_t
smtpc_io_pending(const struct smtpc *c)
{
	return c->rlen - c->rpos + (c->ssl != NULL ? (size_t)SSL_pending(c->ssl) : 0);
}

/*
 * One line up to LF, CR LF stripped; the first linesize-1 bytes are kept,
 * the rest consumed. Returns 0, or -1 (network failure or a line longer
 * than SMTPC_LINE_HARD_MAX).
 */
static int
io_read_line(struct smtpc *c, uint64_t deadline, int timeout_s, const char *stage,
    char *line, size_t linesize, size_t *len_r, struct smtpc_reply *r)
{
	size_t kept = 0, total = 0;

	for (;;) {
		while (c->rpos < c->rlen) {
			char ch = c->rbuf[c->rpos++];

			if (ch == '\n') {
				if (kept > 0 && line[kept - 1] == '\r')
					kept--;
				line[kept] = '\0';
				*len_r = kept;
				return 0;
			}
			if (++total > SMTPC_LINE_HARD_MAX) {
				io_fail(c, r, "malformed reply to %s: line longer than %d bytes",
				    stage, SMTPC_LINE_HARD_MAX);
				return -1;
			}
			if (kept < linesize - 1)
				line[kept++] = ch;
		}
		if (io_fill(c, deadline, timeout_s, stage, r) < 0)
			return -1;
	}
}

/* "ddd", "ddd text" or "ddd-text" (RFC 5321 4.2.1); returns 0 or -1. */
static int
io_parse_line(const char *line, size_t len, int *code_r, int *more_r)
{
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9')
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	*code_r = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*more_r = len > 3 && line[3] == '-';
	return 0;
}

int
smtpc_io_read_reply(struct smtpc *c, int timeout_s, const char *stage,
    struct smtpc_reply *reply_r,
    void (*line_cb)(struct smtpc *, const char *, size_t))
{
	uint64_t deadline = time_monotonic_ms() + (uint64_t)timeout_s * 1000;
	char line[SMTPC_REPLY_MAX], clean[SMTPC_REPLY_MAX];
	int code = 0, nlines;

	reply_r->code = 0;
	reply_r->tls_failed = 0;
	reply_r->text[0] = '\0';
	for (nlines = 1; ; nlines++) {
		size_t len, tlen;
		int lcode, more;

		if (io_read_line(c, deadline, timeout_s, stage, line, sizeof(line), &len, reply_r) < 0)
			return -1;
		if (io_parse_line(line, len, &lcode, &more) < 0 ||
		    (code != 0 && lcode != code)) {
			log_sanitize(clean, 80, line, len);
			io_fail(c, reply_r, "malformed reply while waiting for %s: \"%s\"",
			    stage, clean);
			return -1;
		}
		if (more && nlines >= SMTPC_MAX_REPLY_LINES) {
			io_fail(c, reply_r, "malformed reply while waiting for %s: more than %d lines",
			    stage, SMTPC_MAX_REPLY_LINES);
			return -1;
		}
		code = lcode;
		tlen = len > 4 ? len - 4 : 0;
		log_sanitize(clean, sizeof(clean), line + 4 * (len > 4), tlen);
		if (nlines == 1)
			(void)str_format(reply_r->text, sizeof(reply_r->text), "%d%s%s",
			    code, tlen > 0 ? " " : "", clean);
		else if (tlen > 0) {
			(void)str_append(reply_r->text, " ", sizeof(reply_r->text));
			(void)str_append(reply_r->text, clean, sizeof(reply_r->text));
		}
		if (line_cb != NULL)
			line_cb(c, clean, strlen(clean));
		if (!more)
			break;
	}
	reply_r->code = code;
	/* RFC 5321 3.8: 421 says the server is closing the channel. */
	if (code == 421)
		c->usable = 0;
	return 0;
}

int
smtpc_io_write(struct smtpc *c, const void *buf, size_t len, int timeout_s,
    const char *stage, struct smtpc_reply *fail_r)
{
	uint64_t deadline = time_monotonic_ms() + (uint64_t)timeout_s * 1000;
	const char *p = buf;
	char why[160];
	size_t off = 0;

	while (off < len) {
		size_t left = len - off;
		short events = POLLOUT;
		ssize_t n;
		int w;

		if (c->ssl != NULL) {
			int want;

			ERR_clear_error();
			errno = 0;
			n = SSL_write(c->ssl, p + off, left > INT_MAX ? INT_MAX : (int)left);
			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			want = smtpc_io_ssl_want(c->ssl, (int)n, why, sizeof(why));
			if (want <= 0) {
				if (want == 0)
					str_copy(why, "connection closed", sizeof(why));
				goto lost;
			}
			events = (short)want;
		} else {
			n = send(c->fd, p + off, left, MSG_NOSIGNAL);
			if (n >= 0) {
				off += (size_t)n;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				str_copy(why, strerror(errno), sizeof(why));
				goto lost;
			}
		}
		w = fd_wait(c->fd, events, deadline);
		if (w == 0) {
			io_fail(c, fail_r, "timed out sending %s (%d s)", stage, timeout_s);
			return -1;
		}
		if (w < 0) {
			str_copy(why, strerror(errno), sizeof(why));
			goto lost;
		}
	}
	return 0;
lost:
	io_fail(c, fail_r, "connection lost sending %s: %s", stage, why);
	return -1;
}

int
smtpc_io_command(struct smtpc *c, const char *cmd, const char *stage,
    struct smtpc_reply *reply_r)
{
	char line[SMTPC_CMD_MAX + 2], what[64];

	if (str_format(line, sizeof(line), "%s\r\n", cmd) < 0) {
		smtpc_reply_local(reply_r, 0, "%s command too long", stage);
		return -1;
	}
	if (smtpc_io_write(c, line, strlen(line), c->command_timeout, stage, reply_r) < 0)
		return -1;
	(void)str_format(what, sizeof(what), "the reply to %s", stage);
	return smtpc_io_read_reply(c, c->command_timeout, what, reply_r, NULL);
}
