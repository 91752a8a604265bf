/*
 * smtp_tx.c: one SMTP mail transaction (RFC 5321 3.3): its object, the
 * content read from DATA or BDAT chunks, the durable delivery through the
 * store's writer thread, and the one log line per transaction.
 *
 * Delivery: the message (trace headers + decoded content) goes to
 * store_deliver() with the deduplicated local users. The session holds its
 * input (SMTP_F_WAIT, conn_pause_read) until the store says the message is
 * durable; only then is 250 sent (DESIGN.md: never lose an acknowledged
 * message). The completion runs on the writer thread and is posted back to
 * the connection's loop; the work carries its own copies and a connection
 * reference, never a session pointer, so a client that hangs up meanwhile
 * is harmless.
 *
 * It does not parse commands or decide sequence (smtp_commands.c).
 */
#include "config.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mime.h"
#include "net.h"
#include "server.h"
#include "smtp_received.h"
#include "smtp_session.h"
#include "store.h"
#include "util.h"

/* Build the IMAP cache inline at delivery up to this size (see smtp_tx_commit). */
#define SMTP_CACHE_INLINE_MAX	(256 * 1024)

/* A delivery in flight: everything it needs once the session may be gone. */
struct smtp_commit {
	struct conn	*conn;		/* referenced (conn_ref) until finished */
	struct loop	*loop;
	uint64_t	*users;
	size_t		 n_users;
	char		 id[17];
	char		*log;		/* "id=... rip=... from=<> to=<> size=n" */
	int		 status;	/* store result */
	int		 queued;	/* foreign recipients went to the outbound queue */
};

/* The outbound queue entries of a transaction: one per destination domain. */
struct smtp_queue_groups {
	struct store_queue_new	*q;
	size_t			 n;
	const char		**rcpts;	/* tx->remote sorted by domain; q[i].rcpts point here */
};

static void	 smtp_tx_commit(struct smtp_session *s);
static void	 smtp_commit_done(void *arg, int status);
static void	 smtp_commit_finish(void *arg);
static void	 smtp_tx_log_prefix(struct smtp_session *s, struct smtp_buf *b,
		    uint64_t size);

struct smtp_tx *
smtp_tx_new(void)
{
	struct smtp_tx	*tx = xcalloc(1, sizeof(*tx));
	uint64_t	 r = random_u64();

	if (str_format(tx->id, sizeof(tx->id), "%016llX",
	    (unsigned long long)r) < 0)
		fatalx("smtp_tx_new: id");
	return tx;
}

void
smtp_tx_add_rejected(struct smtp_tx *tx, const char *addr)
{
	/* Bounded: the log line names at most 20 refused recipients. */
	if (tx->n_rejected++ >= 20)
		return;
	if (tx->rejected.len > 0)
		smtp_buf_append(&tx->rejected, ",", 1);
	smtp_buf_append(&tx->rejected, "<", 1);
	smtp_buf_append(&tx->rejected, addr, strlen(addr));
	smtp_buf_append(&tx->rejected, ">", 1);
}

static void
buf_append_str(struct smtp_buf *b, const char *str)
{
	smtp_buf_append(b, str, strlen(str));
}

/* Append an address, made safe for the log (no control bytes, ASCII). */
static void
buf_append_addr(struct smtp_buf *b, const char *addr)
{
	char	 safe[SMTP_ADDR_MAX + 4];

	buf_append_str(b, "<");
	buf_append_str(b, log_sanitize(safe, sizeof(safe), addr, strlen(addr)));
	buf_append_str(b, ">");
}

/*
 * The log line's facts: "id=ID rip=IP [auth=<user>] from=<a> to=<b>,<c>
 * size=N" (NUL-terminated).
 */
static void
smtp_tx_log_prefix(struct smtp_session *s, struct smtp_buf *b, uint64_t size)
{
	struct smtp_tx	*tx = s->tx;
	char		 num[32], safe[1024];
	size_t		 i;

	buf_append_str(b, "id=");
	buf_append_str(b, tx->id);
	buf_append_str(b, " rip=");
	buf_append_str(b, s->peer);
	if (s->flags & SMTP_F_AUTHENTICATED) {
		buf_append_str(b, " auth=");
		buf_append_addr(b, s->auth_user.address);
	}
	buf_append_str(b, " from=");
	buf_append_addr(b, tx->from);
	buf_append_str(b, " to=");
	for (i = 0; i < tx->n_rcpts; i++) {
		if (i > 0)
			buf_append_str(b, ",");
		buf_append_addr(b, tx->rcpts[i]);
	}
	if (tx->n_rejected > 0) {
		buf_append_str(b, " rejected=");
		buf_append_str(b, log_sanitize(safe, sizeof(safe),
		    tx->rejected.data, tx->rejected.len));
	}
	if (str_format(num, sizeof(num), " size=%llu",
	    (unsigned long long)size) == 0)
		buf_append_str(b, num);
	smtp_buf_append(b, "", 1);
}

void
smtp_tx_end(struct smtp_session *s, const char *result, const char *reason)
{
	struct smtp_tx	*tx = s->tx;
	struct smtp_buf	 line = { NULL, 0, 0 };
	char		 why[256];
	size_t		 i;

	if (tx == NULL)
		return;
	if (!tx->logged) {
		smtp_tx_log_prefix(s, &line, tx->dec.size);
		if (reason != NULL)
			log_info("smtp: %s result=%s reason=\"%s\"", line.data,
			    result, log_sanitize(why, sizeof(why), reason,
			    strlen(reason)));
		else
			log_info("smtp: %s result=%s", line.data, result);
		smtp_buf_free(&line);
		tx->logged = 1;
	}
	for (i = 0; i < tx->n_rcpts; i++)
		free(tx->rcpts[i]);
	free(tx->rcpts);
	for (i = 0; i < tx->n_remote; i++)
		free(tx->remote[i]);
	free(tx->remote);
	free(tx->users);
	smtp_buf_free(&tx->rejected);
	smtp_buf_free(&tx->msg);
	free(tx);
	s->tx = NULL;
}

void
smtp_tx_begin_content(struct smtp_session *s)
{
	const struct config	*cfg = server_config();
	struct smtp_tx		*tx = s->tx;
	struct smtp_trace	 t;
	char			 info[128], tls[192];
	int			 auth = (s->flags & SMTP_F_AUTHENTICATED) != 0;

	memset(&t, 0, sizeof(t));
	t.reverse_path = tx->from;
	t.helo = s->helo;
	/* RFC 6409 / privacy: a submitter's address may stay out of the header. */
	t.peer_ip = auth && cfg->submission_hide_ip ? NULL : s->peer;
	t.hostname = cfg->hostname;
	t.protocol = smtp_received_protocol(s->flags & SMTP_F_EHLO, tx->smtputf8,
	    conn_is_tls(s->conn), auth);
	t.id = tx->id;
	t.for_rcpt = tx->n_rcpts == 1 ? tx->rcpts[0] : NULL;
	if (conn_tls_info(s->conn, info, sizeof(info)) == 0) {
		smtp_received_tls_comment(tls, sizeof(tls), info);
		t.tls = tls;
	}
	t.when = time(NULL);
	smtp_received_format(&tx->msg, &t);
	tx->content_off = tx->msg.len;
	smtp_data_init(&tx->dec, &tx->msg, cfg->max_message_size);
}

/* DATA or the last BDAT chunk is complete: refuse an oversized message or deliver. */
static void
smtp_tx_content_done(struct smtp_session *s)
{
	if (s->tx->dec.overflow) {
		/* RFC 1870 section 6.3 */
		smtp_reply(s, 552, ESC_MSG_TOO_BIG,
		    "Message size exceeds fixed maximum message size");
		smtp_tx_end(s, "rejected", "552 5.3.4 message too big");
		smtp_set_state(s, SMTP_STATE_GREETED);
		return;
	}
	if (s->tx->dec.bare_lf || s->tx->dec.bare_cr)
		log_debug("smtp: conn=%llu id=%s normalized %llu bare LF, %llu bare CR",
		    (unsigned long long)s->id, s->tx->id,
		    (unsigned long long)s->tx->dec.bare_lf,
		    (unsigned long long)s->tx->dec.bare_cr);
	/* RFC 6409: what a user submits is checked and completed first. */
	if ((s->flags & SMTP_F_AUTHENTICATED) && smtp_submit_content(s) < 0)
		return;
	smtp_tx_commit(s);
}

int
smtp_tx_read_data(struct smtp_session *s)
{
	struct evbuffer		*in = conn_input(s->conn);
	struct evbuffer_iovec	 v;
	size_t			 used;

	while (!s->tx->dec.done) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			return 0;
		used = smtp_data_feed(&s->tx->dec, v.iov_base, v.iov_len);
		if (evbuffer_drain(in, used) < 0)
			fatalx("smtp_tx_read_data: evbuffer_drain");
	}
	smtp_tx_content_done(s);
	return 1;
}

int
smtp_tx_read_chunk(struct smtp_session *s)
{
	struct evbuffer		*in = conn_input(s->conn);
	struct evbuffer_iovec	 v;
	size_t			 n;

	while (s->chunk_left > 0) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			return 0;
		n = v.iov_len;
		if ((uint64_t)n > s->chunk_left)
			n = (size_t)s->chunk_left;
		if (!s->chunk_discard)
			smtp_data_feed_chunk(&s->tx->dec, v.iov_base, n);
		if (evbuffer_drain(in, n) < 0)
			fatalx("smtp_tx_read_chunk: evbuffer_drain");
		s->chunk_left -= n;
	}

	if (s->chunk_discard) {
		smtp_set_state(s, s->chunk_return);
		smtp_reply(s, s->chunk_code, s->chunk_esc, "%s", s->chunk_text);
		return 1;
	}
	if (s->chunk_last) {
		smtp_data_end_chunks(&s->tx->dec);
		smtp_tx_content_done(s);
		return 1;
	}
	if (s->tx->dec.overflow) {
		/* No use reading the rest: refuse now and end the transaction. */
		smtp_tx_content_done(s);
		return 1;
	}
	smtp_set_state(s, SMTP_STATE_CHUNKING);
	smtp_reply(s, 250, ESC_OTHER, "%llu octets received",
	    (unsigned long long)s->tx->dec.size);
	return 1;
}

/* ------------------------------------------------------------ delivery */

static const char *
addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : "";
}

static int
cmp_by_domain(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	int c = strcmp(addr_domain(*x), addr_domain(*y));

	return c != 0 ? c : strcmp(*x, *y);
}

/*
 * Group the foreign recipients by domain (their domains are lower-cased
 * by add_remote): the queue keeps one entry per destination, so one
 * connection serves all recipients at a domain.
 */
static void
smtp_queue_groups_build(const struct smtp_tx *tx, struct smtp_queue_groups *g)
{
	uint32_t	 flags = 0;
	size_t		 i;

	memset(g, 0, sizeof(*g));
	if (tx->n_remote == 0)
		return;
	if (tx->body == SMTP_BODY_8BITMIME || tx->body == SMTP_BODY_BINARYMIME)
		flags |= STORE_QUEUE_F_8BITMIME;
	if (tx->smtputf8)
		flags |= STORE_QUEUE_F_SMTPUTF8;
	g->rcpts = xreallocarray(NULL, tx->n_remote, sizeof(char *));
	memcpy(g->rcpts, tx->remote, tx->n_remote * sizeof(char *));
	qsort(g->rcpts, tx->n_remote, sizeof(char *), cmp_by_domain);
	g->q = xcalloc(tx->n_remote, sizeof(*g->q));
	for (i = 0; i < tx->n_remote; i++) {
		if (g->n > 0 && strcmp(g->q[g->n - 1].domain, addr_domain(g->rcpts[i])) == 0) {
			g->q[g->n - 1].n_rcpts++;
			continue;
		}
		g->q[g->n].sender = tx->from;
		g->q[g->n].domain = addr_domain(g->rcpts[i]);
		g->q[g->n].rcpts = &g->rcpts[i];
		g->q[g->n].n_rcpts = 1;
		g->q[g->n].flags = flags;
		g->n++;
	}
}

static void
smtp_tx_commit(struct smtp_session *s)
{
	struct smtp_tx		*tx = s->tx;
	struct smtp_commit	*job;
	struct store_delivery	 d;
	struct smtp_queue_groups groups;
	struct smtp_buf		 prefix = { NULL, 0, 0 };
	char			*cache = NULL;
	size_t			 cache_len = 0;

	job = xcalloc(1, sizeof(*job));
	job->conn = s->conn;
	job->loop = conn_loop(s->conn);
	job->n_users = tx->n_users;
	if (tx->n_users > 0) {	/* none when every recipient is foreign */
		job->users = xreallocarray(NULL, tx->n_users, sizeof(uint64_t));
		memcpy(job->users, tx->users, tx->n_users * sizeof(uint64_t));
	}
	memcpy(job->id, tx->id, sizeof(job->id));
	smtp_tx_log_prefix(s, &prefix, tx->msg.len);
	job->log = prefix.data;		/* ownership passes to the job */

	memset(&d, 0, sizeof(d));
	d.user_ids = job->users;
	d.n_users = job->n_users;
	d.data = tx->msg.data;
	d.len = tx->msg.len;
	d.internaldate = 0;
	d.mailbox = NULL;
	d.flags = 0;
	smtp_queue_groups_build(tx, &groups);
	d.queue = groups.q;
	d.n_queue = groups.n;
	job->queued = groups.n > 0;
	/*
	 * The IMAP cache (ENVELOPE, BODYSTRUCTURE, part offsets) is built once
	 * here, at delivery, and stored with the blob. It costs microseconds
	 * for ordinary mail; a big message would hold the loop, so it is left
	 * to the first FETCH, which builds it on a worker thread.
	 */
	if (tx->n_users > 0 && tx->msg.len <= SMTP_CACHE_INLINE_MAX &&
	    mime_cache_build(tx->msg.data, tx->msg.len, &cache, &cache_len) == 0) {
		d.cache = cache;
		d.cache_len = cache_len;
	}

	/* Hold all input (pipelined commands too) until the reply is out. */
	tx->logged = 1;			/* the job writes the line */
	s->flags |= SMTP_F_WAIT;
	smtp_set_state(s, SMTP_STATE_COMMIT);
	conn_pause_read(s->conn);
	conn_ref(s->conn);
	store_deliver(s->store, &d, smtp_commit_done, job);
	/* store_deliver() copied message, cache and queue entries: drop ours now. */
	free(cache);
	free(groups.q);
	free(groups.rcpts);
	smtp_buf_free(&tx->msg);
}

/* On the store's writer thread: no session, no conn calls; post and return. */
static void
smtp_commit_done(void *arg, int status)
{
	struct smtp_commit	*job = arg;

	job->status = status;
	loop_post(job->loop, smtp_commit_finish, job);
}

/* Back on the connection's loop. */
static void
smtp_commit_finish(void *arg)
{
	struct smtp_commit	*job = arg;
	struct conn		*c = job->conn;
	struct smtp_session	*s = NULL;
	const char		*result = "accepted";
	char			 reason[128] = "";

	if (job->status == 0 && job->queued)
		server_queue_changed();
	if (job->status == STORE_EFULL) {
		result = "tempfail";
		str_copy(reason, "452 4.3.1 insufficient system storage", sizeof(reason));
	} else if (job->status != 0) {
		result = "tempfail";
		if (str_format(reason, sizeof(reason), "451 4.3.0 %s",
		    store_strerror(job->status)) < 0)
			str_copy(reason, "451 4.3.0 store error", sizeof(reason));
	}

	if (!conn_is_closed(c))
		s = conn_session(c);
	if (s != NULL && s->state == SMTP_STATE_COMMIT) {
		if (job->status == 0)
			smtp_reply(s, 250, ESC_OTHER, "OK id=%s", job->id);
		else if (job->status == STORE_EFULL)
			smtp_reply(s, 452, ESC_SYSTEM_FULL,
			    "Insufficient system storage, try again later");
		else
			smtp_reply(s, 451, ESC_SYSTEM_OTHER,
			    "Temporary failure, try again later");
		smtp_tx_end(s, result, NULL);
		smtp_set_state(s, SMTP_STATE_GREETED);
		s->flags &= ~SMTP_F_WAIT;
		if (!(s->flags & SMTP_F_OUTPUT_FULL))
			conn_resume_read(c);
		conn_schedule_read(c);	/* pipelined commands already buffered */
	} else if (reason[0] == '\0')
		str_copy(reason, "client gone before the reply", sizeof(reason));

	if (reason[0] != '\0')
		log_info("smtp: %s result=%s reason=\"%s\"", job->log, result, reason);
	else
		log_info("smtp: %s result=%s", job->log, result);
	conn_unref(c);
	free(job->users);
	free(job->log);
	free(job);
}
