/*
 * err.c - error strings, the version and airlock_free: public API kept in
 * the leaf layer because every layer reports airlock_err.
 */
#include "base.h"

#include <stdlib.h>

AIRLOCK_API const char *airlock_version(void)
{
    return AIRLOCK_VERSION_STRING;
}

AIRLOCK_API void airlock_free(void *p)
{
    free(p);
}

AIRLOCK_API const char *airlock_strerror(airlock_err err)
{
    switch (err) {
    case AIRLOCK_OK: return "success";
    case AIRLOCK_ERR_NOMEM: return "out of memory";
    case AIRLOCK_ERR_ARG: return "invalid argument";
    case AIRLOCK_ERR_STATE: return "not valid in the current state";
    case AIRLOCK_ERR_UNSUPPORTED: return "not supported";
    case AIRLOCK_ERR_TRUNCATED: return "input truncated";
    case AIRLOCK_ERR_MALFORMED: return "input malformed";
    case AIRLOCK_ERR_TOO_LARGE: return "input too large";
    case AIRLOCK_ERR_AUTH: return "authentication failed";
    case AIRLOCK_ERR_UNTRUSTED_IDENTITY: return "untrusted identity key";
    case AIRLOCK_ERR_DUPLICATE: return "duplicate or replayed message";
    case AIRLOCK_ERR_NO_SESSION: return "no session with that device";
    case AIRLOCK_ERR_PASSPHRASE: return "wrong passphrase";
    case AIRLOCK_ERR_BLOCKED: return "peer is blocked";
    case AIRLOCK_ERR_LIMITED: return "rate limited";
    case AIRLOCK_ERR_CRYPTO: return "cryptographic failure";
    case AIRLOCK_ERR_STORE: return "database error";
    case AIRLOCK_ERR_CORRUPT: return "database or sealed data damaged";
    case AIRLOCK_ERR_SCHEMA: return "database is from a newer version";
    case AIRLOCK_ERR_IO: return "file system error";
    case AIRLOCK_ERR_PERM: return "unsafe file permissions";
    case AIRLOCK_ERR_NOT_FOUND: return "not found";
    case AIRLOCK_ERR_EXISTS: return "already exists";
    case AIRLOCK_ERR_TIMEOUT: return "timed out";
    case AIRLOCK_ERR_NET: return "network or transport failure";
    case AIRLOCK_ERR_TLS: return "TLS or certificate failure";
    }
    return "unknown error";
}
