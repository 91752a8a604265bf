/*
 * cmd_fetch.c: FETCH and UID FETCH (RFC 3501 6.4.5 / 6.4.8, RFC 9051,
 * RFC 3516 BINARY, RFC 7162 CHANGEDSINCE and VANISHED).
 *
 * The command resolves the sequence set against the session's view (the
 * MSNs the client knows; "n:*" past the end still names the last message),
 * answers VANISHED (EARLIER) first when asked, then sets \Seen on the
 * messages a non-PEEK body item reads (one asynchronous store write for
 * all of them, before any response, so FLAGS in the responses are the new
 * ones), and then streams the responses (imap_fetch_output.c), pausing
 * while a worker parses a big message that has no cache yet. It does not
 * parse items (imap_fetch_parse.c) nor render structures (mime/).
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_fetch.h"
#include "imap_msgset.h"
#include "imap_seqset.h"
#include "log.h"
#include "net.h"
#include "store.h"
#include "util.h"

/* Past this many messages one store_message_list beats a read per message. */
#define FETCH_RECORDS_BULK	32

struct fetch_seen_job {
	struct imap_cmd		*cmd;
	struct conn		*conn;
	struct loop		*loop;
	uint32_t		*uids;
	uint64_t		*modseqs;
	size_t			 n;
	int			 status;
};

/* A big message's cache, built on a worker thread. */
struct fetch_build_job {
	struct imap_cmd		*cmd;
	struct conn		*conn;
};

static void	 fetch_ctx_free(void *arg);
static void	 fetch_build_work(void *arg);
static void	 fetch_build_done(void *arg);
static void	 fetch_targets(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx,
		    const uint32_t *msns, size_t n);
static void	 fetch_vanished(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx,
		    const struct imap_seqset *set);
static int	 fetch_start_seen(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx);
static void	 fetch_seen_written(void *arg, int status);
static void	 fetch_seen_done(void *arg);
static int	 fetch_run(struct imap_cmd *cmd);
static int	 fetch_preload_records(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx);

static void
fetch_ctx_free(void *arg)
{
	struct imap_fetch_ctx *ctx = arg;

	if (ctx == NULL)
		return;
	imap_fetch_message_end(ctx);
	imap_fetch_request_free(&ctx->req);
	free(ctx->t);
	free(ctx->records);
	free(ctx);
}

/*
 * The messages to answer, in MSN order (imap_msgset_get); CHANGEDSINCE
 * keeps those whose MODSEQ is higher (RFC 7162 3.1.4.1).
 */
static void
fetch_targets(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx,
    const uint32_t *msns, size_t n)
{
	struct imap_selected *sel = cmd->s->sel;
	size_t i;

	ctx->t = xreallocarray(NULL, n > 0 ? n : 1, sizeof(*ctx->t));
	ctx->n = 0;
	for (i = 0; i < n; i++) {
		const struct imap_view_msg *v = &sel->msgs[msns[i] - 1];

		if (ctx->req.changedsince_given && v->modseq <= ctx->req.changedsince)
			continue;
		ctx->t[ctx->n].uid = v->uid;
		ctx->t[ctx->n].msn = msns[i];
		ctx->t[ctx->n].flags_changed = 0;
		ctx->n++;
	}
}

/*
 * RFC 7162 3.2.6: UID FETCH ... (CHANGEDSINCE m VANISHED) first reports
 * the UIDs of the set expunged since m as VANISHED (EARLIER).
 */
static void
fetch_vanished(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx,
    const struct imap_seqset *set)
{
	struct imap_session *s = cmd->s;
	uint32_t *uids = NULL;
	char *list;
	int n, i, k = 0;

	n = store_expunged_since(s->store, s->sel->mailbox_id,
	    ctx->req.changedsince, &uids);
	if (n < 0) {
		log_warn("imap: conn=%llu expunged_since: %s",
		    (unsigned long long)s->id, store_strerror(n));
		return;
	}
	for (i = 0; i < n; i++)
		if (imap_seqset_contains(set, uids[i]))
			uids[k++] = uids[i];
	if (k > 0) {
		list = imap_seqset_format_list(uids, (size_t)k);
		imap_send_untagged(s, "VANISHED (EARLIER) %s", list);
		free(list);
	}
	free(uids);
}

/* One store_message_list for many messages instead of a read each. */
static int
fetch_preload_records(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx)
{
	struct imap_session *s = cmd->s;
	int n;

	if (!(ctx->req.needs & IMAP_FETCH_NEED_RECORD) || ctx->n < FETCH_RECORDS_BULK)
		return 0;
	n = store_message_list(s->store, s->sel->mailbox_id, &ctx->records);
	if (n < 0) {
		log_warn("imap: conn=%llu fetch message list: %s",
		    (unsigned long long)s->id, store_strerror(n));
		return -1;
	}
	ctx->n_records = (size_t)n;
	ctx->records_loaded = 1;
	return 0;
}

int
cmd_fetch(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	struct imap_fetch_ctx *ctx;
	struct imap_seqset set;
	uint32_t *msns;
	size_t n;
	char err[160];

	if (cmd->n_args < 2 || cmd->n_args > 3) {
		imap_send_tagged(cmd, "BAD", NULL, "FETCH needs a sequence set and items.");
		return 1;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	cmd->ctx = ctx;
	cmd->ctx_free = fetch_ctx_free;
	if (imap_fetch_parse(&cmd->args[1], cmd->n_args == 3 ? &cmd->args[2] : NULL,
	    &ctx->req, err, sizeof(err)) < 0) {
		imap_send_tagged(cmd, "BAD", NULL, "%s.", err);
		return 1;
	}
	if (ctx->req.vanished && (!cmd->uid || !(s->enabled & IMAP_ENABLED_QRESYNC))) {
		imap_send_tagged(cmd, "BAD", NULL,
		    "VANISHED needs UID FETCH and QRESYNC enabled.");
		return 1;
	}
	if (imap_msgset_get(cmd, &cmd->args[0], &msns, &n, &set) < 0)
		return 1;
	if (ctx->req.has_modseq || ctx->req.changedsince_given)
		imap_condstore_enable(s);
	ctx->uid_cmd = cmd->uid;
	ctx->condstore = (s->enabled & IMAP_ENABLED_CONDSTORE) != 0;
	fetch_targets(cmd, ctx, msns, n);
	free(msns);
	if (ctx->req.vanished)
		fetch_vanished(cmd, ctx, &set);
	imap_seqset_free(&set);
	if (fetch_preload_records(cmd, ctx) < 0) {
		imap_send_tagged(cmd, "NO", "SERVERBUG", "Cannot read the mailbox, try again.");
		return 1;
	}
	if (ctx->req.sets_seen && !s->sel->readonly && fetch_start_seen(cmd, ctx) == 0)
		return 0;
	return fetch_run(cmd);
}

/*
 * RFC 3501 6.4.5: BODY[...] without .PEEK sets \Seen. All messages that
 * lack it are changed in one store write before the responses go out.
 * Returns 0 when the write was started (fetch_seen_done continues), 1
 * when nothing needed changing.
 */
static int
fetch_start_seen(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx)
{
	struct imap_session *s = cmd->s;
	struct imap_selected *sel = s->sel;
	struct store_flag_change fc;
	struct fetch_seen_job *job;
	size_t i;

	job = xcalloc(1, sizeof(*job));
	job->uids = xreallocarray(NULL, ctx->n > 0 ? ctx->n : 1, sizeof(*job->uids));
	for (i = 0; i < ctx->n; i++) {
		uint32_t msn = ctx->t[i].msn;

		if ((sel->msgs[msn - 1].flags & STORE_FLAG_SEEN) == 0 &&
		    (sel->expunged == NULL || !sel->expunged[msn - 1]))
			job->uids[job->n++] = ctx->t[i].uid;
	}
	if (job->n == 0) {
		free(job->uids);
		free(job);
		return 1;
	}
	job->modseqs = xcalloc(job->n, sizeof(*job->modseqs));
	job->cmd = cmd;
	job->conn = s->conn;
	job->loop = conn_loop(s->conn);
	memset(&fc, 0, sizeof(fc));
	fc.mailbox_id = sel->mailbox_id;
	fc.uids = job->uids;
	fc.n = job->n;
	fc.set = STORE_FLAG_SEEN;
	fc.modseqs_r = job->modseqs;
	conn_ref(s->conn);
	store_flags_change(s->store, &fc, fetch_seen_written, job);
	return 0;
}

/* Writer thread: hand the result to the connection's loop. */
static void
fetch_seen_written(void *arg, int status)
{
	struct fetch_seen_job *job = arg;

	job->status = status;
	loop_post(job->loop, fetch_seen_done, job);
}

static void
fetch_seen_done(void *arg)
{
	struct fetch_seen_job *job = arg;
	struct imap_cmd *cmd = job->cmd;
	struct conn *c = job->conn;
	struct imap_fetch_ctx *ctx;
	struct imap_view_msg *v;
	uint32_t msn;
	size_t i, j;

	if (imap_cmd_is_closed(cmd)) {
		imap_cmd_finish(cmd);
		goto out;
	}
	ctx = cmd->ctx;
	if (job->status != 0) {
		/* The FETCH itself can still be answered; \Seen stays unset. */
		log_warn("imap: conn=%llu cannot set \\Seen: %s",
		    (unsigned long long)cmd->s->id, store_strerror(job->status));
	} else {
		for (i = 0, j = 0; i < job->n; i++) {
			if ((v = imap_view_find_uid(cmd->s->sel, job->uids[i], &msn)) == NULL)
				continue;
			if (job->modseqs[i] == 0)
				continue;	/* gone meanwhile */
			v->flags |= STORE_FLAG_SEEN;
			v->modseq = job->modseqs[i];
			/* targets are in MSN order, like uids */
			while (j < ctx->n && ctx->t[j].uid != job->uids[i])
				j++;
			if (j < ctx->n)
				ctx->t[j].flags_changed = 1;
		}
	}
	if (fetch_run(cmd))
		imap_cmd_finish(cmd);
out:
	conn_unref(c);
	free(job->uids);
	free(job->modseqs);
	free(job);
}

static void
fetch_build_work(void *arg)
{
	struct fetch_build_job *job = arg;

	imap_fetch_build_cache(job->cmd->ctx);
}

static void
fetch_build_done(void *arg)
{
	struct fetch_build_job *job = arg;
	struct imap_cmd *cmd = job->cmd;
	struct conn *c = job->conn;

	free(job);
	if (imap_cmd_is_closed(cmd) || fetch_run(cmd))
		imap_cmd_finish(cmd);
	conn_unref(c);
}

/*
 * Write responses; 1 when the tagged reply is out, 0 when waiting for the
 * output to drain (the core calls fetch_run again) or for a worker.
 */
static int
fetch_run(struct imap_cmd *cmd)
{
	struct imap_fetch_ctx *ctx = cmd->ctx;
	struct fetch_build_job *job;
	int r;

	r = imap_fetch_output(cmd, ctx);
	if (r == 0) {
		imap_cmd_wait_output(cmd, fetch_run);
		return 0;
	}
	if (r == IMAP_FETCH_OUTPUT_BUILD) {
		/* The session takes no command meanwhile: ctx is the worker's. */
		job = xcalloc(1, sizeof(*job));
		job->cmd = cmd;
		job->conn = cmd->s->conn;
		conn_ref(job->conn);
		worker_submit(conn_loop(job->conn), fetch_build_work,
		    fetch_build_done, job);
		return 0;
	}
	imap_fetch_message_end(ctx);
	if (ctx->failed)
		imap_send_tagged(cmd, "NO", "SERVERBUG", "Cannot read a message, try again.");
	else if (ctx->unknown_cte)
		imap_send_tagged(cmd, "NO", "UNKNOWN-CTE",
		    "Unknown Content-Transfer-Encoding.");
	else if (ctx->expunged && !cmd->uid)
		imap_send_tagged(cmd, "NO", "EXPUNGEISSUED",
		    "Some of the requested messages no longer exist.");
	else
		imap_send_tagged(cmd, "OK", NULL, "Fetch completed.");
	return 1;
}
