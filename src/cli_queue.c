/*
 * cli_queue.c: `posthorn queue list|show ID|retry [ID]|delete ID`, the
 * administrator's view of the outbound queue (store/ section "Outbound
 * queue"): what waits for which domain, how often it was tried and what
 * the remote servers answered; retry now, or drop an entry.
 *
 * It talks only to the store, like every CLI command: a retry sets the
 * entry's next attempt to now and the daemon's runner, which looks at the
 * queue at least every second, picks it up. It deliberately does not
 * deliver itself, and delete does not bounce (the administrator decided).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "store.h"
#include "util.h"

#define QUEUE_USAGE	"queue list | queue show ID | queue retry [ID] | " \
			"queue delete ID"
#define QUEUE_HEADER_MAX	(64 * 1024)	/* header bytes `show` prints */

static void	 queue_print_safe(const char *s, size_t len);
static void	 queue_time(char *buf, size_t len, int64_t t);
static void	 queue_duration(char *buf, size_t len, int64_t secs);
static const char *queue_state_name(int state);
static int	 queue_print_entry(void *arg, const struct store_queue_entry *e);
static void	 queue_print_header(struct cli *cli, uint64_t blob_id);
static int	 queue_parse_id(const char *arg, uint64_t *id_r);
static int	 queue_list(struct cli *cli);
static int	 queue_show(struct cli *cli, const char *arg);
static int	 queue_retry(struct cli *cli, const char *arg);
static int	 queue_delete(struct cli *cli, const char *arg);

/*
 * Replies and headers come from the network: control characters (other
 * than tab) become '?' so they cannot move a terminal's cursor. UTF-8
 * passes (addresses and replies may be SMTPUTF8).
 */
static void
queue_print_safe(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		putchar((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c);
	}
}

/* "2026-11-18 12:06:40 +0100" in local time (numeric: no locale names). */
static void
queue_time(char *buf, size_t len, int64_t t)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		(void)str_format(buf, len, "%" PRId64, t);
}

/* "2d 3h", "4h 5m", "6m 7s", "8s". */
static void
queue_duration(char *buf, size_t len, int64_t secs)
{
	int	rc;

	if (secs >= 86400)
		rc = str_format(buf, len, "%" PRId64 "d %" PRId64 "h",
		    secs / 86400, secs % 86400 / 3600);
	else if (secs >= 3600)
		rc = str_format(buf, len, "%" PRId64 "h %" PRId64 "m",
		    secs / 3600, secs % 3600 / 60);
	else if (secs >= 60)
		rc = str_format(buf, len, "%" PRId64 "m %" PRId64 "s",
		    secs / 60, secs % 60);
	else
		rc = str_format(buf, len, "%" PRId64 "s", secs);
	if (rc == -1 && len > 0)
		buf[0] = '\0';
}

static const char *
queue_state_name(int state)
{
	switch (state) {
	case STORE_QUEUE_PENDING:	return "pending";
	case STORE_QUEUE_DELIVERED:	return "delivered";
	case STORE_QUEUE_FAILED:	return "failed";
	default:			return "unknown";
	}
}

/* One entry as a block of "key: value" lines (arg: unused). */
static int
queue_print_entry(void *arg, const struct store_queue_entry *e)
{
	char	 t[64], d[64];
	int64_t	 now = (int64_t)time(NULL);
	size_t	 i;

	(void)arg;
	printf("id: %" PRIu64 "\n", e->id);
	queue_time(t, sizeof(t), e->created);
	queue_duration(d, sizeof(d), now > e->created ? now - e->created : 0);
	printf("arrival: %s (%s ago)\n", t, d);
	printf("size: %" PRIu64 "\n", e->size);
	fputs("sender: <", stdout);
	queue_print_safe(e->sender, strlen(e->sender));
	fputs(">\n", stdout);
	fputs("domain: ", stdout);
	queue_print_safe(e->domain, strlen(e->domain));
	putchar('\n');
	if (e->flags & (STORE_QUEUE_F_8BITMIME | STORE_QUEUE_F_SMTPUTF8 |
	    STORE_QUEUE_F_BOUNCE))
		printf("flags:%s%s%s\n",
		    e->flags & STORE_QUEUE_F_8BITMIME ? " 8BITMIME" : "",
		    e->flags & STORE_QUEUE_F_SMTPUTF8 ? " SMTPUTF8" : "",
		    e->flags & STORE_QUEUE_F_BOUNCE ? " bounce" : "");
	printf("attempts: %" PRIu32 "\n", e->attempts);
	if (e->last_attempt != 0) {
		queue_time(t, sizeof(t), e->last_attempt);
		printf("last attempt: %s\n", t);
	} else
		printf("last attempt: never\n");
	queue_time(t, sizeof(t), e->next_attempt);
	if (e->next_attempt <= now)
		printf("next attempt: %s (due)\n", t);
	else {
		queue_duration(d, sizeof(d), e->next_attempt - now);
		printf("next attempt: %s (in %s)\n", t, d);
	}
	for (i = 0; i < e->n_rcpts; i++) {
		const struct store_queue_rcpt	*r = &e->rcpts[i];

		fputs("recipient: <", stdout);
		queue_print_safe(r->address, strlen(r->address));
		printf("> %s\n", queue_state_name(r->state));
		if (r->reply[0] != '\0') {
			fputs("  reply: ", stdout);
			queue_print_safe(r->reply, strlen(r->reply));
			putchar('\n');
		}
	}
	return 0;
}

/* The message's header lines (up to the blank line), for `show`. */
static void
queue_print_header(struct cli *cli, uint64_t blob_id)
{
	char	*data = NULL;
	size_t	 len = 0, end, start;
	int	 rc;

	if ((rc = store_blob_read(cli->store, blob_id, &data, &len)) != 0) {
		printf("header: (message unreadable: %s)\n", store_strerror(rc));
		return;
	}
	printf("header:\n");
	for (start = 0; start < len && start < QUEUE_HEADER_MAX; start = end) {
		const char	*lf = memchr(data + start, '\n', len - start);
		size_t		 l;

		end = lf != NULL ? (size_t)(lf - data) + 1 : len;
		l = end - start;
		while (l > 0 && (data[start + l - 1] == '\n' ||
		    data[start + l - 1] == '\r'))
			l--;
		if (l == 0)
			break;		/* the blank line ending the header */
		fputs("  ", stdout);
		queue_print_safe(data + start, l);
		putchar('\n');
	}
	free(data);
}

static int
queue_parse_id(const char *arg, uint64_t *id_r)
{
	if (parse_uint(arg, 1, UINT64_MAX, id_r) == -1) {
		cli_error("bad queue id \"%s\" (a number, as queue list shows)",
		    arg);
		return -1;
	}
	return 0;
}

/* Blank line between entries: the callback of store_queue_list. */
static int
queue_list_cb(void *arg, const struct store_queue_entry *e)
{
	int	*n = arg;

	if ((*n)++ > 0)
		putchar('\n');
	return queue_print_entry(NULL, e);
}

static int
queue_list(struct cli *cli)
{
	int	n = 0, rc;

	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((rc = store_queue_list(cli->store, queue_list_cb, &n)) < 0) {
		cli_error("queue list: %s", store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	if (n == 0)
		printf("queue is empty\n");
	return CLI_EXIT_OK;
}

static int
queue_show(struct cli *cli, const char *arg)
{
	struct store_queue_entry	 e;
	uint64_t			 id;
	int				 rc;

	if (queue_parse_id(arg, &id) == -1 || cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((rc = store_queue_get(cli->store, id, &e)) != 0) {
		if (rc == STORE_ENOTFOUND)
			cli_error("no such queue entry: %" PRIu64, id);
		else
			cli_error("queue show %" PRIu64 ": %s", id,
			    store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	queue_print_entry(NULL, &e);
	queue_print_header(cli, e.blob_id);
	store_queue_entry_free(&e);
	return CLI_EXIT_OK;
}

static int
queue_retry(struct cli *cli, const char *arg)
{
	uint64_t	 id = 0, entries = 0, rcpts;
	int		 rc;

	if (arg != NULL && queue_parse_id(arg, &id) == -1)
		return CLI_EXIT_ERROR;
	if (cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if (id == 0 && (rc = store_queue_count(cli->store, &entries,
	    &rcpts)) < 0) {
		cli_error("queue retry: %s", store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	if ((rc = store_queue_retry_wait(cli->store, id,
	    (int64_t)time(NULL))) != 0) {
		if (rc == STORE_ENOTFOUND)
			cli_error("no such queue entry: %" PRIu64, id);
		else
			cli_error("queue retry: %s", store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	if (id != 0)
		entries = 1;
	printf("%" PRIu64 " %s scheduled for delivery now\n", entries,
	    entries == 1 ? "entry" : "entries");
	return CLI_EXIT_OK;
}

static int
queue_delete(struct cli *cli, const char *arg)
{
	uint64_t	 id;
	int		 rc;

	if (queue_parse_id(arg, &id) == -1 || cli_open_store(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((rc = store_queue_delete_wait(cli->store, id)) != 0) {
		if (rc == STORE_ENOTFOUND)
			cli_error("no such queue entry: %" PRIu64, id);
		else
			cli_error("queue delete %" PRIu64 ": %s", id,
			    store_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	printf("deleted queue entry %" PRIu64 " (no bounce sent)\n", id);
	return CLI_EXIT_OK;
}

int
cli_queue(struct cli *cli, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return queue_list(cli);
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return queue_show(cli, argv[2]);
	if ((argc == 2 || argc == 3) && strcmp(argv[1], "retry") == 0)
		return queue_retry(cli, argc == 3 ? argv[2] : NULL);
	if (argc == 3 && strcmp(argv[1], "delete") == 0)
		return queue_delete(cli, argv[2]);
	return cli_usage(QUEUE_USAGE);
}
