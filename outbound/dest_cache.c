/*
 * dest_cache.c: the scheduler's memory of each due entry's destination
 * (see dest_cache.h). Single-threaded: the runner's mutex guards it.
 */
#include <stdlib.h>
#include <string.h>

#include "dest_cache.h"
#include "util.h"

uint64_t
dest_hash(const char *dest)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *dest != '\0'; dest++) {
		h ^= (unsigned char)*dest;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
slot_of(uint64_t id)
{
	/* Ids are sequential: mix them so neighbours do not cluster. */
	return (size_t)((id * 0x9E3779B97F4A7C15ULL) >> 40) & (DEST_CACHE_SLOTS - 1);
}

int
dest_cache_get(const struct dest_cache *dc, uint64_t id, uint64_t *dest_r)
{
	size_t i, n;

	if (dc->ids == NULL || id == 0)
		return 0;
	for (i = slot_of(id), n = 0; n < DEST_CACHE_SLOTS; n++, i = (i + 1) & (DEST_CACHE_SLOTS - 1)) {
		if (dc->ids[i] == 0)
			return 0;
		if (dc->ids[i] == id) {
			*dest_r = dc->dests[i];
			return 1;
		}
	}
	return 0;
}

void
dest_cache_put(struct dest_cache *dc, uint64_t id, uint64_t dest)
{
	size_t i;

	if (id == 0)
		return;
	if (dc->ids == NULL) {
		dc->ids = xcalloc(DEST_CACHE_SLOTS, sizeof(uint64_t));
		dc->dests = xcalloc(DEST_CACHE_SLOTS, sizeof(uint64_t));
	}
	if (dc->used >= DEST_CACHE_SLOTS / 4 * 3)
		dest_cache_clear(dc);	/* keeps probes short; refilled as needed */
	for (i = slot_of(id); dc->ids[i] != 0 && dc->ids[i] != id;
	    i = (i + 1) & (DEST_CACHE_SLOTS - 1))
		;
	if (dc->ids[i] == 0)
		dc->used++;
	dc->ids[i] = id;
	dc->dests[i] = dest;
}

void
dest_cache_clear(struct dest_cache *dc)
{
	if (dc->ids != NULL) {
		memset(dc->ids, 0, DEST_CACHE_SLOTS * sizeof(uint64_t));
		memset(dc->dests, 0, DEST_CACHE_SLOTS * sizeof(uint64_t));
	}
	dc->used = 0;
}

void
dest_cache_free(struct dest_cache *dc)
{
	free(dc->ids);
	free(dc->dests);
	memset(dc, 0, sizeof(*dc));
}
