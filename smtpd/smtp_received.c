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

void
smtp_rfc5322_date(char *buf, size_t len, time_t when)
{
	/* Names spelled out: strftime's %a/%b follow the locale. */
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	long		 off;
	char		 sign = '+';

	if (localtime_r(&when, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	if (str_format(buf, len, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    off / 60, off % 60) < 0)
		fatalx("smtp_rfc5322_date: buffer too small");
}

void
smtp_received_format(struct smtp_buf *out, const struct smtp_trace *t)
{
	/* Bounded parts: helo 255, ip 46, hostname 255, id 16, two paths of 256. */
	char	 hdr[2048], date[64], ip[64];

	if (strchr(t->peer_ip, ':') != NULL) {
		/* IPv6-address-literal = "IPv6:" IPv6-addr (RFC 5321 4.1.3) */
		if (str_format(ip, sizeof(ip), "[IPv6:%s]", t->peer_ip) < 0)
			fatalx("smtp_received_format: peer address too long");
	} else if (str_format(ip, sizeof(ip), "[%s]", t->peer_ip) < 0)
		fatalx("smtp_received_format: peer address too long");
	smtp_rfc5322_date(date, sizeof(date), t->when);

	/* Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time */
	if (str_format(hdr, sizeof(hdr),
	    "Return-Path: <%s>\r\n"
	    "Received: from %s (%s)\r\n"
	    "%s%s%s"
	    "\tby %s (Posthorn) with %s id %s%s\r\n"
	    "\t%s%s%s%s\r\n",
	    t->reverse_path,
	    t->helo, ip,
	    t->tls ? "\t(" : "", t->tls ? t->tls : "", t->tls ? ")\r\n" : "",
	    t->hostname, t->protocol, t->id, t->for_rcpt ? "" : ";",
	    t->for_rcpt ? "for <" : "", t->for_rcpt ? t->for_rcpt : "",
	    t->for_rcpt ? ">; " : "", date) < 0)
		fatalx("smtp_received_format: header too long");
	smtp_buf_append(out, hdr, strlen(hdr));
}
