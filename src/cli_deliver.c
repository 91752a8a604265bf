/*
 * cli_deliver.c: `posthorn deliver [-f SENDER] ADDRESS... < message`, local
 * delivery from stdin like an MDA (for procmail-style pipes, cron mail,
 * imports and tests).
 *
 * The message is read whole, up to max_message_size. Line ends are made
 * CRLF (a bare LF or CR becomes CRLF: the store holds RFC 5322 text as it
 * goes over the wire), an mbox "From " separator line at the top is
 * dropped, and with -f a "Return-Path: <SENDER>" header is prepended (RFC
 * 5321 4.4). Each ADDRESS is resolved like an SMTP recipient, so aliases and
 * catch-alls work; the message is stored once for all resulting users and
 * the command returns only when it is durable.
 *
 * Exit status as an MDA's: 0 delivered, 1 refused for good (unknown user,
 * foreign domain, too big, bad usage), 75 (EX_TEMPFAIL) when the store could
 * not take it now and the caller should retry. It adds no Received header:
 * no network hop happened.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "store.h"
#include "util.h"

#define DELIVER_USAGE	"deliver [-f SENDER] ADDRESS... < MESSAGE"

/* The message being built, CRLF-normalized, with its limit. */
struct deliver_msg {
	char		*data;
	size_t		 len, cap;
	uint64_t	 max;		/* 0 = no limit */
	int		 too_big;
	int		 has_nul;
	int		 pending_cr;	/* last input byte was a CR */
};

static void
deliver_put(struct deliver_msg *m, const char *p, size_t n)
{
	if (m->too_big)
		return;
	if (m->max != 0 && (uint64_t)m->len + n > m->max) {
		m->too_big = 1;
		return;
	}
	if (m->len + n > m->cap) {
		while (m->len + n > m->cap)
			m->cap = m->cap ? m->cap * 2 : 64 * 1024;
		m->data = xrealloc(m->data, m->cap);
	}
	memcpy(m->data + m->len, p, n);
	m->len += n;
}

/* Feed raw input bytes; bare CR and bare LF become CRLF. */
static void
deliver_feed(struct deliver_msg *m, const char *p, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (m->pending_cr) {
			m->pending_cr = 0;
			deliver_put(m, "\r\n", 2);
			start = i;
			if (p[i] == '\n') {
				start = i + 1;
				continue;
			}
		}
		if (p[i] == '\r' || p[i] == '\n') {
			deliver_put(m, p + start, i - start);
			if (p[i] == '\r')
				m->pending_cr = 1;
			else
				deliver_put(m, "\r\n", 2);
			start = i + 1;
		} else if (p[i] == '\0')
			m->has_nul = 1;
	}
	deliver_put(m, p + start, n - start);
}

/* Read stdin to the end. 0, or -1 with errno on a read error. */
static int
deliver_read(struct deliver_msg *m)
{
	char buf[64 * 1024];
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		deliver_feed(m, buf, (size_t)n);
		if (m->too_big)
			return 0;	/* no need to read the rest */
	}
	if (m->pending_cr) {
		m->pending_cr = 0;
		deliver_put(m, "\r\n", 2);
	}
	/* The last line needs its line end too (RFC 5322 2.1: CRLF lines). */
	if (m->len > 0 && (m->len < 2 || m->data[m->len - 1] != '\n'))
		deliver_put(m, "\r\n", 2);
	return 0;
}

/* Drop an mbox "From sender date" separator: it is not a header field. */
static size_t
deliver_skip_mbox_from(const struct deliver_msg *m)
{
	const char *eol;

	if (m->len < 5 || memcmp(m->data, "From ", 5) != 0)
		return 0;
	if ((eol = memchr(m->data, '\n', m->len)) == NULL)
		return 0;
	return (size_t)(eol - m->data) + 1;
}

/* An envelope sender: empty (null sender) or an address without specials. */
static int
deliver_check_sender(const char *sender)
{
	const unsigned char *p;

	if (strlen(sender) >= STORE_ADDRESS_MAX) {
		cli_error("sender address too long");
		return -1;
	}
	for (p = (const unsigned char *)sender; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>') {
			cli_error("bad sender address \"%s\"", sender);
			return -1;
		}
	return 0;
}

/*
 * Resolve one recipient and add its users to ids (deduplicated).
 * Returns the exit status: 0 when found.
 */
static int
deliver_resolve(struct cli *cli, const char *arg, uint64_t *ids, size_t *n)
{
	char address[STORE_ADDRESS_MAX];
	char foreign[1][STORE_ADDRESS_MAX];
	uint64_t found[STORE_MAX_RCPT_USERS];
	size_t nfound = 0, nforeign = 0, i, j;
	int rc;

	if (cli_check_address(arg) == -1)
		return CLI_EXIT_ERROR;
	str_copy(address, arg, sizeof(address));	/* checked: fits */
	str_lower(address);
	rc = store_resolve_rcpt_targets(cli->store, address, found,
	    STORE_MAX_RCPT_USERS, &nfound, foreign, 1, &nforeign);
	/*
	 * An MDA stores; it does not relay. The daemon forwards an alias's
	 * targets elsewhere when the mail comes in over SMTP.
	 */
	if (rc == 0 && nforeign > 0 && nfound == 0) {
		cli_error("%s only forwards to other domains (%s...): deliver "
		    "stores mail for local users only", address, foreign[0]);
		return CLI_EXIT_ERROR;
	}
	if (rc == 0 && nforeign > 0)
		fprintf(stderr, "posthorn: note: %s also forwards to other "
		    "domains; deliver stores only the local copies\n", address);
	if (rc == 1) {
		cli_error("%s: %s is not a local domain (deliver only stores "
		    "mail for local users)", address, strrchr(address, '@') + 1);
		return CLI_EXIT_ERROR;
	}
	if (rc == STORE_ENOTFOUND) {
		cli_error("no such user or alias: %s", address);
		return CLI_EXIT_ERROR;
	}
	if (rc < 0) {
		cli_error("cannot resolve %s: %s", address, store_strerror(rc));
		return cli_store_temporary(rc) ? CLI_EXIT_TEMPFAIL :
		    CLI_EXIT_ERROR;
	}
	for (i = 0; i < nfound; i++) {
		for (j = 0; j < *n && ids[j] != found[i]; j++)
			;
		if (j < *n)
			continue;
		if (*n == STORE_MAX_RCPT_USERS) {
			cli_error("too many recipients (at most %d users)",
			    STORE_MAX_RCPT_USERS);
			return CLI_EXIT_ERROR;
		}
		ids[(*n)++] = found[i];
	}
	return CLI_EXIT_OK;
}

/* Read, build and store the message for the resolved users. */
static int
deliver_message(struct cli *cli, const char *sender, const uint64_t *ids,
    size_t n)
{
	struct deliver_msg m;
	struct store_delivery d;
	char *with_path = NULL;
	size_t skip, hdrlen = 0;
	int rc, status = CLI_EXIT_ERROR;

	memset(&m, 0, sizeof(m));
	if (sender != NULL)
		hdrlen = strlen("Return-Path: <>\r\n") + strlen(sender);
	m.max = cli->cfg.max_message_size;
	if (m.max != 0)		/* the header we add counts against the limit */
		m.max = m.max > hdrlen ? m.max - hdrlen : 1;
	if (deliver_read(&m) == -1) {
		cli_error("reading the message from stdin: %s", strerror(errno));
		status = CLI_EXIT_TEMPFAIL;
		goto done;
	}
	if (m.too_big) {
		cli_error("message too big (max_message_size is %" PRIu64
		    " bytes)", cli->cfg.max_message_size);
		goto done;
	}
	if (m.has_nul) {
		cli_error("message contains a NUL byte (not allowed in RFC 5322 "
		    "text; POP3 and IMAP clients choke on it)");
		goto done;
	}
	skip = deliver_skip_mbox_from(&m);
	if (m.len == skip) {
		cli_error("empty message on stdin");
		goto done;
	}

	memset(&d, 0, sizeof(d));
	d.user_ids = ids;
	d.n_users = n;
	d.data = m.data + skip;
	d.len = m.len - skip;
	if (sender != NULL) {
		with_path = xmalloc(hdrlen + 1 + d.len);
		if (str_format(with_path, hdrlen + 1, "Return-Path: <%s>\r\n",
		    sender) == -1)
			goto done;	/* cannot happen: hdrlen is exact */
		memcpy(with_path + hdrlen, d.data, d.len);
		d.data = with_path;
		d.len += hdrlen;
	}

	if ((rc = store_deliver_wait(cli->store, &d)) != STORE_OK) {
		cli_error("delivery failed: %s", store_strerror(rc));
		status = cli_store_temporary(rc) ? CLI_EXIT_TEMPFAIL :
		    CLI_EXIT_ERROR;
		goto done;
	}
	status = CLI_EXIT_OK;
done:
	free(with_path);
	free(m.data);
	return status;
}

int
cli_deliver(struct cli *cli, int argc, char **argv)
{
	char bare[STORE_ADDRESS_MAX];
	uint64_t *ids;
	const char *sender = NULL;
	size_t n = 0;
	int i = 1, status;

	if (i < argc && strncmp(argv[i], "-f", 2) == 0) {
		if (argv[i][2] != '\0')
			sender = argv[i] + 2;
		else if (i + 1 < argc)
			sender = argv[++i];
		else
			return cli_usage(DELIVER_USAGE);
		i++;
		/* "-f <>" and "-f <a@b>" are accepted as sendmail does. */
		if (sender[0] == '<' && sender[strlen(sender) - 1] == '>') {
			if (str_copy(bare, sender + 1, sizeof(bare)) >=
			    sizeof(bare)) {
				cli_error("sender address too long");
				return CLI_EXIT_ERROR;
			}
			bare[strlen(bare) - 1] = '\0';
			sender = bare;
		}
		if (deliver_check_sender(sender) == -1)
			return CLI_EXIT_ERROR;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc || argv[i][0] == '-')
		return cli_usage(DELIVER_USAGE);

	if (cli_load_config(cli) == -1)
		return CLI_EXIT_ERROR;
	if (cli_open_store(cli) == -1)
		return CLI_EXIT_TEMPFAIL;
	ids = xcalloc(STORE_MAX_RCPT_USERS, sizeof(*ids));
	for (status = CLI_EXIT_OK; i < argc && status == CLI_EXIT_OK; i++)
		status = deliver_resolve(cli, argv[i], ids, &n);
	if (status == CLI_EXIT_OK)
		status = deliver_message(cli, sender, ids, n);
	free(ids);
	return status;
}
