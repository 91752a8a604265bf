/*
 * route.h: where mail for a domain goes (RFC 5321 section 5.1): the MX
 * hosts in preference order, randomized among equal preferences, each
 * host's IPv6 then IPv4 addresses; the domain's own A/AAAA when it has no
 * MX (implicit MX); a permanent failure for a null MX (RFC 7505) or a
 * domain that does not exist; a temporary one when DNS does not answer.
 * Also the route to the relayhost (a numeric address, or a name looked up
 * the same way, without MX).
 *
 * Blocking (it queries DNS): delivery threads only. It does not connect.
 */
#ifndef POSTHORN_ROUTE_H
#define POSTHORN_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns.h"

#define ROUTE_MAX_MX		10	/* MX hosts tried per domain */
#define ROUTE_MAX_TARGETS	32	/* addresses tried per attempt */

enum route_status {
	ROUTE_OK = 0,
	ROUTE_TEMPFAIL,		/* retry later (DNS timeout, SERVFAIL, no address yet) */
	ROUTE_PERMFAIL		/* bounce: NXDOMAIN, null MX, MX without any address */
};

struct route_target {
	char			 host[DNS_NAME_MAX + 1];	/* MX host name (for TLS SNI, logs, DSN Remote-MTA) */
	uint16_t		 pref;
	struct sockaddr_storage	 addr;	/* with the port */
	socklen_t		 addrlen;
};

/*
 * The targets for domain, port = the SMTP port (25; tests change it).
 * Returns enum route_status; on failure a reason for logs and DSNs in why
 * ("Host or domain name not found (NXDOMAIN)", "domain does not accept
 * mail (null MX, RFC 7505)", ...). A domain literal "[192.0.2.1]" or
 * "[IPv6:...]" routes to that address.
 */
int	 route_lookup(struct dns_resolver *r, const char *domain, uint16_t port,
	    struct route_target *t, size_t max, size_t *n_r,
	    char *why, size_t whylen);

/* The relayhost "HOST:PORT" / "[ADDR]:PORT": its addresses, no MX. */
int	 route_relayhost(struct dns_resolver *r, const char *relayhost,
	    struct route_target *t, size_t max, size_t *n_r,
	    char *why, size_t whylen);

/*
 * Sort MX records by preference, shuffling each run of equal
 * preferences with rnd (RFC 5321 5.1). Drops duplicates hosts. Returns
 * the new count. Exposed for the unit tests.
 */
size_t	 route_sort_mx(struct dns_mx *mx, size_t n, uint64_t (*rnd)(void));

#endif
