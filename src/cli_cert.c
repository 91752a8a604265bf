/*
 * cli_cert.c: `posthorn cert selfsigned HOSTNAME [--days N] [--rsa] [--force]`,
 * a self-signed certificate and key for a quick start with TLS.
 *
 * It writes a P-256 (or, with --rsa, RSA 2048) key and a certificate for
 * HOSTNAME (subjectAltName DNS:HOSTNAME, or IP: for an address literal)
 * to the files named by tls_cert and tls_key in the config, refusing to
 * replace existing files without --force. Each file is written to a
 * temporary name and renamed, so a daemon reloading at that moment reads
 * either the old or the new file, never half of one. When root runs it and
 * the config names a user, the files are given to that user, so the
 * daemon can read them again on SIGHUP after it dropped root.
 *
 * It deliberately does not talk to an ACME CA: for a certificate clients
 * trust, the README explains certbot.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "util.h"

#define CERT_USAGE	"cert selfsigned HOSTNAME [--days N] [--rsa] [--force]"
#define CERT_DAYS_DEFAULT	365
#define CERT_DAYS_MAX		3650
/* Backdated a little: a client whose clock is behind still accepts it. */
#define CERT_BACKDATE_SECS	3600
#define CERT_CN_MAX		64	/* RFC 5280 ub-common-name */

struct cert_opts {
	const char	*hostname;
	long		 days;
	int		 rsa;
	int		 force;
	int		 is_ip;
};

/* Who gets the files (uid -1: leave them to whoever runs us). */
struct cert_owner {
	uid_t		 uid;
	gid_t		 gid;
	const char	*name;
};

static int	 cert_parse_args(int argc, char **argv, struct cert_opts *o);
static int	 cert_check_hostname(const char *host, int *is_ip_r);
static int	 cert_owner(const struct cli *cli, struct cert_owner *ow);
static EVP_PKEY	*cert_keygen(int rsa);
static X509	*cert_build(EVP_PKEY *pkey, const struct cert_opts *o);
static int	 cert_add_ext(X509 *x, int nid, const char *value);
static int	 cert_write(const char *path, mode_t mode,
		    const struct cert_owner *ow, EVP_PKEY *pkey, X509 *x);
static void	 cert_openssl_error(const char *what);
static void	 cert_print(const struct cli *cli, const struct cert_opts *o,
		    const struct cert_owner *ow, X509 *x);

static void
cert_openssl_error(const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		str_copy(buf, "unknown error", sizeof(buf));
	ERR_clear_error();
	cli_error("%s: %s", what, buf);
}

static int
cert_parse_args(int argc, char **argv, struct cert_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->days = CERT_DAYS_DEFAULT;
	if (argc < 2 || strcmp(argv[1], "selfsigned") != 0)
		return cli_usage(CERT_USAGE);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--days") == 0 && i + 1 < argc) {
			char *end;

			errno = 0;
			o->days = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || end == argv[i] ||
			    o->days < 1 || o->days > CERT_DAYS_MAX) {
				cli_error("--days must be 1 to %d", CERT_DAYS_MAX);
				return CLI_EXIT_ERROR;
			}
		} else if (strcmp(argv[i], "--rsa") == 0)
			o->rsa = 1;
		else if (strcmp(argv[i], "--force") == 0)
			o->force = 1;
		else if (argv[i][0] != '-' && o->hostname == NULL)
			o->hostname = argv[i];
		else
			return cli_usage(CERT_USAGE);
	}
	if (o->hostname == NULL)
		return cli_usage(CERT_USAGE);
	if (cert_check_hostname(o->hostname, &o->is_ip) < 0)
		return CLI_EXIT_ERROR;
	return CLI_EXIT_OK;
}

/*
 * A DNS name as certificates carry it (RFC 5280 4.2.1.6: ASCII, so an IDN
 * goes in its xn-- form), optionally "*." first, or an IP address literal.
 */
static int
cert_check_hostname(const char *host, int *is_ip_r)
{
	unsigned char addr[sizeof(struct in6_addr)];
	const char *p = host;
	size_t label = 0;

	*is_ip_r = inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1;
	if (*is_ip_r)
		return 0;
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	if (strlen(host) > 253)
		p = "";
	for (; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '.') {
			if (label == 0)
				break;
			label = 0;
			continue;
		}
		if (!(ch == '-' || (ch >= '0' && ch <= '9') ||
		    ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')) || ++label > 63)
			break;
	}
	if (*p != '\0' || label == 0) {
		cli_error("bad hostname \"%s\": use the name clients connect to "
		    "(letters, digits, '-', labels separated by '.'; an IDN in "
		    "its xn-- form) or an IP address", host);
		return -1;
	}
	return 0;
}

/* The daemon's user, when root runs us and the config names one. */
static int
cert_owner(const struct cli *cli, struct cert_owner *ow)
{
	struct passwd *pw;

	ow->uid = (uid_t)-1;
	ow->gid = (gid_t)-1;
	ow->name = NULL;
	if (geteuid() != 0 || cli->cfg.user[0] == '\0')
		return 0;
	if ((pw = getpwnam(cli->cfg.user)) == NULL) {
		cli_error("user %s (from the config) does not exist", cli->cfg.user);
		return -1;
	}
	ow->uid = pw->pw_uid;
	ow->gid = pw->pw_gid;
	ow->name = cli->cfg.user;
	return 0;
}

static EVP_PKEY *
cert_keygen(int rsa)
{
	EVP_PKEY *pkey;

	if (rsa)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (pkey == NULL)
		cert_openssl_error("cannot generate the key");
	return pkey;
}

static int
cert_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	/* Self-signed: the certificate is its own issuer (for the AKID). */
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	if (X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		return -1;
	}
	X509_EXTENSION_free(ext);
	return 0;
}

static X509 *
cert_build(EVP_PKEY *pkey, const struct cert_opts *o)
{
	unsigned char serial[16];
	char san[300];
	X509 *x;
	X509_NAME *name;
	BIGNUM *bn = NULL;
	int ok = 0;

	if ((x = X509_new()) == NULL)
		goto out;
	/* RFC 5280 4.1.2.2: positive, at most 20 octets; random, so unique. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	serial[0] |= 0x01;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -CERT_BACKDATE_SECS) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)o->days, 0, NULL) == NULL ||
	    X509_set_pubkey(x, pkey) != 1)
		goto out;
	name = X509_get_subject_name(x);
	/* The name lives in subjectAltName; CN is for humans and old clients. */
	if (strlen(o->hostname) <= CERT_CN_MAX &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)o->hostname, -1, -1, 0) != 1)
		goto out;
	if (X509_set_issuer_name(x, name) != 1)
		goto out;
	if (str_format(san, sizeof(san), "%s:%s", o->is_ip ? "IP" : "DNS",
	    o->hostname) < 0)
		goto out;
	/*
	 * An end-entity certificate (CA:FALSE): clients that are told to
	 * trust it (fetchmail sslcertfile, curl --cacert, Python cafile)
	 * take it as its own trust anchor; a CA:TRUE leaf is refused by some.
	 */
	if (cert_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    cert_add_ext(x, NID_key_usage, o->rsa ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature") < 0 ||
	    cert_add_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
	    cert_add_ext(x, NID_subject_key_identifier, "hash") < 0 ||
	    cert_add_ext(x, NID_authority_key_identifier, "keyid:always") < 0 ||
	    cert_add_ext(x, NID_subject_alt_name, san) < 0)
		goto out;
	if (X509_sign(x, pkey, EVP_sha256()) == 0)
		goto out;
	ok = 1;
out:
	BN_free(bn);
	if (!ok) {
		cert_openssl_error("cannot build the certificate");
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * Write the key (pkey) or the certificate (x) as PEM to path: a temporary
 * file in the same directory, mode and owner set before anything secret is
 * in it, synced, then renamed over path.
 */
static int
cert_write(const char *path, mode_t mode, const struct cert_owner *ow,
    EVP_PKEY *pkey, X509 *x)
{
	char tmp[CONFIG_PATH_MAX + 16];
	FILE *f = NULL;
	int fd, ok;

	if (str_format(tmp, sizeof(tmp), "%s.XXXXXX", path) < 0) {
		cli_error("%s: path too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		cli_error("cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) == -1 ||
	    (ow->uid != (uid_t)-1 && fchown(fd, ow->uid, ow->gid) == -1) ||
	    (f = fdopen(fd, "w")) == NULL) {
		cli_error("%s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	if (pkey != NULL)
		ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1;
	else
		ok = PEM_write_X509(f, x) == 1;
	if (!ok) {
		cert_openssl_error(path);
		fclose(f);
		goto fail;
	}
	if (fflush(f) == EOF || fsync(fileno(f)) == -1) {
		cli_error("writing %s: %s", tmp, strerror(errno));
		fclose(f);
		goto fail;
	}
	if (fclose(f) == EOF) {
		cli_error("writing %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		cli_error("cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return -1;
}

static void
cert_print(const struct cli *cli, const struct cert_opts *o,
    const struct cert_owner *ow, X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	char until[32];
	time_t t = time(NULL) + (time_t)o->days * 86400;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(until, sizeof(until),
	    "%Y-%m-%d", &tm) == 0)
		str_copy(until, "?", sizeof(until));
	printf("wrote certificate %s (self-signed, %s, %s:%s, valid %ld days "
	    "until %s)\n", cli->cfg.tls_cert, o->rsa ? "RSA 2048" : "EC P-256",
	    o->is_ip ? "IP" : "DNS", o->hostname, o->days, until);
	printf("wrote private key %s (mode 0600%s%s)\n", cli->cfg.tls_key,
	    ow->name != NULL ? ", owner " : "", ow->name != NULL ? ow->name : "");
	if (X509_digest(x, EVP_sha256(), md, &n) == 1) {
		printf("SHA-256 fingerprint: ");
		for (i = 0; i < n; i++)
			printf("%02X%s", md[i], i + 1 < n ? ":" : "\n");
	}
	printf("Mail clients will warn that this certificate is self-signed: compare\n"
	    "the fingerprint above when you accept it, or use a certificate from\n"
	    "Let's Encrypt (README, section TLS). A running posthornd loads the new\n"
	    "files on reload (systemctl reload posthornd, or SIGHUP).\n");
}

int
cli_cert(struct cli *cli, int argc, char **argv)
{
	struct cert_opts o;
	struct cert_owner ow;
	struct stat st;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	int rc = CLI_EXIT_ERROR, r;

	if ((r = cert_parse_args(argc, argv, &o)) != CLI_EXIT_OK)
		return r;
	if (cli_load_config(cli) < 0)
		return CLI_EXIT_ERROR;
	if (cli->cfg.tls_cert[0] == '\0' || cli->cfg.tls_key[0] == '\0') {
		cli_error("set tls_cert and tls_key in %s to the files to write",
		    cli->config_path);
		return CLI_EXIT_ERROR;
	}
	if (strcmp(cli->cfg.tls_cert, cli->cfg.tls_key) == 0) {
		cli_error("tls_cert and tls_key name the same file: use two files");
		return CLI_EXIT_ERROR;
	}
	if (!o.force && (stat(cli->cfg.tls_cert, &st) == 0 ||
	    stat(cli->cfg.tls_key, &st) == 0)) {
		cli_error("%s exists; not replacing it without --force",
		    stat(cli->cfg.tls_cert, &st) == 0 ? cli->cfg.tls_cert :
		    cli->cfg.tls_key);
		return CLI_EXIT_ERROR;
	}
	if (cert_owner(cli, &ow) < 0)
		return CLI_EXIT_ERROR;
	if ((pkey = cert_keygen(o.rsa)) == NULL ||
	    (x = cert_build(pkey, &o)) == NULL)
		goto out;
	/* The key first: a reload in between sees a mismatch and keeps the old pair. */
	if (cert_write(cli->cfg.tls_key, 0600, &ow, pkey, NULL) < 0 ||
	    cert_write(cli->cfg.tls_cert, 0644, &ow, NULL, x) < 0)
		goto out;
	cert_print(cli, &o, &ow, x);
	rc = CLI_EXIT_OK;
out:
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}
