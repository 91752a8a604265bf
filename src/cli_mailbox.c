/*
 * cli_mailbox.c: `posthorn mailbox list ADDRESS`, a user's folders with
 * their message counts, unseen counts and sizes, as the store keeps them.
 *
 * Read-only: creating, renaming and deleting folders is the mail client's
 * business (IMAP); this is for an administrator answering "where is my
 * mail?".
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "util.h"

#define MAILBOX_USAGE	"mailbox list ADDRESS"

static const char *
cli_special_use_name(int special_use)
{
	switch (special_use) {
	case SPECIAL_USE_SENT:		return "\\Sent";
	case SPECIAL_USE_DRAFTS:	return "\\Drafts";
	case SPECIAL_USE_TRASH:		return "\\Trash";
	case SPECIAL_USE_JUNK:		return "\\Junk";
	case SPECIAL_USE_ARCHIVE:	return "\\Archive";
	case SPECIAL_USE_ALL:		return "\\All";
	case SPECIAL_USE_FLAGGED:	return "\\Flagged";
	default:			return "";
	}
}

static int
cli_mailbox_print(void *arg, const struct store_mailbox *mb)
{
	const char *use = cli_special_use_name(mb->special_use);

	(void)arg;
	printf("%-24s %8" PRIu32 " %8" PRIu32 " %12" PRIu64 "%s%s\n",
	    mb->name, mb->messages, mb->unseen, mb->size, *use ? "  " : "", use);
	return 0;
}

static int
cli_mailbox_list(struct cli *cli, const char *arg)
{
	char address[STORE_ADDRESS_MAX];
	struct store_user user;
	int rc;

	if (cli_check_address(arg) == -1)
		return CLI_EXIT_ERROR;
	str_copy(address, arg, sizeof(address));	/* checked: fits */
	str_lower(address);
	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((rc = store_user_lookup(cli->store, address, &user)) != STORE_OK) {
		if (rc == STORE_ENOTFOUND)
			cli_error("no such user: %s", address);
		else
			cli_error("mailbox list %s: %s", address,
			    store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	printf("%-24s %8s %8s %12s  %s\n", "MAILBOX", "MESSAGES", "UNSEEN",
	    "SIZE", "SPECIAL-USE");
	if ((rc = store_mailbox_list(cli->store, user.id, cli_mailbox_print,
	    NULL)) < 0) {
		cli_error("mailbox list %s: %s", address, store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	return CLI_EXIT_OK;
}

int
cli_mailbox(struct cli *cli, int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "list") == 0)
		return cli_mailbox_list(cli, argv[2]);
	return cli_usage(MAILBOX_USAGE);
}
