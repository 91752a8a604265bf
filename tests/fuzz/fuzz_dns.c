/*
 * fuzz_dns.c: libFuzzer target for the DNS message parser of
 * outbound/dns_wire.c. The input is a response; it is parsed as the
 * answer to an MX and to an AAAA question (the name is taken from the
 * input's own question when it has one, so the fuzzer gets past the
 * question check), with callbacks that decode what they are handed, and
 * dns_parse_mx_rdata is called on arbitrary offsets of it.
 *
 * Properties checked: the callbacks only see rdata inside the message,
 * of the size of their type, and MX rdata that dns_parse_mx_rdata
 * accepts; a query we build is always a well-formed question.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dns_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void
check_mx(void *arg, const uint8_t *msg, size_t msglen, size_t off,
    size_t rdlen)
{
	struct dns_mx mx;

	(void)arg;
	if (off > msglen || rdlen > msglen - off)
		abort();
	if (dns_parse_mx_rdata(msg, msglen, off, rdlen, &mx) != 0 ||
	    strlen(mx.host) > DNS_NAME_MAX)
		abort();
}

static void
check_aaaa(void *arg, const uint8_t *msg, size_t msglen, size_t off,
    size_t rdlen)
{
	(void)arg;
	if (off > msglen || rdlen != 16 || rdlen > msglen - off)
		abort();
	for (size_t i = 0; i < rdlen; i++)
		sink ^= msg[off + i];	/* ASan sees every byte read */
}

/* The question name of the input, as presentation text, if simple. */
static void
question_name(const uint8_t *d, size_t size, char *out, size_t outsize)
{
	size_t off = DNS_HEADER_LEN, n = 0;

	while (off < size && d[off] != 0 && d[off] < 64) {
		size_t l = d[off];

		if (off + 1 + l > size || n + l + 2 > outsize)
			break;
		if (n > 0)
			out[n++] = '.';
		memcpy(out + n, d + off + 1, l);
		n += l;
		off += 1 + l;
	}
	out[n] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[DNS_NAME_MAX + 1];
	uint8_t q[600];
	uint16_t id;
	size_t qlen;
	struct dns_mx mx;
	int tc;

	if (size < 2)
		return 0;
	id = (uint16_t)((data[0] << 8) | data[1]);
	question_name(data, size, name, sizeof(name));
	/* Our query for that name, turned into a response, is an answer. */
	if (dns_build_query(q, sizeof(q), id, name, DNS_TYPE_MX, &qlen) == 0) {
		q[2] |= 0x80;
		if (!dns_response_matches(q, qlen, id, name, DNS_TYPE_MX) ||
		    dns_parse_response(q, qlen, id, name, DNS_TYPE_MX, &tc,
		    check_mx, NULL) != DNS_NODATA)
			abort();
	}
	(void)dns_parse_response(data, size, id, name[0] ? name : "x.test",
	    DNS_TYPE_MX, &tc, check_mx, NULL);
	(void)dns_parse_response(data, size, id, name[0] ? name : "x.test",
	    DNS_TYPE_AAAA, &tc, check_aaaa, NULL);
	/* MX rdata at a few offsets picked by the input's last bytes. */
	for (size_t i = 0; i < 4 && i < size; i++) {
		size_t off = data[size - 1 - i] % (size + 1);
		size_t rdlen = size - off;

		if (dns_parse_mx_rdata(data, size, off, rdlen, &mx) == 0 &&
		    strlen(mx.host) > DNS_NAME_MAX)
			abort();
	}
	return 0;
}
