/*
 * fuzz_mime.c: libFuzzer target for mime/: the input is a message. It
 * goes through mime_parse, the ENVELOPE/BODY/BODYSTRUCTURE renderings,
 * every section form of the first parts, BINARY decoding, SEARCH on
 * decoded text (RFC 2047, charsets, folding), date parsing, and the cache
 * round trip; the input is also fed to mime_cache_open as if it were a
 * cache read from disk. Invariants checked (abort on violation): offsets
 * inside the message, a rebuilt cache reproduces the renderings, rendered
 * strings have balanced parentheses outside strings and literals.
 *
 * Seeds: tests/fuzz/corpus/fuzz_mime/ (copies of tests/unit/mime_corpus/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const specs[] = {
	"", "HEADER", "TEXT", "HEADER.FIELDS", "1", "1.MIME", "1.HEADER",
	"1.TEXT", "2", "2.1", "2.2.MIME", "1.1.1", "3.2.HEADER.FIELDS.NOT",
};

/* Skip an IMAP quoted string or literal at s[i]; returns the next index. */
static size_t
skip_string(const char *s, size_t len, size_t i)
{
	if (s[i] == '"') {
		for (i++; i < len && s[i] != '"'; i++) {
			if (s[i] == '\\')
				i++;
		}
		if (i >= len)
			abort();
		return i + 1;
	}
	if (s[i] == '{') {
		size_t n = 0;

		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n = n * 10 + (size_t)(s[i] - '0');
		if (i + 3 > len || s[i] != '}' || s[i + 1] != '\r' ||
		    s[i + 2] != '\n' || n > len - i - 3)
			abort();
		return i + 3 + n;
	}
	return i + 1;
}

static void
check_balanced(const char *s)
{
	size_t len = strlen(s), i = 0;
	long depth = 0;

	while (i < len) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth < 0)
			abort();
		i = skip_string(s, len, i);
	}
	if (depth != 0)
		abort();
}

static void
check_tree(const struct mime_part *p, size_t len)
{
	for (; p != NULL; p = p->next) {
		if (p->hdr_off + p->hdr_len > p->body_off ||
		    p->body_off + p->body_len > len ||
		    p->depth > MIME_MAX_DEPTH || p->type == NULL ||
		    p->subtype == NULL)
			abort();
		check_tree(p->children, len);
	}
}

static void
fuzz_sections(const struct mime_part *root, const char *msg, size_t len)
{
	size_t i, off, slen, n;
	char *out;
	const struct mime_part *p;
	static const char *const fields[] = { "subject", "from", "x" };

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (mime_section_find(root, specs[i], &off, &slen, NULL) != 0)
			continue;
		if (off + slen > len)
			abort();
		out = mime_header_fields(msg + off, slen, fields, 3, (int)(i & 1),
		    &n);
		/* raw lines may hold NULs; the blank line always ends it */
		if (n < 2 || out[n - 2] != '\r' || out[n - 1] != '\n' ||
		    out[n] != '\0')
			abort();
		free(out);
		p = mime_part_find(root, specs[i]);
		if (p != NULL && mime_decode_part(p, msg, &out, &n) == 0) {
			if (n > p->body_len)
				abort();
			free(out);
		}
	}
}

static void
fuzz_cache(const struct mime_part *root, const char *msg, size_t len,
    const char *env, const char *bs)
{
	struct mime_cache_view v;
	char *cache;
	size_t clen;

	if (mime_cache_build(msg, len, &cache, &clen) != 0)
		abort();
	if (mime_cache_open(cache, clen, &v) != 0 || v.msg_len != len ||
	    v.header_len != root->hdr_len || strcmp(v.envelope, env) != 0 ||
	    strcmp(v.bodystructure, bs) != 0)
		abort();
	check_tree(v.root, len);
	mime_cache_close(&v);
	free(cache);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct mime_part *root;
	struct mime_cache_view v;
	char *env, *body, *bs, *dec, needle[8];
	int64_t t;
	int tz;

	if (mime_parse(msg, size, &root) != 0)
		abort();
	check_tree(root, size);
	env = mime_envelope(root, msg);
	body = mime_bodystructure(root, msg, 0);
	bs = mime_bodystructure(root, msg, 1);
	check_balanced(env);
	check_balanced(body);
	check_balanced(bs);
	fuzz_sections(root, msg, size);
	/* a needle from the input's last bytes */
	memset(needle, 0, sizeof(needle));
	memcpy(needle, msg + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size);
	(void)mime_search_text(msg, size, root, MIME_SEARCH_TEXT, needle);
	(void)mime_search_header(msg, root->hdr_len, "subject", needle);
	dec = mime_decode_header_value(msg, size < 4096 ? size : 4096);
	free(dec);
	(void)mime_parse_date(msg, size < 256 ? size : 256, &t, &tz);
	fuzz_cache(root, msg, size, env, bs);
	/* the input as a cache from disk */
	if (mime_cache_open(msg, size, &v) == 0) {
		check_tree(v.root, v.msg_len);
		mime_cache_close(&v);
	}
	free(env);
	free(body);
	free(bs);
	mime_free(&root);
	return 0;
}
