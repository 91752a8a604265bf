/*
 * imap.h: the shared header of imapd/ (RFC 3501 IMAP4rev1, RFC 9051
 * IMAP4rev2). Every file of imapd/ includes it; posthornd sees only
 * imap_conn_handler in imapd.h.
 *
 * Shape (one session per connection, on the connection's loop thread):
 *   bytes -> imap_parser (incremental: tag, name, arguments, literals with
 *   the `+ ` continuation) -> struct imap_cmd -> the registry in
 *   imap_commands.c (allowed states, flags) -> a handler cmd_<name>().
 *
 * A handler answers with the reply helpers below and nothing else. It
 * returns 1 when it has sent its tagged reply, or 0 when it completes later
 * (store write, worker, output backpressure); the session then takes no
 * further command until the handler calls imap_cmd_finish(cmd).
 *
 * Untagged updates (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS, RECENT, FLAGS)
 * are produced by imap_sync() only, which compares the session's view of
 * the selected mailbox (struct imap_selected) with the store. The core runs
 * it right before every tagged OK/NO, as the command's registry flags allow
 * (RFC 3501 7.4.1: no EXPUNGE during FETCH, STORE and SEARCH by sequence
 * number), and at once while the session IDLEs. Handlers that change
 * messages themselves (STORE, EXPUNGE) update the view for what they have
 * reported, so imap_sync() does not report it twice.
 *
 * This header deliberately holds no command logic; see imap_commands.c for
 * the table and cmd_*.c for the commands.
 */
#ifndef POSTHORN_IMAP_H
#define POSTHORN_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct conn;
struct evbuffer;
struct imap_parser;

/* ------------------------------------------------------------- limits */

#define IMAP_TAG_MAX		64	/* bytes of a tag */
#define IMAP_NAME_MAX		32	/* bytes of a command name */
#define IMAP_LINE_MAX		(64 * 1024)	/* one line of a command, CRLF excluded */
#define IMAP_COMMAND_MAX	(256 * 1024)	/* a whole command but APPEND's message */
#define IMAP_LITERAL_MAX	(64 * 1024)	/* one literal, except APPEND's message */
#define IMAP_PREAUTH_MAX	(8 * 1024)	/* a whole command before login */
#define IMAP_LITERAL_MINUS_MAX	4096	/* RFC 7888 LITERAL- cap (non-sync, before login) */
#define IMAP_LIST_DEPTH_MAX	16	/* nested parenthesized lists */
#define IMAP_ARGS_MAX		100000	/* arguments of one command, all levels */
/* Output above this stops a long response until on_drain (see imap_output_full). */
#define IMAP_OUTPUT_HIGH	(256 * 1024)

/* -------------------------------------------------------- parsed arguments */

enum imap_arg_type {
	IMAP_ARG_ATOM = 1,	/* also NIL, numbers, sequence sets, \Flags, BODY[...]<..> */
	IMAP_ARG_QUOTED,	/* "..." with \" and \\ unescaped */
	IMAP_ARG_LITERAL,	/* {n} / {n+} / ~{n} (literal8, see flags) */
	IMAP_ARG_LIST		/* ( ... ) */
};

#define IMAP_ARGF_LITERAL8	0x01	/* ~{n}: may hold NUL bytes (RFC 3516) */
#define IMAP_ARGF_NONSYNC	0x02	/* {n+} */

/*
 * One argument. str is NUL-terminated for ATOM, QUOTED and LITERAL (a
 * literal may also contain NULs: always use len). An atom that contains
 * '[' runs to the matching ']' including spaces, parentheses and quoted
 * strings, then continues with atom characters, so
 * "BODY.PEEK[HEADER.FIELDS (From To)]<0.100>" is one ATOM; whoever uses it
 * parses the section. NIL is the ATOM "NIL" (imap_arg_is_nil()): only the
 * command knows whether an astring or an nstring is expected.
 * Memory belongs to the command (freed with it).
 */
struct imap_arg {
	enum imap_arg_type	 type;
	unsigned		 flags;		/* IMAP_ARGF_* */
	char			*str;		/* ATOM, QUOTED, LITERAL */
	size_t			 len;
	struct imap_arg		*list;		/* LIST: its elements */
	size_t			 list_n;
};

/* imap_arg.c: typed access. Each returns 0/NULL when the type does not fit. */
int	 imap_arg_is_nil(const struct imap_arg *a);
/* 1 when a is an ATOM equal to word, ignoring ASCII case. */
int	 imap_arg_atom_is(const struct imap_arg *a, const char *word);
/* astring = atom / string; NUL bytes inside refuse it. Returns str. */
const char *imap_arg_astring(const struct imap_arg *a, size_t *len_r);
/* string = quoted / literal (not an atom). */
const char *imap_arg_string(const struct imap_arg *a, size_t *len_r);
/* nstring: NULL and *is_nil_r = 1 for NIL. */
const char *imap_arg_nstring(const struct imap_arg *a, size_t *len_r, int *is_nil_r);
/* An ATOM of decimal digits in [0, max] (number / nz-number / mod-sequence). */
int	 imap_arg_number(const struct imap_arg *a, uint64_t max, uint64_t *val_r);

/* ------------------------------------------------------------- sessions */

enum imap_state {
	IMAP_STATE_NOT_AUTH = 0,
	IMAP_STATE_AUTH,
	IMAP_STATE_SELECTED,
	IMAP_STATE_LOGOUT
};
#define IMAP_STATE_BIT(st)	(1u << (st))

/* ENABLEd extensions (RFC 5161), and CONDSTORE once any command uses it. */
#define IMAP_ENABLED_CONDSTORE	0x01
#define IMAP_ENABLED_QRESYNC	0x02	/* implies CONDSTORE */
#define IMAP_ENABLED_UTF8	0x04	/* UTF8=ACCEPT (RFC 6855): names and strings in UTF-8 */
#define IMAP_ENABLED_REV2	0x08	/* IMAP4rev2 (RFC 9051) */

/*
 * One message of the session's view: what the client has been told.
 * flags uses the STORE_FLAG_* bits; STORE_FLAG_RECENT here means "recent
 * for this session" (RFC 3501 2.3.2.2), never the store's bit.
 * keywords: bit i = sel->keywords[i].
 */
struct imap_view_msg {
	uint32_t		 uid;
	uint32_t		 flags;
	uint64_t		 keywords;
	uint64_t		 modseq;
};

/*
 * The selected mailbox and the session's view of it, in MSN order
 * (msgs[msn - 1]; UIDs strictly ascending, so UID lookups are binary
 * searches). Messages another session expunged stay in the view until
 * imap_sync() may report the expunge (expunged != 0 marks them; FETCH may
 * answer them from what it still can, or skip them).
 */
struct imap_selected {
	uint64_t		 mailbox_id;
	char			 name[STORE_MAILBOX_NAME_MAX];	/* store name (UTF-8) */
	int			 readonly;	/* EXAMINE, or SELECT of a read-only mailbox */
	uint32_t		 uidvalidity;
	uint32_t		 uidnext;	/* the client has been told of UIDs below this */
	uint64_t		 highestmodseq;	/* changes up to here are in the view */
	uint64_t		 expunge_modseq; /* expunges up to here are reported */

	struct imap_view_msg	*msgs;
	uint32_t		 count;		/* EXISTS as told to the client */
	uint32_t		 alloc;
	uint8_t			*expunged;	/* count bytes or NULL: 1 = gone from the store */
	uint32_t		 recent;	/* messages with STORE_FLAG_RECENT in the view */

	/*
	 * The mailbox's keyword table (store_keyword_list): n_keywords names
	 * (malloc'ed, NULL when there are none; an idle session stays small).
	 */
	char			(*keywords)[STORE_KEYWORD_LEN];
	int			 n_keywords;
	int			 n_keywords_told;	/* in the last FLAGS response */

	uint64_t		 watch;		/* store_watch_add handle, 0 = none */
	void			*watch_ctx;	/* imap_sync.c's watcher state */
	int			 claiming;	/* a store_recent_claim is in flight */
	int			 recent_dirty;	/* \Recent was claimed since the last RECENT */
};

struct imap_cmd;

struct imap_session {
	/* permanent */
	uint64_t		 id;		/* conn_id(), in every log line */
	struct conn		*conn;
	struct store		*store;
	enum imap_state		 state;
	unsigned		 flags;		/* IMAP_SF_* */
	unsigned		 enabled;	/* IMAP_ENABLED_* */
	int			 bad_commands;
	int			 auth_failures;
	struct imap_parser	*parser;

	/* AUTH and SELECTED */
	struct store_user	 user;
	struct imap_selected	*sel;		/* SELECTED only */
	/*
	 * RFC 5182 SEARCHRES (part of IMAP4rev2): the result of the last
	 * SEARCH ... RETURN (SAVE) as UIDs, ascending (malloc'ed; NULL and 0
	 * when empty). imap_unselect() clears it (SELECT, EXAMINE, CLOSE,
	 * UNSELECT: RFC 5182 2.1); a user of "$" skips UIDs no longer in the
	 * view.
	 */
	uint32_t		*searchres;
	size_t			 n_searchres;

	/* the command being executed (0 or 1: commands run strictly in order) */
	struct imap_cmd		*cmd;
	/* what IDLE / AUTHENTICATE read instead of commands (imap_session.c) */
	int			 (*line_handler)(struct imap_session *s,
				    const char *line, size_t len);
	int			 notified;	/* a watcher reported a change */
	unsigned		 idle_gen;	/* tells a stale keepalive timer from the current IDLE */
};

#define IMAP_SF_CLOSING		0x01	/* conn_close() called: nothing more to send */
#define IMAP_SF_CLOSED		0x02	/* on_close ran; freed when the command finishes */
#define IMAP_SF_IDLE		0x04	/* in IDLE, until DONE */
#define IMAP_SF_DRAINING	0x08	/* waiting for output to drain */

/* --------------------------------------------------------------- commands */

/*
 * A command handler. Returns 1 when done (its tagged reply sent), 0 when it
 * will call imap_cmd_finish(cmd) later. Asynchronous pattern:
 *
 *	conn_ref(s->conn); start the work (job holds cmd); return 0;
 *	... on the loop (loop_post from the writer / worker done):
 *	if (!imap_cmd_is_closed(cmd)) {
 *		untagged replies...; imap_send_tagged(cmd, "OK", NULL, "done");
 *	}
 *	imap_cmd_finish(cmd);		// frees cmd (and the session if closed)
 *	conn_unref(c);			// the conn pointer saved in the job
 */
typedef int (*imap_cmd_fn)(struct imap_cmd *cmd);

struct imap_command;		/* a registry entry (imap_commands.c) */

struct imap_cmd {
	struct imap_session	*s;
	char			 tag[IMAP_TAG_MAX + 1];
	char			 name[IMAP_NAME_MAX + 1];	/* upper-cased, "FETCH" for UID FETCH */
	int			 uid;		/* given with the UID prefix */
	const struct imap_command *def;
	struct imap_arg		*args;		/* arguments after the name */
	size_t			 n_args;

	/* a handler's own state for asynchronous completion or resumption */
	void			*ctx;
	void			 (*ctx_free)(void *ctx);	/* called by imap_cmd_finish */
	imap_cmd_fn		 resume;	/* see imap_cmd_wait_output */

	/* private to the parser/core */
	void			*priv;
};

/* Registry flags (struct imap_command.flags). */
#define IMAP_CMDF_USES_MSN	0x01	/* by sequence number: no EXPUNGE before its reply unless UID */
#define IMAP_CMDF_UID_OK	0x02	/* may follow the UID prefix */
#define IMAP_CMDF_WRITES	0x04	/* refused in a read-only (EXAMINEd) mailbox */
#define IMAP_CMDF_NO_SYNC	0x08	/* send no untagged updates before the reply */

/* Handlers (imap_commands.c registers them). imap-core: */
int	 cmd_capability(struct imap_cmd *cmd);
int	 cmd_noop(struct imap_cmd *cmd);	/* NOOP and CHECK */
int	 cmd_logout(struct imap_cmd *cmd);
int	 cmd_id(struct imap_cmd *cmd);
int	 cmd_enable(struct imap_cmd *cmd);
int	 cmd_starttls(struct imap_cmd *cmd);
int	 cmd_login(struct imap_cmd *cmd);
int	 cmd_authenticate(struct imap_cmd *cmd);
int	 cmd_namespace(struct imap_cmd *cmd);
int	 cmd_select(struct imap_cmd *cmd);	/* SELECT and EXAMINE */
int	 cmd_create(struct imap_cmd *cmd);
int	 cmd_delete(struct imap_cmd *cmd);
int	 cmd_rename(struct imap_cmd *cmd);
int	 cmd_subscribe(struct imap_cmd *cmd);	/* SUBSCRIBE and UNSUBSCRIBE */
int	 cmd_list(struct imap_cmd *cmd);	/* LIST and LSUB */
int	 cmd_status(struct imap_cmd *cmd);
int	 cmd_append(struct imap_cmd *cmd);
int	 cmd_close(struct imap_cmd *cmd);	/* CLOSE and UNSELECT */
int	 cmd_expunge(struct imap_cmd *cmd);	/* EXPUNGE and UID EXPUNGE */
int	 cmd_idle(struct imap_cmd *cmd);
/* imap-fetch (cmd_fetch.c, cmd_store.c, cmd_search.c, cmd_copy.c): */
int	 cmd_fetch(struct imap_cmd *cmd);
int	 cmd_store(struct imap_cmd *cmd);
int	 cmd_search(struct imap_cmd *cmd);
int	 cmd_copy(struct imap_cmd *cmd);
int	 cmd_move(struct imap_cmd *cmd);

/*
 * The command ends (after an asynchronous completion, or a resumed long
 * response): calls ctx_free, frees cmd, and takes the next pipelined
 * command. If the connection closed meanwhile, frees the session too.
 */
void	 imap_cmd_finish(struct imap_cmd *cmd);
/* 1 when the connection went away while the command was pending. */
int	 imap_cmd_is_closed(const struct imap_cmd *cmd);
/*
 * Output backpressure for long responses (FETCH of many bodies): set
 * cmd->resume (and cmd->ctx) and return 0 from the handler after calling
 * this; the core calls resume(cmd) once output has drained, which again
 * returns 1 (done, tagged reply sent) or 0 (waiting again).
 */
void	 imap_cmd_wait_output(struct imap_cmd *cmd, imap_cmd_fn resume);

/* ---------------------------------------------------------------- replies */

/*
 * The only ways to write to the client. All append to the connection's
 * output in order; nothing is written once the session is closing.
 */
/* "* <text>\r\n" */
void	 imap_send_untagged(struct imap_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * "<tag> <status> [<code>] <text>\r\n"; status is "OK", "NO" or "BAD";
 * code without brackets, or NULL. Before an OK or NO it runs imap_sync() as
 * the command's registry flags allow. For BAD it counts a bad command (and
 * may close the session after too many).
 */
void	 imap_send_tagged(struct imap_cmd *cmd, const char *status,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* "+ <text>\r\n" */
void	 imap_send_continuation(struct imap_session *s, const char *text);

/* Pieces of one response line (FETCH): the caller ends it with imap_out_crlf. */
void	 imap_out_printf(struct imap_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 imap_out_write(struct imap_session *s, const void *data, size_t len);
void	 imap_out_crlf(struct imap_session *s);
/* Move all of buf to the output (no copy). */
void	 imap_out_buffer(struct imap_session *s, struct evbuffer *buf);
/* "{len}\r\n" + data; "~{len}\r\n" when binary (RFC 3516 literal8). */
void	 imap_out_literal(struct imap_session *s, const void *data, size_t len, int binary);
/*
 * An IMAP string: quoted when short and safe (no CR, LF, NUL; 8-bit only
 * with UTF8=ACCEPT enabled), otherwise a literal. nstring: NIL for NULL.
 */
void	 imap_out_string(struct imap_session *s, const char *data, size_t len);
void	 imap_out_nstring(struct imap_session *s, const char *data, size_t len);
/* "(\Seen \Flagged $label1)" for flags/keywords of the view (incl. \Recent). */
void	 imap_out_flags(struct imap_session *s, uint32_t flags, uint64_t keywords);
/* The same into a buffer; returns 0, or -1 when it did not fit (truncated). */
int	 imap_flags_format(const struct imap_session *s, uint32_t flags,
	    uint64_t keywords, char *buf, size_t size);
/* A mailbox name as the client must see it (mUTF-7 unless UTF8=ACCEPT), quoted. */
void	 imap_out_mailbox(struct imap_session *s, const char *name);
/* 1 when the output is above IMAP_OUTPUT_HIGH: stop and imap_cmd_wait_output. */
int	 imap_output_full(const struct imap_session *s);

/* ------------------------------------------------------- untagged updates */

#define IMAP_SYNC_NO_EXPUNGE	0x01	/* RFC 3501 7.4.1: defer expunges */

/*
 * Bring the client's view up to date with the store: EXISTS (and RECENT)
 * for new messages, FETCH (FLAGS [MODSEQ]) for changed ones, EXPUNGE (in
 * descending MSN order... renumbering kept exact) or VANISHED with
 * QRESYNC, FLAGS/PERMANENTFLAGS when keywords were added. No-op unless
 * SELECTED. Called by the core; handlers rarely need it.
 */
void	 imap_sync(struct imap_session *s, unsigned flags);

/* View lookups: the entry of uid (and its MSN in *msn_r), or NULL. */
struct imap_view_msg *imap_view_find_uid(struct imap_selected *sel,
	    uint32_t uid, uint32_t *msn_r);
/*
 * Keywords (RFC 3501 2.3.2) of the selected mailbox: bit i of a message's
 * keywords is sel->keywords[i]. imap_keyword_index: the bit of name
 * (case-insensitive; reloads the table once when unknown), or -1 when the
 * mailbox has no such keyword yet. imap_keywords_load: reload the names
 * only (safe in the middle of a response line). imap_keywords_refresh:
 * reload and, when keywords were added, send FLAGS and PERMANENTFLAGS
 * (call between response lines, e.g. after STORE added a keyword and
 * before its FETCH responses).
 */
int	 imap_keyword_index(struct imap_session *s, const char *name);
void	 imap_keywords_load(struct imap_session *s);
void	 imap_keywords_refresh(struct imap_session *s);
/* A STORE_FLAG_* bit for "\Seen" etc. (case-insensitive), 0 if none. */
uint32_t imap_flag_from_name(const char *name);
/* CONDSTORE became active by a command using it (RFC 7162 3.1). */
void	 imap_condstore_enable(struct imap_session *s);

/* ------------------------------------------------------------ mailbox names */

/*
 * Turn a client's mailbox argument into a store name: astring, mUTF-7
 * decoded unless UTF8=ACCEPT (RFC 3501 5.1.3, RFC 6855), "INBOX" in any
 * case -> "INBOX", and checked so no name can escape the user's tree
 * (no "..", no leading or trailing '/', no empty level, no wildcards, no
 * control characters). Returns 0, or -1 with a reason in *why_r.
 */
int	 imap_mailbox_arg(struct imap_session *s, const struct imap_arg *a,
	    char *name, size_t size, const char **why_r);

/* imap_utf7.c: modified UTF-7 (RFC 3501 5.1.3) <-> UTF-8. 0 or -1. */
int	 imap_utf7_to_utf8(const char *in, size_t len, char *out, size_t size);
int	 imap_utf8_to_utf7(const char *in, size_t len, char *out, size_t size);
/* 1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int	 imap_utf8_valid(const char *s, size_t len);

#endif
