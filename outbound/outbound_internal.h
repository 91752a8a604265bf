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

/*
 * One attempt at one queue entry: route, connect, send, record the
 * outcome (store_queue_update_wait) with its bounce. Blocking; on a
 * delivery thread. e stays the caller's.
 */
void	 delivery_attempt(struct store *store, const struct outbound_gen *gen,
	    const struct store_queue_entry *e);

#endif
