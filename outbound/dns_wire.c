/*
 * dns_wire.c: the DNS message format (RFC 1035 section 4): building a
 * query, checking that a response answers it, reading names with
 * compression pointers, following the CNAME chain in the answer section
 * and decoding MX rdata. Every read knows the end of the message.
 *
 * It does no I/O (dns.c sends and receives) and does not read the
 * authority or additional sections: a stub resolver asking a recursive
 * server needs only the answer section.
 */
#include <string.h>

#include "dns.h"
#include "dns_internal.h"

#define DNS_PTR_HOPS	32	/* compression pointers followed per name */
#define DNS_WIRE_MAX	255	/* RFC 1035 3.1: a name in wire form */
#define DNS_LABEL_MAX	63

#define DNS_FLAG_QR	0x8000
#define DNS_FLAG_TC	0x0200
#define DNS_FLAG_RD	0x0100

/* One resource record of the answer section, located in the message. */
struct dns_rr {
	char	 owner[DNS_NAME_MAX + 1];
	uint16_t type;
	uint16_t class;
	size_t	 rdata_off;
	size_t	 rdlen;
};

static uint16_t	 get16(const uint8_t *p);
static int	 label_char_ok(uint8_t c);
static int	 name_eq(const char *a, const char *b);
static int	 name_read(const uint8_t *msg, size_t len, size_t off,
		    char *out, size_t *end_r);
static int	 question_read(const uint8_t *msg, size_t len, char *qname,
		    uint16_t *qtype_r, uint16_t *qclass_r, size_t *end_r);
static int	 rr_read(const uint8_t *msg, size_t len, size_t *off,
		    struct dns_rr *rr);
static int	 cname_target(const uint8_t *msg, size_t len,
		    const struct dns_rr *rr, char *target);
static int	 rdata_ok(const uint8_t *msg, size_t len, const struct dns_rr *rr);
static int	 on_chain(char chain[][DNS_NAME_MAX + 1], size_t n,
		    const char *name);
static size_t	 chain_build(const uint8_t *msg, size_t len, size_t an_off,
		    unsigned ancount, const char *qname,
		    char chain[][DNS_NAME_MAX + 1]);

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/*
 * Host names are LDH, but DNS allows any byte; we accept printable ASCII
 * except '.' so that every name has an unambiguous presentation form
 * without escapes. Anything else cannot be a mail host worth reaching.
 */
static int
label_char_ok(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '.';
}

/* DNS names compare ASCII case-insensitively (RFC 4343). */
static int
name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;

		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return 0;
	}
	return *a == *b;
}

int
dns_name_check(const char *name, char *out, size_t outsize)
{
	size_t len = strlen(name), i, label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	/* Wire form is len + 2 bytes (first length byte and the root). */
	if (len == 0 || len + 2 > DNS_WIRE_MAX || len >= outsize)
		return -1;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (!label_char_ok((uint8_t)name[i]) ||
		    ++label > DNS_LABEL_MAX)
			return -1;
	}
	if (label == 0)
		return -1;
	memcpy(out, name, len);
	out[len] = '\0';
	return 0;
}

int
dns_build_query(uint8_t *buf, size_t bufsize, uint16_t id, const char *name,
    uint16_t qtype, size_t *len_r)
{
	char qname[DNS_NAME_MAX + 1];
	size_t off = DNS_HEADER_LEN, need;
	const char *p, *dot;

	if (dns_name_check(name, qname, sizeof(qname)) < 0)
		return -1;
	need = DNS_HEADER_LEN + strlen(qname) + 2 + 4;
	if (bufsize < need)
		return -1;
	memset(buf, 0, DNS_HEADER_LEN);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = DNS_FLAG_RD >> 8;
	buf[5] = 1;		/* QDCOUNT */
	for (p = qname; ; p = dot + 1) {
		size_t l;

		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		buf[off++] = (uint8_t)l;
		memcpy(buf + off, p, l);
		off += l;
		if (dot == NULL)
			break;
	}
	buf[off++] = 0;
	buf[off++] = (uint8_t)(qtype >> 8);
	buf[off++] = (uint8_t)qtype;
	buf[off++] = 0;
	buf[off++] = DNS_CLASS_IN;
	*len_r = off;
	return 0;
}

/*
 * Read the name at off into out (DNS_NAME_MAX + 1 bytes, presentation
 * form without the final dot, "" for the root); *end_r is the offset
 * after the name where it started (after its first pointer, if any).
 * Each pointer must point before the segment that contains it, which
 * with the hop limit rules out loops (RFC 1035 4.1.4 only says "prior
 * occurrence"). -1 when malformed.
 */
static int
name_read(const uint8_t *msg, size_t len, size_t off, char *out, size_t *end_r)
{
	size_t pos = off, seg = off, outlen = 0, wire = 1, end = 0;
	int hops = 0, jumped = 0;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -1;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 1 >= len || ++hops > DNS_PTR_HOPS)
				return -1;
			ptr = ((size_t)(c & 0x3f) << 8) | msg[pos + 1];
			if (ptr >= seg || ptr < DNS_HEADER_LEN)
				return -1;
			if (!jumped)
				end = pos + 2;
			jumped = 1;
			pos = seg = ptr;
			continue;
		}
		if ((c & 0xc0) != 0)
			return -1;	/* extended label types (RFC 6891) */
		if (c == 0)
			break;
		wire += (size_t)c + 1;
		if (wire > DNS_WIRE_MAX || len - pos - 1 < c)
			return -1;
		if (outlen > 0)
			out[outlen++] = '.';
		for (size_t i = 0; i < c; i++) {
			if (!label_char_ok(msg[pos + 1 + i]))
				return -1;
			out[outlen++] = (char)msg[pos + 1 + i];
		}
		pos += (size_t)c + 1;
	}
	out[outlen] = '\0';
	*end_r = jumped ? end : pos + 1;
	return 0;
}

static int
question_read(const uint8_t *msg, size_t len, char *qname, uint16_t *qtype_r,
    uint16_t *qclass_r, size_t *end_r)
{
	size_t off;

	if (len < DNS_HEADER_LEN || get16(msg + 4) != 1)
		return -1;
	if (name_read(msg, len, DNS_HEADER_LEN, qname, &off) < 0 ||
	    len - off < 4)
		return -1;
	*qtype_r = get16(msg + off);
	*qclass_r = get16(msg + off + 2);
	*end_r = off + 4;
	return 0;
}

int
dns_response_matches(const uint8_t *msg, size_t len, uint16_t id,
    const char *name, uint16_t qtype)
{
	char want[DNS_NAME_MAX + 1], got[DNS_NAME_MAX + 1];
	uint16_t flags, t, c;
	size_t end;

	if (len < DNS_HEADER_LEN || get16(msg) != id)
		return 0;
	flags = get16(msg + 2);
	/* A response (QR) to a standard query (OPCODE 0). */
	if (!(flags & DNS_FLAG_QR) || ((flags >> 11) & 0xf) != 0)
		return 0;
	if (dns_name_check(name, want, sizeof(want)) < 0 ||
	    question_read(msg, len, got, &t, &c, &end) < 0)
		return 0;
	return name_eq(want, got) && t == qtype && c == DNS_CLASS_IN;
}

/* Read the record at *off and advance past it. -1 when malformed. */
static int
rr_read(const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr)
{
	size_t p;

	if (name_read(msg, len, *off, rr->owner, &p) < 0 || len - p < 10)
		return -1;
	rr->type = get16(msg + p);
	rr->class = get16(msg + p + 2);
	rr->rdlen = get16(msg + p + 8);	/* after the 32-bit TTL */
	rr->rdata_off = p + 10;
	if (len - rr->rdata_off < rr->rdlen)
		return -1;
	*off = rr->rdata_off + rr->rdlen;
	return 0;
}

/* The CNAME's target, which must fill its rdata exactly. -1 when malformed. */
static int
cname_target(const uint8_t *msg, size_t len, const struct dns_rr *rr,
    char *target)
{
	size_t end;

	if (name_read(msg, len, rr->rdata_off, target, &end) < 0 ||
	    end != rr->rdata_off + rr->rdlen || target[0] == '\0')
		return -1;
	return 0;
}

int
dns_parse_mx_rdata(const uint8_t *msg, size_t msglen, size_t rdata_off,
    size_t rdlen, struct dns_mx *mx_r)
{
	size_t end;

	if (rdata_off > msglen || msglen - rdata_off < rdlen || rdlen < 3)
		return -1;
	if (name_read(msg, msglen, rdata_off + 2, mx_r->host, &end) < 0 ||
	    end != rdata_off + rdlen)
		return -1;
	mx_r->pref = get16(msg + rdata_off);
	return 0;
}

/* The rdata of a record we hand out has the size and form of its type. */
static int
rdata_ok(const uint8_t *msg, size_t len, const struct dns_rr *rr)
{
	struct dns_mx mx;
	char target[DNS_NAME_MAX + 1];

	switch (rr->type) {
	case DNS_TYPE_A:
		return rr->rdlen == 4;
	case DNS_TYPE_AAAA:
		return rr->rdlen == 16;
	case DNS_TYPE_MX:
		return dns_parse_mx_rdata(msg, len, rr->rdata_off, rr->rdlen,
		    &mx) == 0;
	case DNS_TYPE_CNAME:
		return cname_target(msg, len, rr, target) == 0;
	default:
		return 1;
	}
}

static int
on_chain(char chain[][DNS_NAME_MAX + 1], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (name_eq(chain[i], name))
			return 1;
	return 0;
}

/*
 * The names from qname along the CNAMEs of the answer section (in any
 * order, at most DNS_CNAME_MAX, a loop ends it): chain[0] is qname.
 * Returns how many, 0 when the section is malformed.
 */
static size_t
chain_build(const uint8_t *msg, size_t len, size_t an_off, unsigned ancount,
    const char *qname, char chain[][DNS_NAME_MAX + 1])
{
	struct dns_rr rr;
	size_t n = 1, off;
	unsigned i;
	int found;

	memcpy(chain[0], qname, strlen(qname) + 1);
	do {
		found = 0;
		for (off = an_off, i = 0; i < ancount; i++) {
			if (rr_read(msg, len, &off, &rr) < 0)
				return 0;
			if (rr.type != DNS_TYPE_CNAME || rr.class != DNS_CLASS_IN ||
			    !name_eq(rr.owner, chain[n - 1]))
				continue;
			if (cname_target(msg, len, &rr, chain[n]) < 0)
				return 0;
			if (!on_chain(chain, n, chain[n])) {
				n++;
				found = 1;
			}
			break;
		}
	} while (found && n <= DNS_CNAME_MAX);
	return n;
}

int
dns_parse_response(const uint8_t *msg, size_t len, uint16_t id,
    const char *name, uint16_t qtype, int *truncated_r,
    void (*rr_cb)(void *arg, const uint8_t *msg, size_t msglen,
    size_t rdata_off, size_t rdlen), void *arg)
{
	char qname[DNS_NAME_MAX + 1], chain[DNS_CNAME_MAX + 1][DNS_NAME_MAX + 1];
	uint16_t flags, t, c;
	struct dns_rr rr;
	size_t an_off, off, nchain, matched = 0;
	unsigned ancount, i;
	int pass;

	if (truncated_r != NULL)
		*truncated_r = 0;
	if (dns_name_check(name, qname, sizeof(qname)) < 0 ||
	    !dns_response_matches(msg, len, id, qname, qtype) ||
	    question_read(msg, len, chain[0], &t, &c, &an_off) < 0)
		return DNS_FAIL;
	flags = get16(msg + 2);
	if (flags & DNS_FLAG_TC) {
		/* Incomplete: the caller asks again over TCP (RFC 7766). */
		if (truncated_r != NULL)
			*truncated_r = 1;
		return DNS_TEMPFAIL;
	}
	switch (flags & 0xf) {
	case DNS_RCODE_NOERROR:
		break;
	case DNS_RCODE_SERVFAIL:
		return DNS_TEMPFAIL;
	case DNS_RCODE_NXDOMAIN:
		return DNS_NXDOMAIN;
	default:
		return DNS_FAIL;	/* FORMERR, REFUSED, NOTIMP... */
	}
	ancount = get16(msg + 6);
	if ((nchain = chain_build(msg, len, an_off, ancount, qname, chain)) == 0)
		return DNS_FAIL;
	/* Pass 0 validates every record we would hand out, pass 1 hands
	 * them out: a malformed answer yields nothing at all. */
	for (pass = 0; pass < 2; pass++) {
		for (off = an_off, i = 0; i < ancount; i++) {
			if (rr_read(msg, len, &off, &rr) < 0)
				return DNS_FAIL;
			if (rr.type != qtype || rr.class != DNS_CLASS_IN ||
			    !on_chain(chain, nchain, rr.owner))
				continue;
			if (pass == 0) {
				if (!rdata_ok(msg, len, &rr))
					return DNS_FAIL;
				matched++;
			} else if (rr_cb != NULL)
				rr_cb(arg, msg, len, rr.rdata_off, rr.rdlen);
		}
		if (matched == 0)
			return DNS_NODATA;
	}
	return DNS_OK;
}
