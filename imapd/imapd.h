/*
 * imapd.h: the IMAP front-end (RFC 3501, RFC 9051) as seen by posthornd.
 */
#ifndef POSTHORN_IMAPD_H
#define POSTHORN_IMAPD_H

#include "net.h"

/* listener_arg is a struct listener_ctx (server.h). */
extern const struct conn_handler imap_conn_handler;

#endif
