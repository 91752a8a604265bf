/*
 * retry.c: the queue's back-off schedule. After the n-th failed attempt
 * the next one comes queue_retry[n-1] seconds later (the last delay
 * repeats), but never after the message's lifetime: the last attempt is
 * placed exactly at arrival + queue_lifetime, and after it there is none
 * (the caller bounces, RFC 5321 4.5.4.1 asks for give-up after 4-5 days).
 *
 * Pure arithmetic on the config; it does not look at the queue or clock.
 */
#include <stdint.h>

#include "config.h"
#include "retry.h"

/* Used when the config holds no schedule (a struct not from config_load). */
static const int	 retry_default[] = { 60, 300, 900, 1800, 3600 };
#define RETRY_DEFAULT_LIFETIME	((int64_t)5 * 24 * 3600)

int64_t
retry_next_attempt(const struct config *cfg, int64_t created,
    uint32_t attempts, int64_t now)
{
	const int	*sched = cfg->queue_retry;
	size_t		 count = cfg->queue_retry_count > 0 ?
	    (size_t)cfg->queue_retry_count : 0;
	int64_t		 lifetime = cfg->queue_lifetime > 0 ?
	    cfg->queue_lifetime : RETRY_DEFAULT_LIFETIME;
	int64_t		 deadline, delay, next;
	size_t		 idx;

	if (count > CONFIG_RETRY_MAX)
		count = CONFIG_RETRY_MAX;
	if (count == 0) {
		sched = retry_default;
		count = sizeof(retry_default) / sizeof(retry_default[0]);
	}
	/* attempts 0 (nothing failed yet) waits like 1: never a hot loop. */
	idx = attempts > 0 ? (size_t)attempts - 1 : 0;
	if (idx >= count)
		idx = count - 1;
	delay = sched[idx] > 0 ? sched[idx] : 1;

	if (created > INT64_MAX - lifetime)
		deadline = INT64_MAX;
	else
		deadline = created + lifetime;
	if (now >= deadline)
		return 0;
	next = now > INT64_MAX - delay ? INT64_MAX : now + delay;
	return next > deadline ? deadline : next;
}
