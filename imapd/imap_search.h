/*
 * imap_search.h: IMAP SEARCH programs (RFC 3501 6.4.4, RFC 9051 6.4.4,
 * RFC 4731 ESEARCH, RFC 7162 MODSEQ).
 *
 * imap_search_parse.c turns the arguments of SEARCH into a tree of search
 * keys; imap_search_eval.c decides whether one message matches. Neither
 * touches the store or the connection: the caller (cmd_search.c) supplies
 * each message's metadata and, only when a key needs it, a loader for the
 * raw message, so SEARCH SEEN never reads a message body.
 */
#ifndef POSTHORN_IMAP_SEARCH_H
#define POSTHORN_IMAP_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "imap_seqset.h"
#include "store.h"

struct imap_arg;

/* Nesting of parentheses / OR / NOT in one program (recursion bound). */
#define IMAP_SEARCH_DEPTH_MAX	64
/* Keys in one program (each is a node). */
#define IMAP_SEARCH_KEYS_MAX	10000

enum imap_search_type {
	IMAP_SK_ALL = 1,
	IMAP_SK_AND,		/* all children: the program, "( ... )" */
	IMAP_SK_OR,		/* either of two children */
	IMAP_SK_NOT,		/* one child */
	IMAP_SK_SEQSET,		/* by MSN: seqset */
	IMAP_SK_UID,		/* by UID: seqset */
	IMAP_SK_FLAGS,		/* every bit of flags set, no bit of noflags */
	IMAP_SK_KEYWORD,	/* str; bound to kw_bit (-1: mailbox lacks it) */
	IMAP_SK_BEFORE,		/* internal date (day) < day */
	IMAP_SK_ON,
	IMAP_SK_SINCE,		/* >= day */
	IMAP_SK_SENTBEFORE,	/* Date: header, likewise */
	IMAP_SK_SENTON,
	IMAP_SK_SENTSINCE,
	IMAP_SK_LARGER,		/* size > num */
	IMAP_SK_SMALLER,	/* size < num */
	IMAP_SK_OLDER,		/* RFC 5032: internal date older than num seconds */
	IMAP_SK_YOUNGER,
	IMAP_SK_HEADER,		/* field str2 contains str ("" = field exists) */
	IMAP_SK_BODY,		/* decoded body text contains str */
	IMAP_SK_TEXT,		/* header or body contains str */
	IMAP_SK_MODSEQ		/* modseq >= num */
};

struct imap_search_key {
	enum imap_search_type	 type;
	int			 needs_content;	/* this key or a child reads the message */
	struct imap_search_key	*child;		/* AND/OR/NOT: first child */
	struct imap_search_key	*next;		/* sibling */
	struct imap_seqset	 set;		/* SEQSET, UID */
	uint32_t		 flags;		/* FLAGS: STORE_FLAG_* that must be set */
	uint32_t		 noflags;	/* FLAGS: ... and that must be clear */
	int			 kw_bit;	/* KEYWORD after imap_search_bind */
	int64_t			 day;		/* dates: days since 1970-01-01 */
	uint64_t		 num;		/* LARGER, SMALLER, MODSEQ, OLDER, YOUNGER */
	char			*str;		/* KEYWORD name, search string (UTF-8) */
	size_t			 str_len;
	char			*str2;		/* HEADER field name */
};

/* RFC 4731 RETURN options. */
#define IMAP_SEARCH_RET_MIN	0x01
#define IMAP_SEARCH_RET_MAX	0x02
#define IMAP_SEARCH_RET_ALL	0x04
#define IMAP_SEARCH_RET_COUNT	0x08
#define IMAP_SEARCH_RET_SAVE	0x10	/* RFC 5182 SEARCHRES */

struct imap_search_program {
	struct imap_search_key	*root;		/* an AND */
	int			 esearch;	/* RETURN was given (ESEARCH reply) */
	unsigned		 ret;		/* IMAP_SEARCH_RET_*; ALL when RETURN () */
	int			 has_modseq;	/* a MODSEQ key: reply with (MODSEQ n) */
	int			 needs_content;
	int			 uses_last_result; /* "$" somewhere */
	int			 n_keys;
};

enum imap_search_parse_result {
	IMAP_SEARCH_OK = 0,
	IMAP_SEARCH_BAD = -1,		/* syntax: BAD with the error text */
	IMAP_SEARCH_BADCHARSET = -2	/* NO [BADCHARSET (UTF-8 US-ASCII)] */
};

/*
 * Parse the arguments of SEARCH (everything after the command name):
 * [RETURN (options)] [CHARSET name] key... Keys are case-insensitive; a
 * list is a group; strings are astrings (atom, quoted or literal) taken as
 * UTF-8 (CHARSET UTF-8 and US-ASCII are accepted; others give
 * IMAP_SEARCH_BADCHARSET). Returns IMAP_SEARCH_OK and fills prog, or a
 * negative result with a message for the BAD line in err (size errlen);
 * prog is then empty (still safe to free).
 */
int	 imap_search_parse(const struct imap_arg *args, size_t n_args,
	    struct imap_search_program *prog, char *err, size_t errlen);
void	 imap_search_program_free(struct imap_search_program *prog);

/*
 * Resolve what depends on the mailbox before evaluating: "*" in sequence
 * sets (max_msn for SEQSET keys, max_uid for UID keys) and keyword names
 * to bits of names[0..n) (case-insensitive; -1 when missing).
 */
/*
 * Replace every "$" set of the program (RFC 5182) by the saved UIDs
 * (ascending): the key becomes a UID key. Call before imap_search_bind.
 */
void	 imap_search_bind_last_result(struct imap_search_program *prog,
	    const uint32_t *uids, size_t n);
void	 imap_search_bind(struct imap_search_program *prog, uint32_t max_msn,
	    uint32_t max_uid, const char names[][STORE_KEYWORD_LEN], int n_names);

/* A day number (days since 1970-01-01, proleptic Gregorian). */
int64_t	 imap_search_day(int year, int month, int mday);
/*
 * Parse an IMAP date "1-Feb-1994" (RFC 3501 date-text, month
 * case-insensitive, day 1 or 2 digits). 0 and *day_r, or -1.
 */
int	 imap_search_parse_date(const char *s, size_t len, int64_t *day_r);
/* The day of a time in seconds since the epoch, shifted by tz_min minutes. */
int64_t	 imap_search_day_of(int64_t t, int tz_min);

/*
 * One message as SEARCH sees it. The caller fills the metadata; when a key
 * needs the message itself, the evaluator calls load() once and keeps the
 * decoded forms in content until imap_search_msg_clear().
 */
struct imap_search_content;
struct imap_search_msg {
	uint32_t		 msn;
	uint32_t		 uid;
	uint32_t		 flags;		/* STORE_FLAG_*, RECENT as the session sees it */
	uint64_t		 keywords;
	uint64_t		 size;
	uint64_t		 modseq;
	int64_t			 internaldate;	/* seconds since the epoch */
	int64_t			 now;		/* for OLDER/YOUNGER */
	/* Returns 0 with the raw message (owned by the caller), or -1. */
	int			 (*load)(void *arg, const char **data_r, size_t *len_r);
	void			*load_arg;
	struct imap_search_content *content;	/* evaluator's, lazily made */
};

/*
 * 1 when m matches prog, 0 when not, -1 when the message could not be
 * loaded (the caller answers NO). Cheap keys are tried before keys that
 * need the message, so the body is read only when the answer depends on it.
 */
int	 imap_search_eval(const struct imap_search_program *prog,
	    struct imap_search_msg *m);
/* Free what the evaluator cached for m (call before reusing m). */
void	 imap_search_msg_clear(struct imap_search_msg *m);

#endif
