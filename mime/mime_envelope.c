/*
 * mime_envelope.c: the IMAP ENVELOPE of a message (RFC 3501 7.4.2,
 * RFC 9051 7.5.2) from its header block.
 *
 * Values are sent raw, as IMAP wants: unfolded but not RFC 2047-decoded,
 * quoted or as literals (mime_imapstr.c). The first occurrence of each
 * field counts. Sender and Reply-To default to From when absent or empty.
 * Does not parse dates (the Date string is passed through).
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mime.h"
#include "mime_internal.h"

/* Addresses rendered per list: enough for any real mail, bounded output. */
#define ENVELOPE_MAX_ADDRESSES	10000

enum env_field {
	ENV_DATE = 0, ENV_SUBJECT, ENV_FROM, ENV_SENDER, ENV_REPLY_TO,
	ENV_TO, ENV_CC, ENV_BCC, ENV_IN_REPLY_TO, ENV_MESSAGE_ID, ENV_COUNT
};

static const char *const env_names[ENV_COUNT] = {
	"date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc",
	"in-reply-to", "message-id"
};

struct env_value {
	const char	*v;
	size_t		 len;
	int		 present;
};

static void
collect(const char *hdr, size_t hdrlen, struct env_value *vals)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	int i;

	mime_header_iter_init(&it, hdr, hdrlen);
	while (mime_header_next(&it, &f)) {
		for (i = 0; i < ENV_COUNT; i++) {
			if (!vals[i].present &&
			    mime_name_eq(f.name, f.name_len, env_names[i])) {
				vals[i].v = f.value;
				vals[i].len = f.value_len;
				vals[i].present = 1;
				break;
			}
		}
	}
}

static void
append_string_field(struct mime_buf *b, const struct env_value *v)
{
	char *s;

	if (!v->present) {
		mime_buf_adds(b, "NIL");
		return;
	}
	s = mime_header_unfold(v->v, v->len);
	mime_imap_nstr(b, s);
	free(s);
}

/* Render an address list; returns 0 (writing nothing) when it is empty. */
static int
append_addresses(struct mime_buf *b, const struct env_value *v)
{
	struct mime_address *a;
	size_t n, i;
	int in_group = 0;

	if (!v->present)
		return 0;
	mime_address_parse(v->v, v->len, ENVELOPE_MAX_ADDRESSES, &a, &n);
	if (n == 0) {
		mime_address_free(a, n);
		return 0;
	}
	mime_buf_addc(b, '(');
	for (i = 0; i < n; i++) {
		mime_buf_addc(b, '(');
		mime_imap_nstr(b, a[i].name);
		mime_buf_addc(b, ' ');
		mime_imap_nstr(b, a[i].route);
		mime_buf_addc(b, ' ');
		mime_imap_nstr(b, a[i].mailbox);
		mime_buf_addc(b, ' ');
		mime_imap_nstr(b, a[i].host);
		mime_buf_addc(b, ')');
		if (a[i].host == NULL)
			in_group = !in_group;
	}
	if (in_group)			/* cut by the address cap */
		mime_buf_adds(b, "(NIL NIL NIL NIL)");
	mime_buf_addc(b, ')');
	mime_address_free(a, n);
	return 1;
}

void
mime_envelope_append(struct mime_buf *b, const char *hdr, size_t hdrlen)
{
	struct env_value vals[ENV_COUNT];
	int i;

	memset(vals, 0, sizeof(vals));
	collect(hdr, hdrlen, vals);
	mime_buf_addc(b, '(');
	append_string_field(b, &vals[ENV_DATE]);
	mime_buf_addc(b, ' ');
	append_string_field(b, &vals[ENV_SUBJECT]);
	for (i = ENV_FROM; i <= ENV_BCC; i++) {
		mime_buf_addc(b, ' ');
		if (append_addresses(b, &vals[i]))
			continue;
		/* RFC 3501 7.4.2: sender and reply-to default to from */
		if ((i == ENV_SENDER || i == ENV_REPLY_TO) &&
		    append_addresses(b, &vals[ENV_FROM]))
			continue;
		mime_buf_adds(b, "NIL");
	}
	mime_buf_addc(b, ' ');
	append_string_field(b, &vals[ENV_IN_REPLY_TO]);
	mime_buf_addc(b, ' ');
	append_string_field(b, &vals[ENV_MESSAGE_ID]);
	mime_buf_addc(b, ')');
}

char *
mime_envelope_from_header(const char *hdr, size_t hdrlen)
{
	struct mime_buf b;

	mime_buf_init(&b);
	mime_envelope_append(&b, hdr, hdrlen);
	return mime_buf_steal(&b);
}

char *
mime_envelope(const struct mime_part *p, const char *msg)
{
	return mime_envelope_from_header(msg + p->hdr_off, p->hdr_len);
}
