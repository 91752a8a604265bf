/*
 * fake_smtpd.c: the scripted SMTP server of check_smtp_client (see
 * fake_smtpd.h). Blocking I/O with a 5 s receive timeout on its own
 * thread, so a client that stops talking fails the test instead of
 * hanging it. It plays what the script says and checks only what the
 * script asks; it is not an SMTP implementation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "fake_smtpd.h"

#define FAKE_LINE_MAX	(128 * 1024)
#define FAKE_IO_TIMEOUT	5	/* seconds */

static void	*fake_run(void *arg);
static void	 fake_fail(struct fake_smtpd *f, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
fake_fail(struct fake_smtpd *f, const char *fmt, ...)
{
	va_list ap;

	if (f->error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(f->error, sizeof(f->error), fmt, ap);
	va_end(ap);
}

static void
fake_grow(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
		if (*buf == NULL)
			abort();
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static ssize_t
fake_recv(struct fake_smtpd *f, char *buf, size_t len)
{
	if (f->ssl != NULL) {
		int n = SSL_read(f->ssl, buf, (int)len);

		return n > 0 ? n : (SSL_get_error(f->ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
	}
	return recv(f->fd, buf, len, 0);
}

static int
fake_send(struct fake_smtpd *f, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n;

		if (f->ssl != NULL) {
			int r = SSL_write(f->ssl, buf + off, (int)(len - off));

			n = r > 0 ? r : -1;
		} else
			n = send(f->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* One line with its CRLF into *line (malloc'd). Returns length, 0 at EOF, -1. */
static ssize_t
fake_read_line(struct fake_smtpd *f, char **line)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		while (f->rpos < f->rlen) {
			char ch = f->rbuf[f->rpos++];

			fake_grow(&buf, &len, &cap, &ch, 1);
			if (ch == '\n') {
				*line = buf;
				return (ssize_t)len;
			}
			if (len > FAKE_LINE_MAX) {
				free(buf);
				return -1;
			}
		}
		ssize_t n = fake_recv(f, f->rbuf, sizeof(f->rbuf));

		f->rpos = 0;
		f->rlen = n > 0 ? (size_t)n : 0;
		if (n <= 0) {
			*line = buf;
			if (len > 0)
				return (ssize_t)len;
			free(buf);
			*line = NULL;
			return n;
		}
	}
}

static int
fake_step_command(struct fake_smtpd *f, const char *step)
{
	char *line;
	ssize_t n = fake_read_line(f, &line);
	size_t want = strlen(step + 2), got;

	if (n <= 0) {
		fake_fail(f, "expected \"%s\", got %s", step + 2, n == 0 ? "EOF" : "an error");
		return -1;
	}
	fake_grow(&f->transcript, &f->tlen, &f->tcap, line, (size_t)n);
	got = (size_t)n;
	if (got >= 2 && line[got - 2] == '\r')
		got -= 2;
	else
		got--;
	if (step[1] == '=' ? (got != want || memcmp(line, step + 2, want) != 0) :
	    (got < want || memcmp(line, step + 2, want) != 0)) {
		fake_fail(f, "expected \"%s\", got \"%.*s\"", step + 2, (int)got, line);
		free(line);
		return -1;
	}
	free(line);
	return 0;
}

/* The message up to the lone "." line, kept exactly as it came. */
static int
fake_step_data(struct fake_smtpd *f)
{
	f->dlen = 0;
	fake_grow(&f->data, &f->dlen, &f->dcap, "", 0);
	for (;;) {
		char *line;
		ssize_t n = fake_read_line(f, &line);

		if (n <= 0) {
			fake_fail(f, "EOF in DATA");
			return -1;
		}
		if (n == 3 && memcmp(line, ".\r\n", 3) == 0) {
			free(line);
			return 0;
		}
		fake_grow(&f->data, &f->dlen, &f->dcap, line, (size_t)n);
		free(line);
	}
}

static int
fake_step_nopipe(struct fake_smtpd *f)
{
	struct pollfd pfd = { .fd = f->fd, .events = POLLIN };

	if (f->rpos < f->rlen || (f->ssl != NULL && SSL_pending(f->ssl) > 0) ||
	    poll(&pfd, 1, 100) > 0) {
		fake_fail(f, "the client sent more before our reply (pipelined)");
		return -1;
	}
	return 0;
}

static int
fake_step_tls(struct fake_smtpd *f)
{
	if (f->ctx == NULL || (f->ssl = SSL_new(f->ctx)) == NULL) {
		fake_fail(f, "no TLS context");
		return -1;
	}
	SSL_set_fd(f->ssl, f->fd);
	if (SSL_accept(f->ssl) != 1) {
		ERR_clear_error();
		SSL_free(f->ssl);
		f->ssl = NULL;
		fake_fail(f, "TLS handshake failed");
		return -1;
	}
	return 0;
}

static int
fake_step(struct fake_smtpd *f, const char *step)
{
	switch (step[0]) {
	case 'S': {
		int ret;
		size_t n = strlen(step + 2);
		char *buf = malloc(n + 3);

		memcpy(buf, step + 2, n);
		memcpy(buf + n, "\r\n", 2);
		ret = fake_send(f, buf, n + 2);
		free(buf);
		return ret;
	}
	case 'R':
		return fake_send(f, step + 2, strlen(step + 2));
	case 'C':
		return fake_step_command(f, step);
	case 'P':
		return fake_step_nopipe(f);
	case 'D':
		return fake_step_data(f);
	case 'T':
		return fake_step_tls(f);
	case 'Z': {
		/* Silent until ms pass or the client hangs up (POLLRDHUP: unread input does not wake us). */
		struct pollfd pfd = { .fd = f->fd, .events = POLLRDHUP };

		(void)poll(&pfd, 1, atoi(step + 2));
		return 0;
	}
	case 'X':
		shutdown(f->fd, SHUT_RDWR);
		return 1;
	default:
		fake_fail(f, "bad script step \"%s\"", step);
		return -1;
	}
}

static void *
fake_run(void *arg)
{
	struct fake_smtpd *f = arg;
	struct pollfd pfd = { .fd = f->lfd, .events = POLLIN };
	struct timeval tv = { FAKE_IO_TIMEOUT, 0 };
	size_t i;

	if (poll(&pfd, 1, FAKE_IO_TIMEOUT * 1000) != 1 ||
	    (f->fd = accept(f->lfd, NULL, NULL)) < 0) {
		fake_fail(f, "no connection");
		return NULL;
	}
	setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(f->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (i = 0; f->script[i] != NULL; i++) {
		int ret = fake_step(f, f->script[i]);

		if (ret < 0)
			fake_fail(f, "step %zu \"%s\" failed", i, f->script[i]);
		if (ret != 0)
			break;
	}
	if (f->script[i] == NULL) {
		/* Whatever the client says until it closes (QUIT, or more than expected). */
		struct timeval shortv = { 3, 0 };
		char *line;

		setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &shortv, sizeof(shortv));
		while (fake_read_line(f, &line) > 0) {
			fake_grow(&f->transcript, &f->tlen, &f->tcap, line, strlen(line));
			if (strcmp(line, "QUIT\r\n") == 0)
				(void)fake_send(f, "221 bye\r\n", 9);
			free(line);
		}
	}
	if (f->ssl != NULL) {
		SSL_free(f->ssl);
		f->ssl = NULL;
	}
	close(f->fd);
	f->fd = -1;
	return NULL;
}

void
fake_smtpd_start(struct fake_smtpd *f, const char *const *script, SSL_CTX *ctx)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	f->script = script;
	f->ctx = ctx;
	f->fd = -1;
	fake_grow(&f->transcript, &f->tlen, &f->tcap, "", 0);
	fake_grow(&f->data, &f->dlen, &f->dcap, "", 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(f->lfd, 4) < 0 ||
	    getsockname(f->lfd, (struct sockaddr *)&sin, &len) < 0)
		abort();
	f->port = ntohs(sin.sin_port);
	if (pthread_create(&f->thread, NULL, fake_run, f) != 0)
		abort();
}

void
fake_smtpd_addr(const struct fake_smtpd *f, struct sockaddr_storage *ss, socklen_t *len_r)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons((unsigned short)f->port);
	*len_r = sizeof(*sin);
}

void
fake_smtpd_wait(struct fake_smtpd *f)
{
	pthread_join(f->thread, NULL);
}

void
fake_smtpd_free(struct fake_smtpd *f)
{
	close(f->lfd);
	free(f->transcript);
	free(f->data);
}

SSL_CTX *
fake_tls_server_ctx(const char *cert_path)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	SSL_CTX *ctx;
	FILE *fp;

	if (pkey == NULL || x == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"mx.test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:mx.test,IP:127.0.0.1");
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1)
		abort();
	X509_EXTENSION_free(ext);
	if (X509_sign(x, pkey, EVP_sha256()) == 0)
		abort();
	if ((fp = fopen(cert_path, "w")) == NULL || PEM_write_X509(fp, x) != 1 || fclose(fp) != 0)
		abort();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, pkey) != 1)
		abort();
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ctx;
}
