/*
 * cmd_copy.c: COPY, MOVE and their UID forms (RFC 3501 6.4.7, RFC 6851
 * MOVE, RFC 4315 UIDPLUS COPYUID).
 *
 * One asynchronous store_copy() copies (or moves, atomically) every named
 * message; blobs are shared, flags and keywords kept. COPY answers
 * OK [COPYUID uidvalidity src dst]; MOVE sends the COPYUID in an untagged
 * OK first (RFC 6851 4.3) and the expunges of the moved messages follow
 * from imap_sync() before its tagged OK (MOVE is registered without the
 * USES_MSN deferral, so they are EXPUNGE or, with QRESYNC, VANISHED). A
 * destination that does not exist is NO [TRYCREATE] (RFC 3501 6.4.7).
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_msgset.h"
#include "log.h"
#include "net.h"
#include "store.h"
#include "util.h"

struct copy_ctx {
	struct imap_cmd		*cmd;
	struct conn		*conn;
	struct loop		*loop;
	int			 move;
	uint32_t		*uids;
	uint32_t		*new_uids;
	size_t			 n;
	uint32_t		 dst_uidvalidity;
	int			 status;
};

static int	 copy_common(struct imap_cmd *cmd, int move);
static void	 copy_ctx_free(void *arg);
static void	 copy_written(void *arg, int status);
static void	 copy_done(void *arg);
static void	 copy_reply(struct imap_cmd *cmd, struct copy_ctx *ctx);

int
cmd_copy(struct imap_cmd *cmd)
{
	return copy_common(cmd, 0);
}

int
cmd_move(struct imap_cmd *cmd)
{
	return copy_common(cmd, 1);
}

static void
copy_ctx_free(void *arg)
{
	struct copy_ctx *ctx = arg;

	if (ctx == NULL)
		return;
	free(ctx->uids);
	free(ctx->new_uids);
	free(ctx);
}

static int
copy_common(struct imap_cmd *cmd, int move)
{
	struct imap_session *s = cmd->s;
	struct imap_selected *sel = s->sel;
	char name[STORE_MAILBOX_NAME_MAX];
	struct store_mailbox mb;
	struct store_copy cp;
	struct copy_ctx *ctx;
	const char *why = NULL;
	uint32_t *msns;
	size_t i;
	int r;

	if (cmd->n_args != 2) {
		imap_send_tagged(cmd, "BAD", NULL, "%s needs a sequence set and a mailbox.",
		    move ? "MOVE" : "COPY");
		return 1;
	}
	if (imap_mailbox_arg(s, &cmd->args[1], name, sizeof(name), &why) < 0) {
		imap_send_tagged(cmd, "NO", NULL, "%s", why != NULL ? why : "Invalid mailbox name.");
		return 1;
	}
	if (move && sel->readonly) {
		imap_send_tagged(cmd, "NO", "READ-ONLY", "Mailbox is read-only.");
		return 1;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	cmd->ctx = ctx;
	cmd->ctx_free = copy_ctx_free;
	ctx->move = move;
	if (imap_msgset_get(cmd, &cmd->args[0], &msns, &ctx->n, NULL) < 0)
		return 1;
	r = store_mailbox_get(s->store, s->user.id, name, &mb);
	if (r == STORE_ENOTFOUND) {
		free(msns);
		imap_send_tagged(cmd, "NO", "TRYCREATE", "Mailbox does not exist.");
		return 1;
	}
	if (r < 0) {
		free(msns);
		imap_send_tagged(cmd, "NO", "SERVERBUG", "Cannot open the mailbox, try again.");
		return 1;
	}
	ctx->uids = xreallocarray(NULL, ctx->n > 0 ? ctx->n : 1, sizeof(*ctx->uids));
	ctx->new_uids = xcalloc(ctx->n > 0 ? ctx->n : 1, sizeof(*ctx->new_uids));
	for (i = 0; i < ctx->n; i++)
		ctx->uids[i] = sel->msgs[msns[i] - 1].uid;
	free(msns);
	if (ctx->n == 0) {
		/* RFC 3501 6.4.8: a UID set naming nothing is not an error. */
		imap_send_tagged(cmd, "OK", NULL, "No messages to %s.", move ? "move" : "copy");
		return 1;
	}
	memset(&cp, 0, sizeof(cp));
	cp.src_mailbox_id = sel->mailbox_id;
	cp.dst_mailbox_id = mb.id;
	cp.uids = ctx->uids;
	cp.n = ctx->n;
	cp.move = move;
	cp.new_uids_r = ctx->new_uids;
	cp.dst_uidvalidity_r = &ctx->dst_uidvalidity;
	ctx->cmd = cmd;
	ctx->conn = s->conn;
	ctx->loop = conn_loop(s->conn);
	conn_ref(s->conn);
	store_copy(s->store, &cp, copy_written, ctx);
	return 0;
}

static void
copy_written(void *arg, int status)
{
	struct copy_ctx *ctx = arg;

	ctx->status = status;
	loop_post(ctx->loop, copy_done, ctx);
}

static void
copy_done(void *arg)
{
	struct copy_ctx *ctx = arg;
	struct imap_cmd *cmd = ctx->cmd;
	struct conn *c = ctx->conn;

	if (!imap_cmd_is_closed(cmd)) {
		if (ctx->status == STORE_ENOTFOUND)
			imap_send_tagged(cmd, "NO", "TRYCREATE", "Mailbox does not exist.");
		else if (ctx->status == STORE_EFULL)
			imap_send_tagged(cmd, "NO", "OVERQUOTA", "Out of space, try again later.");
		else if (ctx->status == STORE_ELIMIT)
			imap_send_tagged(cmd, "NO", "LIMIT", "Too many keywords in the destination.");
		else if (ctx->status != 0) {
			log_warn("imap: conn=%llu %s: %s", (unsigned long long)cmd->s->id,
			    ctx->move ? "move" : "copy", store_strerror(ctx->status));
			imap_send_tagged(cmd, "NO", "SERVERBUG", "Cannot %s messages, try again.",
			    ctx->move ? "move" : "copy");
		} else
			copy_reply(cmd, ctx);
	}
	imap_cmd_finish(cmd);
	conn_unref(c);
}

/*
 * RFC 4315 3: COPYUID uidvalidity source-uids destination-uids, paired by
 * position; messages that vanished before the copy are left out of both.
 */
static void
copy_reply(struct imap_cmd *cmd, struct copy_ctx *ctx)
{
	uint32_t *src;
	char *src_set, *dst_set, *code;
	size_t i, k = 0, len;

	src = xreallocarray(NULL, ctx->n, sizeof(*src));
	for (i = 0; i < ctx->n; i++)
		if (ctx->new_uids[i] != 0) {
			src[k] = ctx->uids[i];
			ctx->new_uids[k] = ctx->new_uids[i];
			k++;
		}
	if (k == 0) {
		free(src);
		if (!cmd->uid)
			imap_send_tagged(cmd, "NO", "EXPUNGEISSUED",
			    "The messages no longer exist.");
		else
			imap_send_tagged(cmd, "OK", NULL, "No messages to %s.",
			    ctx->move ? "move" : "copy");
		return;
	}
	src_set = imap_seqset_format_list(src, k);
	dst_set = imap_seqset_format_list(ctx->new_uids, k);
	len = strlen(src_set) + strlen(dst_set) + 40;
	code = xmalloc(len);
	(void)str_format(code, len, "COPYUID %lu %s %s",
	    (unsigned long)ctx->dst_uidvalidity, src_set, dst_set);
	if (ctx->move) {
		/* RFC 6851 4.3: untagged, before the expunges. */
		imap_send_untagged(cmd->s, "OK [%s] Moved UIDs.", code);
		imap_send_tagged(cmd, "OK", NULL, "Move completed.");
	} else
		imap_send_tagged(cmd, "OK", code, "Copy completed.");
	free(code);
	free(src_set);
	free(dst_set);
	free(src);
}
