/*
 * imap_seqset.h: IMAP sequence sets (RFC 3501 section 9 "sequence-set",
 * RFC 9051 section 9, RFC 5182 "$").
 *
 * A sequence set names messages by message sequence number (MSN) or by UID:
 * "1:3,5,7:*". Parsing is pure syntax; what "*" means depends on the
 * mailbox the client sees, so a parsed set is resolved against the highest
 * number in use before it is used. Pure: no session, no store, no I/O.
 */
#ifndef POSTHORN_IMAP_SEQSET_H
#define POSTHORN_IMAP_SEQSET_H

#include <stddef.h>
#include <stdint.h>

/* "*" in a parsed, not yet resolved set (0 is never a valid nz-number). */
#define IMAP_SEQ_STAR		0

/*
 * Ranges one set may hold. A command line is bounded by the parser's line
 * limit; this caps the allocation whatever the client sends (a longer set
 * is refused rather than grown without bound).
 */
#define IMAP_SEQSET_MAX_RANGES	100000

struct imap_seqrange {
	uint32_t	 lo;
	uint32_t	 hi;
};

/*
 * Before imap_seqset_resolve(): ranges as written, IMAP_SEQ_STAR for "*",
 * lo and hi in the client's order. After: "*" replaced, lo <= hi, sorted
 * and merged, so membership is a binary search.
 */
struct imap_seqset {
	struct imap_seqrange	*r;
	size_t			 n;
	size_t			 cap;
	int			 last_result;	/* "$" (RFC 5182 SEARCHRES) */
	int			 has_star;
	uint32_t		 max_number;	/* largest explicit number written */
	uint32_t		 max_plain;	/* ... in ranges without "*" */
};

enum imap_seqset_result {
	IMAP_SEQSET_OK = 0,
	IMAP_SEQSET_SYNTAX = -1,	/* not a sequence set */
	IMAP_SEQSET_RANGE = -2,		/* a number past 4294967295 */
	IMAP_SEQSET_TOO_MANY = -3	/* more than IMAP_SEQSET_MAX_RANGES */
};

/* An empty set (no allocation until something is added). */
void	 imap_seqset_init(struct imap_seqset *set);
void	 imap_seqset_free(struct imap_seqset *set);

/*
 * Parse len bytes of s (an atom, not NUL-terminated necessarily) into set,
 * which must be freshly initialised. Grammar: seq-number = nz-number / "*";
 * seq-range = seq-number ":" seq-number; sequence-set = (seq-number /
 * seq-range) *("," ...) / "$". No spaces, no leading zeros in the sense that
 * "0" is refused (nz-number); "01" is accepted as 1 like Dovecot does.
 * Returns IMAP_SEQSET_OK or a negative enum imap_seqset_result; on error the
 * set is emptied (still safe to free).
 */
int	 imap_seqset_parse(struct imap_seqset *set, const char *s, size_t len);

/* A short reason for the BAD line. */
const char *imap_seqset_strerror(int result);

/* Add the range lo:hi (any order) to an unresolved or resolved set. */
void	 imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi);

/*
 * Replace "*" with max (the highest MSN, or the highest UID in use), order
 * every range, sort and merge. RFC 3501 section 6.4.8 / 9: "n:*" with n
 * past max is the range max:n, so it still names the last message
 * (Thunderbird polls "UID FETCH <uidnext>:*" and relies on that). When the
 * mailbox is empty (max == 0) a range with "*" names nothing and is
 * dropped; explicit numbers stay (callers decide whether they are invalid).
 * Calling it twice is harmless once no "*" is left.
 */
void	 imap_seqset_resolve(struct imap_seqset *set, uint32_t max);

/* 1 when n is in the resolved set. O(log n). */
int	 imap_seqset_contains(const struct imap_seqset *set, uint32_t n);

/* Number of values in the resolved set (may exceed UINT32_MAX: uint64_t). */
uint64_t imap_seqset_count(const struct imap_seqset *set);

/*
 * Format a resolved set compactly ("1:3,5"), for ESEARCH ALL. Returns a
 * malloc'ed NUL-terminated string (free() it); "" for an empty set.
 */
char	*imap_seqset_format(const struct imap_seqset *set);

/*
 * Compact a list of numbers in the order given ("5,1:3" for 5,1,2,3): runs
 * of consecutive ascending values become ranges, the order is kept (COPYUID
 * pairs source and destination UIDs by position, RFC 4315 section 3).
 * Zeros are skipped. Returns a malloc'ed string (free() it).
 */
char	*imap_seqset_format_list(const uint32_t *v, size_t n);

#endif
