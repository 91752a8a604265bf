/*
 * store_error.c: the store's error codes: their descriptions and the
 * mapping from LMDB and errno codes.
 *
 * Deliberately coarse: callers only need to tell "try again later"
 * (STORE_EFULL, STORE_EIO) from "your request is wrong"; the exact LMDB
 * error is logged where it happens.
 */
#include <errno.h>
#include <lmdb.h>

#include "store_internal.h"

const char *
store_strerror(int err)
{
	switch (err) {
	case STORE_OK:		return "success";
	case STORE_ENOTFOUND:	return "not found";
	case STORE_EEXIST:	return "already exists";
	case STORE_EINVAL:	return "invalid argument";
	case STORE_EFULL:	return "store is full (map size or disk)";
	case STORE_EIO:		return "store I/O error";
	case STORE_EVERSION:	return "store was written by a newer posthorn";
	case STORE_ENOMEM:	return "out of memory";
	case STORE_ESHUTDOWN:	return "store is shutting down";
	case STORE_ETOOBIG:	return "value exceeds a store limit";
	case STORE_ENOTEMPTY:	return "still in use";
	case STORE_ELIMIT:	return "a per-mailbox limit is reached";
	default:		return "unknown store error";
	}
}

/*
 * Map an LMDB return code (which may also be an errno value) to STORE_E*.
 * MDB_TXN_FULL counts as "full": a batch too large for one transaction is
 * a temporary condition, the sender retries.
 */
int
store_lmdb_error(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:	return STORE_OK;
	case MDB_NOTFOUND:	return STORE_ENOTFOUND;
	case MDB_KEYEXIST:	return STORE_EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case ENOSPC:
	case EDQUOT:		return STORE_EFULL;
	case ENOMEM:		return STORE_ENOMEM;
	case MDB_BAD_VALSIZE:	return STORE_ETOOBIG;
	default:		return STORE_EIO;
	}
}
