/*
 * imap_idle.c: IDLE (RFC 2177, RFC 9051 6.3.13).
 *
 * After "+ idling" the session reads lines instead of commands until
 * DONE. Changes to the selected mailbox are pushed at once: the store
 * watcher (imap_sync.c) posts to the loop and imap_session_notified()
 * calls imap_idle_push(), so a delivery shows up as EXISTS within
 * milliseconds. A "* OK Still here" every two minutes keeps NAT boxes and
 * clients (Thunderbird, K-9) content; the session's idle timeout
 * (imap_timeout, 30 minutes by default) still ends an IDLE nobody renews.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_core.h"
#include "net.h"
#include "util.h"

struct idle_keepalive {
	struct loop	*loop;
	uint64_t	 conn_id;
	unsigned	 gen;
};

static void	idle_keepalive_fire(void *arg);

/* Every two minutes, or twice per idle timeout when that is shorter. */
static unsigned
idle_keepalive_ms(const struct imap_session *s)
{
	uint64_t half = (uint64_t)imap_session_timeout(s) * 1000 / 2;

	if (half < 1000)
		half = 1000;
	return half < IMAP_IDLE_KEEPALIVE_MS ? (unsigned)half : IMAP_IDLE_KEEPALIVE_MS;
}

static void
idle_keepalive_schedule(struct imap_session *s)
{
	struct idle_keepalive *ka = xcalloc(1, sizeof(*ka));

	ka->loop = conn_loop(s->conn);
	ka->conn_id = s->id;
	ka->gen = s->idle_gen;
	loop_post_delayed(ka->loop, idle_keepalive_ms(s), idle_keepalive_fire, ka);
}

static void
idle_keepalive_fire(void *arg)
{
	struct idle_keepalive *ka = arg;
	struct conn *c = loop_find_conn(ka->loop, ka->conn_id);
	struct imap_session *s = c != NULL ? conn_session(c) : NULL;

	if (s != NULL && (s->flags & IMAP_SF_IDLE) && s->idle_gen == ka->gen) {
		imap_send_untagged(s, "OK Still here");
		idle_keepalive_schedule(s);
	}
	free(ka);
}

void
imap_idle_push(struct imap_session *s)
{
	if (s->state == IMAP_STATE_SELECTED)
		imap_sync(s, 0);
}

static int
idle_line(struct imap_session *s, const char *line, size_t len)
{
	struct imap_cmd *cmd = s->cmd;

	s->line_handler = NULL;
	s->flags &= ~IMAP_SF_IDLE;
	s->idle_gen++;
	if (line == NULL || len != 4 || strncasecmp(line, "DONE", 4) != 0)
		imap_send_tagged(cmd, "BAD", NULL, "Expected DONE.");
	else
		imap_send_tagged(cmd, "OK", NULL, "Idle completed.");
	imap_cmd_finish(cmd);
	return 0;
}

int
cmd_idle(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;

	if (cmd->n_args != 0) {
		imap_send_tagged(cmd, "BAD", NULL, "IDLE takes no arguments.");
		return 1;
	}
	imap_send_continuation(s, "idling");
	s->flags |= IMAP_SF_IDLE;
	s->idle_gen++;
	s->line_handler = idle_line;
	/* What happened before IDLE goes out now, not at the next change. */
	imap_idle_push(s);
	idle_keepalive_schedule(s);
	return 0;
}
