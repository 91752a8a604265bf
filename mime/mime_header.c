/*
 * mime_header.c: RFC 5322 2.2 header fields: iteration over a header
 * block (folded lines kept together), lookup by name, unfolding, and the
 * HEADER.FIELDS[.NOT] filter of RFC 3501 6.4.5.
 *
 * Works on raw bytes: no decoding here (mime_charset.c decodes RFC 2047
 * words). Lines may end in CRLF or bare LF; a field name is printable
 * ASCII without ':' (obsolete whitespace before the colon is tolerated,
 * RFC 5322 4.5.8); other lines are skipped, never fatal.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

size_t
mime_line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl == NULL ? (size_t)(end - p) : (size_t)(nl - p) + 1;
}

int
mime_name_eq(const char *name, size_t len, const char *want)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (want[i] == '\0' || mime_tolower((unsigned char)name[i]) !=
		    mime_tolower((unsigned char)want[i]))
			return 0;
	}
	return want[len] == '\0';
}

void
mime_header_iter_init(struct mime_header_iter *it, const char *hdr,
    size_t hdrlen)
{
	it->pos = hdr;
	it->end = hdr + hdrlen;
}

static int
is_blank_line(const char *p, size_t len)
{
	return (len == 1 && p[0] == '\n') ||
	    (len == 2 && p[0] == '\r' && p[1] == '\n') ||
	    (len == 1 && p[0] == '\r');
}

/* Length of the field name at p (before ':'), or 0 when not a field. */
static size_t
field_name_len(const char *p, size_t linelen, size_t *colon_r)
{
	size_t i, n;

	for (i = 0; i < linelen; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ':')
			break;
		if (c < 33 || c > 126) {
			if (c != ' ' && c != '\t')
				return 0;
		}
	}
	if (i == linelen || i == 0)
		return 0;
	*colon_r = i;
	n = i;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	/* whitespace inside a name ("From a@b Mon..." mbox line) is not a field */
	if (memchr(p, ' ', n) != NULL || memchr(p, '\t', n) != NULL)
		return 0;
	return n;
}

int
mime_header_next(struct mime_header_iter *it, struct mime_header_field *f)
{
	while (it->pos < it->end) {
		const char *start = it->pos;
		size_t len = mime_line_len(start, it->end);
		size_t colon = 0, namelen;
		const char *v, *vend;

		if (is_blank_line(start, len)) {
			it->pos = it->end;
			return 0;
		}
		/* the field runs over its continuation lines */
		it->pos += len;
		while (it->pos < it->end &&
		    (*it->pos == ' ' || *it->pos == '\t'))
			it->pos += mime_line_len(it->pos, it->end);
		if (*start == ' ' || *start == '\t')
			continue;	/* continuation of nothing */
		namelen = field_name_len(start, len, &colon);
		if (namelen == 0)
			continue;
		f->name = start;
		f->name_len = namelen;
		f->line = start;
		f->line_len = (size_t)(it->pos - start);
		v = start + colon + 1;
		vend = it->pos;
		if (vend > v && vend[-1] == '\n')
			vend--;
		if (vend > v && vend[-1] == '\r')
			vend--;
		while (v < vend && (*v == ' ' || *v == '\t'))
			v++;
		f->value = v;
		f->value_len = (size_t)(vend - v);
		return 1;
	}
	return 0;
}

int
mime_header_get(const char *hdr, size_t hdrlen, const char *name,
    struct mime_header_field *f)
{
	struct mime_header_iter it;

	mime_header_iter_init(&it, hdr, hdrlen);
	while (mime_header_next(&it, f)) {
		if (mime_name_eq(f->name, f->name_len, name))
			return 1;
	}
	return 0;
}

char *
mime_header_unfold_max(const char *value, size_t len, size_t max)
{
	struct mime_buf b;
	size_t i;

	mime_buf_init(&b);
	mime_buf_add(&b, "", 0);
	for (i = 0; i < len && b.len < max; i++) {
		if (value[i] == '\r' || value[i] == '\n')
			continue;
		if (b.len == 0 && (value[i] == ' ' || value[i] == '\t'))
			continue;
		mime_buf_addc(&b, value[i]);
	}
	while (b.len > 0 && (b.data[b.len - 1] == ' ' ||
	    b.data[b.len - 1] == '\t'))
		b.data[--b.len] = '\0';
	return mime_buf_steal(&b);
}

char *
mime_header_unfold(const char *value, size_t len)
{
	return mime_header_unfold_max(value, len, SIZE_MAX);
}

static int
field_listed(const struct mime_header_field *f, const char *const *fields,
    size_t nfields)
{
	size_t i;

	for (i = 0; i < nfields; i++) {
		if (mime_name_eq(f->name, f->name_len, fields[i]))
			return 1;
	}
	return 0;
}

char *
mime_header_fields(const char *hdr, size_t hdrlen,
    const char *const *fields, size_t nfields, int not, size_t *len_r)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	struct mime_buf b;

	mime_buf_init(&b);
	mime_header_iter_init(&it, hdr, hdrlen);
	while (mime_header_next(&it, &f)) {
		if (field_listed(&f, fields, nfields) != !not)
			continue;
		mime_buf_add(&b, f.line, f.line_len);
		/* a last line without its line end (header-only message) */
		if (f.line[f.line_len - 1] != '\n')
			mime_buf_adds(&b, "\r\n");
	}
	mime_buf_adds(&b, "\r\n");
	*len_r = b.len;
	return mime_buf_steal(&b);
}
