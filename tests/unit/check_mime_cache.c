/*
 * check_mime_cache.c: the per-blob cache: round trip for every corpus
 * message (renderings, offsets, sections, BINARY from the cached tree),
 * and rejection of damaged caches: every single-byte flip, every
 * truncation, other versions, and inconsistent contents with a valid
 * checksum (crafted fields and random mutations), none of which may
 * crash the reader.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "check_mime_util.h"

static const char *const specs[] = {
	"", "HEADER", "TEXT", "1", "1.MIME", "2", "2.HEADER", "2.TEXT", "2.1",
	"2.2", "3", "3.1", "3.2.MIME", "1.1", "1.2", "4",
};

static void
compare_trees(const struct mime_part *a, const struct mime_part *b)
{
	for (; a != NULL; a = a->next, b = b->next) {
		ck_assert_ptr_nonnull(b);
		ck_assert_int_eq(a->kind, b->kind);
		ck_assert_int_eq(a->encoding, b->encoding);
		ck_assert_uint_eq(a->hdr_off, b->hdr_off);
		ck_assert_uint_eq(a->hdr_len, b->hdr_len);
		ck_assert_uint_eq(a->body_off, b->body_off);
		ck_assert_uint_eq(a->body_len, b->body_len);
		ck_assert_uint_eq(a->body_lines, b->body_lines);
		ck_assert_uint_eq(a->nchildren, b->nchildren);
		ck_assert_uint_eq(a->depth, b->depth);
		ck_assert_str_eq(a->type, b->type);
		ck_assert_str_eq(a->subtype, b->subtype);
		if (mime_param_get(a->params, a->nparams, "charset") == NULL)
			ck_assert_uint_eq(b->nparams, 0);
		else
			ck_assert_str_eq(mime_param_get(a->params, a->nparams,
			    "charset"), mime_param_get(b->params, b->nparams,
			    "charset"));
		compare_trees(a->children, b->children);
	}
	ck_assert_ptr_null(b);
}

START_TEST(test_round_trip)
{
	size_t len, clen, i;
	char *msg = corpus_load(corpus_files[_i], &len), *cache, *s;
	struct mime_part *root = parse_str(msg, len);
	struct mime_cache_view v;

	ck_assert_int_eq(mime_cache_build(msg, len, &cache, &clen), 0);
	ck_assert_int_eq(cache[4], MIME_CACHE_VERSION);
	ck_assert_int_eq(mime_cache_open(cache, clen, &v), 0);
	ck_assert_uint_eq(v.msg_len, len);
	ck_assert_uint_eq(v.header_len, root->hdr_len);
	s = mime_envelope(root, msg);
	ck_assert_str_eq(v.envelope, s);
	free(s);
	s = mime_bodystructure(root, msg, 0);
	ck_assert_str_eq(v.body, s);
	free(s);
	s = mime_bodystructure(root, msg, 1);
	ck_assert_str_eq(v.bodystructure, s);
	free(s);
	compare_trees(root, v.root);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		size_t o1 = 0, l1 = 0, o2 = 0, l2 = 0;
		int r1 = mime_section_find(root, specs[i], &o1, &l1, NULL);
		int r2 = mime_section_find(v.root, specs[i], &o2, &l2, NULL);

		ck_assert_int_eq(r1, r2);
		ck_assert_uint_eq(o1, o2);
		ck_assert_uint_eq(l1, l2);
	}
	mime_cache_close(&v);
	ck_assert_ptr_null(v.root);
	mime_cache_close(&v);			/* twice is harmless */
	free(cache);
	mime_free(&root);
	free(msg);
}
END_TEST

START_TEST(test_binary_from_cache)
{
	size_t len, clen, n;
	char *msg = corpus_load("qp_latin1.eml", &len), *cache, *out, *text;
	struct mime_cache_view v;

	ck_assert_int_eq(mime_cache_build(msg, len, &cache, &clen), 0);
	ck_assert_int_eq(mime_cache_open(cache, clen, &v), 0);
	ck_assert_int_eq(mime_decode_part(mime_part_find(v.root, "1"), msg,
	    &out, &n), 0);
	text = mime_charset_to_utf8(mime_param_get(v.root->params,
	    v.root->nparams, "charset"), out, n, &n);
	ck_assert_ptr_nonnull(strstr(text, "r\xc3\xa9sum\xc3\xa9"));
	free(text);
	free(out);
	mime_cache_close(&v);
	free(cache);
	free(msg);
}
END_TEST

static char *
build(const char *file, size_t *clen)
{
	size_t len;
	char *msg = corpus_load(file, &len), *cache;

	ck_assert_int_eq(mime_cache_build(msg, len, &cache, clen), 0);
	free(msg);
	return cache;
}

START_TEST(test_every_flip_rejected)
{
	size_t clen, i;
	char *cache = build("nested.eml", &clen);
	struct mime_cache_view v;

	for (i = 0; i < clen; i++) {
		cache[i] ^= 0x5a;
		ck_assert_int_eq(mime_cache_open(cache, clen, &v), -1);
		ck_assert_ptr_null(v.root);
		cache[i] ^= 0x5a;
	}
	ck_assert_int_eq(mime_cache_open(cache, clen, &v), 0);
	mime_cache_close(&v);
	free(cache);
}
END_TEST

START_TEST(test_every_truncation_rejected)
{
	size_t clen, i;
	char *cache = build("dovecot.eml", &clen), *copy;
	struct mime_cache_view v;

	for (i = 0; i < clen; i++) {
		/* a fresh allocation of exactly i bytes: valgrind/ASan see
		 * any read past the end */
		copy = xmalloc(i + 1);
		memcpy(copy, cache, i);
		ck_assert_int_eq(mime_cache_open(i == 0 ? NULL : copy, i, &v), -1);
		free(copy);
	}
	free(cache);
}
END_TEST

START_TEST(test_versions)
{
	size_t clen;
	char *cache = build("plain.eml", &clen);
	struct mime_cache_view v;

	cache[4] = MIME_CACHE_VERSION + 1;
	ck_assert_int_eq(mime_cache_open(cache, clen, &v), -1);
	cache[4] = 0;
	ck_assert_int_eq(mime_cache_open(cache, clen, &v), -1);
	ck_assert_int_eq(mime_cache_open("PHMC", 4, &v), -1);
	ck_assert_int_eq(mime_cache_open("", 0, &v), -1);
	free(cache);
}
END_TEST

/* FNV-1a, as the writer computes it, to craft consistent-looking caches. */
static void
reseal(char *c, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len - 4; i++) {
		h ^= (unsigned char)c[i];
		h *= 16777619u;
	}
	for (i = 0; i < 4; i++)
		c[len - 4 + i] = (char)(h >> (8 * i));
}

static void
put_le(char *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (char)(v >> (8 * i));
}

static uint32_t
get_le32(const char *p)
{
	return (uint32_t)(unsigned char)p[0] | (uint32_t)(unsigned char)p[1] << 8 |
	    (uint32_t)(unsigned char)p[2] << 16 | (uint32_t)(unsigned char)p[3] << 24;
}

/* Offset of the part list (nparts field) in a cache. */
static size_t
parts_offset(const char *c)
{
	size_t off = 4 + 1 + 8 + 8;
	int i;

	for (i = 0; i < 3; i++)
		off += 4 + get_le32(c + off) + 1;
	return off;
}

enum craft {
	CRAFT_HEADER_LEN, CRAFT_MSG_LEN, CRAFT_ENV_LEN, CRAFT_NO_NUL,
	CRAFT_NPARTS_0, CRAFT_NPARTS_MORE, CRAFT_NPARTS_HUGE, CRAFT_KIND,
	CRAFT_ENCODING, CRAFT_ROOT_CHILDREN, CRAFT_HDR_OFF, CRAFT_LINES,
	CRAFT_TYPE_LEN, CRAFT_TRAILING, CRAFT_COUNT
};

START_TEST(test_crafted_rejected)
{
	size_t clen, p, len;
	char *cache = build("nested.eml", &clen), *c;
	struct mime_cache_view v;

	len = clen + (_i == CRAFT_TRAILING ? 1 : 0);
	c = xcalloc(1, len);
	memcpy(c, cache, clen);
	if (_i == CRAFT_TRAILING)
		memcpy(c + clen - 4 + 1, cache + clen - 4, 4);
	p = parts_offset(c);
	switch (_i) {
	case CRAFT_HEADER_LEN:	put_le(c + 13, UINT64_MAX, 8); break;
	case CRAFT_MSG_LEN:	put_le(c + 5, 10, 8); break;
	case CRAFT_ENV_LEN:	put_le(c + 21, 0xfffffff0u, 4); break;
	case CRAFT_NO_NUL:	c[21 + 4 + get_le32(c + 21)] = 'x'; break;
	case CRAFT_NPARTS_0:	put_le(c + p, 0, 4); break;
	case CRAFT_NPARTS_MORE:	put_le(c + p, get_le32(c + p) + 1, 4); break;
	case CRAFT_NPARTS_HUGE:	put_le(c + p, 0xffffffffu, 4); break;
	case CRAFT_KIND:	c[p + 4 + 4] = 9; break;
	case CRAFT_ENCODING:	c[p + 4 + 5] = 99; break;
	case CRAFT_ROOT_CHILDREN: put_le(c + p + 4, 1, 4); break;
	case CRAFT_HDR_OFF:	put_le(c + p + 4 + 7, UINT64_MAX - 1, 8); break;
	case CRAFT_LINES:	put_le(c + p + 4 + 7 + 32, UINT64_MAX, 8); break;
	case CRAFT_TYPE_LEN:	put_le(c + p + 4 + 7 + 40, 0xffff, 2); break;
	case CRAFT_TRAILING:	break;
	}
	reseal(c, len);
	ck_assert_int_eq(mime_cache_open(c, len, &v), -1);
	ck_assert_ptr_null(v.root);
	free(c);
	free(cache);
}
END_TEST

static void
check_view(const struct mime_part *p, uint64_t msg_len, unsigned int depth)
{
	ck_assert_uint_le(depth, MIME_MAX_DEPTH);
	for (; p != NULL; p = p->next) {
		ck_assert_uint_le(p->hdr_off + p->hdr_len, msg_len);
		ck_assert_uint_le(p->body_off + p->body_len, msg_len);
		check_view(p->children, msg_len, depth + 1);
	}
}

/* Random damage with a valid checksum: never a crash; accepted views
 * stay within the message. */
START_TEST(test_random_mutations)
{
	size_t clen, i, k;
	char *cache = build("nested.eml", &clen), *c;
	struct mime_cache_view v;
	unsigned int seed = 12345, accepted = 0;

	c = xmalloc(clen);
	for (i = 0; i < 3000; i++) {
		memcpy(c, cache, clen);
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			c[5 + (seed >> 8) % (clen - 9)] = (char)(seed >> 3);
		}
		reseal(c, clen);
		if (mime_cache_open(c, clen, &v) == 0) {
			accepted++;
			check_view(v.root, v.msg_len, 0);
			mime_cache_close(&v);
		}
	}
	(void)accepted;
	free(c);
	free(cache);
}
END_TEST

TCase *
mime_tcase_cache(void)
{
	TCase *tc = tcase_create("cache");
	size_t n = 0;

	while (corpus_files[n] != NULL)
		n++;
	tcase_add_loop_test(tc, test_round_trip, 0, (int)n);
	tcase_add_test(tc, test_binary_from_cache);
	tcase_add_test(tc, test_every_flip_rejected);
	tcase_add_test(tc, test_every_truncation_rejected);
	tcase_add_test(tc, test_versions);
	tcase_add_loop_test(tc, test_crafted_rejected, 0, CRAFT_COUNT);
	tcase_add_test(tc, test_random_mutations);
	return tc;
}
