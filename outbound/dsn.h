/*
 * dsn.h: delivery status notifications (RFC 3464): the bounce a sender
 * gets when their mail could not be delivered, as a multipart/report
 * (RFC 6522) with a human-readable part, a message/delivery-status part
 * (Reporting-MTA, Arrival-Date, and per recipient Final-Recipient,
 * Action, Status, Remote-MTA, Diagnostic-Code with the remote server's
 * reply, Last-Attempt-Date) and the original message (message/rfc822 up
 * to DSN_RETURN_FULL_MAX bytes, else text/rfc822-headers).
 *
 * Pure formatting: it neither decides when to bounce (never for a null
 * sender: the caller's rule) nor delivers.
 */
#ifndef POSTHORN_DSN_H
#define POSTHORN_DSN_H

#include <stddef.h>
#include <stdint.h>

#define DSN_RETURN_FULL_MAX	(128 * 1024)

struct dsn_rcpt {
	const char	*address;	/* the original recipient */
	const char	*action;	/* "failed" (or "delayed" for a warning) */
	const char	*status;	/* "5.1.1"; taken from the reply when "" */
	const char	*remote_mta;	/* MX host name, "" when none answered */
	const char	*diagnostic;	/* "550 5.1.1 no such user" or a local reason */
	int		 remote;	/* 1: diagnostic is an SMTP reply (Diagnostic-Code: smtp;) */
};

struct dsn_info {
	const char	*hostname;	/* Reporting-MTA, and From: MAILER-DAEMON@hostname */
	const char	*sender;	/* the original envelope sender: To: of the DSN */
	const char	*queue_id;	/* for the human-readable part */
	int64_t		 arrival;	/* when we accepted the message */
	int64_t		 now;
	const char	*original;	/* the original message, CRLF */
	size_t		 original_len;
};

/*
 * The DSN message (CRLF, headers Date, From, To, Subject, Message-ID,
 * Auto-Submitted: auto-replied (RFC 3834), MIME-Version, Content-Type).
 * Allocated, *len_r its length. Never fails (dies on OOM).
 */
char	*dsn_build(const struct dsn_info *info, const struct dsn_rcpt *rcpts,
	    size_t n, size_t *len_r);

/*
 * The enhanced status code of a reply text "550 5.1.1 ..." into buf
 * ("5.1.1"); when the reply has none, "5.0.0"/"4.0.0" from its code (or
 * the class given by fallback_class 4/5 for a local reason).
 */
void	 dsn_status_from_reply(const char *reply, int fallback_class,
	    char *buf, size_t bufsize);

#endif
