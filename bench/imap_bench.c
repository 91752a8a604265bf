/*
 * imap_bench.c: IMAP load generator for Posthorn's benchmark (bench/RESULTS.md).
 *
 * Modes (first argument):
 *   fill  - fills one mailbox over SMTP: C threads, each sending K messages
 *           per connection, ~S bytes each, body of words drawn from a fixed
 *           list with a per-message seed, so SEARCH BODY has varied text.
 *   cmd   - one session: LOGIN, then each further argument as a command,
 *           timed; prints "TIME <seconds> <bytes> <status> <command>".
 *   mixed - C threads for T seconds, each looping over sessions of a mixed
 *           workload (LOGIN, SELECT, FETCH flags/headers/bodies, STORE,
 *           SEARCH, APPEND, NOOP, LOGOUT); counts every tagged command as one
 *           operation and prints ops/s.
 *   idle  - opens N connections (C threads), each LOGIN, SELECT INBOX, IDLE;
 *           prints "READY n" and holds them until stdin reaches EOF.
 *
 * Blocking sockets and pthreads, libc only. It parses IMAP only as far as
 * needed to find the tagged reply (literals {n} are skipped by count); it
 * deliberately does not check response contents beyond the tagged status,
 * speak TLS, or retry failures (they are counted and reported).
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
#include <time.h>
#include <unistd.h>

#define BUF_MAX 65536

struct conn {
	int	 fd;
	char	 buf[BUF_MAX];
	size_t	 len, pos;
	unsigned tag;
	long	 bytes;		/* bytes read for the current command */
};

static const char *host = "127.0.0.1";
static int port, conns = 20, seconds = 30, per_conn = 100, msg_size = 4096;
static long total = 1000;
static const char *user = "user1@bench.test", *pass = "bench-password-1";
static const char *prefix = "user";
static int nusers = 20;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
conn_open(struct conn *c, int p)
{
	struct sockaddr_in sa;
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)p);
	inet_pton(AF_INET, host, &sa.sin_addr);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static int
fill_buf(struct conn *c)
{
	ssize_t n;

	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	if (c->len == sizeof(c->buf))
		return -1;
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	c->bytes += n;
	return 0;
}

/* One line (without CRLF) into out; lines longer than out are truncated
 * there but consumed whole. Returns the length or -1. */
static long
read_line(struct conn *c, char *out, size_t outsz)
{
	size_t used = 0;

	for (;;) {
		char *nl = memchr(c->buf + c->pos, '\n', c->len - c->pos);
		size_t take = nl ? (size_t)(nl - (c->buf + c->pos)) + 1 : c->len - c->pos;
		size_t copy = take < outsz - 1 - used ? take : outsz - 1 - used;

		memcpy(out + used, c->buf + c->pos, copy);
		used += copy;
		c->pos += take;
		if (nl) {
			while (used > 0 && (out[used - 1] == '\n' || out[used - 1] == '\r'))
				used--;
			out[used] = '\0';
			return (long)used;
		}
		if (fill_buf(c) < 0)
			return -1;
	}
}

static int
skip_bytes(struct conn *c, long n)
{
	while (n > 0) {
		size_t avail = c->len - c->pos;

		if (avail == 0) {
			if (fill_buf(c) < 0)
				return -1;
			continue;
		}
		if ((long)avail > n)
			avail = (size_t)n;
		c->pos += avail;
		n -= (long)avail;
	}
	return 0;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until the line starting with tag (or, tag NULL, one line).
 * Returns 0 for OK, 1 for NO/BAD, -1 for a broken connection. Literals
 * announced at a line's end are skipped by count, so message text cannot
 * be mistaken for a tagged reply. */
static int
read_reply(struct conn *c, const char *tag)
{
	char line[1024];
	size_t tl = tag ? strlen(tag) : 0;

	for (;;) {
		long n = read_line(c, line, sizeof(line));
		char *lb;

		if (n < 0)
			return -1;
		if (tag == NULL)
			return 0;
		if (n > 2 && line[n - 1] == '}' && (lb = strrchr(line, '{')) != NULL) {
			if (skip_bytes(c, strtol(lb + 1, NULL, 10)) < 0)
				return -1;
			continue;	/* the rest of the response follows the literal */
		}
		if (strncmp(line, tag, tl) == 0 && line[tl] == ' ')
			return strncmp(line + tl + 1, "OK", 2) == 0 ? 0 : 1;
	}
}

static int
command(struct conn *c, const char *fmt, ...)
{
	char cmd[2048], tag[16];
	va_list ap;
	int n;

	snprintf(tag, sizeof(tag), "A%u", ++c->tag);
	n = snprintf(cmd, sizeof(cmd), "%s ", tag);
	va_start(ap, fmt);
	n += vsnprintf(cmd + n, sizeof(cmd) - (size_t)n - 2, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(cmd) - 3)
		return -1;
	memcpy(cmd + n, "\r\n", 2);
	c->bytes = 0;
	if (send_all(c->fd, cmd, (size_t)n + 2) < 0)
		return -1;
	return read_reply(c, tag);
}

static int
imap_login(struct conn *c, const char *u, const char *p)
{
	if (conn_open(c, port) < 0)
		return -1;
	if (read_reply(c, NULL) < 0)	/* greeting */
		return -1;
	return command(c, "LOGIN \"%s\" \"%s\"", u, p) == 0 ? 0 : -1;
}

/* ---- message text ------------------------------------------------------- */

static const char *words[] = {
	"apple", "river", "stone", "cloud", "ember", "falcon", "garden", "harbor",
	"island", "jasmine", "kettle", "lantern", "meadow", "nectar", "orchid",
	"pepper", "quartz", "raven", "saddle", "thunder", "umbrella", "violet",
	"willow", "xylophone", "yonder", "zephyr", "anchor", "barley", "candle",
	"dune", "engine", "fjord", "glacier", "hazel", "ivory", "juniper",
	"kelp", "lagoon", "marble", "nutmeg", "oyster", "pebble", "quill",
	"rustle", "sparrow", "tundra", "urchin", "velvet", "walnut", "yarrow",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* A message of about size bytes; seed picks the words. One word in 1000
 * messages is "posthornrare" (for a selective SEARCH). */
static size_t
build_message(char *out, size_t cap, unsigned long seed, const char *to)
{
	size_t n;
	int col = 0;

	n = (size_t)snprintf(out, cap,
	    "From: bench <bench@client.test>\r\nTo: <%s>\r\n"
	    "Subject: bench message %lu %s\r\nMessage-ID: <%lu.bench@client.test>\r\n"
	    "Date: Sun, 22 Nov 2026 22:00:00 +0000\r\n\r\n",
	    to, seed, words[seed % NWORDS], seed);
	if (seed % 1000 == 7)
		n += (size_t)snprintf(out + n, cap - n, "posthornrare\r\n");
	while (n + 20 < (size_t)msg_size && n + 20 < cap) {
		const char *w;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		w = words[(seed >> 33) % NWORDS];
		n += (size_t)snprintf(out + n, cap - n, "%s", w);
		col += (int)strlen(w) + 1;
		if (col > 70) {
			memcpy(out + n, "\r\n", 2);
			n += 2;
			col = 0;
		} else
			out[n++] = ' ';
	}
	memcpy(out + n, "\r\n", 2);
	return n + 2;
}

/* ---- fill ----------------------------------------------------------------- */

static long fill_next, fill_ok;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int
smtp_expect(struct conn *c, char code)
{
	char line[1024];

	for (;;) {
		if (read_line(c, line, sizeof(line)) < 4)
			return -1;
		if (line[3] == ' ')
			return line[0] == code ? 0 : -1;
	}
}

static void *
fill_thread(void *arg)
{
	struct conn *c = malloc(sizeof(*c));
	char *msg = malloc((size_t)msg_size + 4096), cmd[512];
	(void)arg;

	for (;;) {
		long first, k;
		int n;

		pthread_mutex_lock(&lock);
		first = fill_next;
		k = total - first < per_conn ? total - first : per_conn;
		fill_next += k;
		pthread_mutex_unlock(&lock);
		if (k <= 0)
			break;
		if (conn_open(c, port) < 0 || smtp_expect(c, '2') < 0)
			goto broken;
		n = snprintf(cmd, sizeof(cmd), "EHLO bench.client.test\r\n");
		if (send_all(c->fd, cmd, (size_t)n) < 0 || smtp_expect(c, '2') < 0)
			goto broken;
		for (long i = first; i < first + k; i++) {
			size_t len = build_message(msg, (size_t)msg_size + 4000, (unsigned long)i, user);

			memcpy(msg + len, ".\r\n", 3);
			n = snprintf(cmd, sizeof(cmd),
			    "MAIL FROM:<bench@client.test>\r\n");
			if (send_all(c->fd, cmd, (size_t)n) < 0 || smtp_expect(c, '2') < 0)
				goto broken;
			n = snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", user);
			if (send_all(c->fd, cmd, (size_t)n) < 0 || smtp_expect(c, '2') < 0)
				goto broken;
			if (send_all(c->fd, "DATA\r\n", 6) < 0 || smtp_expect(c, '3') < 0)
				goto broken;
			if (send_all(c->fd, msg, len + 3) < 0 || smtp_expect(c, '2') < 0)
				goto broken;
			pthread_mutex_lock(&lock);
			fill_ok++;
			pthread_mutex_unlock(&lock);
		}
		send_all(c->fd, "QUIT\r\n", 6);
		close(c->fd);
		continue;
broken:
		fprintf(stderr, "fill: connection failed\n");
		if (c->fd >= 0)
			close(c->fd);
	}
	free(msg);
	free(c);
	return NULL;
}

/* ---- mixed ------------------------------------------------------------------ */

static volatile int stop;
static long ops_total, ops_failed, sessions_total;

static void *
mixed_thread(void *arg)
{
	struct conn *c = malloc(sizeof(*c));
	char *msg = malloc((size_t)msg_size + 4096), u[128];
	unsigned long r = (unsigned long)(uintptr_t)arg * 2654435761UL + 1;
	long ops = 0, fail = 0, sess = 0;

	while (!stop) {
		int n_ops;

		r = r * 6364136223846793005UL + 1442695040888963407UL;
		snprintf(u, sizeof(u), "%s%lu@bench.test", prefix, (r >> 33) % (unsigned long)nusers + 1);
		ops++;
		if (imap_login(c, u, pass) < 0) {
			fail++;
			if (c->fd >= 0)
				close(c->fd);
			continue;
		}
		sess++;
		ops++;
		if (command(c, "SELECT INBOX") != 0)
			fail++;
		n_ops = 5 + (int)((r >> 40) % 10);
		for (int i = 0; i < n_ops && !stop; i++) {
			unsigned long x;
			int rc;

			r = r * 6364136223846793005UL + 1442695040888963407UL;
			x = (r >> 33) % 100;
			if (x < 20)
				rc = command(c, "FETCH 1:* (UID FLAGS)");
			else if (x < 40)
				rc = command(c, "UID FETCH %lu:%lu (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])",
				    1 + (r >> 20) % 90, 11 + (r >> 20) % 90);
			else if (x < 55)
				rc = command(c, "UID FETCH %lu BODY.PEEK[]", 1 + (r >> 20) % 100);
			else if (x < 70)
				rc = command(c, "UID STORE %lu %cFLAGS (\\Seen)", 1 + (r >> 20) % 100, (r >> 50) & 1 ? '+' : '-');
			else if (x < 80)
				rc = command(c, "UID SEARCH SUBJECT %s", words[(r >> 20) % NWORDS]);
			else if (x < 90) {
				size_t len = build_message(msg, (size_t)msg_size + 4000, r, u);
				char hdr[128], line[256];
				int h = snprintf(hdr, sizeof(hdr), "A%u APPEND INBOX {%zu}\r\n", ++c->tag, len);

				rc = -1;
				if (send_all(c->fd, hdr, (size_t)h) == 0 &&
				    read_line(c, line, sizeof(line)) >= 0 && line[0] == '+' &&
				    send_all(c->fd, msg, len) == 0 && send_all(c->fd, "\r\n", 2) == 0) {
					snprintf(hdr, sizeof(hdr), "A%u", c->tag);
					rc = read_reply(c, hdr);
				}
			} else
				rc = command(c, "NOOP");
			ops++;
			if (rc != 0)
				fail++;
			if (rc < 0)
				break;
		}
		ops++;
		if (command(c, "LOGOUT") < 0)
			fail++;
		close(c->fd);
	}
	pthread_mutex_lock(&lock);
	ops_total += ops;
	ops_failed += fail;
	sessions_total += sess;
	pthread_mutex_unlock(&lock);
	free(msg);
	free(c);
	return NULL;
}

/* ---- idle --------------------------------------------------------------------- */

static long idle_next, idle_ok, idle_fail;

static void *
idle_thread(void *arg)
{
	struct conn *c = malloc(sizeof(*c));
	int *fds = arg;
	char line[256];

	for (;;) {
		long i;

		pthread_mutex_lock(&lock);
		i = idle_next < total ? idle_next++ : -1;
		pthread_mutex_unlock(&lock);
		if (i < 0)
			break;
		if (imap_login(c, user, pass) < 0 || command(c, "SELECT INBOX") != 0 ||
		    send_all(c->fd, "I IDLE\r\n", 8) < 0 ||
		    read_line(c, line, sizeof(line)) < 0 || line[0] != '+') {
			if (c->fd >= 0)
				close(c->fd);
			pthread_mutex_lock(&lock);
			idle_fail++;
			pthread_mutex_unlock(&lock);
			continue;
		}
		fds[i] = c->fd;
		pthread_mutex_lock(&lock);
		idle_ok++;
		pthread_mutex_unlock(&lock);
	}
	free(c);
	return NULL;
}

/* ---- main --------------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: imap_bench fill -P smtpport -u user -n N [-c conns] [-m per_conn] [-s size]\n"
	    "       imap_bench cmd -p port -u user -w pass COMMAND...\n"
	    "       imap_bench mixed -p port -L prefix -U nusers -w pass [-c 20] [-t 30]\n"
	    "       imap_bench idle -p port -u user -w pass -n N [-c conns]\n");
	exit(2);
}

static int
run_threads(void *(*fn)(void *), int n, void *arg, int timed)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, arg ? arg : (void *)(uintptr_t)(i + 1)) != 0)
			return -1;
	if (timed) {
		sleep((unsigned)seconds);
		stop = 1;
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode;
	int o, smtp_port = 0;
	double t0, t1;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((o = getopt(argc, argv, "h:p:P:u:w:n:c:m:s:t:L:U:")) != -1) {
		switch (o) {
		case 'h': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'P': smtp_port = atoi(optarg); break;
		case 'u': user = optarg; break;
		case 'w': pass = optarg; break;
		case 'n': total = atol(optarg); break;
		case 'c': conns = atoi(optarg); break;
		case 'm': per_conn = atoi(optarg); break;
		case 's': msg_size = atoi(optarg); break;
		case 't': seconds = atoi(optarg); break;
		case 'L': prefix = optarg; break;
		case 'U': nusers = atoi(optarg); break;
		default: usage();
		}
	}
	t0 = now();
	if (strcmp(mode, "fill") == 0) {
		port = smtp_port;
		run_threads(fill_thread, conns, NULL, 0);
		t1 = now();
		printf("RESULT fill ok=%ld of %ld seconds=%.2f msgs_per_s=%.1f\n",
		    fill_ok, total, t1 - t0, fill_ok / (t1 - t0));
		return fill_ok == total ? 0 : 1;
	}
	if (strcmp(mode, "cmd") == 0) {
		struct conn *c = malloc(sizeof(*c));
		int rc;

		if (imap_login(c, user, pass) < 0) {
			fprintf(stderr, "login failed\n");
			return 1;
		}
		for (int i = optind; i < argc; i++) {
			t0 = now();
			rc = command(c, "%s", argv[i]);
			t1 = now();
			printf("TIME %.3f s  %ld bytes  %s  %s\n", t1 - t0, c->bytes,
			    rc == 0 ? "OK" : rc > 0 ? "NO/BAD" : "BROKEN", argv[i]);
			fflush(stdout);
			if (rc < 0)
				return 1;
		}
		command(c, "LOGOUT");
		close(c->fd);
		free(c);
		return 0;
	}
	if (strcmp(mode, "mixed") == 0) {
		run_threads(mixed_thread, conns, NULL, 1);
		t1 = now();
		printf("RESULT mixed clients=%d seconds=%.2f ops=%ld failed=%ld sessions=%ld ops_per_s=%.1f\n",
		    conns, t1 - t0, ops_total, ops_failed, sessions_total, ops_total / (t1 - t0));
		return 0;
	}
	if (strcmp(mode, "idle") == 0) {
		int *fds = calloc((size_t)total, sizeof(int));
		char b[64];

		run_threads(idle_thread, conns, fds, 0);
		t1 = now();
		printf("READY %ld failed=%ld seconds=%.2f\n", idle_ok, idle_fail, t1 - t0);
		fflush(stdout);
		while (read(0, b, sizeof(b)) > 0)
			;
		for (long i = 0; i < total; i++)
			if (fds[i] > 0)
				close(fds[i]);
		free(fds);
		return 0;
	}
	usage();
	return 2;
}
