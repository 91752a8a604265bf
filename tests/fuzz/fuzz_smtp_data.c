/*
 * fuzz_smtp_data.c: libFuzzer target for the DATA/BDAT content decoder
 * (smtpd/smtp_data.c). The input (after two control bytes: a split point
 * and a size limit) is decoded whole and in two pieces, as DATA and as BDAT
 * chunks. Checked: both splits agree; the stored message has only CRLF line
 * ends (no bare CR or LF survives); DATA ends only right after a real
 * <CRLF>.<CRLF> (or "." CRLF at the very start); the buffer never exceeds
 * the size limit.
 *
 * Seeds: tests/fuzz/corpus/fuzz_smtp_data/ (the unit tests' inputs).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct smtp_buf	 out;
	size_t		 consumed;
	struct smtp_data d;
};

static void
run_data(const char *in, size_t len, size_t split, uint64_t max, struct run *r)
{
	memset(r, 0, sizeof(*r));
	smtp_data_init(&r->d, &r->out, max);
	r->consumed = smtp_data_feed(&r->d, in, split);
	if (!r->d.done)
		r->consumed += smtp_data_feed(&r->d, in + split, len - split);
}

static void
run_chunks(const char *in, size_t len, size_t split, uint64_t max, struct run *r)
{
	memset(r, 0, sizeof(*r));
	smtp_data_init(&r->d, &r->out, max);
	smtp_data_feed_chunk(&r->d, in, split);
	smtp_data_feed_chunk(&r->d, in + split, len - split);
	smtp_data_end_chunks(&r->d);
	r->consumed = len;
}

static void
same(const struct run *a, const struct run *b)
{
	if (a->out.len != b->out.len || a->consumed != b->consumed ||
	    a->d.done != b->d.done || a->d.size != b->d.size ||
	    a->d.overflow != b->d.overflow || a->d.bare_lf != b->d.bare_lf ||
	    a->d.bare_cr != b->d.bare_cr ||
	    (a->out.len > 0 && memcmp(a->out.data, b->out.data, a->out.len) != 0))
		abort();
}

/* Only CRLF pairs; a CR at the very end may be cut by the limit. */
static void
crlf_only(const struct run *r, int complete)
{
	size_t	 i;

	for (i = 0; i < r->out.len; i++) {
		if (r->out.data[i] == '\r') {
			if (i + 1 == r->out.len) {
				if (complete && !r->d.overflow)
					abort();
			} else if (r->out.data[i + 1] != '\n')
				abort();
		} else if (r->out.data[i] == '\n' && (i == 0 || r->out.data[i - 1] != '\r'))
			abort();
	}
	if (r->d.max != 0 && r->out.len > r->d.max)
		abort();
	if (r->d.max != 0 && r->d.overflow != (r->d.size > r->d.max))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	 a, b;
	const char	*in;
	size_t		 len, split;
	uint64_t	 max;

	if (size < 2)
		return 0;
	in = (const char *)data + 2;
	len = size - 2;
	split = data[0] % (len + 1);
	max = data[1] < 128 ? 0 : (uint64_t)(data[1] - 127) * 4;

	run_data(in, len, len, max, &a);
	run_data(in, len, split, max, &b);
	same(&a, &b);
	crlf_only(&a, 0);
	if (a.d.done) {
		/* The end is exactly <CRLF>.<CRLF>, never a bare-LF/CR variant. */
		if (a.consumed < 3 || memcmp(in + a.consumed - 3, ".\r\n", 3) != 0)
			abort();
		if (a.consumed != 3 && (a.consumed < 5 ||
		    memcmp(in + a.consumed - 5, "\r\n", 2) != 0))
			abort();
	} else if (a.consumed != len)
		abort();
	smtp_buf_free(&a.out);
	smtp_buf_free(&b.out);

	run_chunks(in, len, len, max, &a);
	run_chunks(in, len, split, max, &b);
	same(&a, &b);
	crlf_only(&a, 1);
	smtp_buf_free(&a.out);
	smtp_buf_free(&b.out);
	return 0;
}
