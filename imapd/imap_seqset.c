/*
 * imap_seqset.c: parsing, resolving and formatting IMAP sequence sets.
 *
 * Numbers are checked for overflow digit by digit (nz-number is at most
 * 4294967295, RFC 9051 section 9 "number"); the range count is capped so a
 * hostile set cannot make us allocate more than the line it came on.
 * It does not know whether a set is MSNs or UIDs, nor check numbers against
 * the mailbox: the commands do that with the resolved set.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "imap_seqset.h"
#include "log.h"
#include "util.h"

static int	 seqset_parse_number(const char *s, size_t len, size_t *pos,
		    uint32_t *val_r);
static int	 seqrange_cmp(const void *a, const void *b);
static void	 seqset_append_range(struct evbuffer *b, uint32_t lo, uint32_t hi,
		    int first);
static char	*seqset_buffer_string(struct evbuffer *b);

void
imap_seqset_init(struct imap_seqset *set)
{
	memset(set, 0, sizeof(*set));
}

void
imap_seqset_free(struct imap_seqset *set)
{
	free(set->r);
	memset(set, 0, sizeof(*set));
}

void
imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 8;
		set->r = xreallocarray(set->r, set->cap, sizeof(*set->r));
	}
	set->r[set->n].lo = lo;
	set->r[set->n].hi = hi;
	set->n++;
	if (lo == IMAP_SEQ_STAR || hi == IMAP_SEQ_STAR)
		set->has_star = 1;
	else if ((lo > hi ? lo : hi) > set->max_plain)
		set->max_plain = lo > hi ? lo : hi;
	if (lo > set->max_number)
		set->max_number = lo;
	if (hi > set->max_number)
		set->max_number = hi;
}

/* seq-number at s[*pos]: "*" or an nz-number. */
static int
seqset_parse_number(const char *s, size_t len, size_t *pos, uint32_t *val_r)
{
	uint64_t v = 0;
	size_t i = *pos;

	if (i < len && s[i] == '*') {
		*pos = i + 1;
		*val_r = IMAP_SEQ_STAR;
		return IMAP_SEQSET_OK;
	}
	if (i >= len || s[i] < '0' || s[i] > '9')
		return IMAP_SEQSET_SYNTAX;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return IMAP_SEQSET_RANGE;
	}
	if (v == 0)
		return IMAP_SEQSET_SYNTAX;
	*pos = i;
	*val_r = (uint32_t)v;
	return IMAP_SEQSET_OK;
}

int
imap_seqset_parse(struct imap_seqset *set, const char *s, size_t len)
{
	size_t pos = 0;
	uint32_t lo, hi;
	int r;

	if (len == 1 && s[0] == '$') {
		set->last_result = 1;
		return IMAP_SEQSET_OK;
	}
	for (;;) {
		if ((r = seqset_parse_number(s, len, &pos, &lo)) != IMAP_SEQSET_OK)
			goto fail;
		hi = lo;
		if (pos < len && s[pos] == ':') {
			pos++;
			if ((r = seqset_parse_number(s, len, &pos, &hi)) != IMAP_SEQSET_OK)
				goto fail;
		}
		if (set->n >= IMAP_SEQSET_MAX_RANGES) {
			r = IMAP_SEQSET_TOO_MANY;
			goto fail;
		}
		imap_seqset_add(set, lo, hi);
		if (pos == len)
			return IMAP_SEQSET_OK;
		if (s[pos] != ',') {
			r = IMAP_SEQSET_SYNTAX;
			goto fail;
		}
		pos++;
	}
fail:
	imap_seqset_free(set);
	return r;
}

const char *
imap_seqset_strerror(int result)
{
	switch (result) {
	case IMAP_SEQSET_OK:
		return "OK";
	case IMAP_SEQSET_RANGE:
		return "Sequence number out of range";
	case IMAP_SEQSET_TOO_MANY:
		return "Sequence set too long";
	default:
		return "Invalid sequence set";
	}
}

static int
seqrange_cmp(const void *a, const void *b)
{
	const struct imap_seqrange *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

void
imap_seqset_resolve(struct imap_seqset *set, uint32_t max)
{
	size_t i, j;

	for (i = j = 0; i < set->n; i++) {
		struct imap_seqrange r = set->r[i];
		uint32_t t;

		if (r.lo == IMAP_SEQ_STAR || r.hi == IMAP_SEQ_STAR) {
			/* "*" is the highest number in use: none when empty. */
			if (max == 0)
				continue;
			if (r.lo == IMAP_SEQ_STAR)
				r.lo = max;
			if (r.hi == IMAP_SEQ_STAR)
				r.hi = max;
		}
		if (r.lo > r.hi) {
			t = r.lo;
			r.lo = r.hi;
			r.hi = t;
		}
		set->r[j++] = r;
	}
	set->n = j;
	set->has_star = 0;
	if (set->n == 0)
		return;
	qsort(set->r, set->n, sizeof(*set->r), seqrange_cmp);
	/* Merge overlapping and adjacent ranges (hi + 1 cannot wrap: checked). */
	for (i = 0, j = 1; j < set->n; j++) {
		if (set->r[i].hi == UINT32_MAX || set->r[j].lo <= set->r[i].hi + 1) {
			if (set->r[j].hi > set->r[i].hi)
				set->r[i].hi = set->r[j].hi;
		} else
			set->r[++i] = set->r[j];
	}
	set->n = i + 1;
}

int
imap_seqset_contains(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n < set->r[mid].lo)
			hi = mid;
		else if (n > set->r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

uint64_t
imap_seqset_count(const struct imap_seqset *set)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < set->n; i++)
		total += (uint64_t)set->r[i].hi - set->r[i].lo + 1;
	return total;
}

static void
seqset_append_range(struct evbuffer *b, uint32_t lo, uint32_t hi, int first)
{
	if (lo == hi)
		evbuffer_add_printf(b, "%s%lu", first ? "" : ",", (unsigned long)lo);
	else
		evbuffer_add_printf(b, "%s%lu:%lu", first ? "" : ",",
		    (unsigned long)lo, (unsigned long)hi);
}

static char *
seqset_buffer_string(struct evbuffer *b)
{
	size_t len = evbuffer_get_length(b);
	char *s = xmalloc(len + 1);

	if (len > 0 && evbuffer_remove(b, s, len) != (int)len)
		fatalx("imap_seqset: evbuffer_remove failed");
	s[len] = '\0';
	evbuffer_free(b);
	return s;
}

char *
imap_seqset_format(const struct imap_seqset *set)
{
	struct evbuffer *b;
	size_t i;

	if ((b = evbuffer_new()) == NULL)
		fatalx("imap_seqset: out of memory");
	for (i = 0; i < set->n; i++)
		seqset_append_range(b, set->r[i].lo, set->r[i].hi, i == 0);
	return seqset_buffer_string(b);
}

char *
imap_seqset_format_list(const uint32_t *v, size_t n)
{
	struct evbuffer *b;
	size_t i = 0;
	int first = 1;

	if ((b = evbuffer_new()) == NULL)
		fatalx("imap_seqset: out of memory");
	while (i < n) {
		uint32_t lo, hi;

		if (v[i] == 0) {
			i++;
			continue;
		}
		lo = hi = v[i++];
		for (;;) {
			while (i < n && v[i] == 0)
				i++;
			if (i == n || hi == UINT32_MAX || v[i] != hi + 1)
				break;
			hi = v[i++];
		}
		seqset_append_range(b, lo, hi, first);
		first = 0;
	}
	return seqset_buffer_string(b);
}
