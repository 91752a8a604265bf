/*
 * dkim_key.c: DKIM keys: names and paths, generation (RSA 2048, Ed25519),
 * PEM load and store (mode 0600, never overwriting), and the public key
 * TXT record (RFC 6376 3.6.1, RFC 8463 section 4).
 *
 * It deliberately does not choose which keys a domain uses: callers look
 * for the files (the CLI, later the outbound queue).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "dkim_internal.h"
#include "util.h"

static const char *const dkim_alg_names[DKIM_ALG_COUNT] = {
	"rsa", "ed25519"
};

const char *
dkim_alg_name(enum dkim_alg alg)
{
	return alg < DKIM_ALG_COUNT ? dkim_alg_names[alg] : "?";
}

int
dkim_check_selector(const char *selector)
{
	size_t i, n = strlen(selector);

	if (n == 0 || n > DKIM_SELECTOR_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char c = selector[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return -1;
	}
	return selector[0] == '-' ? -1 : 0;
}

int
dkim_key_path(char *buf, size_t bufsize, const char *data_dir,
    const char *domain, const char *selector, enum dkim_alg alg)
{
	return str_format(buf, bufsize, "%s/dkim/%s.%s.%s.key", data_dir,
	    domain, selector, dkim_alg_name(alg));
}

int
dkim_key_dns_selector(char *buf, size_t bufsize, const char *selector,
    enum dkim_alg alg)
{
	return str_format(buf, bufsize, "%s-%s", selector, dkim_alg_name(alg));
}

static struct dkim_key *
dkim_key_new(EVP_PKEY *pkey, enum dkim_alg alg, const char *domain,
    const char *selector)
{
	struct dkim_key *key = xcalloc(1, sizeof(*key));

	key->alg = alg;
	key->pkey = pkey;
	if (str_copy(key->domain, domain, sizeof(key->domain)) >=
	    sizeof(key->domain) || dkim_key_dns_selector(key->selector,
	    sizeof(key->selector), selector, alg) == -1) {
		dkim_key_free(key);
		return NULL;
	}
	return key;
}

struct dkim_key *
dkim_key_generate(enum dkim_alg alg, const char *domain, const char *selector)
{
	EVP_PKEY *pkey;

	if (alg == DKIM_ALG_RSA)
		pkey = EVP_RSA_gen(DKIM_RSA_BITS);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		return NULL;
	return dkim_key_new(pkey, alg, domain, selector);
}

struct dkim_key *
dkim_key_load(const char *path, enum dkim_alg alg, const char *domain,
    const char *selector, char *err, size_t errlen)
{
	EVP_PKEY *pkey;
	struct dkim_key *key;
	FILE *f;
	int want;

	if ((f = fopen(path, "r")) == NULL) {
		(void)str_format(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey == NULL) {
		ERR_clear_error();
		(void)str_format(err, errlen, "%s: not a PEM private key", path);
		return NULL;
	}
	want = alg == DKIM_ALG_RSA ? EVP_PKEY_RSA : EVP_PKEY_ED25519;
	if (EVP_PKEY_get_base_id(pkey) != want ||
	    (alg == DKIM_ALG_RSA && EVP_PKEY_get_bits(pkey) < 1024)) {
		(void)str_format(err, errlen, "%s: not a%s %s key", path,
		    alg == DKIM_ALG_RSA ? "n" : "",
		    alg == DKIM_ALG_RSA ? "RSA (>= 1024 bits)" : "Ed25519");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	key = dkim_key_new(pkey, alg, domain, selector);
	if (key == NULL)
		(void)str_format(err, errlen, "domain or selector too long");
	return key;
}

int
dkim_key_write(const struct dkim_key *key, const char *path, char *err,
    size_t errlen)
{
	FILE *f;
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		int e = errno;

		(void)str_format(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		(void)str_format(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		(void)unlink(path);
		return -1;
	}
	ok = PEM_write_PrivateKey(f, key->pkey, NULL, NULL, 0, NULL, NULL) == 1;
	ok = (fflush(f) == 0 && fsync(fd) == 0) && ok;
	ok = (fclose(f) == 0) && ok;
	if (!ok) {
		ERR_clear_error();
		(void)str_format(err, errlen, "%s: write failed", path);
		(void)unlink(path);
		return -1;
	}
	return 0;
}

void
dkim_key_free(struct dkim_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

enum dkim_alg
dkim_key_alg(const struct dkim_key *key)
{
	return key->alg;
}

char *
dkim_public_txt(const struct dkim_key *key)
{
	unsigned char *der = NULL, raw[32];
	size_t rawlen = sizeof(raw);
	char *b64, *txt;
	size_t n;
	int len;

	if (key->alg == DKIM_ALG_RSA) {
		if ((len = i2d_PUBKEY(key->pkey, &der)) <= 0)
			return NULL;
		b64 = dkim_base64(der, (size_t)len);
		OPENSSL_free(der);
	} else {
		if (EVP_PKEY_get_raw_public_key(key->pkey, raw, &rawlen) != 1)
			return NULL;
		b64 = dkim_base64(raw, rawlen);
	}
	n = strlen(b64) + 32;
	txt = xmalloc(n);
	if (str_format(txt, n, "v=DKIM1; k=%s; p=%s", dkim_alg_name(key->alg),
	    b64) == -1) {
		free(txt);
		txt = NULL;
	}
	free(b64);
	return txt;
}
