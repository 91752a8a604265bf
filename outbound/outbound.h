/*
 * outbound.h: the delivery runner of posthornd: it takes due entries from
 * the store's queue, routes them (MX or relayhost), signs them with DKIM,
 * hands them to the SMTP client, records every result durably, retries on
 * the schedule of retry.h and bounces with dsn.h.
 *
 * Threads: one scheduler and outbound_max_connections delivery threads
 * (blocking DNS and SMTP with timeouts; the I/O loops never wait for the
 * network of another server). At most outbound_max_per_domain deliveries
 * to one destination run at once. What is in flight is kept in memory
 * only: after a crash the entry is simply due again. Every remote 250 is
 * recorded (store_queue_update, fsynced) before the next command is sent.
 */
#ifndef POSTHORN_OUTBOUND_H
#define POSTHORN_OUTBOUND_H

#include <stddef.h>

struct config;
struct store;
struct outbound;

/* Start the runner threads. 0, or -1 with the reason in err. */
int	 outbound_start(struct outbound **ob_r, struct store *store,
	    const struct config *cfg, char *err, size_t errlen);
/* SIGHUP: take the new config (schedule, relayhost, limits) and reload the DKIM keys. */
void	 outbound_reload(struct outbound *ob, const struct config *cfg);
/* Stop: deliveries in progress finish their current command or time out. Before store_close(). */
void	 outbound_stop(struct outbound **ob);
/*
 * Something was queued: look at the queue now rather than at the next
 * poll. Any thread; a no-op when no runner is started.
 */
void	 outbound_wakeup(void);

#endif
