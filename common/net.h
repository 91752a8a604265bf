/*
 * net.h: the event-driven connection layer every protocol front-end runs on.
 *
 * posthornd runs a few I/O threads ("loops"), each a libevent event_base.
 * The main thread accepts connections on every listener and hands each one
 * to a loop (round robin); from then on the connection and its session live
 * on that loop's thread only. Blocking work (argon2id, store commits) runs
 * elsewhere and comes back through loop_post(), never by touching a session
 * from another thread.
 *
 * A protocol plugs in with a struct conn_handler. The handler owns a session
 * object (conn_set_session) created in on_open and freed in on_close, which
 * is the one teardown path and is called exactly once.
 *
 * Lifetime: a conn is reference counted, on its own loop thread only. Code
 * that starts asynchronous work takes conn_ref() and, when the result comes
 * back through loop_post(), checks conn_is_closed() and calls conn_unref().
 */
#ifndef POSTHORN_NET_H
#define POSTHORN_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct evbuffer;
struct event_base;
struct loop;
struct conn;

struct conn_handler {
	const char *name;		/* "smtp", "pop3", "imap" (logs) */
	/* A new connection; greet the client and conn_set_session(). */
	void	(*on_open)(struct conn *c, void *listener_arg);
	/* Bytes arrived in conn_input(c). May be called with nothing new. */
	void	(*on_read)(struct conn *c);
	/* Output fell below the low-water mark (resume a big response). Optional. */
	void	(*on_drain)(struct conn *c);
	/* No input for the idle timeout. The handler replies, then closes. */
	void	(*on_timeout)(struct conn *c);
	/* The connection is gone (peer closed, error, conn_close). Free the session. */
	void	(*on_close)(struct conn *c, const char *reason);
};

/* ---- Loops and the daemon's threads ---- */

/* Create n I/O loop threads (n >= 1). Call once, before net_listen(). */
int	 net_init(int io_threads, int max_connections, int max_per_ip);
/*
 * Stop accepting; connections stop reading, those with work in flight get a
 * grace period to reply, then all close (their on_close runs); threads are
 * joined. Call worker_shutdown() and store_close() after, then net_free().
 */
void	 net_shutdown(void);
/* Run what was posted to the stopped loops, free everything. */
void	 net_free(void);
#define NET_LISTEN_TLS	0x01	/* implicit TLS: handshake before anything else */

/*
 * Bind and listen on addr ("1.2.3.4:25", "[::]:25") for handler; the
 * listener_arg is passed to on_open. flags: NET_LISTEN_*. Returns 0, or -1
 * with err filled.
 */
int	 net_listen(const char *addr, const struct conn_handler *handler,
	    void *listener_arg, int flags, char *err, size_t errlen);
/*
 * Run the acceptor on the calling (main) thread until net_stop() is called
 * (for example from a signal handler via loop_post on the main loop).
 */
int	 net_run(void);
void	 net_stop(void);
/* The main thread's event base (signals are registered there). */
struct event_base *net_main_base(void);

/*
 * Run fn(arg) on loop's thread as soon as possible. Thread-safe; may be
 * called from any thread, including the loop's own.
 */
void	 loop_post(struct loop *loop, void (*fn)(void *), void *arg);

/*
 * Run fn(arg) on loop's thread after ms milliseconds (a failed-login delay
 * without holding a worker). Call on loop's own thread only. Timers still
 * pending at shutdown run early, from net_free(), when every connection is
 * gone (loop_find_conn() returns NULL), so fn can free arg.
 */
void	 loop_post_delayed(struct loop *loop, unsigned ms, void (*fn)(void *), void *arg);

/* ---- Worker threads for blocking work ---- */

/* Start n worker threads (n >= 1). */
int	 worker_init(int n);
void	 worker_shutdown(void);
/*
 * Run work(arg) on a worker thread, then done(arg) on loop's thread.
 * done is always called (also during shutdown), so it can release refs.
 */
void	 worker_submit(struct loop *loop, void (*work)(void *),
	    void (*done)(void *), void *arg);

/* ---- Connections ---- */

struct evbuffer *conn_input(struct conn *c);
/* Queue output; never blocks. Output is flushed by the loop. */
void	 conn_write(struct conn *c, const void *data, size_t len);
void	 conn_printf(struct conn *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Move all of buf's bytes to the output without copying. */
void	 conn_write_buffer(struct conn *c, struct evbuffer *buf);
/* Bytes queued and not yet written to the socket. */
size_t	 conn_output_pending(struct conn *c);
/*
 * Close after the queued output is flushed (bounded by a short timeout);
 * on_close follows. Further input is ignored. Safe to call twice.
 */
void	 conn_close(struct conn *c, const char *reason);
/* Close now, discarding queued output. */
void	 conn_abort(struct conn *c, const char *reason);
int	 conn_is_closed(const struct conn *c);

/* Stop and restart reading from the socket (backpressure, async waits). */
void	 conn_pause_read(struct conn *c);
void	 conn_resume_read(struct conn *c);
/*
 * Ask for on_read to be called again soon from the loop (to process input
 * that was left in the buffer while the session was busy).
 */
void	 conn_schedule_read(struct conn *c);

/* Idle timeout in seconds (0 disables); reset by every read. */
void	 conn_set_timeout(struct conn *c, int seconds);

void	 conn_set_session(struct conn *c, void *session);
void	*conn_session(const struct conn *c);
struct loop *conn_loop(const struct conn *c);
uint64_t conn_id(const struct conn *c);	/* unique per daemon run, for logs */
const char *conn_peer(const struct conn *c);	/* "1.2.3.4" or "::1" */
const struct sockaddr *conn_peer_addr(const struct conn *c);
const char *conn_local(const struct conn *c);	/* local address, no port */
int	 conn_local_port(const struct conn *c);
int	 conn_is_loopback(const struct conn *c);
int	 conn_is_tls(const struct conn *c);
/*
 * "TLSv1.3 TLS_AES_256_GCM_SHA384" into buf (for Received headers and
 * logs); returns 0, or -1 with "" when the connection has no TLS (yet).
 * Before the handshake completes the cipher may read "(NONE)".
 */
int	 conn_tls_info(const struct conn *c, char *buf, size_t buflen);
/*
 * Start TLS on a plaintext connection (STARTTLS/STLS), after the handler
 * queued its "go ahead" reply: that reply is sent in plaintext, then the
 * server side of the handshake runs. Buffered plaintext input is discarded
 * (CVE-2011-0411). Returns 0, or -1 when TLS is not configured or already on.
 */
int	 conn_starttls(struct conn *c);

void	 conn_ref(struct conn *c);
void	 conn_unref(struct conn *c);

/*
 * Find a live connection of this loop by its id; call on loop's thread only.
 * Completions posted from other threads (store watchers) carry the id and
 * look the connection up here, so they never hold a dangling pointer.
 * Returns NULL when the connection is gone.
 */
struct conn *loop_find_conn(struct loop *loop, uint64_t id);

#endif
