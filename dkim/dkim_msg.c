/*
 * dkim_msg.c: the header field index of a message and the two hashes every
 * DKIM signature covers, shared by the signer and the verifier: the body
 * hash (bh=, RFC 6376 3.7 step 1) and the selected header fields (step 2,
 * instances chosen bottom-up as in 5.4.2).
 *
 * It deliberately does not understand field contents (MIME, addresses).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "dkim_internal.h"
#include "util.h"

static void
dkim_set_err(char *err, size_t errlen, const char *msg)
{
	if (str_copy(err, msg, errlen) >= errlen && errlen > 0)
		err[errlen - 1] = '\0';
}

/* The end of the CRLF line starting at p (index after its LF, or len). */
static size_t
dkim_line_end(const char *buf, size_t len, size_t p)
{
	const char *lf = memchr(buf + p, '\n', len - p);

	return lf == NULL ? len : (size_t)(lf - buf) + 1;
}

static int
dkim_field_add(struct dkim_msg *m, size_t start, size_t end, char *err,
    size_t errlen)
{
	struct dkim_field *f;
	const char *colon;
	size_t n;

	if (m->nfields == DKIM_FIELDS_MAX) {
		dkim_set_err(err, errlen, "too many header fields");
		return -1;
	}
	colon = memchr(m->buf + start, ':', end - start);
	if (colon == NULL) {
		dkim_set_err(err, errlen, "header line without a colon");
		return -1;
	}
	n = (size_t)(colon - (m->buf + start));
	while (n > 0 && (m->buf[start + n - 1] == ' ' ||
	    m->buf[start + n - 1] == '\t'))
		n--;
	if (n == 0 || n >= DKIM_FIELD_NAME_MAX) {
		dkim_set_err(err, errlen, "bad header field name");
		return -1;
	}
	if (m->nfields % 32 == 0)
		m->fields = xreallocarray(m->fields, m->nfields + 32,
		    sizeof(*m->fields));
	f = &m->fields[m->nfields++];
	f->start = start;
	f->len = end - start;
	f->name_len = n;
	return 0;
}

int
dkim_msg_parse(struct dkim_msg *m, const char *buf, size_t len, char *err,
    size_t errlen)
{
	size_t p = 0, end, field_start = 0;
	int in_field = 0;

	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->len = len;
	m->body = len;
	while (p < len) {
		end = dkim_line_end(buf, len, p);
		if (buf[p] == '\r' || buf[p] == '\n') {
			m->body = end;		/* the empty line ends the header */
			break;
		}
		if (buf[p] == ' ' || buf[p] == '\t') {
			if (!in_field) {
				dkim_set_err(err, errlen,
				    "continuation line before any field");
				goto fail;
			}
		} else {
			if (in_field && dkim_field_add(m, field_start, p, err,
			    errlen) == -1)
				goto fail;
			field_start = p;
			in_field = 1;
		}
		p = end;
	}
	if (in_field && dkim_field_add(m, field_start, p < len ? p : len,
	    err, errlen) == -1)
		goto fail;
	return 0;
fail:
	dkim_msg_free(m);
	return -1;
}

void
dkim_msg_free(struct dkim_msg *m)
{
	free(m->fields);
	m->fields = NULL;
	m->nfields = 0;
}

int
dkim_field_is(const struct dkim_msg *m, size_t i, const char *name,
    size_t name_len)
{
	return m->fields[i].name_len == name_len &&
	    strncasecmp(m->buf + m->fields[i].start, name, name_len) == 0;
}

int
dkim_hash_fields(EVP_MD_CTX *md, const struct dkim_msg *m,
    char names[][DKIM_FIELD_NAME_MAX], size_t n, size_t skip)
{
	unsigned char *used;
	size_t k, i, clen;
	char *c;
	int rc = 0;

	used = xcalloc(m->nfields + 1, 1);
	for (k = 0; k < n && rc == 0; k++) {
		for (i = m->nfields; i-- > 0;) {
			if (used[i] || i == skip ||
			    !dkim_field_is(m, i, names[k], strlen(names[k])))
				continue;
			used[i] = 1;
			c = dkim_canon_header(m->buf + m->fields[i].start,
			    m->fields[i].len, &clen);
			if (EVP_DigestUpdate(md, c, clen) != 1)
				rc = -1;
			free(c);
			break;
		}
	}
	free(used);
	return rc;
}

int
dkim_body_hash(const struct dkim_msg *m, unsigned char out[32])
{
	size_t clen;
	char *c;

	c = dkim_canon_body(m->buf + m->body, m->len - m->body, &clen);
	SHA256((const unsigned char *)c, clen, out);
	free(c);
	return 0;
}

int
dkim_headers_digest(const struct dkim_msg *m,
    char names[][DKIM_FIELD_NAME_MAX], size_t n, size_t skip,
    const char *sig_field, size_t sig_len, unsigned char out[32])
{
	EVP_MD_CTX *md;
	unsigned int outlen = 32;
	size_t clen;
	char *c;
	int ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    dkim_hash_fields(md, m, names, n, skip) == 0;
	if (ok) {
		/* The signature field itself, without its final CRLF (3.7). */
		c = dkim_canon_header(sig_field, sig_len, &clen);
		ok = EVP_DigestUpdate(md, c, clen - 2) == 1;
		free(c);
	}
	ok = ok && EVP_DigestFinal_ex(md, out, &outlen) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}
