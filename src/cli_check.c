/*
 * cli_check.c: `posthorn check`, "will posthornd start, and is the store
 * healthy?" in one command, for before the first start and after every
 * config edit.
 *
 * It loads the config (line-numbered errors), checks every listen address,
 * the TLS certificate and key (loaded as the daemon loads them, so a key
 * that does not match shows), the privilege-drop user and data_dir, then
 * opens the store (which migrates an older schema and refuses a newer one)
 * and runs the store's consistency check. Each finding is one line on stderr; what is
 * fine is reported on stdout. It changes nothing: it does not create a
 * missing data_dir, and it does not try to bind the ports (the daemon may
 * be running and holding them).
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "store.h"
#include "tls.h"
#include "util.h"

struct check {
	struct cli	*cli;
	int		 problems;
	int		 domains, users, aliases;
};

static void
check_problem(struct check *ck, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
check_problem(struct check *ck, const char *fmt, ...)
{
	va_list ap;

	ck->problems++;
	fputs("posthorn: check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Listener kinds that can only work with a certificate. */
static int
check_kind_needs_tls(enum listen_kind kind)
{
	return kind == LISTEN_SUBMISSIONS || kind == LISTEN_POP3S ||
	    kind == LISTEN_IMAPS;
}

static void
check_listeners(struct check *ck)
{
	const struct config *cfg = &ck->cli->cfg;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int kind, i, total = 0;

	for (kind = 0; kind < LISTEN_KIND_COUNT; kind++) {
		for (i = 0; i < cfg->listen_count[kind]; i++) {
			total++;
			if (parse_hostport(cfg->listen[kind][i], &ss, &sslen) == -1)
				check_problem(ck, "%s: bad address \"%s\" "
				    "(expected IPv4:port or [IPv6]:port)",
				    config_listen_key(kind), cfg->listen[kind][i]);
		}
		if (cfg->listen_count[kind] > 0 && check_kind_needs_tls(kind) &&
		    cfg->tls_cert[0] == '\0')
			check_problem(ck, "%s needs tls_cert and tls_key",
			    config_listen_key(kind));
	}
	if (total == 0)
		check_problem(ck, "no listen_* key is set: posthornd would "
		    "accept no connection");
	else
		printf("listeners: %d address%s\n", total, total == 1 ? "" : "es");
}

/* A PEM file must be readable (as the user running check) and be PEM. */
static void
check_pem_file(struct check *ck, const char *key, const char *path)
{
	char head[4096];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		check_problem(ck, "%s %s: %s", key, path, strerror(errno));
		return;
	}
	n = fread(head, 1, sizeof(head) - 1, fp);
	fclose(fp);
	head[n] = '\0';
	if (strstr(head, "-----BEGIN ") == NULL)
		check_problem(ck, "%s %s: not a PEM file", key, path);
	else
		printf("%s: %s readable\n", key, path);
}

static void
check_tls(struct check *ck)
{
	const struct config *cfg = &ck->cli->cfg;
	char err[512];
	int before;

	if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
		check_problem(ck, "tls_cert and tls_key must be set together");
		return;
	}
	if (cfg->tls_cert[0] == '\0')
		return;
	before = ck->problems;
	check_pem_file(ck, "tls_cert", cfg->tls_cert);
	check_pem_file(ck, "tls_key", cfg->tls_key);
	if (ck->problems != before)
		return;
	/* Load them as the daemon will: a key that does not match shows here. */
	if (tls_load(cfg->tls_cert, cfg->tls_key, err, sizeof(err)) == -1)
		check_problem(ck, "tls: %s", err);
	else
		printf("tls: certificate and key load and match\n");
	tls_free();
}

/*
 * posthornd reads the certificate again on SIGHUP, after it dropped root:
 * the files must be readable by the configured user too.
 */
static void
check_tls_reload(struct check *ck)
{
	const struct config *cfg = &ck->cli->cfg;

	if (cfg->tls_cert[0] != '\0' && access(cfg->tls_cert, R_OK) == -1)
		check_problem(ck, "tls_cert %s is not readable by user %s: "
		    "reloads (SIGHUP) would fail", cfg->tls_cert, cfg->user);
	if (cfg->tls_key[0] != '\0' && access(cfg->tls_key, R_OK) == -1)
		check_problem(ck, "tls_key %s is not readable by user %s: "
		    "reloads (SIGHUP) would fail (chgrp %s it, mode 640)",
		    cfg->tls_key, cfg->user, cfg->user);
}

static void
check_user(struct check *ck)
{
	const char *user = ck->cli->cfg.user;

	if (user[0] == '\0')
		return;
	if (getpwnam(user) == NULL)
		check_problem(ck, "user %s does not exist (create it: useradd "
		    "--system --home-dir %s --shell /usr/sbin/nologin %s)",
		    user, ck->cli->cfg.data_dir, user);
	else
		printf("user: %s exists\n", user);
}

/*
 * data_dir must exist and, when the daemon drops to a user, belong to it:
 * a store created by root would be unwritable for the daemon.
 */
static int
check_data_dir(struct check *ck)
{
	const struct config *cfg = &ck->cli->cfg;
	struct passwd *pw;
	struct stat st;

	if (stat(cfg->data_dir, &st) == -1) {
		check_problem(ck, "data_dir %s: %s", cfg->data_dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		check_problem(ck, "data_dir %s is not a directory", cfg->data_dir);
		return -1;
	}
	if (cfg->user[0] != '\0' && (pw = getpwnam(cfg->user)) != NULL &&
	    st.st_uid != pw->pw_uid)
		check_problem(ck, "data_dir %s does not belong to user %s "
		    "(fix: chown -R %s %s)", cfg->data_dir, cfg->user,
		    cfg->user, cfg->data_dir);
	return 0;
}

static void
check_store_problem(void *arg, const char *msg)
{
	check_problem(arg, "store: %s", msg);
}

static int
check_count_domain(void *arg, const char *domain)
{
	(void)domain;
	((struct check *)arg)->domains++;
	return 0;
}

static int
check_count_user(void *arg, const struct store_user *user)
{
	(void)user;
	((struct check *)arg)->users++;
	return 0;
}

static int
check_count_alias(void *arg, const char *address, const char *targets)
{
	(void)address;
	(void)targets;
	((struct check *)arg)->aliases++;
	return 0;
}

/*
 * The outbound side: the queue's size, and settings that cannot work
 * (credentials without a relayhost, AUTH over plaintext).
 */
static void
check_outbound(struct check *ck)
{
	const struct config	*cfg = &ck->cli->cfg;
	uint64_t		 entries = 0, rcpts = 0;

	if (store_queue_count(ck->cli->store, &entries, &rcpts) == 0)
		printf("queue: %llu message%s, %llu recipient%s pending\n",
		    (unsigned long long)entries, entries == 1 ? "" : "s",
		    (unsigned long long)rcpts, rcpts == 1 ? "" : "s");
	if (cfg->relayhost[0] == '\0') {
		if (cfg->relayhost_user[0] != '\0')
			check_problem(ck, "relayhost_user is set but relayhost is not");
		return;
	}
	printf("outbound: all mail goes through relayhost %s\n", cfg->relayhost);
	if (cfg->relayhost_user[0] != '\0' && cfg->relayhost_tls == RELAYHOST_TLS_NONE)
		printf("note: relayhost_tls = none sends the relayhost password "
		    "unencrypted; use it only on a network you trust\n");
	if (cfg->tls_ca_file[0] != '\0' && access(cfg->tls_ca_file, R_OK) == -1)
		check_problem(ck, "tls_ca_file %s: %s", cfg->tls_ca_file, strerror(errno));
}

static void
check_store(struct check *ck)
{
	struct cli *cli = ck->cli;
	int before, rc;

	if (check_data_dir(ck) == -1)
		return;
	if (cli_drop_privileges(cli) == -1) {
		ck->problems++;
		return;
	}
	if (cli->dropped)
		check_tls_reload(ck);
	if (access(cli->cfg.data_dir, R_OK | W_OK | X_OK) == -1) {
		check_problem(ck, "data_dir %s: %s", cli->cfg.data_dir,
		    strerror(errno));
		return;
	}
	if (cli_open_store(cli) == -1) {
		ck->problems++;
		return;
	}
	before = ck->problems;
	if ((rc = store_check(cli->store, check_store_problem, ck)) < 0 &&
	    ck->problems == before)
		check_problem(ck, "store: %s", store_strerror(rc));
	if (store_domain_list(cli->store, check_count_domain, ck) < 0 ||
	    store_user_list(cli->store, check_count_user, ck) < 0 ||
	    store_alias_list(cli->store, check_count_alias, ck) < 0)
		check_problem(ck, "store: cannot list domains, users and aliases");
	printf("store: %s, schema version %d (this posthorn: %d), "
	    "%d domain%s, %d user%s, %d alias%s\n", cli->cfg.data_dir,
	    store_schema_version(cli->store), STORE_SCHEMA_VERSION,
	    ck->domains, ck->domains == 1 ? "" : "s",
	    ck->users, ck->users == 1 ? "" : "s",
	    ck->aliases, ck->aliases == 1 ? "" : "es");
	if (ck->domains == 0)
		printf("note: no domain yet (posthorn domain add DOMAIN)\n");
	check_outbound(ck);
}

int
cli_check(struct cli *cli, int argc, char **argv)
{
	struct check ck;

	(void)argv;
	if (argc != 1)
		return cli_usage("check");
	memset(&ck, 0, sizeof(ck));
	ck.cli = cli;
	if (cli_load_config(cli) == -1)
		return CLI_EXIT_ERROR;
	printf("config: %s parsed\n", cli->config_path);
	if (cli->cfg.hostname[0] == '\0')
		check_problem(&ck, "hostname is empty");
	else if (strchr(cli->cfg.hostname, '.') == NULL)
		printf("note: hostname %s is not a fully qualified domain name; "
		    "other servers expect one in the SMTP greeting\n",
		    cli->cfg.hostname);
	check_listeners(&ck);
	check_tls(&ck);
	check_user(&ck);
	check_store(&ck);
	if (ck.problems > 0) {
		cli_error("check: %d problem%s found", ck.problems,
		    ck.problems == 1 ? "" : "s");
		return CLI_EXIT_ERROR;
	}
	printf("check: no problems found\n");
	return CLI_EXIT_OK;
}
