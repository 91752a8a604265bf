/*
 * smtp_received.h: the trace header fields an SMTP server prepends to every
 * message it accepts (RFC 5321 section 4.4): Return-Path and Received.
 */
#ifndef POSTHORN_SMTP_RECEIVED_H
#define POSTHORN_SMTP_RECEIVED_H

#include <time.h>

struct smtp_buf;

struct smtp_trace {
	const char	*reverse_path;	/* canonical MAIL FROM address; "" = null path */
	const char	*helo;		/* sanitized EHLO/HELO argument (smtp_helo_sanitize) */
	const char	*peer_ip;	/* "192.0.2.1" or "2001:db8::1" */
	const char	*hostname;	/* our hostname (config) */
	const char	*protocol;	/* "SMTP", "ESMTP", "UTF8SMTP" (RFC 3848, RFC 6531) */
	const char	*id;		/* message id (16 hex digits) */
	const char	*for_rcpt;	/* the one recipient, or NULL with several */
	const char	*tls;		/* TLS state comment, or NULL (TLS issue) */
	time_t		 when;
};

/*
 * Append to out:
 *   Return-Path: <reverse-path>
 *   Received: from HELO ([ip])
 *           by hostname (Posthorn) with ESMTP id ID
 *           for <rcpt>; Sun, 22 Nov 2026 19:02:25 +0000
 * folded with CRLF TAB, every line CRLF-terminated and well under 998
 * octets. The client-supplied parts are the sanitized HELO and parsed
 * addresses, so a client cannot inject header lines. The "for" clause is
 * left out with several recipients so a message does not disclose its Bcc.
 */
void	 smtp_received_format(struct smtp_buf *out, const struct smtp_trace *t);

/* RFC 5322 date-time of when in local time ("Sun, 22 Nov 2026 19:02:25 +0000"). */
void	 smtp_rfc5322_date(char *buf, size_t len, time_t when);

#endif
