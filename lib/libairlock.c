/*
 * libairlock.c - the shared library is the layers' archives linked whole;
 * this unit only anchors the target. The exported surface is
 * include/airlock/airlock.h and nothing else (libairlock.map).
 */
#include "airlock/airlock.h"

/* Public functions defined in base/ (linked as a normal archive) that
 * nothing in core calls: referencing them here links them in. */
__attribute__((used)) static const void *const libairlock_base_api[] = {
    (const void *)airlock_version,
    (const void *)airlock_free,
    (const void *)airlock_strerror,
};
