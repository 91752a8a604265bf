/*
 * smtpd.h: the SMTP front-end (RFC 5321 inbound MX on listen_smtp; the
 * submission ports join with the TLS/AUTH issue) as seen by posthornd.
 */
#ifndef POSTHORN_SMTPD_H
#define POSTHORN_SMTPD_H

#include "net.h"

/* listener_arg is a struct listener_ctx (server.h). */
extern const struct conn_handler smtp_conn_handler;

#endif
