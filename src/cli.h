/*
 * cli.h: what the posthorn admin CLI's command families share.
 *
 * posthorn.c parses the global options and dispatches to one cli_<family>()
 * function per command family (cli_domain.c, cli_user.c, ...). Each returns
 * the process exit status. Errors are one line on stderr, "posthorn: ...",
 * printed with cli_error(); output meant for the administrator or a script
 * goes to stdout.
 *
 * The CLI opens the same LMDB store as the daemon (LMDB is multi-process);
 * it writes through the store API with the *_wait() calls, so a command
 * returns only after its change is durable.
 */
#ifndef POSTHORN_CLI_H
#define POSTHORN_CLI_H

#include <stddef.h>

#include "config.h"
#include "store.h"

/* Exit statuses (DESIGN.md section 3; 75 is sysexits.h EX_TEMPFAIL). */
#define CLI_EXIT_OK		0
#define CLI_EXIT_ERROR		1	/* user error, bad config, refused */
#define CLI_EXIT_TEMPFAIL	75	/* deliver: try again later, like an MDA */

#define CLI_PASSWORD_MAX	1024	/* bytes, without the line end */
#define CLI_PASSWORD_BUF	(CLI_PASSWORD_MAX + 3)	/* + CR LF NUL */

struct cli {
	const char	*config_path;
	struct config	 cfg;
	int		 cfg_loaded;
	struct store	*store;		/* opened by cli_open_store() */
	int		 dropped;	/* switched from root to cfg.user */
};

/* A command family: argv[0] is the family name ("user"). */
typedef int (*cli_command_fn)(struct cli *cli, int argc, char **argv);

int	 cli_domain(struct cli *cli, int argc, char **argv);
int	 cli_user(struct cli *cli, int argc, char **argv);
int	 cli_alias(struct cli *cli, int argc, char **argv);
int	 cli_mailbox(struct cli *cli, int argc, char **argv);
int	 cli_deliver(struct cli *cli, int argc, char **argv);
int	 cli_check(struct cli *cli, int argc, char **argv);
int	 cli_cert(struct cli *cli, int argc, char **argv);
int	 cli_dkim(struct cli *cli, int argc, char **argv);
int	 cli_dns(struct cli *cli, int argc, char **argv);
int	 cli_queue(struct cli *cli, int argc, char **argv);

/* ---- cli_common.c ---- */

/* "posthorn: <message>\n" on stderr. */
void	 cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "posthorn: usage: posthorn <usage>\n" on stderr; returns CLI_EXIT_ERROR. */
int	 cli_usage(const char *usage);

/* Load cli->config_path into cli->cfg. 0, or -1 after printing the error. */
int	 cli_load_config(struct cli *cli);
/*
 * Load the config (if not yet), drop root to the configured user (so files
 * the store creates belong to the daemon's user) and open the store.
 * 0, or -1 after printing the error.
 */
int	 cli_open_store(struct cli *cli);
/*
 * When running as root and cfg.user is set: create data_dir owned by that
 * user if it is missing, then switch to the user. 0, or -1 after printing
 * the error.
 */
int	 cli_drop_privileges(struct cli *cli);
void	 cli_close(struct cli *cli);

/* 1 when a STORE_E* code is a temporary condition (full disk, I/O). */
int	 cli_store_temporary(int err);

/*
 * Syntax checks before the store sees a name, so the administrator gets a
 * precise message. cli_check_domain: "example.org" (letters, digits, '-',
 * '.', no empty label). cli_check_address: "local@domain" with a non-empty
 * local part of printable ASCII or UTF-8 without spaces, '<', '>', ',' or
 * quotes. Each returns 0, or -1 after printing why.
 */
int	 cli_check_domain(const char *domain);
int	 cli_check_address(const char *address);

/* ---- cli_password.c ---- */

/*
 * Read a new password into buf (size bufsize, CLI_PASSWORD_BUF): from the terminal, prompted
 * twice without echo, when stdin is a terminal; otherwise the first line of
 * stdin without its line end. Refuses an empty password. 0, or -1 after
 * printing why. The caller wipes buf (explicit_bzero) when done.
 */
int	 cli_read_password(char *buf, size_t bufsize);

/* ---- cli_dkim.c ---- */

/*
 * Print the DKIM TXT records of DOMAIN's keys in data_dir/dkim (zone file
 * lines, long values split into 255-byte strings). Returns how many keys
 * were printed (0: none), or -1 after printing an error.
 */
int	 cli_dkim_print_records(const struct cli *cli, const char *domain);
/* Print `NAME TXT "..." "..."` with the value cut into 255-byte strings. */
void	 cli_print_txt(const char *name, const char *value);
/* The message on stdin, at most max bytes. NULL after printing why. */
char	*cli_dkim_read_stdin(uint64_t max, size_t *len_r);

/* ---- cli_dkim_verify.c: `posthorn dkim verify < MESSAGE` ---- */
int	 cli_dkim_verify(struct cli *cli);

#endif
