/*
 * smtp_reply.c: smtp_reply(), the only function that writes SMTP replies,
 * and the table of RFC 3463 enhanced status codes it adds.
 *
 * A reply is "code SP esc SP text CRLF"; a '\n' in the text makes it a
 * multi-line reply ("code-..." continuation lines, RFC 5321 4.2.1) with the
 * enhanced code repeated on every line (RFC 2034 section 4). The class digit
 * of the enhanced code is the first digit of the reply code.
 *
 * It does not decide what to answer; handlers do. It counts 5xx replies for
 * smtp_max_errors and logs 4xx/5xx at debug level (the transaction's info
 * line is smtp_tx.c's job).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "smtp_session.h"
#include "util.h"

/* subject.detail, indexed by enum smtp_esc (RFC 3463 section 3, RFC 6531). */
static const char *const esc_codes[ESC_COUNT] = {
	[ESC_NONE] = NULL,
	[ESC_OTHER] = "0.0",
	[ESC_ADDR_OTHER] = "1.0",
	[ESC_BAD_DEST_MAILBOX] = "1.1",
	[ESC_BAD_DEST_SYNTAX] = "1.3",
	[ESC_DEST_VALID] = "1.5",
	[ESC_BAD_SENDER_SYNTAX] = "1.7",
	[ESC_SYSTEM_OTHER] = "3.0",
	[ESC_SYSTEM_FULL] = "3.1",
	[ESC_MSG_TOO_BIG] = "3.4",
	[ESC_CONNECTION] = "4.2",
	[ESC_AUTH_LINE_TOO_LONG] = "5.6",
	[ESC_PROTOCOL_OTHER] = "5.0",
	[ESC_INVALID_COMMAND] = "5.1",
	[ESC_SYNTAX_ERROR] = "5.2",
	[ESC_TOO_MANY_RCPTS] = "5.3",
	[ESC_INVALID_ARGS] = "5.4",
	[ESC_NON_ASCII_ADDR] = "6.7",
	[ESC_SECURITY_OTHER] = "7.0",
	[ESC_NOT_AUTHORIZED] = "7.1",
	[ESC_AUTH_INVALID] = "7.8",
	[ESC_ENCRYPTION_REQUIRED] = "7.11",
};

void
smtp_reply(struct smtp_session *s, int code, enum smtp_esc esc,
    const char *fmt, ...)
{
	char		 text[1024], prefix[16], logbuf[256];
	const char	*line, *nl;
	va_list		 ap;
	int		 n;

	if (code < 200 || code > 599 || esc < 0 || esc >= ESC_COUNT)
		fatalx("smtp_reply: bad reply %d", code);	/* our bug */
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		fatalx("smtp_reply: reply text too long (%d)", n);

	prefix[0] = '\0';
	if (esc != ESC_NONE && str_format(prefix, sizeof(prefix), "%d.%s ",
	    code / 100, esc_codes[esc]) < 0)
		fatalx("smtp_reply: bad status code");

	for (line = text;; line = nl + 1) {
		nl = strchr(line, '\n');
		conn_printf(s->conn, "%d%c%s%.*s\r\n", code, nl ? '-' : ' ',
		    prefix, nl ? (int)(nl - line) : (int)strlen(line), line);
		if (nl == NULL)
			break;
	}

	if (code >= 400) {
		log_debug("smtp: conn=%llu rip=%s reply=\"%d %s%s\"",
		    (unsigned long long)s->id, s->peer, code, prefix,
		    log_sanitize(logbuf, sizeof(logbuf), text, strlen(text)));
	}
	/* 421 is how we hang up, not something the client did wrong. */
	if (code >= 500)
		s->errors++;
}
