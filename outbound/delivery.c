/*
 * delivery.c: one attempt at one queue entry. Route it (MX or relayhost),
 * sign it (DKIM), try the targets in order until one takes the
 * transaction, then record the outcome of every pending recipient in one
 * durable store write together with the bounce it causes.
 *
 * Classification (RFC 5321 4.2.1, 4.5.4.1): a 2xx after the final "."
 * delivers the recipients whose RCPT got 2xx; a 5xx (to RCPT, or to the
 * whole transaction) fails them for good and bounces; anything else
 * (4xx, no answer, refused connections on every MX) leaves them pending
 * for the retry schedule, until queue_lifetime runs out and they bounce
 * too. A target that cannot even be connected to (or greets with an
 * error) is skipped for the next one; once a server took part in a
 * transaction, its verdict stands for this attempt.
 *
 * It does not schedule (outbound.c) and does not format DSNs (dsn.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dsn.h"
#include "log.h"
#include "mime.h"
#include "outbound.h"
#include "outbound_internal.h"
#include "retry.h"
#include "route.h"
#include "smtp_client.h"
#include "util.h"

/* What became of one pending recipient in this attempt. */
struct rcpt_outcome {
	size_t		 index;		/* into the entry's rcpts */
	int		 state;		/* enum store_queue_rcpt_state */
	int		 remote;	/* reply came from a server (DSN Diagnostic-Code: smtp) */
	char		 reply[SMTPC_REPLY_MAX];
};

struct attempt {
	struct store			*store;
	const struct outbound_gen	*gen;
	const struct store_queue_entry	*e;
	int64_t				 now;
	struct rcpt_outcome		*out;	/* one per pending recipient */
	size_t				 n_out;
	char				 relay[DNS_NAME_MAX + 80];	/* "host[addr]:port" of the last server */
	char				 mta[DNS_NAME_MAX + 1];		/* its name, for the DSN */
	const char			*data;	/* the message as sent (signed) */
	size_t				 len;
	struct smtpc			*conn;	/* the server that took the transaction */
};

static void
outcome_set_all(struct attempt *a, int state, int remote, const char *reply)
{
	size_t i;

	for (i = 0; i < a->n_out; i++) {
		a->out[i].state = state;
		a->out[i].remote = remote;
		str_copy(a->out[i].reply, reply, sizeof(a->out[i].reply));
	}
}

/* "8-bit" anywhere: the message needs BODY=8BITMIME (RFC 6152). */
static int
has_8bit(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	return 0;
}

static size_t
header_length(const char *p, size_t len)
{
	const char *end = memmem(p, len, "\r\n\r\n", 4);

	return end != NULL ? (size_t)(end - p) : len;
}

/*
 * SMTPUTF8 (RFC 6531 3.2) is needed when an envelope address or the
 * header is not ASCII; a client that declared SMTPUTF8 for an ASCII
 * message does not force it on a server that lacks it.
 */
static int
needs_smtputf8(const struct store_queue_entry *e, const char *data, size_t len)
{
	size_t i;

	if (has_8bit(e->sender, strlen(e->sender)))
		return 1;
	for (i = 0; i < e->n_rcpts; i++)
		if (has_8bit(e->rcpts[i].address, strlen(e->rcpts[i].address)))
			return 1;
	return (e->flags & STORE_QUEUE_F_SMTPUTF8) &&
	    has_8bit(data, header_length(data, len));
}

static void
client_options(const struct attempt *a, const struct route_target *t,
    struct smtpc_options *o, char *name, size_t namesize)
{
	const struct config	*cfg = &a->gen->cfg;
	uint16_t		 port = 0;

	memset(o, 0, sizeof(*o));
	o->helo = cfg->hostname;
	o->connect_timeout = cfg->outbound_connect_timeout;
	o->command_timeout = cfg->outbound_timeout;
	/* RFC 5321 4.5.3.2.6: 10 minutes for the reply to the final "." */
	o->data_timeout = cfg->outbound_timeout * 2;
	o->ssl_ctx = a->gen->ssl_ctx;
	if (cfg->relayhost[0] == '\0') {
		str_copy(name, t->host, namesize);
		o->tls = cfg->outbound_tls == OUTBOUND_TLS_ENCRYPT ? SMTPC_TLS_REQUIRE :
		    cfg->outbound_tls == OUTBOUND_TLS_NONE ? SMTPC_TLS_NONE : SMTPC_TLS_MAY;
		o->tls_verify = 0;	/* RFC 7435: opportunistic, unauthenticated */
	} else {
		/* config_load checked its form: host:port, [addr]:port. */
		if (split_hostport(cfg->relayhost, name, namesize, &port) < 0)
			str_copy(name, cfg->relayhost, namesize);
		switch (cfg->relayhost_tls) {
		case RELAYHOST_TLS_STARTTLS: o->tls = SMTPC_TLS_REQUIRE; break;
		case RELAYHOST_TLS_IMPLICIT: o->tls = SMTPC_TLS_IMPLICIT; break;
		case RELAYHOST_TLS_NONE: o->tls = SMTPC_TLS_NONE; break;
		default:
			/* RFC 8314: 465 is implicit TLS; elsewhere insist on STARTTLS. */
			o->tls = port == 465 ?
			    SMTPC_TLS_IMPLICIT : SMTPC_TLS_REQUIRE;
		}
		o->tls_verify = cfg->relayhost_tls_verify && o->tls != SMTPC_TLS_NONE;
		if (cfg->relayhost_user[0] != '\0') {
			o->auth_user = cfg->relayhost_user;
			o->auth_password = cfg->relayhost_password;
		}
	}
	o->server_name = name;
}

static void
target_describe(const struct route_target *t, char *buf, size_t bufsize)
{
	char addr[64];

	sockaddr_ntop((const struct sockaddr *)&t->addr, addr, sizeof(addr));
	if (str_format(buf, bufsize, "%s[%s]", t->host, addr) < 0)
		str_copy(buf, t->host, bufsize);
}

/* Map the client's answers onto the pending recipients. */
static void
outcome_from_send(struct attempt *a, int status, const struct smtpc_reply *rcpt_r,
    const struct smtpc_reply *reply)
{
	size_t i;

	for (i = 0; i < a->n_out; i++) {
		const struct smtpc_reply *r = &rcpt_r[i];
		struct rcpt_outcome *o = &a->out[i];

		o->remote = 1;
		if (r->code >= 500 && r->code < 600) {
			o->state = STORE_QUEUE_FAILED;
			str_copy(o->reply, r->text, sizeof(o->reply));
		} else if (r->code >= 400 && r->code < 500) {
			o->state = STORE_QUEUE_PENDING;
			str_copy(o->reply, r->text, sizeof(o->reply));
		} else if (status == SMTPC_OK) {
			o->state = STORE_QUEUE_DELIVERED;
			str_copy(o->reply, reply->text, sizeof(o->reply));
		} else {
			o->state = status == SMTPC_PERM ? STORE_QUEUE_FAILED : STORE_QUEUE_PENDING;
			o->remote = reply->code != 0;
			str_copy(o->reply, reply->text, sizeof(o->reply));
		}
	}
}

/*
 * Run the transaction on an open connection; the outcomes are set, and
 * the connection becomes a->conn. Returns 1 when the server answered
 * nothing at all (a kept connection it had closed meanwhile): then the
 * outcomes mean nothing and the caller connects afresh.
 */
static int
send_on(struct attempt *a, struct smtpc *c, const char *where, const char *host,
    const char *const *rcpts)
{
	struct smtpc_reply	 reply, *rcpt_r;
	struct smtpc_envelope	 env;
	size_t			 i;
	int			 st, silent;

	memset(&env, 0, sizeof(env));
	env.sender = a->e->sender;
	env.rcpts = rcpts;
	env.n_rcpts = a->n_out;
	env.data = a->data;
	env.len = a->len;
	env.need_8bitmime = (a->e->flags & STORE_QUEUE_F_8BITMIME) || has_8bit(a->data, a->len);
	env.need_smtputf8 = needs_smtputf8(a->e, a->data, a->len);
	rcpt_r = xcalloc(a->n_out, sizeof(*rcpt_r));
	memset(&reply, 0, sizeof(reply));
	st = smtpc_send(c, &env, rcpt_r, &reply);
	silent = st == SMTPC_TEMP && reply.code == 0 && !smtpc_usable(c);
	for (i = 0; i < a->n_out && silent; i++)
		silent = rcpt_r[i].code == 0;
	outcome_from_send(a, st, rcpt_r, &reply);
	free(rcpt_r);
	str_copy(a->relay, where, sizeof(a->relay));
	str_copy(a->mta, host, sizeof(a->mta));
	a->conn = c;
	return silent;
}

/*
 * Connect to one target (again without TLS when opportunistic TLS failed:
 * RFC 7435 prefers plaintext delivery to none) and run the transaction.
 * Returns 1 when a server took the transaction (outcomes set), 0 when the
 * next target should be tried (*why says what went wrong here).
 */
static int
try_target(struct attempt *a, const struct route_target *t, const char *const *rcpts,
    char *why, size_t whylen)
{
	struct smtpc_options	 o;
	struct smtpc_reply	 fail;
	struct smtpc		*c = NULL;
	char			 name[DNS_NAME_MAX + 1], where[DNS_NAME_MAX + 80];
	int			 st;

	client_options(a, t, &o, name, sizeof(name));
	target_describe(t, where, sizeof(where));
	memset(&fail, 0, sizeof(fail));
	st = smtpc_open(&c, (const struct sockaddr *)&t->addr, t->addrlen, &o, &fail);
	if (st != SMTPC_OK && fail.tls_failed && o.tls == SMTPC_TLS_MAY) {
		log_info("outbound: id=%llu relay=%s TLS failed (%s), trying without",
		    (unsigned long long)a->e->id, where, fail.text);
		o.tls = SMTPC_TLS_NONE;
		memset(&fail, 0, sizeof(fail));
		st = smtpc_open(&c, (const struct sockaddr *)&t->addr, t->addrlen, &o, &fail);
	}
	if (st != SMTPC_OK) {
		if (str_format(why, whylen, "%s: %s", where, fail.text) < 0)
			str_copy(why, fail.text, whylen);
		return 0;
	}
	if (smtpc_tls_info(c)[0] != '\0')
		log_debug("outbound: id=%llu relay=%s tls=\"%s\"",
		    (unsigned long long)a->e->id, where, smtpc_tls_info(c));
	/* QUIT waits until the outcome is durable (delivery_attempt). */
	(void)send_on(a, c, where, t->host, rcpts);
	return 1;
}

/*
 * A kept connection to this destination: no DNS, no handshake. 1 when it
 * carried the transaction, 0 when it had died (closed here; the caller
 * routes and connects as usual).
 */
static int
try_kept(struct attempt *a, struct delivery_conn *dc, const char *const *rcpts)
{
	if (dc->c == NULL)
		return 0;
	if (smtpc_usable(dc->c) && send_on(a, dc->c, dc->where, dc->host, rcpts) == 0)
		return 1;
	a->conn = NULL;
	delivery_conn_close(dc);
	return 0;
}

/* Route and try each target until one takes the transaction. */
static void
attempt_deliver(struct attempt *a, const char *const *rcpts, struct delivery_conn *dc)
{
	struct route_target	*t;
	size_t			 n = 0, i;
	char			 why[SMTPC_REPLY_MAX] = "", last[SMTPC_REPLY_MAX] = "";
	const struct config	*cfg = &a->gen->cfg;
	int			 rs;

	if (try_kept(a, dc, rcpts))
		return;
	t = xcalloc(ROUTE_MAX_TARGETS, sizeof(*t));
	if (cfg->relayhost[0] != '\0')
		rs = route_relayhost(a->gen->resolver, cfg->relayhost, t,
		    ROUTE_MAX_TARGETS, &n, why, sizeof(why));
	else
		rs = route_lookup(a->gen->resolver, a->e->domain,
		    (uint16_t)cfg->outbound_port, t, ROUTE_MAX_TARGETS, &n,
		    why, sizeof(why));
	if (rs == ROUTE_PERMFAIL) {
		/* RFC 7505 3: 5.1.10 for a null MX; RFC 3463: 5.1.2 bad destination system. */
		if (str_format(last, sizeof(last), "%s %s",
		    strstr(why, "null MX") != NULL ? "5.1.10" : "5.1.2", why) < 0)
			str_copy(last, why, sizeof(last));
		outcome_set_all(a, STORE_QUEUE_FAILED, 0, last);
		str_copy(a->relay, "none", sizeof(a->relay));
	} else if (rs != ROUTE_OK || n == 0) {
		outcome_set_all(a, STORE_QUEUE_PENDING, 0,
		    why[0] != '\0' ? why : "no route to the destination");
		str_copy(a->relay, "none", sizeof(a->relay));
	} else {
		for (i = 0; i < n; i++)
			if (try_target(a, &t[i], rcpts, last, sizeof(last)))
				break;
		if (i == n) {
			/* Nobody took it: a temporary condition of the network or the peers. */
			outcome_set_all(a, STORE_QUEUE_PENDING, 0, last);
			target_describe(&t[n - 1], a->relay, sizeof(a->relay));
		}
	}
	free(t);
}

/* The bounce for the recipients that failed now; NULL when none is due. */
static char *
attempt_dsn(struct attempt *a, size_t *len_r)
{
	struct dsn_rcpt	*dr;
	struct dsn_info	 info;
	size_t		 i, n = 0;
	char		*msg, (*status)[16];

	*len_r = 0;
	/* Never a bounce for a bounce, nor to <> (RFC 5321 4.5.5, RFC 3464 2). */
	if (a->e->sender[0] == '\0' || (a->e->flags & STORE_QUEUE_F_BOUNCE))
		return NULL;
	dr = xcalloc(a->n_out, sizeof(*dr));
	status = xcalloc(a->n_out, sizeof(*status));
	for (i = 0; i < a->n_out; i++) {
		if (a->out[i].state != STORE_QUEUE_FAILED)
			continue;
		dsn_status_from_reply(a->out[i].reply, 5, status[n], sizeof(status[n]));
		dr[n].address = a->e->rcpts[a->out[i].index].address;
		dr[n].action = "failed";
		dr[n].status = status[n];
		dr[n].remote_mta = a->out[i].remote ? a->mta : "";
		dr[n].diagnostic = a->out[i].reply;
		dr[n].remote = a->out[i].remote;
		n++;
	}
	msg = NULL;
	if (n > 0) {
		char id[24];

		(void)snprintf(id, sizeof(id), "%llu", (unsigned long long)a->e->id);
		memset(&info, 0, sizeof(info));
		info.hostname = a->gen->cfg.hostname;
		info.sender = a->e->sender;
		info.queue_id = id;
		info.arrival = a->e->created;
		info.now = a->now;
		info.original = a->data;
		info.original_len = a->len;
		msg = dsn_build(&info, dr, n, len_r);
	}
	free(status);
	free(dr);
	return msg;
}

/*
 * Where the bounce goes: the sender's INBOX when the sender is local,
 * else a new queue entry from <> to the sender's domain.
 */
static int
bounce_delivery(struct attempt *a, const char *msg, size_t len,
    struct store_delivery *d, uint64_t *ids, struct store_queue_new *q,
    const char **rcpt)
{
	size_t		 n = 0;
	const char	*at;
	int		 rc;

	memset(d, 0, sizeof(*d));
	d->data = msg;
	d->len = len;
	rc = store_resolve_rcpt(a->store, a->e->sender, ids, STORE_MAX_RCPT_USERS, &n);
	if (rc == 0 && n > 0) {
		d->user_ids = ids;
		d->n_users = n;
		return 0;
	}
	if (rc != 1 || (at = strrchr(a->e->sender, '@')) == NULL)
		return -1;	/* a local address without a mailbox: nobody to tell */
	memset(q, 0, sizeof(*q));
	*rcpt = a->e->sender;
	q->sender = "";
	q->domain = at + 1;
	q->rcpts = rcpt;
	q->n_rcpts = 1;
	q->flags = STORE_QUEUE_F_BOUNCE;
	d->queue = q;
	d->n_queue = 1;
	return 0;
}

static void
attempt_log(const struct attempt *a, const struct rcpt_outcome *o, const char *status)
{
	char reply[SMTPC_REPLY_MAX];

	log_sanitize(reply, sizeof(reply), o->reply, strlen(o->reply));
	log_info("outbound: id=%llu from=<%s> to=<%s> relay=%s attempts=%u status=%s reply=\"%s\"",
	    (unsigned long long)a->e->id, a->e->sender,
	    a->e->rcpts[o->index].address, a->relay[0] ? a->relay : "none",
	    a->e->attempts + 1, status, reply);
}

/* Expire what stays pending past the lifetime, then write it all down. */
static void
attempt_record(struct attempt *a)
{
	struct store_queue_rcpt_update	*u;
	struct store_queue_update	 qu;
	struct store_delivery		 bounce;
	struct store_queue_new		 bq;
	struct store_queue_entry	 still;
	const char			*brcpt = NULL;
	uint64_t			*ids;
	char				*dsn = NULL, expired[SMTPC_REPLY_MAX];
	size_t				 i, dsn_len = 0;
	int64_t				 next = 0;
	int				 pending = 0, rc;

	for (i = 0; i < a->n_out; i++)
		pending += a->out[i].state == STORE_QUEUE_PENDING;
	if (pending > 0 &&
	    (next = retry_next_attempt(&a->gen->cfg, a->e->created, a->e->attempts + 1, a->now)) == 0) {
		for (i = 0; i < a->n_out; i++) {
			if (a->out[i].state != STORE_QUEUE_PENDING)
				continue;
			if (str_format(expired, sizeof(expired),
			    "5.4.7 delivery time expired after %u attempts; last error: %s",
			    a->e->attempts + 1, a->out[i].reply) < 0)
				str_copy(expired, "delivery time expired", sizeof(expired));
			str_copy(a->out[i].reply, expired, sizeof(a->out[i].reply));
			a->out[i].state = STORE_QUEUE_FAILED;
			a->out[i].remote = 0;
		}
	}

	u = xcalloc(a->n_out, sizeof(*u));
	for (i = 0; i < a->n_out; i++) {
		u[i].index = a->out[i].index;
		u[i].state = a->out[i].state;
		u[i].reply = a->out[i].reply;
	}
	memset(&qu, 0, sizeof(qu));
	qu.id = a->e->id;
	qu.rcpts = u;
	qu.n_rcpts = a->n_out;
	qu.count_attempt = 1;
	qu.now = a->now;
	qu.next_attempt = next;
	ids = xreallocarray(NULL, STORE_MAX_RCPT_USERS, sizeof(uint64_t));
	if ((dsn = attempt_dsn(a, &dsn_len)) != NULL) {
		if (bounce_delivery(a, dsn, dsn_len, &bounce, ids, &bq, &brcpt) == 0)
			qu.bounce = &bounce;
		else
			log_warn("outbound: id=%llu no mailbox for the bounce to <%s>",
			    (unsigned long long)a->e->id, a->e->sender);
	}
	rc = store_queue_update_wait(a->store, &qu);
	if (rc == STORE_ENOTFOUND && qu.bounce != NULL &&
	    store_queue_get(a->store, a->e->id, &still) == 0) {
		/* The bounce's mailbox vanished meanwhile, not the entry: record without it. */
		store_queue_entry_free(&still);
		log_warn("outbound: id=%llu the bounce to <%s> has no mailbox any more",
		    (unsigned long long)a->e->id, a->e->sender);
		qu.bounce = NULL;
		rc = store_queue_update_wait(a->store, &qu);
	}
	if (rc < 0)
		log_error("outbound: id=%llu recording the attempt failed: %s",
		    (unsigned long long)a->e->id, store_strerror(rc));
	for (i = 0; i < a->n_out; i++)
		attempt_log(a, &a->out[i],
		    a->out[i].state == STORE_QUEUE_DELIVERED ? "sent" :
		    a->out[i].state == STORE_QUEUE_FAILED ? "bounced" : "deferred");
	if (qu.bounce != NULL && rc == 0)
		outbound_wakeup();	/* a bounce may itself be queued */
	free(dsn);
	free(ids);
	free(u);
}

/*
 * Where the message starts once the Return-Path fields at its top are cut:
 * the store keeps the one added at acceptance (for local mailboxes), but
 * RFC 5321 4.4 says a relaying server SHOULD NOT send one; the final
 * delivery server adds its own.
 */
static size_t
skip_return_path(const char *data, size_t len)
{
	struct mime_header_iter		 it;
	struct mime_header_field	 f;
	size_t				 off = 0;

	mime_header_iter_init(&it, data, len);
	while (mime_header_next(&it, &f) && f.line == data + off &&
	    f.name_len == 11 && strncasecmp(f.name, "Return-Path", 11) == 0)
		off += f.line_len;
	return off;
}

/* The message as it leaves: DKIM-Signature fields prepended when we sign for its From domain. */
static char *
attempt_sign(const struct attempt *a, const char *data, size_t len, size_t *len_r)
{
	char	*sig, *out, err[256] = "";
	size_t	 siglen = 0;

	*len_r = 0;
	if (a->gen->keyring == NULL)
		return NULL;
	sig = dkim_keyring_sign(a->gen->keyring, data, len, (time_t)a->now,
	    &siglen, err, sizeof(err));
	if (sig == NULL) {
		if (err[0] != '\0')
			log_warn("outbound: id=%llu not signed: %s",
			    (unsigned long long)a->e->id, err);
		return NULL;
	}
	out = xmalloc(siglen + len);
	memcpy(out, sig, siglen);
	memcpy(out + siglen, data, len);
	free(sig);
	*len_r = siglen + len;
	return out;
}

void
delivery_conn_close(struct delivery_conn *dc)
{
	smtpc_close(dc->c);
	memset(dc, 0, sizeof(*dc));
}

/* After the record: keep the connection for the next entry, or QUIT. */
static void
attempt_keep_conn(struct attempt *a, struct delivery_conn *dc)
{
	if (a->conn == NULL)
		return;
	if (a->conn != dc->c) {		/* a new connection: replaces the kept one */
		delivery_conn_close(dc);
		dc->c = a->conn;
		str_copy(dc->where, a->relay, sizeof(dc->where));
		str_copy(dc->host, a->mta, sizeof(dc->host));
	}
	if (++dc->uses >= DELIVERY_CONN_MAX_USES || !smtpc_usable(dc->c))
		delivery_conn_close(dc);
}

void
delivery_attempt(struct store *store, const struct outbound_gen *gen,
    const struct store_queue_entry *e, struct delivery_conn *dc)
{
	struct attempt	 a;
	const char	**rcpts;
	char		*data = NULL, *signed_msg;
	size_t		 len = 0, signed_len, i;
	int		 rc;

	memset(&a, 0, sizeof(a));
	a.store = store;
	a.gen = gen;
	a.e = e;
	a.now = (int64_t)time(NULL);
	a.out = xcalloc(e->n_rcpts, sizeof(*a.out));
	rcpts = xcalloc(e->n_rcpts, sizeof(*rcpts));
	for (i = 0; i < e->n_rcpts; i++)
		if (e->rcpts[i].state == STORE_QUEUE_PENDING) {
			a.out[a.n_out].index = i;
			rcpts[a.n_out++] = e->rcpts[i].address;
		}
	if (a.n_out == 0)
		goto done;	/* finished meanwhile */

	if ((rc = store_blob_read(store, e->blob_id, &data, &len)) < 0) {
		log_error("outbound: id=%llu message unreadable: %s",
		    (unsigned long long)e->id, store_strerror(rc));
		outcome_set_all(&a, STORE_QUEUE_PENDING, 0, "local error: message unreadable");
		a.data = "";
	} else {
		size_t skip = skip_return_path(data, len);

		if (skip > 0) {
			memmove(data, data + skip, len - skip);
			len -= skip;
		}
		signed_msg = attempt_sign(&a, data, len, &signed_len);
		if (signed_msg != NULL) {
			free(data);
			data = signed_msg;
			len = signed_len;
		}
		a.data = data;
		a.len = len;
		attempt_deliver(&a, rcpts, dc);
	}
	/* Record the remote verdict before QUIT: a crash then repeats nothing acknowledged. */
	attempt_record(&a);
	attempt_keep_conn(&a, dc);
done:
	free(data);
	free(rcpts);
	free(a.out);
}
