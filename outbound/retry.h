/*
 * retry.h: when the queue tries a message again. The schedule is a list
 * of delays after each failed attempt (`queue_retry_schedule`, default
 * 1m,5m,15m,30m,1h: the last delay repeats), bounded by the message's
 * lifetime (`queue_lifetime`, default 5 days) counted from its arrival.
 */
#ifndef POSTHORN_RETRY_H
#define POSTHORN_RETRY_H

#include <stdint.h>

struct config;

/*
 * After attempt number attempts (1 = the first one failed) at now, of a
 * message that arrived at created: the time of the next attempt, or 0
 * when the lifetime is over (the caller bounces). The last attempt is
 * placed at the end of the lifetime rather than skipped past it.
 */
int64_t	 retry_next_attempt(const struct config *cfg, int64_t created,
	    uint32_t attempts, int64_t now);

#endif
