/*
 * smtp_received.c: format the Return-Path and Received header fields
 * (RFC 5321 4.4, RFC 5322 3.6.7 trace fields).
 *
 * Pure formatting: the session gathers the facts (smtp_session.c) and the
 * result is prepended to the message before the content is decoded into the
 * same buffer. No reverse DNS lookup happens here or anywhere in the SMTP
 * server, so the TCP-info is the bare address literal.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "smtp_data.h"
#include "smtp_received.h"
#include "util.h"

const char *
smtp_received_protocol(int ehlo, int utf8, int tls, int auth)
{
	static const char *const names[8] = {
		"ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA",
		"UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA"
	};

	if (!ehlo)
		return "SMTP";	/* RFC 3848 registers no suffixes for HELO */
	return names[(utf8 ? 4 : 0) + (tls ? 2 : 0) + (auth ? 1 : 0)];
}

void
smtp_received_tls_comment(char *buf, size_t len, const char *info)
{
	const char	*sp = strchr(info, ' ');
	char		*p;

	if (sp == NULL || str_format(buf, len, "using %.*s with cipher %s",
	    (int)(sp - info), info, sp + 1) < 0) {
		if (str_format(buf, len, "using %s", info) < 0)
			str_copy(buf, "using TLS", len);
	}
	/* OpenSSL's names are tame; make sure a comment stays one. */
	for (p = buf; *p != '\0'; p++)
		if (*p == '(' || *p == ')' || *p == '\\' || (unsigned char)*p < 0x20 ||
		    (unsigned char)*p > 0x7e)
			*p = '?';
}

void
smtp_received_format(struct smtp_buf *out, const struct smtp_trace *t)
{
	/* Bounded parts: helo 255, ip 46, hostname 255, id 16, two paths of 256. */
	char	 hdr[2048], date[64], ip[64];

	if (t->peer_ip == NULL)
		ip[0] = '\0';	/* submission_hide_ip */
	else if (strchr(t->peer_ip, ':') != NULL) {
		/* IPv6-address-literal = "IPv6:" IPv6-addr (RFC 5321 4.1.3) */
		if (str_format(ip, sizeof(ip), "[IPv6:%s]", t->peer_ip) < 0)
			fatalx("smtp_received_format: peer address too long");
	} else if (str_format(ip, sizeof(ip), "[%s]", t->peer_ip) < 0)
		fatalx("smtp_received_format: peer address too long");
	if (t->tls != NULL && strlen(t->tls) > 256)
		fatalx("smtp_received_format: TLS comment too long");
	rfc5322_date(date, sizeof(date), t->when, 0);

	/* Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time */
	if (str_format(hdr, sizeof(hdr),
	    "Return-Path: <%s>\r\n"
	    "Received: from %s%s%s%s\r\n"
	    "%s%s%s"
	    "\tby %s (Posthorn) with %s id %s%s\r\n"
	    "\t%s%s%s%s\r\n",
	    t->reverse_path,
	    t->helo, ip[0] ? " (" : "", ip, ip[0] ? ")" : "",
	    t->tls ? "\t(" : "", t->tls ? t->tls : "", t->tls ? ")\r\n" : "",
	    t->hostname, t->protocol, t->id, t->for_rcpt ? "" : ";",
	    t->for_rcpt ? "for <" : "", t->for_rcpt ? t->for_rcpt : "",
	    t->for_rcpt ? ">; " : "", date) < 0)
		fatalx("smtp_received_format: header too long");
	smtp_buf_append(out, hdr, strlen(hdr));
}
