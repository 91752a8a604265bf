/*
 * imap_commands.c: the command registry and dispatch (RFC 3501 section 6,
 * RFC 9051 section 6, and the extensions' commands).
 *
 * Each entry names the handler, the states the command is valid in and
 * flags the core acts on: USES_MSN (no EXPUNGE responses before its reply
 * unless it came with UID, RFC 3501 7.4.1), UID_OK (may follow "UID"),
 * WRITES (refused in a mailbox opened with EXAMINE), NO_SYNC. The state
 * checks and the bookkeeping of the command in flight live here; what a
 * command does lives in its handler.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_core.h"
#include "imap_parser.h"
#include "log.h"
#include "net.h"

#define NA	IMAP_STATE_BIT(IMAP_STATE_NOT_AUTH)
#define AU	IMAP_STATE_BIT(IMAP_STATE_AUTH)
#define SE	IMAP_STATE_BIT(IMAP_STATE_SELECTED)
#define ANY	(NA | AU | SE)

static const struct imap_command commands[] = {
	/* any state (RFC 3501 6.1; ID per RFC 2971 also before login) */
	{ "CAPABILITY",		cmd_capability,	ANY, 0 },
	{ "NOOP",		cmd_noop,	ANY, 0 },
	{ "LOGOUT",		cmd_logout,	ANY, IMAP_CMDF_NO_SYNC },
	{ "ID",			cmd_id,		ANY, 0 },
	/* not authenticated (RFC 3501 6.2) */
	{ "STARTTLS",		cmd_starttls,	NA, IMAP_CMDF_NO_SYNC },
	{ "LOGIN",		cmd_login,	NA, 0 },
	{ "AUTHENTICATE",	cmd_authenticate, NA, 0 },
	/* authenticated (RFC 3501 6.3) */
	{ "ENABLE",		cmd_enable,	AU | SE, 0 },
	{ "SELECT",		cmd_select,	AU | SE, IMAP_CMDF_NO_SYNC },
	{ "EXAMINE",		cmd_select,	AU | SE, IMAP_CMDF_NO_SYNC },
	{ "CREATE",		cmd_create,	AU | SE, 0 },
	{ "DELETE",		cmd_delete,	AU | SE, 0 },
	{ "RENAME",		cmd_rename,	AU | SE, 0 },
	{ "SUBSCRIBE",		cmd_subscribe,	AU | SE, 0 },
	{ "UNSUBSCRIBE",	cmd_subscribe,	AU | SE, 0 },
	{ "LIST",		cmd_list,	AU | SE, 0 },
	{ "LSUB",		cmd_list,	AU | SE, 0 },
	{ "NAMESPACE",		cmd_namespace,	AU | SE, 0 },
	{ "STATUS",		cmd_status,	AU | SE, 0 },
	{ "APPEND",		cmd_append,	AU | SE, 0 },
	{ "IDLE",		cmd_idle,	AU | SE, 0 },
	/* selected (RFC 3501 6.4) */
	{ "CHECK",		cmd_noop,	SE, 0 },
	{ "CLOSE",		cmd_close,	SE, IMAP_CMDF_NO_SYNC },
	{ "UNSELECT",		cmd_close,	SE, IMAP_CMDF_NO_SYNC },
	{ "EXPUNGE",		cmd_expunge,	SE, IMAP_CMDF_UID_OK | IMAP_CMDF_WRITES },
	{ "SEARCH",		cmd_search,	SE, IMAP_CMDF_UID_OK | IMAP_CMDF_USES_MSN },
	{ "FETCH",		cmd_fetch,	SE, IMAP_CMDF_UID_OK | IMAP_CMDF_USES_MSN },
	{ "STORE",		cmd_store,	SE, IMAP_CMDF_UID_OK | IMAP_CMDF_USES_MSN | IMAP_CMDF_WRITES },
	{ "COPY",		cmd_copy,	SE, IMAP_CMDF_UID_OK | IMAP_CMDF_USES_MSN },
	{ "MOVE",		cmd_move,	SE, IMAP_CMDF_UID_OK | IMAP_CMDF_WRITES },
};

const struct imap_command *
imap_command_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Why a command is not valid in this state (RFC 3501: BAD). */
static const char *
state_refusal(const struct imap_session *s, const struct imap_command *def)
{
	if (s->state == IMAP_STATE_NOT_AUTH)
		return "Not logged in.";
	if (def->states == NA)
		return "Already logged in.";
	if (def->states == SE)
		return "No mailbox selected.";
	return "Command not valid in this state.";
}

void
imap_dispatch(struct imap_session *s, struct imap_cmd *cmd)
{
	const struct imap_command *def = imap_command_find(cmd->name);
	int done;

	cmd->s = s;
	cmd->def = def;
	s->cmd = cmd;
	s->flags |= IMAP_SF_DISPATCHING;
	if (def == NULL) {
		imap_send_tagged(cmd, "BAD", NULL, "Unknown command.");
		done = 1;
	} else if (cmd->uid && !(def->flags & IMAP_CMDF_UID_OK)) {
		imap_send_tagged(cmd, "BAD", NULL, "UID is not valid with %s.", def->name);
		done = 1;
	} else if (!(def->states & IMAP_STATE_BIT(s->state))) {
		imap_send_tagged(cmd, "BAD", NULL, "%s", state_refusal(s, def));
		done = 1;
	} else if ((def->flags & IMAP_CMDF_WRITES) && s->sel != NULL &&
	    s->sel->readonly) {
		/* RFC 3501 6.3.2: EXAMINE opens the mailbox read-only. */
		imap_send_tagged(cmd, "NO", "READ-ONLY", "Mailbox is read-only.");
		done = 1;
	} else
		done = def->fn(cmd);
	s->flags &= ~IMAP_SF_DISPATCHING;
	if (done)
		imap_cmd_finish(cmd);
}

void
imap_cmd_finish(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;

	if (cmd->ctx_free != NULL)
		cmd->ctx_free(cmd->ctx);
	imap_cmd_free_args(cmd);
	if (s->cmd == cmd)
		s->cmd = NULL;
	free(cmd);
	if (s->flags & IMAP_SF_CLOSED) {
		/* on_close ran while the command was pending. */
		imap_session_free(s);
		return;
	}
	if (s->flags & IMAP_SF_CLOSING)
		return;
	if (s->state == IMAP_STATE_LOGOUT)
		return;
	if (!(s->flags & IMAP_SF_DISPATCHING)) {
		/* Resume the input loop: pipelined commands may be buffered. */
		conn_resume_read(s->conn);
		conn_schedule_read(s->conn);
	}
}

int
imap_cmd_is_closed(const struct imap_cmd *cmd)
{
	return (cmd->s->flags & (IMAP_SF_CLOSED | IMAP_SF_CLOSING)) != 0;
}

void
imap_cmd_wait_output(struct imap_cmd *cmd, imap_cmd_fn resume)
{
	cmd->resume = resume;
	cmd->s->flags |= IMAP_SF_DRAINING;
}
