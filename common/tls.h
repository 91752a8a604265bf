/*
 * tls.h: the daemon's one TLS server context (OpenSSL 3), shared by every
 * protocol for STARTTLS/STLS and the implicit-TLS ports.
 *
 * Policy (Mozilla "intermediate"): TLS 1.2 and 1.3 only, ECDHE with AES-GCM
 * or ChaCha20-Poly1305, server cipher preference, no compression, no
 * renegotiation, no session tickets across reloads. The certificate chain and key come from
 * tls_cert / tls_key; tls_reload() swaps in a new context on SIGHUP while
 * established connections keep the one they started with.
 */
#ifndef POSTHORN_TLS_H
#define POSTHORN_TLS_H

#include <stddef.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

/*
 * Load cert and key into a new server context and make it current.
 * Returns 0, or -1 with a one-line reason in err (unreadable file, key does
 * not match the certificate, ...). On failure the current context stays.
 */
int	 tls_load(const char *cert_file, const char *key_file, char *err, size_t errlen);
/* 1 when a context is loaded (tls_cert/tls_key configured and valid). */
int	 tls_available(void);
/* A new server SSL object from the current context, or NULL. */
SSL	*tls_new_ssl(void);
/* Free the current context (at exit). */
void	 tls_free(void);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" for logs and Received headers. */
void	 tls_describe(SSL *ssl, char *buf, size_t buflen);
/* The last OpenSSL error of this thread as text (for handshake failures). */
void	 tls_last_error(char *buf, size_t buflen);

#endif
