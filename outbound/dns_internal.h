/*
 * dns_internal.h: what the resolver's files share beyond dns.h: the
 * resolver itself, the question checks of dns_wire.c, and the resolv.conf
 * reader of dns_conf.c (which the unit tests call).
 * Not for other modules.
 */
#ifndef POSTHORN_DNS_INTERNAL_H
#define POSTHORN_DNS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define DNS_HEADER_LEN	12
#define DNS_CLASS_IN	1
#define DNS_CNAME_MAX	8	/* CNAMEs followed from the query name */

/* Immutable after dns_resolver_new() (dns_conf.c); dns.c reads it. */
struct dns_resolver {
	struct sockaddr_storage	 server;
	socklen_t		 serverlen;
	int			 timeout_ms;
	int			 tries;
};

/* RCODEs (RFC 1035 4.1.1). */
#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_FORMERR	1
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_REFUSED	5

/*
 * 1 when msg is a response (QR) with this id and exactly this question
 * (name compared case-insensitively, type, class IN): only such a packet
 * is an answer to our query (RFC 5452 section 9.1); anything else is
 * ignored, not treated as an error.
 */
int	 dns_response_matches(const uint8_t *msg, size_t len, uint16_t id,
	    const char *name, uint16_t qtype);

/*
 * The name with one trailing dot removed, checked for DNS limits (labels
 * 1..63 bytes of printable ASCII other than '.', wire form <= 255 bytes).
 * 0, or -1 for a name that cannot be queried.
 */
int	 dns_name_check(const char *name, char *out, size_t outsize);

/*
 * The first "nameserver" address of a resolv.conf stream, with port 53.
 * 0, or -1 when there is none usable.
 */
int	 dns_resolv_conf_read(FILE *fp, struct sockaddr_storage *ss_r,
	    socklen_t *len_r);

#endif
