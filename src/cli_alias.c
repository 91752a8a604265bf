/*
 * cli_alias.c: `posthorn alias add|del|list`. An alias maps an address of a
 * local domain to one or more targets; "@domain" is the domain's catch-all,
 * used for any address of the domain that is no user and no alias.
 *
 * Targets are given as one comma-separated argument ("a@x,b@x") or as
 * several arguments, which are joined with commas. Whether a target exists
 * is not checked here: an alias may name a user created later, and the
 * store resolves aliases at delivery time.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "util.h"

#define ALIAS_USAGE	"alias add ADDRESS TARGET[,TARGET...] | alias del ADDRESS | alias list"
#define ALIAS_TARGETS_MAX	4096	/* bytes of the joined target list */

static int
cli_alias_print(void *arg, const char *address, const char *targets)
{
	(void)arg;
	printf("%s -> %s\n", address, targets);
	return 0;
}

static int
cli_alias_list(struct cli *cli)
{
	int rc;

	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((rc = store_alias_list(cli->store, cli_alias_print, NULL)) < 0) {
		cli_error("alias list: %s", store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	return CLI_EXIT_OK;
}

/* An alias address is local@domain or "@domain" (catch-all). */
static int
cli_alias_check(const char *address)
{
	if (address[0] == '@')
		return cli_check_domain(address + 1);
	return cli_check_address(address);
}

/*
 * Join argv into targets ("a@x,b@x"), checking each target's syntax.
 * 0, or -1 after printing why.
 */
static int
cli_alias_targets(int argc, char **argv, char *targets, size_t size)
{
	char one[STORE_ADDRESS_MAX];
	const char *p, *comma;
	int i;

	targets[0] = '\0';
	for (i = 0; i < argc; i++) {
		for (p = argv[i]; *p != '\0'; p = *comma ? comma + 1 : comma) {
			if ((comma = strchr(p, ',')) == NULL)
				comma = p + strlen(p);
			if (comma == p)
				continue;	/* "a,,b" or a trailing comma */
			if ((size_t)(comma - p) >= sizeof(one)) {
				cli_error("alias target too long: %.40s...", p);
				return -1;
			}
			memcpy(one, p, (size_t)(comma - p));
			one[comma - p] = '\0';
			str_trim(one);
			if (cli_check_address(one) == -1)
				return -1;
			if ((targets[0] != '\0' &&
			    str_append(targets, ",", size) >= size) ||
			    str_append(targets, one, size) >= size) {
				cli_error("alias target list too long (at most "
				    "%d bytes)", ALIAS_TARGETS_MAX - 1);
				return -1;
			}
		}
	}
	if (targets[0] == '\0') {
		cli_error("alias needs at least one target address");
		return -1;
	}
	return 0;
}

static int
cli_alias_add(struct cli *cli, int argc, char **argv)
{
	char address[STORE_ADDRESS_MAX], targets[ALIAS_TARGETS_MAX];
	const char *domain;
	int rc;

	if (cli_alias_check(argv[0]) == -1 ||
	    cli_alias_targets(argc - 1, argv + 1, targets, sizeof(targets)) == -1)
		return CLI_EXIT_ERROR;
	str_copy(address, argv[0], sizeof(address));	/* checked: fits */
	str_lower(address);
	str_lower(targets);
	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	domain = strrchr(address, '@') + 1;
	if ((rc = store_alias_add(cli->store, address, targets)) == STORE_OK)
		return CLI_EXIT_OK;
	if (rc == STORE_EEXIST)
		cli_error("%s already exists (as an alias or a user)", address);
	else if (rc == STORE_ENOTFOUND)
		cli_error("no such domain: %s (add it first: posthorn domain "
		    "add %s)", domain, domain);
	else
		cli_error("alias add %s: %s", address, store_strerror(rc));
	return CLI_EXIT_ERROR;
}

static int
cli_alias_del(struct cli *cli, const char *arg)
{
	char address[STORE_ADDRESS_MAX];
	int rc;

	if (cli_alias_check(arg) == -1)
		return CLI_EXIT_ERROR;
	str_copy(address, arg, sizeof(address));
	str_lower(address);
	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((rc = store_alias_del(cli->store, address)) == STORE_OK)
		return CLI_EXIT_OK;
	if (rc == STORE_ENOTFOUND)
		cli_error("no such alias: %s", address);
	else
		cli_error("alias del %s: %s", address, store_strerror(rc));
	return CLI_EXIT_ERROR;
}

int
cli_alias(struct cli *cli, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return cli_alias_list(cli);
	if (argc >= 4 && strcmp(argv[1], "add") == 0)
		return cli_alias_add(cli, argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "del") == 0)
		return cli_alias_del(cli, argv[2]);
	return cli_usage(ALIAS_USAGE);
}
