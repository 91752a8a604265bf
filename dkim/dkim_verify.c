/*
 * dkim_verify.c: check one DKIM-Signature of a message against a key record
 * given by the caller (RFC 6376 section 6.1, steps without DNS): tag list
 * syntax (3.2), the tags we require, the body hash and the signature.
 *
 * It is for our tests and for administrators testing their setup, so it
 * deliberately does not look up DNS, and accepts only what we sign:
 * relaxed/relaxed, rsa-sha256 or ed25519-sha256, no l=.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim_internal.h"
#include "util.h"

#define DKIM_TAGS_MAX	32

struct dkim_tags {
	char	*copy;			/* the NUL-terminated list, cut in place */
	char	*name[DKIM_TAGS_MAX];
	char	*value[DKIM_TAGS_MAX];
	size_t	 n;
};

static int
dkim_is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char *
dkim_trim(char *s)
{
	size_t n;

	while (dkim_is_fws(*s))
		s++;
	n = strlen(s);
	while (n > 0 && dkim_is_fws(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Parse "tag=value; tag=value" (3.2); duplicate names are an error. */
static int
dkim_tags_parse(struct dkim_tags *t, const char *s, size_t len)
{
	char *p, *semi, *eq;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (memchr(s, '\0', len) != NULL)
		return -1;
	t->copy = xstrndup(s, len);
	for (p = t->copy; p != NULL; p = semi) {
		if ((semi = strchr(p, ';')) != NULL)
			*semi++ = '\0';
		if (*dkim_trim(p) == '\0' && semi == NULL)
			break;		/* a trailing ';' is allowed */
		if ((eq = strchr(p, '=')) == NULL || t->n == DKIM_TAGS_MAX)
			return -1;
		*eq = '\0';
		t->name[t->n] = dkim_trim(p);
		t->value[t->n] = dkim_trim(eq + 1);
		if (*t->name[t->n] == '\0')
			return -1;
		for (i = 0; i < t->n; i++)
			if (strcmp(t->name[i], t->name[t->n]) == 0)
				return -1;
		t->n++;
	}
	return 0;
}

static const char *
dkim_tag(const struct dkim_tags *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->name[i], name) == 0)
			return t->value[i];
	return NULL;
}

/* The public key of a "v=DKIM1; k=...; p=..." record for alg. */
static EVP_PKEY *
dkim_record_key(const char *txt, enum dkim_alg alg, char *err, size_t errlen)
{
	struct dkim_tags t;
	const char *v, *k, *p;
	unsigned char *bin = NULL;
	const unsigned char *q;
	EVP_PKEY *pkey = NULL;
	size_t len;

	if (dkim_tags_parse(&t, txt, strlen(txt)) == -1) {
		(void)str_format(err, errlen, "bad key record syntax");
		goto done;
	}
	v = dkim_tag(&t, "v");
	k = dkim_tag(&t, "k");
	p = dkim_tag(&t, "p");
	if ((v != NULL && strcmp(v, "DKIM1") != 0) || p == NULL) {
		(void)str_format(err, errlen, "bad key record");
		goto done;
	}
	if (strcmp(k == NULL ? "rsa" : k, dkim_alg_name(alg)) != 0) {
		(void)str_format(err, errlen, "key type does not match a=");
		goto done;
	}
	if (*p == '\0' || (bin = dkim_unbase64(p, strlen(p), &len)) == NULL) {
		(void)str_format(err, errlen, "key revoked or not base64");
		goto done;
	}
	q = bin;
	if (alg == DKIM_ALG_RSA)
		pkey = d2i_PUBKEY(NULL, &q, (long)len);
	else
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, bin,
		    len);
	if (pkey != NULL && EVP_PKEY_get_base_id(pkey) !=
	    (alg == DKIM_ALG_RSA ? EVP_PKEY_RSA : EVP_PKEY_ED25519)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	if (pkey == NULL) {
		ERR_clear_error();
		(void)str_format(err, errlen, "bad public key");
	}
done:
	free(bin);
	free(t.copy);
	return pkey;
}

static int
dkim_pkey_verify(EVP_PKEY *pkey, enum dkim_alg alg,
    const unsigned char digest[32], const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *md = NULL;
	int ok;

	if (alg == DKIM_ALG_RSA)
		ok = (pctx = EVP_PKEY_CTX_new(pkey, NULL)) != NULL &&
		    EVP_PKEY_verify_init(pctx) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) == 1 &&
		    EVP_PKEY_verify(pctx, sig, siglen, digest, 32) == 1;
	else
		ok = (md = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1 &&
		    EVP_DigestVerify(md, sig, siglen, digest, 32) == 1;
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* The h= names, split at ':' and trimmed; n, or -1. */
static int
dkim_split_names(const char *h, char names[][DKIM_FIELD_NAME_MAX])
{
	char *copy = xstrdup(h), *p, *colon, *name;
	int n = 0;

	for (p = copy; p != NULL && n >= 0; p = colon) {
		if ((colon = strchr(p, ':')) != NULL)
			*colon++ = '\0';
		name = dkim_trim(p);
		if (*name == '\0' || n == DKIM_SIG_HEADERS_MAX ||
		    str_copy(names[n], name, DKIM_FIELD_NAME_MAX) >=
		    DKIM_FIELD_NAME_MAX)
			n = -1;
		else
			n++;
	}
	free(copy);
	return n;
}

/* The raw field with the b= value removed (3.7, 3.5 "b="). */
static char *
dkim_strip_b(const char *field, size_t len, size_t *len_r)
{
	char *out = xmalloc(len + 1);
	size_t i = 0, o = 0, start, end;
	const char *colon = memchr(field, ':', len);

	i = (size_t)(colon - field) + 1;
	memcpy(out, field, i);
	o = i;
	while (i < len) {
		start = i;
		while (i < len && field[i] != ';')
			i++;
		end = i;	/* the tag is [start, end), ';' at end or none */
		{
			size_t a = start, eq;

			while (a < end && dkim_is_fws(field[a]))
				a++;
			for (eq = a; eq < end && field[eq] != '='; eq++)
				;
			if (eq < end && field[a] == 'b' &&
			    (a + 1 == eq || dkim_is_fws(field[a + 1]))) {
				memcpy(out + o, field + start, eq + 1 - start);
				o += eq + 1 - start;
			} else {
				memcpy(out + o, field + start, end - start);
				o += end - start;
			}
		}
		if (i < len)
			out[o++] = field[i++];
	}
	*len_r = o;
	return out;
}

static int
dkim_check_tags(const struct dkim_tags *t, time_t now, enum dkim_alg *alg_r,
    char *err, size_t errlen)
{
	const char *a = dkim_tag(t, "a"), *c = dkim_tag(t, "c");
	const char *x = dkim_tag(t, "x"), *v = dkim_tag(t, "v");
	static const char *const required[] = { "d", "s", "h", "bh", "b" };
	size_t i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (dkim_tag(t, required[i]) == NULL)
			return str_format(err, errlen, "no %s= tag", required[i]),
			    -1;
	if (v == NULL || strcmp(v, "1") != 0)
		return str_format(err, errlen, "v= is not 1"), -1;
	if (a != NULL && strcmp(a, "rsa-sha256") == 0)
		*alg_r = DKIM_ALG_RSA;
	else if (a != NULL && strcmp(a, "ed25519-sha256") == 0)
		*alg_r = DKIM_ALG_ED25519;
	else
		return str_format(err, errlen, "unsupported a="), -1;
	if (c == NULL || strcmp(c, "relaxed/relaxed") != 0)
		return str_format(err, errlen, "only c=relaxed/relaxed"), -1;
	if (dkim_tag(t, "l") != NULL)
		return str_format(err, errlen, "l= is not accepted"), -1;
	if (x != NULL && strtoll(x, NULL, 10) < (long long)now)
		return str_format(err, errlen, "signature expired"), -1;
	return 0;
}

static int
dkim_verify_field(const struct dkim_msg *m, size_t fi, const char *txt,
    time_t now, char *err, size_t errlen)
{
	char names[DKIM_SIG_HEADERS_MAX][DKIM_FIELD_NAME_MAX];
	const struct dkim_field *f = &m->fields[fi];
	const char *colon = memchr(m->buf + f->start, ':', f->len);
	unsigned char bh[32], digest[32], *want = NULL, *sig = NULL;
	size_t wantlen, siglen, stripped_len;
	struct dkim_tags t;
	EVP_PKEY *pkey = NULL;
	enum dkim_alg alg;
	char *stripped;
	int n, i, rc = -1, from = 0;

	if (dkim_tags_parse(&t, colon + 1, f->len -
	    (size_t)(colon + 1 - (m->buf + f->start))) == -1) {
		(void)str_format(err, errlen, "bad tag list");
		goto done;
	}
	if (dkim_check_tags(&t, now, &alg, err, errlen) == -1)
		goto done;
	if ((n = dkim_split_names(dkim_tag(&t, "h"), names)) < 0) {
		(void)str_format(err, errlen, "bad h= list");
		goto done;
	}
	for (i = 0; i < n; i++)
		from |= strcasecmp(names[i], "from") == 0;
	if (!from) {
		(void)str_format(err, errlen, "From is not signed");
		goto done;
	}
	(void)dkim_body_hash(m, bh);
	want = dkim_unbase64(dkim_tag(&t, "bh"), strlen(dkim_tag(&t, "bh")),
	    &wantlen);
	if (want == NULL || wantlen != 32 || memcmp(want, bh, 32) != 0) {
		(void)str_format(err, errlen, "body hash mismatch (bh=)");
		goto done;
	}
	if ((pkey = dkim_record_key(txt, alg, err, errlen)) == NULL)
		goto done;
	sig = dkim_unbase64(dkim_tag(&t, "b"), strlen(dkim_tag(&t, "b")),
	    &siglen);
	stripped = dkim_strip_b(m->buf + f->start, f->len, &stripped_len);
	rc = dkim_headers_digest(m, names, (size_t)n, fi, stripped,
	    stripped_len, digest);
	free(stripped);
	if (rc == 0 && (sig == NULL ||
	    dkim_pkey_verify(pkey, alg, digest, sig, siglen) == -1))
		rc = -1;
	if (rc == -1)
		(void)str_format(err, errlen, "signature mismatch (b=)");
done:
	EVP_PKEY_free(pkey);
	free(want);
	free(sig);
	free(t.copy);
	return rc;
}

int
dkim_verify(const char *msg, size_t len, size_t index, const char *public_txt,
    time_t now, char *err, size_t errlen)
{
	struct dkim_msg m;
	size_t clen, i, seen = 0;
	char *crlf;
	int rc = -1;

	crlf = dkim_crlf(msg, len, &clen);
	if (dkim_msg_parse(&m, crlf, clen, err, errlen) == -1) {
		free(crlf);
		return -1;
	}
	(void)str_format(err, errlen, "no such DKIM-Signature");
	for (i = 0; i < m.nfields; i++) {
		if (!dkim_field_is(&m, i, "DKIM-Signature", 14))
			continue;
		if (seen++ != index)
			continue;
		if (m.fields[i].len > DKIM_SIG_HEADER_MAX)
			(void)str_format(err, errlen, "DKIM-Signature too long");
		else
			rc = dkim_verify_field(&m, i, public_txt, now, err,
			    errlen);
		break;
	}
	dkim_msg_free(&m);
	free(crlf);
	return rc;
}

int
dkim_signature_ids(const char *msg, size_t len, struct dkim_sig_id *ids,
    size_t max, char *err, size_t errlen)
{
	struct dkim_msg		 m;
	struct dkim_tags	 t;
	const struct dkim_field	*f;
	const char		*colon, *v;
	size_t			 clen, i;
	char			*crlf;
	int			 n = 0;

	crlf = dkim_crlf(msg, len, &clen);
	if (dkim_msg_parse(&m, crlf, clen, err, errlen) == -1) {
		free(crlf);
		return -1;
	}
	for (i = 0; i < m.nfields; i++) {
		if (!dkim_field_is(&m, i, "DKIM-Signature", 14))
			continue;
		if ((size_t)n < max) {
			f = &m.fields[i];
			colon = memchr(m.buf + f->start, ':', f->len);
			memset(&ids[n], 0, sizeof(ids[n]));
			if (dkim_tags_parse(&t, colon + 1, f->len -
			    (size_t)(colon + 1 - (m.buf + f->start))) == 0) {
				if ((v = dkim_tag(&t, "d")) != NULL)
					(void)str_copy(ids[n].d, v, sizeof(ids[n].d));
				if ((v = dkim_tag(&t, "s")) != NULL)
					(void)str_copy(ids[n].s, v, sizeof(ids[n].s));
			}
			free(t.copy);
		}
		n++;
	}
	dkim_msg_free(&m);
	free(crlf);
	return n;
}

