/*
 * imap_fetch_body.c: the bytes of BODY[section], BINARY[section] and
 * BINARY.SIZE for one message, and the INTERNALDATE format.
 *
 * The message stays as stored (CRLF line ends), so literal sizes are the
 * exact byte counts of what is cut out. Locating parts and filtering
 * header fields is mime/'s job (mime_section_find, mime_header_fields,
 * mime_decode_part); this file only chooses which call answers which
 * item. It does not apply <partial> (imap_fetch_partial) nor write
 * anything.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imap_fetch.h"
#include "mime.h"
#include "util.h"

static int	 fetch_binary_data(const struct imap_fetch_item *it,
		    const char *msg, size_t msg_len, const struct mime_part *root,
		    const char **data_r, size_t *len_r, char **owned_r);

/*
 * RFC 3516 4.2: BINARY[part] is the part's body with its transfer encoding
 * removed. BINARY[] (the whole message) and multipart or message parts,
 * which have no encoding of their own to undo, are sent as they are.
 */
static int
fetch_binary_data(const struct imap_fetch_item *it, const char *msg,
    size_t msg_len, const struct mime_part *root, const char **data_r,
    size_t *len_r, char **owned_r)
{
	const struct mime_part *p;

	if (it->part[0] == '\0') {
		*data_r = msg;
		*len_r = msg_len;
		return 0;
	}
	if (root == NULL || (p = mime_part_find(root, it->part)) == NULL)
		return 1;
	if (p->body_off > msg_len || p->body_len > msg_len - p->body_off)
		return 1;
	if (p->kind == MIME_KIND_MULTIPART || p->kind == MIME_KIND_MESSAGE) {
		*data_r = msg + p->body_off;
		*len_r = p->body_len;
		return 0;
	}
	if (mime_decode_part(p, msg, owned_r, len_r) < 0)
		return -1;
	*data_r = *owned_r;
	return 0;
}

int
imap_fetch_section_data(const struct imap_fetch_item *it, const char *msg,
    size_t msg_len, const struct mime_part *root, const char **data_r,
    size_t *len_r, char **owned_r)
{
	enum mime_section_what what;
	size_t off, len;
	int r;

	*owned_r = NULL;
	*data_r = NULL;
	*len_r = 0;
	if (it->type == IMAP_FETCH_BINARY || it->type == IMAP_FETCH_BINARY_SIZE)
		return fetch_binary_data(it, msg, msg_len, root, data_r, len_r,
		    owned_r);
	if (it->spec[0] == '\0') {
		*data_r = msg;
		*len_r = msg_len;
		return 0;
	}
	if (root == NULL)
		return 1;
	r = mime_section_find(root, it->spec, &off, &len, &what);
	if (r < 0 || off > msg_len || len > msg_len - off)
		return 1;
	if (it->section == IMAP_SECTION_HEADER_FIELDS ||
	    it->section == IMAP_SECTION_HEADER_FIELDS_NOT) {
		*owned_r = mime_header_fields(msg + off, len,
		    (const char *const *)it->fields, it->n_fields,
		    it->section == IMAP_SECTION_HEADER_FIELDS_NOT, len_r);
		*data_r = *owned_r;
		return 0;
	}
	*data_r = msg + off;
	*len_r = len;
	return 0;
}

void
imap_fetch_format_date(int64_t t, char *buf, size_t size)
{
	static const char *const months[12] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		(void)str_copy(buf, "01-Jan-1970 00:00:00 +0000", size);
		return;
	}
	/* RFC 3501 9 date-time: date-day-fixed "-" date-month "-" date-year SP time SP zone */
	(void)str_format(buf, size, "%02d-%s-%04d %02d:%02d:%02d +0000",
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}
