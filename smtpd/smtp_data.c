/*
 * smtp_data.c: incremental DATA / BDAT content decoder (see smtp_data.h for
 * the policy on end of data, bare CR/LF, dot-unstuffing and size limits).
 *
 * A five-state machine over the input bytes; the only state that spans many
 * bytes (inside a line) copies whole runs up to the next CR or LF, so the
 * cost per byte is a comparison. It does not read sockets, build headers or
 * know about transactions: smtp_session.c feeds it and reads the result.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "smtp_data.h"
#include "util.h"

/* Decoder states; "line start" means right after a real CR LF pair. */
enum {
	D_BOL = 0,	/* at a line start */
	D_DOT,		/* line start, then "." */
	D_DOT_CR,	/* line start, then ".\r" */
	D_MID,		/* inside a line (or after a bare line end) */
	D_CR		/* a CR whose LF has not been seen yet */
};

static void	 emit(struct smtp_data *d, const char *p, size_t n);

void
smtp_buf_append(struct smtp_buf *b, const void *p, size_t n)
{
	size_t	 cap;

	if (n == 0)
		return;
	if (b->cap - b->len < n) {
		cap = b->cap ? b->cap : 4096;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2)
				fatalx("smtp_buf_append: size overflow");
			cap *= 2;
		}
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
smtp_buf_free(struct smtp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
smtp_data_init(struct smtp_data *d, struct smtp_buf *out, uint64_t max)
{
	memset(d, 0, sizeof(*d));
	d->state = D_BOL;	/* the DATA command line ended with a line end */
	d->max = max;
	d->out = out;
}

/*
 * Count every decoded octet; keep them only up to the limit (so the buffer
 * holds exactly min(size, max) octets, however the input was split).
 */
static void
emit(struct smtp_data *d, const char *p, size_t n)
{
	uint64_t	 room;

	if (d->overflow) {
		d->size += n;
		return;
	}
	if (d->max != 0 && d->size + n > d->max) {
		room = d->max - d->size;
		smtp_buf_append(d->out, p, (size_t)room);
		d->overflow = 1;
	} else
		smtp_buf_append(d->out, p, n);
	d->size += n;
}

/* Length of the run at in[0..len) that holds no CR and no LF. */
static size_t
text_run(const char *in, size_t len)
{
	size_t	 j;

	for (j = 0; j < len && in[j] != '\r' && in[j] != '\n'; j++)
		;
	return j;
}

size_t
smtp_data_feed(struct smtp_data *d, const char *in, size_t len)
{
	size_t	 i = 0, run;
	char	 c;

	while (i < len && !d->done) {
		c = in[i];
		switch (d->state) {
		case D_MID:
			if ((run = text_run(in + i, len - i)) > 0) {
				emit(d, in + i, run);
				i += run;
				break;
			}
			if (c == '\r')
				d->state = D_CR;
			else {
				/* A bare LF: stored as CRLF, but no line start. */
				emit(d, "\r\n", 2);
				d->bare_lf++;
			}
			i++;
			break;
		case D_BOL:
			if (c == '.') {
				d->state = D_DOT;
				i++;
			} else if (c == '\r') {
				d->state = D_CR;
				i++;
			} else
				d->state = D_MID;	/* reprocess c */
			break;
		case D_DOT:
			if (c == '\r') {
				d->state = D_DOT_CR;
				i++;
			} else if (c == '\n') {
				/* "\r\n.\n": a lone "." line with a bare LF, not the end. */
				emit(d, ".\r\n", 3);
				d->bare_lf++;
				d->state = D_MID;
				i++;
			} else
				d->state = D_MID;	/* unstuff: drop the "." */
			break;
		case D_DOT_CR:
			if (c == '\n') {
				d->done = 1;	/* <CRLF>.<CRLF> */
				i++;
			} else {
				/* ".\r" then not LF: a bare CR after a lone "." */
				emit(d, ".\r\n", 3);
				d->bare_cr++;
				d->state = D_MID;	/* reprocess c */
			}
			break;
		case D_CR:
			emit(d, "\r\n", 2);
			if (c == '\n') {
				d->state = D_BOL;
				i++;
			} else {
				d->bare_cr++;
				d->state = D_MID;	/* reprocess c */
			}
			break;
		}
	}
	return i;
}

void
smtp_data_feed_chunk(struct smtp_data *d, const char *in, size_t len)
{
	size_t	 i = 0, run;

	if (d->state != D_CR)
		d->state = D_MID;	/* no line starts in BDAT: no dots to see */
	while (i < len) {
		if (d->state == D_CR) {
			emit(d, "\r\n", 2);
			d->state = D_MID;
			if (in[i] == '\n')
				i++;
			else
				d->bare_cr++;
			continue;
		}
		if ((run = text_run(in + i, len - i)) > 0) {
			emit(d, in + i, run);
			i += run;
		} else if (in[i] == '\r') {
			d->state = D_CR;
			i++;
		} else {
			emit(d, "\r\n", 2);
			d->bare_lf++;
			i++;
		}
	}
}

void
smtp_data_end_chunks(struct smtp_data *d)
{
	if (d->state == D_CR) {
		emit(d, "\r\n", 2);
		d->bare_cr++;
	}
	d->state = D_MID;
	d->done = 1;
}
