/*
 * imap_reply.c: the only way imapd writes to a client: untagged and
 * tagged responses, continuation requests, and the pieces of a long
 * response line (strings, literals, flag lists, mailbox names).
 *
 * Every write goes straight to the connection's output buffer, in order.
 * Before a tagged OK or NO it runs imap_sync() as the command's registry
 * flags allow, so untagged updates always precede a completion (RFC 3501
 * 7.4.1 / 5.2). It does not decide what to say; commands do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "imap.h"
#include "imap_core.h"
#include "log.h"
#include "net.h"
#include "util.h"

#define IMAP_REPLY_MAX		2048	/* our own response texts */
#define QUOTED_MAX		1024	/* longer strings go out as literals */

static int
imap_out_ok(const struct imap_session *s)
{
	return !(s->flags & (IMAP_SF_CLOSING | IMAP_SF_CLOSED));
}

void
imap_send_untagged(struct imap_session *s, const char *fmt, ...)
{
	char text[IMAP_REPLY_MAX];
	va_list ap;
	int n;

	if (!imap_out_ok(s))
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(text)) {
		/* Long lines (FLAGS with many keywords, ID) are built elsewhere. */
		char *big = xmalloc((size_t)n + 1);

		va_start(ap, fmt);
		(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		conn_write(s->conn, "* ", 2);
		conn_write(s->conn, big, (size_t)n);
		conn_write(s->conn, "\r\n", 2);
		free(big);
		return;
	}
	conn_write(s->conn, "* ", 2);
	conn_write(s->conn, text, (size_t)n);
	conn_write(s->conn, "\r\n", 2);
}

void
imap_send_tagged_raw(struct imap_cmd *cmd, const char *status,
    const char *code, const char *text)
{
	struct imap_session *s = cmd->s;

	if (!imap_out_ok(s))
		return;
	if (code != NULL && code[0] != '\0')
		conn_printf(s->conn, "%s %s [%s] %s\r\n", cmd->tag, status, code, text);
	else
		conn_printf(s->conn, "%s %s %s\r\n", cmd->tag, status, text);
	if (status[0] != 'O')
		log_debug("imap: conn=%llu %s %s %s", (unsigned long long)s->id,
		    cmd->name, status, text);
}

void
imap_send_tagged(struct imap_cmd *cmd, const char *status, const char *code,
    const char *fmt, ...)
{
	struct imap_session *s = cmd->s;
	char text[IMAP_REPLY_MAX];
	va_list ap;
	int bad = strcmp(status, "BAD") == 0;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	if (!imap_out_ok(s))
		return;
	if (!bad && s->state == IMAP_STATE_SELECTED &&
	    !(cmd->def != NULL && (cmd->def->flags & IMAP_CMDF_NO_SYNC))) {
		unsigned sf = 0;

		/* RFC 3501 7.4.1: no EXPUNGE while the client counts by MSN. */
		if (cmd->def != NULL && (cmd->def->flags & IMAP_CMDF_USES_MSN) &&
		    !cmd->uid)
			sf |= IMAP_SYNC_NO_EXPUNGE;
		imap_sync(s, sf);
		if (!imap_out_ok(s))
			return;
	}
	imap_send_tagged_raw(cmd, status, code, text);
	if (bad && ++s->bad_commands >= IMAP_MAX_BAD_COMMANDS) {
		imap_send_untagged(s, "BYE Too many invalid commands.");
		imap_session_close(s, "too many bad commands");
	}
}

void
imap_send_continuation(struct imap_session *s, const char *text)
{
	if (!imap_out_ok(s))
		return;
	if (text != NULL && text[0] != '\0')
		conn_printf(s->conn, "+ %s\r\n", text);
	else
		conn_write(s->conn, "+ \r\n", 4);
}

/* A store error of a mailbox operation as NO with the RFC 5530 code. */
void
imap_send_store_error(struct imap_cmd *cmd, int status, const char *what)
{
	switch (status) {
	case STORE_ENOTFOUND:
		imap_send_tagged(cmd, "NO", "NONEXISTENT", "%s: no such mailbox.", what);
		break;
	case STORE_EEXIST:
		imap_send_tagged(cmd, "NO", "ALREADYEXISTS", "%s: mailbox already exists.", what);
		break;
	case STORE_EINVAL:
	case STORE_ETOOBIG:
		imap_send_tagged(cmd, "NO", "CANNOT", "%s: invalid mailbox name or operation.", what);
		break;
	case STORE_ELIMIT:
		imap_send_tagged(cmd, "NO", "LIMIT", "%s: limit reached.", what);
		break;
	case STORE_EFULL:
		imap_send_tagged(cmd, "NO", "OVERQUOTA", "%s: the server is out of space, try again later.", what);
		break;
	default:
		log_warn("imap: conn=%llu %s failed: %s",
		    (unsigned long long)cmd->s->id, what, store_strerror(status));
		imap_send_tagged(cmd, "NO", "UNAVAILABLE", "%s: temporary failure, try again later.", what);
		break;
	}
}

/* ------------------------------------------------------ response pieces */

void
imap_out_printf(struct imap_session *s, const char *fmt, ...)
{
	char buf[512], *big;
	va_list ap;
	int n;

	if (!imap_out_ok(s))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(buf)) {
		conn_write(s->conn, buf, (size_t)n);
		return;
	}
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	conn_write(s->conn, big, (size_t)n);
	free(big);
}

void
imap_out_write(struct imap_session *s, const void *data, size_t len)
{
	if (imap_out_ok(s) && len > 0)
		conn_write(s->conn, data, len);
}

void
imap_out_crlf(struct imap_session *s)
{
	imap_out_write(s, "\r\n", 2);
}

void
imap_out_buffer(struct imap_session *s, struct evbuffer *buf)
{
	if (imap_out_ok(s))
		conn_write_buffer(s->conn, buf);
	else
		evbuffer_drain(buf, evbuffer_get_length(buf));
}

void
imap_out_literal(struct imap_session *s, const void *data, size_t len, int binary)
{
	if (!imap_out_ok(s))
		return;
	conn_printf(s->conn, "%s{%zu}\r\n", binary ? "~" : "", len);
	imap_out_write(s, data, len);
}

/* Quoted form is possible: no CR, LF, NUL; 8-bit only as UTF-8 with UTF8=ACCEPT. */
static int
quotable(const struct imap_session *s, const char *data, size_t len)
{
	size_t i;
	int eight = 0;

	if (len > QUOTED_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '\0' || ch == '\r' || ch == '\n')
			return 0;
		if (ch >= 0x80)
			eight = 1;
	}
	if (eight && !(imap_utf8_enabled(s) && imap_utf8_valid(data, len)))
		return 0;
	return 1;
}

void
imap_out_string(struct imap_session *s, const char *data, size_t len)
{
	size_t i, start = 0;

	if (!imap_out_ok(s))
		return;
	if (!quotable(s, data, len)) {
		imap_out_literal(s, data, len, 0);
		return;
	}
	conn_write(s->conn, "\"", 1);
	for (i = 0; i < len; i++) {
		if (data[i] == '"' || data[i] == '\\') {
			imap_out_write(s, data + start, i - start);
			conn_write(s->conn, "\\", 1);
			start = i;
		}
	}
	imap_out_write(s, data + start, len - start);
	conn_write(s->conn, "\"", 1);
}

void
imap_out_nstring(struct imap_session *s, const char *data, size_t len)
{
	if (data == NULL)
		imap_out_write(s, "NIL", 3);
	else
		imap_out_string(s, data, len);
}

void
imap_out_mailbox(struct imap_session *s, const char *name)
{
	char ext[STORE_MAILBOX_NAME_MAX * 3];

	if (imap_mailbox_external(s, name, ext, sizeof(ext)) < 0) {
		/* A name the client cannot spell; should not happen (store validates). */
		imap_out_string(s, name, strlen(name));
		return;
	}
	imap_out_string(s, ext, strlen(ext));
}

int
imap_output_full(const struct imap_session *s)
{
	return conn_output_pending(s->conn) > IMAP_OUTPUT_HIGH;
}

/* ------------------------------------------------------------ flags */

static const struct {
	uint32_t	 bit;
	const char	*name;
} system_flags[] = {
	{ STORE_FLAG_ANSWERED, "\\Answered" },
	{ STORE_FLAG_FLAGGED, "\\Flagged" },
	{ STORE_FLAG_DELETED, "\\Deleted" },
	{ STORE_FLAG_SEEN, "\\Seen" },
	{ STORE_FLAG_DRAFT, "\\Draft" },
	{ STORE_FLAG_RECENT, "\\Recent" },
};

uint32_t
imap_flag_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++)
		if (strcasecmp(name, system_flags[i].name) == 0)
			return system_flags[i].bit;
	return 0;
}

int
imap_flags_format(const struct imap_session *s, uint32_t flags, uint64_t keywords,
    char *buf, size_t size)
{
	const struct imap_selected *sel = s->sel;
	size_t i;
	int first = 1, full = 0;

	if (size == 0)
		return -1;
	buf[0] = '\0';
	full |= str_append(buf, "(", size) >= size;
	for (i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++) {
		if (!(flags & system_flags[i].bit))
			continue;
		/* IMAP4rev2 has no \Recent (RFC 9051 appendix E). */
		if (system_flags[i].bit == STORE_FLAG_RECENT &&
		    (s->enabled & IMAP_ENABLED_REV2))
			continue;
		if (!first)
			full |= str_append(buf, " ", size) >= size;
		full |= str_append(buf, system_flags[i].name, size) >= size;
		first = 0;
	}
	for (i = 0; sel != NULL && i < (size_t)sel->n_keywords && i < 64; i++) {
		if (!(keywords & ((uint64_t)1 << i)))
			continue;
		if (!first)
			full |= str_append(buf, " ", size) >= size;
		full |= str_append(buf, sel->keywords[i], size) >= size;
		first = 0;
	}
	full |= str_append(buf, ")", size) >= size;
	return full ? -1 : 0;
}

void
imap_out_flags(struct imap_session *s, uint32_t flags, uint64_t keywords)
{
	char buf[STORE_KEYWORDS_MAX * (STORE_KEYWORD_LEN + 1) + 128];

	/* Mid-line: only learn the names; FLAGS goes out at the next sync. */
	if (s->sel != NULL && s->sel->n_keywords < 64 &&
	    (keywords >> s->sel->n_keywords) != 0)
		imap_keywords_load(s);
	(void)imap_flags_format(s, flags, keywords, buf, sizeof(buf));
	imap_out_write(s, buf, strlen(buf));
}
