/*
 * pop3_bench.c: POP3 retrieval benchmark for Posthorn.
 *
 * C clients (default 16), one thread each, each logs in as its own user
 * (userK@bench.test, K = first..first+C-1, one shared password; -L sets
 * the "user" prefix) and runs
 * the session of the issue: USER, PASS, STAT, UIDL, RETR of up to R
 * messages (default 100), QUIT. With -r N every client repeats its session
 * N times (a new connection each time, after the previous QUIT released the
 * maildrop). Reports messages retrieved per second over the whole run, the
 * time spent logging in (argon2id is slow on purpose) and the rate of the
 * retrieval phase alone, plus one "RESULT" line for bench/run.sh.
 *
 * It checks what a client would notice: every reply +OK, a RETR's octets
 * add up to at least the size STAT/LIST implied, and no NUL byte. It
 * deliberately does not DELE anything (the mailboxes stay for the next
 * round), nor use TLS, APOP or SASL. Blocking sockets with SO_RCVTIMEO and
 * SO_SNDTIMEO bound every wait.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_POP3	1024	/* RFC 2449: responses up to 512 octets */
#define RBUF_SIZE	65536
#define CLIENTS_MAX	1024

struct options {
	struct sockaddr_in	 addr;
	int			 clients;
	int			 first_user;
	int			 retr;
	int			 rounds;
	int			 timeout;
	const char		*domain;
	const char		*prefix;
	const char		*password;
};

struct client {
	pthread_t	 thread;
	int		 index;
	int		 fd;
	/* buffered input */
	char		 rbuf[RBUF_SIZE];
	size_t		 r_off;
	size_t		 r_len;
	/* results */
	long		 retrieved;
	long		 bytes;
	long		 failures;
	double		 login_secs;	/* USER..+OK to PASS, summed over rounds */
	double		 session_secs;	/* connect..QUIT reply, summed */
	char		 error[256];
};

static struct options opt;

static void	 usage(void) __attribute__((noreturn));
static double	 now(void);
static void	*client_main(void *);
static int	 client_session(struct client *);
static int	 pop_connect(struct client *);
static int	 pop_send(struct client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 pop_line(struct client *, char *, size_t);
static int	 pop_ok(struct client *, const char *);
static int	 pop_multiline(struct client *, long *, long *);
static int	 fail(struct client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pop3_bench -p PORT -w PASSWORD [-h 127.0.0.1] [-c clients 16]\n"
	    "       [-F first_user 1] [-d domain bench.test] [-L local_part_prefix user]\n"
	    "       [-n retr_per_session 100]\n"
	    "       [-r rounds 1] [-t timeout_s 60]\n");
	exit(2);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
num_arg(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "pop3_bench: bad number %s (%ld..%ld)\n", s, min, max);
		exit(2);
	}
	return v;
}

static void
parse_args(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	long port = 0;
	int c;

	opt.clients = 16;
	opt.first_user = 1;
	opt.retr = 100;
	opt.rounds = 1;
	opt.timeout = 60;
	opt.domain = "bench.test";
	opt.prefix = "user";
	while ((c = getopt(argc, argv, "h:p:w:c:F:d:L:n:r:t:")) != -1) {
		switch (c) {
		case 'h': host = optarg; break;
		case 'p': port = num_arg(optarg, 1, 65535); break;
		case 'w': opt.password = optarg; break;
		case 'c': opt.clients = (int)num_arg(optarg, 1, CLIENTS_MAX); break;
		case 'F': opt.first_user = (int)num_arg(optarg, 0, 10000000); break;
		case 'd': opt.domain = optarg; break;
		case 'L': opt.prefix = optarg; break;
		case 'n': opt.retr = (int)num_arg(optarg, 0, 10000000); break;
		case 'r': opt.rounds = (int)num_arg(optarg, 1, 100000); break;
		case 't': opt.timeout = (int)num_arg(optarg, 1, 3600); break;
		default: usage();
		}
	}
	if (port == 0 || opt.password == NULL || optind != argc)
		usage();
	if (strlen(opt.domain) > 200 || strlen(opt.password) > 200 || strlen(opt.prefix) > 50) {
		fprintf(stderr, "pop3_bench: -d/-w/-L too long\n");
		exit(2);
	}
	memset(&opt.addr, 0, sizeof(opt.addr));
	opt.addr.sin_family = AF_INET;
	opt.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &opt.addr.sin_addr) != 1) {
		fprintf(stderr, "pop3_bench: -h wants an IPv4 address, not %s\n", host);
		exit(2);
	}
}

static int
fail(struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	c->failures++;
	return -1;
}

static int
pop_connect(struct client *c)
{
	struct timeval tv;
	int one = 1;

	c->r_off = c->r_len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return fail(c, "socket: %s", strerror(errno));
	tv.tv_sec = opt.timeout;
	tv.tv_usec = 0;
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return fail(c, "setsockopt: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&opt.addr, sizeof(opt.addr)) < 0)
		return fail(c, "connect: %s", strerror(errno));
	return 0;
}

static int
pop_send(struct client *c, const char *fmt, ...)
{
	char line[LINE_MAX_POP3];
	size_t off = 0;
	va_list ap;
	ssize_t n;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(line))
		return fail(c, "command too long");
	while (off < (size_t)len) {
		n = send(c->fd, line + off, (size_t)len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(c, "send: %s", strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

static int
fill(struct client *c)
{
	ssize_t n;

	if (c->r_off > 0) {
		memmove(c->rbuf, c->rbuf + c->r_off, c->r_len - c->r_off);
		c->r_len -= c->r_off;
		c->r_off = 0;
	}
	for (;;) {
		n = recv(c->fd, c->rbuf + c->r_len, sizeof(c->rbuf) - c->r_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(c, "recv: %s", strerror(errno));
		if (n == 0)
			return fail(c, "connection closed by server");
		c->r_len += (size_t)n;
		return 0;
	}
}

/*
 * One line without its CRLF into line (NUL-terminated). Returns its length,
 * or -1 on error, an overlong line or a NUL byte in it.
 */
static int
pop_line(struct client *c, char *line, size_t size)
{
	char *lf;
	size_t len;

	for (;;) {
		lf = memchr(c->rbuf + c->r_off, '\n', c->r_len - c->r_off);
		if (lf != NULL)
			break;
		if (c->r_len - c->r_off >= size)
			return fail(c, "line longer than %zu bytes", size);
		if (fill(c) < 0)
			return -1;
	}
	len = (size_t)(lf - (c->rbuf + c->r_off));
	if (len >= size)
		return fail(c, "line longer than %zu bytes", size);
	memcpy(line, c->rbuf + c->r_off, len);
	c->r_off += len + 1;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (memchr(line, '\0', len) != NULL)
		return fail(c, "NUL byte in a line");
	return (int)len;
}

static int
pop_ok(struct client *c, const char *what)
{
	char line[LINE_MAX_POP3];

	if (pop_line(c, line, sizeof(line)) < 0)
		return -1;
	if (strncmp(line, "+OK", 3) != 0)
		return fail(c, "%s: %s", what, line);
	return 0;
}

/*
 * The body of a multi-line response up to its "." line: counts lines and
 * octets (with CRLF, after un-stuffing, as RFC 1939 sizes count them).
 * Lines may be long (message bodies), so the limit is the buffer.
 */
static int
pop_multiline(struct client *c, long *lines_r, long *octets_r)
{
	char line[RBUF_SIZE];
	int len;

	*lines_r = *octets_r = 0;
	for (;;) {
		len = pop_line(c, line, sizeof(line));
		if (len < 0)
			return -1;
		if (len == 1 && line[0] == '.')
			return 0;
		if (line[0] == '.')
			len--;		/* byte-stuffed */
		(*lines_r)++;
		*octets_r += len + 2;
	}
}

static int
client_session(struct client *c)
{
	char line[LINE_MAX_POP3];
	long count, size, lines, octets, i, n;
	double t0 = now(), t1;

	if (pop_connect(c) < 0 || pop_ok(c, "greeting") < 0)
		return -1;
	t1 = now();
	if (pop_send(c, "USER %s%d@%s\r\n", opt.prefix, opt.first_user + c->index,
	    opt.domain) < 0 ||
	    pop_ok(c, "USER") < 0 ||
	    pop_send(c, "PASS %s\r\n", opt.password) < 0 ||
	    pop_ok(c, "PASS") < 0)
		return -1;
	c->login_secs += now() - t1;
	if (pop_send(c, "STAT\r\n") < 0 || pop_line(c, line, sizeof(line)) < 0)
		return -1;
	if (sscanf(line, "+OK %ld %ld", &count, &size) != 2)
		return fail(c, "STAT: %s", line);
	if (pop_send(c, "UIDL\r\n") < 0 || pop_ok(c, "UIDL") < 0 ||
	    pop_multiline(c, &lines, &octets) < 0)
		return -1;
	if (lines != count)
		return fail(c, "UIDL listed %ld messages, STAT said %ld", lines, count);
	n = count < opt.retr ? count : opt.retr;
	for (i = 1; i <= n; i++) {
		if (pop_send(c, "RETR %ld\r\n", i) < 0 || pop_ok(c, "RETR") < 0 ||
		    pop_multiline(c, &lines, &octets) < 0)
			return -1;
		c->retrieved++;
		c->bytes += octets;
	}
	if (pop_send(c, "QUIT\r\n") < 0 || pop_ok(c, "QUIT") < 0)
		return -1;
	c->session_secs += now() - t0;
	return 0;
}

static void *
client_main(void *arg)
{
	struct client *c = arg;
	int r;

	for (r = 0; r < opt.rounds; r++) {
		c->fd = -1;
		(void)client_session(c);
		if (c->fd >= 0)
			close(c->fd);
		if (c->failures > 0)
			break;		/* a broken session would only repeat */
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct client *clients;
	long retrieved = 0, bytes = 0, failures = 0;
	double t0, secs, login = 0, session = 0, rate, retr_rate;
	int i;

	parse_args(argc, argv);
	clients = calloc((size_t)opt.clients, sizeof(*clients));
	if (clients == NULL) {
		perror("calloc");
		return 1;
	}
	t0 = now();
	for (i = 0; i < opt.clients; i++) {
		clients[i].index = i;
		if (pthread_create(&clients[i].thread, NULL, client_main, &clients[i]) != 0) {
			fprintf(stderr, "pop3_bench: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < opt.clients; i++)
		pthread_join(clients[i].thread, NULL);
	secs = now() - t0;

	for (i = 0; i < opt.clients; i++) {
		retrieved += clients[i].retrieved;
		bytes += clients[i].bytes;
		failures += clients[i].failures;
		login += clients[i].login_secs;
		session += clients[i].session_secs;
		if (clients[i].failures > 0)
			fprintf(stderr, "pop3_bench: client %d (%s%d): %s\n", i,
			    opt.prefix, opt.first_user + i, clients[i].error);
	}
	rate = secs > 0 ? retrieved / secs : 0;
	/* per client, the time not spent waiting for the login: retrieval */
	retr_rate = session - login > 0 ? retrieved / ((session - login) / opt.clients) : 0;
	printf("pop3_bench: %d clients x %d rounds, RETR up to %d messages each\n",
	    opt.clients, opt.rounds, opt.retr);
	printf("  retrieved  %ld messages, %ld octets\n  failures   %ld\n", retrieved,
	    bytes, failures);
	printf("  elapsed    %.3f s\n  rate       %.1f msgs/s (whole sessions, logins included)\n",
	    secs, rate);
	printf("  login      %.1f ms mean (USER..PASS +OK)\n",
	    retrieved > 0 || login > 0 ? 1000.0 * login / (opt.clients * opt.rounds) : 0);
	printf("  retrieval  %.1f msgs/s (sessions minus login time)\n", retr_rate);
	printf("RESULT retrieved=%ld failures=%ld seconds=%.3f msgs_per_s=%.1f "
	    "login_ms=%.1f retr_msgs_per_s=%.1f\n", retrieved, failures, secs, rate,
	    1000.0 * login / (opt.clients * opt.rounds), retr_rate);
	free(clients);
	return failures == 0 ? 0 : 1;
}
