/*
 * tls.c: OpenSSL server context: load, validate, reload, describe.
 *
 * The context is reference counted by OpenSSL: each SSL object holds its
 * context, so swapping the current one on reload never pulls it from under
 * an established connection.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "tls.h"
#include "util.h"

/* Mozilla intermediate (v5.7) for TLS 1.2; TLS 1.3 suites are OpenSSL's defaults. */
#define TLS_CIPHERS_12 \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:" \
	"DHE-RSA-CHACHA20-POLY1305"

static pthread_mutex_t	 tls_mutex = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX		*tls_current;

void
tls_last_error(char *buf, size_t buflen)
{
	unsigned long e = ERR_get_error();

	if (e == 0) {
		str_copy(buf, "unknown TLS error", buflen);
		return;
	}
	ERR_error_string_n(e, buf, buflen);
	ERR_clear_error();
}

static SSL_CTX *
tls_ctx_new(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	char why[256];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_last_error(why, sizeof(why));
		str_format(err, errlen, "cannot create TLS context: %s", why);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/*
	 * No renegotiation (CVE-2009-3555 class; OpenSSL 3 also refuses
	 * client-initiated renegotiation unless ALLOW_CLIENT_RENEGOTIATION
	 * is set), no compression (CRIME).
	 */
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"posthorn", 8);
	if (SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12) != 1) {
		str_format(err, errlen, "no usable TLS 1.2 cipher");
		goto fail;
	}
	SSL_CTX_set_dh_auto(ctx, 1);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		tls_last_error(why, sizeof(why));
		str_format(err, errlen, "tls_cert %s: cannot load certificate chain: %s", cert_file, why);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		tls_last_error(why, sizeof(why));
		str_format(err, errlen, "tls_key %s: cannot load private key: %s", key_file, why);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		str_format(err, errlen, "tls_key %s does not match the certificate in tls_cert %s",
		    key_file, cert_file);
		goto fail;
	}
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_load(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
	SSL_CTX *ctx, *old;

	if (cert_file[0] == '\0' || key_file[0] == '\0') {
		str_format(err, errlen, "tls_cert and tls_key must both be set");
		return -1;
	}
	if ((ctx = tls_ctx_new(cert_file, key_file, err, errlen)) == NULL)
		return -1;
	pthread_mutex_lock(&tls_mutex);
	old = tls_current;
	tls_current = ctx;
	pthread_mutex_unlock(&tls_mutex);
	SSL_CTX_free(old);
	return 0;
}

int
tls_available(void)
{
	int ok;

	pthread_mutex_lock(&tls_mutex);
	ok = tls_current != NULL;
	pthread_mutex_unlock(&tls_mutex);
	return ok;
}

SSL *
tls_new_ssl(void)
{
	SSL *ssl = NULL;

	pthread_mutex_lock(&tls_mutex);
	if (tls_current != NULL)
		ssl = SSL_new(tls_current);
	pthread_mutex_unlock(&tls_mutex);
	return ssl;
}

void
tls_free(void)
{
	pthread_mutex_lock(&tls_mutex);
	SSL_CTX_free(tls_current);
	tls_current = NULL;
	pthread_mutex_unlock(&tls_mutex);
}

void
tls_describe(SSL *ssl, char *buf, size_t buflen)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);

	str_format(buf, buflen, "%s %s", SSL_get_version(ssl),
	    cipher != NULL ? SSL_CIPHER_get_name(cipher) : "?");
}
