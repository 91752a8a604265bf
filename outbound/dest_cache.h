/*
 * dest_cache.h: which destination a queue entry goes to, remembered by
 * entry id, so the scheduler can pass over entries whose destination is
 * at outbound_max_per_domain without reading them from the store again
 * (with a backlog it would otherwise load up to a batch of entries after
 * every finished delivery). A fixed-size open-addressing table of
 * (id, destination hash); when it fills up it is simply emptied: it is a
 * cache, and a miss only costs the read it saves.
 */
#ifndef POSTHORN_DEST_CACHE_H
#define POSTHORN_DEST_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define DEST_CACHE_SLOTS	16384	/* power of two */

struct dest_cache {
	uint64_t	*ids;		/* 0 = empty slot (queue ids start at 1) */
	uint64_t	*dests;
	size_t		 used;
};

/* The hash a destination ("example.org", a relayhost) is known by. */
uint64_t dest_hash(const char *dest);
/* 1 and *dest_r when id is known, else 0. */
int	 dest_cache_get(const struct dest_cache *dc, uint64_t id, uint64_t *dest_r);
void	 dest_cache_put(struct dest_cache *dc, uint64_t id, uint64_t dest);
/* Forget everything (the destinations changed: a reload). */
void	 dest_cache_clear(struct dest_cache *dc);
void	 dest_cache_free(struct dest_cache *dc);

#endif
