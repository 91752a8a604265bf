/*
 * pop3_output.c: turn a stored message into the byte-stuffed multi-line
 * body of a RETR or TOP response (RFC 1939 section 3), and format UIDLs.
 *
 * The transformation is a small state machine so a big message can go out
 * in chunks split at any byte, including between CR and LF and right before
 * a '.' that needs stuffing. It does not read the store or write sockets;
 * pop3_retr.c feeds it and moves its output to the connection.
 */
#include "config.h"

#include <event2/buffer.h>

#include "pop3_output.h"
#include "util.h"

static void	pop3_dotstuff_end_line(struct pop3_dotstuff *ds,
		    struct evbuffer *out);

void
pop3_dotstuff_init(struct pop3_dotstuff *ds, uint64_t body_lines)
{
	ds->body_lines = body_lines;
	ds->line_len = 0;
	ds->pending_cr = 0;
	ds->in_body = 0;
	ds->done = 0;
}

/* A line ended: send CRLF and count it for TOP (RFC 1939 section 7). */
static void
pop3_dotstuff_end_line(struct pop3_dotstuff *ds, struct evbuffer *out)
{
	evbuffer_add(out, "\r\n", 2);
	if (!ds->in_body) {
		/* The first empty line separates header and body (RFC 5322 2.1). */
		if (ds->line_len == 0) {
			ds->in_body = 1;
			if (ds->body_lines == 0)
				ds->done = 1;
		}
	} else if (ds->body_lines != POP3_LINES_ALL) {
		if (--ds->body_lines == 0)
			ds->done = 1;
	}
	ds->line_len = 0;
}

void
pop3_dotstuff_feed(struct pop3_dotstuff *ds, const char *in, size_t len,
    struct evbuffer *out)
{
	static const unsigned char nul_repl = POP3_NUL_REPLACEMENT;
	size_t i = 0, j;

	while (i < len && !ds->done) {
		char ch = in[i];

		if (ds->pending_cr) {
			ds->pending_cr = 0;
			if (ch == '\n') {
				i++;
				pop3_dotstuff_end_line(ds, out);
				continue;
			}
			/* A bare CR is data; it does not start a new line. */
			evbuffer_add(out, "\r", 1);
			ds->line_len++;
		}
		if (ch == '\r') {
			ds->pending_cr = 1;
			i++;
			continue;
		}
		if (ch == '\n') {
			/* A bare LF ends a line as well; it goes out as CRLF. */
			i++;
			pop3_dotstuff_end_line(ds, out);
			continue;
		}
		if (ch == '\0') {
			evbuffer_add(out, &nul_repl, 1);
			ds->line_len++;
			i++;
			continue;
		}
		if (ds->line_len == 0 && ch == '.')
			evbuffer_add(out, ".", 1);
		/* Copy the run of plain bytes up to the next special one. */
		for (j = i; j < len && in[j] != '\r' && in[j] != '\n' &&
		    in[j] != '\0'; j++)
			;
		evbuffer_add(out, in + i, j - i);
		ds->line_len += j - i;
		i = j;
	}
}

int
pop3_dotstuff_done(const struct pop3_dotstuff *ds)
{
	return ds->done;
}

void
pop3_dotstuff_finish(struct pop3_dotstuff *ds, struct evbuffer *out)
{
	/*
	 * The terminator is CRLF "." CRLF: the last line must end with CRLF
	 * even when the stored message does not, or the client would read
	 * the "." as part of it.
	 */
	if (!ds->done && (ds->pending_cr || ds->line_len > 0))
		evbuffer_add(out, "\r\n", 2);
	ds->pending_cr = 0;
	ds->line_len = 0;
	evbuffer_add(out, ".\r\n", 3);
}

void
pop3_uidl_format(char *buf, size_t size, uint32_t uidvalidity, uint32_t uid)
{
	if (str_format(buf, size, "%lu.%lu", (unsigned long)uidvalidity,
	    (unsigned long)uid) < 0)
		buf[0] = '\0';	/* size < POP3_UIDL_MAX: a caller's bug */
}
