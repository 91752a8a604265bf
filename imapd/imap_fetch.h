/*
 * imap_fetch.h: FETCH data items (RFC 3501 6.4.5, RFC 9051 6.4.5,
 * RFC 3516 BINARY, RFC 7162 MODSEQ/CHANGEDSINCE/VANISHED) as parsed from
 * the command, and the pieces cmd_fetch.c assembles responses from.
 *
 * imap_fetch_parse.c turns the arguments into a request: pure syntax, no
 * session, no store (unit-tested on its own). imap_fetch_body.c cuts the
 * bytes of BODY[section]<partial> / BINARY[...] out of a message;
 * imap_fetch_output.c writes the data items of one message.
 */
#ifndef POSTHORN_IMAP_FETCH_H
#define POSTHORN_IMAP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "mime.h"

struct imap_arg;

/* Data items of one FETCH (the list is bounded by the command anyway). */
#define IMAP_FETCH_ITEMS_MAX	256
/* Field names in one HEADER.FIELDS list. */
#define IMAP_FETCH_FIELDS_MAX	1000
/* Bytes of one section spec ("1.2.3.HEADER.FIELDS.NOT"). */
#define IMAP_FETCH_SECTION_MAX	128

enum imap_fetch_type {
	IMAP_FETCH_UID = 1,
	IMAP_FETCH_FLAGS,
	IMAP_FETCH_INTERNALDATE,
	IMAP_FETCH_RFC822_SIZE,
	IMAP_FETCH_ENVELOPE,
	IMAP_FETCH_BODY,		/* BODY without a section: non-extensible structure */
	IMAP_FETCH_BODYSTRUCTURE,
	IMAP_FETCH_MODSEQ,
	IMAP_FETCH_SECTION,		/* BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER/TEXT/PEEK */
	IMAP_FETCH_BINARY,		/* BINARY[...], BINARY.PEEK[...] */
	IMAP_FETCH_BINARY_SIZE		/* BINARY.SIZE[...] */
};

/* IMAP_FETCH_SECTION / BINARY: what the section names. */
enum imap_fetch_section {
	IMAP_SECTION_ALL = 0,		/* [] or [1.2] */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME
};

struct imap_fetch_item {
	enum imap_fetch_type	 type;
	int			 peek;		/* does not set \Seen */
	/* SECTION / BINARY / BINARY_SIZE */
	char			 part[IMAP_FETCH_SECTION_MAX];	/* "1.2" or "" */
	enum imap_fetch_section	 section;
	char			 spec[IMAP_FETCH_SECTION_MAX];	/* for mime_section_find */
	char			**fields;	/* HEADER.FIELDS names, upper-cased */
	size_t			 n_fields;
	int			 partial;	/* <offset.count> given */
	uint64_t		 offset;
	uint64_t		 count;
	/*
	 * The response's item name up to (excluding) the partial origin:
	 * "BODY[HEADER.FIELDS (FROM TO)]", "RFC822.HEADER", "BINARY[1]".
	 */
	char			*name;
};

struct imap_fetch_request {
	struct imap_fetch_item	*items;
	size_t			 n;
	/* what the items need, to load no more than that per message */
	unsigned		 needs;		/* IMAP_FETCH_NEED_* */
	int			 sets_seen;	/* a body item without PEEK */
	int			 has_uid;	/* UID among the items */
	int			 has_flags;
	int			 has_modseq;
	/* RFC 7162 modifiers */
	int			 changedsince_given;
	uint64_t		 changedsince;
	int			 vanished;
};

#define IMAP_FETCH_NEED_RECORD	0x01	/* store_message (size, date, blob id) */
#define IMAP_FETCH_NEED_CACHE	0x02	/* envelope / bodystructure / part tree */
#define IMAP_FETCH_NEED_BLOB	0x04	/* the message bytes */

/*
 * Parse FETCH's data item argument (an atom: one item or a macro, or a
 * list of items) and the optional modifier list (RFC 4466 fetch-modifiers:
 * CHANGEDSINCE n, VANISHED). modifiers may be NULL. Item names are
 * case-insensitive. Returns 0, or -1 with a reason for the BAD line in err.
 * On error req is empty (still safe to free).
 */
int	 imap_fetch_parse(const struct imap_arg *items,
	    const struct imap_arg *modifiers, struct imap_fetch_request *req,
	    char *err, size_t errlen);
void	 imap_fetch_request_free(struct imap_fetch_request *req);

/*
 * Parse one item given as text ("BODY.PEEK[HEADER.FIELDS (From To)]<0.10>")
 * into it; used by imap_fetch_parse and the unit tests. 0 or -1 (err).
 */
int	 imap_fetch_parse_item(const char *s, size_t len,
	    struct imap_fetch_item *it, char *err, size_t errlen);
void	 imap_fetch_item_free(struct imap_fetch_item *it);

/*
 * Apply the partial <offset.count> of it to data[0..len): *off_r and *len_r
 * select the bytes to send (clipped; empty when offset is past the end).
 */
void	 imap_fetch_partial(const struct imap_fetch_item *it, size_t len,
	    size_t *off_r, size_t *len_r);

/*
 * The bytes a SECTION or BINARY item names in msg (root: its part tree,
 * from the cache or mime_parse). Returns 0 with *data_r pointing into msg
 * (*owned_r = NULL) or into a new buffer (*owned_r = it, free() it); 1
 * when the section does not exist (send NIL); -1 for BINARY of an unknown
 * Content-Transfer-Encoding (NO [UNKNOWN-CTE]).
 */
int	 imap_fetch_section_data(const struct imap_fetch_item *it,
	    const char *msg, size_t msg_len, const struct mime_part *root,
	    const char **data_r, size_t *len_r, char **owned_r);

/*
 * INTERNALDATE as RFC 3501 date-time: "22-Nov-2026 18:53:32 +0000"
 * (always UTC: the store keeps seconds since the epoch). buf >= 32 bytes.
 */
void	 imap_fetch_format_date(int64_t t, char *buf, size_t size);

/* ------------------------------------------------- the running command */

struct imap_cmd;
struct store_message;

/* One message to answer, in the order of the response. */
struct imap_fetch_target {
	uint32_t		 uid;
	uint32_t		 msn;
	int			 flags_changed;	/* \Seen set by this FETCH: report FLAGS */
};

/*
 * A FETCH in progress (cmd->ctx): the targets, where the output stands
 * (which message, which item, how much of a literal) so it can stop when
 * the client reads slowly and resume from on_drain, and the outcome for
 * the tagged reply. One message's data is loaded at a time.
 */
struct imap_fetch_ctx {
	struct imap_fetch_request req;
	int			 uid_cmd;	/* UID FETCH: UID always included */
	int			 condstore;	/* MODSEQ with implicit FLAGS */
	struct imap_fetch_target *t;
	size_t			 n;
	size_t			 next;		/* index of the message being written */

	/* store records of the whole mailbox, when many messages need them */
	struct store_message	*records;
	size_t			 n_records;
	int			 records_loaded;

	/* the message being written */
	int			 msg_open;	/* "* n FETCH (" is out */
	size_t			 item;		/* next virtual item (see imap_fetch_output.c) */
	int			 space;		/* an item was written: separate the next */
	struct store_message	*rec;		/* its record, when needed */
	struct store_message	*rec_owned;
	char			*blob;
	size_t			 blob_len;
	char			*cache;
	size_t			 cache_len;
	int			 have_cv;
	struct mime_cache_view	 cv;		/* valid when have_cv */
	struct mime_part	*parsed;	/* part tree when no cache could be read */
	const struct mime_part	*root;
	const char		*lit;		/* literal being streamed */
	size_t			 lit_len;
	size_t			 lit_off;
	char			*lit_owned;

	/* outcome */
	int			 expunged;	/* some messages were gone */
	int			 unknown_cte;	/* BINARY of an unknown encoding */
	int			 failed;	/* a store error: NO [SERVERBUG] */
};

/* Messages above this size get their cache built on a worker thread. */
#define IMAP_FETCH_PARSE_INLINE_MAX	(512 * 1024)

#define IMAP_FETCH_OUTPUT_BUILD	2

/*
 * Write FETCH responses from ctx->next on. Returns 1 when every target is
 * done (or a store error stopped it: ctx->failed), 0 when the output is
 * full (call again once it drained), IMAP_FETCH_OUTPUT_BUILD when the
 * current message's cache must be built first: run
 * imap_fetch_build_cache(ctx) (thread-safe, touches only ctx's message),
 * then call again.
 */
int	 imap_fetch_output(struct imap_cmd *cmd, struct imap_fetch_ctx *ctx);
/* mime_cache_build of ctx->blob into ctx->cache (NULL if it failed). */
void	 imap_fetch_build_cache(struct imap_fetch_ctx *ctx);
/* Free what the current message holds (also on abort). */
void	 imap_fetch_message_end(struct imap_fetch_ctx *ctx);

#endif
