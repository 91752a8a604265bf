/*
 * mime_imapstr.c: the growable buffer every mime/ renderer writes into,
 * and IMAP string rendering (quoted / literal / NIL, RFC 3501 4.3).
 *
 * Does not decide *what* to send (UTF8=ACCEPT, literal8): strings holding
 * 8-bit bytes always become plain literals, valid in every session.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "mime.h"
#include "mime_internal.h"

void
mime_buf_init(struct mime_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->size = 0;
}

static void
mime_buf_reserve(struct mime_buf *b, size_t n)
{
	size_t want;

	if (n > SIZE_MAX - b->len - 1)
		fatalx("mime_buf: size overflow");
	want = b->len + n + 1;
	if (want <= b->size)
		return;
	if (b->size == 0)
		b->size = 64;
	while (b->size < want) {
		if (b->size > SIZE_MAX / 2) {
			b->size = want;
			break;
		}
		b->size *= 2;
	}
	b->data = xrealloc(b->data, b->size);
}

void
mime_buf_add(struct mime_buf *b, const void *p, size_t n)
{
	mime_buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
mime_buf_adds(struct mime_buf *b, const char *s)
{
	mime_buf_add(b, s, strlen(s));
}

void
mime_buf_addc(struct mime_buf *b, char c)
{
	mime_buf_add(b, &c, 1);
}

void
mime_buf_addf(struct mime_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	mime_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
mime_buf_steal(struct mime_buf *b)
{
	char *s = b->data;

	if (s == NULL)
		s = xstrdup("");
	mime_buf_init(b);
	return s;
}

void
mime_buf_free(struct mime_buf *b)
{
	free(b->data);
	mime_buf_init(b);
}

/* RFC 3501 9: a quoted string holds TEXT-CHARs (7-bit, no CR/LF). */
static int
imap_quotable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n' || c >= 0x80)
			return 0;
	}
	return 1;
}

void
mime_imap_string(struct mime_buf *b, const char *s, size_t len)
{
	size_t i, n;

	if (imap_quotable(s, len)) {
		mime_buf_reserve(b, len + 2);
		mime_buf_addc(b, '"');
		for (i = 0; i < len; i++) {
			size_t run = 0;

			/* copy plain runs at once */
			while (i + run < len && s[i + run] != '\0' &&
			    s[i + run] != '"' && s[i + run] != '\\')
				run++;
			mime_buf_add(b, s + i, run);
			i += run;
			if (i == len)
				break;
			if (s[i] == '\0')
				continue;
			mime_buf_addc(b, '\\');
			mime_buf_addc(b, s[i]);
		}
		mime_buf_addc(b, '"');
		return;
	}
	for (n = 0, i = 0; i < len; i++)
		n += s[i] != '\0';
	mime_buf_addf(b, "{%zu}\r\n", n);
	for (i = 0; i < len; i++) {
		size_t run = 0;

		while (i + run < len && s[i + run] != '\0')
			run++;
		mime_buf_add(b, s + i, run);
		i += run;
	}
}

void
mime_imap_nstring(struct mime_buf *b, const char *s, size_t len)
{
	if (s == NULL)
		mime_buf_adds(b, "NIL");
	else
		mime_imap_string(b, s, len);
}

void
mime_imap_nstr(struct mime_buf *b, const char *s)
{
	mime_imap_nstring(b, s, s == NULL ? 0 : strlen(s));
}

int
mime_strcaseeq(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (mime_tolower((unsigned char)*a) !=
		    mime_tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
	return *a == *b;
}
