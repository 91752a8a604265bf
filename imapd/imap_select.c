/*
 * imap_select.c: SELECT and EXAMINE (RFC 3501 6.3.1/6.3.2, RFC 9051,
 * RFC 7162 CONDSTORE/QRESYNC parameters), CLOSE and UNSELECT (RFC 3501
 * 6.4.2, RFC 3691), EXPUNGE and UID EXPUNGE (RFC 3501 6.4.3, RFC 4315).
 *
 * SELECT claims the mailbox's \Recent messages for this session (a store
 * write, so it completes asynchronously when there are any), then builds
 * the session's view from one message listing and reports it. The
 * untagged EXPUNGE responses of EXPUNGE come from imap_sync() before the
 * tagged OK, like every other change. This file does not report changes
 * after the SELECT; imap_sync.c does.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_core.h"
#include "imap_seqset.h"
#include "log.h"
#include "net.h"
#include "util.h"

struct select_params {
	int		 condstore;
	int		 qresync;
	uint32_t	 q_uidvalidity;
	uint64_t	 q_modseq;
	struct imap_seqset q_known;	/* known-uids, empty = all */
	int		 q_have_known;
};

struct select_job {
	struct conn		*conn;
	struct loop		*loop;
	struct imap_cmd		*cmd;
	struct store_mailbox	 mb;
	struct select_params	 params;
	uint32_t		*uids;		/* claimed \Recent */
	size_t			 n;
	int			 status;
};

struct expunge_job {
	struct conn		*conn;
	struct loop		*loop;
	struct imap_cmd		*cmd;
	uint32_t		*uids;
	size_t			 n;
	int			 status;
	int			 close;		/* CLOSE: unselect afterwards, silently */
};

static void	select_finish(struct imap_cmd *cmd, const struct store_mailbox *mb0,
		    struct select_params *params, const uint32_t *recent, size_t n_recent);

/* ---------------------------------------------------------- unselecting */

void
imap_unselect(struct imap_session *s)
{
	free(s->searchres);
	s->searchres = NULL;
	s->n_searchres = 0;
	if (s->sel == NULL)
		return;
	imap_watch_stop(s);
	imap_view_free(&s->sel);
	if (s->state == IMAP_STATE_SELECTED)
		imap_set_state(s, IMAP_STATE_AUTH);
}

/* -------------------------------------------------------------- params */

static int
parse_qresync(struct imap_session *s, const struct imap_arg *a,
    struct select_params *p, const char **why_r)
{
	uint64_t v;

	*why_r = "Invalid QRESYNC parameters.";
	if (!(s->enabled & IMAP_ENABLED_QRESYNC)) {
		*why_r = "QRESYNC is not enabled.";
		return -1;
	}
	if (a->type != IMAP_ARG_LIST || a->list_n < 2 || a->list_n > 4)
		return -1;
	if (!imap_arg_number(&a->list[0], UINT32_MAX, &v) || v == 0)
		return -1;
	p->q_uidvalidity = (uint32_t)v;
	if (!imap_arg_number(&a->list[1], INT64_MAX, &p->q_modseq) ||
	    p->q_modseq == 0)
		return -1;
	if (a->list_n >= 3 && a->list[2].type == IMAP_ARG_ATOM) {
		if (imap_seqset_parse(&p->q_known, a->list[2].str, a->list[2].len) !=
		    IMAP_SEQSET_OK)
			return -1;
		p->q_have_known = 1;
	} else if (a->list_n >= 3 && a->list[2].type != IMAP_ARG_LIST)
		return -1;
	/* seq-match-data only helps servers without an expunge log: ignored. */
	p->qresync = 1;
	return 0;
}

static int
parse_select_params(struct imap_session *s, const struct imap_arg *a,
    struct select_params *p, const char **why_r)
{
	size_t i;

	*why_r = "Invalid SELECT parameters.";
	if (a->type != IMAP_ARG_LIST)
		return -1;
	for (i = 0; i < a->list_n; i++) {
		if (imap_arg_atom_is(&a->list[i], "CONDSTORE"))
			p->condstore = 1;
		else if (imap_arg_atom_is(&a->list[i], "QRESYNC") &&
		    i + 1 < a->list_n) {
			if (parse_qresync(s, &a->list[++i], p, why_r) < 0)
				return -1;
		} else
			return -1;
	}
	return 0;
}

/* -------------------------------------------------------------- SELECT */

static void
select_job_done_loop(void *arg)
{
	struct select_job *job = arg;
	struct imap_cmd *cmd = job->cmd;
	struct conn *c = job->conn;

	if (!imap_cmd_is_closed(cmd)) {
		if (job->status < 0)
			log_warn("imap: conn=%llu cannot claim \\Recent: %s",
			    (unsigned long long)cmd->s->id, store_strerror(job->status));
		/* A failed claim only costs the client its \Recent flags. */
		select_finish(cmd, &job->mb, &job->params, job->uids,
		    job->status == 0 ? job->n : 0);
	}
	imap_seqset_free(&job->params.q_known);
	free(job->uids);
	free(job);
	imap_cmd_finish(cmd);
	conn_unref(c);
}

static void
select_claim_done(void *arg, int status)
{
	struct select_job *job = arg;

	job->status = status;
	loop_post(job->loop, select_job_done_loop, job);
}

int
cmd_select(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	int examine = strcmp(cmd->name, "EXAMINE") == 0;
	char name[STORE_MAILBOX_NAME_MAX];
	struct select_params params;
	struct store_mailbox mb;
	const char *why;
	int r;

	memset(&params, 0, sizeof(params));
	imap_seqset_init(&params.q_known);
	if (cmd->n_args < 1 || cmd->n_args > 2) {
		imap_send_tagged(cmd, "BAD", NULL, "%s wants a mailbox name.", cmd->name);
		return 1;
	}
	if (imap_mailbox_arg(s, &cmd->args[0], name, sizeof(name), &why) < 0) {
		imap_send_tagged(cmd, "NO", "CANNOT", "%s", why);
		return 1;
	}
	if (cmd->n_args == 2 &&
	    parse_select_params(s, &cmd->args[1], &params, &why) < 0) {
		imap_seqset_free(&params.q_known);
		imap_send_tagged(cmd, "BAD", NULL, "%s", why);
		return 1;
	}
	if (s->sel != NULL) {
		imap_unselect(s);
		/* RFC 7162 3.2.11 / RFC 9051 7.1: the old mailbox is closed now. */
		imap_send_untagged(s, "OK [CLOSED] Previous mailbox closed.");
	}
	r = store_mailbox_get(s->store, s->user.id, name, &mb);
	if (r < 0) {
		imap_seqset_free(&params.q_known);
		imap_send_store_error(cmd, r, cmd->name);
		return 1;
	}
	if (params.condstore || params.qresync)
		imap_condstore_enable(s);
	if (examine || mb.recent == 0) {
		select_finish(cmd, &mb, &params, NULL, 0);
		imap_seqset_free(&params.q_known);
		return 1;
	}
	{
		struct select_job *job = xcalloc(1, sizeof(*job));

		job->conn = s->conn;
		job->loop = conn_loop(s->conn);
		job->cmd = cmd;
		job->mb = mb;
		job->params = params;	/* takes q_known */
		conn_ref(s->conn);
		store_recent_claim(s->store, mb.id, &job->uids, &job->n,
		    select_claim_done, job);
	}
	return 0;
}

/* RFC 7162 3.2.5.1: what changed since the client's last session. */
static void
select_qresync(struct imap_session *s, const struct select_params *p)
{
	struct imap_selected *sel = s->sel;
	struct store_message *msgs = NULL;
	uint32_t *uids = NULL, *keep;
	uint32_t msn;
	int n, i, k = 0;

	if (p->q_uidvalidity != sel->uidvalidity)
		return;		/* the client must resync from scratch */
	n = store_expunged_since(s->store, sel->mailbox_id, p->q_modseq, &uids);
	if (n > 0) {
		keep = xreallocarray(NULL, (size_t)n, sizeof(*keep));
		for (i = 0; i < n; i++)
			if (!p->q_have_known ||
			    imap_seqset_contains(&p->q_known, uids[i]))
				keep[k++] = uids[i];
		if (k > 0) {
			char *set = imap_seqset_format_list(keep, (size_t)k);

			imap_send_untagged(s, "VANISHED (EARLIER) %s", set);
			free(set);
		}
		free(keep);
	}
	free(uids);
	n = store_message_list_changed(s->store, sel->mailbox_id, p->q_modseq, &msgs);
	for (i = 0; i < n; i++) {
		const struct imap_view_msg *v =
		    imap_view_find_uid(sel, msgs[i].uid, &msn);
		char flags[STORE_KEYWORDS_MAX * (STORE_KEYWORD_LEN + 1) + 128];

		if (v == NULL)
			continue;
		(void)imap_flags_format(s, v->flags, v->keywords, flags, sizeof(flags));
		imap_send_untagged(s, "%u FETCH (UID %u FLAGS %s MODSEQ (%llu))",
		    msn, v->uid, flags, (unsigned long long)v->modseq);
	}
	free(msgs);
}

static void
select_finish(struct imap_cmd *cmd, const struct store_mailbox *mb0,
    struct select_params *params, const uint32_t *recent, size_t n_recent)
{
	struct imap_session *s = cmd->s;
	int examine = strcmp(cmd->name, "EXAMINE") == 0;
	struct store_message *msgs = NULL;
	struct imap_selected *sel;
	struct store_mailbox mb;
	uint32_t i, unseen = 0;
	int n, r;

	/* Read the mailbox first, then its messages: the view is never ahead. */
	n = 0;
	r = store_mailbox_get_id(s->store, mb0->id, &mb);
	if (r == 0 && (n = store_message_list(s->store, mb.id, &msgs)) < 0)
		r = n;
	if (r < 0) {
		imap_send_store_error(cmd, r, cmd->name);
		return;
	}
	sel = xcalloc(1, sizeof(*sel));
	sel->mailbox_id = mb.id;
	str_copy(sel->name, mb.name, sizeof(sel->name));
	sel->readonly = examine;
	sel->uidvalidity = mb.uidvalidity;
	sel->uidnext = mb.uidnext;
	sel->highestmodseq = mb.highestmodseq;
	sel->expunge_modseq = mb.highestmodseq;
	sel->count = sel->alloc = (uint32_t)n;
	sel->msgs = xreallocarray(NULL, n > 0 ? (size_t)n : 1, sizeof(*sel->msgs));
	for (i = 0; i < (uint32_t)n; i++) {
		sel->msgs[i].uid = msgs[i].uid;
		sel->msgs[i].flags = msgs[i].flags & ~STORE_FLAG_RECENT;
		sel->msgs[i].keywords = msgs[i].keywords;
		sel->msgs[i].modseq = msgs[i].modseq;
		if (msgs[i].uid >= sel->uidnext)
			sel->uidnext = msgs[i].uid + 1;
		if (unseen == 0 && !(msgs[i].flags & STORE_FLAG_SEEN))
			unseen = i + 1;
	}
	free(msgs);
	s->sel = sel;
	imap_set_state(s, IMAP_STATE_SELECTED);
	imap_view_add_recent(sel, recent, n_recent);
	sel->recent_dirty = 0;
	imap_keywords_load(s);

	/* RFC 3501 6.3.1 (and 9051 6.3.2) untagged responses. */
	sel->n_keywords_told = -1;
	{
		int save_ro = sel->readonly;

		/* FLAGS, and PERMANENTFLAGS only when the client may change them. */
		imap_keywords_refresh(s);
		if (save_ro)
			imap_send_untagged(s, "OK [PERMANENTFLAGS ()] Read-only mailbox.");
	}
	imap_send_untagged(s, "%u EXISTS", sel->count);
	if (!(s->enabled & IMAP_ENABLED_REV2)) {
		imap_send_untagged(s, "%u RECENT", sel->recent);
		if (unseen > 0)
			imap_send_untagged(s, "OK [UNSEEN %u] First unseen.", unseen);
	}
	imap_send_untagged(s, "OK [UIDVALIDITY %u] UIDs valid.", sel->uidvalidity);
	imap_send_untagged(s, "OK [UIDNEXT %u] Predicted next UID.", sel->uidnext);
	imap_send_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest.",
	    (unsigned long long)sel->highestmodseq);
	if (params->qresync)
		select_qresync(s, params);
	imap_watch_start(s);
	imap_send_tagged(cmd, "OK", examine ? "READ-ONLY" : "READ-WRITE",
	    "%s completed.", examine ? "Examine" : "Select");
}

/* --------------------------------------------------------- CLOSE/UNSELECT */

static void
expunge_job_done_loop(void *arg)
{
	struct expunge_job *job = arg;
	struct imap_cmd *cmd = job->cmd;
	struct conn *c = job->conn;

	if (!imap_cmd_is_closed(cmd)) {
		if (job->close) {
			/* RFC 3501 6.4.2: no untagged EXPUNGE for CLOSE. */
			imap_unselect(cmd->s);
			if (job->status < 0)
				log_warn("imap: conn=%llu CLOSE expunge failed: %s",
				    (unsigned long long)cmd->s->id,
				    store_strerror(job->status));
			imap_send_tagged(cmd, "OK", NULL, "Close completed.");
		} else if (job->status < 0)
			imap_send_store_error(cmd, job->status, "EXPUNGE");
		else {
			char code[48];

			imap_sync(cmd->s, 0);
			code[0] = '\0';
			if ((cmd->s->enabled & IMAP_ENABLED_CONDSTORE) && cmd->s->sel != NULL)
				(void)str_format(code, sizeof(code), "HIGHESTMODSEQ %llu",
				    (unsigned long long)cmd->s->sel->highestmodseq);
			imap_send_tagged(cmd, "OK", code[0] ? code : NULL,
			    "Expunge completed.");
		}
	}
	free(job->uids);
	free(job);
	imap_cmd_finish(cmd);
	conn_unref(c);
}

static void
expunge_done(void *arg, int status)
{
	struct expunge_job *job = arg;

	job->status = status;
	loop_post(job->loop, expunge_job_done_loop, job);
}

static int
expunge_start(struct imap_cmd *cmd, uint32_t *uids, size_t n, int close)
{
	struct imap_session *s = cmd->s;
	struct expunge_job *job = xcalloc(1, sizeof(*job));

	job->conn = s->conn;
	job->loop = conn_loop(s->conn);
	job->cmd = cmd;
	job->uids = uids;
	job->n = n;
	job->close = close;
	conn_ref(s->conn);
	store_expunge(s->store, s->sel->mailbox_id, uids, n, expunge_done, job);
	return 0;
}

int
cmd_close(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	struct store_message *msgs = NULL;
	uint32_t *uids;
	size_t k = 0;
	int n, i;

	if (cmd->n_args != 0) {
		imap_send_tagged(cmd, "BAD", NULL, "%s takes no arguments.", cmd->name);
		return 1;
	}
	if (strcmp(cmd->name, "UNSELECT") == 0 || s->sel->readonly) {
		imap_unselect(s);
		imap_send_tagged(cmd, "OK", NULL, "%s completed.",
		    strcmp(cmd->name, "UNSELECT") == 0 ? "Unselect" : "Close");
		return 1;
	}
	/* Every \Deleted message of the mailbox, also those we were not told of. */
	n = store_message_list(s->store, s->sel->mailbox_id, &msgs);
	uids = xreallocarray(NULL, n > 0 ? (size_t)n : 1, sizeof(*uids));
	for (i = 0; i < n; i++)
		if (msgs[i].flags & STORE_FLAG_DELETED)
			uids[k++] = msgs[i].uid;
	free(msgs);
	if (k == 0) {
		free(uids);
		imap_unselect(s);
		imap_send_tagged(cmd, "OK", NULL, "Close completed.");
		return 1;
	}
	return expunge_start(cmd, uids, k, 1);
}

int
cmd_expunge(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	struct imap_selected *sel;
	struct imap_seqset set;
	uint32_t *uids, i;
	size_t k = 0;

	imap_seqset_init(&set);
	if (cmd->n_args != (cmd->uid ? 1u : 0u) ||
	    (cmd->uid && (cmd->args[0].type != IMAP_ARG_ATOM ||
	    imap_seqset_parse(&set, cmd->args[0].str, cmd->args[0].len) !=
	    IMAP_SEQSET_OK))) {
		imap_seqset_free(&set);
		imap_send_tagged(cmd, "BAD", NULL, cmd->uid ?
		    "UID EXPUNGE wants a UID set." : "EXPUNGE takes no arguments.");
		return 1;
	}
	/* The view first: \Deleted set by other sessions counts too. */
	imap_sync(s, 0);
	sel = s->sel;
	if (sel == NULL) {
		imap_seqset_free(&set);
		return 1;	/* the sync closed the session */
	}
	if (cmd->uid)
		imap_seqset_resolve(&set, sel->count > 0 ?
		    sel->msgs[sel->count - 1].uid : 0);
	uids = xreallocarray(NULL, sel->count > 0 ? sel->count : 1, sizeof(*uids));
	for (i = 0; i < sel->count; i++) {
		if (!(sel->msgs[i].flags & STORE_FLAG_DELETED))
			continue;
		if (cmd->uid && !imap_seqset_contains(&set, sel->msgs[i].uid))
			continue;
		uids[k++] = sel->msgs[i].uid;
	}
	imap_seqset_free(&set);
	if (k == 0) {
		free(uids);
		imap_send_tagged(cmd, "OK", NULL, "Expunge completed.");
		return 1;
	}
	return expunge_start(cmd, uids, k, 0);
}
