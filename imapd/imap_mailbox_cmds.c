/*
 * imap_mailbox_cmds.c: CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE
 * (RFC 3501 6.3.3-6.3.7).
 *
 * Each is one or more asynchronous store writes on the user's own tree
 * (names are checked by imap_mailbox_arg first). CREATE and RENAME create
 * missing parents as real mailboxes rather than \Noselect placeholders
 * (Outlook loses mail filed into those). The writes of one command are
 * queued together; the writer runs them in order, and the reply waits for
 * the last. LIST and STATUS are in their own files.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_core.h"
#include "log.h"
#include "net.h"
#include "util.h"

enum mbop_kind { MBOP_CREATE, MBOP_DELETE, MBOP_RENAME, MBOP_SUBSCRIBE };

/* One command's writes; lives on the session's loop. */
struct mbop_job {
	struct conn		*conn;
	struct loop		*loop;
	struct imap_cmd		*cmd;
	enum mbop_kind		 kind;
	int			 pending;	/* writes not yet back */
	int			 status;	/* of the final write */
	uint64_t		 mailbox_id;	/* DELETE: the mailbox removed */
	char			 name[STORE_MAILBOX_NAME_MAX];
	char			 new_name[STORE_MAILBOX_NAME_MAX];
};

/* One write's completion, posted from the writer thread. */
struct mbop_step {
	struct mbop_job		*job;
	int			 final;
	int			 status;
};

static void
mbop_reply(struct mbop_job *job)
{
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->s;
	struct imap_selected *sel = s->sel;

	if (job->status < 0) {
		imap_send_store_error(cmd, job->status, cmd->name);
		return;
	}
	switch (job->kind) {
	case MBOP_DELETE:
		if (sel != NULL && sel->mailbox_id == job->mailbox_id) {
			imap_unselect(s);
			imap_send_untagged(s, "OK [CLOSED] Selected mailbox deleted.");
		}
		break;
	case MBOP_RENAME:
		/* The selected mailbox (or an ancestor) got a new name. */
		if (sel != NULL && strcmp(job->name, "INBOX") != 0) {
			size_t ol = strlen(job->name);

			if (strncmp(sel->name, job->name, ol) == 0 &&
			    (sel->name[ol] == '\0' || sel->name[ol] == '/')) {
				char nn[STORE_MAILBOX_NAME_MAX];

				if (str_format(nn, sizeof(nn), "%s%s", job->new_name,
				    sel->name + ol) == 0)
					str_copy(sel->name, nn, sizeof(sel->name));
			}
		}
		break;
	default:
		break;
	}
	imap_send_tagged(cmd, "OK", NULL, "%s completed.", cmd->name);
}

static void
mbop_step_loop(void *arg)
{
	struct mbop_step *st = arg;
	struct mbop_job *job = st->job;
	struct imap_cmd *cmd = job->cmd;
	struct conn *c = job->conn;

	if (st->final)
		job->status = st->status;
	free(st);
	if (--job->pending > 0)
		return;
	if (!imap_cmd_is_closed(cmd))
		mbop_reply(job);
	free(job);
	imap_cmd_finish(cmd);
	conn_unref(c);
}

static void
mbop_step_done(void *arg, int status)
{
	struct mbop_step *st = arg;

	st->status = status;
	loop_post(st->job->loop, mbop_step_loop, st);
}

static struct mbop_step *
mbop_step(struct mbop_job *job, int final)
{
	struct mbop_step *st = xcalloc(1, sizeof(*st));

	st->job = job;
	st->final = final;
	job->pending++;
	return st;
}

static struct mbop_job *
mbop_new(struct imap_cmd *cmd, enum mbop_kind kind)
{
	struct mbop_job *job = xcalloc(1, sizeof(*job));

	job->conn = cmd->s->conn;
	job->loop = conn_loop(cmd->s->conn);
	job->cmd = cmd;
	job->kind = kind;
	conn_ref(job->conn);
	return job;
}

/* Queue creation of every missing ancestor of name (RFC 3501 6.3.3). */
static void
mbop_create_parents(struct imap_session *s, struct mbop_job *job, const char *name)
{
	char parent[STORE_MAILBOX_NAME_MAX];
	struct store_mailbox mb;
	const char *p;

	for (p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
		size_t n = (size_t)(p - name);

		memcpy(parent, name, n);
		parent[n] = '\0';
		if (store_mailbox_get(s->store, s->user.id, parent, &mb) == 0)
			continue;
		/* An EEXIST from a race is harmless: only the final status counts. */
		store_mailbox_create_async(s->store, s->user.id, parent,
		    SPECIAL_USE_NONE, 0, mbop_step_done, mbop_step(job, 0));
	}
}

/* A mailbox argument into a store name, or a tagged NO/BAD and -1. */
static int
mailbox_arg_or_reply(struct imap_cmd *cmd, const struct imap_arg *a,
    char *name, size_t size)
{
	const char *why;

	if (imap_mailbox_arg(cmd->s, a, name, size, &why) < 0) {
		if (imap_arg_astring(a, NULL) == NULL)
			imap_send_tagged(cmd, "BAD", NULL, "%s", why);
		else
			imap_send_tagged(cmd, "NO", "CANNOT", "%s", why);
		return -1;
	}
	return 0;
}

int
cmd_create(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	struct imap_arg a;
	struct mbop_job *job;
	char name[STORE_MAILBOX_NAME_MAX];
	struct store_mailbox mb;

	if (cmd->n_args < 1 || cmd->n_args > 2 || cmd->args[0].type == IMAP_ARG_LIST) {
		imap_send_tagged(cmd, "BAD", NULL, "CREATE wants a mailbox name.");
		return 1;
	}
	/* RFC 3501 6.3.3: a trailing delimiter only says children will follow. */
	a = cmd->args[0];
	if (a.len > 1 && a.str[a.len - 1] == '/')
		a.len--;
	{
		char tmp[STORE_MAILBOX_NAME_MAX * 4];

		if (a.len >= sizeof(tmp)) {
			imap_send_tagged(cmd, "NO", "CANNOT", "Mailbox name too long.");
			return 1;
		}
		memcpy(tmp, a.str, a.len);
		tmp[a.len] = '\0';
		a.str = tmp;
		if (mailbox_arg_or_reply(cmd, &a, name, sizeof(name)) < 0)
			return 1;
	}
	if (strcmp(name, "INBOX") == 0 ||
	    store_mailbox_get(s->store, s->user.id, name, &mb) == 0) {
		imap_send_tagged(cmd, "NO", "ALREADYEXISTS", "Mailbox already exists.");
		return 1;
	}
	job = mbop_new(cmd, MBOP_CREATE);
	mbop_create_parents(s, job, name);
	store_mailbox_create_async(s->store, s->user.id, name, SPECIAL_USE_NONE, 0,
	    mbop_step_done, mbop_step(job, 1));
	return 0;
}

int
cmd_delete(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	char name[STORE_MAILBOX_NAME_MAX];
	struct store_mailbox mb;
	struct mbop_job *job;
	int r;

	if (cmd->n_args != 1) {
		imap_send_tagged(cmd, "BAD", NULL, "DELETE wants a mailbox name.");
		return 1;
	}
	if (mailbox_arg_or_reply(cmd, &cmd->args[0], name, sizeof(name)) < 0)
		return 1;
	if (strcmp(name, "INBOX") == 0) {
		/* RFC 3501 6.3.4: deleting INBOX is an error. */
		imap_send_tagged(cmd, "NO", "CANNOT", "INBOX cannot be deleted.");
		return 1;
	}
	r = store_mailbox_get(s->store, s->user.id, name, &mb);
	if (r < 0) {
		imap_send_store_error(cmd, r, "DELETE");
		return 1;
	}
	job = mbop_new(cmd, MBOP_DELETE);
	job->mailbox_id = mb.id;
	store_mailbox_delete(s->store, s->user.id, name, mbop_step_done,
	    mbop_step(job, 1));
	return 0;
}

int
cmd_rename(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	char from[STORE_MAILBOX_NAME_MAX], to[STORE_MAILBOX_NAME_MAX];
	struct store_mailbox mb;
	struct mbop_job *job;
	size_t fl;
	int r;

	if (cmd->n_args != 2) {
		imap_send_tagged(cmd, "BAD", NULL, "RENAME wants two mailbox names.");
		return 1;
	}
	if (mailbox_arg_or_reply(cmd, &cmd->args[0], from, sizeof(from)) < 0 ||
	    mailbox_arg_or_reply(cmd, &cmd->args[1], to, sizeof(to)) < 0)
		return 1;
	fl = strlen(from);
	/* Not onto INBOX, itself or a child of itself (INBOX stays: RFC 3501 6.3.5). */
	if (strcmp(to, "INBOX") == 0 || strcmp(to, from) == 0 ||
	    (strcmp(from, "INBOX") != 0 && strncmp(to, from, fl) == 0 &&
	    to[fl] == '/')) {
		imap_send_tagged(cmd, "NO", "CANNOT", "Cannot rename a mailbox to that name.");
		return 1;
	}
	r = store_mailbox_get(s->store, s->user.id, from, &mb);
	if (r < 0) {
		imap_send_store_error(cmd, r, "RENAME");
		return 1;
	}
	if (store_mailbox_get(s->store, s->user.id, to, &mb) == 0) {
		imap_send_tagged(cmd, "NO", "ALREADYEXISTS", "Target mailbox already exists.");
		return 1;
	}
	job = mbop_new(cmd, MBOP_RENAME);
	str_copy(job->name, from, sizeof(job->name));
	str_copy(job->new_name, to, sizeof(job->new_name));
	mbop_create_parents(s, job, to);
	store_mailbox_rename(s->store, s->user.id, from, to, mbop_step_done,
	    mbop_step(job, 1));
	return 0;
}

int
cmd_subscribe(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	char name[STORE_MAILBOX_NAME_MAX];
	struct mbop_job *job;

	if (cmd->n_args != 1) {
		imap_send_tagged(cmd, "BAD", NULL, "%s wants a mailbox name.", cmd->name);
		return 1;
	}
	if (mailbox_arg_or_reply(cmd, &cmd->args[0], name, sizeof(name)) < 0)
		return 1;
	job = mbop_new(cmd, MBOP_SUBSCRIBE);
	store_subscribe(s->store, s->user.id, name,
	    strcmp(cmd->name, "SUBSCRIBE") == 0, mbop_step_done, mbop_step(job, 1));
	return 0;
}
