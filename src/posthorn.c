/*
 * posthorn.c: the admin CLI, `posthorn [-c FILE] COMMAND ...` (DESIGN.md
 * section 3). It parses the global options and dispatches through a table
 * to one function per command family (src/cli_<family>.c).
 *
 * It opens the same config and LMDB store as posthornd and may run while
 * the daemon does. Exit status: 0 on success, 1 on a user error with a
 * one-line message on stderr, 75 from `deliver` on a temporary failure.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc/posthorn"
#endif
#define DEFAULT_CONFIG	SYSCONFDIR "/posthorn.conf"

static const struct cli_command {
	const char	*name;
	cli_command_fn	 fn;
} cli_commands[] = {
	{ "domain",	cli_domain },
	{ "user",	cli_user },
	{ "alias",	cli_alias },
	{ "mailbox",	cli_mailbox },
	{ "deliver",	cli_deliver },
	{ "check",	cli_check },
	{ "cert",	cli_cert },
	{ "dkim",	cli_dkim },
	{ "dns",	cli_dns },
	{ "queue",	cli_queue },
};

static const char usage_text[] =
"usage: posthorn [-c FILE] COMMAND [ARGS...]\n"
"\n"
"  -c FILE   configuration file (default: " DEFAULT_CONFIG ")\n"
"\n"
"Commands:\n"
"  domain add DOMAIN             receive mail for DOMAIN\n"
"  domain del DOMAIN\n"
"  domain list\n"
"  user add ADDRESS              new user; password from stdin or prompted\n"
"  user passwd ADDRESS           change a user's password\n"
"  user del ADDRESS              delete a user and all of their mail\n"
"  user list\n"
"  alias add ADDRESS TARGET[,TARGET...]\n"
"                                forward ADDRESS to TARGETs; ADDRESS \"@DOMAIN\"\n"
"                                is the catch-all of DOMAIN\n"
"  alias del ADDRESS\n"
"  alias list\n"
"  mailbox list ADDRESS          folders with messages, unseen and size\n"
"  deliver [-f SENDER] ADDRESS... < MESSAGE\n"
"                                store a message from stdin (like an MDA)\n"
"  check                         validate the config and the store\n"
"  cert selfsigned HOSTNAME [--days N] [--rsa] [--force]\n"
"                                write a self-signed certificate and key to\n"
"                                tls_cert and tls_key\n"
"  dkim generate DOMAIN [SELECTOR]\n"
"  dkim verify < MESSAGE\n"
"                                create DOMAIN's DKIM keys (RSA and Ed25519)\n"
"                                and print their DNS records\n"
"  dns DOMAIN                    print every DNS record to publish for DOMAIN\n"
"  queue list                    the outbound queue: entries, recipients, replies\n"
"  queue show ID                 one entry with its message header\n"
"  queue retry [ID]              deliver one entry (or all) now\n"
"  queue delete ID               drop an entry without a bounce\n"
"  help                          this text\n"
"\n"
"Exit status: 0 success, 1 error, 75 temporary failure (deliver).\n";

/* A user error gets one line (DESIGN.md section 3); `help` has the rest. */
static int
usage_error(void)
{
	return cli_usage("[-c FILE] COMMAND [ARGS...] (posthorn help lists "
	    "the commands)");
}

int
main(int argc, char **argv)
{
	struct cli cli;
	size_t i;
	int ch, status;

	memset(&cli, 0, sizeof(cli));
	cli.config_path = DEFAULT_CONFIG;
	log_init("posthorn", LOG_LEVEL_WARN, 0);

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return CLI_EXIT_OK;
	}
	/* '+': stop at the command, whose own options (deliver -f) follow it. */
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			cli.config_path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		default:
			return usage_error();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return usage_error();
	if (strcmp(argv[0], "help") == 0) {
		fputs(usage_text, stdout);
		return CLI_EXIT_OK;
	}

	for (i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++)
		if (strcmp(argv[0], cli_commands[i].name) == 0)
			break;
	if (i == sizeof(cli_commands) / sizeof(cli_commands[0])) {
		cli_error("unknown command \"%s\" (try: posthorn help)", argv[0]);
		return CLI_EXIT_ERROR;
	}
	status = cli_commands[i].fn(&cli, argc, argv);
	cli_close(&cli);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		cli_error("writing output failed");
		if (status == CLI_EXIT_OK)
			status = CLI_EXIT_ERROR;
	}
	return status;
}
