/*
 * dns_conf.c: which server the stub resolver asks: `dns_server` from the
 * config ("HOST:PORT", "[IPv6]:PORT" or a bare numeric address, port 53)
 * or else the first nameserver of /etc/resolv.conf; and the words for
 * its outcomes.
 *
 * Numeric addresses only: resolving the resolver's name would need a
 * resolver. It ignores resolv.conf's search, domain and options lines.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dns_internal.h"
#include "util.h"

#define RESOLV_CONF	"/etc/resolv.conf"

static int	 numeric_addr(const char *host, const char *port,
		    struct sockaddr_storage *ss_r, socklen_t *len_r);
static int	 addr_unspecified(const struct sockaddr_storage *ss);
static int	 server_parse(const char *s, struct sockaddr_storage *ss_r,
		    socklen_t *len_r);

/* A numeric address (IPv6 scope ids allowed) with a numeric port. */
static int
numeric_addr(const char *host, const char *port, struct sockaddr_storage *ss_r,
    socklen_t *len_r)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	if (res->ai_addrlen > sizeof(*ss_r)) {
		freeaddrinfo(res);
		return -1;
	}
	memset(ss_r, 0, sizeof(*ss_r));
	memcpy(ss_r, res->ai_addr, res->ai_addrlen);
	*len_r = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
dns_resolv_conf_read(FILE *fp, struct sockaddr_storage *ss_r, socklen_t *len_r)
{
	char line[512];

	while (fgets(line, sizeof(line), fp) != NULL) {
		char *save, *kw, *addr;

		kw = strtok_r(line, " \t\r\n", &save);
		if (kw == NULL || strcmp(kw, "nameserver") != 0)
			continue;
		addr = strtok_r(NULL, " \t\r\n", &save);
		if (addr != NULL && numeric_addr(addr, "53", ss_r, len_r) == 0 &&
		    !addr_unspecified(ss_r))
			return 0;
	}
	return -1;
}

static int
addr_unspecified(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
		    &((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 1;
}

/* "HOST:PORT", "[V6]:PORT", or a bare numeric address (port 53). */
static int
server_parse(const char *s, struct sockaddr_storage *ss_r, socklen_t *len_r)
{
	char host[128];
	size_t len = strlen(s);

	if (parse_hostport(s, ss_r, len_r) == 0)
		return addr_unspecified(ss_r) ? -1 : 0;
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		if (len - 2 >= sizeof(host))
			return -1;
		memcpy(host, s + 1, len - 2);
		host[len - 2] = '\0';
	} else if (str_copy(host, s, sizeof(host)) >= sizeof(host))
		return -1;
	if (numeric_addr(host, "53", ss_r, len_r) < 0)
		return -1;
	return addr_unspecified(ss_r) ? -1 : 0;
}

struct dns_resolver *
dns_resolver_new(const char *server, int timeout_ms, int tries, char *err,
    size_t errlen)
{
	struct dns_resolver *r;
	FILE *fp;

	if (timeout_ms < 1 || tries < 1) {
		(void)str_format(err, errlen, "dns: bad timeout %d or tries %d",
		    timeout_ms, tries);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->timeout_ms = timeout_ms;
	r->tries = tries;
	if (server != NULL && server[0] != '\0') {
		if (server_parse(server, &r->server, &r->serverlen) < 0) {
			(void)str_format(err, errlen, "dns_server: \"%s\" is not "
			    "a numeric HOST:PORT or [IPv6]:PORT", server);
			free(r);
			return NULL;
		}
		return r;
	}
	/* Like the C library: no usable resolv.conf means a local server. */
	fp = fopen(RESOLV_CONF, "re");
	if (fp == NULL || dns_resolv_conf_read(fp, &r->server,
	    &r->serverlen) < 0)
		(void)numeric_addr("127.0.0.1", "53", &r->server, &r->serverlen);
	if (fp != NULL)
		fclose(fp);
	return r;
}

void
dns_resolver_free(struct dns_resolver *r)
{
	free(r);
}

const char *
dns_status_str(int status)
{
	switch (status) {
	case DNS_OK:
		return "answer";
	case DNS_NODATA:
		return "no record of that type";
	case DNS_NXDOMAIN:
		return "NXDOMAIN (name does not exist)";
	case DNS_TEMPFAIL:
		return "timeout or server failure";
	case DNS_FAIL:
		return "refused or malformed answer";
	default:
		return "unknown DNS status";
	}
}
