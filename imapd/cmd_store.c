/*
 * cmd_store.c: STORE and UID STORE (RFC 3501 6.4.6 / 6.4.8, RFC 7162
 * UNCHANGEDSINCE and [MODIFIED]).
 *
 * FLAGS / +FLAGS / -FLAGS [.SILENT] with system flags and keywords
 * (Thunderbird's $label1..5, $Forwarded, $Junk, $NotJunk, $MDNSent,
 * mutt's Old: any atom). One asynchronous store write changes every
 * message; when it is durable the command reads back the resulting flags,
 * updates the session's view (so imap_sync does not report them again)
 * and sends the untagged FETCH responses: FLAGS unless .SILENT, UID for
 * UID STORE, MODSEQ once CONDSTORE is on (RFC 7162 3.2: also for .SILENT).
 * \Recent cannot be stored (RFC 3501 2.3.2).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_msgset.h"
#include "log.h"
#include "net.h"
#include "store.h"
#include "util.h"

/* Keywords named in one STORE (the mailbox holds STORE_KEYWORDS_MAX). */
#define STORE_CMD_KEYWORDS_MAX	STORE_KEYWORDS_MAX
/* Past this many messages one store_message_list beats a read per message. */
#define STORE_RECORDS_BULK	32

enum store_mode {
	STORE_MODE_REPLACE,	/* FLAGS */
	STORE_MODE_ADD,		/* +FLAGS */
	STORE_MODE_REMOVE	/* -FLAGS */
};

struct store_ctx {
	struct imap_cmd		*cmd;
	struct conn		*conn;
	struct loop		*loop;
	enum store_mode		 mode;
	int			 silent;
	int			 unchangedsince_given;
	uint64_t		 unchangedsince;
	uint32_t		 flags;
	char			*keywords[STORE_CMD_KEYWORDS_MAX];
	size_t			 n_keywords;
	/* the messages, by MSN and UID, and what the store reports back */
	uint32_t		*msns;
	uint32_t		*uids;
	size_t			 n;
	uint64_t		*modseqs;
	uint32_t		*failed;
	size_t			 n_failed;
	int			 status;
	struct store_message	*records;	/* whole mailbox, when many changed */
	size_t			 n_records;
	int			 records_loaded;
};

static void	 store_ctx_free(void *arg);
static int	 store_parse_item(struct imap_cmd *cmd, struct store_ctx *ctx,
		    const struct imap_arg *a);
static int	 store_parse_flags(struct imap_cmd *cmd, struct store_ctx *ctx,
		    const struct imap_arg *a, size_t n);
static int	 store_parse_flag(struct imap_cmd *cmd, struct store_ctx *ctx,
		    const struct imap_arg *a);
static int	 store_parse_modifiers(struct imap_cmd *cmd, struct store_ctx *ctx,
		    const struct imap_arg *a);
static void	 store_written(void *arg, int status);
static void	 store_done(void *arg);
static void	 store_reply(struct imap_cmd *cmd, struct store_ctx *ctx);
static void	 store_update_view(struct imap_session *s, struct store_ctx *ctx,
		    size_t i, const struct store_message *m);
static int	 store_is_failed(const struct store_ctx *ctx, uint32_t uid);
static int	 store_uid_cmp(const void *a, const void *b);
static int	 store_record_cmp(const void *key, const void *elem);
static int	 store_record(struct imap_session *s, struct store_ctx *ctx,
		    uint32_t uid, struct store_message *m);
static int	 store_keyword_valid(const char *s, size_t len);

static void
store_ctx_free(void *arg)
{
	struct store_ctx *ctx = arg;
	size_t i;

	if (ctx == NULL)
		return;
	for (i = 0; i < ctx->n_keywords; i++)
		free(ctx->keywords[i]);
	free(ctx->msns);
	free(ctx->uids);
	free(ctx->modseqs);
	free(ctx->failed);
	free(ctx->records);
	free(ctx);
}

/* flag-keyword = atom: ATOM-CHARs, no '\' (RFC 3501 9). */
static int
store_keyword_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= STORE_KEYWORD_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f || strchr("(){%*\"\\]", ch) != NULL)
			return 0;
	}
	return 1;
}

static int
store_parse_flag(struct imap_cmd *cmd, struct store_ctx *ctx,
    const struct imap_arg *a)
{
	uint32_t bit;
	size_t i;

	if (a->type != IMAP_ARG_ATOM) {
		imap_send_tagged(cmd, "BAD", NULL, "Flags must be atoms.");
		return -1;
	}
	if (a->str[0] == '\\') {
		bit = imap_flag_from_name(a->str);
		if (bit == 0 || bit == STORE_FLAG_RECENT) {
			imap_send_tagged(cmd, "BAD", NULL, "Invalid system flag %.40s.",
			    a->str);
			return -1;
		}
		ctx->flags |= bit;
		return 0;
	}
	if (!store_keyword_valid(a->str, a->len)) {
		imap_send_tagged(cmd, "BAD", NULL, "Invalid keyword.");
		return -1;
	}
	for (i = 0; i < ctx->n_keywords; i++)
		if (strcasecmp(ctx->keywords[i], a->str) == 0)
			return 0;
	if (ctx->n_keywords >= STORE_CMD_KEYWORDS_MAX) {
		imap_send_tagged(cmd, "NO", "LIMIT", "Too many keywords.");
		return -1;
	}
	ctx->keywords[ctx->n_keywords++] = xstrndup(a->str, a->len);
	return 0;
}

/* flag-list = "(" [flag *(SP flag)] ")", or flags as separate arguments. */
static int
store_parse_flags(struct imap_cmd *cmd, struct store_ctx *ctx,
    const struct imap_arg *a, size_t n)
{
	size_t i;

	if (n == 1 && a[0].type == IMAP_ARG_LIST) {
		for (i = 0; i < a[0].list_n; i++)
			if (store_parse_flag(cmd, ctx, &a[0].list[i]) < 0)
				return -1;
		return 0;
	}
	for (i = 0; i < n; i++)
		if (store_parse_flag(cmd, ctx, &a[i]) < 0)
			return -1;
	return 0;
}

static int
store_parse_item(struct imap_cmd *cmd, struct store_ctx *ctx,
    const struct imap_arg *a)
{
	const char *p;

	if (a->type != IMAP_ARG_ATOM) {
		imap_send_tagged(cmd, "BAD", NULL, "Invalid STORE item.");
		return -1;
	}
	p = a->str;
	ctx->mode = STORE_MODE_REPLACE;
	if (*p == '+' || *p == '-') {
		ctx->mode = *p == '+' ? STORE_MODE_ADD : STORE_MODE_REMOVE;
		p++;
	}
	if (strcasecmp(p, "FLAGS.SILENT") == 0)
		ctx->silent = 1;
	else if (strcasecmp(p, "FLAGS") != 0) {
		imap_send_tagged(cmd, "BAD", NULL, "Invalid STORE item %.40s.", a->str);
		return -1;
	}
	return 0;
}

/* store-modifiers (RFC 4466 2.5): only UNCHANGEDSINCE (RFC 7162 3.1.3). */
static int
store_parse_modifiers(struct imap_cmd *cmd, struct store_ctx *ctx,
    const struct imap_arg *a)
{
	if (a->list_n != 2 || !imap_arg_atom_is(&a->list[0], "UNCHANGEDSINCE") ||
	    !imap_arg_number(&a->list[1], INT64_MAX, &ctx->unchangedsince)) {
		imap_send_tagged(cmd, "BAD", NULL, "Invalid STORE modifier.");
		return -1;
	}
	ctx->unchangedsince_given = 1;
	return 0;
}

int
cmd_store(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	struct imap_selected *sel = s->sel;
	struct store_flag_change fc;
	struct store_ctx *ctx;
	size_t argi = 1, i;

	if (cmd->n_args < 3) {
		imap_send_tagged(cmd, "BAD", NULL, "STORE needs a sequence set, an item and flags.");
		return 1;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	cmd->ctx = ctx;
	cmd->ctx_free = store_ctx_free;
	if (cmd->args[1].type == IMAP_ARG_LIST) {
		if (store_parse_modifiers(cmd, ctx, &cmd->args[1]) < 0)
			return 1;
		argi++;
	}
	if (argi + 2 > cmd->n_args) {
		imap_send_tagged(cmd, "BAD", NULL, "STORE needs an item and flags.");
		return 1;
	}
	if (store_parse_item(cmd, ctx, &cmd->args[argi]) < 0 ||
	    store_parse_flags(cmd, ctx, &cmd->args[argi + 1],
	    cmd->n_args - argi - 1) < 0)
		return 1;
	if (sel->readonly) {
		imap_send_tagged(cmd, "NO", "READ-ONLY", "Mailbox is read-only.");
		return 1;
	}
	if (imap_msgset_get(cmd, &cmd->args[0], &ctx->msns, &ctx->n, NULL) < 0)
		return 1;
	if (ctx->unchangedsince_given)
		imap_condstore_enable(s);
	ctx->uids = xreallocarray(NULL, ctx->n > 0 ? ctx->n : 1, sizeof(*ctx->uids));
	ctx->modseqs = xcalloc(ctx->n > 0 ? ctx->n : 1, sizeof(*ctx->modseqs));
	ctx->failed = xreallocarray(NULL, ctx->n > 0 ? ctx->n : 1, sizeof(*ctx->failed));
	for (i = 0; i < ctx->n; i++)
		ctx->uids[i] = sel->msgs[ctx->msns[i] - 1].uid;
	if (ctx->n == 0) {
		imap_send_tagged(cmd, "OK", NULL, "Store completed.");
		return 1;
	}
	/* RFC 7162 3.1.3: UNCHANGEDSINCE 0 fails for every message. */
	if (ctx->unchangedsince_given && ctx->unchangedsince == 0) {
		memcpy(ctx->failed, ctx->uids, ctx->n * sizeof(*ctx->uids));
		ctx->n_failed = ctx->n;
		store_reply(cmd, ctx);
		return 1;
	}
	memset(&fc, 0, sizeof(fc));
	fc.mailbox_id = sel->mailbox_id;
	fc.uids = ctx->uids;
	fc.n = ctx->n;
	switch (ctx->mode) {
	case STORE_MODE_REPLACE:
		fc.replace = 1;
		fc.set = ctx->flags;
		fc.set_keywords = (const char *const *)ctx->keywords;
		fc.n_set_keywords = ctx->n_keywords;
		break;
	case STORE_MODE_ADD:
		fc.set = ctx->flags;
		fc.set_keywords = (const char *const *)ctx->keywords;
		fc.n_set_keywords = ctx->n_keywords;
		break;
	case STORE_MODE_REMOVE:
		fc.clear = ctx->flags;
		fc.clear_keywords = (const char *const *)ctx->keywords;
		fc.n_clear_keywords = ctx->n_keywords;
		break;
	}
	fc.unchangedsince = ctx->unchangedsince_given ? ctx->unchangedsince : 0;
	fc.failed_uids_r = ctx->failed;
	fc.n_failed_r = &ctx->n_failed;
	fc.modseqs_r = ctx->modseqs;
	ctx->cmd = cmd;
	ctx->conn = s->conn;
	ctx->loop = conn_loop(s->conn);
	conn_ref(s->conn);
	store_flags_change(s->store, &fc, store_written, ctx);
	return 0;
}

/* Writer thread: back to the connection's loop. */
static void
store_written(void *arg, int status)
{
	struct store_ctx *ctx = arg;

	ctx->status = status;
	loop_post(ctx->loop, store_done, ctx);
}

static void
store_done(void *arg)
{
	struct store_ctx *ctx = arg;
	struct imap_cmd *cmd = ctx->cmd;
	struct conn *c = ctx->conn;

	if (!imap_cmd_is_closed(cmd)) {
		if (ctx->status == STORE_ELIMIT)
			imap_send_tagged(cmd, "NO", "LIMIT",
			    "Too many keywords in this mailbox.");
		else if (ctx->status != 0) {
			log_warn("imap: conn=%llu store: %s",
			    (unsigned long long)cmd->s->id, store_strerror(ctx->status));
			imap_send_tagged(cmd, "NO", "SERVERBUG",
			    "Cannot store flags, try again.");
		} else
			store_reply(cmd, ctx);
	}
	imap_cmd_finish(cmd);		/* frees ctx */
	conn_unref(c);
}

static int
store_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* ctx->failed is sorted by store_reply first. */
static int
store_is_failed(const struct store_ctx *ctx, uint32_t uid)
{
	return ctx->n_failed > 0 && bsearch(&uid, ctx->failed, ctx->n_failed,
	    sizeof(*ctx->failed), store_uid_cmp) != NULL;
}

static int
store_record_cmp(const void *key, const void *elem)
{
	uint32_t uid = *(const uint32_t *)key;
	const struct store_message *m = elem;

	return uid < m->uid ? -1 : uid > m->uid;
}

/*
 * The record of uid after the write: from one list of the mailbox when
 * many messages changed, else one read each. 0, or -1 when it is gone.
 */
static int
store_record(struct imap_session *s, struct store_ctx *ctx, uint32_t uid,
    struct store_message *m)
{
	const struct store_message *found;

	if (ctx->records_loaded) {
		found = bsearch(&uid, ctx->records, ctx->n_records,
		    sizeof(*ctx->records), store_record_cmp);
		if (found == NULL)
			return -1;
		*m = *found;
		return 0;
	}
	return store_message_get(s->store, s->sel->mailbox_id, uid, m) < 0 ? -1 : 0;
}

/* The view takes the store's flags; \Recent stays the session's own. */
static void
store_update_view(struct imap_session *s, struct store_ctx *ctx, size_t i,
    const struct store_message *m)
{
	struct imap_view_msg *v = &s->sel->msgs[ctx->msns[i] - 1];

	v->flags = (m->flags & ~STORE_FLAG_RECENT) | (v->flags & STORE_FLAG_RECENT);
	v->keywords = m->keywords;
	v->modseq = m->modseq;
}

static void
store_reply(struct imap_cmd *cmd, struct store_ctx *ctx)
{
	struct imap_session *s = cmd->s;
	struct imap_selected *sel = s->sel;
	int condstore = (s->enabled & IMAP_ENABLED_CONDSTORE) != 0;
	struct store_message m;
	char *code;
	size_t i;
	int r;

	/* New keywords must be in the view's table before they are shown. */
	if (ctx->n_keywords > 0)
		imap_keywords_refresh(s);
	if (ctx->n_failed > 1)
		qsort(ctx->failed, ctx->n_failed, sizeof(*ctx->failed), store_uid_cmp);
	if (ctx->n > STORE_RECORDS_BULK) {
		r = store_message_list(s->store, sel->mailbox_id, &ctx->records);
		if (r >= 0) {
			ctx->n_records = (size_t)r;
			ctx->records_loaded = 1;
		}
	}
	for (i = 0; i < ctx->n; i++) {
		struct imap_view_msg *v = &sel->msgs[ctx->msns[i] - 1];

		if (ctx->modseqs[i] == 0 || store_is_failed(ctx, ctx->uids[i]))
			continue;
		if (store_record(s, ctx, ctx->uids[i], &m) < 0)
			continue;	/* expunged meanwhile: imap_sync reports it */
		store_update_view(s, ctx, i, &m);
		if (ctx->silent && !condstore)
			continue;
		imap_out_printf(s, "* %lu FETCH (", (unsigned long)ctx->msns[i]);
		if (cmd->uid)
			imap_out_printf(s, "UID %lu ", (unsigned long)v->uid);
		if (!ctx->silent) {
			imap_out_write(s, "FLAGS ", 6);
			imap_out_flags(s, v->flags, v->keywords);
			if (condstore)
				imap_out_write(s, " ", 1);
		}
		if (condstore)
			imap_out_printf(s, "MODSEQ (%llu)", (unsigned long long)v->modseq);
		imap_out_write(s, ")", 1);
		imap_out_crlf(s);
	}
	if (ctx->n_failed > 0) {
		/* RFC 7162 3.1.3: [MODIFIED set] in MSNs, or UIDs for UID STORE. */
		uint32_t *list = xreallocarray(NULL, ctx->n_failed, sizeof(*list));
		size_t k = 0;
		char *set;

		for (i = 0; i < ctx->n; i++)
			if (store_is_failed(ctx, ctx->uids[i]))
				list[k++] = cmd->uid ? ctx->uids[i] : ctx->msns[i];
		set = imap_seqset_format_list(list, k);
		free(list);
		code = xmalloc(strlen(set) + 16);
		memcpy(code, "MODIFIED ", 9);
		memcpy(code + 9, set, strlen(set) + 1);
		imap_send_tagged(cmd, "OK", code, "Conditional STORE failed.");
		free(code);
		free(set);
		return;
	}
	imap_send_tagged(cmd, "OK", NULL, "Store completed.");
}
