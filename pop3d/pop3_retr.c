/*
 * pop3_retr.c: the multi-line message bodies of RETR and TOP, with
 * backpressure.
 *
 * The message is read from the store in one short read transaction, then
 * fed through the byte-stuffer (pop3_output.c) in chunks. Once more than
 * POP3_OUTPUT_HIGH bytes wait for the client, the stream stops and
 * continues from on_drain, so a slow reader costs one message copy and a
 * bounded output buffer, and the loop keeps serving everybody else.
 * It does not parse the message beyond what TOP needs (the empty line).
 */
#include "config.h"

#include <stdlib.h>

#include <event2/buffer.h>

#include "log.h"
#include "net.h"
#include "pop3_maildrop.h"
#include "pop3_output.h"
#include "pop3_session.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define POP3_RETR_CHUNK		(64 * 1024)

struct pop3_stream {
	char			*data;		/* the stored message */
	size_t			 len;
	size_t			 off;		/* fed to the stuffer so far */
	struct pop3_message	*msg;
	int			 is_retr;	/* RETR (mark \Seen) or TOP */
	struct pop3_dotstuff	 ds;
	struct evbuffer		*out;		/* one chunk on its way to the conn */
};

void
pop3_retr_start(struct pop3_session *s, struct pop3_message *m,
    uint64_t body_lines, int is_retr)
{
	struct pop3_stream *st;
	char *data;
	size_t len;
	int r;

	r = store_blob_read(s->store, m->blob_id, &data, &len);
	if (r == STORE_ENOTFOUND) {
		pop3_err(s, "Message was removed by another session.");
		return;
	}
	if (r < 0) {
		log_warn("pop3: conn=%llu cannot read message uid %lu: %s",
		    (unsigned long long)s->id, (unsigned long)m->uid,
		    store_strerror(r));
		pop3_err(s, "[SYS/TEMP] Cannot read the message, try again later.");
		return;
	}
	st = xcalloc(1, sizeof(*st));
	st->data = data;
	st->len = len;
	st->msg = m;
	st->is_retr = is_retr;
	pop3_dotstuff_init(&st->ds, body_lines);
	if ((st->out = evbuffer_new()) == NULL)
		fatalx("pop3: out of memory");
	s->stream = st;
	/* RFC 1939 7: the octet count is the message's, before stuffing. */
	if (is_retr)
		pop3_ok(s, "%llu octets", (unsigned long long)m->size);
	else
		pop3_ok(s, "%s", "");
	pop3_session_block(s, POP3_F_STREAMING);
	pop3_retr_continue(s);
}

void
pop3_retr_continue(struct pop3_session *s)
{
	struct pop3_stream *st = s->stream;
	const struct config *cfg;

	if (st == NULL)
		return;
	for (;;) {
		if (st->off < st->len && !pop3_dotstuff_done(&st->ds)) {
			size_t n = st->len - st->off;

			if (n > POP3_RETR_CHUNK)
				n = POP3_RETR_CHUNK;
			pop3_dotstuff_feed(&st->ds, st->data + st->off, n, st->out);
			st->off += n;
			conn_write_buffer(s->conn, st->out);
		} else {
			pop3_dotstuff_finish(&st->ds, st->out);
			conn_write_buffer(s->conn, st->out);
			break;
		}
		if (conn_output_pending(s->conn) > POP3_OUTPUT_HIGH) {
			/*
			 * The client is reading: that is activity, so restart
			 * the idle timer (it only counts input by itself).
			 */
			cfg = server_config();
			conn_set_timeout(s->conn, cfg != NULL ? cfg->pop3_timeout : 600);
			return;		/* on_drain calls us again */
		}
	}
	if (st->is_retr)
		st->msg->retrieved = 1;
	pop3_retr_free(s);
	pop3_session_unblock(s, POP3_F_STREAMING);
}

void
pop3_retr_free(struct pop3_session *s)
{
	struct pop3_stream *st = s->stream;

	if (st == NULL)
		return;
	free(st->data);
	if (st->out != NULL)
		evbuffer_free(st->out);
	free(st);
	s->stream = NULL;
}
