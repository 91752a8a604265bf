/*
 * outbound_internal.h: what the runner (outbound.c) and one delivery
 * attempt (delivery.c) share: the generation of settings a delivery runs
 * with, so a SIGHUP reload never changes them under a running delivery.
 */
#ifndef POSTHORN_OUTBOUND_INTERNAL_H
#define POSTHORN_OUTBOUND_INTERNAL_H

#include <openssl/ssl.h>

#include "config.h"
#include "dkim.h"
#include "dns.h"
#include "store.h"

/*
 * Settings of one configuration generation: refcounted; the runner holds
 * one reference, each running delivery another. Read-only once built.
 */
struct outbound_gen {
	int			 refs;		/* under the runner's mutex */
	struct config		 cfg;
	struct dns_resolver	*resolver;
	struct dkim_keyring	*keyring;	/* NULL: no signing */
	SSL_CTX			*ssl_ctx;	/* client TLS; NULL when it failed to build */
};

/* Transactions one connection carries before it is closed. */
#define DELIVERY_CONN_MAX_USES	100

/*
 * A connection kept open between deliveries to one destination, so a
 * backlog for one domain (or the relayhost) does not pay a TCP and TLS
 * handshake, EHLO and QUIT per message.
 */
struct smtpc;
struct delivery_conn {
	struct smtpc	*c;				/* NULL: none */
	char		 where[DNS_NAME_MAX + 80];	/* "host[addr]", for the log */
	char		 host[DNS_NAME_MAX + 1];	/* the MX name, for DSNs */
	int		 uses;				/* transactions so far */
};

/*
 * One attempt at one queue entry: route, connect, send, record the
 * outcome (store_queue_update_wait) with its bounce. Blocking; on a
 * delivery thread. e stays the caller's. dc: in, an open connection to
 * the entry's destination to try first (dc->c NULL: none); out, the
 * connection the attempt ended with when it can carry another
 * transaction, else dc->c is NULL. The caller reuses it for the same
 * destination or closes it with delivery_conn_close().
 */
void	 delivery_attempt(struct store *store, const struct outbound_gen *gen,
	    const struct store_queue_entry *e, struct delivery_conn *dc);
void	 delivery_conn_close(struct delivery_conn *dc);

#endif
