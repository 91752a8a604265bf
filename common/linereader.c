/*
 * linereader.c: take one bounded line from a libevent buffer.
 *
 * The limit holds before the LF arrives, so a client cannot make us buffer
 * an endless line; see linereader.h for the CR/LF policy.
 */
#include <string.h>

#include <event2/buffer.h>

#include "linereader.h"

/* Drop bytes up to and including the next LF; returns 1 if an LF was found. */
static int
linereader_skip(struct evbuffer *in)
{
	struct evbuffer_ptr p = evbuffer_search(in, "\n", 1, NULL);

	if (p.pos < 0) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return 0;
	}
	evbuffer_drain(in, (size_t)p.pos + 1);
	return 1;
}

enum linereader_result
linereader_get(struct evbuffer *in, char *line, size_t linesize, size_t *len_r,
    int *skipping)
{
	struct evbuffer_ptr p;
	size_t avail, len;

	if (*skipping) {
		if (!linereader_skip(in))
			return LINE_NEED_MORE;
		*skipping = 0;
	}
	avail = evbuffer_get_length(in);
	if (avail == 0)
		return LINE_NEED_MORE;
	/* Search only as far as a legal line can reach (line + CR + LF). */
	p = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	if (p.pos < 0) {
		if (avail > linesize) {
			*skipping = !linereader_skip(in);
			return LINE_TOO_LONG;
		}
		return LINE_NEED_MORE;
	}
	len = (size_t)p.pos;
	if (len > 0) {
		char last;
		struct evbuffer_ptr q;

		evbuffer_ptr_set(in, &q, len - 1, EVBUFFER_PTR_SET);
		evbuffer_copyout_from(in, &q, &last, 1);
		if (last == '\r')
			len--;
	}
	if (len >= linesize) {
		evbuffer_drain(in, (size_t)p.pos + 1);
		return LINE_TOO_LONG;
	}
	evbuffer_remove(in, line, len);
	line[len] = '\0';
	evbuffer_drain(in, (size_t)p.pos + 1 - len);
	*len_r = len;
	return LINE_OK;
}
