/*
 * tls_bench.c: TLS and login load for Posthorn's implicit-TLS ports
 * (POP3S 995, IMAPS 993, SMTPS 465), for bench/tls_bench.sh.
 *
 *   tls_bench handshake [-c THREADS] [-t SECONDS] [-V 1.2|1.3] HOST:PORT
 *       full handshakes (no session resumption) + the greeting line, then
 *       close; reports handshakes per second.
 *   tls_bench idle [-c CONNECTIONS] [-t SECONDS] HOST:PORT
 *       opens CONNECTIONS TLS connections (handshake + greeting), prints
 *       "READY n" and holds them for SECONDS (the caller reads the daemon's
 *       RSS meanwhile), then closes them.
 *   tls_bench login [-c THREADS] [-t SECONDS] -u PREFIX -d DOMAIN -p PASS HOST:PORT
 *       POP3: thread K logs in as PREFIX<K>@DOMAIN again and again (new TLS
 *       connection, USER, PASS, QUIT); reports logins per second.
 *   tls_bench flood [-c FLOODERS] [-t SECONDS] -u USER -p PASS HOST:PORT
 *       POP3: one session logs in as USER and sends NOOP every 50 ms for
 *       SECONDS alone, then SECONDS more while FLOODERS connections send
 *       wrong passwords as fast as the server answers; reports the NOOP
 *       latencies of both phases and the failed logins per second.
 *
 * Every line ends with a "RESULT key=value ..." line for the script. It
 * does not verify certificates (a benchmark, not a client), never reuses a
 * TLS session, and bounds every wait with socket timeouts. Built by
 * tls_bench.sh with cc -O2 -pthread -lssl -lcrypto; libc, pthreads and
 * OpenSSL only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define LINE_MAX_TLSB	2048
#define THREADS_MAX	1024
#define IDLE_MAX	20000
#define NOOP_EVERY_MS	50

struct options {
	const char		*mode;
	struct sockaddr_in	 addr;
	int			 conns;
	int			 seconds;
	int			 version;	/* TLS1_2_VERSION, TLS1_3_VERSION, 0 */
	const char		*user;		/* login: prefix; flood: address */
	const char		*domain;
	const char		*password;
};

/* One client connection with a small line buffer. */
struct tconn {
	int	 fd;
	SSL	*ssl;
	char	 buf[LINE_MAX_TLSB];
	size_t	 off, len;
};

struct worker {
	pthread_t	 thread;
	int		 index;
	long		 done;		/* handshakes, logins, failed logins */
	long		 errors;
	long		 throttled;	/* -ERR [SYS/TEMP] answers (flood) */
};

static struct options	 opt;
static SSL_CTX		*ctx;
static volatile int	 stop;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: tls_bench handshake|idle|login|flood [-c N] [-t SECONDS] "
	    "[-V 1.2|1.3] [-u USER] [-d DOMAIN] [-p PASSWORD] HOST:PORT\n");
	exit(2);
}

static void
tconn_close(struct tconn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
}

/* Connect, handshake (a full one: sessions are never reused). 0 or -1. */
static int
tconn_open(struct tconn *c)
{
	struct timeval tv = { 30, 0 };
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&opt.addr, sizeof(opt.addr)) < 0 ||
	    (c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_connect(c->ssl) != 1) {
		ERR_clear_error();
		tconn_close(c);
		return -1;
	}
	return 0;
}

/* One line without CRLF into line; 0, or -1 on EOF/error/timeout. */
static int
tconn_line(struct tconn *c, char *line, size_t size)
{
	size_t n = 0;

	for (;;) {
		while (c->off < c->len) {
			char ch = c->buf[c->off++];

			if (ch == '\n') {
				if (n > 0 && line[n - 1] == '\r')
					n--;
				line[n] = '\0';
				return 0;
			}
			if (n + 1 < size)
				line[n++] = ch;
		}
		int r = SSL_read(c->ssl, c->buf, sizeof(c->buf));

		if (r <= 0) {
			ERR_clear_error();
			return -1;
		}
		c->off = 0;
		c->len = (size_t)r;
	}
}

static int
tconn_cmd(struct tconn *c, char *reply, size_t size, const char *fmt, ...)
{
	char out[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, sizeof(out) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(out) - 2)
		return -1;
	memcpy(out + n, "\r\n", 2);
	if (SSL_write(c->ssl, out, n + 2) != n + 2) {
		ERR_clear_error();
		return -1;
	}
	return tconn_line(c, reply, size);
}

/* ------------------------------------------------------------- modes */

static void *
handshake_worker(void *arg)
{
	struct worker *w = arg;
	struct tconn c;
	char line[LINE_MAX_TLSB];

	while (!stop) {
		if (tconn_open(&c) < 0 || tconn_line(&c, line, sizeof(line)) < 0) {
			w->errors++;
			tconn_close(&c);
			continue;
		}
		w->done++;
		tconn_close(&c);
	}
	return NULL;
}

static int
pop3_login(struct tconn *c, const char *user, const char *pass, char *reply,
    size_t size)
{
	if (tconn_line(c, reply, size) < 0 || strncmp(reply, "+OK", 3) != 0 ||
	    tconn_cmd(c, reply, size, "USER %s", user) < 0 ||
	    strncmp(reply, "+OK", 3) != 0 ||
	    tconn_cmd(c, reply, size, "PASS %s", pass) < 0)
		return -1;
	return strncmp(reply, "+OK", 3) == 0 ? 1 : 0;
}

static void *
login_worker(void *arg)
{
	struct worker *w = arg;
	struct tconn c;
	char user[256], line[LINE_MAX_TLSB];

	snprintf(user, sizeof(user), "%s%d@%s", opt.user, w->index + 1, opt.domain);
	while (!stop) {
		if (tconn_open(&c) < 0 ||
		    pop3_login(&c, user, opt.password, line, sizeof(line)) != 1 ||
		    tconn_cmd(&c, line, sizeof(line), "QUIT") < 0) {
			w->errors++;
			tconn_close(&c);
			continue;
		}
		w->done++;
		tconn_close(&c);
	}
	return NULL;
}

/* Wrong passwords as fast as the server answers (3 per connection). */
static void *
flood_worker(void *arg)
{
	struct worker *w = arg;
	struct tconn c;
	char user[256], line[LINE_MAX_TLSB];
	int i;

	snprintf(user, sizeof(user), "nobody%d@%s", w->index, opt.domain);
	while (!stop) {
		if (tconn_open(&c) < 0 || tconn_line(&c, line, sizeof(line)) < 0) {
			w->errors++;
			tconn_close(&c);
			continue;
		}
		for (i = 0; i < 3 && !stop; i++) {
			if (tconn_cmd(&c, line, sizeof(line), "USER %s", user) < 0 ||
			    tconn_cmd(&c, line, sizeof(line), "PASS wrong-%d", i) < 0)
				break;
			if (strncmp(line, "-ERR [SYS/TEMP]", 15) == 0)
				w->throttled++;
			else
				w->done++;
		}
		tconn_close(&c);
	}
	return NULL;
}

static int
run_threads(void *(*fn)(void *), struct worker *w, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		w[i].index = i;
		if (pthread_create(&w[i].thread, NULL, fn, &w[i]) != 0) {
			fprintf(stderr, "tls_bench: pthread_create failed\n");
			return -1;
		}
	}
	return 0;
}

static void
join_threads(struct worker *w, int n, long *done, long *errors, long *throttled)
{
	int i;

	*done = *errors = *throttled = 0;
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		*done += w[i].done;
		*errors += w[i].errors;
		*throttled += w[i].throttled;
	}
}

static int
mode_rate(void *(*fn)(void *), const char *what)
{
	static struct worker w[THREADS_MAX];
	long done, errors, throttled;
	double t0, el;

	t0 = now_s();
	if (run_threads(fn, w, opt.conns) < 0)
		return 1;
	sleep((unsigned)opt.seconds);
	stop = 1;
	join_threads(w, opt.conns, &done, &errors, &throttled);
	el = now_s() - t0;
	printf("%s: %ld in %.1f s with %d threads = %.1f/s, %ld errors\n", what,
	    done, el, opt.conns, done / el, errors);
	printf("RESULT mode=%s count=%ld seconds=%.2f rate=%.1f errors=%ld\n",
	    opt.mode, done, el, done / el, errors);
	return errors > done ? 1 : 0;
}

static int
mode_idle(void)
{
	static struct tconn c[IDLE_MAX];
	char line[LINE_MAX_TLSB];
	int i, open_n = 0;
	double t0 = now_s();

	if (opt.conns > IDLE_MAX)
		opt.conns = IDLE_MAX;
	for (i = 0; i < opt.conns; i++) {
		if (tconn_open(&c[i]) < 0 || tconn_line(&c[i], line, sizeof(line)) < 0) {
			fprintf(stderr, "tls_bench: connection %d failed (%s)\n", i,
			    strerror(errno));
			tconn_close(&c[i]);
			break;
		}
		open_n++;
	}
	printf("READY %d connections in %.1f s\n", open_n, now_s() - t0);
	fflush(stdout);
	sleep((unsigned)opt.seconds);
	for (i = 0; i < open_n; i++)
		tconn_close(&c[i]);
	printf("RESULT mode=idle connections=%d\n", open_n);
	return open_n == opt.conns ? 0 : 1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* NOOP every NOOP_EVERY_MS for seconds; latencies in ms into lat. */
static int
noop_phase(struct tconn *c, double *lat, int max, int seconds)
{
	char line[LINE_MAX_TLSB];
	double end = now_s() + seconds, t;
	int n = 0;

	while (now_s() < end && n < max) {
		t = now_s();
		if (tconn_cmd(c, line, sizeof(line), "NOOP") < 0 ||
		    strncmp(line, "+OK", 3) != 0)
			return -1;
		lat[n++] = (now_s() - t) * 1000;
		usleep(NOOP_EVERY_MS * 1000);
	}
	return n;
}

static void
report_latency(const char *phase, double *lat, int n)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("NOOP latency %s: n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms\n", phase,
	    n, lat[n / 2], lat[(n * 99) / 100], lat[n - 1]);
	printf("RESULT mode=flood phase=%s n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
	    phase, n, lat[n / 2], lat[(n * 99) / 100], lat[n - 1]);
}

static int
mode_flood(void)
{
	static struct worker w[THREADS_MAX];
	struct tconn c;
	char line[LINE_MAX_TLSB];
	int max = opt.seconds * (1000 / NOOP_EVERY_MS) + 16, n1, n2;
	double *lat1 = calloc((size_t)max, sizeof(double));
	double *lat2 = calloc((size_t)max, sizeof(double));
	long done, errors, throttled;
	double t0, el;

	if (lat1 == NULL || lat2 == NULL || tconn_open(&c) < 0 ||
	    pop3_login(&c, opt.user, opt.password, line, sizeof(line)) != 1) {
		fprintf(stderr, "tls_bench: cannot log in as %s\n", opt.user);
		return 1;
	}
	n1 = noop_phase(&c, lat1, max, opt.seconds);
	t0 = now_s();
	if (run_threads(flood_worker, w, opt.conns) < 0)
		return 1;
	n2 = noop_phase(&c, lat2, max, opt.seconds);
	stop = 1;
	join_threads(w, opt.conns, &done, &errors, &throttled);
	el = now_s() - t0;
	tconn_cmd(&c, line, sizeof(line), "QUIT");
	tconn_close(&c);
	if (n1 <= 0 || n2 <= 0) {
		fprintf(stderr, "tls_bench: the NOOP session failed\n");
		return 1;
	}
	report_latency("alone", lat1, n1);
	report_latency("during-flood", lat2, n2);
	printf("flood: %d connections, %ld failed logins (%.1f/s), %ld throttled "
	    "(-ERR [SYS/TEMP]), %ld connection errors\n", opt.conns, done, done / el,
	    throttled, errors);
	printf("RESULT mode=flood failed_logins=%ld rate=%.1f throttled=%ld errors=%ld\n",
	    done, done / el, throttled, errors);
	free(lat1);
	free(lat2);
	return 0;
}

int
main(int argc, char **argv)
{
	char *colon, host[256];
	int ch;

	if (argc < 2)
		usage();
	/* A server that refuses a connection must not kill the generator. */
	signal(SIGPIPE, SIG_IGN);
	opt.mode = argv[1];
	opt.conns = 8;
	opt.seconds = 10;
	opt.domain = "bench.test";
	opt.version = TLS1_3_VERSION;
	optind = 2;
	while ((ch = getopt(argc, argv, "c:t:V:u:d:p:")) != -1) {
		switch (ch) {
		case 'c': opt.conns = atoi(optarg); break;
		case 't': opt.seconds = atoi(optarg); break;
		case 'V': opt.version = strcmp(optarg, "1.2") == 0 ?
			      TLS1_2_VERSION : TLS1_3_VERSION; break;
		case 'u': opt.user = optarg; break;
		case 'd': opt.domain = optarg; break;
		case 'p': opt.password = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || opt.conns < 1 || opt.seconds < 1 ||
	    (strcmp(opt.mode, "idle") != 0 && opt.conns > THREADS_MAX))
		usage();
	snprintf(host, sizeof(host), "%s", argv[optind]);
	if ((colon = strrchr(host, ':')) == NULL)
		usage();
	*colon = '\0';
	opt.addr.sin_family = AF_INET;
	opt.addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &opt.addr.sin_addr) != 1)
		usage();

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return 1;
	SSL_CTX_set_min_proto_version(ctx, opt.version);
	SSL_CTX_set_max_proto_version(ctx, opt.version);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);

	if (strcmp(opt.mode, "handshake") == 0)
		return mode_rate(handshake_worker, "handshakes");
	if (strcmp(opt.mode, "idle") == 0)
		return mode_idle();
	if (opt.user == NULL || opt.password == NULL)
		usage();
	if (strcmp(opt.mode, "login") == 0)
		return mode_rate(login_worker, "logins");
	if (strcmp(opt.mode, "flood") == 0)
		return mode_flood();
	usage();
	return 2;
}
