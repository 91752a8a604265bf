/*
 * imap_mailbox.c: mailbox names between the client and the store.
 *
 * The store keeps a user's names in UTF-8 with '/' as the hierarchy
 * delimiter, and knows nothing but that user's tree: a name is looked up
 * under the logged-in user's id, never as a path. Still, every name a
 * client sends is checked here so that nothing odd reaches the store:
 * no "." or ".." level, no leading, trailing or doubled '/', no wildcard,
 * no control character, valid UTF-8, and "INBOX" in any case is INBOX
 * (RFC 3501 5.1). Clients that have not enabled UTF8=ACCEPT (RFC 6855) or
 * IMAP4rev2 use modified UTF-7 (RFC 3501 5.1.3). Pattern matching for LIST
 * is in cmd_list.c.
 */
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_core.h"
#include "util.h"

/* The store refuses longer names (LMDB key limit, store.h). */
#define NAME_MAX_BYTES	503

int
imap_utf8_enabled(const struct imap_session *s)
{
	return (s->enabled & (IMAP_ENABLED_UTF8 | IMAP_ENABLED_REV2)) != 0;
}

int
imap_mailbox_name_valid(const char *name)
{
	size_t len = strlen(name), i, level = 0;

	if (len == 0 || len > NAME_MAX_BYTES || name[0] == '/' ||
	    name[len - 1] == '/' || !imap_utf8_valid(name, len))
		return 0;
	for (i = 0; i <= len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch == '/' || ch == '\0') {
			size_t n = i - level;

			/* Empty, "." and ".." levels could be read as paths. */
			if (n == 0 || (n == 1 && name[level] == '.') ||
			    (n == 2 && name[level] == '.' && name[level + 1] == '.'))
				return 0;
			level = i + 1;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f || ch == '%' || ch == '*')
			return 0;
	}
	return 1;
}

/* "inbox", "Inbox/sub": the first level INBOX is spelled the store's way. */
static void
inbox_fold(char *name)
{
	if (strncasecmp(name, "INBOX", 5) == 0 && (name[5] == '\0' || name[5] == '/'))
		memcpy(name, "INBOX", 5);
}

int
imap_mailbox_arg(struct imap_session *s, const struct imap_arg *a,
    char *name, size_t size, const char **why_r)
{
	const char *str;
	size_t len;

	*why_r = "Invalid mailbox name.";
	str = imap_arg_astring(a, &len);
	if (str == NULL) {
		*why_r = "Mailbox name expected.";
		return -1;
	}
	if (len == 0) {
		*why_r = "Empty mailbox name.";
		return -1;
	}
	if (len >= size || len > NAME_MAX_BYTES * 4) {
		*why_r = "Mailbox name too long.";
		return -1;
	}
	if (imap_utf8_enabled(s)) {
		memcpy(name, str, len);
		name[len] = '\0';
	} else if (imap_utf7_to_utf8(str, len, name, size) < 0) {
		/*
		 * Clients that send raw UTF-8 without enabling it exist; a
		 * name without '&' cannot be mistaken for modified UTF-7.
		 */
		if (memchr(str, '&', len) != NULL || !imap_utf8_valid(str, len)) {
			*why_r = "Invalid modified UTF-7 in mailbox name.";
			return -1;
		}
		memcpy(name, str, len);
		name[len] = '\0';
	}
	inbox_fold(name);
	if (!imap_mailbox_name_valid(name))
		return -1;
	return 0;
}

int
imap_mailbox_external(const struct imap_session *s, const char *name,
    char *out, size_t size)
{
	if (imap_utf8_enabled(s))
		return str_copy(out, name, size) < size ? 0 : -1;
	return imap_utf8_to_utf7(name, strlen(name), out, size);
}
