/*
 * dns.h: a small stub resolver for the outbound queue: MX, A and AAAA
 * queries over UDP (TCP when the answer is truncated) to one recursive
 * server, `dns_server = HOST:PORT` from the config or else the first
 * nameserver of /etc/resolv.conf.
 *
 * Blocking with a timeout: called on the delivery threads, never on an I/O
 * loop. A resolver is immutable after dns_resolver_new(), so threads share
 * one; every query uses its own socket and a random 16-bit id, and accepts
 * only an answer from the server's address with that id and question
 * (RFC 5452). It does not do DNSSEC, EDNS or its own recursion: the server
 * is a recursive resolver (it follows CNAMEs; the parser accepts the chain
 * it returns).
 */
#ifndef POSTHORN_DNS_H
#define POSTHORN_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_NAME_MAX	255	/* presentation form, without the final dot */
#define DNS_TYPE_A	1
#define DNS_TYPE_CNAME	5
#define DNS_TYPE_MX	15
#define DNS_TYPE_AAAA	28

/* Outcome of a query. */
enum dns_status {
	DNS_OK = 0,		/* answer records found */
	DNS_NODATA,		/* the name exists, no record of this type */
	DNS_NXDOMAIN,		/* the name does not exist (RCODE 3) */
	DNS_TEMPFAIL,		/* timeout, SERVFAIL, network error: try later */
	DNS_FAIL		/* REFUSED, malformed answer, bad name: give up on this query */
};

struct dns_mx {
	uint16_t	 pref;
	char		 host[DNS_NAME_MAX + 1];	/* "" for the null MX "." (RFC 7505) */
};

struct dns_resolver;

/*
 * server: "HOST:PORT" / "[IPv6]:PORT" (numeric), or "" for the first
 * nameserver in /etc/resolv.conf (port 53; 127.0.0.1 if none).
 * timeout_ms per try, tries >= 1. NULL with the reason in err.
 */
struct dns_resolver *dns_resolver_new(const char *server, int timeout_ms,
	    int tries, char *err, size_t errlen);
void	 dns_resolver_free(struct dns_resolver *r);

/* MX records of domain, unsorted (route.h sorts them). Returns enum dns_status. */
int	 dns_query_mx(struct dns_resolver *r, const char *domain,
	    struct dns_mx *mx, size_t max, size_t *n_r);

/*
 * A (family AF_INET) or AAAA (AF_INET6) records of host as socket
 * addresses with port. Returns enum dns_status.
 */
int	 dns_query_addr(struct dns_resolver *r, const char *host, int family,
	    uint16_t port, struct sockaddr_storage *addrs, size_t max, size_t *n_r);

/* "NXDOMAIN", "timeout or server failure"...: for logs and DSNs. */
const char *dns_status_str(int status);

/* ---- wire format, exposed for the unit tests and the fuzzer ---- */

/* Query for name/qtype with id, RD set. 0, or -1 for a bad name or small buffer. */
int	 dns_build_query(uint8_t *buf, size_t bufsize, uint16_t id,
	    const char *name, uint16_t qtype, size_t *len_r);

/*
 * Parse a response to (id, name, qtype): checks QR, id and question,
 * follows the CNAME chain from name, and calls rr(arg, rdata...) for
 * every answer record of qtype owned by a name on that chain. MX rdata
 * is decoded by dns_parse_mx_rdata. Every name read follows compression
 * pointers with a hop limit and bounds checks. Returns enum dns_status
 * (DNS_TEMPFAIL for SERVFAIL, DNS_NODATA when no record matched); sets
 * *truncated_r when TC is set.
 */
int	 dns_parse_response(const uint8_t *msg, size_t len, uint16_t id,
	    const char *name, uint16_t qtype, int *truncated_r,
	    void (*rr)(void *arg, const uint8_t *msg, size_t msglen,
	    size_t rdata_off, size_t rdlen), void *arg);

/* Decode the MX rdata at rdata_off. 0, or -1 when malformed. */
int	 dns_parse_mx_rdata(const uint8_t *msg, size_t msglen, size_t rdata_off,
	    size_t rdlen, struct dns_mx *mx_r);

#endif
