/*
 * route.c: from a recipient domain to the addresses to try (RFC 5321
 * section 5.1): MX hosts in preference order, shuffled among equal
 * preferences, each host's AAAA then A records; the implicit MX when a
 * domain has none; a bounce for a null MX (RFC 7505) or a domain that
 * does not exist; a retry when DNS cannot answer now. Also the
 * relayhost's addresses (no MX lookup).
 *
 * DNS failures other than "does not exist" (REFUSED, a malformed
 * answer) are temporary here: a broken resolver must not bounce mail
 * before the queue lifetime ends. It does not connect or remember
 * which addresses failed; the delivery code does.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_internal.h"
#include "route.h"
#include "util.h"

#define ROUTE_MX_FETCH	64	/* MX records read before sorting */

/* The progress of one lookup while it collects targets. */
struct route_acc {
	struct route_target	*t;
	size_t			 max, n;
	int			 temp;		/* some lookup failed temporarily */
	char			 last[160];	/* the last failure, for why */
};

static int	 mx_cmp(const struct dns_mx *a, const struct dns_mx *b);
static int	 domain_literal(const char *domain, uint16_t port,
		    struct route_target *t, size_t max, size_t *n_r,
		    char *why, size_t whylen);
static void	 add_target(struct route_acc *acc, const char *host,
		    uint16_t pref, const struct sockaddr_storage *ss);
static void	 host_addrs(struct dns_resolver *r, const char *host,
		    uint16_t pref, uint16_t port, struct route_acc *acc);
static void	 dns_why(char *why, size_t whylen, const char *name,
		    const char *type, int status);

static int
mx_cmp(const struct dns_mx *a, const struct dns_mx *b)
{
	return (a->pref > b->pref) - (a->pref < b->pref);
}

size_t
route_sort_mx(struct dns_mx *mx, size_t n, uint64_t (*rnd)(void))
{
	size_t i, j, out, run;

	/* Insertion sort: stable, and n is small. */
	for (i = 1; i < n; i++) {
		struct dns_mx tmp = mx[i];

		for (j = i; j > 0 && mx_cmp(&mx[j - 1], &tmp) > 0; j--)
			mx[j] = mx[j - 1];
		mx[j] = tmp;
	}
	/* Keep each host once, at its best preference. */
	for (i = 0, out = 0; i < n; i++) {
		for (j = 0; j < out; j++)
			if (strcasecmp(mx[j].host, mx[i].host) == 0)
				break;
		if (j == out)
			mx[out++] = mx[i];
	}
	/* Fisher-Yates over each run of equal preference. */
	for (i = 0; i < out; i += run) {
		for (run = 1; i + run < out && mx[i + run].pref == mx[i].pref;
		    run++)
			;
		for (j = run - 1; j > 0; j--) {
			size_t k = (size_t)(rnd() % (j + 1));
			struct dns_mx tmp = mx[i + j];

			mx[i + j] = mx[i + k];
			mx[i + k] = tmp;
		}
	}
	return out;
}

/* "Host or domain name not found..." in the words of other MTAs. */
static void
dns_why(char *why, size_t whylen, const char *name, const char *type,
    int status)
{
	const char *what;

	switch (status) {
	case DNS_NXDOMAIN:
		what = "Host not found";
		break;
	case DNS_NODATA:
		what = "no data record of requested type";
		break;
	case DNS_TEMPFAIL:
		what = "Host not found, try again (timeout or server failure)";
		break;
	default:
		what = "refused or malformed answer, try again";
		break;
	}
	if (str_format(why, whylen, "Host or domain name not found. Name "
	    "service error for name=%s type=%s: %s", name, type, what) < 0)
		(void)str_format(why, whylen, "name service error: %s", what);
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 4.1.3): no DNS. */
static int
domain_literal(const char *domain, uint16_t port, struct route_target *t,
    size_t max, size_t *n_r, char *why, size_t whylen)
{
	char lit[64];
	size_t len = strlen(domain);
	struct sockaddr_storage ss;
	const char *a;

	memset(&ss, 0, sizeof(ss));
	if (len < 3 || domain[len - 1] != ']' || len - 2 >= sizeof(lit))
		goto bad;
	memcpy(lit, domain + 1, len - 2);
	lit[len - 2] = '\0';
	if (str_has_prefix_ci(lit, "IPv6:")) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		a = lit + 5;
		if (inet_pton(AF_INET6, a, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		if (inet_pton(AF_INET, lit, &sin->sin_addr) != 1)
			goto bad;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	}
	*n_r = 0;
	if (max == 0) {
		(void)str_copy(why, "no room for a route target", whylen);
		return ROUTE_TEMPFAIL;
	}
	memset(&t[0], 0, sizeof(t[0]));
	(void)str_copy(t[0].host, domain, sizeof(t[0].host));
	t[0].addr = ss;
	t[0].addrlen = ss.ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	*n_r = 1;
	return ROUTE_OK;
 bad:
	*n_r = 0;
	if (str_format(why, whylen, "invalid domain literal %s", domain) < 0)
		(void)str_copy(why, "invalid domain literal", whylen);
	return ROUTE_PERMFAIL;
}

static void
add_target(struct route_acc *acc, const char *host, uint16_t pref,
    const struct sockaddr_storage *ss)
{
	struct route_target *t;

	if (acc->n >= acc->max)
		return;
	t = &acc->t[acc->n++];
	memset(t, 0, sizeof(*t));
	(void)str_copy(t->host, host, sizeof(t->host));
	t->pref = pref;
	t->addr = *ss;
	t->addrlen = ss->ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* host's AAAA then A records into acc, noting temporary failures. */
static void
host_addrs(struct dns_resolver *r, const char *host, uint16_t pref,
    uint16_t port, struct route_acc *acc)
{
	static const struct {
		int		 family;
		const char	*type;
	} fam[] = { { AF_INET6, "AAAA" }, { AF_INET, "A" } };
	struct sockaddr_storage addrs[ROUTE_MAX_TARGETS];
	size_t i, k, n;

	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		int st, temp;

		if (acc->n >= acc->max)
			return;
		st = dns_query_addr(r, host, fam[i].family, port, addrs,
		    ROUTE_MAX_TARGETS, &n);
		if (st == DNS_OK) {
			for (k = 0; k < n; k++)
				add_target(acc, host, pref, &addrs[k]);
			continue;
		}
		/* Remember the last failure, but a temporary one (which
		 * decides the outcome) over any permanent one. */
		temp = st == DNS_TEMPFAIL || st == DNS_FAIL;
		if (temp || !acc->temp)
			dns_why(acc->last, sizeof(acc->last), host, fam[i].type,
			    st);
		if (temp)
			acc->temp = 1;
	}
}

int
route_lookup(struct dns_resolver *r, const char *domain, uint16_t port,
    struct route_target *t, size_t max, size_t *n_r, char *why, size_t whylen)
{
	char name[DNS_NAME_MAX + 1];
	struct route_acc acc;
	struct dns_mx *mx;
	size_t n, i, hosts, nulls = 0;
	int st;

	*n_r = 0;
	if (whylen > 0)
		why[0] = '\0';
	if (domain[0] == '[')
		return domain_literal(domain, port, t, max, n_r, why, whylen);
	if (dns_name_check(domain, name, sizeof(name)) < 0) {
		if (str_format(why, whylen, "invalid domain name %s", domain) < 0)
			(void)str_copy(why, "invalid domain name", whylen);
		return ROUTE_PERMFAIL;
	}
	mx = xcalloc(ROUTE_MX_FETCH, sizeof(*mx));
	st = dns_query_mx(r, domain, mx, ROUTE_MX_FETCH, &n);
	if (st == DNS_NODATA) {
		/* RFC 5321 5.1: the domain itself is the implicit MX. */
		(void)str_copy(mx[0].host, domain, sizeof(mx[0].host));
		mx[0].pref = 0;
		n = 1;
	} else if (st != DNS_OK) {
		dns_why(why, whylen, domain, "MX", st);
		free(mx);
		return st == DNS_NXDOMAIN ? ROUTE_PERMFAIL : ROUTE_TEMPFAIL;
	}
	n = route_sort_mx(mx, n, random_u64);
	for (i = 0; i < n; i++)
		if (mx[i].host[0] == '\0')
			nulls++;
	if (nulls == n) {
		/* RFC 7505 3: the domain says it takes no mail. */
		(void)str_copy(why, "domain does not accept mail (null MX, "
		    "RFC 7505)", whylen);
		free(mx);
		return ROUTE_PERMFAIL;
	}
	memset(&acc, 0, sizeof(acc));
	acc.t = t;
	acc.max = max;
	for (i = 0, hosts = 0; i < n && hosts < ROUTE_MAX_MX; i++) {
		if (mx[i].host[0] == '\0')
			continue;	/* a "." among real MX: skip it */
		hosts++;
		host_addrs(r, mx[i].host, mx[i].pref, port, &acc);
	}
	free(mx);
	*n_r = acc.n;
	if (acc.n > 0)
		return ROUTE_OK;
	if (str_format(why, whylen, "%s%s", acc.last[0] != '\0' ? acc.last :
	    "no address for any MX host of ", acc.last[0] != '\0' ? "" :
	    domain) < 0)
		(void)str_copy(why, "no address for any MX host", whylen);
	return acc.temp ? ROUTE_TEMPFAIL : ROUTE_PERMFAIL;
}

int
route_relayhost(struct dns_resolver *r, const char *relayhost,
    struct route_target *t, size_t max, size_t *n_r, char *why, size_t whylen)
{
	char host[DNS_NAME_MAX + 1], lit[DNS_NAME_MAX + 8];
	struct route_acc acc;
	struct in6_addr a6;
	struct in_addr a4;
	uint16_t port;

	*n_r = 0;
	if (split_hostport(relayhost, host, sizeof(host), &port) < 0) {
		if (str_format(why, whylen, "relayhost \"%s\" is not HOST:PORT "
		    "or [ADDRESS]:PORT", relayhost) < 0)
			(void)str_copy(why, "bad relayhost", whylen);
		return ROUTE_TEMPFAIL;	/* a configuration error: keep the mail */
	}
	if (port == 0)
		port = 25;
	/* A numeric address routes like a domain literal. */
	if (inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1) {
		int st;

		(void)str_format(lit, sizeof(lit), "[%s%s]",
		    strchr(host, ':') != NULL ? "IPv6:" : "", host);
		st = domain_literal(lit, port, t, max, n_r, why, whylen);
		if (st == ROUTE_OK)
			(void)str_copy(t[0].host, host, sizeof(t[0].host));
		return st == ROUTE_OK ? ROUTE_OK : ROUTE_TEMPFAIL;
	}
	memset(&acc, 0, sizeof(acc));
	acc.t = t;
	acc.max = max;
	host_addrs(r, host, 0, port, &acc);
	*n_r = acc.n;
	if (acc.n > 0)
		return ROUTE_OK;
	/* Even NXDOMAIN: the relayhost is our configuration, not the
	 * recipient's fault; keep the mail until it is fixed. */
	if (str_format(why, whylen, "relayhost %s: %s", host, acc.last) < 0)
		(void)str_copy(why, "relayhost has no address", whylen);
	return ROUTE_TEMPFAIL;
}
