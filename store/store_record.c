/*
 * store_record.c: byte order helpers and the encoders/decoders of the
 * store's keys and fixed-layout records.
 *
 * Every record is written field by field at fixed offsets; the first byte
 * is the record's layout version, checked on decode so that a record this
 * binary does not understand is reported as corruption instead of being
 * misread. It does not touch LMDB beyond reading MDB_val sizes.
 *
 * Mailbox record, layout 2 (schema v2 and v3), 48 bytes, integers LE:
 *   0 u8 version (2)  1 u8 special_use  2 u8 flags (bit 0: subscribed in
 *   v2; always 0 since v3, where the subscriptions DB says it)
 *   3 u8 reserved     4 u32 uidvalidity 8 u32 uidnext  12 u32 messages
 *   16 u32 unseen     20 u32 recent     24 u64 id      32 u64 highestmodseq
 *   40 u64 size
 * (layout 1, schema v1, is decoded only by the migration in store_schema.c)
 *
 * Message record, layout 2 (schema v3), 48 bytes:
 *   0 u8 version (2)  1..3 reserved  4 u32 flags  8 u64 blob id
 *   16 u64 size  24 i64 internaldate  32 u64 modseq  40 u64 keywords
 * (layout 1, schema v1 and v2, is the same without keywords, 40 bytes;
 * only store_schema.c decodes it)
 *
 * User record, layout 1: 0 u8 version (1)  1..7 reserved  8 u64 user id
 *   16.. argon2id hash string (crypto_pwhash_str output, no NUL)
 */
#include <string.h>

#include "store_internal.h"

#define MAILBOX_LAYOUT	2
#define MESSAGE_LAYOUT	2
#define USER_LAYOUT	1

void
store_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

void
store_put_be64(uint8_t *p, uint64_t v)
{
	store_put_be32(p, v >> 32);
	store_put_be32(p + 4, (uint32_t)v);
}

uint32_t
store_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

uint64_t
store_get_be64(const uint8_t *p)
{
	return (uint64_t)store_get_be32(p) << 32 | store_get_be32(p + 4);
}

void
store_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

void
store_put_le64(uint8_t *p, uint64_t v)
{
	store_put_le32(p, (uint32_t)v);
	store_put_le32(p + 4, v >> 32);
}

uint32_t
store_get_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

uint64_t
store_get_le64(const uint8_t *p)
{
	return (uint64_t)store_get_le32(p + 4) << 32 | store_get_le32(p);
}

/* Key of the mailboxes DB: user id BE64 followed by the name's bytes. */
size_t
store_mailbox_key(uint8_t *out, uint64_t user_id, const char *name)
{
	size_t len = strlen(name);

	store_put_be64(out, user_id);
	memcpy(out + 8, name, len);
	return 8 + len;
}

void
store_message_key(uint8_t out[12], uint64_t mailbox_id, uint32_t uid)
{
	store_put_be64(out, mailbox_id);
	store_put_be32(out + 8, uid);
}

void
store_mailbox_encode(const struct store_mailbox *mb,
    uint8_t out[STORE_MAILBOX_REC_LEN])
{
	memset(out, 0, STORE_MAILBOX_REC_LEN);
	out[0] = MAILBOX_LAYOUT;
	out[1] = (uint8_t)mb->special_use;
	store_put_le32(out + 4, mb->uidvalidity);
	store_put_le32(out + 8, mb->uidnext);
	store_put_le32(out + 12, mb->messages);
	store_put_le32(out + 16, mb->unseen);
	store_put_le32(out + 20, mb->recent);
	store_put_le64(out + 24, mb->id);
	store_put_le64(out + 32, mb->highestmodseq);
	store_put_le64(out + 40, mb->size);
}

/* Decode a mailboxes entry (key and value) into mb. */
int
store_mailbox_decode(const MDB_val *key, const MDB_val *val,
    struct store_mailbox *mb)
{
	const uint8_t *k = key->mv_data, *p = val->mv_data;
	size_t namelen;

	if (key->mv_size < 9 || key->mv_size > STORE_MAILBOX_KEY_MAX ||
	    val->mv_size != STORE_MAILBOX_REC_LEN || p[0] != MAILBOX_LAYOUT)
		return STORE_EIO;
	memset(mb, 0, sizeof(*mb));
	mb->user_id = store_get_be64(k);
	namelen = key->mv_size - 8;
	memcpy(mb->name, k + 8, namelen);
	mb->name[namelen] = '\0';
	mb->special_use = p[1];
	mb->uidvalidity = store_get_le32(p + 4);
	mb->uidnext = store_get_le32(p + 8);
	mb->messages = store_get_le32(p + 12);
	mb->unseen = store_get_le32(p + 16);
	mb->recent = store_get_le32(p + 20);
	mb->id = store_get_le64(p + 24);
	mb->highestmodseq = store_get_le64(p + 32);
	mb->size = store_get_le64(p + 40);
	return 0;
}

void
store_message_encode(const struct store_message *m,
    uint8_t out[STORE_MESSAGE_REC_LEN])
{
	memset(out, 0, STORE_MESSAGE_REC_LEN);
	out[0] = MESSAGE_LAYOUT;
	store_put_le32(out + 4, m->flags);
	store_put_le64(out + 8, m->blob_id);
	store_put_le64(out + 16, m->size);
	store_put_le64(out + 24, (uint64_t)m->internaldate);
	store_put_le64(out + 32, m->modseq);
	store_put_le64(out + 40, m->keywords);
}

/* Decode a messages entry; the uid comes from the key. */
int
store_message_decode(const MDB_val *key, const MDB_val *val,
    struct store_message *m)
{
	const uint8_t *p = val->mv_data;

	if (key->mv_size != 12 || val->mv_size != STORE_MESSAGE_REC_LEN ||
	    p[0] != MESSAGE_LAYOUT)
		return STORE_EIO;
	m->uid = store_get_be32((const uint8_t *)key->mv_data + 8);
	m->flags = store_get_le32(p + 4);
	m->blob_id = store_get_le64(p + 8);
	m->size = store_get_le64(p + 16);
	m->internaldate = (int64_t)store_get_le64(p + 24);
	m->modseq = store_get_le64(p + 32);
	m->keywords = store_get_le64(p + 40);
	return 0;
}

/* Encode a user record into out; returns its length or 0 when it does not fit. */
size_t
store_user_encode(uint64_t id, const char *hash, uint8_t *out, size_t outlen)
{
	size_t hlen = strlen(hash);

	if (hlen == 0 || hlen > STORE_HASH_MAX ||
	    outlen < STORE_USER_REC_MIN + hlen)
		return 0;
	memset(out, 0, STORE_USER_REC_MIN);
	out[0] = USER_LAYOUT;
	store_put_le64(out + 8, id);
	memcpy(out + STORE_USER_REC_MIN, hash, hlen);
	return STORE_USER_REC_MIN + hlen;
}

/* Decode a user record; hash (may be NULL) receives the NUL-terminated hash. */
int
store_user_decode(const MDB_val *val, uint64_t *id_r, char *hash,
    size_t hashlen)
{
	const uint8_t *p = val->mv_data;
	size_t hlen;

	if (val->mv_size <= STORE_USER_REC_MIN ||
	    val->mv_size > STORE_USER_REC_MIN + STORE_HASH_MAX ||
	    p[0] != USER_LAYOUT)
		return STORE_EIO;
	hlen = val->mv_size - STORE_USER_REC_MIN;
	if (id_r != NULL)
		*id_r = store_get_le64(p + 8);
	if (hash != NULL) {
		if (hlen >= hashlen)
			return STORE_EIO;
		memcpy(hash, p + STORE_USER_REC_MIN, hlen);
		hash[hlen] = '\0';
	}
	return 0;
}
