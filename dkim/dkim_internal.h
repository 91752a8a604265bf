/*
 * dkim_internal.h: what the files of dkim/ share and nobody else needs:
 * the key structure, the header field index of a message, and the hash of
 * the signed header fields (RFC 6376 3.7) common to signer and verifier.
 */
#ifndef POSTHORN_DKIM_INTERNAL_H
#define POSTHORN_DKIM_INTERNAL_H

#include <stddef.h>

#include <openssl/evp.h>

#include "dkim.h"

#define DKIM_FIELDS_MAX		1000	/* header fields we index per message */
#define DKIM_FIELD_NAME_MAX	128

struct dkim_key {
	enum dkim_alg	 alg;
	EVP_PKEY	*pkey;
	char		 domain[DKIM_DOMAIN_MAX + 1];
	char		 selector[DKIM_SELECTOR_MAX + 1];
};

/* One header field of a CRLF message: [start, start+len) incl. its CRLF. */
struct dkim_field {
	size_t		 start;
	size_t		 len;
	size_t		 name_len;	/* bytes before the colon, WSP trimmed */
};

/* The header fields of a CRLF message and where its body starts. */
struct dkim_msg {
	const char		*buf;
	size_t			 len;
	struct dkim_field	*fields;
	size_t			 nfields;
	size_t			 body;		/* offset of the body */
};

/*
 * Index the header of the CRLF message buf. A line that is not a field
 * (no colon) is an error, as are more than DKIM_FIELDS_MAX fields.
 * 0, or -1 with the reason in err.
 */
int	 dkim_msg_parse(struct dkim_msg *m, const char *buf, size_t len,
	    char *err, size_t errlen);
void	 dkim_msg_free(struct dkim_msg *m);
/* 1 when field i is named name (case-insensitive). */
int	 dkim_field_is(const struct dkim_msg *m, size_t i, const char *name,
	    size_t name_len);

/*
 * Feed the relaxed-canonicalized header fields named by the h= list
 * (names, n of them) into md, choosing instances bottom-up and each at
 * most once (RFC 6376 5.4.2); a name without an unused instance adds
 * nothing. skip is a field never to pick (the signature itself, or
 * (size_t)-1). 0 or -1.
 */
int	 dkim_hash_fields(EVP_MD_CTX *md, const struct dkim_msg *m,
	    char names[][DKIM_FIELD_NAME_MAX], size_t n, size_t skip);
/*
 * The SHA-256 the signature covers (RFC 6376 3.7 step 2): the selected
 * fields, then the DKIM-Signature field sig_field (with an empty b=),
 * canonicalized and without its final CRLF. 0 or -1.
 */
int	 dkim_headers_digest(const struct dkim_msg *m,
	    char names[][DKIM_FIELD_NAME_MAX], size_t n, size_t skip,
	    const char *sig_field, size_t sig_len, unsigned char out[32]);
/* SHA-256 of the relaxed body into out (32 bytes). 0 or -1. */
int	 dkim_body_hash(const struct dkim_msg *m, unsigned char out[32]);

/* Base64 (RFC 4648 with padding), allocated. */
char	*dkim_base64(const unsigned char *bin, size_t len);
/* Decode base64, ignoring whitespace; allocated, NULL if invalid. */
unsigned char *dkim_unbase64(const char *s, size_t slen, size_t *len_r);

#endif
