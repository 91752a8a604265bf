/*
 * cli_user.c: `posthorn user add|passwd|del|list`, the mail accounts.
 *
 * A password comes from stdin or the terminal (cli_password.c) and is
 * wiped from memory once the store has hashed it. The store creates the
 * user's default folders; this file does not know about mailboxes.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "util.h"

#define USER_USAGE	"user add|passwd|del ADDRESS | user list"

static int
cli_user_print(void *arg, const struct store_user *user)
{
	(void)arg;
	printf("%s\n", user->address);
	return 0;
}

static int
cli_user_list(struct cli *cli)
{
	int rc;

	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((rc = store_user_list(cli->store, cli_user_print, NULL)) < 0) {
		cli_error("user list: %s", store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	return CLI_EXIT_OK;
}

/* Print why a user command failed; returns the exit status. */
static int
cli_user_fail(const char *verb, const char *address, int rc)
{
	const char *at = strrchr(address, '@');

	if (rc == STORE_EEXIST)
		cli_error("%s already exists (as a user or an alias)", address);
	else if (rc == STORE_ENOTFOUND && strcmp(verb, "add") == 0)
		cli_error("no such domain: %s (add it first: posthorn domain "
		    "add %s)", at + 1, at + 1);
	else if (rc == STORE_ENOTFOUND)
		cli_error("no such user: %s", address);
	else
		cli_error("user %s %s: %s", verb, address, store_strerror(rc));
	return CLI_EXIT_ERROR;
}

/* user add / user passwd: both read a password, then hand it to the store. */
static int
cli_user_set_password(struct cli *cli, int add, const char *arg)
{
	char address[STORE_ADDRESS_MAX], password[CLI_PASSWORD_BUF];
	struct store_user user;
	int rc;

	if (cli_check_address(arg) == -1)
		return CLI_EXIT_ERROR;
	str_copy(address, arg, sizeof(address));	/* checked: fits */
	str_lower(address);
	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;

	/* Check first, so nobody types a password twice for nothing. */
	rc = store_user_lookup(cli->store, address, &user);
	if (add && rc == STORE_OK)
		return cli_user_fail("add", address, STORE_EEXIST);
	if (add && store_domain_exists(cli->store, strrchr(address, '@') + 1) == 0)
		return cli_user_fail("add", address, STORE_ENOTFOUND);
	if (!add && rc != STORE_OK)
		return cli_user_fail("passwd", address, rc);

	if (cli_read_password(password, sizeof(password)) == -1)
		return CLI_EXIT_ERROR;
	rc = add ? store_user_add(cli->store, address, password) :
	    store_user_passwd(cli->store, address, password);
	explicit_bzero(password, sizeof(password));
	if (rc != STORE_OK)
		return cli_user_fail(add ? "add" : "passwd", address, rc);
	return CLI_EXIT_OK;
}

static int
cli_user_del(struct cli *cli, const char *arg)
{
	char address[STORE_ADDRESS_MAX];
	int rc;

	if (cli_check_address(arg) == -1)
		return CLI_EXIT_ERROR;
	str_copy(address, arg, sizeof(address));
	str_lower(address);
	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((rc = store_user_del(cli->store, address)) != STORE_OK)
		return cli_user_fail("del", address, rc);
	return CLI_EXIT_OK;
}

int
cli_user(struct cli *cli, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return cli_user_list(cli);
	if (argc == 3 && strcmp(argv[1], "add") == 0)
		return cli_user_set_password(cli, 1, argv[2]);
	if (argc == 3 && strcmp(argv[1], "passwd") == 0)
		return cli_user_set_password(cli, 0, argv[2]);
	if (argc == 3 && strcmp(argv[1], "del") == 0)
		return cli_user_del(cli, argv[2]);
	return cli_usage(USER_USAGE);
}
