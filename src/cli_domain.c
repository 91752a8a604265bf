/*
 * cli_domain.c: `posthorn domain add|del|list`, the domains Posthorn
 * receives mail for. A domain must exist before its users and aliases.
 *
 * It only maps the store's answers to messages: the store refuses to
 * delete a domain that still has users or aliases (STORE_ENOTEMPTY).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "util.h"

#define DOMAIN_USAGE	"domain add|del DOMAIN | domain list"

static int
cli_domain_print(void *arg, const char *domain)
{
	(void)arg;
	printf("%s\n", domain);
	return 0;
}

static int
cli_domain_list(struct cli *cli)
{
	int rc;

	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((rc = store_domain_list(cli->store, cli_domain_print, NULL)) < 0) {
		cli_error("domain list: %s", store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	return CLI_EXIT_OK;
}

static int
cli_domain_change(struct cli *cli, int add, const char *domain)
{
	char name[CONFIG_HOST_MAX];
	int rc;

	if (cli_check_domain(domain) == -1)
		return CLI_EXIT_ERROR;
	str_copy(name, domain, sizeof(name));	/* checked: <= 253 bytes */
	str_lower(name);
	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	rc = add ? store_domain_add(cli->store, name) :
	    store_domain_del(cli->store, name);
	if (rc == STORE_OK)
		return CLI_EXIT_OK;
	if (rc == STORE_EEXIST)
		cli_error("domain %s already exists", name);
	else if (rc == STORE_ENOTEMPTY)
		cli_error("domain %s still has users or aliases; delete them "
		    "first (posthorn user list, posthorn alias list)", name);
	else if (rc == STORE_ENOTFOUND)
		cli_error("no such domain: %s", name);
	else
		cli_error("domain %s %s: %s", add ? "add" : "del", name,
		    store_strerror(rc));
	return CLI_EXIT_ERROR;
}

int
cli_domain(struct cli *cli, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return cli_domain_list(cli);
	if (argc == 3 && strcmp(argv[1], "add") == 0)
		return cli_domain_change(cli, 1, argv[2]);
	if (argc == 3 && strcmp(argv[1], "del") == 0)
		return cli_domain_change(cli, 0, argv[2]);
	return cli_usage(DOMAIN_USAGE);
}
