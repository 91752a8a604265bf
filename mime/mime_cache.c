/*
 * mime_cache.c: the per-blob cache: what FETCH asks for most (ENVELOPE,
 * BODY, BODYSTRUCTURE, the part offsets for BODY[section]) serialized once
 * at delivery, so FETCH never re-parses the message.
 *
 * Format (all integers little-endian):
 *   "PHMC" version:u8
 *   msg_len:u64 header_len:u64
 *   3 x (len:u32 bytes NUL)             envelope, body, bodystructure
 *   nparts:u32, then each part in pre-order:
 *     nchildren:u32 kind:u8 encoding:u8 has_content_type:u8
 *     hdr_off hdr_len body_off body_len body_lines: 5 x u64
 *     type, subtype, charset: 3 x (len:u16 bytes)   (charset len 0: none)
 *   checksum:u32 (FNV-1a of everything before it)
 *
 * The bytes come back from disk: the reader checks every length, offset
 * and count, and rejects (returns -1) rather than guesses. It never
 * interprets the strings beyond checking their terminating NUL.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

#define CACHE_MAGIC	"PHMC"
#define CACHE_STR16_MAX	0xffff

/* ---- writing ---- */

static void
put_u8(struct mime_buf *b, unsigned int v)
{
	mime_buf_addc(b, (char)(v & 0xff));
}

static void
put_uint(struct mime_buf *b, uint64_t v, int bytes)
{
	unsigned char tmp[8];
	int i;

	for (i = 0; i < bytes; i++)
		tmp[i] = (unsigned char)(v >> (8 * i));
	mime_buf_add(b, tmp, (size_t)bytes);
}

static void
put_str32(struct mime_buf *b, const char *s)
{
	size_t len = strlen(s);

	put_uint(b, len, 4);
	mime_buf_add(b, s, len + 1);
}

static void
put_str16(struct mime_buf *b, const char *s)
{
	size_t len = s == NULL ? 0 : strlen(s);

	if (len > CACHE_STR16_MAX)
		len = CACHE_STR16_MAX;
	put_uint(b, len, 2);
	mime_buf_add(b, s == NULL ? "" : s, len);
}

static uint32_t
fnv1a(const unsigned char *p, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static void
put_parts(struct mime_buf *b, const struct mime_part *root)
{
	const struct mime_part *p = root;

	/* pre-order without recursion: down to children, then next/up */
	while (p != NULL) {
		put_uint(b, p->nchildren, 4);
		put_u8(b, p->kind);
		put_u8(b, p->encoding);
		put_u8(b, p->has_content_type ? 1 : 0);
		put_uint(b, p->hdr_off, 8);
		put_uint(b, p->hdr_len, 8);
		put_uint(b, p->body_off, 8);
		put_uint(b, p->body_len, 8);
		put_uint(b, p->body_lines, 8);
		put_str16(b, p->type);
		put_str16(b, p->subtype);
		put_str16(b, mime_param_get(p->params, p->nparams, "charset"));
		if (p->children != NULL) {
			p = p->children;
			continue;
		}
		while (p != NULL && p != root && p->next == NULL)
			p = p->parent;
		p = (p == NULL || p == root) ? NULL : p->next;
	}
}

static unsigned int
count_parts(const struct mime_part *p)
{
	unsigned int n = 0;

	for (; p != NULL; p = p->next)
		n += 1 + count_parts(p->children);
	return n;
}

int
mime_cache_build(const char *msg, size_t len, char **cache_r,
    size_t *cache_len_r)
{
	struct mime_part *root;
	struct mime_buf b;
	char *s;

	if (mime_parse(msg, len, &root) < 0)
		return -1;
	mime_buf_init(&b);
	mime_buf_add(&b, CACHE_MAGIC, 4);
	put_u8(&b, MIME_CACHE_VERSION);
	put_uint(&b, len, 8);
	put_uint(&b, root->hdr_len, 8);
	s = mime_envelope(root, msg);
	put_str32(&b, s);
	free(s);
	s = mime_bodystructure(root, msg, 0);
	put_str32(&b, s);
	free(s);
	s = mime_bodystructure(root, msg, 1);
	put_str32(&b, s);
	free(s);
	put_uint(&b, count_parts(root), 4);
	put_parts(&b, root);
	put_uint(&b, fnv1a((const unsigned char *)b.data, b.len), 4);
	mime_free(&root);
	*cache_len_r = b.len;
	*cache_r = mime_buf_steal(&b);
	return 0;
}

/* ---- reading ---- */

struct reader {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

static uint64_t
get_uint(struct reader *r, int bytes)
{
	uint64_t v = 0;
	int i;

	if (r->bad || r->left < (size_t)bytes) {
		r->bad = 1;
		return 0;
	}
	for (i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += bytes;
	r->left -= (size_t)bytes;
	return v;
}

/* A length-prefixed NUL-terminated string, pointing into the cache. */
static const char *
get_str32(struct reader *r)
{
	uint64_t len = get_uint(r, 4);
	const char *s;

	if (r->bad || len >= r->left || r->p[len] != '\0') {
		r->bad = 1;
		return NULL;
	}
	s = (const char *)r->p;
	r->p += len + 1;
	r->left -= len + 1;
	return s;
}

/* A u16-prefixed string copied out (NULL when empty and nullable). */
static char *
get_str16(struct reader *r, int nullable)
{
	uint64_t len = get_uint(r, 2);
	char *s;

	if (r->bad || len > r->left) {
		r->bad = 1;
		return NULL;
	}
	if (len == 0 && nullable)
		return NULL;
	s = xstrndup((const char *)r->p, len);
	r->p += len;
	r->left -= len;
	return s;
}

static int
range_ok(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

static int
read_part(struct reader *r, struct mime_part *p, uint64_t msg_len,
    uint32_t *nchildren_r)
{
	char *charset;
	uint64_t v[5];
	unsigned int kind, enc, i;

	*nchildren_r = (uint32_t)get_uint(r, 4);
	kind = (unsigned int)get_uint(r, 1);
	enc = (unsigned int)get_uint(r, 1);
	p->has_content_type = (int)get_uint(r, 1);
	for (i = 0; i < 5; i++)
		v[i] = get_uint(r, 8);
	p->type = get_str16(r, 0);
	p->subtype = get_str16(r, 0);
	charset = get_str16(r, 1);
	if (charset != NULL) {
		p->params = xcalloc(1, sizeof(*p->params));
		p->params[0].name = xstrdup("charset");
		p->params[0].value = charset;
		p->nparams = 1;
	}
	if (r->bad || kind > MIME_KIND_MESSAGE || enc > MIME_ENC_UNKNOWN ||
	    !range_ok(v[0], v[1], msg_len) || !range_ok(v[2], v[3], msg_len) ||
	    v[4] > v[3] || v[0] + v[1] > v[2])
		return -1;
	p->kind = (enum mime_kind)kind;
	p->encoding = (enum mime_encoding)enc;
	p->hdr_off = (size_t)v[0];
	p->hdr_len = (size_t)v[1];
	p->body_off = (size_t)v[2];
	p->body_len = (size_t)v[3];
	p->body_lines = (size_t)v[4];
	/* the shape the parser guarantees */
	if ((p->kind == MIME_KIND_MESSAGE && *nchildren_r != 1) ||
	    ((p->kind == MIME_KIND_BASIC || p->kind == MIME_KIND_TEXT) &&
	    *nchildren_r != 0) || *nchildren_r > MIME_MAX_PARTS)
		return -1;
	return 0;
}

/*
 * Rebuild the tree from the pre-order list: a stack of parents still
 * waiting for children (bounded by MIME_MAX_DEPTH).
 */
static struct mime_part *
read_parts(struct reader *r, uint64_t msg_len)
{
	struct {
		struct mime_part *part;
		struct mime_part *last;
		uint32_t	  missing;
	} stack[MIME_MAX_DEPTH + 2];
	unsigned int depth = 0;
	uint64_t nparts = get_uint(r, 4), i;
	struct mime_part *root = NULL, *p;
	uint32_t nch;

	if (r->bad || nparts == 0 || nparts > MIME_MAX_PARTS)
		return NULL;
	for (i = 0; i < nparts; i++) {
		p = xcalloc(1, sizeof(*p));
		if (root == NULL)
			root = p;
		else {
			/* attach to the innermost parent still missing one */
			while (depth > 0 && stack[depth - 1].missing == 0)
				depth--;
			if (depth == 0) {
				mime_free(&p);
				goto bad;
			}
			p->parent = stack[depth - 1].part;
			p->depth = p->parent->depth + 1;
			if (stack[depth - 1].last == NULL)
				p->parent->children = p;
			else
				stack[depth - 1].last->next = p;
			stack[depth - 1].last = p;
			p->parent->nchildren++;
			stack[depth - 1].missing--;
		}
		/* p is linked into root now: freed with it on failure */
		if (p->depth > MIME_MAX_DEPTH ||
		    read_part(r, p, msg_len, &nch) < 0)
			goto bad;
		if (nch > 0) {
			stack[depth].part = p;
			stack[depth].last = NULL;
			stack[depth].missing = nch;
			depth++;
		}
	}
	while (depth > 0 && stack[depth - 1].missing == 0)
		depth--;
	if (depth != 0)
		goto bad;
	return root;
bad:
	mime_free(&root);
	return NULL;
}

int
mime_cache_open(const char *cache, size_t len, struct mime_cache_view *v)
{
	struct reader r;

	memset(v, 0, sizeof(*v));
	if (cache == NULL || len < 4 + 1 + 4 ||
	    memcmp(cache, CACHE_MAGIC, 4) != 0 ||
	    (unsigned char)cache[4] != MIME_CACHE_VERSION)
		return -1;
	if (fnv1a((const unsigned char *)cache, len - 4) !=
	    (uint32_t)((unsigned char)cache[len - 4] |
	    (unsigned char)cache[len - 3] << 8 |
	    (unsigned char)cache[len - 2] << 16 |
	    (uint32_t)(unsigned char)cache[len - 1] << 24))
		return -1;
	r.p = (const unsigned char *)cache + 5;
	r.left = len - 5 - 4;
	r.bad = 0;
	v->msg_len = get_uint(&r, 8);
	v->header_len = get_uint(&r, 8);
	v->envelope = get_str32(&r);
	v->body = get_str32(&r);
	v->bodystructure = get_str32(&r);
	if (r.bad || v->header_len > v->msg_len)
		goto bad;
	v->root = read_parts(&r, v->msg_len);
	if (v->root == NULL || r.bad || r.left != 0)
		goto bad;
	return 0;
bad:
	mime_cache_close(v);
	return -1;
}

void
mime_cache_close(struct mime_cache_view *v)
{
	mime_free(&v->root);
	memset(v, 0, sizeof(*v));
}
