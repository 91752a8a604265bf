/*
 * store_name.c: validation and case folding of domains, addresses and
 * mailbox names before they become LMDB keys.
 *
 * Domains and addresses are folded to lower case (ASCII only: the local
 * part is treated case-insensitively, like most servers do, although
 * RFC 5321 2.4 lets a server distinguish case). Lookups accept anything
 * that could be a key; adds are strict so the admin cannot create an
 * address no SMTP client can reach. This file does not parse SMTP syntax
 * (quoting, source routes): smtpd hands over the plain address.
 */
#include <string.h>
#include <strings.h>

#include "store_internal.h"
#include "util.h"

static int	domain_check(const char *d, int strict);
static int	utf8_valid(const unsigned char *s, size_t len);

/* 1 for bytes no key may contain: C0 controls and DEL. */
static int
is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int
domain_check(const char *d, int strict)
{
	size_t len = strlen(d), i;

	if (len == 0 || len > STORE_DOMAIN_MAX || d[0] == '.' ||
	    d[len - 1] == '.' || strstr(d, "..") != NULL)
		return STORE_EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (is_control(c) || c == ' ' || c == '@' || c == ',')
			return STORE_EINVAL;
		if (strict && !(c >= 0x80 || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return STORE_EINVAL;
	}
	return 0;
}

/* Lower-case and validate a domain for domain add/del/exists. */
int
store_domain_normalize(const char *in, char out[STORE_DOMAIN_MAX + 1])
{
	if (in == NULL || str_copy(out, in, STORE_DOMAIN_MAX + 1) >
	    STORE_DOMAIN_MAX)
		return STORE_EINVAL;
	str_lower(out);
	return domain_check(out, 1);
}

/*
 * Lower-case and validate local@domain (or "@domain" with
 * STORE_ADDR_CATCHALL) into out; *domain_r points at the domain in out.
 * The domain starts after the last '@' (a quoted local part may hold one).
 */
int
store_address_normalize(const char *in, char out[STORE_ADDRESS_MAX],
    int flags, const char **domain_r)
{
	const char *strict_bad = " \"\\,;:<>()[]";
	char *at;
	size_t i;

	if (in == NULL || in[0] == '\0' ||
	    str_copy(out, in, STORE_ADDRESS_MAX) >= STORE_ADDRESS_MAX)
		return STORE_EINVAL;
	str_lower(out);
	at = strrchr(out, '@');
	if (at == NULL || (at == out && !(flags & STORE_ADDR_CATCHALL)))
		return STORE_EINVAL;
	for (i = 0; out + i < at; i++) {
		unsigned char c = (unsigned char)out[i];

		if (is_control(c))
			return STORE_EINVAL;
		if ((flags & STORE_ADDR_STRICT) &&
		    (c == '@' || strchr(strict_bad, c) != NULL))
			return STORE_EINVAL;
	}
	if (domain_check(at + 1, (flags & STORE_ADDR_STRICT) != 0) != 0)
		return STORE_EINVAL;
	if (domain_r != NULL)
		*domain_r = at + 1;
	return 0;
}

static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF (RFC 3629 3). */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * Validate a mailbox name (UTF-8, '/' as hierarchy delimiter) and fold
 * "INBOX" in any case to "INBOX" (RFC 3501 5.1: INBOX is case-insensitive).
 */
int
store_mailbox_name_normalize(const char *in, char out[STORE_MAILBOX_NAME_MAX])
{
	size_t len, i;

	if (in == NULL)
		return STORE_EINVAL;
	len = strlen(in);
	if (len == 0)
		return STORE_EINVAL;
	if (len > STORE_MAILBOX_NAME_LEN)
		return STORE_ETOOBIG;
	for (i = 0; i < len; i++)
		if (is_control((unsigned char)in[i]))
			return STORE_EINVAL;
	if (in[0] == '/' || in[len - 1] == '/' || strstr(in, "//") != NULL ||
	    !utf8_valid((const unsigned char *)in, len))
		return STORE_EINVAL;
	if (strcasecmp(in, "INBOX") == 0)
		in = "INBOX";
	str_copy(out, in, STORE_MAILBOX_NAME_MAX);
	return 0;
}
