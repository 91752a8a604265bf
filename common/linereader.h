/*
 * linereader.h: the one bounded line reader every protocol uses.
 *
 * linereader_get() takes one line from a libevent input buffer. A line ends
 * with LF; a CR right before it is stripped, so "CMD\r\n" and "CMD\n" both
 * give "CMD" (RFC 5321 4.1.1 asks for CRLF, but clients in the wild send
 * bare LF on commands and refusing them helps nobody). A bare CR inside a
 * line and NUL bytes are left in the line: the caller's parser rejects them.
 *
 * The limit is enforced before LF arrives: once more than max bytes are
 * buffered without LF the line is too long, whatever comes later.
 */
#ifndef POSTHORN_LINEREADER_H
#define POSTHORN_LINEREADER_H

#include <stddef.h>

struct evbuffer;

enum linereader_result {
	LINE_OK = 1,		/* *len_r bytes in line, NUL-terminated */
	LINE_NEED_MORE = 0,	/* no LF yet, under the limit */
	LINE_TOO_LONG = -1	/* over max; the buffered bytes of that line are discarded */
};

/*
 * Take one line (without CRLF) into line (size linesize, which bounds the
 * line: at most linesize - 1 bytes plus CRLF). On LINE_TOO_LONG the reader
 * discards the over-long line's bytes up to and including its LF if present;
 * when no LF has arrived yet it discards what is buffered and sets
 * *skipping so later calls keep discarding until the LF (pass the same int
 * every time, initialised to 0).
 */
enum linereader_result linereader_get(struct evbuffer *in, char *line,
	    size_t linesize, size_t *len_r, int *skipping);

#endif
