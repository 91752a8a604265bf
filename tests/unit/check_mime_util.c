/*
 * check_mime_util.c: corpus loading and CRLF helpers for the mime tests.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "check_mime_util.h"

const char *const corpus_files[] = {
	"dovecot.eml", "rfc3501.eml", "nested.eml", "missing_boundary.eml",
	"lookalike.eml", "malformed.eml", "plain.eml", "8bit_headers.eml",
	"encoded_words.eml", "rfc2231.eml", "empty_body.eml",
	"header_only.eml", "bare_lf.lf.eml", "digest.eml", "groups.eml",
	"qp_latin1.eml", "base64_utf8.eml", "rfc822_base64.eml",
	"multipart_noboundary.eml", "multipart_empty.eml", NULL
};

char *
crlf(const char *s, size_t *len_r)
{
	size_t n = strlen(s), i, o = 0;
	char *out = xmalloc(2 * n + 1);

	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = s[i];
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

char *
corpus_load(const char *name, size_t *len_r)
{
	char path[1024], *raw, *out;
	size_t n, len;
	FILE *f;

	ck_assert_int_eq(str_format(path, sizeof(path), "%s/%s",
	    MIME_CORPUS_DIR, name), 0);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = (size_t)ftell(f);
	rewind(f);
	raw = xmalloc(len + 1);
	n = fread(raw, 1, len, f);
	fclose(f);
	ck_assert_uint_eq(n, len);
	raw[len] = '\0';
	n = strlen(name);
	if (n > 7 && strcmp(name + n - 7, ".lf.eml") == 0) {
		*len_r = len;
		return raw;
	}
	out = crlf(raw, len_r);
	free(raw);
	return out;
}

struct mime_part *
parse_str(const char *s, size_t len)
{
	struct mime_part *root = NULL;

	ck_assert_int_eq(mime_parse(s, len, &root), 0);
	ck_assert_ptr_nonnull(root);
	return root;
}
