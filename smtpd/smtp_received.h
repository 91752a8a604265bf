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
	const char	*peer_ip;	/* "192.0.2.1" or "2001:db8::1"; NULL: not shown */
	const char	*hostname;	/* our hostname (config) */
	const char	*protocol;	/* smtp_received_protocol() */
	const char	*id;		/* message id (16 hex digits) */
	const char	*for_rcpt;	/* the one recipient, or NULL with several */
	const char	*tls;		/* smtp_received_tls_comment(), or NULL */
	time_t		 when;
};

/*
 * Append to out:
 *   Return-Path: <reverse-path>
 *   Received: from HELO ([ip])
 *           (using TLSv1.3 with cipher ...)          when t->tls is set
 *           by hostname (Posthorn) with ESMTP id ID
 *           for <rcpt>; Sun, 22 Nov 2026 19:02:25 +0000
 * folded with CRLF TAB, every line CRLF-terminated and well under 998
 * octets. The client-supplied parts are the sanitized HELO and parsed
 * addresses, so a client cannot inject header lines. The "for" clause is
 * left out with several recipients so a message does not disclose its Bcc.
 */
void	 smtp_received_format(struct smtp_buf *out, const struct smtp_trace *t);

/*
 * The "with" protocol name (RFC 3848, RFC 6531 3.7.3): SMTP after HELO;
 * otherwise ESMTP or UTF8SMTP, with "S" for TLS and "A" for an
 * authenticated client: ESMTPS, ESMTPSA, UTF8SMTPA...
 */
const char *smtp_received_protocol(int ehlo, int utf8, int tls, int auth);

/*
 * The TLS comment from conn_tls_info()'s "TLSv1.3 TLS_AES_256_GCM_SHA384":
 * "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384". Characters that
 * could end a comment or a header are replaced.
 */
void	 smtp_received_tls_comment(char *buf, size_t len, const char *info);


#endif
