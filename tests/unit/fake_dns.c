/*
 * fake_dns.c: the in-process DNS server of fake_dns.h for unit tests.
 * One thread polls a UDP socket, a TCP listener and a stop pipe; TCP
 * connections are served one at a time. Everything is bounded: messages
 * of at most 4 KiB, 8 CNAME hops, 2 s socket timeouts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "dns.h"
#include "fake_dns.h"

#define MSG_MAX	4096

struct fake_dns {
	const struct fake_rr	*zone;
	size_t			 nzone;
	int			 udp, tcp, spoof, stop[2];
	pthread_t		 thread;
	char			 server[64];
	atomic_uint		 udp_queries, tcp_queries;
};

struct msg {
	uint8_t		 b[MSG_MAX];
	size_t		 len;
};

static void
put8(struct msg *m, unsigned v)
{
	if (m->len < MSG_MAX)
		m->b[m->len++] = (uint8_t)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put_name(struct msg *m, const char *name)
{
	const char *p = name, *dot;

	if (strcmp(name, ".") == 0 || name[0] == '\0') {
		put8(m, 0);
		return;
	}
	for (;;) {
		size_t l;

		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		put8(m, (unsigned)l);
		for (size_t i = 0; i < l; i++)
			put8(m, (unsigned char)p[i]);
		if (dot == NULL || dot[1] == '\0')
			break;
		p = dot + 1;
	}
	put8(m, 0);
}

/* The question of a query: name into qname, 0 or -1. */
static int
parse_query(const uint8_t *q, size_t len, char *qname, size_t size,
    uint16_t *qtype, size_t *qend)
{
	size_t off = 12, out = 0;

	if (len < 12)
		return -1;
	while (off < len && q[off] != 0) {
		size_t l = q[off];

		if (l > 63 || off + 1 + l >= len || out + l + 2 > size)
			return -1;
		if (out > 0)
			qname[out++] = '.';
		memcpy(qname + out, q + off + 1, l);
		out += l;
		off += 1 + l;
	}
	if (off + 5 > len)
		return -1;
	qname[out] = '\0';
	*qtype = (uint16_t)((q[off + 1] << 8) | q[off + 2]);
	*qend = off + 5;
	return 0;
}

static int
has_label(const char *name, const char *first)
{
	size_t l = strlen(first);

	return strncasecmp(name, first, l) == 0 && name[l] == '.';
}

static void
put_rr(struct msg *m, const char *owner, const char *qname,
    const struct fake_rr *rr)
{
	size_t rdlen_at;
	unsigned pref;
	char host[256];

	if (strcasecmp(owner, qname) == 0) {
		put16(m, 0xc00c);	/* compressed: the question's name */
	} else
		put_name(m, owner);
	put16(m, rr->type);
	put16(m, 1);
	put16(m, 0);
	put16(m, 300);
	rdlen_at = m->len;
	put16(m, 0);
	switch (rr->type) {
	case DNS_TYPE_A: {
		struct in_addr a;

		if (inet_pton(AF_INET, rr->data, &a) == 1)
			for (size_t i = 0; i < 4; i++)
				put8(m, ((uint8_t *)&a)[i]);
		break;
	}
	case DNS_TYPE_AAAA: {
		struct in6_addr a;

		if (inet_pton(AF_INET6, rr->data, &a) == 1)
			for (size_t i = 0; i < 16; i++)
				put8(m, a.s6_addr[i]);
		break;
	}
	case DNS_TYPE_MX:
		if (sscanf(rr->data, "%u %255s", &pref, host) == 2) {
			put16(m, pref);
			put_name(m, host);
		}
		break;
	case DNS_TYPE_CNAME:
		put_name(m, rr->data);
		break;
	}
	if (rdlen_at + 2 <= MSG_MAX) {
		size_t rdlen = m->len - rdlen_at - 2;

		m->b[rdlen_at] = (uint8_t)(rdlen >> 8);
		m->b[rdlen_at + 1] = (uint8_t)rdlen;
	}
}

/* Answer records for name/type the way a recursive server gives them. */
static unsigned
add_answers(const struct fake_dns *f, struct msg *m, const char *qname,
    uint16_t qtype, int *exists)
{
	const char *name = qname;
	unsigned count = 0;
	int hop, cname;

	*exists = 0;
	for (hop = 0; hop < 8; hop++) {
		cname = 0;
		for (size_t i = 0; i < f->nzone; i++) {
			const struct fake_rr *rr = &f->zone[i];

			if (strcasecmp(rr->owner, name) != 0)
				continue;
			*exists = 1;
			if (rr->type == qtype) {
				put_rr(m, rr->owner, qname, rr);
				count++;
			} else if (rr->type == DNS_TYPE_CNAME && !cname) {
				put_rr(m, rr->owner, qname, rr);
				count++;
				cname = 1;
				name = rr->data;
			}
		}
		if (!cname)
			break;
		*exists = 0;
	}
	/* A name that only a CNAME led to exists if it has records. */
	for (size_t i = 0; i < f->nzone && !*exists; i++)
		if (strcasecmp(f->zone[i].owner, name) == 0)
			*exists = 1;
	return count;
}

/* The response to q, in m; 0, or -1 to stay silent. */
static int
respond(struct fake_dns *f, const uint8_t *q, size_t qlen, int tcp,
    struct msg *m)
{
	char qname[256];
	uint16_t qtype;
	size_t qend;
	unsigned rcode = 0, an = 0, flags;
	int exists, tc = 0;

	if (parse_query(q, qlen, qname, sizeof(qname), &qtype, &qend) < 0)
		return -1;
	if (has_label(qname, "drop"))
		return -1;
	memcpy(m->b, q, qend);
	m->len = qend;
	if (has_label(qname, "servfail"))
		rcode = 2;
	else if (has_label(qname, "refused"))
		rcode = 5;
	else if (has_label(qname, "tc") && !tcp)
		tc = 1;
	else {
		an = add_answers(f, m, qname, qtype, &exists);
		if (an == 0 && !exists)
			rcode = 3;
	}
	flags = 0x8000 | 0x0100 | 0x0080 | rcode | (tc ? 0x0200 : 0);
	m->b[2] = (uint8_t)(flags >> 8);
	m->b[3] = (uint8_t)flags;
	m->b[6] = (uint8_t)(an >> 8);
	m->b[7] = (uint8_t)an;
	return 0;
}

/* One more answer record for the question's name: A 10.6.6.6. */
static void
add_evil(struct msg *m)
{
	put16(m, 0xc00c);
	put16(m, DNS_TYPE_A);
	put16(m, 1);
	put16(m, 0);
	put16(m, 300);
	put16(m, 4);
	put8(m, 10);
	put8(m, 6);
	put8(m, 6);
	put8(m, 6);
	m->b[7]++;
}

/* Three wrong answers before the real one, for spoof.*. */
static void
send_spoofs(struct fake_dns *f, const struct msg *real,
    const struct sockaddr_storage *to, socklen_t tolen)
{
	struct msg bad;

	bad = *real;		/* wrong id */
	bad.b[1] ^= 0x5a;
	add_evil(&bad);
	(void)sendto(f->udp, bad.b, bad.len, 0, (const void *)to, tolen);
	bad = *real;		/* wrong question: "spoof" -> "rpoof" */
	bad.b[13] ^= 0x01;
	add_evil(&bad);
	(void)sendto(f->udp, bad.b, bad.len, 0, (const void *)to, tolen);
	bad = *real;		/* all right, but from another port */
	add_evil(&bad);
	(void)sendto(f->spoof, bad.b, bad.len, 0, (const void *)to, tolen);
	/* Let them arrive first. */
	usleep(20000);
}

static void
serve_udp(struct fake_dns *f)
{
	uint8_t q[MSG_MAX];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct msg m;
	ssize_t n;
	char qname[256];
	uint16_t qtype;
	size_t qend;

	n = recvfrom(f->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fromlen);
	if (n <= 0)
		return;
	atomic_fetch_add(&f->udp_queries, 1);
	if (respond(f, q, (size_t)n, 0, &m) < 0)
		return;
	if (parse_query(q, (size_t)n, qname, sizeof(qname), &qtype, &qend) == 0 &&
	    has_label(qname, "spoof"))
		send_spoofs(f, &m, &from, fromlen);
	(void)sendto(f->udp, m.b, m.len, 0, (struct sockaddr *)&from, fromlen);
}

static int
read_full(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
serve_tcp(struct fake_dns *f)
{
	struct timeval tv = { 2, 0 };
	uint8_t q[MSG_MAX], lenbuf[2];
	struct msg m;
	size_t len;
	int fd;

	if ((fd = accept(f->tcp, NULL, NULL)) < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_full(fd, lenbuf, 2) == 0 &&
	    (len = (size_t)((lenbuf[0] << 8) | lenbuf[1])) <= sizeof(q) &&
	    read_full(fd, q, len) == 0) {
		atomic_fetch_add(&f->tcp_queries, 1);
		if (respond(f, q, len, 1, &m) == 0) {
			lenbuf[0] = (uint8_t)(m.len >> 8);
			lenbuf[1] = (uint8_t)m.len;
			(void)send(fd, lenbuf, 2, MSG_NOSIGNAL);
			(void)send(fd, m.b, m.len, MSG_NOSIGNAL);
		}
	}
	close(fd);
}

static void *
fake_dns_main(void *arg)
{
	struct fake_dns *f = arg;

	for (;;) {
		struct pollfd pfd[3] = {
			{ f->stop[0], POLLIN, 0 },
			{ f->udp, POLLIN, 0 },
			{ f->tcp, POLLIN, 0 },
		};

		if (poll(pfd, 3, 1000) < 0 || pfd[0].revents != 0)
			break;
		if (pfd[1].revents & POLLIN)
			serve_udp(f);
		if (pfd[2].revents & POLLIN)
			serve_tcp(f);
	}
	return NULL;
}

static int
bind_loopback(int type, uint16_t port, uint16_t *port_r)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd, one = 1;

	if ((fd = socket(AF_INET, type | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0) {
		close(fd);
		return -1;
	}
	if (port_r != NULL)
		*port_r = ntohs(sin.sin_port);
	return fd;
}

struct fake_dns *
fake_dns_start(const struct fake_rr *zone, size_t n)
{
	struct fake_dns *f = calloc(1, sizeof(*f));
	uint16_t port = 0;
	int i;

	if (f == NULL)
		abort();
	f->zone = zone;
	f->nzone = n;
	f->udp = f->tcp = -1;
	/* UDP on an ephemeral port, then TCP on the same number. */
	for (i = 0; i < 50 && f->tcp < 0; i++) {
		if (f->udp >= 0)
			close(f->udp);
		if ((f->udp = bind_loopback(SOCK_DGRAM, 0, &port)) < 0)
			abort();
		f->tcp = bind_loopback(SOCK_STREAM, port, NULL);
	}
	if (f->tcp < 0 || (f->spoof = bind_loopback(SOCK_DGRAM, 0, NULL)) < 0 ||
	    pipe(f->stop) < 0)
		abort();
	snprintf(f->server, sizeof(f->server), "127.0.0.1:%u", port);
	if (pthread_create(&f->thread, NULL, fake_dns_main, f) != 0)
		abort();
	return f;
}

void
fake_dns_stop(struct fake_dns *f)
{
	if (f == NULL)
		return;
	if (write(f->stop[1], "x", 1) != 1)
		abort();
	pthread_join(f->thread, NULL);
	close(f->stop[0]);
	close(f->stop[1]);
	close(f->udp);
	close(f->tcp);
	close(f->spoof);
	free(f);
}

const char *
fake_dns_server(const struct fake_dns *f)
{
	return f->server;
}

unsigned
fake_dns_udp_queries(struct fake_dns *f)
{
	return atomic_load(&f->udp_queries);
}

unsigned
fake_dns_tcp_queries(struct fake_dns *f)
{
	return atomic_load(&f->tcp_queries);
}
