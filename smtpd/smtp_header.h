/*
 * smtp_header.h: the few header fields the submission server reads in a
 * message (RFC 5322 section 3.6): From, whose addresses must belong to the
 * authenticated user, and Date and Message-ID, which it adds when missing
 * (RFC 6409 section 8).
 *
 * Pure functions over the message bytes as received (CRLF line ends, the
 * DATA decoder normalised bare CR/LF): no I/O, no store, no allocation.
 * tests/unit/check_smtp_header.c drives them.
 */
#ifndef POSTHORN_SMTP_HEADER_H
#define POSTHORN_SMTP_HEADER_H

#include <stddef.h>

/* From fields looked at; a message with more is refused (RFC 5322: one). */
#define SMTP_HEADER_FROM_MAX	4

struct smtp_header_scan {
	int	 has_header;	/* the content starts with a header field */
	int	 has_date;
	int	 has_message_id;
	int	 n_from;	/* From fields (also counted past the max) */
	size_t	 from_off[SMTP_HEADER_FROM_MAX];	/* value after "From:" */
	size_t	 from_len[SMTP_HEADER_FROM_MAX];	/* incl. folding, no final CRLF */
};

/*
 * Scan the header section of msg (len bytes): it ends at the first empty
 * line, or at the first line that is neither a field nor a continuation
 * (then the rest is body). Field names are matched case-insensitively.
 */
void	 smtp_header_scan(const char *msg, size_t len, struct smtp_header_scan *r);

/*
 * Walk an RFC 5322 address-list (a From value, possibly folded): display
 * names, comments, groups and obsolete routes are skipped, and cb gets
 * each addr-spec as "local@domain" (a quoted local part stays quoted,
 * CFWS removed), NUL-terminated, shorter than addrsize. cb returns 0 to go
 * on, or a positive value to stop the walk (that value is returned).
 * Returns the number of addresses, or -1 when the value is not a valid
 * address-list (unbalanced quotes, comments, brackets or groups, an
 * address without '@', two addresses run together, one too long).
 */
int	 smtp_header_addresses(const char *value, size_t len, size_t addrsize,
	    int (*cb)(void *arg, const char *addr), void *arg);

#endif
