/*
 * smtp_bench.c: SMTP load generator for Posthorn's acceptance benchmark.
 *
 * Keeps N connections busy (default 16) until M messages (default 20000)
 * of S bytes (default 4 KiB) have been tried, like Postfix's smtp-source:
 * by default one connection per message (greeting, EHLO, MAIL, RCPT, DATA,
 * the message, QUIT), or with -m K up to K messages per connection. Each
 * message goes to a random user of U (user1..userU@bench.test; -L sets the
 * "user" prefix, -F the first number, -d the domain or a comma-separated
 * list of domains, one picked at random per message), or with -S
 * to the users in turn, so that M = U * K gives every user exactly K
 * messages (used to fill mailboxes for the POP3 benchmark).
 *
 * With -a USER:PASSWORD each connection authenticates with AUTH PLAIN
 * (RFC 4954, RFC 4616) after EHLO, over plaintext: for a submission
 * listener on loopback (bench/outbound_bench.sh). The sender (-f) is then
 * an address the user owns; it is also the From: of every message.
 *
 * One thread, one epoll loop, non-blocking sockets: the generator stays far
 * below the server's cost per message, so it is not the bottleneck. Reports
 * messages/s, latency percentiles (MAIL FROM to the 250 after the data, and
 * end-of-data to 250, which is the durable-commit wait) and failures, and
 * ends with one machine-readable "RESULT" line for bench/run.sh.
 *
 * It deliberately does not pipeline (neither does smtp-source by default),
 * retry a failed message, speak TLS or any AUTH mechanism but PLAIN, or
 * check what the server stored: bench/run.sh compares the stored counts with "ok" afterwards.
 * Every message is tried exactly once and every connection has a deadline,
 * so a run always ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX	4096	/* one reply (EHLO is the longest) */
#define CMD_MAX		1024	/* envelope and header lines of one message */
#define CONNS_MAX	4096
#define FAIL_LOG_MAX	10	/* failures described on stderr */
#define DOMAINS_MAX	64	/* recipient domains of -d */
#define AUTH_MAX	700	/* base64 of the AUTH PLAIN response */

enum smtp_state {
	S_IDLE,		/* slot unused */
	S_CONNECT,	/* non-blocking connect in progress */
	S_GREETING,	/* waiting for 220 */
	S_EHLO,		/* waiting for 250 to EHLO */
	S_AUTH,		/* waiting for 235 to AUTH PLAIN (-a) */
	S_MAIL,		/* waiting for 250 to MAIL FROM */
	S_RCPT,		/* waiting for 250 to RCPT TO */
	S_DATA,		/* waiting for 354 */
	S_DOT,		/* message sent, waiting for the final 250 */
	S_QUIT,		/* waiting for 221 */
};

struct options {
	struct sockaddr_in	 addr;
	int			 conns;
	long			 messages;
	long			 size;
	int			 users;
	int			 first_user;
	int			 per_conn;
	int			 sequential;
	int			 timeout;
	const char		*domains[DOMAINS_MAX];
	int			 n_domains;
	char			*auth;		/* base64 AUTH PLAIN response, NULL = no AUTH */
	const char		*prefix;	/* local part before the user number */
	const char		*sender;
	const char		*helo;
	unsigned int		 seed;
};

struct conn {
	int		 fd;
	enum smtp_state	 state;
	long		 msg;		/* index of the message in flight, -1 none */
	int		 rcpt;		/* its recipient: user<rcpt>@domain */
	const char	*rcpt_domain;
	int		 sent_here;	/* messages started on this connection */
	double		 deadline;	/* of the current step */
	double		 t_mail;	/* MAIL FROM sent */
	double		 t_dot;		/* end of data sent */
	/* output: pending bytes of out[] from out_off to out_len */
	char		*out;
	size_t		 out_len;
	size_t		 out_off;
	/* input: bytes of the reply being read */
	char		 in[REPLY_MAX];
	size_t		 in_len;
};

struct stats {
	long		 next_msg;	/* messages handed out so far */
	long		 ok;
	long		 failed;
	long		 conn_failed;	/* connect/greeting/timeout failures */
	long		 fail_logged;
	uint32_t	*lat_txn;	/* microseconds, MAIL -> final 250 */
	uint32_t	*lat_commit;	/* microseconds, end of data -> 250 */
	long		 n_lat;
};

static struct options	 opt;
static struct stats	 st;
static char		*body;		/* pre-built message body (after headers) */
static size_t		 body_len;
static int		 epfd;

static void	 usage(void) __attribute__((noreturn));
static double	 now(void);
static void	 parse_args(int, char **);
static void	 build_body(void);
static int	 conn_open(struct conn *);
static void	 conn_close(struct conn *);
static void	 conn_fail(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 conn_send(struct conn *, const char *, size_t);
static int	 send_cmd(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 conn_flush(struct conn *);
static void	 conn_read(struct conn *);
static void	 conn_reply(struct conn *, int, const char *);
static void	 start_message(struct conn *);
static void	 send_message(struct conn *);
static void	 finish_message(struct conn *, int);
static void	 after_message(struct conn *);
static long	 take_message(void);
static int	 cmp_u32(const void *, const void *);
static void	 report(double);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: smtp_bench -p PORT [-h 127.0.0.1] [-c conns 16] [-n messages 20000]\n"
	    "       [-s size 4096] [-u users 200] [-F first_user 1]\n"
	    "       [-d domain[,domain...] bench.test] [-L local_part_prefix user]\n"
	    "       [-a user:password (AUTH PLAIN after EHLO)]\n"
	    "       [-m messages_per_connection 1] [-S (users in turn)] [-t timeout_s 60]\n"
	    "       [-f sender] [-H helo] [-r seed]\n");
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
		fprintf(stderr, "smtp_bench: bad number %s (%ld..%ld)\n", s, min, max);
		exit(2);
	}
	return v;
}

/* RFC 4648 section 4 base64 of n bytes of in; out has room for 4*(n+2)/3+1. */
static void
base64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

/* -a USER:PASSWORD: the AUTH PLAIN response "\0USER\0PASSWORD" (RFC 4616). */
static void
parse_auth(const char *arg)
{
	const char *colon = strchr(arg, ':');
	unsigned char raw[(AUTH_MAX / 4) * 3];
	size_t ulen, plen;

	if (colon == NULL || colon == arg) {
		fprintf(stderr, "smtp_bench: -a wants USER:PASSWORD\n");
		exit(2);
	}
	ulen = (size_t)(colon - arg);
	plen = strlen(colon + 1);
	if (ulen + plen + 2 > sizeof(raw)) {
		fprintf(stderr, "smtp_bench: -a too long\n");
		exit(2);
	}
	raw[0] = '\0';
	memcpy(raw + 1, arg, ulen);
	raw[1 + ulen] = '\0';
	memcpy(raw + 2 + ulen, colon + 1, plen);
	free(opt.auth);
	opt.auth = malloc(AUTH_MAX + 1);
	if (opt.auth == NULL) {
		perror("malloc");
		exit(1);
	}
	base64(raw, ulen + plen + 2, opt.auth);
}

/* -d a.test,b.test: the recipient domains (pointers into arg). */
static void
parse_domains(char *arg)
{
	char *p, *save = NULL;

	opt.n_domains = 0;
	for (p = strtok_r(arg, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (opt.n_domains == DOMAINS_MAX || strlen(p) > 200) {
			fprintf(stderr, "smtp_bench: -d: at most %d domains of 200 bytes\n",
			    DOMAINS_MAX);
			exit(2);
		}
		opt.domains[opt.n_domains++] = p;
	}
	if (opt.n_domains == 0)
		usage();
}

static void
parse_args(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	long port = 0;
	int c;

	opt.conns = 16;
	opt.messages = 20000;
	opt.size = 4096;
	opt.users = 200;
	opt.first_user = 1;
	opt.per_conn = 1;
	opt.timeout = 60;
	opt.domains[0] = "bench.test";
	opt.n_domains = 1;
	opt.prefix = "user";
	opt.sender = "bench@client.test";
	opt.helo = "bench.client.test";
	opt.seed = (unsigned int)time(NULL);
	while ((c = getopt(argc, argv, "h:p:c:n:s:u:F:d:L:m:St:f:H:r:a:")) != -1) {
		switch (c) {
		case 'h': host = optarg; break;
		case 'p': port = num_arg(optarg, 1, 65535); break;
		case 'c': opt.conns = (int)num_arg(optarg, 1, CONNS_MAX); break;
		case 'n': opt.messages = num_arg(optarg, 1, 100000000); break;
		case 's': opt.size = num_arg(optarg, 256, 64L * 1024 * 1024); break;
		case 'u': opt.users = (int)num_arg(optarg, 1, 10000000); break;
		case 'F': opt.first_user = (int)num_arg(optarg, 0, 10000000); break;
		case 'd': parse_domains(optarg); break;
		case 'L': opt.prefix = optarg; break;
		case 'm': opt.per_conn = (int)num_arg(optarg, 1, 100000000); break;
		case 'S': opt.sequential = 1; break;
		case 't': opt.timeout = (int)num_arg(optarg, 1, 3600); break;
		case 'f': opt.sender = optarg; break;
		case 'H': opt.helo = optarg; break;
		case 'r': opt.seed = (unsigned int)num_arg(optarg, 0, 0x7fffffff); break;
		case 'a': parse_auth(optarg); break;
		default: usage();
		}
	}
	if (port == 0 || optind != argc)
		usage();
	memset(&opt.addr, 0, sizeof(opt.addr));
	opt.addr.sin_family = AF_INET;
	opt.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &opt.addr.sin_addr) != 1) {
		fprintf(stderr, "smtp_bench: -h wants an IPv4 address, not %s\n", host);
		exit(2);
	}
	if (strlen(opt.sender) > 300 || strlen(opt.helo) > 200 || strlen(opt.prefix) > 50) {
		fprintf(stderr, "smtp_bench: -f/-H/-L too long\n");
		exit(2);
	}
}

/*
 * The body: 76-character lines of text with CRLF, as many as fit in the
 * message size minus room for the per-message headers (about 200 bytes),
 * so the whole message is close to S bytes. No line starts with '.', so
 * no dot-stuffing is needed.
 */
static void
build_body(void)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	long want = opt.size - 200;
	size_t i, col = 0;

	body = malloc((size_t)want + 8);
	if (body == NULL) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i + 2 < (size_t)want; i++) {
		if (col == 76) {
			body[i++] = '\r';
			body[i] = '\n';
			col = 0;
			continue;
		}
		body[i] = alphabet[(i * 7 + col) % (sizeof(alphabet) - 1)];
		col++;
	}
	body[i++] = '\r';
	body[i++] = '\n';
	body_len = i;
}

static long
take_message(void)
{
	if (st.next_msg >= opt.messages)
		return -1;
	return st.next_msg++;
}

static int
conn_open(struct conn *c)
{
	struct epoll_event ev;
	int one = 1;

	c->msg = take_message();
	if (c->msg < 0)
		return -1;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->state = S_CONNECT;
		conn_fail(c, "socket: %s", strerror(errno));
		return 0;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->sent_here = 0;
	c->in_len = 0;
	c->out_len = c->out_off = 0;
	c->state = S_CONNECT;
	c->deadline = now() + opt.timeout;
	if (connect(c->fd, (struct sockaddr *)&opt.addr, sizeof(opt.addr)) < 0 &&
	    errno != EINPROGRESS) {
		conn_fail(c, "connect: %s", strerror(errno));
		return 0;
	}
	/* edge-triggered: conn_read and conn_flush go on until EAGAIN */
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		conn_fail(c, "epoll_ctl: %s", strerror(errno));
		return 0;
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);	/* also removes it from the epoll set */
	c->fd = -1;
	c->state = S_IDLE;
	c->msg = -1;
}

/* The message in flight (if any) failed; the connection is dropped. */
static void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (st.fail_logged++ < FAIL_LOG_MAX) {
		fprintf(stderr, "smtp_bench: message %ld: ", c->msg);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (c->msg >= 0) {
		st.failed++;
		if (c->state <= S_AUTH)
			st.conn_failed++;
	}
	conn_close(c);
}

/* Queue bytes for output and try to write them now. */
static int
conn_send(struct conn *c, const char *p, size_t n)
{
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	/* out[] holds one message plus its headers and commands */
	if (c->out_len + n > (size_t)opt.size + CMD_MAX * 2) {
		conn_fail(c, "output buffer overflow");
		return -1;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return conn_flush(c);
}

static int
conn_flush(struct conn *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;	/* EPOLLOUT resumes */
			if (errno == EINTR)
				continue;
			conn_fail(c, "send: %s", strerror(errno));
			return -1;
		}
		c->out_off += (size_t)n;
	}
	return 0;
}

static int
send_cmd(struct conn *c, const char *fmt, ...)
{
	char line[CMD_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		conn_fail(c, "command too long");
		return -1;
	}
	return conn_send(c, line, (size_t)n);
}

static int
rcpt_user(long msg)
{
	if (opt.sequential)
		return opt.first_user + (int)(msg % opt.users);
	return opt.first_user + (int)(rand() % opt.users);
}

static void
start_message(struct conn *c)
{
	c->state = S_MAIL;
	c->sent_here++;
	c->rcpt = rcpt_user(c->msg);
	c->rcpt_domain = opt.n_domains == 1 ? opt.domains[0] :
	    opt.domains[opt.sequential ? c->msg % opt.n_domains : rand() % opt.n_domains];
	c->t_mail = now();
	c->deadline = c->t_mail + opt.timeout;
	(void)send_cmd(c, "MAIL FROM:<%s> SIZE=%ld\r\n", opt.sender, opt.size);
}

/* After the 354: headers, the body and the end-of-data dot in one write. */
static void
send_message(struct conn *c)
{
	char hdr[CMD_MAX];
	int n;

	n = snprintf(hdr, sizeof(hdr),
	    "From: Bench <%s>\r\n"
	    "To: %s%d@%s\r\n"
	    "Subject: smtp_bench message %ld\r\n"
	    "Message-ID: <bench.%ld.%d@client.test>\r\n"
	    "\r\n",
	    opt.sender, opt.prefix, c->rcpt, c->rcpt_domain, c->msg, c->msg,
	    (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(hdr)) {
		conn_fail(c, "header too long");
		return;
	}
	c->state = S_DOT;
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + (size_t)n + body_len + 3 > (size_t)opt.size + CMD_MAX * 2) {
		conn_fail(c, "output buffer overflow");
		return;
	}
	memcpy(c->out + c->out_len, hdr, (size_t)n);
	c->out_len += (size_t)n;
	memcpy(c->out + c->out_len, body, body_len);
	c->out_len += body_len;
	memcpy(c->out + c->out_len, ".\r\n", 3);
	c->out_len += 3;
	c->t_dot = now();
	c->deadline = c->t_dot + opt.timeout;
	(void)conn_flush(c);
}

static void
finish_message(struct conn *c, int ok)
{
	double t = now();

	if (ok) {
		st.ok++;
		st.lat_txn[st.n_lat] = (uint32_t)((t - c->t_mail) * 1e6);
		st.lat_commit[st.n_lat] = (uint32_t)((t - c->t_dot) * 1e6);
		st.n_lat++;
	}
	c->msg = -1;
}

/* Next message on this connection, or QUIT. */
static void
after_message(struct conn *c)
{
	if (c->sent_here < opt.per_conn && (c->msg = take_message()) >= 0) {
		start_message(c);
		return;
	}
	c->state = S_QUIT;
	c->deadline = now() + opt.timeout;
	(void)send_cmd(c, "QUIT\r\n");
}

/* One complete reply (code and its last line) arrived in state c->state. */
static void
conn_reply(struct conn *c, int code, const char *text)
{
	switch (c->state) {
	case S_GREETING:
		if (code != 220) {
			conn_fail(c, "greeting: %s", text);
			return;
		}
		c->state = S_EHLO;
		(void)send_cmd(c, "EHLO %s\r\n", opt.helo);
		return;
	case S_EHLO:
		if (code != 250) {
			conn_fail(c, "EHLO: %s", text);
			return;
		}
		if (opt.auth != NULL) {
			c->state = S_AUTH;
			(void)send_cmd(c, "AUTH PLAIN %s\r\n", opt.auth);
			return;
		}
		/* its first message was taken when the connection opened */
		start_message(c);
		return;
	case S_AUTH:
		if (code != 235) {
			conn_fail(c, "AUTH: %s", text);
			return;
		}
		start_message(c);
		return;
	case S_MAIL:
		if (code != 250) {
			conn_fail(c, "MAIL: %s", text);
			return;
		}
		c->state = S_RCPT;
		(void)send_cmd(c, "RCPT TO:<%s%d@%s>\r\n", opt.prefix, c->rcpt, c->rcpt_domain);
		return;
	case S_RCPT:
		if (code != 250 && code != 251) {
			conn_fail(c, "RCPT: %s", text);
			return;
		}
		c->state = S_DATA;
		(void)send_cmd(c, "DATA\r\n");
		return;
	case S_DATA:
		if (code != 354) {
			conn_fail(c, "DATA: %s", text);
			return;
		}
		send_message(c);
		return;
	case S_DOT:
		if (code != 250) {
			conn_fail(c, "end of data: %s", text);
			return;
		}
		finish_message(c, 1);
		after_message(c);
		return;
	case S_QUIT:
		/* the messages are done; a bad QUIT reply costs nothing */
		conn_close(c);
		return;
	default:
		conn_fail(c, "unexpected reply in state %d: %s", (int)c->state, text);
		return;
	}
}

/*
 * Read what arrived and handle every complete reply in it. A reply is
 * complete at a line "ddd " (RFC 5321 4.2.1: the last line of a multiline
 * reply has a space after the code).
 */
static void
conn_read(struct conn *c)
{
	size_t start, i;
	ssize_t n;
	int code;

	for (;;) {
		if (c->in_len == sizeof(c->in)) {
			conn_fail(c, "reply longer than %d bytes", REPLY_MAX);
			return;
		}
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			conn_fail(c, "recv: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			if (c->state == S_QUIT)
				conn_close(c);
			else
				conn_fail(c, "connection closed by server in state %d",
				    (int)c->state);
			return;
		}
		c->in_len += (size_t)n;
		start = 0;
		for (i = 0; i < c->in_len; i++) {
			if (c->in[i] != '\n')
				continue;
			if (i - start >= 4 && c->in[start + 3] == ' ') {
				c->in[i] = '\0';
				if (i > start && c->in[i - 1] == '\r')
					c->in[i - 1] = '\0';
				code = atoi(c->in + start);
				conn_reply(c, code, c->in + start);
				if (c->state == S_IDLE)
					return;		/* closed */
			} else if (i - start < 4 || (c->in[start + 3] != '-')) {
				c->in[i] = '\0';
				conn_fail(c, "malformed reply line: %s", c->in + start);
				return;
			}
			start = i + 1;
		}
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
	}
}

static void
conn_event(struct conn *c, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->state == S_CONNECT) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			conn_fail(c, "connect: %s", strerror(err ? err : errno));
			return;
		}
		if (!(events & (EPOLLIN | EPOLLOUT)))
			return;
		c->state = S_GREETING;
	}
	if (events & EPOLLOUT) {
		if (conn_flush(c) < 0)
			return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(c);
}

static void
check_deadlines(struct conn *conns, double t)
{
	int i;

	for (i = 0; i < opt.conns; i++) {
		if (conns[i].state == S_IDLE || t < conns[i].deadline)
			continue;
		if (conns[i].state == S_QUIT) {
			conn_close(&conns[i]);
			continue;
		}
		conn_fail(&conns[i], "timeout after %d s in state %d", opt.timeout,
		    (int)conns[i].state);
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(const uint32_t *v, long n, double p)
{
	long i;

	if (n == 0)
		return 0;
	i = (long)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

static void
report(double secs)
{
	double rate = secs > 0 ? st.ok / secs : 0;

	qsort(st.lat_txn, (size_t)st.n_lat, sizeof(uint32_t), cmp_u32);
	qsort(st.lat_commit, (size_t)st.n_lat, sizeof(uint32_t), cmp_u32);
	printf("smtp_bench: %ld messages of %ld bytes, %d connections, %d per connection, "
	    "%d users%s\n", opt.messages, opt.size, opt.conns, opt.per_conn, opt.users,
	    opt.sequential ? " in turn" : " at random");
	printf("  accepted   %ld\n  failed     %ld (%ld before MAIL)\n", st.ok, st.failed,
	    st.conn_failed);
	printf("  elapsed    %.3f s\n  rate       %.1f msgs/s\n", secs, rate);
	printf("  latency MAIL..250  ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
	    pct_ms(st.lat_txn, st.n_lat, 50), pct_ms(st.lat_txn, st.n_lat, 90),
	    pct_ms(st.lat_txn, st.n_lat, 99), pct_ms(st.lat_txn, st.n_lat, 99.9),
	    pct_ms(st.lat_txn, st.n_lat, 100));
	printf("  latency  dot..250  ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
	    pct_ms(st.lat_commit, st.n_lat, 50), pct_ms(st.lat_commit, st.n_lat, 90),
	    pct_ms(st.lat_commit, st.n_lat, 99), pct_ms(st.lat_commit, st.n_lat, 99.9),
	    pct_ms(st.lat_commit, st.n_lat, 100));
	printf("RESULT ok=%ld failed=%ld seconds=%.3f msgs_per_s=%.1f p50_ms=%.2f "
	    "p99_ms=%.2f commit_p50_ms=%.2f commit_p99_ms=%.2f\n", st.ok, st.failed,
	    secs, rate, pct_ms(st.lat_txn, st.n_lat, 50), pct_ms(st.lat_txn, st.n_lat, 99),
	    pct_ms(st.lat_commit, st.n_lat, 50), pct_ms(st.lat_commit, st.n_lat, 99));
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct conn *conns;
	double t0, t;
	int i, n, active;

	parse_args(argc, argv);
	srand(opt.seed);
	build_body();
	signal(SIGPIPE, SIG_IGN);
	st.lat_txn = calloc((size_t)opt.messages, sizeof(uint32_t));
	st.lat_commit = calloc((size_t)opt.messages, sizeof(uint32_t));
	conns = calloc((size_t)opt.conns, sizeof(*conns));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (st.lat_txn == NULL || st.lat_commit == NULL || conns == NULL || epfd < 0) {
		perror("smtp_bench: setup");
		return 1;
	}
	for (i = 0; i < opt.conns; i++) {
		conns[i].fd = -1;
		conns[i].msg = -1;
		conns[i].out = malloc((size_t)opt.size + CMD_MAX * 2);
		if (conns[i].out == NULL) {
			perror("malloc");
			return 1;
		}
	}

	t0 = now();
	for (;;) {
		/* keep every slot busy while messages remain */
		active = 0;
		for (i = 0; i < opt.conns; i++) {
			if (conns[i].state == S_IDLE)
				(void)conn_open(&conns[i]);
			if (conns[i].state != S_IDLE)
				active++;
		}
		if (active == 0)
			break;
		n = epoll_wait(epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), 100);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->state != S_IDLE)
				conn_event(c, evs[i].events);
		}
		t = now();
		check_deadlines(conns, t);
	}
	t = now();
	report(t - t0);

	for (i = 0; i < opt.conns; i++)
		free(conns[i].out);
	free(conns);
	free(st.lat_txn);
	free(st.lat_commit);
	free(body);
	free(opt.auth);
	close(epfd);
	return st.failed == 0 ? 0 : 1;
}
