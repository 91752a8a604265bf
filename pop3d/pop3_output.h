/*
 * pop3_output.h: what POP3 puts on the wire besides status lines: the
 * byte-stuffed multi-line body of RETR and TOP, and UIDL strings.
 * Pure functions over libevent buffers; no session, no store.
 */
#ifndef POSTHORN_POP3_OUTPUT_H
#define POSTHORN_POP3_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* Body lines for TOP's "all of them" (RETR). */
#define POP3_LINES_ALL		UINT64_MAX

/*
 * The replacement for a NUL byte in RETR/TOP output. Outlook hangs on NUL
 * (Dovecot's pop3_client_workarounds=outlook-no-nuls uses 0x80 too); a
 * replacement rather than removal keeps the octet count LIST announced.
 */
#define POP3_NUL_REPLACEMENT	0x80

/*
 * State of one multi-line message response (RFC 1939 section 3), fed the
 * stored message in chunks split anywhere:
 * - every line goes out ending in CRLF: CRLF stays, a bare LF becomes CRLF,
 *   a bare CR stays data (it cannot start a line, so it cannot fake the
 *   terminator);
 * - a line starting with '.' gets another '.' (byte-stuffing);
 * - NUL becomes POP3_NUL_REPLACEMENT;
 * - TOP: the header, the empty line after it and then at most body_lines
 *   lines of the body; the rest is ignored.
 * pop3_dotstuff_finish() ends the last line with CRLF if the message did
 * not, and appends the ".\r\n" terminator.
 */
struct pop3_dotstuff {
	uint64_t	 body_lines;	/* body lines still to send */
	size_t		 line_len;	/* bytes sent of the current line */
	int		 pending_cr;	/* a CR was seen, its LF may follow */
	int		 in_body;	/* the header's empty line went out */
	int		 done;		/* the TOP limit was reached */
};

void	 pop3_dotstuff_init(struct pop3_dotstuff *ds, uint64_t body_lines);
/* Transform len bytes of the message, appending the result to out. */
void	 pop3_dotstuff_feed(struct pop3_dotstuff *ds, const char *in,
	    size_t len, struct evbuffer *out);
/* 1 once TOP's line limit was reached: the rest need not be fed. */
int	 pop3_dotstuff_done(const struct pop3_dotstuff *ds);
void	 pop3_dotstuff_finish(struct pop3_dotstuff *ds, struct evbuffer *out);

/*
 * RFC 1939 section 7: a unique-id is 1-70 characters in 0x21..0x7E, the
 * same for the same message in every session and never reused. A UID is
 * never reused within one UIDVALIDITY of a mailbox (RFC 3501 2.3.1.1), so
 * "UIDVALIDITY.UID" is exactly such an id and agrees with IMAP.
 */
#define POP3_UIDL_MAX		24	/* "4294967295.4294967295" + NUL */
void	 pop3_uidl_format(char *buf, size_t size, uint32_t uidvalidity,
	    uint32_t uid);

#endif
