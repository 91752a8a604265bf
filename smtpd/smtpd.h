/*
 * smtpd.h: the SMTP front-end as seen by posthornd: RFC 5321 inbound MX on
 * listen_smtp, RFC 6409 submission with AUTH on listen_submission (587,
 * STARTTLS) and listen_submissions (465, implicit TLS).
 */
#ifndef POSTHORN_SMTPD_H
#define POSTHORN_SMTPD_H

#include "net.h"

/* listener_arg is a struct listener_ctx (server.h); its kind picks the port's rules. */
extern const struct conn_handler smtp_conn_handler;

#endif
