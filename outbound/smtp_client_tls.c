/*
 * smtp_client_tls.c: the SMTP client's TLS: the client context (TLS 1.2
 * and up, no compression, the system CA store or a CA file) and the
 * handshake on an established connection, with SNI and, when the policy
 * asks for it, verification of the chain and of the server name (RFC 6125
 * via OpenSSL's host check; an IP address literal is checked against the
 * certificate's IP addresses).
 *
 * Unverified TLS (RFC 7435 opportunistic security) is the default for MX
 * delivery: it protects against passive eavesdropping only. It does not
 * do DANE or MTA-STS (later: they would set tls_verify per destination),
 * nor session resumption.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "smtp_client_int.h"
#include "tls.h"
#include "util.h"

static int	 tls_is_ip(const char *name);
static int	 tls_setup(SSL *ssl, const struct smtpc_options *o, struct smtpc_reply *fail_r);
static int	 tls_handshake(struct smtpc *c, SSL *ssl, const struct smtpc_options *o,
		    struct smtpc_reply *fail_r);

SSL_CTX *
smtpc_tls_ctx_new(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	char why[256];

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		tls_last_error(why, sizeof(why));
		(void)str_format(err, errlen, "cannot create TLS client context: %s", why);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		(void)str_format(err, errlen, "cannot require TLS 1.2");
		goto fail;
	}
	/* No compression (CRIME), no renegotiation. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* Each connection chooses: unverified unless its policy says otherwise. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (ca_file != NULL && ca_file[0] != '\0') {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			tls_last_error(why, sizeof(why));
			(void)str_format(err, errlen, "cannot load CA file %s: %s", ca_file, why);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		tls_last_error(why, sizeof(why));
		(void)str_format(err, errlen, "cannot load the system CA store: %s", why);
		goto fail;
	}
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static int
tls_is_ip(const char *name)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

/* SNI and the verification policy on a new SSL object. Returns 0 or -1. */
static int
tls_setup(SSL *ssl, const struct smtpc_options *o, struct smtpc_reply *fail_r)
{
	const char *name = o->server_name;
	int is_ip = name != NULL && tls_is_ip(name);

	/* RFC 6066 3: SNI carries a host name, never an address literal. */
	if (name != NULL && name[0] != '\0' && !is_ip &&
	    SSL_set_tlsext_host_name(ssl, name) != 1) {
		smtpc_reply_local(fail_r, 1, "TLS: cannot set SNI %s", name);
		return -1;
	}
	if (!o->tls_verify) {
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	if (name == NULL || name[0] == '\0') {
		smtpc_reply_local(fail_r, 1, "certificate verification failed: no server name to verify");
		return -1;
	}
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	if (is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) != 1)
			goto bad_name;
	} else {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (SSL_set1_host(ssl, name) != 1)
			goto bad_name;
	}
	return 0;
bad_name:
	smtpc_reply_local(fail_r, 1, "certificate verification failed: cannot check name %s", name);
	return -1;
}

/* SSL_connect until done, bounded by the command timeout. Returns 0 or -1. */
static int
tls_handshake(struct smtpc *c, SSL *ssl, const struct smtpc_options *o,
    struct smtpc_reply *fail_r)
{
	uint64_t deadline = time_monotonic_ms() + (uint64_t)c->command_timeout * 1000;
	char why[200];

	for (;;) {
		int ret, want, w;

		ERR_clear_error();
		errno = 0;
		ret = SSL_connect(ssl);
		if (ret == 1)
			break;
		want = smtpc_io_ssl_want(ssl, ret, why, sizeof(why));
		if (want <= 0) {
			long v = SSL_get_verify_result(ssl);

			if (o->tls_verify && v != X509_V_OK)
				smtpc_reply_local(fail_r, 1, "certificate verification failed: %s",
				    X509_verify_cert_error_string(v));
			else
				smtpc_reply_local(fail_r, 1, "TLS handshake failed: %s",
				    want == 0 ? "connection closed" : why);
			return -1;
		}
		w = fd_wait(c->fd, (short)want, deadline);
		if (w <= 0) {
			smtpc_reply_local(fail_r, 1, "TLS handshake %s (%d s)",
			    w == 0 ? "timed out" : "failed", c->command_timeout);
			return -1;
		}
	}
	/* Belt and braces: with SSL_VERIFY_PEER a failure aborts the handshake. */
	if (o->tls_verify && (SSL_get_verify_result(ssl) != X509_V_OK ||
	    SSL_get0_peer_certificate(ssl) == NULL)) {
		smtpc_reply_local(fail_r, 1, "certificate verification failed: %s",
		    X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
		return -1;
	}
	return 0;
}

int
smtpc_tls_start(struct smtpc *c, const struct smtpc_options *o, struct smtpc_reply *fail_r)
{
	SSL *ssl;

	c->usable = 0;	/* until the handshake completed */
	if (o->ssl_ctx == NULL) {
		smtpc_reply_local(fail_r, 1, "TLS wanted but no TLS client context");
		return -1;
	}
	if ((ssl = SSL_new(o->ssl_ctx)) == NULL) {
		char why[200];

		tls_last_error(why, sizeof(why));
		smtpc_reply_local(fail_r, 1, "TLS: SSL_new failed: %s", why);
		return -1;
	}
	if (SSL_set_fd(ssl, c->fd) != 1) {
		ERR_clear_error();
		smtpc_reply_local(fail_r, 1, "TLS: SSL_set_fd failed");
		goto fail;
	}
	if (tls_setup(ssl, o, fail_r) < 0 || tls_handshake(c, ssl, o, fail_r) < 0)
		goto fail;
	c->ssl = ssl;
	c->usable = 1;
	tls_describe(ssl, c->tls_info, sizeof(c->tls_info));
	return 0;
fail:
	ERR_clear_error();
	SSL_free(ssl);
	return -1;
}

void
smtpc_tls_end(struct smtpc *c)
{
	if (c->ssl == NULL)
		return;
	/*
	 * One close_notify, unless smtpc_close marked the shutdown done; we
	 * do not wait for the peer's (RFC 8446 6.1 allows it).
	 */
	ERR_clear_error();
	if (!(SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN))
		(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
	SSL_free(c->ssl);
	c->ssl = NULL;
}
