/*
 * cli_dkim.c: `posthorn dkim generate DOMAIN [SELECTOR]` creates the DKIM
 * keys of a domain and prints the TXT records to publish; the hidden
 * `posthorn dkim sign DOMAIN [SELECTOR] < MESSAGE` prints the message with
 * DKIM-Signature fields prepended, so an administrator can test the
 * published records (e.g. by mailing the output to a checker).
 *
 * Keys: data_dir/dkim/DOMAIN.SELECTOR.rsa.key and .ed25519.key (PEM, mode
 * 0600, owned by the config's user). Each algorithm gets its own DNS
 * selector, SELECTOR-rsa and SELECTOR-ed25519, because a TXT record holds
 * one key; the default SELECTOR is "ph" and the year and month ("ph202611"),
 * so a new key pair next year does not collide with the published one.
 *
 * The daemon signs outgoing mail with the same keys (dkim_keyring.c);
 * `posthorn dkim verify` (cli_dkim_verify.c) checks such a message.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dkim.h"
#include "util.h"

#define DKIM_USAGE	"dkim generate DOMAIN [SELECTOR]"
#define DKIM_KEYS_MAX	32	/* key files of one domain we list */
#define TXT_STRING_MAX	255	/* RFC 1035 3.3: one character-string */

struct dkim_found {
	char		 selector[DKIM_SELECTOR_MAX + 1];
	enum dkim_alg	 alg;
};

void
cli_print_txt(const char *name, const char *value)
{
	size_t n = strlen(value), chunk;

	printf("%s TXT ", name);
	do {
		chunk = n > TXT_STRING_MAX ? TXT_STRING_MAX : n;
		printf("\"%.*s\"%s", (int)chunk, value, n > chunk ? " " : "\n");
		value += chunk;
		n -= chunk;
	} while (n > 0);
}

static int
dkim_found_cmp(const void *a, const void *b)
{
	const struct dkim_found *x = a, *y = b;
	int c = strcmp(x->selector, y->selector);

	return c != 0 ? c : (int)x->alg - (int)y->alg;
}

/*
 * The key files of domain (of one selector if not NULL), sorted. Their
 * count, or -1 after printing why. A missing dkim/ directory is 0 keys.
 */
static int
dkim_find_keys(const struct cli *cli, const char *domain, const char *selector,
    struct dkim_found *found, size_t max)
{
	char dir[CONFIG_PATH_MAX + 8], suffix[32];
	size_t n = 0, dlen = strlen(domain), len, slen;
	struct dirent *de;
	enum dkim_alg alg;
	DIR *d;

	(void)str_format(dir, sizeof(dir), "%s/dkim", cli->cfg.data_dir);
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		cli_error("%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL && n < max) {
		len = strlen(de->d_name);
		if (len <= dlen + 1 || strncmp(de->d_name, domain, dlen) != 0 ||
		    de->d_name[dlen] != '.')
			continue;
		for (alg = 0; alg < DKIM_ALG_COUNT; alg++) {
			(void)str_format(suffix, sizeof(suffix), ".%s.key",
			    dkim_alg_name(alg));
			slen = strlen(suffix);
			if (len <= dlen + 1 + slen ||
			    strcmp(de->d_name + len - slen, suffix) != 0 ||
			    len - slen - dlen - 1 > DKIM_SELECTOR_MAX)
				continue;
			memcpy(found[n].selector, de->d_name + dlen + 1,
			    len - slen - dlen - 1);
			found[n].selector[len - slen - dlen - 1] = '\0';
			found[n].alg = alg;
			if (dkim_check_selector(found[n].selector) == 0 &&
			    (selector == NULL ||
			    strcmp(selector, found[n].selector) == 0))
				n++;
			break;
		}
	}
	closedir(d);
	qsort(found, n, sizeof(*found), dkim_found_cmp);
	return (int)n;
}

static struct dkim_key *
dkim_load_found(const struct cli *cli, const char *domain,
    const struct dkim_found *f)
{
	char path[CONFIG_PATH_MAX + 128], err[512];
	struct dkim_key *key;

	if (dkim_key_path(path, sizeof(path), cli->cfg.data_dir, domain,
	    f->selector, f->alg) == -1) {
		cli_error("data_dir too long");
		return NULL;
	}
	if ((key = dkim_key_load(path, f->alg, domain, f->selector, err,
	    sizeof(err))) == NULL)
		cli_error("%s", err);
	return key;
}

/* One record: "SELECTOR-ALG._domainkey.DOMAIN. TXT ...". 0 or -1. */
static int
dkim_print_key(const char *domain, const char *selector,
    const struct dkim_key *key)
{
	char sel[DKIM_SELECTOR_MAX + 16], name[DKIM_SELECTOR_MAX + 300];
	char *txt;

	if (dkim_key_dns_selector(sel, sizeof(sel), selector,
	    dkim_key_alg(key)) == -1 || str_format(name, sizeof(name),
	    "%s._domainkey.%s.", sel, domain) == -1 ||
	    (txt = dkim_public_txt(key)) == NULL) {
		cli_error("cannot format the DKIM record");
		return -1;
	}
	cli_print_txt(name, txt);
	free(txt);
	return 0;
}

int
cli_dkim_print_records(const struct cli *cli, const char *domain)
{
	struct dkim_found found[DKIM_KEYS_MAX];
	struct dkim_key *key;
	int i, n;

	if ((n = dkim_find_keys(cli, domain, NULL, found, DKIM_KEYS_MAX)) <= 0)
		return n;
	for (i = 0; i < n; i++) {
		if ((key = dkim_load_found(cli, domain, &found[i])) == NULL)
			return -1;
		if (dkim_print_key(domain, found[i].selector, key) == -1) {
			dkim_key_free(key);
			return -1;
		}
		dkim_key_free(key);
	}
	return n;
}

/* The domain argument, checked and lower-cased into buf. 0 or -1. */
static int
dkim_domain_arg(const char *arg, char *buf, size_t bufsize)
{
	if (cli_check_domain(arg) == -1)
		return -1;
	if (str_copy(buf, arg, bufsize) >= bufsize) {
		cli_error("domain name too long");
		return -1;
	}
	str_lower(buf);
	return 0;
}

static int
dkim_generate(struct cli *cli, const char *domain, const char *selector)
{
	char dir[CONFIG_PATH_MAX + 8], path[DKIM_ALG_COUNT][CONFIG_PATH_MAX + 128];
	struct dkim_key *key[DKIM_ALG_COUNT] = { NULL };
	char err[512];
	enum dkim_alg alg;
	int rc = CLI_EXIT_ERROR;

	if (cli_load_config(cli) == -1 || cli_drop_privileges(cli) == -1)
		return CLI_EXIT_ERROR;
	/* data_dir as the store creates it, when keys come first. */
	if (mkdir(cli->cfg.data_dir, 0700) == -1 && errno != EEXIST) {
		cli_error("%s: %s", cli->cfg.data_dir, strerror(errno));
		return CLI_EXIT_ERROR;
	}
	(void)str_format(dir, sizeof(dir), "%s/dkim", cli->cfg.data_dir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		cli_error("%s: %s", dir, strerror(errno));
		return CLI_EXIT_ERROR;
	}
	/* Both or neither: check before writing either. */
	for (alg = 0; alg < DKIM_ALG_COUNT; alg++) {
		if (dkim_key_path(path[alg], sizeof(path[alg]),
		    cli->cfg.data_dir, domain, selector, alg) == -1) {
			cli_error("data_dir too long");
			return CLI_EXIT_ERROR;
		}
		if (access(path[alg], F_OK) == 0) {
			cli_error("%s exists: choose another selector (posthorn "
			    DKIM_USAGE ")", path[alg]);
			return CLI_EXIT_ERROR;
		}
	}
	for (alg = 0; alg < DKIM_ALG_COUNT; alg++) {
		key[alg] = dkim_key_generate(alg, domain, selector);
		if (key[alg] == NULL) {
			cli_error("%s key generation failed", dkim_alg_name(alg));
			goto done;
		}
		if (dkim_key_write(key[alg], path[alg], err, sizeof(err)) == -1) {
			cli_error("%s", err);
			if (alg > 0)
				(void)unlink(path[0]);
			goto done;
		}
	}
	printf("; DKIM keys of %s written to %s/%s.%s.{rsa,ed25519}.key\n"
	    "; Publish these TXT records at your DNS provider:\n",
	    domain, dir, domain, selector);
	rc = CLI_EXIT_OK;
	for (alg = 0; alg < DKIM_ALG_COUNT && rc == CLI_EXIT_OK; alg++)
		if (dkim_print_key(domain, selector, key[alg]) == -1)
			rc = CLI_EXIT_ERROR;
done:
	for (alg = 0; alg < DKIM_ALG_COUNT; alg++)
		dkim_key_free(key[alg]);
	return rc;
}

/* The message on stdin, at most max bytes. NULL after printing why. */
char *
cli_dkim_read_stdin(uint64_t max, size_t *len_r)
{
	size_t len = 0, size = 65536, n;
	char *buf = xmalloc(size);

	while ((n = fread(buf + len, 1, size - len, stdin)) > 0) {
		len += n;
		if (len > max) {
			cli_error("message larger than max_message_size");
			free(buf);
			return NULL;
		}
		if (len == size)
			buf = xrealloc(buf, size *= 2);
	}
	if (ferror(stdin)) {
		cli_error("reading stdin: %s", strerror(errno));
		free(buf);
		return NULL;
	}
	*len_r = len;
	return buf;
}

static int
dkim_sign_stdin(struct cli *cli, const char *domain, const char *selector)
{
	struct dkim_found found[DKIM_KEYS_MAX];
	struct dkim_key *key;
	char *msg, *crlf, *sig, err[512];
	size_t len, clen;
	int i, n, rc = CLI_EXIT_OK;
	time_t now = time(NULL);

	if (cli_load_config(cli) == -1 || cli_drop_privileges(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((n = dkim_find_keys(cli, domain, selector, found,
	    DKIM_KEYS_MAX)) <= 0) {
		if (n == 0)
			cli_error("no DKIM key for %s (posthorn " DKIM_USAGE ")",
			    domain);
		return CLI_EXIT_ERROR;
	}
	if ((msg = cli_dkim_read_stdin(cli->cfg.max_message_size, &len)) == NULL)
		return CLI_EXIT_ERROR;
	/* The output has CRLF line ends, as the signer canonicalized them. */
	crlf = dkim_crlf(msg, len, &clen);
	free(msg);
	for (i = 0; i < n && rc == CLI_EXIT_OK; i++) {
		if ((key = dkim_load_found(cli, domain, &found[i])) == NULL) {
			rc = CLI_EXIT_ERROR;
			break;
		}
		if ((sig = dkim_sign(key, crlf, clen, now, err,
		    sizeof(err))) == NULL) {
			cli_error("%s", err);
			rc = CLI_EXIT_ERROR;
		} else {
			fputs(sig, stdout);
			free(sig);
		}
		dkim_key_free(key);
	}
	if (rc == CLI_EXIT_OK && (fwrite(crlf, 1, clen, stdout) != clen ||
	    fflush(stdout) != 0)) {
		cli_error("writing stdout: %s", strerror(errno));
		rc = CLI_EXIT_ERROR;
	}
	free(crlf);
	return rc;
}

int
cli_dkim(struct cli *cli, int argc, char **argv)
{
	char domain[DKIM_DOMAIN_MAX + 1], selector[DKIM_SELECTOR_MAX + 1];
	const char *sel = NULL;
	time_t now = time(NULL);
	struct tm tm;

	if (argc == 2 && strcmp(argv[1], "verify") == 0)
		return cli_dkim_verify(cli);
	if (argc < 3 || argc > 4 || (strcmp(argv[1], "generate") != 0 &&
	    strcmp(argv[1], "sign") != 0))
		return cli_usage(DKIM_USAGE);
	if (dkim_domain_arg(argv[2], domain, sizeof(domain)) == -1)
		return CLI_EXIT_ERROR;
	if (argc == 4) {
		if (dkim_check_selector(argv[3]) == -1) {
			cli_error("bad selector \"%s\": 1-%d letters, digits or "
			    "'-'", argv[3], DKIM_SELECTOR_MAX);
			return CLI_EXIT_ERROR;
		}
		sel = argv[3];
	}
	if (strcmp(argv[1], "sign") == 0)
		return dkim_sign_stdin(cli, domain, sel);
	if (sel == NULL) {
		gmtime_r(&now, &tm);
		(void)str_format(selector, sizeof(selector), "ph%04d%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1);
		sel = selector;
	}
	return dkim_generate(cli, domain, sel);
}
