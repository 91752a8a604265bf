/*
 * mime_charset.c: text to UTF-8: charset conversion with iconv, UTF-8
 * validation, RFC 2047 encoded words in header values and RFC 2231
 * charset'lang'%XX parameter values.
 *
 * Never fails: unknown charsets are read as UTF-8, invalid bytes become
 * U+FFFD. iso-8859-1 is read as its superset windows-1252 (what senders
 * mean, and what browsers do). iconv descriptors are opened per call, so
 * this is thread-safe without shared state.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */
#define CHARSET_MAX	64

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t
utf8_seq_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void
mime_utf8_sanitize(struct mime_buf *out, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, run = 0, n;

	while (i + run < len) {
		n = utf8_seq_len(s + i + run, len - i - run);
		if (n > 0) {
			run += n;
			continue;
		}
		mime_buf_add(out, in + i, run);
		mime_buf_adds(out, REPLACEMENT);
		i += run + 1;
		run = 0;
	}
	mime_buf_add(out, in + i, run);
}

/* Charsets that need no iconv: ASCII is a subset of UTF-8. */
static int
charset_is_utf8(const char *cs)
{
	return cs == NULL || cs[0] == '\0' || mime_strcaseeq(cs, "utf-8") ||
	    mime_strcaseeq(cs, "utf8") || mime_strcaseeq(cs, "us-ascii") ||
	    mime_strcaseeq(cs, "ascii") || mime_strcaseeq(cs, "ansi_x3.4-1968");
}

static iconv_t
charset_open(const char *cs)
{
	if (mime_strcaseeq(cs, "iso-8859-1") || mime_strcaseeq(cs, "latin1") ||
	    mime_strcaseeq(cs, "iso_8859-1") || mime_strcaseeq(cs, "l1"))
		cs = "WINDOWS-1252";
	return iconv_open("UTF-8", cs);
}

static void
convert(struct mime_buf *out, iconv_t cd, const char *in, size_t len)
{
	char buf[4096];
	char *ip = (char *)(uintptr_t)in, *op;
	size_t ileft = len, oleft;

	while (ileft > 0) {
		op = buf;
		oleft = sizeof(buf);
		if (iconv(cd, &ip, &ileft, &op, &oleft) != (size_t)-1) {
			mime_buf_add(out, buf, sizeof(buf) - oleft);
			continue;
		}
		mime_buf_add(out, buf, sizeof(buf) - oleft);
		if (errno == E2BIG)
			continue;
		/* EILSEQ: skip one byte; EINVAL: truncated at the end */
		mime_buf_adds(out, REPLACEMENT);
		if (errno == EINVAL)
			break;
		ip++;
		ileft--;
		(void)iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* flush a stateful encoding's shift sequence */
	op = buf;
	oleft = sizeof(buf);
	if (iconv(cd, NULL, NULL, &op, &oleft) != (size_t)-1)
		mime_buf_add(out, buf, sizeof(buf) - oleft);
}

void
mime_charset_append_utf8(struct mime_buf *out, const char *charset,
    const char *in, size_t len)
{
	iconv_t cd;

	mime_buf_add(out, "", 0);
	if (charset_is_utf8(charset) || strlen(charset) > CHARSET_MAX) {
		mime_utf8_sanitize(out, in, len);
		return;
	}
	cd = charset_open(charset);
	if (cd == (iconv_t)-1) {
		mime_utf8_sanitize(out, in, len);
		return;
	}
	convert(out, cd, in, len);
	iconv_close(cd);
}

char *
mime_charset_to_utf8(const char *charset, const char *in, size_t len,
    size_t *len_r)
{
	struct mime_buf b;

	mime_buf_init(&b);
	mime_charset_append_utf8(&b, charset, in, len);
	*len_r = b.len;
	return mime_buf_steal(&b);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)mime_tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *
mime_rfc2231_decode(const char *value)
{
	const char *q1 = strchr(value, '\''), *q2, *p;
	struct mime_buf raw, out;
	char charset[CHARSET_MAX + 1] = "";

	q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;
	if (q2 != NULL) {
		if ((size_t)(q1 - value) <= CHARSET_MAX) {
			memcpy(charset, value, (size_t)(q1 - value));
			charset[q1 - value] = '\0';
		}
		p = q2 + 1;
	} else
		p = value;
	mime_buf_init(&raw);
	mime_buf_add(&raw, "", 0);
	for (; *p != '\0'; p++) {
		if (*p == '%' && hexval((unsigned char)p[1]) >= 0 &&
		    hexval((unsigned char)p[2]) >= 0) {
			mime_buf_addc(&raw, (char)(hexval((unsigned char)p[1]) *
			    16 + hexval((unsigned char)p[2])));
			p += 2;
		} else
			mime_buf_addc(&raw, *p);
	}
	mime_buf_init(&out);
	mime_charset_append_utf8(&out, charset, raw.data, raw.len);
	mime_buf_free(&raw);
	return mime_buf_steal(&out);
}

/* ---- RFC 2047 ---- */

struct encoded_word {
	char		 charset[CHARSET_MAX + 1];
	char		 enc;		/* 'B' or 'Q' */
	const char	*text;
	size_t		 text_len;
	size_t		 total_len;	/* "=?...?=" */
};

/* Recognize "=?charset[*lang]?B|Q?text?=" at s. */
static int
parse_encoded_word(const char *s, size_t len, struct encoded_word *w)
{
	size_t i = 2, cs_start = 2, cs_len, t;

	if (len < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	while (i < len && s[i] != '?' && s[i] != ' ' && s[i] != '\t')
		i++;
	if (i + 3 >= len || s[i] != '?' || s[i + 2] != '?')
		return 0;
	cs_len = i - cs_start;
	if (memchr(s + cs_start, '*', cs_len) != NULL)	/* RFC 2231 5 */
		cs_len = (size_t)((const char *)memchr(s + cs_start, '*',
		    cs_len) - (s + cs_start));
	if (cs_len == 0 || cs_len > CHARSET_MAX)
		return 0;
	w->enc = (char)mime_tolower((unsigned char)s[i + 1]) == 'b' ? 'B' :
	    (char)mime_tolower((unsigned char)s[i + 1]) == 'q' ? 'Q' : 0;
	if (w->enc == 0)
		return 0;
	t = i + 3;
	for (i = t; i + 1 < len; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			return 0;
		if (s[i] == '?' && s[i + 1] == '=')
			break;
	}
	if (i + 1 >= len)
		return 0;
	memcpy(w->charset, s + cs_start, cs_len);
	w->charset[cs_len] = '\0';
	w->text = s + t;
	w->text_len = i - t;
	w->total_len = i + 2;
	return 1;
}

static void
decode_word_bytes(struct mime_buf *bytes, const struct encoded_word *w)
{
	char *d;
	size_t n, i;

	if (w->enc == 'B') {
		d = mime_decode_base64(w->text, w->text_len, &n);
		mime_buf_add(bytes, d, n);
		free(d);
		return;
	}
	for (i = 0; i < w->text_len; i++) {
		char c = w->text[i];

		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < w->text_len &&
		    hexval((unsigned char)w->text[i + 1]) >= 0 &&
		    hexval((unsigned char)w->text[i + 2]) >= 0) {
			c = (char)(hexval((unsigned char)w->text[i + 1]) * 16 +
			    hexval((unsigned char)w->text[i + 2]));
			i += 2;
		}
		mime_buf_addc(bytes, c);
	}
}

char *
mime_decode_header_value(const char *raw, size_t len)
{
	struct mime_buf out, bytes;
	struct encoded_word w;
	char *unfolded = mime_header_unfold(raw, len);
	const char *s = unfolded, *end = unfolded + strlen(unfolded);
	const char *text = s;		/* start of pending plain text */
	char cur_cs[CHARSET_MAX + 1] = "";
	int prev_word = 0;		/* last thing seen was a word */

	mime_buf_init(&out);
	mime_buf_init(&bytes);
	mime_buf_add(&out, "", 0);
	while (s < end) {
		const char *ws = s;

		if (!parse_encoded_word(s, (size_t)(end - s), &w)) {
			s++;
			continue;
		}
		/* RFC 2047 6.2: whitespace between two words is dropped */
		while (ws > text && (ws[-1] == ' ' || ws[-1] == '\t'))
			ws--;
		if (!(prev_word && ws == text)) {
			if (bytes.len > 0) {
				mime_charset_append_utf8(&out, cur_cs,
				    bytes.data, bytes.len);
				bytes.len = 0;
			}
			mime_utf8_sanitize(&out, text, (size_t)(s - text));
		} else if (bytes.len > 0 && !mime_strcaseeq(cur_cs, w.charset)) {
			mime_charset_append_utf8(&out, cur_cs, bytes.data,
			    bytes.len);
			bytes.len = 0;
		}
		/* bytes of adjacent words in one charset are joined before
		 * conversion: senders split multibyte characters */
		memcpy(cur_cs, w.charset, sizeof(cur_cs));
		decode_word_bytes(&bytes, &w);
		s += w.total_len;
		text = s;
		prev_word = 1;
	}
	if (bytes.len > 0)
		mime_charset_append_utf8(&out, cur_cs, bytes.data, bytes.len);
	mime_utf8_sanitize(&out, text, (size_t)(end - text));
	mime_buf_free(&bytes);
	free(unfolded);
	return mime_buf_steal(&out);
}
