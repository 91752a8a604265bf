/*
 * store_keyword.c: the keyword table of a mailbox: IMAP keywords
 * ($Forwarded, $label1, $Junk...) numbered in the order they were first
 * used, so that a message stores its keywords as a 64-bit mask.
 *
 * Names compare case-insensitively (RFC 3501 2.3.2: flags are atoms,
 * matched without regard to case) and keep the case of their first use.
 * A table only grows: bits are never reassigned while messages may carry
 * them, and it goes with its mailbox. Past STORE_KEYWORDS_MAX names a new
 * one is refused (STORE_ELIMIT); IMAP then stops announcing \* in
 * PERMANENTFLAGS. This file does not know system flags (\Seen...).
 *
 * Table record, layout 1: 0 u8 version (1)  1 u8 count, then per name
 * u8 length and the name's bytes (no NUL).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store_internal.h"
#include "util.h"

#define KEYWORDS_LAYOUT		1
#define KEYWORDS_REC_MAX	(2 + STORE_KEYWORDS_MAX * STORE_KEYWORD_LEN)

/*
 * 1 when name is a valid keyword: an RFC 3501 atom (no SP, CTL, 8-bit,
 * "(", ")", "{", "%", "*", '"', "\", "]") that fits STORE_KEYWORD_LEN.
 * A leading "\" would make it a system flag, so it is refused too.
 */
int
store_keyword_valid(const char *name)
{
	size_t len, i;

	if (name == NULL || (len = strlen(name)) == 0 ||
	    len >= STORE_KEYWORD_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return 0;
	}
	return 1;
}

static int
keywords_decode(const MDB_val *v, struct store_keywords *kw)
{
	const uint8_t *p = v->mv_data, *end = p + v->mv_size;
	unsigned int i, count;
	size_t len;

	if (v->mv_size < 2 || p[0] != KEYWORDS_LAYOUT ||
	    (count = p[1]) > STORE_KEYWORDS_MAX)
		return STORE_EIO;
	p += 2;
	for (i = 0; i < count; i++) {
		if (p >= end || (len = *p++) == 0 ||
		    len >= STORE_KEYWORD_LEN || len > (size_t)(end - p))
			return STORE_EIO;
		memcpy(kw->names[i], p, len);
		kw->names[i][len] = '\0';
		p += len;
	}
	kw->n = count;
	return p == end ? 0 : STORE_EIO;
}

/* Load the table of a mailbox; an absent table is an empty one. */
int
store_keywords_load(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    struct store_keywords *kw)
{
	uint8_t key[8];
	MDB_val k = { sizeof(key), key }, v;
	int rc;

	kw->n = 0;
	store_put_be64(key, mailbox_id);
	rc = mdb_get(txn, s->dbi[DB_KEYWORDS], &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return store_lmdb_error(rc);
	return keywords_decode(&v, kw);
}

int
store_keywords_save(struct store *s, MDB_txn *txn, uint64_t mailbox_id,
    const struct store_keywords *kw)
{
	uint8_t key[8], rec[KEYWORDS_REC_MAX];
	MDB_val k = { sizeof(key), key }, v;
	size_t len, off = 2;
	unsigned int i;

	rec[0] = KEYWORDS_LAYOUT;
	rec[1] = (uint8_t)kw->n;
	for (i = 0; i < kw->n; i++) {
		len = strlen(kw->names[i]);
		rec[off++] = (uint8_t)len;
		memcpy(rec + off, kw->names[i], len);
		off += len;
	}
	store_put_be64(key, mailbox_id);
	v.mv_size = off;
	v.mv_data = rec;
	return store_lmdb_error(mdb_put(txn, s->dbi[DB_KEYWORDS], &k, &v, 0));
}

/* Index of name in the table, or -1. */
int
store_keywords_find(const struct store_keywords *kw, const char *name)
{
	unsigned int i;

	for (i = 0; i < kw->n; i++)
		if (strcasecmp(kw->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Index of name, added at the end when new; STORE_ELIMIT when full. */
int
store_keywords_intern(struct store_keywords *kw, const char *name)
{
	int i;

	if ((i = store_keywords_find(kw, name)) >= 0)
		return i;
	if (kw->n >= STORE_KEYWORDS_MAX)
		return STORE_ELIMIT;
	str_copy(kw->names[kw->n], name, STORE_KEYWORD_LEN);
	return (int)kw->n++;
}

/*
 * The bit mask of names in the table; with add, new names are interned
 * (STORE_ELIMIT when they do not fit), without, unknown names are
 * skipped (clearing a keyword nobody has is a no-op).
 */
int
store_keywords_mask(struct store_keywords *kw,
    char (*names)[STORE_KEYWORD_LEN], size_t n, int add, uint64_t *mask_r)
{
	uint64_t mask = 0;
	size_t i;
	int bit;

	for (i = 0; i < n; i++) {
		bit = add ? store_keywords_intern(kw, names[i]) :
		    store_keywords_find(kw, names[i]);
		if (bit == STORE_ELIMIT)
			return bit;
		if (bit >= 0)
			mask |= (uint64_t)1 << bit;
	}
	*mask_r = mask;
	return 0;
}

/*
 * Copy a caller's keyword names into a request (malloc'ed, *out_r NULL
 * when n is 0): STORE_EINVAL for a name that is not a keyword,
 * STORE_ELIMIT for more names than a request may carry.
 */
int
store_keyword_args(const char *const *in, size_t n,
    char (**out_r)[STORE_KEYWORD_LEN], size_t *n_r)
{
	char (*out)[STORE_KEYWORD_LEN];
	size_t i;

	*out_r = NULL;
	*n_r = 0;
	if (n == 0)
		return 0;
	if (in == NULL)
		return STORE_EINVAL;
	if (n > STORE_KEYWORD_ARGS_MAX)
		return STORE_ELIMIT;
	for (i = 0; i < n; i++)
		if (!store_keyword_valid(in[i]))
			return STORE_EINVAL;
	out = xreallocarray(NULL, n, sizeof(*out));
	for (i = 0; i < n; i++)
		str_copy(out[i], in[i], STORE_KEYWORD_LEN);
	*out_r = out;
	*n_r = n;
	return 0;
}

int
store_keyword_list(struct store *s, uint64_t mailbox_id,
    char names[][STORE_KEYWORD_LEN])
{
	struct store_mailbox mb;
	struct store_keywords *kw;
	MDB_txn *txn;
	unsigned int i;
	int rc;

	if ((rc = store_read_begin(s, &txn)) != 0)
		return rc;
	kw = xmalloc(sizeof(*kw));
	if ((rc = store_mailbox_load_id(s, txn, mailbox_id, &mb)) == 0 &&
	    (rc = store_keywords_load(s, txn, mailbox_id, kw)) == 0) {
		for (i = 0; i < kw->n; i++)
			str_copy(names[i], kw->names[i], STORE_KEYWORD_LEN);
		rc = (int)kw->n;
	}
	store_read_end(txn);
	free(kw);
	return rc;
}
