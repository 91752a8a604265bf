/*
 * cli_common.c: what every posthorn command needs: error output, loading
 * the config, dropping root to the daemon's user and opening the store, and
 * the name syntax checks that give the administrator a precise message.
 *
 * It does not implement any command; the command families live in
 * cli_<family>.c and only call into here.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "store.h"
#include "util.h"

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("posthorn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage(const char *usage)
{
	fprintf(stderr, "posthorn: usage: posthorn %s\n", usage);
	return CLI_EXIT_ERROR;
}

int
cli_load_config(struct cli *cli)
{
	char err[CONFIG_PATH_MAX + 256];

	if (cli->cfg_loaded)
		return 0;
	if (config_load(cli->config_path, &cli->cfg, err, sizeof(err)) == -1) {
		cli_error("%s", err);
		return -1;
	}
	cli->cfg_loaded = 1;
	/* Store warnings (a migration, a stale reader) go to stderr. */
	log_set_level(cli->cfg.log_level < LOG_LEVEL_WARN ?
	    (enum log_level)cli->cfg.log_level : LOG_LEVEL_WARN);
	return 0;
}

/*
 * Create data_dir for the daemon's user when root runs the CLI before the
 * daemon ever started; otherwise the store files would belong to root and
 * the daemon, once it dropped privileges, could not open them.
 */
static int
cli_make_data_dir(const char *dir, const struct passwd *pw)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return 0;
	if (errno != ENOENT) {
		cli_error("data_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (mkdir(dir, 0700) == -1) {
		cli_error("cannot create data_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (chown(dir, pw->pw_uid, pw->pw_gid) == -1) {
		cli_error("cannot give data_dir %s to %s: %s", dir,
		    pw->pw_name, strerror(errno));
		return -1;
	}
	return 0;
}

int
cli_drop_privileges(struct cli *cli)
{
	struct passwd *pw;

	if (geteuid() != 0 || cli->cfg.user[0] == '\0')
		return 0;
	errno = 0;
	if ((pw = getpwnam(cli->cfg.user)) == NULL) {
		cli_error("user %s (config key user) does not exist%s%s",
		    cli->cfg.user, errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	if (cli_make_data_dir(cli->cfg.data_dir, pw) == -1)
		return -1;
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		cli_error("cannot switch to user %s: %s", pw->pw_name,
		    strerror(errno));
		return -1;
	}
	cli->dropped = 1;
	return 0;
}

int
cli_open_store(struct cli *cli)
{
	char err[CONFIG_PATH_MAX + 256];
	int rc;

	if (cli->store != NULL)
		return 0;
	if (cli_load_config(cli) == -1 || cli_drop_privileges(cli) == -1)
		return -1;
	err[0] = '\0';
	rc = store_open(&cli->store, cli->cfg.data_dir, cli->cfg.map_size,
	    err, sizeof(err));
	if (rc != STORE_OK) {
		cli->store = NULL;
		cli_error("cannot open the store in %s: %s", cli->cfg.data_dir,
		    err[0] ? err : store_strerror(rc));
		return -1;
	}
	return 0;
}

void
cli_close(struct cli *cli)
{
	if (cli->store != NULL)
		store_close(&cli->store);
	cli->store = NULL;
}

int
cli_store_temporary(int err)
{
	return err == STORE_EFULL || err == STORE_EIO ||
	    err == STORE_ESHUTDOWN || err == STORE_ENOMEM;
}

/* ------------------------------------------------------------- syntax */

int
cli_check_domain(const char *domain)
{
	const char *p;
	size_t label = 0, len = strlen(domain);

	if (len == 0 || len > 253) {
		cli_error("bad domain \"%s\": must be 1 to 253 characters", domain);
		return -1;
	}
	for (p = domain; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '.') {
			if (label == 0)
				break;
			label = 0;
			continue;
		}
		/* RFC 1035 letters, digits, hyphen; UTF-8 for IDNs as-is. */
		if (!(ch >= 0x80 || ch == '-' || (ch >= '0' && ch <= '9') ||
		    ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')) || ++label > 63)
			break;
	}
	if (*p != '\0' || label == 0) {
		cli_error("bad domain \"%s\": use letters, digits, '-' and "
		    "non-empty labels separated by '.'", domain);
		return -1;
	}
	return 0;
}

int
cli_check_address(const char *address)
{
	const char *at = strrchr(address, '@'), *p;
	size_t len = strlen(address);

	if (at == NULL || at == address || len >= STORE_ADDRESS_MAX) {
		cli_error("bad address \"%s\": expected local@domain", address);
		return -1;
	}
	/* RFC 5321 4.5.3.1.1: a local part has at most 64 octets. */
	if (at - address > 64) {
		cli_error("bad address \"%s\": the local part is longer than "
		    "64 characters", address);
		return -1;
	}
	for (p = address; p < at; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= ' ' || ch == 0x7f || strchr("<>,\"()[]\\;:@", ch)) {
			cli_error("bad address \"%s\": character '%c' is not "
			    "allowed in the local part", address,
			    ch > ' ' && ch != 0x7f ? ch : '?');
			return -1;
		}
	}
	return cli_check_domain(at + 1);
}
