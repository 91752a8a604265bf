/*
 * dkim.h: DKIM signatures (RFC 6376) for mail leaving the server, with
 * rsa-sha256 (2048-bit keys) and ed25519-sha256 (RFC 8463), relaxed/relaxed
 * canonicalization only; and a verifier of our own signatures for tests.
 *
 * Keys live in DATA_DIR/dkim/DOMAIN.SELECTOR.ALG.key (ALG "rsa" or
 * "ed25519"), PEM PKCS#8, mode 0600, owned by the daemon's user. The DNS
 * name of a key is SELECTOR-ALG._domainkey.DOMAIN: one DNS selector per
 * algorithm, since a TXT record holds one key (dkim_key_dns_selector()).
 *
 * Messages are given as bytes with CRLF or bare LF line ends; the library
 * works on a CRLF copy (dkim_crlf()). It deliberately does not do DNS,
 * does not sign l= (body length) and does not implement the "simple"
 * canonicalization: a signer picks relaxed, and the verifier is for our
 * own signatures and for administrators testing their setup.
 */
#ifndef POSTHORN_DKIM_H
#define POSTHORN_DKIM_H

#include <stddef.h>
#include <time.h>

enum dkim_alg {
	DKIM_ALG_RSA = 0,	/* rsa-sha256, k=rsa */
	DKIM_ALG_ED25519,	/* ed25519-sha256, k=ed25519 (RFC 8463) */
	DKIM_ALG_COUNT
};

#define DKIM_RSA_BITS		2048
#define DKIM_SELECTOR_MAX	64	/* our own limit; letters, digits, '-' */
#define DKIM_DOMAIN_MAX		254
#define DKIM_SIG_HEADER_MAX	8192	/* a DKIM-Signature we parse, bytes */
#define DKIM_SIG_HEADERS_MAX	64	/* names in h= */

struct dkim_key;

/* "rsa" / "ed25519": the k= value, file suffix and selector suffix. */
const char	*dkim_alg_name(enum dkim_alg alg);

/*
 * Syntax of a selector we create: 1..DKIM_SELECTOR_MAX letters, digits and
 * '-' (RFC 6376 3.1 allows more; we keep file names simple). 0 or -1.
 */
int	 dkim_check_selector(const char *selector);

/* "DOMAIN.SELECTOR.ALG.key" under DATA_DIR/dkim. 0, or -1 if too long. */
int	 dkim_key_path(char *buf, size_t bufsize, const char *data_dir,
	    const char *domain, const char *selector, enum dkim_alg alg);
/* The s= value: "SELECTOR-ALG". 0, or -1 if too long. */
int	 dkim_key_dns_selector(char *buf, size_t bufsize, const char *selector,
	    enum dkim_alg alg);

/* A new key (RSA 2048 or Ed25519) for d=DOMAIN, s=SELECTOR-ALG; NULL on failure. */
struct dkim_key	*dkim_key_generate(enum dkim_alg alg, const char *domain,
	    const char *selector);
/*
 * Load a PEM private key; its type must match alg (and RSA must have at
 * least 1024 bits). NULL with the reason in err.
 */
struct dkim_key	*dkim_key_load(const char *path, enum dkim_alg alg,
	    const char *domain, const char *selector, char *err, size_t errlen);
/*
 * Write the private key as PEM to path, created with O_EXCL and mode 0600
 * (never replaces a file). 0, or -1 with the reason in err (errno EEXIST
 * when the file exists).
 */
int	 dkim_key_write(const struct dkim_key *key, const char *path,
	    char *err, size_t errlen);
void	 dkim_key_free(struct dkim_key *key);
enum dkim_alg dkim_key_alg(const struct dkim_key *key);

/*
 * The TXT record value to publish: "v=DKIM1; k=rsa; p=BASE64" (p= is the
 * DER SubjectPublicKeyInfo for RSA, the raw 32-byte key for Ed25519,
 * RFC 8463 section 4). Allocated; the caller frees. NULL on failure.
 */
char	*dkim_public_txt(const struct dkim_key *key);

/*
 * Sign msg (header and body, CRLF or LF line ends) at time now: returns an
 * allocated "DKIM-Signature: ...\r\n" header, folded at 78 columns, to
 * prepend to the message. The message must have a From: header (RFC 6376
 * 5.4). NULL with the reason in err.
 */
char	*dkim_sign(const struct dkim_key *key, const char *msg, size_t len,
	    time_t now, char *err, size_t errlen);

/*
 * Verify the index-th (0-based, from the top) DKIM-Signature of msg
 * against the key record public_txt ("v=DKIM1; k=...; p=..."): checks the
 * tags (v=1, c=relaxed/relaxed, From in h=, no l=, x= not past now), bh=
 * and b=. 0 when valid; -1 with the reason in err.
 */
int	 dkim_verify(const char *msg, size_t len, size_t index,
	    const char *public_txt, time_t now, char *err, size_t errlen);

/* What names the key of a DKIM-Signature: its d= and s= tags. */
struct dkim_sig_id {
	char	 d[DKIM_DOMAIN_MAX + 1];
	char	 s[DKIM_SELECTOR_MAX + 16];	/* "SELECTOR-ALG" for our own keys */
};

/*
 * The d= and s= of every DKIM-Signature of msg, top to bottom (the order
 * dkim_verify() counts them in), the first max of them filled into ids
 * ("" for a tag that is missing or a tag list that does not parse).
 * Returns the number of signatures (may exceed max), or -1 with the
 * reason in err when the header cannot be read.
 */
int	 dkim_signature_ids(const char *msg, size_t len, struct dkim_sig_id *ids,
	    size_t max, char *err, size_t errlen);

/* ---- canonicalization (dkim_canon.c), exposed for the tests ---- */

/*
 * An allocated copy of msg where every line ends in CRLF (a bare LF or a
 * bare CR becomes CRLF). *len_r is its length.
 */
char	*dkim_crlf(const char *msg, size_t len, size_t *len_r);
/*
 * Relaxed header canonicalization (RFC 6376 3.4.2) of one header field
 * (name, colon, value with its folding and final CRLF): allocated
 * "name:value\r\n", *len_r its length.
 */
char	*dkim_canon_header(const char *field, size_t len, size_t *len_r);
/*
 * Relaxed body canonicalization (RFC 6376 3.4.4) of a CRLF body:
 * allocated, *len_r its length (0 for an empty body).
 */
char	*dkim_canon_body(const char *body, size_t len, size_t *len_r);

/* ---- signing keys of the daemon (dkim_keyring.c) ---- */

struct dkim_keyring;

/*
 * Every key in DATA_DIR/dkim (files DOMAIN.SELECTOR.ALG.key, as written by
 * `posthorn dkim generate`); a missing directory is an empty keyring.
 * Unreadable or malformed key files are reported through warn (may be
 * NULL) and skipped. NULL only on OOM-like failure, with err.
 */
struct dkim_keyring *dkim_keyring_load(const char *data_dir,
	    void (*warn)(void *arg, const char *msg), void *arg,
	    char *err, size_t errlen);
void	 dkim_keyring_free(struct dkim_keyring *kr);
/* Number of keys loaded. */
size_t	 dkim_keyring_count(const struct dkim_keyring *kr);

/*
 * Sign msg with every key of the domain of its From: address (DMARC
 * alignment, RFC 7489 3.1): the DKIM-Signature header fields to prepend,
 * ed25519 first, then rsa, allocated, *len_r their length. Returns NULL
 * with *len_r 0 when no key matches the From: domain (nothing to sign; not
 * an error) or signing failed (reason in err, err[0] != 0). Thread-safe:
 * a keyring is read-only after loading.
 */
char	*dkim_keyring_sign(const struct dkim_keyring *kr, const char *msg,
	    size_t len, time_t now, size_t *len_r, char *err, size_t errlen);

#endif
