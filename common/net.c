/*
 * net.c: I/O loop threads, listeners and connections (see net.h).
 *
 * The main thread runs an event_base with the listeners and signals; it
 * accepts, applies the connection limits, and hands the socket to a loop
 * thread (round robin) through that loop's post queue. Each loop thread runs
 * its own event_base; a connection is a bufferevent on it, and everything
 * about the connection happens on that thread.
 *
 * Closing is deferred through an event so a handler may call conn_close()
 * from inside its own on_read: on_close (which frees the session) only runs
 * from the loop, never under a handler's feet.
 *
 * Shutdown is graceful: listeners close, every connection stops reading new
 * commands, connections with work in flight (a store commit, a password
 * check; they hold a reference) get up to NET_SHUTDOWN_GRACE_MS to finish
 * and send their reply, then everything closes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "log.h"
#include "net.h"
#include "tls.h"
#include "util.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#define NET_OUTPUT_LOWAT	(64 * 1024)	/* on_drain below this */
#define NET_CLOSE_FLUSH_SECS	10		/* give up flushing a closing conn */
#define NET_SHUTDOWN_GRACE_MS	10000
#define NET_CONN_BUCKETS	1024
#define NET_IP_BUCKETS		4096

struct post {
	struct post	*next;
	void		(*fn)(void *);
	void		*arg;
};

struct loop {
	int			 index;
	pthread_t		 thread;
	struct event_base	*base;
	struct event		*post_ev;
	pthread_mutex_t		 post_mutex;
	struct post		*post_head, *post_tail;
	struct conn		*conns;		/* all live conns, for shutdown */
	struct conn		*buckets[NET_CONN_BUCKETS];
	struct event		*shutdown_ev;
	uint64_t		 shutdown_deadline;
	int			 stopping;
	struct delayed		*delayed;	/* pending loop_post_delayed() timers */
};

struct conn {
	/* permanent */
	uint64_t		 id;
	struct loop		*loop;
	const struct conn_handler *handler;
	void			*listener_arg;
	struct bufferevent	*bev;
	struct event		*deferred_ev;	/* deferred close / schedule_read */
	struct sockaddr_storage	 peer_ss;
	char			 peer[64];
	char			 local[64];
	int			 local_port;
	int			 loopback;
	int			 tls;		/* TLS is on (implicit or STARTTLS) */
	int			 tls_closed;	/* close_notify sent */
	/* lifetime */
	int			 refs;
	struct conn		*next, *prev;	/* loop->conns */
	struct conn		*hnext;		/* loop->buckets chain */
	void			*session;
	/* state */
	int			 closing;	/* conn_close/abort called */
	int			 finished;	/* on_close done, bev freed */
	int			 abort_now;	/* skip flushing */
	int			 read_paused;
	int			 read_scheduled;
	int			 in_handler;
	int			 timeout_secs;
	uint64_t		 flush_deadline;	/* closing: give up flushing then (ms) */
	char			 close_reason[96];
};

struct listener {
	struct listener		*next;
	struct evconnlistener	*evl;
	int			 flags;		/* NET_LISTEN_* */
	const struct conn_handler *handler;
	void			*arg;
};

struct accepted {
	struct loop		*loop;
	int			 fd;
	int			 flags;
	struct sockaddr_storage	 ss;
	const struct conn_handler *handler;
	void			*arg;
};

/* Connections counted per client address (main thread adds, loops remove). */
struct ip_count {
	struct ip_count		*next;
	char			 addr[64];
	int			 count;
};

static struct event_base *net_base;
static struct loop	*net_loops;
static int		 net_nloops;
static unsigned		 net_next_loop;
static struct listener	*net_listeners;
static uint64_t		 net_next_id = 1;
static int		 net_max_conns, net_max_per_ip;
static pthread_mutex_t	 net_count_mutex = PTHREAD_MUTEX_INITIALIZER;
static int		 net_conn_count;
static struct ip_count	*net_ip_buckets[NET_IP_BUCKETS];

static void	conn_finish(struct conn *c);
static void	conn_update_read(struct conn *c);

/* ------------------------------------------------------------ counting */

static unsigned
net_hash_str(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Count a new connection from addr; returns 0, or -1 when over a limit. */
static int
net_count_add(const char *addr)
{
	struct ip_count **bp = &net_ip_buckets[net_hash_str(addr) % NET_IP_BUCKETS], *ic;
	int rc = 0;

	pthread_mutex_lock(&net_count_mutex);
	for (ic = *bp; ic != NULL; ic = ic->next)
		if (strcmp(ic->addr, addr) == 0)
			break;
	if (net_conn_count >= net_max_conns ||
	    (ic != NULL && ic->count >= net_max_per_ip)) {
		rc = -1;
	} else {
		if (ic == NULL) {
			ic = xcalloc(1, sizeof(*ic));
			str_copy(ic->addr, addr, sizeof(ic->addr));
			ic->next = *bp;
			*bp = ic;
		}
		ic->count++;
		net_conn_count++;
	}
	pthread_mutex_unlock(&net_count_mutex);
	return rc;
}

static void
net_count_del(const char *addr)
{
	struct ip_count **pp = &net_ip_buckets[net_hash_str(addr) % NET_IP_BUCKETS], *ic;

	pthread_mutex_lock(&net_count_mutex);
	for (; (ic = *pp) != NULL; pp = &ic->next) {
		if (strcmp(ic->addr, addr) == 0) {
			if (--ic->count == 0) {
				*pp = ic->next;
				free(ic);
			}
			break;
		}
	}
	net_conn_count--;
	pthread_mutex_unlock(&net_count_mutex);
}

/* ---------------------------------------------------------------- posts */

static void
loop_run_posts(evutil_socket_t fd, short what, void *arg)
{
	struct loop *loop = arg;
	struct post *p, *next;

	(void)fd; (void)what;
	pthread_mutex_lock(&loop->post_mutex);
	p = loop->post_head;
	loop->post_head = loop->post_tail = NULL;
	pthread_mutex_unlock(&loop->post_mutex);
	for (; p != NULL; p = next) {
		next = p->next;
		p->fn(p->arg);
		free(p);
	}
}

void
loop_post(struct loop *loop, void (*fn)(void *), void *arg)
{
	struct post *p = xmalloc(sizeof(*p));

	p->next = NULL;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&loop->post_mutex);
	if (loop->post_tail != NULL)
		loop->post_tail->next = p;
	else
		loop->post_head = p;
	loop->post_tail = p;
	pthread_mutex_unlock(&loop->post_mutex);
	/* event_active is thread-safe with evthread_use_pthreads(). */
	if (loop->post_ev != NULL)
		event_active(loop->post_ev, EV_READ, 0);
}

/* A pending timer; listed on its loop (own thread only) so net_free finds it. */
struct delayed {
	void		(*fn)(void *);
	void		*arg;
	struct loop	*loop;
	struct delayed	*prev, *next;
};

static void
loop_unlink_delayed(struct delayed *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		d->loop->delayed = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
}

static void
loop_run_delayed(evutil_socket_t fd, short what, void *arg)
{
	struct delayed d = *(struct delayed *)arg;

	(void)fd; (void)what;
	loop_unlink_delayed(arg);
	free(arg);
	d.fn(d.arg);
}

void
loop_post_delayed(struct loop *loop, unsigned ms, void (*fn)(void *), void *arg)
{
	struct delayed *d = xmalloc(sizeof(*d));
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	d->fn = fn;
	d->arg = arg;
	d->loop = loop;
	d->prev = NULL;
	d->next = loop->delayed;
	if (loop->delayed != NULL)
		loop->delayed->prev = d;
	loop->delayed = d;
	/* At shutdown the loop exits with the timer pending; net_free() runs it early. */
	if (event_base_once(loop->base, -1, EV_TIMEOUT, loop_run_delayed, d, &tv) < 0)
		fatalx("cannot schedule a timer");
}

/* ------------------------------------------------------ conn registry */

static void
loop_add_conn(struct loop *loop, struct conn *c)
{
	struct conn **b = &loop->buckets[c->id % NET_CONN_BUCKETS];

	c->hnext = *b;
	*b = c;
	c->prev = NULL;
	c->next = loop->conns;
	if (loop->conns != NULL)
		loop->conns->prev = c;
	loop->conns = c;
}

static void
loop_del_conn(struct loop *loop, struct conn *c)
{
	struct conn **pp = &loop->buckets[c->id % NET_CONN_BUCKETS];

	for (; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		loop->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

struct conn *
loop_find_conn(struct loop *loop, uint64_t id)
{
	struct conn *c;

	for (c = loop->buckets[id % NET_CONN_BUCKETS]; c != NULL; c = c->hnext)
		if (c->id == id)
			return c->finished ? NULL : c;
	return NULL;
}

/* ---------------------------------------------------------- connections */

void
conn_ref(struct conn *c)
{
	c->refs++;
}

void
conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	free(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->closing || c->read_paused)
		return;
	c->in_handler++;
	c->handler->on_read(c);
	c->in_handler--;
}

/*
 * Closing: finish once everything queued reached the socket. After
 * STARTTLS the bev is a TLS filter whose output moves at once into the
 * underlying socket bev (and nothing calls us when that one drains), so
 * both are checked, polling until NET_CLOSE_FLUSH_SECS are over.
 */
static void
conn_close_if_flushed(struct conn *c)
{
	struct bufferevent *under = bufferevent_get_underlying(c->bev);
	struct timeval poll = { 0, 10 * 1000 };
	SSL *ssl;

	if (evbuffer_get_length(bufferevent_get_output(c->bev)) != 0)
		return;		/* conn_write_cb calls again */
	/*
	 * RFC 8446 6.1: end TLS with close_notify after the last reply, so
	 * the client can tell an orderly close from a truncation. It goes to
	 * the socket (implicit TLS) or into the underlying bev (STARTTLS).
	 */
	if (c->tls && !c->tls_closed && !c->abort_now &&
	    (ssl = bufferevent_openssl_get_ssl(c->bev)) != NULL &&
	    SSL_is_init_finished(ssl)) {
		c->tls_closed = 1;
		(void)SSL_shutdown(ssl);
		ERR_clear_error();
	}
	if (c->abort_now || under == NULL ||
	    evbuffer_get_length(bufferevent_get_output(under)) == 0 ||
	    time_monotonic_ms() >= c->flush_deadline) {
		conn_finish(c);
		return;
	}
	event_add(c->deferred_ev, &poll);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->finished)
		return;
	if (c->closing) {
		conn_close_if_flushed(c);
		return;
	}
	if (c->handler->on_drain != NULL) {
		c->in_handler++;
		c->handler->on_drain(c);
		c->in_handler--;
	}
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->finished)
		return;
	if ((what & BEV_EVENT_TIMEOUT) && !c->closing && (what & BEV_EVENT_READING)) {
		log_debug("%s: conn=%llu rip=%s idle timeout", c->handler->name,
		    (unsigned long long)c->id, c->peer);
		if (c->handler->on_timeout != NULL)
			c->handler->on_timeout(c);
		if (!c->closing)
			conn_close(c, "idle timeout");
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		conn_abort(c, "write timeout");
		return;
	}
	if (what & BEV_EVENT_EOF) {
		conn_abort(c, c->closing ? c->close_reason : "client disconnected");
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		char info[128];

		if (conn_tls_info(c, info, sizeof(info)) == 0)
			log_debug("%s: conn=%llu rip=%s TLS established: %s", c->handler->name,
			    (unsigned long long)c->id, c->peer, info);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		char why[160];
		unsigned long e = c->tls ? bufferevent_get_openssl_error(c->bev) : 0;

		if (e != 0) {
			char ssl_err[128];

			ERR_error_string_n(e, ssl_err, sizeof(ssl_err));
			str_format(why, sizeof(why), "TLS error: %s", ssl_err);
		} else {
			str_format(why, sizeof(why), "socket error: %s",
			    strerror(EVUTIL_SOCKET_ERROR()));
		}
		conn_abort(c, c->closing ? c->close_reason : why);
	}
}

/* The deferred event: finish a close, or re-run on_read for buffered input. */
static void
conn_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd; (void)what;
	if (c->finished)
		return;
	if (c->closing) {
		if (c->abort_now)
			conn_finish(c);
		else
			conn_close_if_flushed(c);
		return;
	}
	if (c->read_scheduled) {
		c->read_scheduled = 0;
		conn_read_cb(c->bev, c);
	}
}

static void
conn_finish(struct conn *c)
{
	if (c->finished)
		return;
	c->finished = 1;
	log_debug("%s: conn=%llu rip=%s closed: %s", c->handler->name,
	    (unsigned long long)c->id, c->peer, c->close_reason);
	c->handler->on_close(c, c->close_reason);
	c->session = NULL;
	bufferevent_free(c->bev);
	c->bev = NULL;
	event_free(c->deferred_ev);
	c->deferred_ev = NULL;
	loop_del_conn(c->loop, c);
	net_count_del(c->peer);
	conn_unref(c);
}

static void
conn_start_close(struct conn *c, const char *reason, int now)
{
	if (c->closing) {
		if (now)
			c->abort_now = 1;
		event_active(c->deferred_ev, EV_TIMEOUT, 0);
		return;
	}
	c->closing = 1;
	c->abort_now = now;
	c->flush_deadline = time_monotonic_ms() + NET_CLOSE_FLUSH_SECS * 1000;
	str_copy(c->close_reason, reason, sizeof(c->close_reason));
	bufferevent_disable(c->bev, EV_READ);
	if (!now) {
		struct timeval tv = { NET_CLOSE_FLUSH_SECS, 0 };
		bufferevent_set_timeouts(c->bev, NULL, &tv);
	}
	event_active(c->deferred_ev, EV_TIMEOUT, 0);
}

void
conn_close(struct conn *c, const char *reason)
{
	if (!c->finished)
		conn_start_close(c, reason, 0);
}

void
conn_abort(struct conn *c, const char *reason)
{
	if (!c->finished)
		conn_start_close(c, reason, 1);
}

int
conn_is_closed(const struct conn *c)
{
	return c->closing || c->finished;
}

struct evbuffer *
conn_input(struct conn *c)
{
	return bufferevent_get_input(c->bev);
}

void
conn_write(struct conn *c, const void *data, size_t len)
{
	if (c->finished || c->abort_now)
		return;
	bufferevent_write(c->bev, data, len);
}

void
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->finished || c->abort_now)
		return;
	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
}

void
conn_write_buffer(struct conn *c, struct evbuffer *buf)
{
	if (c->finished || c->abort_now) {
		evbuffer_drain(buf, evbuffer_get_length(buf));
		return;
	}
	bufferevent_write_buffer(c->bev, buf);
}

size_t
conn_output_pending(struct conn *c)
{
	return c->bev != NULL ? evbuffer_get_length(bufferevent_get_output(c->bev)) : 0;
}

static void
conn_update_read(struct conn *c)
{
	if (c->closing || c->finished)
		return;
	if (c->read_paused || c->loop->stopping)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

void
conn_pause_read(struct conn *c)
{
	c->read_paused = 1;
	conn_update_read(c);
}

void
conn_resume_read(struct conn *c)
{
	c->read_paused = 0;
	conn_update_read(c);
}

void
conn_schedule_read(struct conn *c)
{
	if (c->closing || c->finished || c->loop->stopping)
		return;
	c->read_scheduled = 1;
	event_active(c->deferred_ev, EV_TIMEOUT, 0);
}

void
conn_set_timeout(struct conn *c, int seconds)
{
	struct timeval tv = { seconds, 0 };

	c->timeout_secs = seconds;
	if (c->bev != NULL && !c->closing)
		bufferevent_set_timeouts(c->bev, seconds > 0 ? &tv : NULL, NULL);
}

void		 conn_set_session(struct conn *c, void *s) { c->session = s; }
void		*conn_session(const struct conn *c) { return c->session; }
struct loop	*conn_loop(const struct conn *c) { return c->loop; }
uint64_t	 conn_id(const struct conn *c) { return c->id; }
const char	*conn_peer(const struct conn *c) { return c->peer; }
const char	*conn_local(const struct conn *c) { return c->local; }
int		 conn_local_port(const struct conn *c) { return c->local_port; }
int		 conn_is_loopback(const struct conn *c) { return c->loopback; }
int		 conn_is_tls(const struct conn *c) { return c->tls; }

int
conn_tls_info(const struct conn *c, char *buf, size_t buflen)
{
	SSL *ssl;

	if (!c->tls || c->bev == NULL ||
	    (ssl = bufferevent_openssl_get_ssl(c->bev)) == NULL) {
		str_copy(buf, "", buflen);
		return -1;
	}
	tls_describe(ssl, buf, buflen);
	return 0;
}

int
conn_starttls(struct conn *c)
{
	struct bufferevent *filter;
	struct evbuffer *in;
	SSL *ssl;

	if (c->tls || c->closing || c->finished || (ssl = tls_new_ssl()) == NULL)
		return -1;
	/*
	 * Whatever the client sent after STARTTLS in plaintext must not be
	 * read as if it came through TLS (CVE-2011-0411 and its IMAP/POP3
	 * siblings): drop it before the handshake.
	 */
	in = bufferevent_get_input(c->bev);
	evbuffer_drain(in, evbuffer_get_length(in));
	filter = bufferevent_openssl_filter_new(c->loop->base, c->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (filter == NULL) {
		SSL_free(ssl);
		return -1;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(filter, 1);
	c->bev = filter;
	c->tls = 1;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, NET_OUTPUT_LOWAT, 0);
	conn_set_timeout(c, c->timeout_secs);
	conn_update_read(c);
	return 0;
}

const struct sockaddr *
conn_peer_addr(const struct conn *c)
{
	return (const struct sockaddr *)&c->peer_ss;
}

/* On the loop thread: wrap an accepted socket and start its session. */
static void
conn_attach(void *arg)
{
	struct accepted *a = arg;
	struct loop *loop = a->loop;
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	struct conn *c;

	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->handler = a->handler;
	c->listener_arg = a->arg;
	c->refs = 1;
	c->peer_ss = a->ss;
	sockaddr_ntop((struct sockaddr *)&a->ss, c->peer, sizeof(c->peer));
	c->loopback = sockaddr_is_loopback((struct sockaddr *)&a->ss);
	if (getsockname(a->fd, (struct sockaddr *)&local, &llen) == 0) {
		sockaddr_ntop((struct sockaddr *)&local, c->local, sizeof(c->local));
		c->local_port = local.ss_family == AF_INET6 ?
		    ntohs(((struct sockaddr_in6 *)&local)->sin6_port) :
		    ntohs(((struct sockaddr_in *)&local)->sin_port);
	}
	pthread_mutex_lock(&net_count_mutex);
	c->id = net_next_id++;
	pthread_mutex_unlock(&net_count_mutex);
	if (a->flags & NET_LISTEN_TLS) {
		SSL *ssl = tls_new_ssl();

		if (ssl == NULL) {
			log_error("%s: conn=%llu rip=%s: no TLS context for an implicit TLS port",
			    c->handler->name, (unsigned long long)c->id, c->peer);
			close(a->fd);
			net_count_del(c->peer);
			free(a);
			free(c);
			return;
		}
		c->bev = bufferevent_openssl_socket_new(loop->base, a->fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
		c->tls = 1;
	} else {
		c->bev = bufferevent_socket_new(loop->base, a->fd, BEV_OPT_CLOSE_ON_FREE);
	}
	c->deferred_ev = event_new(loop->base, -1, 0, conn_deferred_cb, c);
	if (c->bev == NULL || c->deferred_ev == NULL)
		fatalx("cannot allocate a connection");
	free(a);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, NET_OUTPUT_LOWAT, 0);
	loop_add_conn(loop, c);
	log_debug("%s: conn=%llu rip=%s connected to %s:%d", c->handler->name,
	    (unsigned long long)c->id, c->peer, c->local, c->local_port);
	c->in_handler++;
	c->handler->on_open(c, c->listener_arg);
	c->in_handler--;
	conn_update_read(c);
}

/* ------------------------------------------------------------ listeners */

static void
net_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener *l = arg;
	struct accepted *a;
	char addr[64];
	int one = 1;

	(void)evl;
	sockaddr_ntop(sa, addr, sizeof(addr));
	if (net_count_add(addr) < 0) {
		static const char busy[] = "421 4.7.0 Too many connections, try later\r\n";
		/* A protocol-neutral refusal would be better; SMTP's 421 is
		 * what most clients of a busy server meet first, and POP3/IMAP
		 * clients treat any unexpected greeting as a failed connect. */
		if (l->handler->name[0] == 's' && write(fd, busy, sizeof(busy) - 1) < 0) {
			/* ignore */
		}
		log_warn("%s: rip=%s refused: connection limit", l->handler->name, addr);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	a = xcalloc(1, sizeof(*a));
	a->fd = fd;
	memcpy(&a->ss, sa, (size_t)salen < sizeof(a->ss) ? (size_t)salen : sizeof(a->ss));
	a->handler = l->handler;
	a->arg = l->arg;
	a->flags = l->flags;
	a->loop = &net_loops[net_next_loop++ % (unsigned)net_nloops];
	loop_post(a->loop, conn_attach, a);
}

int
net_listen(const char *addr, const struct conn_handler *handler,
    void *listener_arg, int listen_flags, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct listener *l;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;

	if (parse_hostport(addr, &ss, &sl) < 0) {
		str_format(err, errlen, "bad listen address '%s'", addr);
		return -1;
	}
	/* An IPv6 listener serves IPv6 only; list 0.0.0.0 separately for v4. */
	if (ss.ss_family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	l = xcalloc(1, sizeof(*l));
	l->handler = handler;
	l->arg = listener_arg;
	l->flags = listen_flags;
	l->evl = evconnlistener_new_bind(net_base, net_accept_cb, l, flags, 511,
	    (struct sockaddr *)&ss, (int)sl);
	if (l->evl == NULL) {
		str_format(err, errlen, "cannot listen on %s for %s: %s", addr,
		    handler->name, strerror(errno));
		free(l);
		return -1;
	}
	l->next = net_listeners;
	net_listeners = l;
	log_info("listening on %s (%s%s)", addr, handler->name,
	    (listen_flags & NET_LISTEN_TLS) ? ", implicit TLS" : "");
	return 0;
}

/* ---------------------------------------------------------------- loops */

static void *
loop_main(void *arg)
{
	struct loop *loop = arg;

	event_base_loop(loop->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

int
net_init(int io_threads, int max_connections, int max_per_ip)
{
	int i;

	if (evthread_use_pthreads() < 0) {
		log_error("libevent has no pthreads support");
		return -1;
	}
	net_max_conns = max_connections;
	net_max_per_ip = max_per_ip;
	if ((net_base = event_base_new()) == NULL)
		return -1;
	/* net_nloops counts only loops whose thread runs, for net_shutdown. */
	net_loops = xcalloc((size_t)io_threads, sizeof(*net_loops));
	for (i = 0; i < io_threads; i++) {
		struct loop *loop = &net_loops[i];

		loop->index = i;
		pthread_mutex_init(&loop->post_mutex, NULL);
		if ((loop->base = event_base_new()) == NULL)
			return -1;
		loop->post_ev = event_new(loop->base, -1, EV_PERSIST, loop_run_posts, loop);
		if (loop->post_ev == NULL)
			return -1;
		if (pthread_create(&loop->thread, NULL, loop_main, loop) != 0) {
			log_error("cannot start I/O thread %d", i);
			return -1;
		}
		net_nloops = i + 1;
	}
	return 0;
}

struct event_base *
net_main_base(void)
{
	return net_base;
}

int
net_run(void)
{
	return event_base_loop(net_base, EVLOOP_NO_EXIT_ON_EMPTY);
}

void
net_stop(void)
{
	event_base_loopbreak(net_base);
}

/* Shutdown, on each loop: close what is idle, wait for work in flight. */
static void
loop_shutdown_tick(evutil_socket_t fd, short what, void *arg)
{
	struct loop *loop = arg;
	struct conn *c, *next;
	int grace_over = time_monotonic_ms() >= loop->shutdown_deadline;
	struct timeval tv = { 0, 20000 };

	(void)fd; (void)what;
	for (c = loop->conns; c != NULL; c = next) {
		next = c->next;
		if (grace_over)
			conn_abort(c, "shutdown");
		else if (c->refs <= 1 && !c->closing)
			conn_close(c, "shutdown");
	}
	if (loop->conns == NULL) {
		event_base_loopexit(loop->base, NULL);
		return;
	}
	evtimer_add(loop->shutdown_ev, &tv);
}

static void
loop_shutdown_begin(void *arg)
{
	struct loop *loop = arg;
	struct conn *c;

	loop->stopping = 1;
	loop->shutdown_deadline = time_monotonic_ms() + NET_SHUTDOWN_GRACE_MS;
	for (c = loop->conns; c != NULL; c = c->next)
		conn_update_read(c);
	loop->shutdown_ev = evtimer_new(loop->base, loop_shutdown_tick, loop);
	if (loop->shutdown_ev == NULL)
		fatalx("cannot allocate shutdown timer");
	loop_shutdown_tick(-1, 0, loop);
}

void
net_shutdown(void)
{
	struct listener *l;
	int i;

	while ((l = net_listeners) != NULL) {
		net_listeners = l->next;
		evconnlistener_free(l->evl);
		free(l);
	}
	/* Sockets accepted but not yet attached are attached, then closed. */
	for (i = 0; i < net_nloops; i++)
		loop_post(&net_loops[i], loop_shutdown_begin, &net_loops[i]);
	for (i = 0; i < net_nloops; i++)
		pthread_join(net_loops[i].thread, NULL);
}

void
net_free(void)
{
	int i;

	/*
	 * Loop threads are gone: run what was posted after they stopped
	 * (completions of late store commits) here, single-threaded.
	 */
	for (i = 0; i < net_nloops; i++) {
		struct loop *loop = &net_loops[i];

		/*
		 * Timers still pending (failed-login delays, IMAP IDLE
		 * keepalives) run now, so their arguments are freed; their
		 * connections are gone. Then what they posted.
		 */
		while (loop->delayed != NULL) {
			struct delayed *d = loop->delayed;

			loop_unlink_delayed(d);
			d->fn(d->arg);
			free(d);
		}
		loop_run_posts(-1, 0, loop);
		if (loop->shutdown_ev != NULL)
			event_free(loop->shutdown_ev);
		event_free(loop->post_ev);
		loop->post_ev = NULL;
		event_base_free(loop->base);
		pthread_mutex_destroy(&loop->post_mutex);
	}
	free(net_loops);
	net_loops = NULL;
	net_nloops = 0;
	if (net_base != NULL)
		event_base_free(net_base);
	net_base = NULL;
	libevent_global_shutdown();
}
