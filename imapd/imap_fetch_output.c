/*
 * imap_fetch_output.c: writing the FETCH responses of a running FETCH,
 * one message at a time, with backpressure.
 *
 * For each message it loads only what the items need: nothing for
 * UID/FLAGS/MODSEQ (the session's view answers), the store record for
 * INTERNALDATE/RFC822.SIZE, the per-blob cache for ENVELOPE/BODY/
 * BODYSTRUCTURE and section lookups (built once with mime_cache_build and
 * stored when a message has none yet; a big message is parsed on a
 * worker), and the message bytes for BODY[...]/BINARY. Literals are streamed in chunks: once the output is
 * above IMAP_OUTPUT_HIGH the writer returns and continues from where it
 * stopped, so a slow client costs one message in memory and a bounded
 * output buffer. It does not decide which messages to answer or set
 * \Seen (cmd_fetch.c does).
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_fetch.h"
#include "log.h"
#include "mime.h"
#include "store.h"
#include "util.h"

#define FETCH_LITERAL_CHUNK	(64 * 1024)

/*
 * Virtual item indexes of one response: the implicit UID of UID FETCH
 * (RFC 3501 6.4.8), the requested items in order, then FLAGS and MODSEQ
 * when this FETCH set \Seen (RFC 3501 6.4.5: the changed flags SHOULD be
 * included; RFC 7162 3.2: with MODSEQ once CONDSTORE is on).
 */
#define FETCH_VITEM_UID		0
#define FETCH_VITEM_FIRST	1

static int	 fetch_record_cmp(const void *key, const void *elem);
static int	 fetch_message_begin(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx,
		    const struct imap_fetch_target *t);
static int	 fetch_load_record(struct imap_session *s, struct imap_fetch_ctx *ctx,
		    uint32_t uid);
static int	 fetch_load_blob(struct imap_session *s, struct imap_fetch_ctx *ctx);
static int	 fetch_load_cache(struct imap_session *s, struct imap_fetch_ctx *ctx);
static void	 fetch_cache_stored(void *arg, int status);
static int	 fetch_binary_ok(const struct imap_fetch_ctx *ctx);
static void	 fetch_write_item(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx,
		    const struct imap_fetch_target *t, size_t vitem);
static void	 fetch_write_section(struct imap_session *s, struct imap_fetch_ctx *ctx,
		    const struct imap_fetch_item *it);
static int	 fetch_literal_continue(struct imap_session *s, struct imap_fetch_ctx *ctx);
static void	 fetch_sep(struct imap_session *s, struct imap_fetch_ctx *ctx);

static int
fetch_record_cmp(const void *key, const void *elem)
{
	uint32_t uid = *(const uint32_t *)key;
	const struct store_message *m = elem;

	return uid < m->uid ? -1 : uid > m->uid ? 1 : 0;
}

/* 0, 1 when the message is gone, -1 on a store error. */
static int
fetch_load_record(struct imap_session *s, struct imap_fetch_ctx *ctx,
    uint32_t uid)
{
	int r;

	if (ctx->records_loaded) {
		ctx->rec = bsearch(&uid, ctx->records, ctx->n_records,
		    sizeof(*ctx->records), fetch_record_cmp);
		return ctx->rec == NULL ? 1 : 0;
	}
	ctx->rec_owned = xcalloc(1, sizeof(*ctx->rec_owned));
	r = store_message_get(s->store, s->sel->mailbox_id, uid, ctx->rec_owned);
	if (r == STORE_ENOTFOUND)
		return 1;
	if (r < 0) {
		log_warn("imap: conn=%llu fetch uid %lu: %s",
		    (unsigned long long)s->id, (unsigned long)uid, store_strerror(r));
		return -1;
	}
	ctx->rec = ctx->rec_owned;
	return 0;
}

static int
fetch_load_blob(struct imap_session *s, struct imap_fetch_ctx *ctx)
{
	int r;

	if (ctx->blob != NULL)
		return 0;
	r = store_blob_read(s->store, ctx->rec->blob_id, &ctx->blob, &ctx->blob_len);
	if (r == STORE_ENOTFOUND)
		return 1;
	if (r < 0) {
		log_warn("imap: conn=%llu fetch blob of uid %lu: %s",
		    (unsigned long long)s->id, (unsigned long)ctx->rec->uid,
		    store_strerror(r));
		return -1;
	}
	return 0;
}

/* The store copies or keeps what it was given; our copy is freed here. */
static void
fetch_cache_stored(void *arg, int status)
{
	free(arg);
	(void)status;
}

/*
 * The per-blob cache: read it, or build it from the message and store it
 * so the next FETCH finds it. A cache that does not describe this blob
 * (length mismatch, other version) is rebuilt. A big message is parsed on
 * a worker thread (DESIGN: large MIME parses leave the loop): then this
 * returns IMAP_FETCH_OUTPUT_BUILD and is called again once
 * imap_fetch_build_cache() has filled ctx->cache.
 */
static int
fetch_load_cache(struct imap_session *s, struct imap_fetch_ctx *ctx)
{
	char *copy;
	int r;

	if (ctx->have_cv || ctx->parsed != NULL)
		return 0;
	if (ctx->cache == NULL) {
		r = store_blob_cache_get(s->store, ctx->rec->blob_id, &ctx->cache,
		    &ctx->cache_len);
		if (r == 0) {
			if (mime_cache_open(ctx->cache, ctx->cache_len, &ctx->cv) == 0) {
				if (ctx->cv.msg_len == ctx->rec->size) {
					ctx->have_cv = 1;
					ctx->root = ctx->cv.root;
					return 0;
				}
				mime_cache_close(&ctx->cv);
			}
			free(ctx->cache);
			ctx->cache = NULL;
		} else if (r != STORE_ENOTFOUND) {
			log_warn("imap: conn=%llu cache of uid %lu: %s",
			    (unsigned long long)s->id, (unsigned long)ctx->rec->uid,
			    store_strerror(r));
		}
		if ((r = fetch_load_blob(s, ctx)) != 0)
			return r;
		if (ctx->blob_len > IMAP_FETCH_PARSE_INLINE_MAX)
			return IMAP_FETCH_OUTPUT_BUILD;
		imap_fetch_build_cache(ctx);
	}
	/* A fresh cache, built here or by a worker. */
	if (ctx->cache == NULL ||
	    mime_cache_open(ctx->cache, ctx->cache_len, &ctx->cv) < 0) {
		/* Cannot happen for sane sizes; answer from a full parse. */
		free(ctx->cache);
		ctx->cache = NULL;
		if (mime_parse(ctx->blob, ctx->blob_len, &ctx->parsed) < 0)
			return -1;
		ctx->root = ctx->parsed;
		return 0;
	}
	ctx->have_cv = 1;
	ctx->root = ctx->cv.root;
	/* Not a change of the mailbox: EXAMINE adds it too. */
	copy = xmalloc(ctx->cache_len);
	memcpy(copy, ctx->cache, ctx->cache_len);
	store_blob_cache_set(s->store, ctx->rec->blob_id, copy, ctx->cache_len,
	    fetch_cache_stored, copy);
	return 0;
}

void
imap_fetch_build_cache(struct imap_fetch_ctx *ctx)
{
	if (mime_cache_build(ctx->blob, ctx->blob_len, &ctx->cache,
	    &ctx->cache_len) < 0) {
		ctx->cache = NULL;
		ctx->cache_len = 0;
	}
}

/*
 * RFC 3516 4.3: BINARY of a part whose Content-Transfer-Encoding we do not
 * know is answered NO [UNKNOWN-CTE]; checked before the response starts.
 */
static int
fetch_binary_ok(const struct imap_fetch_ctx *ctx)
{
	const struct mime_part *p;
	size_t i;

	for (i = 0; i < ctx->req.n; i++) {
		const struct imap_fetch_item *it = &ctx->req.items[i];

		if (it->type != IMAP_FETCH_BINARY && it->type != IMAP_FETCH_BINARY_SIZE)
			continue;
		if (it->part[0] == '\0' || ctx->root == NULL)
			continue;
		p = mime_part_find(ctx->root, it->part);
		if (p != NULL && p->kind != MIME_KIND_MULTIPART &&
		    p->kind != MIME_KIND_MESSAGE && p->encoding == MIME_ENC_UNKNOWN)
			return 0;
	}
	return 1;
}

/*
 * Load what the items need; called again after a worker built the cache,
 * so it loads only what is missing. 0 ready, 1 skip (gone or unknown
 * CTE), -1 store error, IMAP_FETCH_OUTPUT_BUILD (parse on a worker).
 */
static int
fetch_message_begin(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx,
    const struct imap_fetch_target *t)
{
	struct imap_session *s = cmd->s;
	unsigned needs = ctx->req.needs;
	int r;

	if ((needs & IMAP_FETCH_NEED_RECORD) && ctx->rec == NULL) {
		if ((r = fetch_load_record(s, ctx, t->uid)) != 0)
			goto out;
	}
	if (needs & IMAP_FETCH_NEED_CACHE) {
		if ((r = fetch_load_cache(s, ctx)) == IMAP_FETCH_OUTPUT_BUILD)
			return r;
		if (r != 0)
			goto out;
		if (!fetch_binary_ok(ctx)) {
			ctx->unknown_cte = 1;
			r = 1;
			goto out;
		}
	}
	if (needs & IMAP_FETCH_NEED_BLOB) {
		if ((r = fetch_load_blob(s, ctx)) != 0)
			goto out;
	}
	return 0;
out:
	if (r > 0 && !ctx->unknown_cte)
		ctx->expunged = 1;
	imap_fetch_message_end(ctx);
	return r;
}

void
imap_fetch_message_end(struct imap_fetch_ctx *ctx)
{
	free(ctx->rec_owned);
	ctx->rec_owned = NULL;
	ctx->rec = NULL;
	free(ctx->blob);
	ctx->blob = NULL;
	ctx->blob_len = 0;
	if (ctx->have_cv)
		mime_cache_close(&ctx->cv);
	ctx->have_cv = 0;
	free(ctx->cache);
	ctx->cache = NULL;
	mime_free(&ctx->parsed);
	ctx->root = NULL;
	free(ctx->lit_owned);
	ctx->lit_owned = NULL;
	ctx->lit = NULL;
	ctx->lit_len = ctx->lit_off = 0;
}

static void
fetch_sep(struct imap_session *s, struct imap_fetch_ctx *ctx)
{
	if (ctx->space)
		imap_out_write(s, " ", 1);
	ctx->space = 1;
}

/* BODY[...]<origin> / BINARY[...] / RFC822*: the name, then the literal. */
static void
fetch_write_section(struct imap_session *s, struct imap_fetch_ctx *ctx,
    const struct imap_fetch_item *it)
{
	const char *data;
	size_t len, off, n;
	char *owned;
	int r;

	r = imap_fetch_section_data(it, ctx->blob, ctx->blob_len, ctx->root,
	    &data, &len, &owned);
	if (it->type == IMAP_FETCH_BINARY_SIZE) {
		/* RFC 3516 4.2: the decoded size (of what exists). */
		imap_out_printf(s, "%s %zu", it->name, r == 0 ? len : (size_t)0);
		free(owned);
		return;
	}
	imap_out_printf(s, "%s", it->name);
	if (it->partial)
		imap_out_printf(s, "<%llu>", (unsigned long long)it->offset);
	if (r != 0) {
		/* No such part: Dovecot answers NIL too. */
		imap_out_write(s, " NIL", 4);
		free(owned);
		return;
	}
	imap_fetch_partial(it, len, &off, &n);
	/*
	 * RFC 3516 4.2: BINARY content with NUL bytes goes as literal8; a
	 * plain literal cannot carry NUL (RFC 3501 9 CHAR8).
	 */
	if (it->type == IMAP_FETCH_BINARY && memchr(data + off, '\0', n) != NULL)
		imap_out_printf(s, " ~{%zu}\r\n", n);
	else
		imap_out_printf(s, " {%zu}\r\n", n);
	ctx->lit = data + off;
	ctx->lit_len = n;
	ctx->lit_off = 0;
	ctx->lit_owned = owned;
}

/* 1 when the literal is out, 0 when the output filled up first. */
static int
fetch_literal_continue(struct imap_session *s, struct imap_fetch_ctx *ctx)
{
	while (ctx->lit_off < ctx->lit_len) {
		size_t n = ctx->lit_len - ctx->lit_off;

		if (n > FETCH_LITERAL_CHUNK)
			n = FETCH_LITERAL_CHUNK;
		imap_out_write(s, ctx->lit + ctx->lit_off, n);
		ctx->lit_off += n;
		if (ctx->lit_off < ctx->lit_len && imap_output_full(s))
			return 0;
	}
	free(ctx->lit_owned);
	ctx->lit_owned = NULL;
	ctx->lit = NULL;
	ctx->lit_len = ctx->lit_off = 0;
	return 1;
}

static void
fetch_write_item(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx,
    const struct imap_fetch_target *t, size_t vitem)
{
	struct imap_session *s = cmd->s;
	const struct imap_view_msg *v = &s->sel->msgs[t->msn - 1];
	const struct imap_fetch_item *it;
	char date[40];

	if (vitem == FETCH_VITEM_UID) {
		if (ctx->uid_cmd && !ctx->req.has_uid) {
			fetch_sep(s, ctx);
			imap_out_printf(s, "UID %lu", (unsigned long)t->uid);
		}
		return;
	}
	if (vitem == FETCH_VITEM_FIRST + ctx->req.n) {
		if (t->flags_changed && !ctx->req.has_flags) {
			fetch_sep(s, ctx);
			imap_out_write(s, "FLAGS ", 6);
			imap_out_flags(s, v->flags, v->keywords);
		}
		return;
	}
	if (vitem == FETCH_VITEM_FIRST + ctx->req.n + 1) {
		if (t->flags_changed && ctx->condstore && !ctx->req.has_modseq) {
			fetch_sep(s, ctx);
			imap_out_printf(s, "MODSEQ (%llu)", (unsigned long long)v->modseq);
		}
		return;
	}
	it = &ctx->req.items[vitem - FETCH_VITEM_FIRST];
	fetch_sep(s, ctx);
	switch (it->type) {
	case IMAP_FETCH_UID:
		imap_out_printf(s, "UID %lu", (unsigned long)t->uid);
		break;
	case IMAP_FETCH_FLAGS:
		imap_out_write(s, "FLAGS ", 6);
		imap_out_flags(s, v->flags, v->keywords);
		break;
	case IMAP_FETCH_MODSEQ:
		imap_out_printf(s, "MODSEQ (%llu)", (unsigned long long)v->modseq);
		break;
	case IMAP_FETCH_INTERNALDATE:
		imap_fetch_format_date(ctx->rec->internaldate, date, sizeof(date));
		imap_out_printf(s, "INTERNALDATE \"%s\"", date);
		break;
	case IMAP_FETCH_RFC822_SIZE:
		imap_out_printf(s, "RFC822.SIZE %llu", (unsigned long long)ctx->rec->size);
		break;
	case IMAP_FETCH_ENVELOPE:
	case IMAP_FETCH_BODY:
	case IMAP_FETCH_BODYSTRUCTURE: {
		const char *name, *val;
		char *own = NULL;

		name = it->type == IMAP_FETCH_ENVELOPE ? "ENVELOPE" :
		    it->type == IMAP_FETCH_BODY ? "BODY" : "BODYSTRUCTURE";
		if (ctx->have_cv)
			val = it->type == IMAP_FETCH_ENVELOPE ? ctx->cv.envelope :
			    it->type == IMAP_FETCH_BODY ? ctx->cv.body :
			    ctx->cv.bodystructure;
		else if (it->type == IMAP_FETCH_ENVELOPE)
			val = own = mime_envelope(ctx->root, ctx->blob);
		else
			val = own = mime_bodystructure(ctx->root, ctx->blob,
			    it->type == IMAP_FETCH_BODYSTRUCTURE);
		imap_out_printf(s, "%s ", name);
		imap_out_write(s, val, strlen(val));
		free(own);
		break;
	}
	case IMAP_FETCH_SECTION:
	case IMAP_FETCH_BINARY:
	case IMAP_FETCH_BINARY_SIZE:
		fetch_write_section(s, ctx, it);
		break;
	}
}

int
imap_fetch_output(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx)
{
	struct imap_session *s = cmd->s;
	size_t total = FETCH_VITEM_FIRST + ctx->req.n + 2;
	int r;

	while (ctx->next < ctx->n) {
		const struct imap_fetch_target *t = &ctx->t[ctx->next];

		if (!ctx->msg_open) {
			if ((r = fetch_message_begin(cmd, ctx, t)) ==
			    IMAP_FETCH_OUTPUT_BUILD)
				return r;
			if (r < 0) {
				ctx->failed = 1;
				return 1;
			}
			if (r > 0) {
				ctx->next++;
				continue;
			}
			imap_out_printf(s, "* %lu FETCH (", (unsigned long)t->msn);
			ctx->msg_open = 1;
			ctx->item = 0;
			ctx->space = 0;
		}
		if (ctx->lit != NULL && !fetch_literal_continue(s, ctx))
			return 0;
		while (ctx->item < total) {
			fetch_write_item(cmd, ctx, t, ctx->item++);
			if (ctx->lit != NULL && !fetch_literal_continue(s, ctx))
				return 0;
		}
		imap_out_write(s, ")", 1);
		imap_out_crlf(s);
		imap_fetch_message_end(ctx);
		ctx->msg_open = 0;
		ctx->next++;
		if (ctx->next < ctx->n && imap_output_full(s))
			return 0;
	}
	return 1;
}
