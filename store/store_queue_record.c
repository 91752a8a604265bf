/*
 * store_queue_record.c: the outbound queue's on-disk record and schedule
 * key, and the checked copy of a new entry (struct store_queue_new).
 *
 * Queue record, layout 1 (schema v4), key queue id BE64, integers LE:
 *   0 u8 version (1)  1..3 reserved  4 u32 flags  8 u64 blob id
 *   16 u64 size  24 i64 created  32 i64 next_attempt  40 i64 last_attempt
 *   48 u32 attempts  52 u32 n_rcpts
 *   56 u16 sender length, sender bytes; u16 domain length, domain bytes
 *   then per recipient: u8 state, u16 address length, address bytes,
 *   u16 reply length, reply bytes.
 * The record is variable-length (up to ~830 KB for 1000 recipients with
 * full replies; LMDB keeps big values on overflow pages) and is decoded
 * field by field with every length checked against what is left.
 *
 * Recipient addresses are kept as given: the local part of a foreign
 * address is the remote host's business (RFC 5321 2.4), so it is not
 * case-folded; only the destination domain is lower-cased. This file does
 * not touch LMDB beyond MDB_val sizes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store_internal.h"
#include "util.h"

#define QUEUE_LAYOUT	1
#define QUEUE_HEAD_LEN	56

/* ------------------------------------------------------------ new entry */

/* 1 when s (NUL-terminated) is printable enough to hand to SMTP later. */
static int
text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
domain_ok(const char *d)
{
	return d[0] != '\0' && text_ok(d) && strchr(d, ' ') == NULL &&
	    strchr(d, '@') == NULL;
}

/* A recipient: local@domain with a non-empty local part, in domain. */
static int
rcpt_ok(const char *r, const char *domain)
{
	const char *at;

	if (r == NULL || r[0] == '\0' || strlen(r) >= STORE_ADDRESS_MAX ||
	    !text_ok(r) || (at = strrchr(r, '@')) == NULL || at == r)
		return 0;
	return strcasecmp(at + 1, domain) == 0;
}

void
store_queue_copy_free(struct store_queue_copy *c)
{
	size_t i;

	for (i = 0; i < c->n_rcpts; i++)
		free(c->rcpts[i]);
	free(c->rcpts);
	c->rcpts = NULL;
	c->n_rcpts = 0;
}

/*
 * Check and copy a new entry; next_attempt 0 becomes now. STORE_EINVAL
 * for no or too many recipients, an empty or malformed domain, a sender
 * or recipient that does not fit, or a recipient of another domain.
 */
int
store_queue_new_copy(const struct store_queue_new *in, int64_t now,
    struct store_queue_copy *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (in == NULL || in->sender == NULL || in->domain == NULL ||
	    in->rcpts == NULL || in->n_rcpts == 0 ||
	    in->n_rcpts > STORE_QUEUE_RCPTS_MAX)
		return STORE_EINVAL;
	if (str_copy(out->sender, in->sender, sizeof(out->sender)) >=
	    sizeof(out->sender) || !text_ok(out->sender) ||
	    str_copy(out->domain, in->domain, sizeof(out->domain)) >=
	    sizeof(out->domain) || !domain_ok(out->domain))
		return STORE_EINVAL;
	str_lower(out->domain);
	for (i = 0; i < in->n_rcpts; i++)
		if (!rcpt_ok(in->rcpts[i], out->domain))
			return STORE_EINVAL;
	out->rcpts = xreallocarray(NULL, in->n_rcpts, sizeof(char *));
	for (i = 0; i < in->n_rcpts; i++)
		out->rcpts[i] = xstrdup(in->rcpts[i]);
	out->n_rcpts = in->n_rcpts;
	out->flags = in->flags & STORE_QUEUE_FLAGS_MASK;
	out->next_attempt = in->next_attempt != 0 ? in->next_attempt : now;
	return 0;
}

/* ------------------------------------------------------------ due key */

/* Flipping the sign bit makes big-endian byte order numeric order. */
void
store_queue_due_key(uint8_t out[STORE_QUEUE_DUE_KEY_LEN],
    int64_t next_attempt, uint64_t id)
{
	store_put_be64(out, (uint64_t)next_attempt ^ ((uint64_t)1 << 63));
	store_put_be64(out + 8, id);
}

int64_t
store_queue_due_time(const uint8_t key[STORE_QUEUE_DUE_KEY_LEN])
{
	return (int64_t)(store_get_be64(key) ^ ((uint64_t)1 << 63));
}

/* ------------------------------------------------------------ record */

size_t
store_queue_pending(const struct store_queue_entry *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->n_rcpts; i++)
		n += e->rcpts[i].state == STORE_QUEUE_PENDING;
	return n;
}

static void
put_le16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static size_t
get_le16(const uint8_t *p)
{
	return (size_t)p[0] | (size_t)p[1] << 8;
}

/* Append a length-prefixed string at *pos (the buffer was sized for it). */
static void
put_str(uint8_t *rec, size_t *pos, const char *s)
{
	size_t len = strlen(s);

	put_le16(rec + *pos, len);
	memcpy(rec + *pos + 2, s, len);
	*pos += 2 + len;
}

/* Encode e into a malloc'ed record. */
int
store_queue_encode(const struct store_queue_entry *e, uint8_t **rec_r,
    size_t *len_r)
{
	size_t len = QUEUE_HEAD_LEN + 4 + strlen(e->sender) +
	    strlen(e->domain), pos, i;
	uint8_t *rec;

	if (e->n_rcpts == 0 || e->n_rcpts > STORE_QUEUE_RCPTS_MAX)
		return STORE_EINVAL;
	for (i = 0; i < e->n_rcpts; i++)
		len += 5 + strlen(e->rcpts[i].address) +
		    strlen(e->rcpts[i].reply);
	rec = xcalloc(1, len);
	rec[0] = QUEUE_LAYOUT;
	store_put_le32(rec + 4, e->flags);
	store_put_le64(rec + 8, e->blob_id);
	store_put_le64(rec + 16, e->size);
	store_put_le64(rec + 24, (uint64_t)e->created);
	store_put_le64(rec + 32, (uint64_t)e->next_attempt);
	store_put_le64(rec + 40, (uint64_t)e->last_attempt);
	store_put_le32(rec + 48, e->attempts);
	store_put_le32(rec + 52, (uint32_t)e->n_rcpts);
	pos = QUEUE_HEAD_LEN;
	put_str(rec, &pos, e->sender);
	put_str(rec, &pos, e->domain);
	for (i = 0; i < e->n_rcpts; i++) {
		rec[pos++] = (uint8_t)e->rcpts[i].state;
		put_str(rec, &pos, e->rcpts[i].address);
		put_str(rec, &pos, e->rcpts[i].reply);
	}
	*rec_r = rec;
	*len_r = len;
	return 0;
}

/* Take a length-prefixed string of at most size - 1 bytes into out. */
static int
get_str(const uint8_t *rec, size_t len, size_t *pos, char *out, size_t size)
{
	size_t n;

	if (len - *pos < 2)
		return STORE_EIO;
	n = get_le16(rec + *pos);
	if (n >= size || len - *pos - 2 < n)
		return STORE_EIO;
	memcpy(out, rec + *pos + 2, n);
	out[n] = '\0';
	*pos += 2 + n;
	return 0;
}

static int
decode_rcpts(const uint8_t *rec, size_t len, size_t pos,
    struct store_queue_entry *e)
{
	struct store_queue_rcpt *r;
	size_t i;

	for (i = 0; i < e->n_rcpts; i++) {
		r = &e->rcpts[i];
		if (pos >= len || rec[pos] > STORE_QUEUE_FAILED)
			return STORE_EIO;
		r->state = rec[pos++];
		if (get_str(rec, len, &pos, r->address,
		    sizeof(r->address)) != 0 ||
		    get_str(rec, len, &pos, r->reply, sizeof(r->reply)) != 0)
			return STORE_EIO;
	}
	return pos == len ? 0 : STORE_EIO;
}

/* Decode a record into e (rcpts malloc'ed: store_queue_entry_free). */
int
store_queue_decode(const MDB_val *key, const MDB_val *val,
    struct store_queue_entry *e)
{
	const uint8_t *rec = val->mv_data;
	size_t len = val->mv_size, pos = QUEUE_HEAD_LEN;
	int rc;

	memset(e, 0, sizeof(*e));
	if (key->mv_size != 8 || len < QUEUE_HEAD_LEN || rec[0] != QUEUE_LAYOUT)
		return STORE_EIO;
	e->id = store_get_be64(key->mv_data);
	e->flags = store_get_le32(rec + 4);
	e->blob_id = store_get_le64(rec + 8);
	e->size = store_get_le64(rec + 16);
	e->created = (int64_t)store_get_le64(rec + 24);
	e->next_attempt = (int64_t)store_get_le64(rec + 32);
	e->last_attempt = (int64_t)store_get_le64(rec + 40);
	e->attempts = store_get_le32(rec + 48);
	e->n_rcpts = store_get_le32(rec + 52);
	if (e->n_rcpts == 0 || e->n_rcpts > STORE_QUEUE_RCPTS_MAX ||
	    get_str(rec, len, &pos, e->sender, sizeof(e->sender)) != 0 ||
	    get_str(rec, len, &pos, e->domain, sizeof(e->domain)) != 0) {
		e->n_rcpts = 0;
		return STORE_EIO;
	}
	e->rcpts = xcalloc(e->n_rcpts, sizeof(*e->rcpts));
	if ((rc = decode_rcpts(rec, len, pos, e)) != 0)
		store_queue_entry_free(e);
	return rc;
}

void
store_queue_entry_free(struct store_queue_entry *e)
{
	if (e == NULL)
		return;
	free(e->rcpts);
	e->rcpts = NULL;
	e->n_rcpts = 0;
}
