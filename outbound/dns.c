/*
 * dns.c: the stub resolver's transport and queries: a question over UDP
 * to the configured recursive server, again over TCP when the answer is
 * truncated (RFC 7766), `tries` attempts of timeout_ms each. An answer
 * counts only when it comes from the server's address with our random
 * id and our question (RFC 5452); anything else is ignored.
 *
 * The message format is in dns_wire.c, the choice of server in
 * dns_conf.c. It keeps no state between queries: the resolver is
 * immutable, so threads share it. It does not cache, and it talks to
 * one server only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "dns_internal.h"
#include "util.h"

#define DNS_MSG_MAX	65535	/* a TCP message; UDP ones are smaller */
#define DNS_QUERY_MAX	(DNS_HEADER_LEN + DNS_NAME_MAX + 2 + 4)

/* What a query passes to its per-record callback. */
struct mx_acc {
	struct dns_mx		*mx;
	size_t			 max, n;
};

struct addr_acc {
	struct sockaddr_storage	*addrs;
	size_t			 max, n;
	uint16_t		 port;
};

typedef void (*dns_rr_fn)(void *, const uint8_t *, size_t, size_t, size_t);

static int	 same_peer(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b);
static ssize_t	 udp_exchange(const struct dns_resolver *r, const uint8_t *q,
		    size_t qlen, uint16_t id, const char *qname, uint16_t qtype,
		    uint8_t *buf, size_t bufsize);
static int	 tcp_connect(const struct dns_resolver *r, uint64_t deadline);
static int	 tcp_write_all(int fd, const uint8_t *p, size_t len,
		    uint64_t deadline);
static int	 tcp_read_all(int fd, uint8_t *p, size_t len, uint64_t deadline);
static ssize_t	 tcp_exchange(const struct dns_resolver *r, const uint8_t *q,
		    size_t qlen, uint16_t id, const char *qname, uint16_t qtype,
		    uint8_t *buf, size_t bufsize);
static int	 dns_query(const struct dns_resolver *r, const char *name,
		    uint16_t qtype, dns_rr_fn rr, void *arg);
static void	 mx_rr(void *arg, const uint8_t *msg, size_t msglen,
		    size_t rdata_off, size_t rdlen);
static void	 addr_rr(void *arg, const uint8_t *msg, size_t msglen,
		    size_t rdata_off, size_t rdlen);

/* ---- transport ----------------------------------------------------- */

static int
same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

/*
 * Send the query over UDP and wait for a datagram that answers it. The
 * length of the answer in buf, or -1 on timeout or network error.
 */
static ssize_t
udp_exchange(const struct dns_resolver *r, const uint8_t *q, size_t qlen,
    uint16_t id, const char *qname, uint16_t qtype, uint8_t *buf,
    size_t bufsize)
{
	uint64_t deadline = time_monotonic_ms() + (uint64_t)r->timeout_ms;
	ssize_t n = -1;
	int fd;

	fd = socket(r->server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Connected: the kernel drops datagrams from other peers, and an
	 * ICMP port unreachable comes back as ECONNREFUSED. */
	if (connect(fd, (const struct sockaddr *)&r->server, r->serverlen) < 0 ||
	    send(fd, q, qlen, 0) != (ssize_t)qlen)
		goto out;
	while (fd_wait(fd, POLLIN, deadline) > 0) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);

		n = recvfrom(fd, buf, bufsize, MSG_TRUNC,
		    (struct sockaddr *)&from, &fromlen);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			break;
		if ((size_t)n <= bufsize && same_peer(&from, &r->server) &&
		    dns_response_matches(buf, (size_t)n, id, qname, qtype))
			goto out;
	}
	n = -1;
 out:
	close(fd);
	return n;
}

static int
tcp_connect(const struct dns_resolver *r, uint64_t deadline)
{
	int fd, soerr = 0;
	socklen_t sl = sizeof(soerr);

	fd = socket(r->server.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&r->server, r->serverlen) == 0)
		return fd;
	if (errno == EINPROGRESS && fd_wait(fd, POLLOUT, deadline) > 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
		return fd;
	close(fd);
	return -1;
}

static int
tcp_write_all(int fd, const uint8_t *p, size_t len, uint64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (fd_wait(fd, POLLOUT, deadline) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
tcp_read_all(int fd, uint8_t *p, size_t len, uint64_t deadline)
{
	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (fd_wait(fd, POLLIN, deadline) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The same query over TCP, with a 2-byte length prefix (RFC 1035 4.2.2). */
static ssize_t
tcp_exchange(const struct dns_resolver *r, const uint8_t *q, size_t qlen,
    uint16_t id, const char *qname, uint16_t qtype, uint8_t *buf,
    size_t bufsize)
{
	uint64_t deadline = time_monotonic_ms() + (uint64_t)r->timeout_ms;
	uint8_t out[2 + DNS_QUERY_MAX], lenbuf[2];
	size_t len;
	ssize_t n = -1;
	int fd;

	if ((fd = tcp_connect(r, deadline)) < 0)
		return -1;
	out[0] = (uint8_t)(qlen >> 8);
	out[1] = (uint8_t)qlen;
	memcpy(out + 2, q, qlen);
	if (tcp_write_all(fd, out, qlen + 2, deadline) < 0 ||
	    tcp_read_all(fd, lenbuf, 2, deadline) < 0)
		goto out;
	len = (size_t)((lenbuf[0] << 8) | lenbuf[1]);
	if (len > bufsize || tcp_read_all(fd, buf, len, deadline) < 0)
		goto out;
	if (dns_response_matches(buf, len, id, qname, qtype))
		n = (ssize_t)len;
 out:
	close(fd);
	return n;
}

/*
 * One question, up to r->tries attempts: a timeout or network error
 * tries again; an answer (even SERVFAIL: the recursive server has
 * already retried) ends it. rr sees the records of a DNS_OK answer.
 */
static int
dns_query(const struct dns_resolver *r, const char *name, uint16_t qtype,
    dns_rr_fn rr, void *arg)
{
	char qname[DNS_NAME_MAX + 1];
	uint8_t q[DNS_QUERY_MAX], *buf;
	size_t qlen;
	int status = DNS_TEMPFAIL, try;

	if (dns_name_check(name, qname, sizeof(qname)) < 0)
		return DNS_FAIL;
	buf = xmalloc(DNS_MSG_MAX);
	for (try = 0; try < r->tries; try++) {
		uint16_t id = (uint16_t)random_u64();
		ssize_t n;
		int tc;

		if (dns_build_query(q, sizeof(q), id, qname, qtype, &qlen) < 0) {
			status = DNS_FAIL;
			break;
		}
		if ((n = udp_exchange(r, q, qlen, id, qname, qtype, buf,
		    DNS_MSG_MAX)) < 0)
			continue;
		status = dns_parse_response(buf, (size_t)n, id, qname, qtype,
		    &tc, rr, arg);
		if (tc) {
			n = tcp_exchange(r, q, qlen, id, qname, qtype, buf,
			    DNS_MSG_MAX);
			if (n < 0) {
				status = DNS_TEMPFAIL;
				continue;
			}
			/* TC over TCP makes no sense: parse says TEMPFAIL. */
			status = dns_parse_response(buf, (size_t)n, id, qname,
			    qtype, &tc, rr, arg);
		}
		break;
	}
	free(buf);
	return status;
}

/* ---- queries ------------------------------------------------------- */

static void
mx_rr(void *arg, const uint8_t *msg, size_t msglen, size_t rdata_off,
    size_t rdlen)
{
	struct mx_acc *a = arg;

	if (a->n < a->max &&
	    dns_parse_mx_rdata(msg, msglen, rdata_off, rdlen, &a->mx[a->n]) == 0)
		a->n++;
}

int
dns_query_mx(struct dns_resolver *r, const char *domain, struct dns_mx *mx,
    size_t max, size_t *n_r)
{
	struct mx_acc a = { mx, max, 0 };
	int status;

	status = dns_query(r, domain, DNS_TYPE_MX, mx_rr, &a);
	*n_r = status == DNS_OK ? a.n : 0;
	return status;
}

static void
addr_rr(void *arg, const uint8_t *msg, size_t msglen, size_t rdata_off,
    size_t rdlen)
{
	struct addr_acc *a = arg;
	struct sockaddr_storage *ss;

	(void)msglen;
	if (a->n >= a->max)
		return;
	ss = &a->addrs[a->n++];
	memset(ss, 0, sizeof(*ss));
	if (rdlen == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, msg + rdata_off, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, msg + rdata_off, 16);
	}
}

int
dns_query_addr(struct dns_resolver *r, const char *host, int family,
    uint16_t port, struct sockaddr_storage *addrs, size_t max, size_t *n_r)
{
	struct addr_acc a = { addrs, max, 0, port };
	int status;

	*n_r = 0;
	if (family != AF_INET && family != AF_INET6)
		return DNS_FAIL;
	status = dns_query(r, host, family == AF_INET ? DNS_TYPE_A :
	    DNS_TYPE_AAAA, addr_rr, &a);
	if (status == DNS_OK)
		*n_r = a.n;
	return status;
}
