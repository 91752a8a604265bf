/*
 * dkim_sign.c: make a DKIM-Signature header field (RFC 6376 section 5)
 * with relaxed/relaxed canonicalization over the recommended header set
 * (5.4.1), each present field over-signed once so no further instance
 * can be added without breaking the signature (8.15), folded at 78
 * columns.
 *
 * It deliberately does not decide whether a message should be signed
 * (local domain, outbound): the queue does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "dkim_internal.h"
#include "util.h"

#define DKIM_FOLD_AT	78

/* The fields we sign when present (RFC 6376 5.4.1); From first, always. */
static const char *const dkim_signed_fields[] = {
	"From", "Reply-To", "Sender", "Subject", "Date", "To", "Cc",
	"Message-ID", "In-Reply-To", "References", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", "Content-ID",
	"Content-Description", "List-Id", "List-Unsubscribe",
};

/* The header being built, with the column of its last line. */
struct dkim_out {
	char	*buf;
	size_t	 len, size, col;
};

static void
dkim_out_add(struct dkim_out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->size) {
		o->size = (o->len + n + 1) * 2;
		o->buf = xrealloc(o->buf, o->size);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	o->col += n;
}

/* Add a token, first folding ("\r\n\t") if it would pass the margin. */
static void
dkim_out_token(struct dkim_out *o, const char *s, size_t n, int space)
{
	if (o->col + n + (space ? 1 : 0) > DKIM_FOLD_AT && o->col > 1) {
		dkim_out_add(o, "\r\n\t", 3);
		o->col = 1;
	} else if (space)
		dkim_out_add(o, " ", 1);
	dkim_out_add(o, s, n);
}

static void
dkim_out_tag(struct dkim_out *o, const char *name, const char *value)
{
	char *t;
	size_t n = strlen(name) + strlen(value) + 3;

	t = xmalloc(n);
	(void)str_format(t, n, "%s=%s;", name, value);
	dkim_out_token(o, t, strlen(t), 1);
	free(t);
}

/* The h= list: each present field once per instance plus once more. */
static size_t
dkim_pick_fields(const struct dkim_msg *m, char names[][DKIM_FIELD_NAME_MAX])
{
	size_t k, i, count, n = 0, nlen;

	for (k = 0; k < sizeof(dkim_signed_fields) /
	    sizeof(dkim_signed_fields[0]); k++) {
		nlen = strlen(dkim_signed_fields[k]);
		count = 0;
		for (i = 0; i < m->nfields; i++)
			count += (size_t)dkim_field_is(m, i,
			    dkim_signed_fields[k], nlen);
		if (count == 0)
			continue;
		for (i = 0; i <= count && n < DKIM_SIG_HEADERS_MAX; i++) {
			(void)str_copy(names[n], dkim_signed_fields[k],
			    DKIM_FIELD_NAME_MAX);
			str_lower(names[n++]);
		}
	}
	return n;
}

/* h=from:from:subject:... folded at the colons (FWS allowed, 3.5). */
static void
dkim_out_names(struct dkim_out *o, char names[][DKIM_FIELD_NAME_MAX],
    size_t n)
{
	char tok[DKIM_FIELD_NAME_MAX + 4];
	size_t i;

	for (i = 0; i < n; i++) {
		(void)str_format(tok, sizeof(tok), "%s%s%s", i == 0 ? "h=" : "",
		    names[i], i + 1 == n ? ";" : ":");
		dkim_out_token(o, tok, strlen(tok), i == 0);
	}
}

static int
dkim_pkey_sign(const struct dkim_key *key, const unsigned char digest[32],
    unsigned char **sig_r, size_t *siglen_r)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int ok = 0;

	if (key->alg == DKIM_ALG_RSA) {
		/* RSASSA-PKCS1-v1_5 over the SHA-256 digest (3.3.1). */
		ok = (pctx = EVP_PKEY_CTX_new(key->pkey, NULL)) != NULL &&
		    EVP_PKEY_sign_init(pctx) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) == 1 &&
		    EVP_PKEY_sign(pctx, NULL, &siglen, digest, 32) == 1;
		if (ok) {
			sig = xmalloc(siglen);
			ok = EVP_PKEY_sign(pctx, sig, &siglen, digest, 32) == 1;
		}
	} else {
		/* PureEdDSA over the SHA-256 digest (RFC 8463 section 3). */
		ok = (md = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(md, NULL, NULL, NULL, key->pkey) == 1 &&
		    EVP_DigestSign(md, NULL, &siglen, digest, 32) == 1;
		if (ok) {
			sig = xmalloc(siglen);
			ok = EVP_DigestSign(md, sig, &siglen, digest, 32) == 1;
		}
	}
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(md);
	if (!ok) {
		ERR_clear_error();
		free(sig);
		return -1;
	}
	*sig_r = sig;
	*siglen_r = siglen;
	return 0;
}

/* Append the b= value, folded anywhere (FWS is allowed in base64, 3.5). */
static void
dkim_out_b(struct dkim_out *o, const char *b64)
{
	size_t n = strlen(b64), chunk;

	while (n > 0) {
		chunk = o->col < DKIM_FOLD_AT ? DKIM_FOLD_AT - o->col : 0;
		if (chunk == 0) {
			dkim_out_add(o, "\r\n\t", 3);
			o->col = 1;
			continue;
		}
		if (chunk > n)
			chunk = n;
		dkim_out_add(o, b64, chunk);
		b64 += chunk;
		n -= chunk;
	}
}

static char *
dkim_sign_msg(const struct dkim_key *key, const struct dkim_msg *m,
    time_t now, char *err, size_t errlen)
{
	char names[DKIM_SIG_HEADERS_MAX][DKIM_FIELD_NAME_MAX];
	unsigned char bh[32], digest[32], *sig;
	struct dkim_out o = { NULL, 0, 0, 0 };
	char *b64, t[32];
	size_t n, siglen;

	n = dkim_pick_fields(m, names);
	if (n == 0 || strcmp(names[0], "from") != 0) {
		(void)str_format(err, errlen, "message has no From: field");
		return NULL;
	}
	(void)dkim_body_hash(m, bh);
	dkim_out_add(&o, "DKIM-Signature:", 15);
	dkim_out_tag(&o, "v", "1");
	dkim_out_tag(&o, "a", key->alg == DKIM_ALG_RSA ? "rsa-sha256" :
	    "ed25519-sha256");
	dkim_out_tag(&o, "c", "relaxed/relaxed");
	dkim_out_tag(&o, "d", key->domain);
	dkim_out_tag(&o, "s", key->selector);
	(void)str_format(t, sizeof(t), "%lld", (long long)now);
	dkim_out_tag(&o, "t", t);
	dkim_out_names(&o, names, n);
	b64 = dkim_base64(bh, sizeof(bh));
	dkim_out_tag(&o, "bh", b64);
	free(b64);
	dkim_out_token(&o, "b=", 2, 1);

	if (dkim_headers_digest(m, names, n, (size_t)-1, o.buf, o.len,
	    digest) == -1 || dkim_pkey_sign(key, digest, &sig, &siglen) == -1) {
		(void)str_format(err, errlen, "signing failed");
		free(o.buf);
		return NULL;
	}
	b64 = dkim_base64(sig, siglen);
	free(sig);
	dkim_out_b(&o, b64);
	free(b64);
	dkim_out_add(&o, "\r\n", 2);
	return o.buf;
}

char *
dkim_sign(const struct dkim_key *key, const char *msg, size_t len,
    time_t now, char *err, size_t errlen)
{
	struct dkim_msg m;
	char *crlf, *header;
	size_t clen;

	crlf = dkim_crlf(msg, len, &clen);
	if (dkim_msg_parse(&m, crlf, clen, err, errlen) == -1) {
		free(crlf);
		return NULL;
	}
	header = dkim_sign_msg(key, &m, now, err, errlen);
	dkim_msg_free(&m);
	free(crlf);
	return header;
}
