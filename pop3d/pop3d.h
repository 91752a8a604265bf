/*
 * pop3d.h: the POP3 front-end (RFC 1939, RFC 2449) as seen by posthornd.
 */
#ifndef POSTHORN_POP3D_H
#define POSTHORN_POP3D_H

#include "net.h"

/* listener_arg is a struct listener_ctx (server.h). */
extern const struct conn_handler pop3_conn_handler;

#endif
