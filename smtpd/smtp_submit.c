/*
 * smtp_submit.c: message submission policy (RFC 6409) for authenticated
 * sessions on the submission ports.
 *
 * A user sends only as themselves: the envelope sender (MAIL FROM) and
 * every address in the From: header must be the user's address or one
 * that resolves to the user (an alias, a group alias it belongs to, a
 * catch-all it receives). The message gets a Date and a Message-ID when
 * the client left them out (RFC 6409 sections 8.2, 8.3).
 *
 * It does not decide who is authenticated (smtp_auth.c) or where the
 * message goes (recipients are resolved in smtp_commands.c; foreign ones
 * wait for the outbound queue).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "net.h"
#include "server.h"
#include "smtp_header.h"
#include "smtp_received.h"
#include "smtp_session.h"
#include "store.h"
#include "util.h"

int
smtp_submit_sender_ok(struct smtp_session *s, const char *addr)
{
	char		 lower[SMTP_ADDR_MAX];
	uint64_t	*ids;
	size_t		 n = 0, i;
	int		 rc, ok = 0;

	if (!(s->flags & SMTP_F_AUTHENTICATED))
		return 0;
	if (*addr == '\0')
		return 1;	/* <>: notifications and auto-replies */
	if (str_copy(lower, addr, sizeof(lower)) >= sizeof(lower))
		return 0;
	str_lower(lower);	/* the store keeps addresses folded */
	if (strcmp(lower, s->auth_user.address) == 0)
		return 1;
	ids = xreallocarray(NULL, STORE_MAX_RCPT_USERS, sizeof(uint64_t));
	rc = store_resolve_rcpt(s->store, lower, ids, STORE_MAX_RCPT_USERS, &n);
	if (rc == 0) {
		for (i = 0; i < n; i++)
			if (ids[i] == s->auth_user.id)
				ok = 1;
	} else if (rc < 0 && rc != STORE_ENOTFOUND && rc != STORE_EINVAL)
		ok = rc;	/* a failed lookup is no verdict */
	free(ids);
	return ok;
}

/* Walking the From: addresses. */
struct from_check {
	struct smtp_session	*s;
	int			 status;	/* first failure: 0 none, or <0 store error */
	int			 refused;	/* an address the user does not own */
	char			 addr[SMTP_ADDR_MAX];	/* that address */
};

static int
from_check_cb(void *arg, const char *addr)
{
	struct from_check	*fc = arg;
	int			 rc;

	rc = smtp_submit_sender_ok(fc->s, addr);
	if (rc == 1)
		return 0;
	if (rc < 0)
		fc->status = rc;
	else
		fc->refused = 1;
	str_copy(fc->addr, addr, sizeof(fc->addr));
	return 1;	/* stop at the first problem */
}

/* Refuse the message at the end of its content; the transaction ends. */
static void
submit_refuse(struct smtp_session *s, int code, enum smtp_esc esc,
    const char *text)
{
	char	 reason[320];

	smtp_reply(s, code, esc, "%s", text);
	if (str_format(reason, sizeof(reason), "%d %s", code, text) < 0)
		str_copy(reason, "refused", sizeof(reason));
	smtp_tx_end(s, code >= 500 ? "rejected" : "tempfail", reason);
	smtp_set_state(s, SMTP_STATE_GREETED);
}

/* Every From: address must be the user's; 0 when they all are. */
static int
submit_check_from(struct smtp_session *s, const char *content,
    const struct smtp_header_scan *hs)
{
	struct from_check	 fc;
	char			 text[400], safe[SMTP_ADDR_MAX];
	int			 i, rc;

	if (hs->n_from > SMTP_HEADER_FROM_MAX) {
		submit_refuse(s, 550, ESC_NOT_AUTHORIZED, "Too many From: header fields");
		return -1;
	}
	for (i = 0; i < hs->n_from; i++) {
		memset(&fc, 0, sizeof(fc));
		fc.s = s;
		rc = smtp_header_addresses(content + hs->from_off[i],
		    hs->from_len[i], SMTP_ADDR_MAX, from_check_cb, &fc);
		if (fc.status < 0) {
			log_warn("smtp: conn=%llu sender lookup failed: %s",
			    (unsigned long long)s->id, store_strerror(fc.status));
			submit_refuse(s, 451, ESC_SYSTEM_OTHER,
			    "Temporary lookup failure, try again later");
			return -1;
		}
		if (fc.refused) {
			/*
			 * 550 rather than 553: after DATA, RFC 5321 4.3.2 lists
			 * 550 for policy refusals; x.7.1 says why.
			 */
			log_sanitize(safe, sizeof(safe), fc.addr, strlen(fc.addr));
			if (str_format(text, sizeof(text),
			    "From: address <%s> not owned by user %s", safe,
			    s->auth_user.address) < 0)
				str_copy(text, "From: address not owned by user", sizeof(text));
			submit_refuse(s, 550, ESC_NOT_AUTHORIZED, text);
			return -1;
		}
		if (rc <= 0) {
			/* Unparseable, or no address: a reader might show anything. */
			submit_refuse(s, 550, ESC_NOT_AUTHORIZED,
			    "From: header not understood; it must name your address");
			return -1;
		}
	}
	return 0;
}

/* RFC 6409 8.2 and 8.3: Date and Message-ID, after our trace fields. */
static void
submit_add_fields(struct smtp_session *s, const struct smtp_header_scan *hs)
{
	struct smtp_tx		*tx = s->tx;
	const char		*content = tx->msg.data + tx->content_off;
	size_t			 clen = tx->msg.len - tx->content_off;
	struct smtp_buf		 out = { NULL, 0, 0 };
	char			 field[512], date[64];

	if (hs->has_date && hs->has_message_id)
		return;
	smtp_buf_append(&out, tx->msg.data, tx->content_off);
	if (!hs->has_date) {
		rfc5322_date(date, sizeof(date), time(NULL), 0);
		if (str_format(field, sizeof(field), "Date: %s\r\n", date) == 0)
			smtp_buf_append(&out, field, strlen(field));
	}
	if (!hs->has_message_id && str_format(field, sizeof(field),
	    "Message-ID: <%s.%016llX@%s>\r\n", tx->id,
	    (unsigned long long)random_u64(), server_config()->hostname) == 0)
		smtp_buf_append(&out, field, strlen(field));
	/* Content without a header section: keep it the body. */
	if (!hs->has_header && !(clen >= 2 && content[0] == '\r' && content[1] == '\n'))
		smtp_buf_append(&out, "\r\n", 2);
	smtp_buf_append(&out, content, clen);
	smtp_buf_free(&tx->msg);
	tx->msg = out;
}

int
smtp_submit_content(struct smtp_session *s)
{
	struct smtp_tx			*tx = s->tx;
	struct smtp_header_scan		 hs;
	const char			*content;

	content = tx->msg.data != NULL ? tx->msg.data + tx->content_off : "";
	smtp_header_scan(content, tx->msg.len - tx->content_off, &hs);
	if (submit_check_from(s, content, &hs) < 0)
		return -1;
	submit_add_fields(s, &hs);
	return 0;
}
