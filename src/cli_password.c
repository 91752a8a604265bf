/*
 * cli_password.c: read a new password for `posthorn user add|passwd`.
 *
 * From a terminal the password is asked for twice with echo turned off
 * (termios); the terminal is restored even when the user presses ^C. From
 * anything else (a pipe, a file, a test) the first line of stdin is the
 * password, its line end stripped, so scripts can do
 *     printf '%s\n' "$pw" | posthorn user add alice@example.org
 * It does not judge password strength; it only refuses an empty one.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static struct termios	saved_termios;
static volatile sig_atomic_t echo_off;

/* Restore the terminal, then die of the signal as we would have. */
static void
cli_password_signal(int sig)
{
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Read one line from fp into buf, without the line end. 0, 1 at end of file
 * with nothing read, -1 when longer than CLI_PASSWORD_MAX or bufsize allows.
 */
static int
cli_password_line(FILE *fp, char *buf, size_t bufsize)
{
	size_t len;

	if (fgets(buf, (int)bufsize, fp) == NULL)
		return 1;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (!feof(fp))
		return -1;
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	/* A NUL byte would silently cut the password. */
	if (strlen(buf) != len || len > CLI_PASSWORD_MAX)
		return -1;
	return 0;
}

/* Prompt and read one line with echo off. Same returns as above. */
static int
cli_password_prompt(const char *prompt, char *buf, size_t bufsize)
{
	struct termios noecho;
	struct sigaction sa, old_int, old_term, old_hup;
	int rc;

	if (tcgetattr(STDIN_FILENO, &saved_termios) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_password_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	noecho = saved_termios;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	noecho.c_lflag |= ECHONL;
	/* Echo off before the prompt: what is typed after it stays unseen. */
	echo_off = 1;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	fputs(prompt, stderr);
	fflush(stderr);
	rc = cli_password_line(stdin, buf, bufsize);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	echo_off = 0;

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return rc;
}

static int
cli_password_tty(char *buf, size_t bufsize)
{
	char again[CLI_PASSWORD_BUF];
	int rc, same;

	if ((rc = cli_password_prompt("New password: ", buf, bufsize)) != 0 ||
	    buf[0] == '\0')
		goto fail;
	if ((rc = cli_password_prompt("Retype password: ", again,
	    sizeof(again))) != 0)
		goto fail;
	same = strcmp(buf, again) == 0;
	explicit_bzero(again, sizeof(again));
	if (!same) {
		cli_error("passwords do not match");
		return -1;
	}
	return 0;
fail:
	explicit_bzero(again, sizeof(again));
	if (rc == -1)
		cli_error("password too long (at most %d bytes)",
		    CLI_PASSWORD_MAX);
	else
		cli_error("no password given");
	return -1;
}

int
cli_read_password(char *buf, size_t bufsize)
{
	int rc;

	buf[0] = '\0';
	if (isatty(STDIN_FILENO))
		return cli_password_tty(buf, bufsize);
	rc = cli_password_line(stdin, buf, bufsize);
	if (rc == -1) {
		cli_error("password on stdin too long (at most %d bytes) or "
		    "contains a NUL byte", CLI_PASSWORD_MAX);
		return -1;
	}
	if (rc == 1 || buf[0] == '\0') {
		cli_error("no password on stdin (expected it on the first line)");
		return -1;
	}
	return 0;
}
