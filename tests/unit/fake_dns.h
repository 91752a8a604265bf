/*
 * fake_dns.h: an in-process DNS server for the resolver and routing unit
 * tests: a thread answering on 127.0.0.1, UDP and TCP on one port, from a
 * table of records, like a recursive server would (CNAMEs followed,
 * NXDOMAIN for unknown names, NODATA for known names without the type).
 *
 * Names with a special first label misbehave on purpose:
 *   drop.*      never answered (the client times out)
 *   servfail.*  SERVFAIL          refused.*  REFUSED
 *   tc.*        over UDP only a truncated (TC) empty answer; TCP is full
 *   spoof.*     first a wrong-id answer, a wrong-question answer and a
 *               forged answer from another port, then the real one
 * It is not a DNS implementation: no compression in queries, one question.
 */
#ifndef FAKE_DNS_H
#define FAKE_DNS_H

#include <stddef.h>
#include <stdint.h>

/* data: A "192.0.2.1", AAAA "2001:db8::1", MX "10 mx.test" ("0 ." is
 * the null MX), CNAME "target.test". */
struct fake_rr {
	const char	*owner;
	uint16_t	 type;
	const char	*data;
};

struct fake_dns;

struct fake_dns *fake_dns_start(const struct fake_rr *zone, size_t n);
void	 fake_dns_stop(struct fake_dns *f);
/* "127.0.0.1:PORT", for dns_resolver_new(). */
const char *fake_dns_server(const struct fake_dns *f);
/* Queries received so far over UDP / TCP. */
unsigned fake_dns_udp_queries(struct fake_dns *f);
unsigned fake_dns_tcp_queries(struct fake_dns *f);

#endif
