/*
 * smtp_data.h: the incremental decoder for SMTP message content: DATA
 * (RFC 5321 4.1.1.4, 4.5.2) and BDAT chunks (RFC 3030).
 *
 * Pure: bytes in, message bytes out into a growing buffer; no I/O, no
 * session. The decoder keeps its position between calls, so any split of
 * the input (one byte at a time, or everything at once) gives the same
 * message and the same end point; tests/unit/check_smtp_data.c feeds every
 * input at every split point.
 *
 * Policy (documented here because it is a security decision):
 *  - DATA ends only at <CRLF>.<CRLF>, where the first CRLF is a real CR LF
 *    pair ending the previous line (or the DATA command line itself). A bare
 *    LF or a bare CR is never a line end for this purpose, so none of
 *    "\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n" can end or fake the end of data
 *    (SMTP smuggling, CVE-2023-51764).
 *  - Bare LF and bare CR in the content are normalized to CRLF in the stored
 *    message (RFC 5322 messages have CRLF line ends; POP3 and IMAP count
 *    sizes in CRLF). They are counted so the session can log them. A line
 *    that starts after a bare line end is not a line start for
 *    dot-unstuffing either: "\n..x" is stored as "\r\n..x".
 *  - Dot-unstuffing (RFC 5321 4.5.2): at a real line start, a "." followed
 *    by more characters on the line is removed.
 *  - Text lines have no length limit of their own: the decoder streams and
 *    never buffers a line, so the only bound is the message size. RFC 5321
 *    4.5.3.1.6 (1000 octets) binds generators; refusing long lines loses
 *    real mail and protects nothing here.
 *  - The size limit is checked on the decoded octets while streaming: past
 *    it, octets are counted and dropped (the buffer never grows beyond the
 *    limit) and the session answers 552 at the end of data.
 *  - BDAT chunks are taken verbatim (no dot-stuffing, no end marker) except
 *    for the same bare CR/LF normalization, which is carried across chunk
 *    boundaries.
 */
#ifndef POSTHORN_SMTP_DATA_H
#define POSTHORN_SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer (xrealloc: cannot fail). */
struct smtp_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	 smtp_buf_append(struct smtp_buf *b, const void *p, size_t n);
/* Free the buffer's memory and reset it to empty. */
void	 smtp_buf_free(struct smtp_buf *b);

struct smtp_data {
	int		 state;		/* private decoder state */
	int		 done;		/* DATA: <CRLF>.<CRLF> seen */
	int		 overflow;	/* more than max octets decoded */
	uint64_t	 max;		/* size limit; 0 = none */
	uint64_t	 size;		/* decoded octets, including those dropped */
	uint64_t	 bare_lf;	/* bare LFs normalized */
	uint64_t	 bare_cr;	/* bare CRs normalized */
	struct smtp_buf	*out;		/* not owned */
};

/* Start decoding one message into out (appended to; it may already hold headers). */
void	 smtp_data_init(struct smtp_data *d, struct smtp_buf *out, uint64_t max);

/*
 * DATA: decode up to len bytes of in. Returns the number of bytes consumed:
 * all of them, or fewer when the end of data was reached (d->done is set and
 * the rest belongs to the next command, RFC 2920 pipelining). Calling it
 * after done consumes nothing.
 */
size_t	 smtp_data_feed(struct smtp_data *d, const char *in, size_t len);

/* BDAT: decode the bytes of a chunk (all are consumed). */
void	 smtp_data_feed_chunk(struct smtp_data *d, const char *in, size_t len);
/* BDAT LAST: the message is complete (flushes a CR left at the very end). */
void	 smtp_data_end_chunks(struct smtp_data *d);

#endif
