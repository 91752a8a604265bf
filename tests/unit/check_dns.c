/*
 * check_dns.c: unit tests of the stub resolver (outbound/dns*.c): the
 * bytes of a query; responses built by hand (compression pointers and
 * their loops, truncation at every length, wrong id or question, CNAME
 * chains, TC, RCODEs, bad rdata); resolv.conf; then real queries over
 * UDP and TCP to the in-process fake server (fake_dns.c): timeouts,
 * truncation, forged answers, and several threads sharing a resolver.
 *
 * Routing on top of this is in check_route.c.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "dns_internal.h"
#include "fake_dns.h"
#include "util.h"

/* ---- a message builder for hand-made responses --------------------- */

struct pkt {
	uint8_t	 b[2048];
	size_t	 len;
};

static void
p8(struct pkt *p, unsigned v)
{
	ck_assert_uint_lt(p->len, sizeof(p->b));
	p->b[p->len++] = (uint8_t)v;
}

static void
p16(struct pkt *p, unsigned v)
{
	p8(p, v >> 8);
	p8(p, v & 0xff);
}

/* Labels of a dotted name, then the root ("" is the root alone). */
static void
pname(struct pkt *p, const char *name)
{
	while (*name != '\0') {
		const char *dot = strchr(name, '.');
		size_t l = dot != NULL ? (size_t)(dot - name) : strlen(name);

		p8(p, (unsigned)l);
		for (size_t i = 0; i < l; i++)
			p8(p, (unsigned char)name[i]);
		name += l + (dot != NULL);
	}
	p8(p, 0);
}

static void
pptr(struct pkt *p, unsigned off)
{
	p16(p, 0xc000 | off);
}

static void
phdr(struct pkt *p, unsigned id, unsigned flags, unsigned an)
{
	p->len = 0;
	p16(p, id);
	p16(p, flags);
	p16(p, 1);
	p16(p, an);
	p16(p, 0);
	p16(p, 0);
}

static void
pquestion(struct pkt *p, const char *name, unsigned type)
{
	pname(p, name);
	p16(p, type);
	p16(p, 1);
}

/* Owner NULL: a pointer to the question's name (offset 12). */
static size_t
rr_start(struct pkt *p, const char *owner, unsigned type)
{
	if (owner == NULL)
		pptr(p, 12);
	else
		pname(p, owner);
	p16(p, type);
	p16(p, 1);
	p16(p, 0);
	p16(p, 3600);
	p16(p, 0);
	return p->len - 2;
}

static void
rr_end(struct pkt *p, size_t at)
{
	size_t rdlen = p->len - at - 2;

	p->b[at] = (uint8_t)(rdlen >> 8);
	p->b[at + 1] = (uint8_t)rdlen;
}

static void
rr_a(struct pkt *p, const char *owner, const char *addr)
{
	struct in_addr a;
	size_t at = rr_start(p, owner, DNS_TYPE_A);

	ck_assert_int_eq(inet_pton(AF_INET, addr, &a), 1);
	for (size_t i = 0; i < 4; i++)
		p8(p, ((uint8_t *)&a)[i]);
	rr_end(p, at);
}

static void
rr_cname(struct pkt *p, const char *owner, const char *target)
{
	size_t at = rr_start(p, owner, DNS_TYPE_CNAME);

	pname(p, target);
	rr_end(p, at);
}

#define RESP	0x8180	/* QR RD RA, NOERROR */

/* What the parse callback saw. */
struct seen {
	int		 n;
	struct dns_mx	 mx[8];
	uint8_t		 a[8][16];
	size_t		 alen[8];
};

static void
seen_mx(void *arg, const uint8_t *msg, size_t msglen, size_t off, size_t rdlen)
{
	struct seen *s = arg;

	ck_assert_int_lt(s->n, 8);
	ck_assert_int_eq(dns_parse_mx_rdata(msg, msglen, off, rdlen,
	    &s->mx[s->n]), 0);
	s->n++;
}

static void
seen_addr(void *arg, const uint8_t *msg, size_t msglen, size_t off,
    size_t rdlen)
{
	struct seen *s = arg;

	ck_assert_int_lt(s->n, 8);
	ck_assert_uint_le(off + rdlen, msglen);
	ck_assert_uint_le(rdlen, 16);
	memcpy(s->a[s->n], msg + off, rdlen);
	s->alen[s->n] = rdlen;
	s->n++;
}

static int
parse(const struct pkt *p, unsigned id, const char *name, unsigned type,
    struct seen *s, int *tc)
{
	memset(s, 0, sizeof(*s));
	return dns_parse_response(p->b, p->len, (uint16_t)id, name,
	    (uint16_t)type, tc, type == DNS_TYPE_MX ? seen_mx : seen_addr, s);
}

/* ---- dns_build_query ----------------------------------------------- */

START_TEST(test_build_query)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
		0, 15, 0, 1,
	};
	uint8_t buf[512];
	size_t len;

	ck_assert_int_eq(dns_build_query(buf, sizeof(buf), 0x1234,
	    "Example.org.", DNS_TYPE_MX, &len), 0);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	/* Exactly enough room, then one byte less. */
	ck_assert_int_eq(dns_build_query(buf, sizeof(want), 0x1234,
	    "Example.org", DNS_TYPE_MX, &len), 0);
	ck_assert_int_eq(dns_build_query(buf, sizeof(want) - 1, 0x1234,
	    "Example.org", DNS_TYPE_MX, &len), -1);
}
END_TEST

static char long_label[80], long_name[300], max_name[300];

static void
names_init(void)
{
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	/* 63+1+63+1+63+1+61 = 253 characters: the longest name. */
	memset(max_name, 'b', 253);
	max_name[63] = max_name[127] = max_name[191] = '.';
	max_name[253] = '\0';
	memcpy(long_name, max_name, 254);
	str_append(long_name, "c", sizeof(long_name));
}

START_TEST(test_build_query_bad_names)
{
	const char *bad[] = { "", ".", "a..b", ".a", "a b.test", "a\x01.test",
	    "caf\xc3\xa9.test", "..", long_label, long_name };
	uint8_t buf[512];
	size_t len;

	names_init();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(dns_build_query(buf, sizeof(buf), 1, bad[i],
		    DNS_TYPE_A, &len) == -1, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(dns_build_query(buf, sizeof(buf), 1, max_name,
	    DNS_TYPE_A, &len), 0);
	ck_assert_uint_eq(len, 12 + 255 + 4);
	long_label[63] = '\0';
	ck_assert_int_eq(dns_build_query(buf, sizeof(buf), 1, long_label,
	    DNS_TYPE_A, &len), 0);
}
END_TEST

/* ---- dns_parse_response -------------------------------------------- */

/* example.org MX: 10 mx.example.org (compressed), 20 mx2.other.test. */
static void
mx_response(struct pkt *p)
{
	size_t at;

	phdr(p, 0x1234, RESP, 2);
	pquestion(p, "example.org", DNS_TYPE_MX);
	at = rr_start(p, NULL, DNS_TYPE_MX);
	p16(p, 10);
	p8(p, 2);
	p8(p, 'm');
	p8(p, 'x');
	pptr(p, 12);
	rr_end(p, at);
	at = rr_start(p, NULL, DNS_TYPE_MX);
	p16(p, 20);
	pname(p, "mx2.other.test");
	rr_end(p, at);
}

START_TEST(test_parse_mx)
{
	struct pkt p;
	struct seen s;
	int tc = -1;

	mx_response(&p);
	ck_assert_int_eq(parse(&p, 0x1234, "example.org", DNS_TYPE_MX, &s, &tc),
	    DNS_OK);
	ck_assert_int_eq(tc, 0);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(s.mx[0].pref, 10);
	ck_assert_str_eq(s.mx[0].host, "mx.example.org");
	ck_assert_uint_eq(s.mx[1].pref, 20);
	ck_assert_str_eq(s.mx[1].host, "mx2.other.test");
	/* The question compares without case, and a final dot is fine. */
	ck_assert_int_eq(parse(&p, 0x1234, "EXAMPLE.Org.", DNS_TYPE_MX, &s,
	    &tc), DNS_OK);
	ck_assert_int_eq(s.n, 2);
}
END_TEST

START_TEST(test_parse_not_ours)
{
	struct pkt p;
	struct seen s;
	int tc;

	mx_response(&p);
	ck_assert_int_eq(parse(&p, 0x1235, "example.org", DNS_TYPE_MX, &s, &tc),
	    DNS_FAIL);
	ck_assert_int_eq(parse(&p, 0x1234, "example.com", DNS_TYPE_MX, &s, &tc),
	    DNS_FAIL);
	ck_assert_int_eq(parse(&p, 0x1234, "example.org", DNS_TYPE_A, &s, &tc),
	    DNS_FAIL);
	ck_assert_int_eq(s.n, 0);
	ck_assert(dns_response_matches(p.b, p.len, 0x1234, "example.org",
	    DNS_TYPE_MX));
	ck_assert(!dns_response_matches(p.b, p.len, 0x1234, "xample.org",
	    DNS_TYPE_MX));
	/* A query (QR clear) is not an answer. */
	p.b[2] &= 0x7f;
	ck_assert(!dns_response_matches(p.b, p.len, 0x1234, "example.org",
	    DNS_TYPE_MX));
	ck_assert_int_eq(parse(&p, 0x1234, "example.org", DNS_TYPE_MX, &s, &tc),
	    DNS_FAIL);
}
END_TEST

/* Every proper prefix of a good answer is refused, and yields nothing. */
START_TEST(test_parse_truncated)
{
	struct pkt p, q;
	struct seen s;
	int tc;

	mx_response(&p);
	for (size_t len = 0; len < p.len; len++) {
		q = p;
		q.len = len;
		ck_assert_int_eq(parse(&q, 0x1234, "example.org", DNS_TYPE_MX,
		    &s, &tc), DNS_FAIL);
		ck_assert_int_eq(s.n, 0);
	}
}
END_TEST

/* Pointers: to themselves, in a loop, forwards, into the header. */
START_TEST(test_parse_pointer_loops)
{
	static const unsigned targets[] = { 0, 1, 2 };
	struct pkt p;
	struct seen s;
	size_t at, self;
	int tc;

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		phdr(&p, 7, RESP, 1);
		pquestion(&p, "loop.test", DNS_TYPE_MX);
		at = rr_start(&p, NULL, DNS_TYPE_MX);
		p16(&p, 10);
		self = p.len;
		if (targets[i] == 0) {
			pptr(&p, (unsigned)self);		/* itself */
		} else if (targets[i] == 1) {
			p8(&p, 1);				/* "a" then back to "a" */
			p8(&p, 'a');
			pptr(&p, (unsigned)self);
		} else
			pptr(&p, (unsigned)self + 2);		/* forwards */
		p8(&p, 0);
		rr_end(&p, at);
		ck_assert_int_eq(parse(&p, 7, "loop.test", DNS_TYPE_MX, &s, &tc),
		    DNS_FAIL);
		ck_assert_int_eq(s.n, 0);
	}
	/* Into the header: offset 2. */
	phdr(&p, 7, RESP, 1);
	pquestion(&p, "loop.test", DNS_TYPE_MX);
	at = rr_start(&p, NULL, DNS_TYPE_MX);
	p16(&p, 10);
	pptr(&p, 2);
	rr_end(&p, at);
	ck_assert_int_eq(parse(&p, 7, "loop.test", DNS_TYPE_MX, &s, &tc),
	    DNS_FAIL);
}
END_TEST

/* A chain of backward pointers is fine up to the hop limit. */
START_TEST(test_parse_pointer_chain)
{
	struct pkt p;
	struct seen s;
	size_t at, prev;
	int tc;

	/* "x" -> "x" -> ... -> the question's name: 20 pointers, kept in
	 * the rdata of an unrelated TXT record; the MX points at the last. */
	phdr(&p, 7, RESP, 1);
	pquestion(&p, "chain.test", DNS_TYPE_MX);
	prev = 12;
	at = rr_start(&p, "pad.test", 16);
	for (int i = 0; i < 20; i++) {
		size_t here = p.len;

		p8(&p, 1);
		p8(&p, 'x');
		pptr(&p, (unsigned)prev);
		prev = here;
	}
	rr_end(&p, at);
	p.b[7] = 2;
	at = rr_start(&p, NULL, DNS_TYPE_MX);
	p16(&p, 10);
	pptr(&p, (unsigned)prev);
	rr_end(&p, at);
	ck_assert_int_eq(parse(&p, 7, "chain.test", DNS_TYPE_MX, &s, &tc),
	    DNS_OK);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.mx[0].host,
	    "x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.chain.test");
}
END_TEST

/* A name over 255 bytes in wire form, via pointers or plainly. */
START_TEST(test_parse_long_name)
{
	struct pkt p;
	struct seen s;
	char label[64];
	size_t at;
	int tc;

	memset(label, 'l', 63);
	label[63] = '\0';
	phdr(&p, 7, RESP, 1);
	pquestion(&p, "long.test", DNS_TYPE_MX);
	at = rr_start(&p, NULL, DNS_TYPE_MX);
	p16(&p, 10);
	for (int i = 0; i < 4; i++) {
		p8(&p, 63);
		for (int j = 0; j < 63; j++)
			p8(&p, 'l');
	}
	pptr(&p, 12);	/* 4 * 64 + "long.test" > 255 */
	rr_end(&p, at);
	ck_assert_int_eq(parse(&p, 7, "long.test", DNS_TYPE_MX, &s, &tc),
	    DNS_FAIL);
	/* A label length with the reserved 0x40 bits. */
	phdr(&p, 7, RESP, 1);
	pquestion(&p, "long.test", DNS_TYPE_MX);
	at = rr_start(&p, NULL, DNS_TYPE_MX);
	p16(&p, 10);
	p8(&p, 0x41);
	p8(&p, 'a');
	p8(&p, 0);
	rr_end(&p, at);
	ck_assert_int_eq(parse(&p, 7, "long.test", DNS_TYPE_MX, &s, &tc),
	    DNS_FAIL);
}
END_TEST

START_TEST(test_parse_cname_chain)
{
	struct pkt p;
	struct seen s;
	int tc;

	/* www -> a -> b (records in a scrambled order), b has the A. */
	phdr(&p, 9, RESP, 5);
	pquestion(&p, "www.example.org", DNS_TYPE_A);
	rr_a(&p, "b.example.net", "192.0.2.1");
	rr_cname(&p, "a.example.net", "B.example.net");
	rr_a(&p, "other.example.net", "192.0.2.9");
	rr_cname(&p, NULL, "a.example.net");
	rr_a(&p, "b.example.net", "192.0.2.2");
	ck_assert_int_eq(parse(&p, 9, "www.example.org", DNS_TYPE_A, &s, &tc),
	    DNS_OK);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(s.alen[0], 4);
	ck_assert_uint_eq(s.a[0][3], 1);
	ck_assert_uint_eq(s.a[1][3], 2);

	/* A CNAME loop without an address: no data, and it ends. */
	phdr(&p, 9, RESP, 2);
	pquestion(&p, "www.example.org", DNS_TYPE_A);
	rr_cname(&p, NULL, "a.example.net");
	rr_cname(&p, "a.example.net", "www.example.org");
	ck_assert_int_eq(parse(&p, 9, "www.example.org", DNS_TYPE_A, &s, &tc),
	    DNS_NODATA);

	/* An address of a name off the chain is not ours. */
	phdr(&p, 9, RESP, 1);
	pquestion(&p, "www.example.org", DNS_TYPE_A);
	rr_a(&p, "evil.example.org", "192.0.2.66");
	ck_assert_int_eq(parse(&p, 9, "www.example.org", DNS_TYPE_A, &s, &tc),
	    DNS_NODATA);
	ck_assert_int_eq(s.n, 0);
}
END_TEST

/* A chain longer than DNS_CNAME_MAX is not followed to its end. */
START_TEST(test_parse_cname_too_long)
{
	struct pkt p;
	struct seen s;
	char from[32], to[32];
	int tc;

	phdr(&p, 9, RESP, 12);
	pquestion(&p, "c0.test", DNS_TYPE_A);
	for (int i = 0; i < 11; i++) {
		snprintf(from, sizeof(from), "c%d.test", i);
		snprintf(to, sizeof(to), "c%d.test", i + 1);
		rr_cname(&p, from, to);
	}
	rr_a(&p, "c11.test", "192.0.2.11");
	ck_assert_int_eq(parse(&p, 9, "c0.test", DNS_TYPE_A, &s, &tc),
	    DNS_NODATA);
}
END_TEST

static const struct {
	unsigned	 flags;
	int		 status;
	int		 tc;
} rcode_cases[] = {
	{ RESP | 2, DNS_TEMPFAIL, 0 },		/* SERVFAIL */
	{ RESP | 3, DNS_NXDOMAIN, 0 },		/* NXDOMAIN */
	{ RESP | 1, DNS_FAIL, 0 },		/* FORMERR */
	{ RESP | 5, DNS_FAIL, 0 },		/* REFUSED */
	{ RESP | 4, DNS_FAIL, 0 },		/* NOTIMP */
	{ RESP | 0x0200, DNS_TEMPFAIL, 1 },	/* TC: ask over TCP */
	{ RESP | 0x0200 | 3, DNS_TEMPFAIL, 1 },
	{ RESP, DNS_OK, 0 },
};

START_TEST(test_parse_rcode)
{
	struct pkt p;
	struct seen s;
	int tc = -1;

	phdr(&p, 5, rcode_cases[_i].flags, 1);
	pquestion(&p, "r.test", DNS_TYPE_A);
	rr_a(&p, NULL, "192.0.2.5");
	ck_assert_int_eq(parse(&p, 5, "r.test", DNS_TYPE_A, &s, &tc),
	    rcode_cases[_i].status);
	ck_assert_int_eq(tc, rcode_cases[_i].tc);
	ck_assert_int_eq(s.n, rcode_cases[_i].status == DNS_OK ? 1 : 0);
}
END_TEST

START_TEST(test_parse_nodata_and_null_mx)
{
	struct pkt p;
	struct seen s;
	size_t at;
	int tc;

	phdr(&p, 5, RESP, 0);
	pquestion(&p, "empty.test", DNS_TYPE_MX);
	ck_assert_int_eq(parse(&p, 5, "empty.test", DNS_TYPE_MX, &s, &tc),
	    DNS_NODATA);
	/* RFC 7505: "0 ." */
	phdr(&p, 5, RESP, 1);
	pquestion(&p, "null.test", DNS_TYPE_MX);
	at = rr_start(&p, NULL, DNS_TYPE_MX);
	p16(&p, 0);
	p8(&p, 0);
	rr_end(&p, at);
	ck_assert_int_eq(parse(&p, 5, "null.test", DNS_TYPE_MX, &s, &tc),
	    DNS_OK);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(s.mx[0].pref, 0);
	ck_assert_str_eq(s.mx[0].host, "");
}
END_TEST

/* Rdata that does not fit its type fails the whole answer. */
START_TEST(test_parse_bad_rdata)
{
	struct pkt p;
	struct seen s;
	size_t at;
	int tc;

	phdr(&p, 5, RESP, 2);
	pquestion(&p, "a.test", DNS_TYPE_A);
	rr_a(&p, NULL, "192.0.2.1");
	at = rr_start(&p, NULL, DNS_TYPE_A);
	for (int i = 0; i < 5; i++)
		p8(&p, 1);
	rr_end(&p, at);
	ck_assert_int_eq(parse(&p, 5, "a.test", DNS_TYPE_A, &s, &tc), DNS_FAIL);
	ck_assert_int_eq(s.n, 0);

	phdr(&p, 5, RESP, 1);
	pquestion(&p, "a.test", DNS_TYPE_AAAA);
	rr_a(&p, NULL, "192.0.2.1");
	p.b[p.len - 4 - 10 + 1] = DNS_TYPE_AAAA;	/* an AAAA of 4 bytes */
	ck_assert_int_eq(parse(&p, 5, "a.test", DNS_TYPE_AAAA, &s, &tc),
	    DNS_FAIL);

	/* MX whose name runs past its rdata, and one with spare bytes. */
	for (int extra = -1; extra <= 1; extra += 2) {
		phdr(&p, 5, RESP, 1);
		pquestion(&p, "m.test", DNS_TYPE_MX);
		at = rr_start(&p, NULL, DNS_TYPE_MX);
		p16(&p, 5);
		pname(&p, "mx.test");
		p8(&p, 0);
		rr_end(&p, at);
		p.b[at + 1] = (uint8_t)(p.b[at + 1] + extra - 1);
		if (extra < 0)
			p.len--;
		ck_assert_int_eq(parse(&p, 5, "m.test", DNS_TYPE_MX, &s, &tc),
		    DNS_FAIL);
	}
	/* An answer count larger than the records present. */
	phdr(&p, 5, RESP, 3);
	pquestion(&p, "a.test", DNS_TYPE_A);
	rr_a(&p, NULL, "192.0.2.1");
	ck_assert_int_eq(parse(&p, 5, "a.test", DNS_TYPE_A, &s, &tc), DNS_FAIL);
}
END_TEST

START_TEST(test_mx_rdata_bounds)
{
	static const uint8_t msg[] = { 0, 10, 2, 'm', 'x', 0 };
	struct dns_mx mx;

	/* No header before it: a pointer could not be valid, names can. */
	ck_assert_int_eq(dns_parse_mx_rdata(msg, sizeof(msg), 0, sizeof(msg),
	    &mx), 0);
	ck_assert_str_eq(mx.host, "mx");
	ck_assert_int_eq(dns_parse_mx_rdata(msg, sizeof(msg), 0, 2, &mx), -1);
	ck_assert_int_eq(dns_parse_mx_rdata(msg, sizeof(msg), 1, 6, &mx), -1);
	ck_assert_int_eq(dns_parse_mx_rdata(msg, sizeof(msg), 7, 0, &mx), -1);
	ck_assert_int_eq(dns_parse_mx_rdata(msg, sizeof(msg), SIZE_MAX, 3,
	    &mx), -1);
	ck_assert_int_eq(dns_parse_mx_rdata(msg, sizeof(msg), 2, SIZE_MAX,
	    &mx), -1);
}
END_TEST

/* ---- resolver configuration ---------------------------------------- */

START_TEST(test_resolver_new)
{
	static const char *bad[] = { "bogus", "127.0.0.1:0", "*:53",
	    "0.0.0.0:53", "[::]:53", "ns.example.org:53", "127.0.0.1:99999" };
	static const char *good[] = { "127.0.0.1:5353", "[::1]:53", "127.0.0.1",
	    "::1", "[::1]" };
	struct dns_resolver *r;
	char err[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		r = dns_resolver_new(bad[i], 100, 1, err, sizeof(err));
		ck_assert_msg(r == NULL, "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "dns_server"));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		r = dns_resolver_new(good[i], 100, 1, err, sizeof(err));
		ck_assert_msg(r != NULL, "refused %s: %s", good[i], err);
		dns_resolver_free(r);
	}
	ck_assert_ptr_null(dns_resolver_new("127.0.0.1:53", 0, 1, err,
	    sizeof(err)));
	ck_assert_ptr_null(dns_resolver_new("127.0.0.1:53", 100, 0, err,
	    sizeof(err)));
	/* The system's resolv.conf (whatever it says) gives a resolver. */
	r = dns_resolver_new("", 100, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(r);
	dns_resolver_free(r);
}
END_TEST

static const struct {
	const char	*conf;
	const char	*addr;	/* NULL: none */
} resolv_cases[] = {
	{ "# comment\nsearch example.org\nnameserver 192.0.2.53\n"
	  "nameserver 192.0.2.54\n", "192.0.2.53" },
	{ "nameserver 0.0.0.0\nnameserver   2001:db8::53  \n", "2001:db8::53" },
	{ "nameserver bogus\n; x\nnameserver\nnameserver 10.1.2.3", "10.1.2.3" },
	{ "options ndots:2\n", NULL },
	{ "", NULL },
};

START_TEST(test_resolv_conf)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[64];
	FILE *fp;
	int rc;

	fp = fmemopen((void *)resolv_cases[_i].conf,
	    strlen(resolv_cases[_i].conf) + 1, "r");
	ck_assert_ptr_nonnull(fp);
	rc = dns_resolv_conf_read(fp, &ss, &len);
	fclose(fp);
	if (resolv_cases[_i].addr == NULL) {
		ck_assert_int_eq(rc, -1);
		return;
	}
	ck_assert_int_eq(rc, 0);
	sockaddr_ntop((struct sockaddr *)&ss, buf, sizeof(buf));
	ck_assert_str_eq(buf, resolv_cases[_i].addr);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 53);
}
END_TEST

/* ---- against the fake server --------------------------------------- */

static const struct fake_rr zone[] = {
	{ "example.test", DNS_TYPE_MX, "10 mx1.example.test" },
	{ "example.test", DNS_TYPE_MX, "20 mx2.example.test" },
	{ "mx1.example.test", DNS_TYPE_A, "127.0.0.2" },
	{ "mx1.example.test", DNS_TYPE_A, "127.0.0.3" },
	{ "mx1.example.test", DNS_TYPE_AAAA, "2001:db8::25" },
	{ "alias.example.test", DNS_TYPE_CNAME, "mx1.example.test" },
	{ "tc.example.test", DNS_TYPE_MX, "5 big.example.test" },
	{ "spoof.example.test", DNS_TYPE_A, "192.0.2.7" },
	{ "servfail.example.test", DNS_TYPE_A, "192.0.2.8" },
};

static struct fake_dns *fake;
static struct dns_resolver *res;

static void
fake_setup(void)
{
	char err[200];

	fake = fake_dns_start(zone, sizeof(zone) / sizeof(zone[0]));
	/* Long enough that a busy machine never retries what the fake
	 * answers at once (the tests count queries). */
	res = dns_resolver_new(fake_dns_server(fake), 2000, 2, err, sizeof(err));
	ck_assert_msg(res != NULL, "%s", err);
}

static void
fake_teardown(void)
{
	dns_resolver_free(res);
	fake_dns_stop(fake);
}

static void
addr_str(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	sockaddr_ntop((const struct sockaddr *)ss, buf, size);
}

START_TEST(test_query_mx)
{
	struct dns_mx mx[4];
	size_t n;

	ck_assert_int_eq(dns_query_mx(res, "Example.TEST", mx, 4, &n), DNS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(mx[0].pref, 10);
	ck_assert_str_eq(mx[0].host, "mx1.example.test");
	ck_assert_str_eq(mx[1].host, "mx2.example.test");
	/* Room for one: one. */
	ck_assert_int_eq(dns_query_mx(res, "example.test", mx, 1, &n), DNS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(dns_query_mx(res, "mx1.example.test", mx, 4, &n),
	    DNS_NODATA);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(dns_query_mx(res, "nothere.test", mx, 4, &n),
	    DNS_NXDOMAIN);
	ck_assert_int_eq(dns_query_mx(res, "a..b", mx, 4, &n), DNS_FAIL);
	ck_assert_uint_eq(fake_dns_tcp_queries(fake), 0);
}
END_TEST

START_TEST(test_query_addr)
{
	struct sockaddr_storage a[4];
	char buf[64];
	size_t n;

	ck_assert_int_eq(dns_query_addr(res, "mx1.example.test", AF_INET, 2525,
	    a, 4, &n), DNS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(a[0].ss_family, AF_INET);
	addr_str(&a[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.2");
	addr_str(&a[1], buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.3");
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&a[1])->sin_port), 2525);

	ck_assert_int_eq(dns_query_addr(res, "mx1.example.test", AF_INET6, 25,
	    a, 4, &n), DNS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(a[0].ss_family, AF_INET6);
	addr_str(&a[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "2001:db8::25");
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&a[0])->sin6_port), 25);

	/* Through a CNAME, as a recursive server returns it. */
	ck_assert_int_eq(dns_query_addr(res, "alias.example.test", AF_INET, 25,
	    a, 4, &n), DNS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(dns_query_addr(res, "mx2.example.test", AF_INET, 25,
	    a, 4, &n), DNS_NXDOMAIN);
	ck_assert_int_eq(dns_query_addr(res, "mx1.example.test", AF_UNIX, 25,
	    a, 4, &n), DNS_FAIL);
}
END_TEST

START_TEST(test_query_errors)
{
	struct sockaddr_storage a[4];
	size_t n;

	ck_assert_int_eq(dns_query_addr(res, "servfail.example.test", AF_INET,
	    25, a, 4, &n), DNS_TEMPFAIL);
	ck_assert_int_eq(dns_query_addr(res, "refused.example.test", AF_INET,
	    25, a, 4, &n), DNS_FAIL);
	ck_assert_uint_eq(n, 0);
	/* Both answered at once: no second try. */
	ck_assert_uint_eq(fake_dns_udp_queries(fake), 2);
}
END_TEST

/* No answer: `tries` queries of timeout_ms each, then TEMPFAIL. */
START_TEST(test_query_timeout)
{
	struct sockaddr_storage a[4];
	struct dns_resolver *r;
	char err[200];
	uint64_t t0, dt;
	size_t n;

	r = dns_resolver_new(fake_dns_server(fake), 300, 3, err, sizeof(err));
	ck_assert_ptr_nonnull(r);
	t0 = time_monotonic_ms();
	ck_assert_int_eq(dns_query_addr(r, "drop.example.test", AF_INET, 25,
	    a, 4, &n), DNS_TEMPFAIL);
	dt = time_monotonic_ms() - t0;
	dns_resolver_free(r);
	ck_assert_uint_ge(dt, 3 * 300);
	ck_assert_uint_lt(dt, 3 * 300 + 1500);
	ck_assert_uint_eq(fake_dns_udp_queries(fake), 3);
	ck_assert_str_eq(dns_status_str(DNS_TEMPFAIL), "timeout or server failure");
}
END_TEST

/* Nothing listens: ICMP port unreachable ends it quickly. */
START_TEST(test_query_no_server)
{
	struct dns_resolver *r;
	struct sockaddr_storage a[4];
	char server[64], err[200];
	uint64_t t0;
	size_t n;

	(void)str_format(server, sizeof(server), "%s", fake_dns_server(fake));
	fake_dns_stop(fake);
	fake = NULL;
	r = dns_resolver_new(server, 2000, 2, err, sizeof(err));
	ck_assert_ptr_nonnull(r);
	t0 = time_monotonic_ms();
	ck_assert_int_eq(dns_query_addr(r, "mx1.example.test", AF_INET, 25,
	    a, 4, &n), DNS_TEMPFAIL);
	ck_assert_uint_lt(time_monotonic_ms() - t0, 1000);
	dns_resolver_free(r);
}
END_TEST

/* TC over UDP: the same question again over TCP. */
START_TEST(test_query_tcp_fallback)
{
	struct dns_mx mx[4];
	size_t n;

	ck_assert_int_eq(dns_query_mx(res, "tc.example.test", mx, 4, &n),
	    DNS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(mx[0].pref, 5);
	ck_assert_str_eq(mx[0].host, "big.example.test");
	ck_assert_uint_eq(fake_dns_udp_queries(fake), 1);
	ck_assert_uint_eq(fake_dns_tcp_queries(fake), 1);
}
END_TEST

/* A wrong id, a wrong question, another source port: all ignored. */
START_TEST(test_query_spoofed)
{
	struct sockaddr_storage a[4];
	char buf[64];
	size_t n;

	ck_assert_int_eq(dns_query_addr(res, "spoof.example.test", AF_INET, 25,
	    a, 4, &n), DNS_OK);
	ck_assert_uint_eq(n, 1);
	addr_str(&a[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.0.2.7");
	ck_assert_uint_eq(fake_dns_udp_queries(fake), 1);
}
END_TEST

#define THREADS	4
#define ROUNDS	25

static void *
query_thread(void *arg)
{
	struct sockaddr_storage a[4];
	struct dns_mx mx[4];
	struct dns_resolver *r = arg;
	intptr_t bad = 0;
	size_t n;

	for (int i = 0; i < ROUNDS; i++) {
		if (dns_query_mx(r, "example.test", mx, 4, &n) != DNS_OK ||
		    n != 2)
			bad++;
		if (dns_query_addr(r, "mx1.example.test", AF_INET6, 25, a, 4,
		    &n) != DNS_OK || n != 1)
			bad++;
	}
	return (void *)bad;
}

START_TEST(test_query_threads)
{
	pthread_t t[THREADS];
	void *bad;

	/* One resolver shared by every thread. */
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, query_thread, res),
		    0);
	for (int i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &bad), 0);
		ck_assert_ptr_null(bad);
	}
	ck_assert_uint_eq(fake_dns_udp_queries(fake), THREADS * ROUNDS * 2);
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc;

	tc = tcase_create("query");
	tcase_add_test(tc, test_build_query);
	tcase_add_test(tc, test_build_query_bad_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_mx);
	tcase_add_test(tc, test_parse_not_ours);
	tcase_add_test(tc, test_parse_truncated);
	tcase_add_test(tc, test_parse_pointer_loops);
	tcase_add_test(tc, test_parse_pointer_chain);
	tcase_add_test(tc, test_parse_long_name);
	tcase_add_test(tc, test_parse_cname_chain);
	tcase_add_test(tc, test_parse_cname_too_long);
	tcase_add_loop_test(tc, test_parse_rcode, 0,
	    sizeof(rcode_cases) / sizeof(rcode_cases[0]));
	tcase_add_test(tc, test_parse_nodata_and_null_mx);
	tcase_add_test(tc, test_parse_bad_rdata);
	tcase_add_test(tc, test_mx_rdata_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, test_resolver_new);
	tcase_add_loop_test(tc, test_resolv_conf, 0,
	    sizeof(resolv_cases) / sizeof(resolv_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_query_mx);
	tcase_add_test(tc, test_query_addr);
	tcase_add_test(tc, test_query_errors);
	tcase_add_test(tc, test_query_timeout);
	tcase_add_test(tc, test_query_no_server);
	tcase_add_test(tc, test_query_tcp_fallback);
	tcase_add_test(tc, test_query_spoofed);
	tcase_add_test(tc, test_query_threads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(dns_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
